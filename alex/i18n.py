"""Languages: German first, English complete; one message catalog per area.

Each area keeps its own catalog in alex/<area>/translations (the core's in alex/translations), so
areas grow without touching each other's files. Flask-Babel merges them at run time.

    python -m alex.i18n update    extract every area's messages and update its de/en catalogs
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from alex.extensions import babel

LOCALES = ("de", "en")
K = TypeVar("K")
PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
# Areas with their own catalog. The core ("") owns alex/*.py and the shared templates.
AREAS = (
    "",
    "auth",
    "expeditions",
    "boards",
    "meetings",
    "progress",
    "exports",
    "pwa",
    "twofactor",
    "reach",
    "push",
    "imports",
    "api",
    "sso",
    "webhooks",
    "openings",
    "follow_up",
    "operator",
    # Optional areas of the training department.
    "certificates",
    "figures",
)
SHARED_TEMPLATE_DIRS = (
    "templates/components",
    "templates/errors",
    "templates/pages",
    "templates/mail",  # mails: .html and .txt (alex/mail.py)
)


def catalog_dir(area: str) -> Path:
    """Where an area's translations live."""
    return PACKAGE / area / "translations" if area else PACKAGE / "translations"


# The cookie-session key of a language chosen before logging in (the switch on the login page).
LANGUAGE_KEY = "lang"


def select_locale() -> str:
    """The user's setting, then a language chosen on the login page, the browser's, German."""
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    if request and session.get(LANGUAGE_KEY) in LOCALES:
        return session[LANGUAGE_KEY]
    chosen = request.accept_languages.best_match(LOCALES) if request else None
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]


# (id of a constant table, language) → its texts translated: built once per process and language.
_translated_tables: dict[tuple[int, str], dict] = {}


def translated_table(table: Mapping[K, Any]) -> dict[K, Any]:
    """A constant table of lazy strings (or lists of them), in the request's language.

    Translated once per process and language: every lazy string looks up the request's catalog
    anew each time it is shown, and a run-sheet shows the same names many times. Only for
    module-level constants (the cache is keyed by the table's identity).
    """
    key = (id(table), str(get_locale()))
    texts = _translated_tables.get(key)
    if texts is None:
        texts = _translated_tables[key] = {
            name: [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
            for name, value in table.items()
        }
    return texts


def select_timezone() -> str:
    """Dates are shown in Berlin time unless an expedition says otherwise."""
    return current_app.config["ALEX_DEFAULT_TIMEZONE"]


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with every area's catalog directory."""
    directories = [str(catalog_dir(area)) for area in AREAS]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    app.context_processor(template_translations)
    app.jinja_env.globals["current_language"] = lambda: str(get_locale())


def template_translations() -> dict:
    """gettext and ngettext bound to this request's catalog, once per render.

    Flask-Babel's callables look up the request context, the domain and the locale again for
    every string; a page has about a hundred strings, so that lookup dominated render time.
    These behave as Jinja's newstyle gettext: always %-formatted, escaped under autoescape.
    """
    translations = get_translations()
    lookup, plural_lookup = translations.ugettext, translations.ungettext

    @pass_eval_context
    def gettext(eval_ctx, string: str, /, **variables) -> str:
        text = lookup(string)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        text = plural_lookup(singular, plural, num)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    return {
        "gettext": gettext,
        "ngettext": ngettext,
        "current_locale": str(get_locale() or "de"),
    }


def _sources(area: str) -> list[tuple[Path, str]]:
    """(directory, method-mapping) pairs whose messages belong to an area's catalog."""
    if area:
        return [(PACKAGE / area, "python"), (ROOT / "templates" / area, "jinja2")]
    return (
        [(PACKAGE, "python-top")]
        + [(ROOT / d, "jinja2") for d in SHARED_TEMPLATE_DIRS]
        + [(ROOT / "templates", "jinja2-top")]
    )


def extract_messages(area: str) -> set[str]:
    """Every msgid used by an area's code and templates."""
    found: set[str] = set()
    for directory, method in _sources(area):
        if not directory.is_dir():
            continue
        if method == "python-top":
            mapping = [("*.py", "python")]
        elif method == "jinja2-top":
            mapping = [("*.html", "jinja2")]
        elif method == "python":
            mapping = [("**.py", "python")]
        else:
            mapping = [("**.html", "jinja2"), ("**.txt", "jinja2")]
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(directory),
            method_map=mapping,
            options_map={
                "**.html": {"extensions": "jinja2.ext.do"},
                "**.txt": {"extensions": "jinja2.ext.do"},
            },
            keywords={
                "_": None,
                "gettext": None,
                "_l": None,
                "lazy_gettext": None,
                "ngettext": (1, 2),
                "_n": (1, 2),
                "lazy_ngettext": (1, 2),
            },
        ):
            if method.endswith("-top") and "/" in filename:
                continue  # the core only owns top-level files; areas own their folders
            msgid = message[0] if isinstance(message, tuple) else message  # plural: the singular
            if msgid:
                found.add(msgid)
    return found


def compile_catalogs() -> list[Path]:
    """Compile every .po to .mo (the .mo files are build output, not in git)."""
    written = []
    for area in AREAS:
        for locale in LOCALES:
            po_path = catalog_dir(area) / locale / "LC_MESSAGES" / "messages.po"
            if not po_path.exists():
                continue
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            with mo_path.open("wb") as handle:
                write_mo(handle, catalog)
            written.append(mo_path)
    return written


def update_catalogs() -> None:
    """Extract each area's messages into its .pot and merge them into its de and en catalogs."""
    cli = CommandLineInterface()
    for area in AREAS:
        directory = catalog_dir(area)
        directory.mkdir(parents=True, exist_ok=True)
        pot = directory / "messages.pot"
        cfg = directory / "babel.cfg"
        paths = [str(p) for p, _ in _sources(area) if p.is_dir()]
        if area:
            cfg.write_text(
                "[python: **.py]\n[jinja2: **.html]\nextensions = jinja2.ext.do\n"
                "[jinja2: **.txt]\nextensions = jinja2.ext.do\n"
            )
        else:
            cfg.write_text(
                "[python: alex/*.py]\n"
                + "".join(
                    f"[jinja2: {pattern}]\nextensions = jinja2.ext.do\n"
                    for pattern in (
                        "templates/*.html",
                        "templates/components/*.html",
                        "templates/errors/*.html",
                        "templates/pages/*.html",
                        "templates/mail/**.html",
                        "templates/mail/**.txt",
                    )
                )
            )
            paths = [str(ROOT)]
        cli.run(
            [
                "pybabel",
                "-q",
                "extract",
                "-F",
                str(cfg),
                "-k",
                "_l",
                "-k",
                "_n:1,2",
                "-k",
                "lazy_ngettext:1,2",
                "--no-location",
                "--sort-output",
                "-o",
                str(pot),
                *paths,
            ]
        )
        cfg.unlink()
        for locale in LOCALES:
            po = directory / locale / "LC_MESSAGES" / "messages.po"
            action = "update" if po.exists() else "init"
            cli.run(
                [
                    "pybabel",
                    "-q",
                    action,
                    "-i",
                    str(pot),
                    "-d",
                    str(directory),
                    "-l",
                    locale,
                    *(["--no-fuzzy-matching", "--ignore-obsolete"] if action == "update" else []),
                ]
            )


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update_catalogs()
    else:
        print(__doc__)
