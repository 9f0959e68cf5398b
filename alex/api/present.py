"""The JSON shapes of the API (described in openapi.json: a change there goes with a change here).

Plain dicts of plain values: ids, texts, ISO 8601 dates (UTC for moments, with "Z"). Nothing
here decides who sees what; the views load through the same loaders and services as the pages.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from alex.boards.service import Board
from alex.expeditions.calendar import end_date
from alex.expeditions.models import Expedition, Membership
from alex.meetings.models import Meeting, RetroAction
from alex.meetings.state import RecordState


def moment(value: datetime | None) -> str | None:
    """A UTC moment as ISO 8601 with "Z"."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def day(value: date) -> str:
    return value.isoformat()


def person(user) -> dict | None:
    """Someone as the pages name them: id and display name (no e-mail address)."""
    if user is None:
        return None
    return {"id": user.id, "name": user.name}


def expedition(item: Expedition, membership: Membership) -> dict:
    """An expedition with my roles in it."""
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "start_date": day(item.start_date),
        "end_date": day(end_date(item.start_date, item.sprint_weeks, item.sprint_count)),
        "sprint_weeks": item.sprint_weeks,
        "sprint_count": item.sprint_count,
        "timezone": item.timezone,
        "my_roles": roles(membership),
    }


def roles(membership: Membership) -> list[str]:
    return [
        role
        for role, has in (
            ("facilitator", membership.is_facilitator),
            ("participant", membership.is_participant),
        )
        if has
    ]


def member(membership: Membership) -> dict:
    return {**person(membership.user), "roles": roles(membership)}


def board(owner_id: int, loaded: Board, only_zirkel: bool) -> dict:
    """A board: its cards by column and position, with checklist tallies."""
    cards = []
    for column, rows in loaded.columns.items():
        for position, row in enumerate(rows):
            done, total = loaded.checklists.get(row.id, (0, 0))
            cards.append(
                {
                    "id": row.id,
                    "title": row.title,
                    "kind": row.kind,
                    "column": column,
                    "position": position,
                    "visibility": row.visibility,
                    "sprint_number": row.sprint_number,
                    "has_learning": bool(row.has_learning),
                    "checklist": {"done": done, "total": total},
                    "version": row.version,
                }
            )
    return {"owner_id": owner_id, "only_shared": only_zirkel, "cards": cards}


def meeting(item: Meeting) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "sprint_number": item.sprint_number,
        "starts_at": moment(item.starts_at),
        "duration_minutes": item.duration_minutes,
        "location": item.location,
        "status": item.status,
        "moderator": person(item.moderator),
    }


def action(item: RetroAction) -> dict:
    return {
        "id": item.id,
        "title": item.title,
        "kind": item.kind,
        "owner": person(item.owner),
        "outcome": item.outcome,
        "created_at": moment(item.created_at),
    }


def meeting_record(item: Meeting, record: RecordState) -> dict:
    """A meeting with what its record page shows: actions, and retro notes once revealed.

    Notes of an anonymous retro name nobody, as on the page.
    """
    retro = None
    if record.retro is not None:
        anonymous = record.retro.anonymous
        retro = {
            "format": record.retro.format,
            "phase": record.retro.phase,
            "anonymous": anonymous,
            "prompts": record.prompts,
            "notes": [
                {
                    "id": view.item.id,
                    "prompt": view.item.prompt,
                    "text": view.item.text,
                    "group": view.group_title,
                    "votes": view.votes,
                    "author": None if anonymous else person(view.item.author),
                }
                for view in record.items
            ],
        }
    return {
        **meeting(item),
        "actions": [action(a) for a in record.actions],
        "retro": retro,
    }


def notification(item, text: str, link: str | None) -> dict:
    return {
        "id": item.id,
        "kind": item.kind,
        "text": text,
        "subject": item.subject,
        "actor": person(item.actor),
        "expedition_id": item.expedition_id,
        "link": link,
        "created_at": moment(item.created_at),
        "read_at": moment(item.read_at),
    }
