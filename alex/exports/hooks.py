"""What the optional areas add to the data rights, registered from their own `init_app`.

The export and the retention purge live in this layer; certificates, API tokens, push devices,
SSO links, Börse requests, follow-up invitations and webhooks live in areas above it, which this
package must not import. Each such area registers a section of the personal export (what it
stores about the person) and, where it keeps things that run out, a purge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session

# The person's rows of one area, JSON-ready (ISO times, never a secret or its hash).
ExportSection = Callable[[Session, int], list[dict]]
# Delete what ran out (expired, used) before the cutoff; returns how many rows went.
Purge = Callable[[Session, datetime], int]


@dataclass
class DataRightsHooks:
    """The registrations of one app: export key → section, purge name → purge."""

    sections: dict[str, ExportSection] = field(default_factory=dict)
    purges: dict[str, Purge] = field(default_factory=dict)


_KEY = "alex.exports"


def hooks(app: Flask | None = None) -> DataRightsHooks:
    """The registry of this (or the current) app, made on first use."""
    return (app or current_app).extensions.setdefault(_KEY, DataRightsHooks())


def register_export_section(app: Flask, key: str, build: ExportSection) -> None:
    """Put `build(session, user_id)` into the personal export under `key` (in the JSON Schema)."""
    hooks(app).sections[key] = build


def register_purge(app: Flask, name: str, purge: Purge) -> None:
    """Have the daily retention purge call `purge(session, cutoff)`; `name` is what it prints."""
    hooks(app).purges[name] = purge


def iso(value: datetime | date | None) -> str | None:
    """A time or date as the export writes it (ISO 8601, UTC for times), None as null."""
    return value.isoformat() if value else None
