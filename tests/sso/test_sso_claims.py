"""Reading the provider's claims and applying the role claim, as plain functions."""

from __future__ import annotations

import pytest

from alex.auth.models import User
from alex.sso.models import SsoIdentity
from alex.sso.service import RoleValues, apply_roles, read_claims

ISSUER = "https://id.example.org/realms/verwaltung"
pytestmark = pytest.mark.backend_independent  # no database: the SQLite pass runs them


def _claims(**raw):
    return read_claims(ISSUER, {"sub": "f3a9", **raw}, role_claim="groups")


@pytest.mark.parametrize(
    ("locale", "language"),
    [("de-DE", "de"), ("de", "de"), ("en_GB", "en"), ("EN", "en"), ("fr-FR", None), (7, None)],
)
def test_language_from_locale(locale, language):
    assert _claims(locale=locale).locale == language


def test_name_falls_back_to_given_and_family_name_then_username():
    assert _claims(name="  Ada\u200b   Lorenz ").name == "Ada Lorenz"
    assert _claims(given_name="Ada", family_name="Lorenz").name == "Ada Lorenz"
    assert _claims(preferred_username="alorenz").name == "alorenz"
    assert _claims().name is None


def test_verified_only_when_the_provider_says_so():
    assert _claims(email="Ada@Amt.example", email_verified=True).email == "ada@amt.example"
    assert _claims(email_verified="true").email_verified
    assert not _claims(email_verified="false").email_verified
    assert not _claims(email="ada@amt.example").email_verified


def test_role_claim_as_list_or_single_value_with_group_paths():
    assert _claims(groups=["/alex-betrieb", "x", 3]).roles == {"alex-betrieb", "x"}
    assert _claims(groups="alex-betrieb").roles == {"alex-betrieb"}
    assert read_claims(ISSUER, {"sub": "1", "groups": ["a"]}).roles == frozenset()  # not read


@pytest.mark.parametrize(
    ("amr", "multi"),
    [(["pwd"], False), (["pwd", "otp"], True), (["mfa"], True), (None, False), ("mfa", False)],
)
def test_second_factor_from_amr(amr, multi):
    assert _claims(amr=amr).multi_factor is multi


def test_roles_granted_and_taken_back_only_when_the_claim_granted_them():
    values = RoleValues(operator="alex-betrieb", creator="/alex-expeditionen")
    user = User(is_operator=False, may_create_expeditions=True, is_training_office=False)
    identity = SsoIdentity(granted_operator=False, granted_creator=False)
    apply_roles(user, identity, _claims(groups=["alex-betrieb", "alex-expeditionen"]), values)
    assert user.is_operator and identity.granted_operator
    assert user.may_create_expeditions and not identity.granted_creator  # had it before
    apply_roles(user, identity, _claims(groups=[]), values)
    assert not user.is_operator and not identity.granted_operator
    assert user.may_create_expeditions  # not the claim's to take
    assert not user.is_training_office  # no value configured: never touched
