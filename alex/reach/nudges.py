"""Reminders in the circle's rhythm: who is due which nudge now, and giving them.

Each selection is a plain function of the database and the moment `now`, so tests freeze the
clock and ask. A nudge is given at most once per occasion (its key in `reach_nudge`), only
outside the quiet hours of its expedition, and the selection leaves out everyone who already
did what it reminds of — so a reminder held back by the quiet hours is dropped if the person
acts before the morning.

- nudge_check_in: a Zirkeltreffen within 2 days, and the participant has not checked in this
  sprint;
- nudge_support_unanswered: a request for support shared with the Zirkel has had no answer for
  48 hours (to the facilitators; not after 14 days);
- nudge_action_untouched: a retro action whose card nobody touched for a week;
- nudge_self_assessment: the sprint ended (its last day, and the 6 days after) and the
  participant has not assessed it;
- nudge_report: two weeks before the Abschluss, for participants who have not begun their
  Lernbericht (no final reflection, no selection made).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from alex.boards.models import Card, CheckIn, SprintReflection
from alex.expeditions import calendar
from alex.expeditions.models import Expedition, Membership
from alex.exports.models import FinalReflection, ReportSelection
from alex.meetings.invitation import meeting_subject
from alex.meetings.models import Meeting, RetroAction
from alex.notifications import channels_for, local_link, notify
from alex.progress.models import SupportResponse
from alex.reach.models import NudgeSent
from alex.reach.quiet import in_quiet_hours, parse_quiet_hours

CHECK_IN_AHEAD = timedelta(days=2)
SUPPORT_WAIT = timedelta(hours=48)
SUPPORT_GIVE_UP = timedelta(days=14)
ACTION_IDLE = timedelta(days=7)
ACTION_GIVE_UP = timedelta(days=35)
ASSESS_DAYS = 7  # the sprint's last day and the six after it
REPORT_AHEAD = timedelta(days=14)


@dataclass(frozen=True)
class Nudge:
    """One reminder due for one person."""

    key: str
    kind: str
    user_id: int
    expedition_id: int
    subject: str
    endpoint: str
    values: dict = field(default_factory=dict)


def _local_day(now: datetime, timezone: str) -> date:
    return now.astimezone(ZoneInfo(timezone)).date()


def _day_start(day: date, timezone: str) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(timezone))


def _participants(session: Session, expedition_ids: list[int]) -> dict[int, list[int]]:
    by_expedition: dict[int, list[int]] = {}
    if not expedition_ids:
        return by_expedition
    for expedition_id, user_id in session.execute(
        select(Membership.expedition_id, Membership.user_id).where(
            Membership.expedition_id.in_(expedition_ids), Membership.is_participant.is_(True)
        )
    ):
        by_expedition.setdefault(expedition_id, []).append(user_id)
    return by_expedition


def check_in_nudges(session: Session, now: datetime) -> list[Nudge]:
    """Zirkeltreffen within two days: participants without a check-in this sprint."""
    rows = session.execute(
        select(Meeting, Expedition)
        .join(Expedition, Expedition.id == Meeting.expedition_id)
        .where(
            Meeting.kind == "zirkeltreffen",
            Meeting.status == "scheduled",
            Meeting.starts_at > now,
            Meeting.starts_at <= now + CHECK_IN_AHEAD,
        )
    ).all()
    people = _participants(session, [e.id for _, e in rows])
    nudges = []
    for meeting, expedition in rows:
        sprints = calendar.sprints(
            expedition.start_date, expedition.sprint_weeks, expedition.sprint_count
        )
        meeting_day = _local_day(meeting.starts_at, expedition.timezone)
        number = meeting.sprint_number
        sprint = next((s for s in sprints if s.number == number), None) or next(
            (s for s in sprints if s.contains(meeting_day)), None
        )
        since = _day_start(
            sprint.start if sprint else meeting_day - timedelta(weeks=2), expedition.timezone
        )
        checked_in = set(
            session.scalars(
                select(CheckIn.user_id).where(
                    CheckIn.expedition_id == expedition.id, CheckIn.created_at >= since
                )
            )
        )
        for user_id in people.get(expedition.id, []):
            if user_id not in checked_in:
                nudges.append(
                    Nudge(
                        f"check_in:{meeting.id}:{user_id}",
                        "nudge_check_in",
                        user_id,
                        expedition.id,
                        meeting_subject(meeting, expedition.timezone),
                        "boards.logbook",
                        {"expedition_id": expedition.id},
                    )
                )
    return nudges


def support_nudges(session: Session, now: datetime) -> list[Nudge]:
    """Requests for support nobody answered for 48 hours: to the expedition's facilitators."""
    answered = exists().where(SupportResponse.check_in_id == CheckIn.id)
    requests = session.execute(
        select(CheckIn.id, CheckIn.expedition_id, CheckIn.user_id, CheckIn.stuck).where(
            CheckIn.needs_support.is_(True),
            CheckIn.visibility == "zirkel",
            CheckIn.support_cleared_at.is_(None),
            CheckIn.created_at <= now - SUPPORT_WAIT,
            CheckIn.created_at > now - SUPPORT_GIVE_UP,
            ~answered,
        )
    ).all()
    if not requests:
        return []
    facilitators: dict[int, list[int]] = {}
    for expedition_id, user_id in session.execute(
        select(Membership.expedition_id, Membership.user_id).where(
            Membership.expedition_id.in_({r.expedition_id for r in requests}),
            Membership.is_facilitator.is_(True),
        )
    ):
        facilitators.setdefault(expedition_id, []).append(user_id)
    return [
        Nudge(
            f"support:{request.id}:{user_id}",
            "nudge_support_unanswered",
            user_id,
            request.expedition_id,
            (request.stuck or "")[:120],
            "boards.logbook",
            {"expedition_id": request.expedition_id},
        )
        for request in requests
        for user_id in facilitators.get(request.expedition_id, [])
        if user_id != request.user_id
    ]


def action_nudges(session: Session, now: datetime) -> list[Nudge]:
    """Retro actions whose card has not been touched for a week (and is not done)."""
    rows = session.execute(
        select(RetroAction.id, RetroAction.owner_id, RetroAction.title, Card.expedition_id)
        .join(Card, Card.id == RetroAction.card_id)
        .where(
            RetroAction.owner_id.is_not(None),
            RetroAction.outcome.is_(None),
            RetroAction.created_at <= now - ACTION_IDLE,
            RetroAction.created_at > now - ACTION_GIVE_UP,
            Card.updated_at <= now - ACTION_IDLE,
            Card.column != "done",
        )
    ).all()
    return [
        Nudge(
            f"action:{row.id}",
            "nudge_action_untouched",
            row.owner_id,
            row.expedition_id,
            row.title,
            "boards.board",
            {"expedition_id": row.expedition_id},
        )
        for row in rows
    ]


def _running_expeditions(session: Session, now: datetime) -> list[Expedition]:
    """Expeditions that have begun and ended at most a week ago (a day's margin for zones)."""
    today = now.date()
    candidates = session.scalars(
        select(Expedition).where(Expedition.start_date <= today + timedelta(days=1))
    ).all()
    return [
        e
        for e in candidates
        if calendar.end_date(e.start_date, e.sprint_weeks, e.sprint_count)
        >= today - timedelta(days=ASSESS_DAYS + 1)
    ]


def self_assessment_nudges(session: Session, now: datetime) -> list[Nudge]:
    """The sprint has ended: participants who have not assessed it yet."""
    due: list[tuple[Expedition, calendar.Sprint]] = []
    for expedition in _running_expeditions(session, now):
        today = _local_day(now, expedition.timezone)
        for sprint in calendar.sprints(
            expedition.start_date, expedition.sprint_weeks, expedition.sprint_count
        ):
            if sprint.end <= today < sprint.end + timedelta(days=ASSESS_DAYS):
                due.append((expedition, sprint))
    people = _participants(session, [e.id for e, _ in due])
    nudges = []
    for expedition, sprint in due:
        assessed = set(
            session.scalars(
                select(SprintReflection.user_id).where(
                    SprintReflection.expedition_id == expedition.id,
                    SprintReflection.sprint_number == sprint.number,
                    SprintReflection.assessed_at.is_not(None),
                )
            )
        )
        for user_id in people.get(expedition.id, []):
            if user_id not in assessed:
                nudges.append(
                    Nudge(
                        f"assess:{expedition.id}:{sprint.number}:{user_id}",
                        "nudge_self_assessment",
                        user_id,
                        expedition.id,
                        expedition.title,
                        "boards.board",
                        {"expedition_id": expedition.id},
                    )
                )
    return nudges


def report_nudges(session: Session, now: datetime) -> list[Nudge]:
    """Two weeks before the Abschluss: participants who have not begun their Lernbericht."""
    nudges = []
    for expedition in _running_expeditions(session, now):
        today = _local_day(now, expedition.timezone)
        end = calendar.end_date(
            expedition.start_date, expedition.sprint_weeks, expedition.sprint_count
        )
        if not end - REPORT_AHEAD <= today <= end:
            continue
        begun = or_(
            exists().where(
                FinalReflection.expedition_id == expedition.id,
                FinalReflection.user_id == Membership.user_id,
            ),
            exists().where(
                ReportSelection.expedition_id == expedition.id,
                ReportSelection.user_id == Membership.user_id,
            ),
        )
        for user_id in session.scalars(
            select(Membership.user_id).where(
                Membership.expedition_id == expedition.id,
                Membership.is_participant.is_(True),
                ~begun,
            )
        ):
            nudges.append(
                Nudge(
                    f"report:{expedition.id}:{user_id}",
                    "nudge_report",
                    user_id,
                    expedition.id,
                    expedition.title,
                    "exports.report",
                    {"expedition_id": expedition.id},
                )
            )
    return nudges


SELECTIONS = (
    check_in_nudges,
    support_nudges,
    action_nudges,
    self_assessment_nudges,
    report_nudges,
)


def due_nudges(session: Session, now: datetime) -> list[Nudge]:
    """Every reminder that would go out now: not given before, not in quiet hours."""
    candidates = [nudge for select_due in SELECTIONS for nudge in select_due(session, now)]
    if not candidates:
        return []
    given = set(
        session.scalars(select(NudgeSent.key).where(NudgeSent.key.in_([n.key for n in candidates])))
    )
    zones = dict(
        session.execute(
            select(Expedition.id, Expedition.timezone).where(
                Expedition.id.in_({n.expedition_id for n in candidates})
            )
        ).all()
    )
    hours = parse_quiet_hours(current_app.config.get("ALEX_QUIET_HOURS"))
    weekends = bool(current_app.config.get("ALEX_QUIET_WEEKENDS", True))
    return [
        n
        for n in candidates
        if n.key not in given and not in_quiet_hours(now, zones[n.expedition_id], hours, weekends)
    ]


def give_nudges(session: Session, now: datetime) -> int:
    """Give every due reminder (in the person's chosen channel) and remember it; returns how many.

    The caller commits: the record and the notification (and its outbox row) go together.
    """
    from alex.reach.unsubscribe import unsubscribe_url

    given = 0
    for nudge in due_nudges(session, now):
        session.add(NudgeSent(key=nudge.key, user_id=nudge.user_id, kind=nudge.kind, sent_at=now))
        channel = channels_for(session, (nudge.user_id,), nudge.kind, nudge.expedition_id).get(
            nudge.user_id, "off"
        )
        notification = notify(
            session,
            nudge.user_id,
            nudge.kind,
            expedition_id=nudge.expedition_id,
            subject=nudge.subject,
            link=local_link(nudge.endpoint, **nudge.values),
            details={"unsubscribe_url": unsubscribe_url(nudge.user_id, nudge.kind)}
            if channel == "email"
            else None,
            channel=channel,
        )
        given += notification is not None
    session.flush()
    return given
