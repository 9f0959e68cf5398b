"""Every route of the URL map × every kind of visitor, against a table that must name each route.

A new route without a row here makes `test_every_route_has_a_row` fail: add one line to the
area's dict below (copy a neighbour). Visitors:
- anonymous: not logged in
- outsider: logged in, facilitator of *another* expedition (guesses ids)
- member: participant of the expedition, not the owner of the thing the URL names
- owner: participant who owns the thing the URL names (their board, card, check-in …)
- facilitator: runs the expedition (does not own the participant's things)

Expected answers: OK (allowed: anything but 401/403/404/405/5xx), LOGIN (redirect to the login
page), or a status code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Flask

from tests.ops.scene import (
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


def expect(anonymous, outsider, member, owner, facilitator) -> dict[str, str | int]:
    return dict(zip(VISITORS, (anonymous, outsider, member, owner, facilitator), strict=True))


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


# One dict per area; the integrator adds an area's dict to ROUTES when it lands.
CORE = {
    "static": Route(PUBLIC),
    "health.healthz": Route(PUBLIC),
    "wellknown.security_txt": Route(PUBLIC),
}
AUTH = {
    "auth.login": Route(GUEST),
    "auth.login_post": Route(GUEST, data=lambda s: {"email": "x@example.org", "password": "x"}),
    "auth.register": Route(GUEST),
    "auth.register_post": Route(GUEST),
    "auth.logout": Route(PUBLIC),
    "auth.account": Route(LOGGED_IN),
    "auth.update_profile": Route(LOGGED_IN),
    "auth.change_password": Route(LOGGED_IN),
    "auth.logout_everywhere": Route(LOGGED_IN),
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
    "expeditions.new": Route(LOGGED_IN),
    "expeditions.create": Route(LOGGED_IN),
    "expeditions.show": Route(MEMBERS),
    "expeditions.settings": Route(FACILITATORS),
    "expeditions.update_settings": Route(FACILITATORS),
    "expeditions.members": Route(MEMBERS),
    "expeditions.create_invite": Route(FACILITATORS),
    "expeditions.revoke_invite": Route(FACILITATORS),
    "expeditions.change_roles": Route(FACILITATORS),
    "expeditions.remove_member": Route(FACILITATORS),
    "expeditions.leave": Route(MEMBERS),
    # The invite link is the secret: anyone holding it may look; joining needs an account.
    "expeditions.invite": Route(PUBLIC),
    "expeditions.accept_invite": Route(LOGGED_IN),
}
ROUTES: dict[str, Route] = {**CORE, **AUTH, **TWOFACTOR, **EXPEDITIONS}


@pytest.fixture
def scene(app: Flask, world, monkeypatch) -> Scene:
    """The cast and the ids every URL argument is filled from."""
    fast_hashes(monkeypatch)
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


# Foundation's forms still pass choices as tuples (fixed on its branch); not this test's subject.
@pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples:DeprecationWarning")
@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("endpoint", "method"), ALL_ROUTES)
def test_route_answers_each_visitor_as_the_table_says(app, scene, visitor, endpoint, method):
    row = ROUTES.get(endpoint)
    if row is None:
        pytest.fail(f"{endpoint} has no row (see test_every_route_has_a_row)")
    rule = next(r for e, m, r in rules(app) if e == endpoint and m == method)
    path = scene.url(app, rule)
    client = client_for(app, scene, visitor)
    if method == "POST":
        data = {"csrf_token": token_for(client, visitor), **row.data(scene)}
        response = client.post(path, data=data)
    else:
        response = client.get(path)

    wanted = row.visitors[visitor]
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
