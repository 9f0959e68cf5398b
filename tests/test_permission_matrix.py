"""Every route of the URL map × every kind of visitor, against a table that must name each route.

A new route without a row here makes `test_every_route_has_a_row` fail: add one line to the
area's dict below (copy a neighbour). Visitors:
- anonymous: not logged in
- outsider: logged in, facilitator of *another* expedition (guesses ids)
- member: participant of the expedition, not the owner of the thing the URL names
- owner: participant who owns the thing the URL names (their board, card, check-in …)
- facilitator: runs the expedition (does not own the participant's things)
- operator: runs the instance ("Betrieb"), member of no expedition. Sees no expedition content:
  unless a row says otherwise, the operator is answered like the outsider.

Expected answers: OK (allowed: anything but 401/403/404/405/5xx), LOGIN (redirect to the login
page), or a status code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Flask

from tests.support.scene import (
    VISITORS,
    Scene,
    build_scene,
    client_for,
    fast_hashes,
    rules,
    token_for,
)

OK, LOGIN = "ok", "login"
DENIED = {401, 403, 404, 405}


def expect(anonymous, outsider, member, owner, facilitator, operator=None) -> dict[str, str | int]:
    """Answers per visitor; the operator defaults to the outsider's (no content for the instance's
    operator who is not a member)."""
    answers = (
        anonymous,
        outsider,
        member,
        owner,
        facilitator,
        outsider if operator is None else operator,
    )
    return dict(zip(VISITORS, answers, strict=True))


# The usual shapes; a row may also spell its own with expect(...).
PUBLIC = expect(OK, OK, OK, OK, OK)
LOGGED_IN = expect(LOGIN, OK, OK, OK, OK)
MEMBERS = expect(LOGIN, 404, OK, OK, OK)
FACILITATORS = expect(LOGIN, 404, 403, 403, OK)
OWNER_ONLY = expect(LOGIN, 404, 404, OK, 404)  # someone else's card is as good as missing
OWNER_OR_FACILITATOR = expect(LOGIN, 404, 403, OK, OK)
# Forms for anonymous visitors: a logged-in visitor is sent on (a redirect, also OK).
GUEST = PUBLIC


@dataclass
class Route:
    """Expected answers for one endpoint; `data` fills a POST so it reaches the permission check."""

    visitors: dict[str, str | int]
    data: Callable[[Scene], dict] = field(default=lambda scene: {})
    note: str = ""
    # Visited with the visitor's personal access token instead of a login (the API); the
    # anonymous visitor sends none.
    bearer: bool = False


# One dict per area; a new area adds its dict to ROUTES.
CORE = {
    "static": Route(PUBLIC),
    "health.healthz": Route(PUBLIC),
    "health.healthz_queue": Route(PUBLIC, note="the scene's consumer said it lives (else 503)"),
    "wellknown.security_txt": Route(PUBLIC),
}
AUTH = {
    "auth.login": Route(GUEST),
    "auth.login_post": Route(GUEST, data=lambda s: {"email": "x@example.org", "password": "x"}),
    "auth.register": Route(GUEST),
    "auth.register_post": Route(GUEST),
    "auth.logout": Route(PUBLIC),
    "auth.forgot_password": Route(GUEST),
    "auth.forgot_password_post": Route(GUEST, data=lambda s: {"email": "x@example.org"}),
    # The token is the secret: an unknown one gets 410 for everyone.
    "auth.reset_password": Route(PUBLIC),
    "auth.reset_password_post": Route(PUBLIC),
    # The language switch before logging in: a preference in the visitor's own cookie.
    "auth.choose_language": Route(PUBLIC, data=lambda s: {"language": "en"}),
    "auth.account": Route(LOGGED_IN),
    "auth.update_profile": Route(LOGGED_IN),
    "auth.change_password": Route(LOGGED_IN),
    "auth.change_email": Route(LOGGED_IN),
    # The token is the secret and works only for the account that asked for it (403 for any
    # other); an unknown one gets 410 for everyone logged in.
    "auth.confirm_email": Route(LOGGED_IN),
    "auth.confirm_email_post": Route(LOGGED_IN),
    "auth.logout_everywhere": Route(LOGGED_IN),
    # Only the account's own sessions: a handle of someone else's is as good as missing.
    "auth.end_session": Route(
        expect(LOGIN, 404, 404, 404, 404), data=lambda s: {"session": "0" * 24}
    ),
}
TWOFACTOR = {
    "twofactor.challenge": Route(GUEST, note="without a pending login it sends to /login"),
    "twofactor.challenge_post": Route(GUEST),
    "twofactor.setup": Route(LOGGED_IN),
    "twofactor.start": Route(LOGGED_IN),
    "twofactor.enable": Route(LOGGED_IN),
    "twofactor.disable": Route(LOGGED_IN),
    "twofactor.recovery_codes": Route(LOGGED_IN),
    "twofactor.requirement": Route(FACILITATORS),
    "twofactor.require": Route(FACILITATORS),
}
EXPEDITIONS = {
    "expeditions.home": Route(LOGGED_IN),
    "expeditions.calendar_preview": Route(LOGGED_IN),
    "expeditions.new": Route(LOGGED_IN),
    "expeditions.create": Route(LOGGED_IN),
    "expeditions.show": Route(MEMBERS),
    "expeditions.settings": Route(FACILITATORS),
    "expeditions.update_settings": Route(FACILITATORS),
    "expeditions.members": Route(MEMBERS),
    "expeditions.create_invite": Route(FACILITATORS),
    "expeditions.revoke_invite": Route(FACILITATORS),
    "expeditions.invite_by_mail": Route(
        FACILITATORS, data=lambda s: {"addresses": "new@example.org", "locale": "de"}
    ),
    "expeditions.change_roles": Route(FACILITATORS),
    "expeditions.remove_member": Route(FACILITATORS),
    "expeditions.leave": Route(MEMBERS),
    # The invite link is the secret: anyone holding it may look; joining needs an account.
    "expeditions.invite": Route(PUBLIC),
    "expeditions.accept_invite": Route(LOGGED_IN),
}
# The scene's card is the owner's, visible to the Zirkel: peers may look (OK) but not change (403).
OWN_CARD = expect(LOGIN, 404, 403, OK, 403)
BOARDS = {
    "boards.board": Route(MEMBERS),
    "boards.member_board": Route(MEMBERS),
    "boards.card": Route(MEMBERS),
    "boards.move_form": Route(OWN_CARD),
    "boards.move_card": Route(
        OWN_CARD, data=lambda s: {"column": "doing", "position": 0, "version": 1}
    ),
    "boards.update_card": Route(OWN_CARD),
    "boards.delete_card": Route(OWN_CARD),
    "boards.add_checklist_item": Route(OWN_CARD, data=lambda s: {"text": "Noch ein Schritt"}),
    "boards.set_checklist_item": Route(OWN_CARD),
    "boards.delete_checklist_item": Route(OWN_CARD),
    "boards.advance_card": Route(OWN_CARD, data=lambda s: {"card": f"{s.ids['card_id']}:1"}),
    "boards.create_card": Route(MEMBERS),
    "boards.set_wip_limit": Route(MEMBERS),
    "boards.vorhaben": Route(MEMBERS),
    "boards.save_vorhaben": Route(MEMBERS),
    "boards.sprint": Route(MEMBERS),
    "boards.set_focus": Route(MEMBERS),
    "boards.assess": Route(MEMBERS),
    "boards.carry_over": Route(MEMBERS),
    "boards.logbook": Route(MEMBERS),
    "boards.add_check_in": Route(MEMBERS),
    # Only the author settles a support request; the Zirkel sees it but cannot clear it.
    "boards.clear_support": Route(OWN_CARD),
}
# The scene's meeting is scheduled; its retro is writing, with a hidden note and an action of the owner.
MEETINGS = {
    "meetings.index": Route(MEMBERS),
    "meetings.schedule": Route(FACILITATORS),
    "meetings.show": Route(MEMBERS),
    "meetings.poll": Route(MEMBERS),
    "meetings.record": Route(MEMBERS),
    "meetings.edit": Route(FACILITATORS),
    "meetings.update": Route(FACILITATORS),
    "meetings.delete": Route(FACILITATORS),
    "meetings.step": Route(FACILITATORS, data=lambda s: {"step": "checkin", "seen": ""}),
    "meetings.finish": Route(FACILITATORS),
    "meetings.timer": Route(FACILITATORS, data=lambda s: {"minutes": "5"}),
    "meetings.review_person": Route(FACILITATORS),
    "meetings.notes": Route(FACILITATORS),
    "meetings.presence": Route(FACILITATORS),
    "meetings.check_in": Route(MEMBERS, data=lambda s: {"mood": "4", "word": "wach"}),
    "meetings.retro_setup": Route(FACILITATORS),
    "meetings.phase": Route(FACILITATORS),
    "meetings.add_item": Route(MEMBERS, data=lambda s: {"prompt": "0", "text": "Idee"}),
    # Before the reveal a note exists only for its author.
    "meetings.edit_item": Route(OWNER_ONLY, data=lambda s: {"text": "Neu"}),
    "meetings.delete_item": Route(OWNER_ONLY),
    "meetings.vote": Route(OWNER_ONLY),
    "meetings.unvote": Route(OWNER_ONLY),
    "meetings.group": Route(expect(LOGIN, 404, 403, 403, 404)),
    "meetings.discuss": Route(FACILITATORS),
    "meetings.add_action": Route(FACILITATORS),
    "meetings.review_action": Route(OWNER_OR_FACILITATOR, data=lambda s: {"outcome": "done"}),
    "meetings.focus": Route(MEMBERS, data=lambda s: {"focus": "Fokus"}),
    "meetings.presenter": Route(MEMBERS),
    "meetings.open_writing": Route(FACILITATORS),
    "meetings.done_writing": Route(MEMBERS, data=lambda s: {"done": "1"}),
    "meetings.group_title": Route(FACILITATORS, data=lambda s: {"title": "Neu"}),
    # Planning meetings in one go is the facilitators'; every member catches up and adds notes.
    "meetings.series_page": Route(FACILITATORS),
    "meetings.series_preview": Route(FACILITATORS),
    "meetings.series_save": Route(FACILITATORS),
    "meetings.catch_up": Route(MEMBERS),
    "meetings.action_note": Route(MEMBERS, data=lambda s: {"text": "Ich helfe mit"}),
}
# Rückenwind and support answers go to someone else: the owner is told (422) they cannot answer
# or cheer their own entry.
PEERS = expect(LOGIN, 404, OK, 422, OK)
PROGRESS = {
    "progress.zirkel": Route(MEMBERS),
    "progress.card_kudos": Route(PEERS, data=lambda s: {"kind": "applause"}),
    "progress.check_in_kudos": Route(PEERS, data=lambda s: {"kind": "applause"}),
    "progress.support_response": Route(PEERS, data=lambda s: {"note": "Lass uns sprechen"}),
    "progress.notifications_list": Route(LOGGED_IN),
    "progress.mark_all_notifications_read": Route(LOGGED_IN),
    # The UPDATE is scoped to the caller's own rows: another's id changes nothing.
    "progress.mark_notification_read": Route(LOGGED_IN),
    "progress.meeting_ics": Route(MEMBERS),
    "progress.renew_calendar_feed": Route(MEMBERS),
    "progress.revoke_calendar_feed": Route(MEMBERS),
    # The feed URL's secret token is the credential (phone calendars cannot log in).
    "progress.calendar_feed_ics": Route(PUBLIC),
}
# Everyone's report is their own: the URL names no person, so there is nobody else's to reach.
EXPORTS = {
    "exports.report": Route(MEMBERS),
    "exports.report_print": Route(MEMBERS),
    "exports.report_md": Route(MEMBERS),
    "exports.report_pdf": Route(MEMBERS),
    "exports.save_selection": Route(MEMBERS),
    "exports.reflection": Route(MEMBERS),
    "exports.save_reflection": Route(MEMBERS),
    "exports.summary": Route(FACILITATORS),
    "exports.summary_pdf": Route(FACILITATORS),
    "exports.account_export_json": Route(LOGGED_IN),
    "exports.delete_account_confirm": Route(LOGGED_IN),
    # Without the password nothing is deleted (422); the deletion itself is tested in exports.
    "exports.delete_account_post": Route(LOGGED_IN),
    # CSV: the board and Logbuch are always the downloader's own (the URL names nobody); a
    # meeting's actions and retro notes are the facilitators'.
    "exports.board_csv": Route(MEMBERS),
    "exports.logbook_csv": Route(MEMBERS),
    "exports.meeting_actions_csv": Route(FACILITATORS),
    "exports.meeting_retro_csv": Route(FACILITATORS),
}
# The app shell and the legal pages are for everyone; nothing in them is personal.
PWA = {
    "pwa.manifest": Route(PUBLIC),
    "pwa.service_worker": Route(PUBLIC),
    "pwa.offline": Route(PUBLIC),
    "pages.accessibility": Route(PUBLIC),
    "pages.privacy": Route(PUBLIC),
    "pages.help_page": Route(PUBLIC),
}
# Web Push settings: one's own devices only; another person's device is as good as missing.
# (The matrix's app has no VAPID keys: turning push on and testing it answer 404, "not offered";
# tests/http/test_push.py has them.)
PUSH = {
    "push.subscribe": Route(expect(LOGIN, 404, 404, 404, 404)),
    "push.unsubscribe": Route(OWNER_ONLY),
    "push.set_content": Route(OWNER_ONLY),
    "push.send_test": Route(expect(LOGIN, 404, 404, 404, 404)),
    # For the service worker, without a session: only the old subscription's secret counts.
    "push.renew": Route(expect(400, 400, 400, 400, 400), note="no JSON: refused"),
}
# Each person's notification settings; the expedition's defaults are the facilitators'; the
# one-click unsubscribe is for whoever holds the signed link (a mail program, without login).
REACH = {
    "reach.settings": Route(LOGGED_IN),
    "reach.save_settings": Route(LOGGED_IN, note="an unchanged form with no weekday: 422"),
    "reach.defaults": Route(FACILITATORS),
    "reach.save_defaults": Route(FACILITATORS),
    "reach.unsubscribe": Route(PUBLIC),
    "reach.unsubscribe_now": Route(PUBLIC),
}
# Import into my board: every participant imports into their own board (the URL names no other);
# the facilitator without a board of their own gets 403. Without a file or a preview of one's
# own, the pages send back to the upload form (a redirect, or the form again with 422).
OWN_BOARD = expect(LOGIN, 404, OK, OK, 403)
IMPORTS = {
    "imports.start": Route(OWN_BOARD),
    "imports.upload": Route(OWN_BOARD, note="no file: the form again with 422"),
    "imports.preview": Route(OWN_BOARD, note="no preview named: back to the upload form"),
    "imports.confirm": Route(OWN_BOARD, note="no preview named: back to the upload form"),
}
# The read-only API, visited with each visitor's own token (a session cookie gets 401 there: see
# test_api_refuses_a_session_cookie). The same answers as the pages; no token: 401.
API_MEMBERS = expect(401, 404, OK, OK, OK)
API_LOGGED_IN = expect(401, OK, OK, OK, OK)
API = {
    "api.openapi": Route(PUBLIC, bearer=True, note="the description holds nothing personal"),
    "api.me": Route(API_LOGGED_IN, bearer=True),
    "api.expeditions": Route(API_LOGGED_IN, bearer=True),
    "api.expedition": Route(API_MEMBERS, bearer=True),
    "api.board": Route(API_MEMBERS, bearer=True),
    "api.member_board": Route(API_MEMBERS, bearer=True, note="the owner's own board: all cards"),
    "api.meetings": Route(API_MEMBERS, bearer=True),
    "api.meeting": Route(API_MEMBERS, bearer=True),
    "api.notification_list": Route(API_LOGGED_IN, bearer=True),
    "api_tokens.tokens": Route(LOGGED_IN),
    "api_tokens.create": Route(LOGGED_IN, data=lambda s: {"name": "Skript", "days": "30"}),
    # The scene's token is the owner's: anyone else's id is as good as missing.
    "api_tokens.revoke": Route(expect(LOGIN, 404, 404, OK, 404)),
}
# Single sign-on (alex/sso): pages before login, for anyone. The matrix's app has no identity
# provider configured, so they answer 404 to everyone; configured, tests/sso/ covers them against
# a real provider (a deactivated account refused, a pending link only in its own browser).
NOT_CONFIGURED = expect(404, 404, 404, 404, 404, operator=404)
SSO = {
    "sso.start": Route(NOT_CONFIGURED),
    "sso.callback": Route(NOT_CONFIGURED),
    "sso.link": Route(NOT_CONFIGURED),
    "sso.link_post": Route(NOT_CONFIGURED, data=lambda s: {"password": "x"}),
}
# Webhooks are the facilitators' (they send the expedition's events out of the installation).
WEBHOOKS = {
    "webhooks.settings": Route(FACILITATORS),
    "webhooks.create": Route(
        FACILITATORS, data=lambda s: {"url": "https://93.184.216.34/x", "events": ["action.done"]}
    ),
    "webhooks.set_enabled": Route(FACILITATORS, data=lambda s: {"enabled": "0"}),
    "webhooks.delete": Route(FACILITATORS),
    "webhooks.send_test": Route(FACILITATORS),
}
# The Börse and the instance library (alex.openings). The scene's expedition is listed and the
# outsider has asked to join (asking again: 422); members are sent to their expedition. The
# library shows shared prompts and settings to everyone logged in; adding a format goes into an
# expedition one facilitates; hiding an item is the operator's.
OPENINGS = {
    "openings.index": Route(LOGGED_IN),
    "openings.show": Route(LOGGED_IN),
    "openings.request_to_join": Route(LOGGED_IN),
    "openings.manage": Route(FACILITATORS),
    "openings.save_listing": Route(FACILITATORS),
    "openings.unlist": Route(FACILITATORS),
    "openings.accept": Route(FACILITATORS),
    "openings.decline": Route(FACILITATORS),
    "openings.library_page": Route(LOGGED_IN),
    "openings.adopt_format": Route(
        expect(LOGIN, 404, 403, 403, OK), data=lambda s: {"expedition_id": s.ids["expedition_id"]}
    ),
    "openings.hide": Route(expect(LOGIN, 403, 403, 403, 403, operator=OK)),
    "openings.share_page": Route(FACILITATORS),
    "openings.share_vorlage": Route(FACILITATORS),
    "openings.share_format": Route(FACILITATORS),
    "openings.unpublish": Route(FACILITATORS),
}
# Follow-up runs (alex.follow_up): the scene's expedition has none, so there is nothing to join
# or decline (404 for everyone); starting one is the facilitators' (422: not at the Abschluss).
NOTHING_TO_ANSWER = expect(LOGIN, 404, 404, 404, 404)
FOLLOW_UP = {
    "follow_up.page": Route(MEMBERS),
    "follow_up.start": Route(FACILITATORS),
    "follow_up.join": Route(NOTHING_TO_ANSWER),
    "follow_up.decline": Route(NOTHING_TO_ANSWER),
}
# The operator's console: only the instance's operator; anyone else logged in gets 404 (the
# console does not exist for them). The scene's user_id is the owner's account. Closing the
# banner is for every browser, logged in or not.
OPERATORS = expect(LOGIN, 404, 404, 404, 404, operator=OK)
OPERATOR = {
    "operator.console": Route(OPERATORS),
    "operator.accounts": Route(OPERATORS),
    "operator.account": Route(OPERATORS),
    "operator.unlock": Route(OPERATORS),
    "operator.send_reset_link": Route(OPERATORS),
    "operator.deactivate_confirm": Route(OPERATORS),
    "operator.deactivate": Route(OPERATORS),
    "operator.reactivate": Route(OPERATORS),
    "operator.set_roles": Route(OPERATORS),
    "operator.delete_confirm": Route(OPERATORS),
    "operator.delete": Route(OPERATORS),
    "operator.creation_policy": Route(OPERATORS, data=lambda s: {"policy": "everyone"}),
    "operator.announcement": Route(OPERATORS, data=lambda s: {"text": ""}),
    "operator.audit": Route(OPERATORS),
    "operator.close_announcement": Route(PUBLIC, data=lambda s: {"revision": "1", "next": "/"}),
}
# Certificates of attendance: the holder and the facilitators; the scene's expedition is still
# running, so issuing answers 422 (tests/http/test_certificates.py issues after the Abschluss).
# Anyone may verify a code. The training department's figures: operators ("Bildung" too, tested
# in tests/http/test_figures.py); everyone else 404.
HOLDER_OR_FACILITATOR = expect(LOGIN, 404, 404, OK, OK)
CERTIFICATES = {
    "certificates.manage": Route(FACILITATORS),
    "certificates.issue": Route(FACILITATORS, data=lambda s: {"hours": "1,5"}),
    "certificates.revoke": Route(FACILITATORS),
    "certificates.mine": Route(MEMBERS),
    "certificates.show": Route(HOLDER_OR_FACILITATOR),
    "certificates.pdf": Route(HOLDER_OR_FACILITATOR),
    "certificates.verify_form": Route(PUBLIC),
    "certificates.verify": Route(PUBLIC),
}
FIGURES = {
    "figures.index": Route(expect(LOGIN, 404, 404, 404, 404, operator=OK)),
    "figures.download": Route(expect(LOGIN, 404, 404, 404, 404, operator=OK)),
}
ROUTES: dict[str, Route] = {
    **CORE,
    **AUTH,
    **TWOFACTOR,
    **EXPEDITIONS,
    **BOARDS,
    **MEETINGS,
    **PROGRESS,
    **EXPORTS,
    **PWA,
    **PUSH,
    **REACH,
    **IMPORTS,
    **API,
    **SSO,
    **WEBHOOKS,
    **OPENINGS,
    **FOLLOW_UP,
    **OPERATOR,
    **CERTIFICATES,
    **FIGURES,
}


@pytest.fixture
def scene(app: Flask, world, monkeypatch) -> Scene:
    """The cast and the ids every URL argument is filled from."""
    fast_hashes(monkeypatch)
    from alex import tasks

    with app.app_context():
        tasks.beat()  # a consumer runs: /healthz/queue answers 200
    return build_scene(app, world)


def _all_routes() -> list[tuple[str, str]]:
    from alex import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    return sorted({(endpoint, method) for endpoint, method, _ in rules(app)})


ALL_ROUTES = _all_routes()


def routes_without_row(app: Flask) -> list[str]:
    """Endpoints of the URL map that the table does not name."""
    return sorted({endpoint for endpoint, _, _ in rules(app)} - set(ROUTES))


def test_every_route_has_a_row(app):
    """Fails when a route is added without saying who may use it."""
    missing = routes_without_row(app)
    assert not missing, (
        "Routes without a row in tests/test_permission_matrix.py (add one per endpoint to "
        f"its area's dict): {missing}"
    )


def test_a_new_route_without_a_row_is_caught():
    from alex import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    app.add_url_rule("/brand-new", "area.brand_new", lambda: "hi")
    assert routes_without_row(app) == ["area.brand_new"]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("endpoint", "method"), ALL_ROUTES)
def test_route_answers_each_visitor_as_the_table_says(app, scene, visitor, endpoint, method):
    row = ROUTES.get(endpoint)
    if row is None:
        pytest.fail(f"{endpoint} has no row (see test_every_route_has_a_row)")
    rule = next(r for e, m, r in rules(app) if e == endpoint and m == method)
    path = scene.url(app, rule)
    if row.bearer:
        response = app.test_client().get(path, headers=_token_header(app, scene, visitor))
        _assert_answer(response, row.visitors[visitor], method, path, visitor)
        return
    client = client_for(app, scene, visitor)
    if method == "POST":
        data = {"csrf_token": token_for(client, visitor), **row.data(scene)}
        response = client.post(path, data=data)
    else:
        response = client.get(path)

    _assert_answer(response, row.visitors[visitor], method, path, visitor)


def _assert_answer(response, wanted, method: str, path: str, visitor: str) -> None:
    """The response is what the row expects for the visitor."""
    status = response.status_code
    response.close()
    assert status < 500, f"{method} {path} as {visitor}: {status}"
    if wanted == OK:
        assert status not in DENIED, f"{method} {path} as {visitor}: {status}, expected allowed"
    elif wanted == LOGIN:
        assert status == 302, f"{method} {path} as {visitor}: {status}, expected login redirect"
        assert response.location.split("?")[0].endswith("/login")
    else:
        assert status == wanted, f"{method} {path} as {visitor}: {status}, expected {wanted}"


def _token_header(app: Flask, scene: Scene, visitor: str) -> dict[str, str]:
    """The visitor's own personal access token (none for the anonymous visitor)."""
    if visitor == "anonymous":
        return {}
    from tests.support.api import bearer, make_token

    return bearer(make_token(app, scene.users[visitor].id))


API_ROUTES = [(e, m) for e, m in ALL_ROUTES if ROUTES.get(e) and ROUTES[e].bearer]


@pytest.mark.parametrize(("endpoint", "method"), API_ROUTES)
def test_api_refuses_a_session_cookie(app, scene, endpoint, method):
    """Logged in as the owner but without a token: the API answers 401 (its description aside)."""
    rule = next(r for e, m, r in rules(app) if e == endpoint and m == method)
    client = client_for(app, scene, "owner")
    response = client.get(scene.url(app, rule))
    expected = 200 if ROUTES[endpoint].visitors["anonymous"] == OK else 401
    assert response.status_code == expected
    assert "Set-Cookie" not in response.headers
