"""The figures table, with small cells suppressed so that no cell and no difference of cells
describes fewer than five people.

Definitions (also said on the page):
- An expedition counts in the quarter in which its last day falls, once that day is past.
- Participants: participations (a person in two expeditions of a quarter counts twice); the
  five-person rule counts distinct people.
- Attendance rate: meetings attended / meetings held, over all participations (held and attended
  as in alex.meetings.attendance).
- Completed: a participant of an ended expedition who wrote a final reflection or holds a valid
  certificate of attendance (or anything else a registered completion source names).

Suppression: a quarter whose participants are fewer than five people shows "< 5" and no rates.
The total row would give a single suppressed quarter away (total minus the shown quarters), so
then further quarters are suppressed too — the smallest first — until at least two are hidden and
the hidden ones together hold five people or more; when that cannot be reached, the total is
suppressed as well. The difference total − shown then describes only a group of five or more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from alex.expeditions.hooks import completed_by_sources
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import expedition_end, today_in
from alex.exports.models import FinalReflection
from alex.meetings.attendance import attendance_counts

MIN_PEOPLE = 5


@dataclass
class Group:
    """The raw counts of one quarter (or of all of them)."""

    label: str
    expeditions: int = 0
    participations: int = 0
    people: set[int] = field(default_factory=set)
    held: int = 0
    attended: int = 0
    completed: int = 0
    suppressed: bool = False

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.held if self.held else None

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.participations if self.participations else None


@dataclass(frozen=True)
class Row:
    """One line as shown: every value already a string, suppressed cells as "< 5" and "–"."""

    label: str
    expeditions: str
    participants: str
    attendance_rate: str
    completion_rate: str
    suppressed: bool


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def groups_by_quarter(session: Session, today: date | None = None) -> list[Group]:
    """Raw counts per quarter of the expeditions' last day, newest quarter first."""
    ended: dict[int, tuple[int, int]] = {}
    for expedition in session.scalars(select(Expedition)):
        end = expedition_end(expedition)
        if end < (today or today_in(expedition)):
            ended[expedition.id] = quarter_of(end)
    ids = list(ended)
    if not ids:
        return []
    participations = list(
        session.execute(
            select(Membership.expedition_id, Membership.user_id).where(
                Membership.expedition_id.in_(ids), Membership.is_participant.is_(True)
            )
        )
    )
    counts = attendance_counts(session, ids)
    reflected = set(
        session.execute(
            select(FinalReflection.expedition_id, FinalReflection.user_id).where(
                FinalReflection.expedition_id.in_(ids),
                or_(
                    FinalReflection.learned != "",
                    FinalReflection.vorhaben_now != "",
                    FinalReflection.keep_doing != "",
                ),
            )
        ).all()
    )
    completed = {tuple(pair) for pair in reflected} | completed_by_sources(session, ids)
    groups: dict[tuple[int, int], Group] = {}
    for quarter in ended.values():
        group = groups.setdefault(quarter, Group(label=f"{quarter[0]} Q{quarter[1]}"))
        group.expeditions += 1
    for expedition_id, user_id in participations:
        group = groups[ended[expedition_id]]
        group.participations += 1
        group.people.add(user_id)
        count = counts.get((expedition_id, user_id))
        if count is not None:
            group.held += count.held
            group.attended += count.attended
        if (expedition_id, user_id) in completed:
            group.completed += 1
    return [groups[q] for q in sorted(groups, reverse=True)]


def total_of(groups: list[Group]) -> Group:
    total = Group(label="")
    for group in groups:
        total.expeditions += group.expeditions
        total.participations += group.participations
        total.people |= group.people
        total.held += group.held
        total.attended += group.attended
        total.completed += group.completed
    return total


def suppress(groups: list[Group], total: Group) -> None:
    """Mark small quarters and their complements (see the module's docstring)."""
    for group in groups:
        group.suppressed = len(group.people) < MIN_PEOPLE
    hidden = [g for g in groups if g.suppressed]
    while hidden:
        union: set[int] = set().union(*(g.people for g in hidden))
        if len(hidden) >= 2 and len(union) >= MIN_PEOPLE:
            break
        shown = [g for g in groups if not g.suppressed]
        if not shown:
            break
        smallest = min(shown, key=lambda g: (len(g.people), g.participations))
        smallest.suppressed = True
        hidden.append(smallest)
    total.suppressed = len(total.people) < MIN_PEOPLE
    if hidden and not total.suppressed:
        union = set().union(*(g.people for g in hidden))
        if len(union) < MIN_PEOPLE or (len(hidden) == 1 and len(groups) > 1):
            total.suppressed = True


def _percent(rate: float | None, locale: str) -> str:
    if rate is None:
        return "–"
    number = f"{round(rate * 100)}"
    return f"{number} %" if locale.startswith("de") else f"{number}%"


def row_of(group: Group, label: str, locale: str) -> Row:
    if group.suppressed:
        return Row(label, str(group.expeditions), f"< {MIN_PEOPLE}", "–", "–", True)
    return Row(
        label,
        str(group.expeditions),
        str(group.participations),
        _percent(group.attendance_rate, locale),
        _percent(group.completion_rate, locale),
        False,
    )


@dataclass(frozen=True)
class Table:
    rows: list[Row]
    total: Row | None


def figures_table(
    session: Session, locale: str, total_label: str, today: date | None = None
) -> Table:
    """The table as shown and downloaded: rows by quarter, newest first, and the total."""
    groups = groups_by_quarter(session, today)
    if not groups:
        return Table([], None)
    total = total_of(groups)
    suppress(groups, total)
    return Table([row_of(g, g.label, locale) for g in groups], row_of(total, total_label, locale))
