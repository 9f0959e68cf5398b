"""gunicorn's access log without the secrets some URLs carry (calendar feeds, invites, reset links).

A calendar-feed or invite token in a log line is as good as the link itself for whoever reads
the log or its backup. `deploy/gunicorn.conf.py` names this logger class; the log format stays
the operator's choice, every URL-bearing field is redacted.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# Path segments that are keys, and query parameters that carry one.
_SECRETS = (
    (re.compile(r"(/calendar/)[^/?#\s]+(\.ics)"), rf"\g<1>{REDACTED}\g<2>"),
    (re.compile(r"(/invite/)[^/?#\s]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"([?&](?:token|code|key)=)[^&#\s]*", re.IGNORECASE), rf"\g<1>{REDACTED}"),
)
# The atoms that hold a URL: request line, path, query, referrer (also as header and environ).
_URL_ATOMS = (
    "r",
    "U",
    "q",
    "f",
    "{referer}i",
    "{raw_uri}e",
    "{path_info}e",
    "{query_string}e",
    "{request_uri}e",
    "{http_referer}e",
)


def redact(text: str) -> str:
    """The text with every token in a URL replaced by [redacted]."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactingLogger(Logger):
    """gunicorn's logger; access-log lines carry no token."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in _URL_ATOMS:
            value = atoms.get(name)
            if isinstance(value, str):
                atoms[name] = redact(value)
        return atoms
