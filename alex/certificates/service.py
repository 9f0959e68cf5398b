"""Issuing, revoking and looking up certificates of attendance (plain functions on a session)."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alex.auth.models import User
from alex.certificates.models import CODE_LENGTH, Certificate
from alex.db import utcnow
from alex.expeditions.models import Expedition, Membership
from alex.expeditions.service import expedition_end, members
from alex.exports.hooks import iso
from alex.meetings.attendance import AttendanceCount, attendance_counts
from alex.meetings.models import Meeting

MINUTES_STEP = 15  # hours per meeting in quarter hours
MINUTES_MIN, MINUTES_MAX = 15, 8 * 60
_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32: no 0/1/8/9 to mistake


class CertificateError(Exception):
    """A certificate cannot be issued or revoked; the message says why, for the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field  # the form field the message belongs to, if one


def new_code() -> str:
    """12 random base32 characters (60 bits): unguessable, short enough to type from paper."""
    return base64.b32encode(secrets.token_bytes(10)).decode()[:CODE_LENGTH]


def format_code(code: str) -> str:
    """The code as printed: three groups of four (ABCD-EFGH-JKLM)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(typed: str) -> str | None:
    """What someone typed (spaces, dashes, lower case, O for 0…) as a stored code, or None."""
    cleaned = re.sub(r"[\s\-–.]", "", typed or "").upper()
    # Readers take base32's letters for digits they resemble; those digits are never in a code.
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    if len(cleaned) != CODE_LENGTH or any(c not in _CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def has_ended(session: Session, expedition: Expedition, today: date) -> bool:
    """After the Abschluss: the last day is past, or the closing meeting was held and finished."""
    if today > expedition_end(expedition):
        return True
    closing = session.scalar(
        select(Meeting.id).where(
            Meeting.expedition_id == expedition.id,
            Meeting.kind == "closing",
            Meeting.status == "finished",
        )
    )
    return closing is not None


@dataclass(frozen=True)
class Candidate:
    """A participant on the facilitator's page: attendance now, and their certificates."""

    membership: Membership
    attendance: AttendanceCount
    valid: Certificate | None
    revoked: list[Certificate]


def candidates(session: Session, expedition: Expedition) -> list[Candidate]:
    """Every participant with attendance and certificates, by name (three queries)."""
    participants = [m for m in members(session, expedition) if m.is_participant]
    counts = attendance_counts(session, [expedition.id])
    issued: dict[int, list[Certificate]] = {}
    for certificate in session.scalars(
        select(Certificate)
        .where(Certificate.expedition_id == expedition.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ):
        issued.setdefault(certificate.user_id, []).append(certificate)
    answer = []
    for membership in participants:
        own = issued.get(membership.user_id, [])
        answer.append(
            Candidate(
                membership=membership,
                attendance=counts.get(
                    (expedition.id, membership.user_id), AttendanceCount(0, 0, 0)
                ),
                valid=next((c for c in own if c.is_valid), None),
                revoked=[c for c in own if not c.is_valid],
            )
        )
    return answer


def default_minutes(attendance: AttendanceCount) -> int:
    """Suggested length per meeting: the average planned length of the held ones, in quarters."""
    if not attendance.held:
        return 90
    average = attendance.minutes_held / attendance.held
    steps = max(1, round(average / MINUTES_STEP))
    return min(MINUTES_MAX, steps * MINUTES_STEP)


def parse_hours(text: str) -> int:
    """ "1,5" or "1.5" or "1:30" hours as minutes; a clear error otherwise."""
    text = (text or "").strip().replace(" ", "")
    try:
        if ":" in text:
            hours, minutes = text.split(":", 1)
            total = int(hours or 0) * 60 + int(minutes)
        else:
            total = round(float(text.replace(",", ".")) * 60)
    except (ValueError, OverflowError):  # OverflowError: "1E307" or "inf" hours
        raise CertificateError(
            _l("Please give the hours per meeting as a number, for example 1,5."), "hours"
        ) from None
    if not MINUTES_MIN <= total <= MINUTES_MAX or total % MINUTES_STEP:
        raise CertificateError(
            _l("Please give between 0,25 and 8 hours per meeting, in quarter hours (e.g. 1,5)."),
            "hours",
        )
    return total


def issue(
    session: Session,
    expedition: Expedition,
    facilitator: User,
    user_ids: list[int],
    minutes_per_meeting: int,
    today: date,
    issuer: str,
) -> list[Certificate]:
    """Issue a certificate to each named participant who has none that is valid.

    Refused before the Abschluss, for someone who is not a participant, and for someone who
    attended no meeting. Someone who already holds a valid one is left as they are (revoke first
    to issue anew); the unique constraint settles two facilitators issuing at the same moment.
    """
    if not has_ended(session, expedition, today):
        raise CertificateError(
            _l("Certificates can be issued after the Abschluss, once the expedition has ended.")
        )
    if not user_ids:
        raise CertificateError(_l("Please choose at least one participant."))
    by_user = {c.membership.user_id: c for c in candidates(session, expedition)}
    made = []
    for user_id in user_ids:
        candidate = by_user.get(user_id)
        if candidate is None:
            raise CertificateError(_l("Please choose participants of this expedition."))
        if candidate.valid is not None:
            continue
        if candidate.attendance.attended == 0:
            raise CertificateError(
                _l(
                    "%(name)s attended no meeting, so there is no attendance to certify.",
                    name=candidate.membership.user.name,
                )
            )
        certificate = Certificate(
            code=new_code(),
            expedition_id=expedition.id,
            user_id=user_id,
            valid_slot=1,
            holder_name=candidate.membership.user.name,
            expedition_title=expedition.title,
            issuer=issuer,
            facilitator_name=facilitator.name,
            issued_by_id=facilitator.id,
            start_date=expedition.start_date,
            end_date=expedition_end(expedition),
            meetings_held=candidate.attendance.held,
            meetings_attended=candidate.attendance.attended,
            minutes_per_meeting=minutes_per_meeting,
        )
        try:
            with session.begin_nested():
                session.add(certificate)
                session.flush()
        except IntegrityError:
            continue  # issued by someone else a moment ago: that one stands
        made.append(certificate)
    return made


def revoke(session: Session, certificate: Certificate, by: User) -> bool:
    """Revoke a valid certificate; the record stays. False when it was revoked already."""
    changed = session.execute(
        update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=by.id, valid_slot=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(certificate)
    return bool(changed)


def by_code(session: Session, code: str) -> Certificate | None:
    """The certificate with this code (typed in any form), or None."""
    normal = normalise_code(code)
    if normal is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == normal))


def certificate_in(session: Session, expedition_id: int, certificate_id: int) -> Certificate | None:
    """A certificate of this expedition, or None."""
    return session.scalar(
        select(Certificate).where(
            Certificate.id == certificate_id, Certificate.expedition_id == expedition_id
        )
    )


def certificates_of(session: Session, expedition_id: int, user_id: int) -> list[Certificate]:
    """A person's certificates in one expedition, newest first."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.expedition_id == expedition_id, Certificate.user_id == user_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
    )


def certified_members(session: Session, expedition_ids: list[int]) -> set[tuple[int, int]]:
    """(expedition id, user id) of everyone holding a valid certificate (completion evidence)."""
    if not expedition_ids:
        return set()
    return {
        (e, u)
        for e, u in session.execute(
            select(Certificate.expedition_id, Certificate.user_id).where(
                Certificate.expedition_id.in_(expedition_ids), Certificate.revoked_at.is_(None)
            )
        )
    }


def format_hours(minutes: int, locale: str) -> str:
    """Hours with a decimal comma in German (1,5), a point in English (1.5)."""
    hours = minutes / 60
    text = f"{hours:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if locale.startswith("de") else text


def export_rows(session: Session, user_id: int) -> list[dict]:
    """The person's certificates for their data export: what their certificate page shows."""
    return [
        {
            "code": format_code(c.code),
            "expedition_id": c.expedition_id,
            "expedition_title": c.expedition_title,
            "holder_name": c.holder_name,
            "issuer": c.issuer,
            "facilitator_name": c.facilitator_name,
            "start_date": iso(c.start_date),
            "end_date": iso(c.end_date),
            "meetings_held": c.meetings_held,
            "meetings_attended": c.meetings_attended,
            "minutes_per_meeting": c.minutes_per_meeting,
            "total_minutes": c.total_minutes,
            "issued_at": iso(c.issued_at),
            "revoked_at": iso(c.revoked_at),
        }
        for c in session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user_id)
            .order_by(Certificate.issued_at, Certificate.id)
        )
    ]
