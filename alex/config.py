"""Configuration: defaults, then ALEX_* environment variables, then the mapping given to create_app."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

# Every setting an operator may change, with its default. The README lists them all.
DEFAULTS: dict[str, Any] = {
    "ENV": "development",  # "production" refuses the demo seed and requires a real SECRET_KEY
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # default: sqlite:///instance/alex.sqlite3
    "OPEN_REGISTRATION": True,
    "HTTPS": False,  # sets the Secure flag on cookies and HSTS
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_KEY_PREFIX": "alex",  # separates installations that share one Redis
    "LOGIN_RATE_LIMIT": "10 per minute",
    "LOCKOUT_THRESHOLD": 5,  # failed passwords (or codes) in a row before each try must wait
    "LOGIN_DELAY_FIRST_SECONDS": 1,  # the first wait between password tries; it doubles …
    "LOGIN_DELAY_MAX_SECONDS": 900,  # … up to this
    "CODE_DELAY_FIRST_SECONDS": 60,  # the same for second-factor codes (6 digits: slower)
    "CODE_DELAY_MAX_SECONDS": 86400,
    # Password and code checks on the account pages, per address and per account.
    "ACCOUNT_CHECK_RATE_LIMIT": "5 per 10 minutes",
    "SESSION_IDLE_HOURS": 12,  # a login session unused this long ends on the server
    "SESSION_MAX_DAYS": 30,  # every login session ends this long after login ("stay logged in" too)
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # bytes; larger request bodies get 413
    "DEFAULT_LOCALE": "de",
    "DEFAULT_TIMEZONE": "Europe/Berlin",
    "PROXY_FIX": 0,  # number of trusted proxies in front (X-Forwarded-*)
    # /.well-known/security.txt: who hears about vulnerabilities in this installation.
    "SECURITY_CONTACT": "mailto:security@example.org",
    "SECURITY_POLICY_URL": "",  # e.g. the SECURITY.md of the code this installation runs
    "OPERATOR": "",  # who runs this instance (named on the privacy and accessibility pages)
    "CONTACT_EMAIL": "",  # where people send accessibility feedback and privacy requests
    # The organisation named as issuer on certificates of attendance (default: OPERATOR).
    "CERTIFICATE_ISSUER": "",
    # Looking up verification codes on /verify, per IP address (more: 429).
    "VERIFY_RATE_LIMIT": "20 per minute",
    # No reminder and no digest in these hours (each expedition's time zone), nor at weekends.
    "QUIET_HOURS": "19:00-07:30",
    "QUIET_WEEKENDS": True,
    # Mail and the task queue (README, "Betrieb"; alex/mail.py, alex/tasks.py, alex/outbox.py).
    "BASE_URL": "",  # how links in mails start, e.g. https://alex.example.org (required to send)
    "SMTP_URL": "",  # smtp://, smtp+starttls://user:pw@host:587, smtps://…; empty: .eml files
    "MAIL_FROM": "",  # e.g. "ALEx <alex@example.org>"
    "REDIS_URL": "",  # redis://127.0.0.1:6379/0: the queue in Redis (several servers); else SQLite
    "QUEUE_NAME": "alex",  # separates installations (or test runs) that share one Redis
    "QUEUE_PATH": "",  # the SQLite queue's file (default: beside the SQLite database / instance/)
    "OUTBOX_LEASE_SECONDS": 300,  # a message claimed this long by a dead consumer is tried again
    "QUEUE_STALE_SECONDS": 300,  # /healthz/queue answers 503 when the consumer was silent longer
    "RESET_RATE_LIMIT": "30 per hour",  # password-reset requests per IP (an office behind one proxy)
    # Reset mails per address; beyond it the same answer, but no mail (no 429: it told nothing
    # and would block a colleague's recovery).
    "RESET_ADDRESS_LIMIT": "5 per hour",
    "INVITE_MAIL_LIMIT": 30,  # addresses per invitation form
    "INVITE_MAIL_DAILY_LIMIT": 100,  # invitation mails one facilitator may send per day
    # Web Push (alex/push/vapid.py): empty means instance/vapid.json from `alex vapid-keys`.
    "VAPID_PRIVATE_KEY": "",
    "VAPID_PUBLIC_KEY": "",
    "VAPID_KEY_FILE": "",  # where `alex vapid-keys` keeps them; default instance/vapid.json
    "VAPID_SUBJECT": "",  # mailto:/https: contact for push services; default: CONTACT_EMAIL
    # Import into my board (alex/imports): the largest export file, and the most cards at once.
    # Only the upload route takes a body this large; MAX_CONTENT_LENGTH holds for all others.
    "IMPORT_MAX_BYTES": 2 * 1024 * 1024,
    "IMPORT_MAX_CARDS": 2000,
    "IMPORT_FOLDER": "",  # where pending import previews wait (an hour at most); default instance/imports
    # The read-only API (alex/api): requests per token (or per address without one), and how
    # many working personal access tokens one person may have.
    "API_RATE_LIMIT": "60 per minute",
    "API_TOKENS_PER_PERSON": 10,
    # Single sign-on with OpenID Connect (alex/sso; README, "Single Sign-on (OIDC)"). Empty issuer:
    # no SSO. Discovery reads ISSUER + /.well-known/openid-configuration.
    "OIDC_ISSUER": "",  # e.g. https://id.example.org/realms/verwaltung
    "OIDC_CLIENT_ID": "",
    "OIDC_CLIENT_SECRET": "",
    "OIDC_NAME": "",  # the provider's name on the login button's page, e.g. "Behörden-Konto"
    "OIDC_SCOPES": "openid email profile",  # add e.g. "groups" if the role claim needs a scope
    "OIDC_TIMEOUT_SECONDS": 10,  # per request to the provider (discovery, keys, token, userinfo)
    # A claim (e.g. "groups") whose values grant instance roles at every SSO login, and take away
    # again what the claim granted before; empty: the claim is not read.
    "OIDC_ROLE_CLAIM": "",
    "OIDC_OPERATOR_VALUE": "",  # e.g. "alex-betrieb": role "Betrieb" (User.is_operator)
    "OIDC_CREATOR_VALUE": "",  # e.g. "alex-expeditionen": may create expeditions
    "OIDC_TRAINING_OFFICE_VALUE": "",  # e.g. "alex-bildung": role "Bildung"
    # 0: with SSO configured, only operators ("Betrieb") may still log in with a password (their
    # way in when the identity provider fails; `alex reset-link` gives them one); no sign-up form.
    "LOCAL_LOGIN": True,
    # Webhooks (alex/webhooks/): also send to private, loopback and link-local addresses, and
    # plain http:// to them (a bridge inside the office network; the tests' receiver).
    "WEBHOOK_ALLOW_PRIVATE": False,
}

_TRUE = {"1", "true", "yes", "on"}


def _coerce(default: Any, raw: str) -> Any:
    """Read an environment string as the type of its default."""
    if isinstance(default, bool):
        return raw.strip().lower() in _TRUE
    if isinstance(default, int):
        return int(raw)
    return raw


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, ALEX_* environment variables and explicit overrides into Flask config."""
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        raw = os.environ.get(f"ALEX_{key}")
        if raw is not None and raw != "":
            settings[key] = _coerce(default, raw)
    if overrides:
        settings.update({k.removeprefix("ALEX_"): v for k, v in overrides.items()})

    if settings["ENV"] == "production" and settings.get("CHEAP_PASSWORD_HASHING"):
        raise RuntimeError("Cheap password hashing is for the test suite only.")
    if not settings["DATABASE_URL"]:
        Path(instance_path).mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'alex.sqlite3'}"
    if not settings["SECRET_KEY"]:
        if settings["ENV"] == "production":
            raise RuntimeError("ALEX_SECRET_KEY must be set when ALEX_ENV=production.")
        settings["SECRET_KEY"] = _development_secret(instance_path)

    flask_config: dict[str, Any] = {
        "ALEX_" + key: value for key, value in settings.items() if key not in _FLASK_KEYS
    }
    flask_config.update(
        SECRET_KEY=settings["SECRET_KEY"],
        MAX_CONTENT_LENGTH=settings["MAX_CONTENT_LENGTH"],
        SQLALCHEMY_ENGINES={"default": _engine_options(settings["DATABASE_URL"])},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["HTTPS"],
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings["HTTPS"],
        # Never longer than the login session it names (the server ends that one anyway).
        REMEMBER_COOKIE_DURATION=timedelta(days=settings["SESSION_MAX_DAYS"]),
        PREFERRED_URL_SCHEME="https" if settings["HTTPS"] else "http",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session; phones stay open for days
        WTF_CSRF_SSL_STRICT=True,
        # Always explicit: the limiter is one object, and it keeps the last app's setting.
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=settings["RATELIMIT_STORAGE_URI"],
        RATELIMIT_KEY_PREFIX=settings["RATELIMIT_KEY_PREFIX"],
        RATELIMIT_HEADERS_ENABLED=True,
        # Pages compressed where it pays (Flask-Compress): below 1 KB (most HTMX fragments and
        # poll answers) the bytes saved do not make a packet. Brotli at level 5 costs about a
        # millisecond on a board page and saves 5 % over level 4 (level 8 saves nothing more). Static files are served precompressed (alex.static_files).
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_MIMETYPES=[
            "text/html",
            "text/plain",
            "text/markdown",
            "text/calendar",
            "text/javascript",
            "application/javascript",
            "application/json",
            "application/manifest+json",
        ],
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_BR_LEVEL=5,
        COMPRESS_STREAMS=False,
        BABEL_DEFAULT_LOCALE=settings["DEFAULT_LOCALE"],
        BABEL_DEFAULT_TIMEZONE="UTC",
        TESTING=bool(overrides and overrides.get("TESTING")),
    )
    if overrides:
        flask_config.update({k: v for k, v in overrides.items() if k in _PASSTHROUGH})
    return flask_config


# Keys that map onto Flask's own names rather than ALEX_*.
_FLASK_KEYS = {"SECRET_KEY", "MAX_CONTENT_LENGTH"}
# Flask/extension keys a test may set directly.
_PASSTHROUGH = {
    "TESTING",
    "PROPAGATE_EXCEPTIONS",
    "WTF_CSRF_ENABLED",
    "RATELIMIT_ENABLED",
    "SERVER_NAME",
    "SQLALCHEMY_ENGINES",
}


def _engine_options(url: str) -> dict[str, Any]:
    """Engine options per backend: pre-ping for PostgreSQL, a busy timeout for SQLite."""
    if url.startswith("sqlite"):
        return {"url": url, "connect_args": {"timeout": 15}}
    return {
        "url": url,
        "pool_pre_ping": True,
        "pool_size": 5,
        "max_overflow": 5,
        "pool_timeout": 10,
    }


def _development_secret(instance_path: str) -> str:
    """A per-installation secret kept in instance/, so sessions survive restarts in development."""
    path = Path(instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
