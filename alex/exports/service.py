"""Exports domain functions: report choices, final reflection, Zirkel summary. No request here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.boards.models import Vorhaben
from alex.db import utcnow
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import expedition_end, expedition_standing, sprint_calendar
from alex.exports.models import FinalReflection, ReportSelection
from alex.exports.report import SECTIONS, RetroAction, retro_actions
from alex.meetings.models import Meeting


class ExportError(Exception):
    """A change that cannot go ahead; the message is shown to the user."""


class StaleError(ExportError):
    """Someone (another tab, another device) saved in the meantime: reload, then save again."""


def reflection_is_open(expedition: Expedition, today: date) -> bool:
    """The final reflection opens with the last sprint and stays open after the end."""
    standing = expedition_standing(expedition, today)
    if standing.phase == "finished":
        return True
    current = standing.current_sprint
    return current is not None and current.number >= expedition.sprint_count


def _upsert_versioned(session: Session, model, keys: dict, version: int, values: dict) -> None:
    """Insert the row, or update it only if nobody saved since `version` (0: not created yet).

    A conditional UPDATE, not read-modify-write, so two saves at once cannot both win.
    """
    if version == 0:
        try:
            with session.begin_nested():
                session.execute(insert(model).values(**keys, **values, version=1))
        except IntegrityError as error:
            raise StaleError(_l("This was saved elsewhere in the meantime.")) from error
        return
    changed = session.execute(
        update(model)
        .where(*(getattr(model, k) == v for k, v in keys.items()), model.version == version)
        .values(**values, version=version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise StaleError(_l("This was saved elsewhere in the meantime."))


def save_selection(
    session: Session,
    expedition_id: int,
    user_id: int,
    included_sections: set[str],
    included_card_ids: set[int],
    candidate_card_ids: set[int],
    version: int,
) -> None:
    """Keep what the person chose to include; stored as exclusions so new things show up."""
    values = {
        "excluded_sections": [s for s in SECTIONS if s not in included_sections],
        "excluded_card_ids": sorted(candidate_card_ids - included_card_ids),
    }
    _upsert_versioned(
        session,
        ReportSelection,
        {"expedition_id": expedition_id, "user_id": user_id},
        version,
        values,
    )


@dataclass(frozen=True)
class ReflectionAnswers:
    """What the final reflection form sends."""

    vorhaben_now: str
    learned: str
    keep_doing: str
    advice: str
    release_to_summary: bool
    named_in_reports: bool


def save_reflection(
    session: Session,
    expedition: Expedition,
    user_id: int,
    answers: ReflectionAnswers,
    version: int,
    today: date,
) -> None:
    """Save the final reflection (open from the last sprint on)."""
    if not reflection_is_open(expedition, today):
        raise ExportError(_l("The final reflection opens with the last sprint."))
    values = {
        "vorhaben_now": answers.vorhaben_now.strip(),
        "learned": answers.learned.strip(),
        "keep_doing": answers.keep_doing.strip(),
        "advice": answers.advice.strip(),
        "release_to_summary": answers.release_to_summary,
        "named_in_reports": answers.named_in_reports,
    }
    _upsert_versioned(
        session,
        FinalReflection,
        {"expedition_id": expedition.id, "user_id": user_id},
        version,
        values,
    )


@dataclass(frozen=True)
class MemberSummary:
    """One member in the Zirkel summary; Vorhaben and reflection only if released."""

    name: str
    released: bool
    vorhaben: str
    reflection: FinalReflection | None


@dataclass(frozen=True)
class ZirkelSummary:
    """The facilitator's record of the expedition."""

    expedition: Expedition
    period_start: date
    period_end: date
    sprints: list
    meetings: list[Meeting]
    members: list[MemberSummary]
    retro_actions: list[RetroAction]
    attendance: dict[int, int]  # meeting id → people present


def group_retro_actions(session: Session, expedition_id: int) -> list[RetroAction]:
    """The group's retro actions and what came of them."""
    return retro_actions(session, expedition_id)


def attendance_by_meeting(session: Session, expedition_id: int) -> dict[int, int]:
    """How many people were present at each meeting (meeting id → count)."""
    from sqlalchemy import func

    from alex.meetings.models import Attendance

    return dict(
        session.execute(
            select(Attendance.meeting_id, func.count())
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Meeting.expedition_id == expedition_id, Attendance.present.is_(True))
            .group_by(Attendance.meeting_id)
        ).all()
    )


def zirkel_summary(session: Session, expedition: Expedition) -> ZirkelSummary:
    """Compose the Zirkel summary; a member's Vorhaben and reflection only where they released it."""
    participants = session.execute(
        select(User.name, FinalReflection, Vorhaben.what)
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .outerjoin(
            FinalReflection,
            (FinalReflection.user_id == Membership.user_id)
            & (FinalReflection.expedition_id == Membership.expedition_id),
        )
        .outerjoin(
            Vorhaben,
            (Vorhaben.user_id == Membership.user_id)
            & (Vorhaben.expedition_id == Membership.expedition_id),
        )
        .where(Membership.expedition_id == expedition.id, Membership.is_participant.is_(True))
        .order_by(User.name)
    ).all()
    members = []
    for name, reflection, what in participants:
        released = bool(reflection and reflection.release_to_summary)
        members.append(
            MemberSummary(
                name=name,
                released=released,
                vorhaben=(what or "") if released else "",
                reflection=reflection if released else None,
            )
        )
    meetings = list(
        session.scalars(
            select(Meeting)
            .where(Meeting.expedition_id == expedition.id)
            .order_by(Meeting.starts_at)
        )
    )
    return ZirkelSummary(
        expedition=expedition,
        period_start=expedition.start_date,
        period_end=expedition_end(expedition),
        sprints=sprint_calendar(expedition),
        meetings=meetings,
        members=members,
        retro_actions=group_retro_actions(session, expedition.id),
        attendance=attendance_by_meeting(session, expedition.id),
    )
