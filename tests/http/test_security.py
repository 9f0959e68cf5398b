"""Headers, cookies, CSRF, body limit, error pages in both languages, 500 rollback, 503 in a
database outage, health check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import abort, url_for
from sqlalchemy import create_engine, func, select, text

from alex.auth.models import User
from alex.extensions import db
from tests.support.accounts import csrf_token, login

ROOT = Path(__file__).resolve().parents[2]


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


@pytest.mark.parametrize(
    "path",
    ["/login", "/register", "/", "/healthz", "/no-such-page", "/account"],
)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    response.close()  # static files are streamed from an open file
    csp = _directives(response)
    script = csp.get("script-src", csp["default-src"])
    assert "unsafe-inline" not in script and "unsafe-eval" not in script
    assert "unsafe-inline" not in csp.get("style-src", "")
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", ["/static/css/app.css", "/manifest.webmanifest"])
def test_static_files_carry_nosniff_but_no_document_policies(client, path):
    """CSP and friends only act on documents; on CSS/JS they would only cost first-visit bytes."""
    response = client.get(path)
    response.close()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers
    assert "Permissions-Policy" not in response.headers


def test_the_service_worker_runs_under_the_content_security_policy(client):
    """A worker's policy comes from its own response, so /sw.js keeps it."""
    response = client.get("/sw.js")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_versioned_static_files_are_cached_for_a_year_without_revalidation(app, client):
    """?v= is the content hash: browsers keep the file and never ask again; without ?v= they ask."""
    from alex.web import static_url

    with app.test_request_context():
        url = static_url("css/app.css")
    assert "?v=" in url
    response = client.get(url)
    response.close()
    cache = response.headers["Cache-Control"]
    assert "immutable" in cache and "max-age=31536000" in cache and "public" in cache
    assert "no-cache" not in cache
    assert "Content-Disposition" not in response.headers
    assert "ETag" not in response.headers  # never asked for again: no bytes for revalidation
    plain = client.get("/static/css/app.css")
    plain.close()
    assert "immutable" not in plain.headers.get("Cache-Control", "")


def test_pages_are_private_and_vary_on_htmx(actor):
    response = actor().get("/")
    assert "private" in response.headers["Cache-Control"]
    assert "HX-Request" in response.headers["Vary"]


def _export_paths(app, expedition_id: int, meeting_id: int) -> list[str]:
    """Every GET address of the exports area (reports, downloads, account export), from the URL map."""
    ids = {"expedition_id": expedition_id, "meeting_id": meeting_id}
    with app.test_request_context():
        return sorted(
            url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
            for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("exports.") and "GET" in (rule.methods or ())
        )


def test_exports_are_never_stored(app, world, actor):
    """Lernbericht, summary and the data export hold everything personal: no cache keeps them."""
    mona = world.user("Mona Moderation")
    expedition = world.expedition(mona)
    facilitator = actor(mona)
    from alex.db import utcnow
    from alex.meetings.models import Meeting

    with app.app_context():
        meeting = Meeting(expedition_id=expedition.id, starts_at=utcnow())
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
    paths = _export_paths(app, expedition.id, meeting_id)
    assert {"/account/export.json", f"/expeditions/{expedition.id}/report.pdf"} <= set(paths)
    for path in paths:
        response = facilitator.get(path)
        assert response.status_code == 200, path
        cache = _directives_of(response.headers["Cache-Control"])
        assert "no-store" in cache, f"{path}: Cache-Control {response.headers['Cache-Control']}"
        assert "private" in cache and "public" not in cache, path


def _directives_of(header: str) -> set[str]:
    return {part.strip().split("=")[0] for part in header.split(",")}


def test_no_inline_scripts_or_styles_in_templates():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        # Data blocks (type="application/json") are never executed; anything else needs src.
        assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", text), (
            template
        )
        assert not re.search(r"\sstyle=", text), template
        assert not re.search(r"\son[a-z]+=", text), template  # no inline event handlers


def _set_cookie(response, name: str) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set")


def test_cookies_httponly_samesite_lax(client, world):
    world.user("Ada Lorenz", "ada@example.org")
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "email": "ada@example.org",
            "password": "correct horse battery staple",
            "remember": "y",
            "csrf_token": token,
        },
    )
    for name in ("session", "remember_token"):
        cookie = _set_cookie(response, name)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie


def test_cookies_secure_and_hsts_with_https(make_app):
    app = make_app(HTTPS=True)
    response = app.test_client().get("/login", base_url="https://localhost")
    cookie = _set_cookie(response, "session")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_post_without_csrf_token_is_refused(app, client, world):
    world.user("Ada Lorenz", "ada@example.org")
    response = client.post(
        "/login", data={"email": "ada@example.org", "password": "correct horse battery staple"}
    )
    assert response.status_code == 400
    assert "Lade die Seite neu" in response.get_data(as_text=True)
    wrong = client.post("/login", data={"email": "x@example.org", "csrf_token": "forged"})
    assert wrong.status_code == 400


def test_csrf_token_in_htmx_header_is_accepted(app, world):
    world.user("Ada Lorenz", "ada@example.org")
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": "ada@example.org", "password": "correct horse battery staple"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 302


@pytest.mark.parametrize("htmx", [False, True])
def test_request_body_over_the_limit_is_413(client, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.post(
        "/login", data={"email": "a" * (2 * 1024 * 1024), "password": "x"}, headers=headers
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Zu groß" in html
    assert ("<html" in html) is not htmx


# --- error pages ---------------------------------------------------------------------------

ERROR_TITLES = {
    400: ("Ungültige Anfrage", "Bad request"),
    403: ("Nicht erlaubt", "Not allowed"),
    404: ("Nicht gefunden", "Not found"),
    405: ("Hier nicht möglich", "Not possible here"),
    409: ("Inzwischen geändert", "Changed in the meantime"),
    413: ("Zu groß", "Too large"),
    422: ("Bitte prüfe deine Eingaben", "Please check your input"),
    429: ("Zu viele Versuche", "Too many attempts"),
    500: ("Da ist etwas schiefgegangen", "Something went wrong"),
}


@pytest.fixture
def error_app(make_app):
    """An app with test-only routes that fail in each way."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/_test/abort/<int:code>")
    def fail_with(code: int):
        abort(code)

    @app.get("/_test/crash")
    def crash():
        db.session.add(User(email="ghost@example.org", name="Ghost", password_hash="x"))
        db.session.flush()  # the row is written inside the transaction…
        raise RuntimeError("boom")  # …and must not survive the failure

    return app


@pytest.mark.parametrize("code", sorted(ERROR_TITLES))
@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_error_pages(error_app, code, language, htmx):
    headers = {"Accept-Language": language}
    if htmx:
        headers["HX-Request"] = "true"
    path = "/_test/crash" if code == 500 else f"/_test/abort/{code}"
    response = error_app.test_client().get(path, headers=headers)
    assert response.status_code == code
    html = response.get_data(as_text=True)
    title = ERROR_TITLES[code][0 if language == "de" else 1]
    assert title in html
    if htmx:
        assert html.lstrip().startswith(f'<section class="error-panel" id="error-{code}"')
    else:
        assert f'<html lang="{language}">' in html and "<h1>" in html
        assert "Content-Security-Policy" in response.headers


# Statuses outside the table keep their code: a client (or a person) learns what really happened.
OTHER_STATUSES = {
    401: ("Anmeldung nötig", "Login needed"),
    406: ("Nicht lieferbar", "Not available in this form"),
    410: ("Nicht mehr da", "Gone"),
    415: ("Format nicht unterstützt", "Format not supported"),
    418: ("Ungültige Anfrage", "Bad request"),
    501: ("Nicht verfügbar", "Not available"),
}


@pytest.mark.parametrize("code", sorted(OTHER_STATUSES))
@pytest.mark.parametrize("language", ["de", "en"])
def test_statuses_outside_the_table_keep_their_code(error_app, code, language):
    response = error_app.test_client().get(
        f"/_test/abort/{code}", headers={"Accept-Language": language}
    )
    assert response.status_code == code, f"{code} answered as {response.status_code}"
    title = OTHER_STATUSES[code][0 if language == "de" else 1]
    assert title in response.get_data(as_text=True)


def _expedition_with_peer_card(app, world):
    from alex.boards.models import Card

    mona = world.user("Mona Moderation")
    ada = world.user("Ada Lorenz")
    ben = world.user("Ben Okafor")
    expedition = world.expedition(mona, participates=False)
    world.join(expedition, ada)
    world.join(expedition, ben)
    with app.app_context():
        card = Card(expedition_id=expedition.id, owner_id=ada.id, title="Ada", column="sprint")
        db.session.add(card)
        db.session.commit()
        return expedition.id, card.id, mona, ben


FACILITATOR_ONLY = "Das kann nur die Moderation der Expedition."


def test_a_403_says_what_is_refused(app, world, actor):
    expedition_id, card_id, mona, ben = _expedition_with_peer_card(app, world)
    peer = actor(ben)
    # A peer's card: visible, but not the peer's to change.
    response = peer.post(f"/expeditions/{expedition_id}/cards/{card_id}/delete")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert FACILITATOR_ONLY not in html, "a peer's card is refused as if it were the facilitator's"
    assert "Nur wer die Karte angelegt hat, kann sie ändern." in html
    # A facilitator-only page still says so.
    response = peer.get(f"/expeditions/{expedition_id}/settings")
    assert response.status_code == 403
    assert FACILITATOR_ONLY in response.get_data(as_text=True)
    # In English, and as an HTMX fragment.
    response = peer.post(
        f"/expeditions/{expedition_id}/cards/{card_id}/delete",
        htmx=True,
        headers={"Accept-Language": "en"},
    )
    assert "Only the person who created the card can change it." in response.get_data(as_text=True)


def test_a_plain_403_does_not_blame_the_facilitator_role(error_app):
    response = error_app.test_client().get("/_test/abort/403")
    assert response.status_code == 403
    assert FACILITATOR_ONLY not in response.get_data(as_text=True)


def test_405_names_the_allowed_methods(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


def test_500_rolls_back_the_transaction(error_app):
    client = error_app.test_client()
    assert client.get("/_test/crash").status_code == 500
    with error_app.app_context():
        count = db.session.scalar(select(func.count()).select_from(User))
        assert count == 0
    # The connection is healthy for the next request.
    assert client.get("/healthz").status_code == 200


# --- health --------------------------------------------------------------------------------


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_503_when_database_is_unreachable(make_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'nowhere.sqlite3'}"
    app = make_app(DATABASE_URL=url)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] != "ok"


@pytest.fixture
def outage_app(make_app, tmp_path):
    """An app whose database cannot be opened: every query raises OperationalError."""
    return make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'missing-dir' / 'nowhere.sqlite3'}")


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_database_outage_gives_503_not_500(outage_app, language, htmx):
    headers = {"Accept-Language": language}
    if htmx:
        headers["HX-Request"] = "true"
    response = outage_app.test_client().get("/invite/some-token", headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    html = response.get_data(as_text=True)
    title, advice = {
        "de": ("Vorübergehend nicht erreichbar", "Bitte versuche es in ein paar Augenblicken"),
        "en": ("Temporarily unavailable", "Please try again in a few moments"),
    }[language]
    assert title in html and advice in html
    if htmx:
        assert html.lstrip().startswith('<section class="error-panel" id="error-503"')
    else:
        assert f'<html lang="{language}">' in html and "<h1>" in html


def test_database_outage_answers_a_logged_in_user_and_a_form_post_with_503(app, outage_app, world):
    world.user("Ada Lorenz", "ada@example.org")
    client = app.test_client()
    login(client, "ada@example.org")
    cookie = client.get_cookie("session").value
    # The same browser, while the database is away: loading the user fails first.
    during = outage_app.test_client()
    during.set_cookie("session", cookie)
    response = during.get("/account")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Vorübergehend nicht erreichbar" in html
    assert "Ada Lorenz" not in html  # the page asks nothing of the database
    # Nobody is logged out by an outage: afterwards the browser's cookie still works.
    after = app.test_client()
    after.set_cookie("session", during.get_cookie("session").value)
    assert after.get("/account").status_code == 200

    anonymous = outage_app.test_client()
    token = csrf_token(anonymous)
    posted = anonymous.post(
        "/login", data={"email": "ada@example.org", "password": "x", "csrf_token": token}
    )
    assert posted.status_code == 503


def test_connection_lost_after_the_answer_was_built_still_answers_and_recovers(
    make_app, app_config, world
):
    """The database drops the connection between a request's last statement and its end.

    Found by the outage test: the session teardown's ROLLBACK raised, and gunicorn turned the
    finished 200 into a 500. PostgreSQL only: SQLite has no server that can drop a connection.
    """
    if not app_config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("needs a database server that can end a connection (PostgreSQL)")
    application = make_app()
    world.user("Ada Lorenz", "ada@example.org")
    admin = create_engine(app_config["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    dropped: list[int] = []

    @application.after_request
    def drop_this_connection(response):
        if response.status_code == 200 and not dropped:
            pid = db.session.scalar(text("SELECT pg_backend_pid()"))
            with admin.connect() as connection:
                connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            dropped.append(pid)
        return response

    client = application.test_client()
    login(client, "ada@example.org")
    try:
        response = client.get("/account")
        assert dropped, "the hook did not run"
        assert response.status_code == 200
        assert "Ada Lorenz" in response.get_data(as_text=True)
        # The pool discarded the dead connection: the next request gets a live one.
        assert client.get("/account").status_code == 200
    finally:
        admin.dispose()


def test_login_page_works_without_javascript_essentials(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'action="/login"' in html and 'method="post"' in html
    assert 'name="email"' in html and 'name="password"' in html
    assert re.search(r'src="/static/vendor/htmx-2\.0\.\d+/htmx\.min\.js', html)


def test_logged_out_header_has_no_account_links(client, world):
    world.user("Ada Lorenz", "ada@example.org")
    html = client.get("/login").get_data(as_text=True)
    assert "Abmelden" not in html
    login(client, "ada@example.org")
    assert "Abmelden" in client.get("/").get_data(as_text=True)
