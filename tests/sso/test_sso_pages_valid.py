"""The single sign-on pages are valid HTML (the Nu HTML Checker, as tests/test_html_valid.py)."""

from __future__ import annotations

import re

import pytest

from tests.sso.conftest import sso_login
from tests.support.accounts import TEST_PASSWORD, login
from tests.test_html_valid import vnu_errors

pytestmark = [pytest.mark.browser, pytest.mark.backend_independent]


def test_sso_pages_are_valid_html(
    app, make_app, oidc_provider, browser_at_provider, person, world, tmp_path
):
    pages = {}
    pages["login"] = app.test_client().get("/login")
    pages["login-local-off"] = make_app(LOCAL_LOGIN=False).test_client().get("/login")
    ada = person()
    world.user("Ada Lorenz", f"{ada}@amt.example")
    linking = app.test_client()
    sso_login(linking, browser_at_provider, oidc_provider, ada)
    pages["link"] = linking.get("/login/oidc/link")
    pages["link-wrong"] = linking.post(
        "/login/oidc/link", data={"csrf_token": _token(pages["link"]), "password": "nope"}
    )
    login(linking, f"{ada}@amt.example", TEST_PASSWORD)
    ben = person(name="Ben Okafor")
    browser_at_provider.cookies.clear()  # another person at the provider
    sso_only = app.test_client()
    sso_login(sso_only, browser_at_provider, oidc_provider, ben)
    pages["account"] = sso_only.get("/account")
    pages["delete"] = sso_only.get("/account/delete")
    files = []
    for name, answer in pages.items():
        assert answer.status_code in (200, 422), (name, answer.status_code)
        path = tmp_path / f"{name}.html"
        path.write_text(answer.get_data(as_text=True))
        files.append(path)
    assert vnu_errors(files) == []


def _token(answer) -> str:
    return re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', answer.get_data(as_text=True)
    ).group(1)
