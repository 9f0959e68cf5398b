"""Attendance in figures: meetings held and meetings each member attended, for whole expeditions.

"Held" means started in ALEx (running or finished): only those have a record of who was there.
A meeting planned but never opened counts for nobody. "Attended" follows the meeting record
(alex.meetings.catchup): checked in or marked present, or ran the meeting (its moderator, or
without one the facilitators) without being marked absent.

Used by the Teilnahmebescheinigung and the training department's figures, in bulk: two queries
for any number of expeditions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alex.expeditions.models import Membership
from alex.meetings.catchup import runners
from alex.meetings.models import Attendance, Meeting


@dataclass(frozen=True)
class AttendanceCount:
    """One member's attendance in one expedition."""

    held: int
    attended: int
    minutes_held: int  # the planned length of the held meetings, for a default of hours


def attendance_counts(
    session: Session, expedition_ids: list[int]
) -> dict[tuple[int, int], AttendanceCount]:
    """(expedition id, user id) → meetings held and attended, for every member of these expeditions."""
    if not expedition_ids:
        return {}
    meetings = list(
        session.scalars(
            select(Meeting).where(
                Meeting.expedition_id.in_(expedition_ids), Meeting.status != "scheduled"
            )
        )
    )
    memberships = list(
        session.scalars(select(Membership).where(Membership.expedition_id.in_(expedition_ids)))
    )
    marks: dict[int, dict[int, bool]] = defaultdict(dict)
    if meetings:
        for meeting_id, user_id, present in session.execute(
            select(Attendance.meeting_id, Attendance.user_id, Attendance.present).where(
                Attendance.meeting_id.in_([m.id for m in meetings])
            )
        ):
            marks[meeting_id][user_id] = present
    members_of: dict[int, list[Membership]] = defaultdict(list)
    for membership in memberships:
        members_of[membership.expedition_id].append(membership)
    held: dict[int, int] = defaultdict(int)
    minutes: dict[int, int] = defaultdict(int)
    attended: dict[tuple[int, int], int] = defaultdict(int)
    for meeting in meetings:
        held[meeting.expedition_id] += 1
        minutes[meeting.expedition_id] += meeting.duration_minutes or 0
        marked = marks.get(meeting.id, {})
        ran = runners(meeting, members_of[meeting.expedition_id])
        for membership in members_of[meeting.expedition_id]:
            user_id = membership.user_id
            if marked.get(user_id) or (user_id in ran and user_id not in marked):
                attended[(meeting.expedition_id, user_id)] += 1
    return {
        (m.expedition_id, m.user_id): AttendanceCount(
            held=held[m.expedition_id],
            attended=attended[(m.expedition_id, m.user_id)],
            minutes_held=minutes[m.expedition_id],
        )
        for m in memberships
    }
