"""/.well-known/security.txt (RFC 9116)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SECURITY_CONTACT": "mailto:sicherheit@example.org"}


def test_security_txt_names_contact_and_a_future_expiry(client):
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    fields = dict(
        line.split(": ", 1) for line in response.get_data(as_text=True).splitlines() if line
    )
    assert fields["Contact"] == "mailto:sicherheit@example.org"
    expires = datetime.fromisoformat(fields["Expires"].replace("Z", "+00:00"))
    now = datetime.now(UTC)
    # RFC 9116: required, and less than a year ahead.
    assert now + timedelta(days=30) < expires < now + timedelta(days=365)
    assert fields["Canonical"].endswith("/.well-known/security.txt")
    assert "Policy" not in fields  # only when an operator sets ALEX_SECURITY_POLICY_URL


def test_security_txt_needs_no_login(client):
    assert client.get("/.well-known/security.txt").status_code == 200
