"""The instance library: retro formats and Expeditions-Vorlagen facilitators share with everyone.

Sharing copies only the format's name and prompts, or the expedition's settings (sprint length
and count, Boxenstopps, time zone, retention) under a name the facilitator gives — never a title,
description or anything members wrote. The publisher's name shows only if they agree. Operators
may hide an item (`hide_library_item`); its publisher can still unpublish it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from alex.auth.models import User
from alex.db import utcnow
from alex.expeditions.models import Expedition
from alex.expeditions.service import ExpeditionSettings, SharedVorlage
from alex.exports.hooks import iso
from alex.meetings import service as meetings
from alex.meetings.models import RetroTemplate
from alex.openings.models import NAME_MAX, LibraryItem
from alex.openings.service import OpeningError


def visible_items(session: Session, kind: str | None = None) -> list[LibraryItem]:
    """What the library shows: not hidden by an operator, by name."""
    statement = (
        select(LibraryItem)
        .options(joinedload(LibraryItem.publisher))  # the publisher's name where they agreed
        .where(LibraryItem.hidden_at.is_(None))
        .order_by(LibraryItem.kind, LibraryItem.name, LibraryItem.id)
    )
    if kind is not None:
        statement = statement.where(LibraryItem.kind == kind)
    return list(session.scalars(statement))


def visible_item(session: Session, item_id: int, kind: str) -> LibraryItem | None:
    """One item the library shows, or None (hidden, gone or another kind)."""
    return session.scalar(
        select(LibraryItem).where(
            LibraryItem.id == item_id, LibraryItem.kind == kind, LibraryItem.hidden_at.is_(None)
        )
    )


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise OpeningError(_l("Please give it a name."))
    if len(name) > NAME_MAX:
        raise OpeningError(_l("Please use at most %(max)d characters.", max=NAME_MAX))
    return name


def _add(session: Session, item: LibraryItem) -> LibraryItem:
    try:
        with session.begin_nested():
            session.add(item)
            session.flush()
    except IntegrityError as error:
        raise OpeningError(_l("This is in the library already.")) from error
    return item


def share_retro_format(
    session: Session, template: RetroTemplate, by: User, *, show_name: bool, note: str = ""
) -> LibraryItem:
    """Put a saved retro format (its name and prompts) into the library."""
    return _add(
        session,
        LibraryItem(
            kind="retro_format",
            name=_checked_name(template.name),
            prompts=template.prompts,
            note=note.strip(),
            source_template_id=template.id,
            publisher_id=by.id,
            show_publisher=show_name,
        ),
    )


def share_vorlage(
    session: Session,
    expedition: Expedition,
    by: User,
    *,
    name: str,
    show_name: bool,
    note: str = "",
) -> LibraryItem:
    """Put an expedition's settings into the library as a Vorlage under the given name."""
    return _add(
        session,
        LibraryItem(
            kind="vorlage",
            name=_checked_name(name),
            note=note.strip(),
            sprint_weeks=expedition.sprint_weeks,
            sprint_count=expedition.sprint_count,
            pit_stops=expedition.pit_stops,
            timezone=expedition.timezone,
            retention_months=expedition.retention_months,
            source_expedition_id=expedition.id,
            publisher_id=by.id,
            show_publisher=show_name,
        ),
    )


def shared_from_expedition(session: Session, expedition_id: int) -> list[LibraryItem]:
    """What this expedition (its settings or its saved formats) has in the library."""
    formats = select(RetroTemplate.id).where(RetroTemplate.expedition_id == expedition_id)
    return list(
        session.scalars(
            select(LibraryItem)
            .where(
                (LibraryItem.source_expedition_id == expedition_id)
                | LibraryItem.source_template_id.in_(formats)
            )
            .order_by(LibraryItem.kind, LibraryItem.name)
        )
    )


def unpublish(session: Session, item: LibraryItem) -> None:
    """Take one's item out of the library; expeditions that copied it keep their copy."""
    session.delete(item)


def adopt_retro_format(session: Session, item: LibraryItem, expedition_id: int) -> None:
    """Copy a library format into an expedition's saved formats (same name: replaced)."""
    meetings.save_template(session, expedition_id, item.name, item.prompts.splitlines())


def hide_library_item(session: Session, item_id: int, operator: User) -> bool:
    """The operator's hook: take an item out of the library for everyone (True if it was shown).

    The operator's console calls this; it checks nothing but the role, and sees only what the
    library shows anyway (names, prompts, settings), never expedition content.
    """
    if not operator.is_operator:
        raise PermissionError("only an operator hides library items")
    item = session.get(LibraryItem, item_id)
    if item is None or item.hidden_at is not None:
        return False
    item.hidden_at = utcnow()
    item.hidden_by_id = operator.id
    return True


def as_vorlage(item: LibraryItem) -> SharedVorlage:
    """A library Vorlage as the new-expedition page takes it (settings, no title)."""
    return SharedVorlage(
        id=item.id,
        name=item.name,
        settings=ExpeditionSettings(
            title="",
            description="",
            start_date=utcnow().date(),
            sprint_weeks=item.sprint_weeks or 4,
            sprint_count=item.sprint_count or 6,
            timezone=item.timezone or "Europe/Berlin",
            pit_stops=item.pit_stops,
            retention_months=item.retention_months,
        ),
    )


def vorlagen_for_new_expeditions(session: Session) -> list[SharedVorlage]:
    """The library's Vorlagen for the new-expedition page."""
    return [as_vorlage(i) for i in visible_items(session, "vorlage")]


def vorlage_for_new_expedition(session: Session, item_id: int) -> SharedVorlage | None:
    """One library Vorlage for the new-expedition page, or None."""
    item = visible_item(session, item_id, "vorlage")
    return as_vorlage(item) if item else None


def export_rows(session: Session, user_id: int) -> list[dict]:
    """What the person shared in the library, for their data export."""
    return [
        {
            "kind": i.kind,
            "name": i.name,
            "note": i.note,
            "prompts": i.prompts,
            "show_publisher": i.show_publisher,
            "published_at": iso(i.published_at),
            "hidden": i.hidden_at is not None,
        }
        for i in session.scalars(
            select(LibraryItem)
            .where(LibraryItem.publisher_id == user_id)
            .order_by(LibraryItem.published_at, LibraryItem.id)
        )
    ]
