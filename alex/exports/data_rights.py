"""GDPR rights: export everything of mine (Art. 15/20), delete my account (Art. 17), retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from alex import outbox
from alex.auth.models import LoginSession, User
from alex.boards.models import Card, CheckIn, SprintReflection, Vorhaben
from alex.db import utcnow
from alex.expeditions.models import Expedition, Invite, Membership
from alex.expeditions.service import deletion_date
from alex.exports.hooks import hooks, iso
from alex.exports.models import FinalReflection, ReportSelection

# Bump when the file's shape changes; the JSON Schema in schemas/ describes each version.
EXPORT_SCHEMA_VERSION = "1.1"


def retro_items_written_by(session: Session, user_id: int) -> list[dict]:
    """Retro items this person wrote, with the meeting they belong to."""
    from alex.meetings.models import Meeting, Retro, RetroItem

    rows = session.execute(
        select(RetroItem, Meeting.expedition_id, Meeting.starts_at)
        .join(Retro, Retro.id == RetroItem.retro_id)
        .join(Meeting, Meeting.id == Retro.meeting_id)
        .where(RetroItem.author_id == user_id)
        .order_by(Meeting.starts_at, RetroItem.id)
    )
    return [
        {
            "expedition_id": expedition_id,
            "meeting_starts_at": iso(starts_at),
            "text": item.text,
        }
        for item, expedition_id, starts_at in rows
    ]


def kudos_given_and_received(session: Session, user_id: int) -> list[dict]:
    """Rückenwind this person gave or got (the other person's name is theirs, not exported)."""
    from alex.progress.models import Kudos

    rows = session.scalars(
        select(Kudos)
        .where((Kudos.sender_id == user_id) | (Kudos.receiver_id == user_id))
        .order_by(Kudos.created_at)
    )
    return [
        {
            "expedition_id": k.expedition_id,
            "direction": "given" if k.sender_id == user_id else "received",
            "kind": k.kind,
            "note": k.note,
            "card_id": k.card_id,
            "check_in_id": k.check_in_id,
            "created_at": iso(k.created_at),
        }
        for k in rows
    ]


def _vorhaben(vorhaben: Vorhaben | None) -> dict | None:
    if vorhaben is None:
        return None
    fields = ("what", "why", "success_signs", "support_needed", "first_steps")
    return {
        **{f: getattr(vorhaben, f) for f in fields},
        "updated_at": iso(vorhaben.updated_at),
        "history": [
            {
                **{f: getattr(v, f) for f in fields},
                "reason": v.reason,
                "replaced_at": iso(v.created_at),
            }
            for v in vorhaben.versions
        ],
    }


def _card(card: Card) -> dict:
    return {
        "id": card.id,
        "title": card.title,
        "notes": card.notes,
        "kind": card.kind,
        "column": card.column,
        "position": card.position,
        "sprint_number": card.sprint_number,
        "visibility": card.visibility,
        "hypothesis": card.hypothesis,
        "result": card.result,
        "learning": card.learning,
        "created_at": iso(card.created_at),
        "updated_at": iso(card.updated_at),
        "checklist": [{"text": i.text, "done": i.done} for i in card.checklist],
        "moves": [
            {
                "from_column": m.from_column,
                "to_column": m.to_column,
                "sprint_number": m.sprint_number,
                "moved_at": iso(m.moved_at),
            }
            for m in card.moves
        ],
    }


def account_export(session: Session, user: User) -> dict:
    """Everything stored about this person, as one JSON-ready dict (a fixed number of queries)."""
    memberships = session.scalars(
        select(Membership)
        .options(selectinload(Membership.expedition))  # the expeditions in one more query
        .where(Membership.user_id == user.id)
        .order_by(Membership.joined_at)
    ).all()
    vorhaben = {
        v.expedition_id: v
        for v in session.scalars(
            select(Vorhaben)
            .options(selectinload(Vorhaben.versions))
            .where(Vorhaben.user_id == user.id)
        )
    }
    cards = session.scalars(
        select(Card)
        .options(selectinload(Card.checklist), selectinload(Card.moves))
        .where(Card.owner_id == user.id)
        .order_by(Card.id)
    ).all()
    reflections = session.scalars(
        select(SprintReflection)
        .where(SprintReflection.user_id == user.id)
        .order_by(SprintReflection.sprint_number)
    ).all()
    checkins = session.scalars(
        select(CheckIn).where(CheckIn.user_id == user.id).order_by(CheckIn.created_at)
    ).all()
    finals = {
        f.expedition_id: f
        for f in session.scalars(select(FinalReflection).where(FinalReflection.user_id == user.id))
    }
    selections = {
        s.expedition_id: s
        for s in session.scalars(select(ReportSelection).where(ReportSelection.user_id == user.id))
    }
    sessions = session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id)
        .order_by(LoginSession.created_at)
    ).all()

    def per_expedition(membership: Membership) -> dict:
        eid = membership.expedition_id
        final = finals.get(eid)
        selection = selections.get(eid)
        return {
            "expedition": {
                "id": eid,
                "title": membership.expedition.title,
                "start_date": iso(membership.expedition.start_date),
                "sprint_weeks": membership.expedition.sprint_weeks,
                "sprint_count": membership.expedition.sprint_count,
            },
            "roles": {
                "facilitator": membership.is_facilitator,
                "participant": membership.is_participant,
            },
            "joined_at": iso(membership.joined_at),
            "wip_limit": membership.wip_limit,
            "vorhaben": _vorhaben(vorhaben.get(eid)),
            "cards": [_card(c) for c in cards if c.expedition_id == eid],
            "sprint_reflections": [
                {
                    "sprint_number": r.sprint_number,
                    "focus": r.focus,
                    "confidence": r.confidence,
                    "assessment": r.assessment,
                    "focus_set_at": iso(r.focus_set_at),
                    "assessed_at": iso(r.assessed_at),
                }
                for r in reflections
                if r.expedition_id == eid
            ],
            "check_ins": [
                {
                    "created_at": iso(c.created_at),
                    "done": c.done,
                    "learned": c.learned,
                    "next": c.next,
                    "stuck": c.stuck,
                    "needs_support": c.needs_support,
                    "visibility": c.visibility,
                }
                for c in checkins
                if c.expedition_id == eid
            ],
            "final_reflection": {
                "vorhaben_now": final.vorhaben_now,
                "learned": final.learned,
                "keep_doing": final.keep_doing,
                "advice": final.advice,
                "release_to_summary": final.release_to_summary,
                "named_in_reports": final.named_in_reports,
                "updated_at": iso(final.updated_at),
            }
            if final
            else None,
            "report_selection": {
                "excluded_sections": list(selection.excluded_sections),
                "excluded_card_ids": list(selection.excluded_card_ids),
            }
            if selection
            else None,
        }

    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "exported_at": iso(utcnow()),
        "profile": {
            "name": user.name,
            "email": user.email,
            "created_at": iso(user.created_at),
        },
        "settings": {"locale": user.locale},
        "login_sessions": [
            {"created_at": iso(s.created_at), "user_agent": s.user_agent} for s in sessions
        ],
        "memberships": [per_expedition(m) for m in memberships],
        "retro_items": retro_items_written_by(session, user.id),
        "kudos": kudos_given_and_received(session, user.id),
        # What the optional areas keep about the person (certificates, API tokens, devices…).
        **{key: build(session, user.id) for key, build in hooks().sections.items()},
    }


@dataclass(frozen=True)
class DeletionOutcome:
    """What deleting an account did to the expeditions it took part in."""

    expeditions_deleted: list[int]
    facilitation_handed_to: dict[int, int]  # expedition id → user id of the new facilitator


def delete_account(session: Session, user: User) -> DeletionOutcome:
    """Remove the person and everything personal; the expeditions go on for the others.

    Their own rows (memberships, cards, Vorhaben, Logbuch, sessions, reflections) go with the
    account through ON DELETE CASCADE; what the group shares (retro items, meetings they
    moderated, webhooks they registered) keeps its content and loses the author (ON DELETE SET
    NULL); the optional areas' rows of the person (certificates, API tokens, push devices, SSO
    links, Börse requests) cascade too. Invites and mails to their address go. An expedition
    they were the only facilitator of passes to the longest-standing other member; one nobody
    else is in is deleted with them.
    """
    memberships = session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    deleted: list[int] = []
    handed: dict[int, int] = {}
    for membership in memberships:
        others = session.scalars(
            select(Membership)
            .where(
                Membership.expedition_id == membership.expedition_id,
                Membership.user_id != user.id,
            )
            .order_by(Membership.joined_at, Membership.id)
        ).all()
        if not others:
            deleted.append(membership.expedition_id)
        elif membership.is_facilitator and not any(o.is_facilitator for o in others):
            others[0].is_facilitator = True
            handed[membership.expedition_id] = others[0].user_id
    session.flush()
    if deleted:
        session.execute(delete(Expedition).where(Expedition.id.in_(deleted)))
    # Rows that hold the address itself rather than the account (a mailed invite, a mail sent
    # before there was an account) do not go with it by cascade.
    address = user.email.lower()
    session.execute(delete(Invite).where(func.lower(Invite.email) == address))
    session.execute(
        delete(outbox.OutboxMessage).where(func.lower(outbox.OutboxMessage.address) == address)
    )
    session.execute(delete(User).where(User.id == user.id))
    return DeletionOutcome(deleted, handed)


@dataclass(frozen=True)
class PurgedExpedition:
    """One expedition the retention rule removed."""

    id: int
    title: str
    deletion_date: date
    members: int


def purge_expired(session: Session, today: date) -> list[PurgedExpedition]:
    """Delete every expedition whose deletion date has passed, with everything in it."""
    candidates = session.scalars(
        select(Expedition)
        .options(selectinload(Expedition.memberships))
        .where(Expedition.retention_months.is_not(None))
    ).all()
    purged = []
    for expedition in candidates:
        due = deletion_date(expedition)
        if due is not None and due <= today:
            purged.append(
                PurgedExpedition(expedition.id, expedition.title, due, len(expedition.memberships))
            )
    if purged:
        # One statement; the database's ON DELETE CASCADE removes cards, meetings, memberships…
        session.execute(delete(Expedition).where(Expedition.id.in_([p.id for p in purged])))
    return purged
