"""The operator's console ("Betrieb"): who gets in, the accounts, every action and its audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from alex.auth.models import LoginSession, User
from alex.db import utcnow
from alex.expeditions.models import Expedition, Membership
from alex.extensions import db
from alex.operator.models import OperatorAuditEntry
from alex.outbox import OutboxMessage
from tests.support.accounts import TEST_PASSWORD, login, make_cast
from tests.support.queries import statements_for_get
from tests.support.races import at_once


@pytest.fixture
def operator(world):
    return world.user("Otto Betrieb", is_operator=True)


def _user(app, user_id) -> User | None:
    with app.app_context():
        user = db.session.get(User, user_id)
        if user is not None:
            db.session.expunge(user)
        return user


def _audit(app) -> list[tuple]:
    with app.app_context():
        return [
            (e.actor_id, e.action, e.target_user_id, e.detail)
            for e in db.session.scalars(select(OperatorAuditEntry).order_by(OperatorAuditEntry.id))
        ]


# --- who gets in ------------------------------------------------------------------------------


def test_only_operators_reach_the_console(app, world, actor, client, operator):
    ada = actor(world.user("Ada Lorenz"))
    for path in (
        "/betrieb",
        "/betrieb/accounts",
        "/betrieb/audit",
        f"/betrieb/accounts/{operator.id}",
    ):
        assert ada.get(path).status_code == 404
        assert client.get(path).status_code == 302  # anonymous: the login page first
        assert actor(operator).get(path).status_code == 200
    # Nor can a non-operator act: the POST is as missing as the page.
    assert ada.post(f"/betrieb/accounts/{operator.id}/deactivate").status_code == 404
    assert _user(app, operator.id).deactivated_at is None


def test_the_operations_link_shows_for_operators_only(world, actor, operator):
    assert 'href="/betrieb"' in actor(operator).get("/").get_data(as_text=True)
    page = actor(world.user("Ada Lorenz")).get("/").get_data(as_text=True)
    assert "/betrieb" not in page


# --- the accounts list ------------------------------------------------------------------------


def test_the_list_shows_each_accounts_state(app, world, actor, operator):
    ada = world.user("Ada Lorenz", email="ada@example.org")
    ben = world.user("Ben Okafor", email="ben@example.org")
    actor(ada)  # a login session: last seen
    with app.app_context():
        db.session.get(User, ben.id).next_login_at = utcnow() + timedelta(minutes=5)
        db.session.get(User, ben.id).deactivated_at = None
        db.session.commit()
    page = actor(operator).get("/betrieb/accounts").get_data(as_text=True)
    assert "ada@example.org" in page and "ben@example.org" in page
    ben_row = page.split("ben@example.org")[1].split("</tr>")[0]
    assert "gesperrt bis" in ben_row
    ada_row = page.split("ada@example.org")[1].split("</tr>")[0]
    assert "aktiv" in ada_row and "nicht kürzlich" not in ada_row  # seen just now
    # Without an SSO area every account logs in locally; two-factor is known (off).
    assert "lokal" in ada_row and ">aus<" in ada_row


def test_search_and_paging(world, actor, operator):
    for n in range(55):
        world.user(f"Person{n:02d} Test", email=f"person{n:02d}@example.org")
    otto = actor(operator)
    first = otto.get("/betrieb/accounts").get_data(as_text=True)
    assert "56 Konten." in first and "Seite 1 von 2" in first
    second = otto.get("/betrieb/accounts?page=2").get_data(as_text=True)
    assert "person54@example.org" in second and "person00@example.org" not in second
    found = otto.get("/betrieb/accounts?q=PERSON07").get_data(as_text=True)
    assert "person07@example.org" in found and "person08@example.org" not in found
    # Wildcards are taken literally.
    assert "Kein Konto passt" in otto.get("/betrieb/accounts?q=%25_").get_data(as_text=True)
    # The search's swap target alone for HTMX.
    fragment = otto.get("/betrieb/accounts?q=person07", htmx=True).get_data(as_text=True)
    assert fragment.startswith('<div id="accounts"')


def test_the_list_costs_the_same_queries_for_3_or_1000_accounts(app, world, actor, operator):
    otto = actor(operator)
    for n in range(2):
        world.user(f"Few{n} Test")
    few = statements_for_get(app, otto.client, "/betrieb/accounts")
    with app.app_context():
        db.session.add_all(
            User(email=f"many{n}@example.org", name=f"Many {n}", password_hash="x")
            for n in range(1000)
        )
        db.session.commit()
    assert statements_for_get(app, otto.client, "/betrieb/accounts") == few
    assert statements_for_get(app, otto.client, "/betrieb/accounts?page=7&q=many") == few


# --- actions ----------------------------------------------------------------------------------


def test_unlock_lifts_the_wait_and_is_audited(app, world, actor, operator):
    ada = world.user("Ada Lorenz")
    with app.app_context():
        user = db.session.get(User, ada.id)
        user.failed_logins, user.next_login_at = 9, utcnow() + timedelta(minutes=10)
        user.failed_codes, user.next_code_at = 4, utcnow() + timedelta(hours=1)
        db.session.commit()
    response = actor(operator).post(f"/betrieb/accounts/{ada.id}/unlock")
    assert response.status_code == 302
    after = _user(app, ada.id)
    assert (after.failed_logins, after.next_login_at, after.failed_codes, after.next_code_at) == (
        0,
        None,
        0,
        None,
    )
    assert _audit(app) == [(operator.id, "unlock", ada.id, "")]


def test_reset_link_goes_through_the_outbox_to_the_account(app, world, actor, operator):
    ada = world.user("Ada Lorenz")
    assert actor(operator).post(f"/betrieb/accounts/{ada.id}/reset-link").status_code == 302
    with app.app_context():
        mail = db.session.scalar(select(OutboxMessage))
        assert (mail.kind, mail.user_id) == ("password_reset", ada.id)
        assert "/password/reset/" in mail.context["link"]
    assert _audit(app) == [(operator.id, "reset_link", ada.id, "")]


def test_an_sso_only_account_gets_how_to_log_in_and_the_operator_is_told(
    app, world, actor, operator
):
    from alex.auth.service import UNUSABLE_PASSWORD_PREFIX

    ada = world.user("Ada Lorenz")
    with app.app_context():
        db.session.get(User, ada.id).password_hash = UNUSABLE_PASSWORD_PREFIX + "sso"
        db.session.commit()
    answer = actor(operator).post(f"/betrieb/accounts/{ada.id}/reset-link", follow_redirects=True)
    assert "meldet sich nur über die Anmeldung der Organisation an" in answer.text
    assert "an die Adresse des Kontos unterwegs" not in answer.text
    with app.app_context():
        mail = db.session.scalar(select(OutboxMessage))
        assert (mail.template, mail.user_id) == ("password_reset_sso", ada.id)
    assert _audit(app) == [(operator.id, "reset_link", ada.id, "")]


def test_reset_links_to_one_address_share_the_forgotten_password_forms_limit(
    app, world, actor, client, operator
):
    """Five per hour and address (ALEX_RESET_ADDRESS_LIMIT), the public form's mails counted
    with the console's: the sixth is refused with a message saying when the next can go."""
    ada = world.user("Ada Lorenz")
    otto = actor(operator)
    for _ in range(2):
        client.post("/password/forgot", data={"email": ada.email, "csrf_token": _token(client)})
    for _ in range(3):
        assert otto.post(f"/betrieb/accounts/{ada.id}/reset-link").status_code == 302
    refused = otto.post(f"/betrieb/accounts/{ada.id}/reset-link", follow_redirects=True)
    assert refused.request.path == f"/betrieb/accounts/{ada.id}"
    assert "An diese Adresse sind zuletzt schon 5 Links zum Zurücksetzen gegangen" in refused.text
    assert "kann der nächste erst um" in refused.text
    assert "an die Adresse des Kontos unterwegs" not in refused.text
    with app.app_context():
        mails = db.session.scalars(select(OutboxMessage.kind)).all()
    assert mails == ["password_reset"] * 5
    assert [a for _, a, _, _ in _audit(app)] == ["reset_link"] * 3
    # Another account's address has its own allowance.
    bea = world.user("Bea Berg")
    assert otto.post(f"/betrieb/accounts/{bea.id}/reset-link").status_code == 302
    assert [a for _, a, _, _ in _audit(app)] == ["reset_link"] * 4


def test_two_operators_sending_the_last_reset_link_at_once_send_one(app, world, actor, operator):
    """The address's count is one atomic increment: at four of five, two clicks at the same
    moment (two operators) send one more mail, not two."""
    import threading

    ada = world.user("Ada Lorenz")
    otto, bea = actor(operator), actor(world.user("Bea Betrieb", is_operator=True))
    for _ in range(4):
        assert otto.post(f"/betrieb/accounts/{ada.id}/reset-link").status_code == 302
    tokens = [who.token() for who in (otto, bea)]
    start = threading.Barrier(2)

    def send(who, token):
        start.wait(10)
        who.client.post(f"/betrieb/accounts/{ada.id}/reset-link", data={"csrf_token": token})

    threads = [
        threading.Thread(target=send, args=pair) for pair in zip((otto, bea), tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with app.app_context():
        assert len(db.session.scalars(select(OutboxMessage.id)).all()) == 5
    assert [a for _, a, _, _ in _audit(app)] == ["reset_link"] * 5


def test_deactivation_ends_sessions_and_refuses_every_login(app, world, actor, client, operator):
    ada_user = world.user("Ada Lorenz")
    ada = actor(ada_user)
    otto = actor(operator)
    # The confirm step first, then the action.
    confirm = otto.get(f"/betrieb/accounts/{ada_user.id}/deactivate").get_data(as_text=True)
    assert "abgemeldet" in confirm
    assert otto.post(f"/betrieb/accounts/{ada_user.id}/deactivate").status_code == 302
    assert _user(app, ada_user.id).deactivated_at is not None
    with app.app_context():
        assert not db.session.scalars(
            select(LoginSession).where(LoginSession.user_id == ada_user.id)
        ).all()
    assert ada.get("/").status_code == 302  # her browser is logged out
    # The right password: refused, with a neutral message; the wrong one as always.
    refused = login(client, ada_user.email)
    assert refused.status_code == 422
    assert "kann sich im Moment nicht anmelden" in refused.get_data(as_text=True)
    # No reset mail reaches a deactivated account either.
    client.post(
        "/password/forgot",
        data={"email": ada_user.email, "csrf_token": _token(client)},
    )
    with app.app_context():
        assert db.session.scalar(select(OutboxMessage)) is None
    # Reactivated, she logs in again.
    assert otto.post(f"/betrieb/accounts/{ada_user.id}/reactivate").status_code == 302
    assert login(app.test_client(), ada_user.email).status_code == 302
    assert [a for _, a, _, _ in _audit(app)] == ["deactivate", "reactivate"]


def _token(client) -> str:
    from tests.support.accounts import csrf_token

    return csrf_token(client, "/password/forgot")


def test_the_user_loader_refuses_a_session_of_a_deactivated_account(app, world, actor):
    ada_user = world.user("Ada Lorenz")
    ada = actor(ada_user)
    assert ada.get("/").status_code == 200
    with app.app_context():
        # Set behind the console's back: a session that survived would still be refused.
        db.session.get(User, ada_user.id).deactivated_at = utcnow()
        db.session.commit()
    assert ada.get("/").status_code == 302


def test_roles_are_granted_and_revoked_and_audited(app, world, actor, operator):
    ada = world.user("Ada Lorenz")
    otto = actor(operator)
    response = otto.post(
        f"/betrieb/accounts/{ada.id}/roles",
        {"is_operator": "y", "is_training_office": "y", "may_create_expeditions": "y"},
    )
    assert response.status_code == 302
    user = _user(app, ada.id)
    assert user.is_operator and user.is_training_office and user.may_create_expeditions
    otto.post(f"/betrieb/accounts/{ada.id}/roles", {"is_training_office": "y"})
    user = _user(app, ada.id)
    assert not user.is_operator and user.is_training_office and not user.may_create_expeditions
    assert [(a, d) for _, a, t, d in _audit(app)] == [
        ("grant", "is_operator"),
        ("grant", "is_training_office"),
        ("grant", "may_create_expeditions"),
        ("revoke", "is_operator"),
        ("revoke", "may_create_expeditions"),
    ]


def _roles_seen(page: str) -> str:
    """The `seen` state the account page's roles form carries."""
    return re.search(r'name="seen" type="hidden" value="([^"]*)"', page).group(1)


def test_two_operators_editing_one_account_do_not_overwrite_each_other(app, world, actor, operator):
    """Both open the account; the first saves; the second's save is refused with 409, the
    fresh roles and a message, and nothing of it is saved or audited."""
    ada = world.user("Ada Lorenz")
    otto, bea = actor(operator), actor(world.user("Bea Betrieb", is_operator=True))
    path = f"/betrieb/accounts/{ada.id}"
    otto_seen, bea_seen = (_roles_seen(who.get(path).text) for who in (otto, bea))
    assert otto_seen == bea_seen == ""
    first = otto.post(f"{path}/roles", {"is_training_office": "y", "seen": otto_seen})
    assert first.status_code == 302
    second = bea.post(f"{path}/roles", {"may_create_expeditions": "y", "seen": bea_seen})
    assert second.status_code == 409
    page = second.text
    assert "Eine andere Person aus dem Betrieb hat die Rollen dieses Kontos gerade geändert" in page
    assert re.search(r'<input checked[^>]*name="is_training_office"', page)  # the fresh state
    assert not re.search(r'<input checked[^>]*name="may_create_expeditions"', page)
    assert _roles_seen(page) == "is_training_office"
    user = _user(app, ada.id)
    assert (user.is_operator, user.is_training_office, user.may_create_expeditions) == (
        False,
        True,
        False,
    )
    assert [(a, d) for _, a, _, d in _audit(app)] == [("grant", "is_training_office")]
    # Saved again from the fresh form, the second operator's change goes through, and only it
    # is audited.
    again = bea.post(
        f"{path}/roles",
        {"is_training_office": "y", "may_create_expeditions": "y", "seen": _roles_seen(page)},
    )
    assert again.status_code == 302
    assert [(a, d) for _, a, _, d in _audit(app)] == [
        ("grant", "is_training_office"),
        ("grant", "may_create_expeditions"),
    ]


def test_two_operators_saving_the_same_roles_is_no_conflict(app, world, actor, operator):
    """Already as wanted (a double click, two operators agreeing): no 409, one audit entry."""
    ada = world.user("Ada Lorenz")
    otto, bea = actor(operator), actor(world.user("Bea Betrieb", is_operator=True))
    path = f"/betrieb/accounts/{ada.id}"
    seen = _roles_seen(otto.get(path).text)
    assert otto.post(f"{path}/roles", {"is_training_office": "y", "seen": seen}).status_code == 302
    assert bea.post(f"{path}/roles", {"is_training_office": "y", "seen": seen}).status_code == 302
    assert [(a, d) for _, a, _, d in _audit(app)] == [("grant", "is_training_office")]


def test_two_role_saves_in_the_same_moment_do_not_overwrite_each_other(app, world):
    """Two transactions at once: the second waits for the account's row (PostgreSQL: FOR
    UPDATE; SQLite: one writer at a time), then sees the first's change and is refused."""
    from alex.operator import service

    ada = world.user("Ada Lorenz")
    anna = world.user("Anna Betrieb", is_operator=True)
    bodo = world.user("Bodo Betrieb", is_operator=True)

    def save(actor_id, role):
        def run(session):
            wanted = {r: r == role for r in service.ROLES}
            service.set_roles(session, session.get(User, actor_id), ada.id, wanted, seen=set())

        return run

    errors = at_once(app, save(anna.id, "is_training_office"), save(bodo.id, "is_operator"))
    assert [type(e) for e in errors] == [service.StaleRoles]
    user = _user(app, ada.id)
    assert (user.is_operator, user.is_training_office) == (False, True)
    assert [(a, d) for _, a, _, d in _audit(app)] == [("grant", "is_training_office")]


def test_the_last_operator_cannot_go(app, world, actor, operator):
    otto = actor(operator)
    response = otto.post(f"/betrieb/accounts/{operator.id}/roles", {})
    assert response.status_code == 422
    assert "mindestens eine:n aktive:n Betreiber:in" in response.get_data(as_text=True)
    assert _user(app, operator.id).is_operator
    # Deactivating or deleting oneself is refused too.
    for action in ("deactivate", "delete"):
        otto.post(f"/betrieb/accounts/{operator.id}/{action}")
        assert _user(app, operator.id) is not None
        assert _user(app, operator.id).deactivated_at is None
    # With a second operator, one may step down.
    second = world.user("Bea Betrieb", is_operator=True)
    assert otto.post(f"/betrieb/accounts/{operator.id}/roles", {}).status_code == 302
    assert not _user(app, operator.id).is_operator
    # …and the other cannot then remove the last one, by revoking, deactivating or deleting.
    bea = actor(second)
    assert bea.post(f"/betrieb/accounts/{second.id}/roles", {}).status_code == 422
    assert _audit(app)[-1][1] == "revoke"
    assert not any(a == "deactivate" for _, a, _, _ in _audit(app))


def test_two_operators_revoking_each_other_at_once_leave_one(app, world):
    """Two transactions at once: the operator rows are locked, so the second sees the first's
    change and is refused (PostgreSQL: FOR UPDATE; SQLite: one writer at a time)."""
    import threading

    from alex.operator import service

    a = world.user("Anna Betrieb", is_operator=True)
    b = world.user("Bodo Betrieb", is_operator=True)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def revoke(actor_id, target_id):
        barrier.wait(timeout=10)  # before either opens its transaction
        with app.app_context():
            actor_user = db.session.get(User, actor_id)
            try:
                service.set_roles(db.session, actor_user, target_id, {"is_operator": False})
                db.session.commit()
                outcomes.append("revoked")
            except service.ConsoleError:
                db.session.rollback()
                outcomes.append("refused")

    threads = [
        threading.Thread(target=revoke, args=(a.id, b.id)),
        threading.Thread(target=revoke, args=(b.id, a.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "revoked"]
    with app.app_context():
        assert db.session.scalars(select(User).where(User.is_operator.is_(True))).all()


def test_delete_uses_the_self_deletion_and_is_audited(app, world, actor, operator):
    cast = make_cast(world)
    otto = actor(operator)
    confirm = otto.get(f"/betrieb/accounts/{cast.facilitator.id}/delete").get_data(as_text=True)
    assert "nicht rückgängig" in confirm
    response = otto.post(f"/betrieb/accounts/{cast.facilitator.id}/delete")
    assert response.status_code == 302 and response.location.endswith("/betrieb/accounts")
    assert _user(app, cast.facilitator.id) is None
    with app.app_context():
        # As in self-deletion: the expedition goes on, the longest-standing member facilitates.
        assert db.session.get(Expedition, cast.expedition.id) is not None
        ada = db.session.scalar(select(Membership).where(Membership.user_id == cast.ada.id))
        assert ada.is_facilitator
    assert _audit(app) == [(operator.id, "delete_account", cast.facilitator.id, "")]
    # The log still names the deleted account by number only.
    log = otto.get("/betrieb/audit").get_data(as_text=True)
    assert f"Konto #{cast.facilitator.id} (gelöscht)" in log
    assert cast.facilitator.email not in log


def test_actions_need_csrf(app, world, actor, operator):
    ada = world.user("Ada Lorenz")
    otto = actor(operator)
    response = otto.client.post(f"/betrieb/accounts/{ada.id}/deactivate", data={})
    assert response.status_code == 400
    assert _user(app, ada.id).deactivated_at is None


def test_an_unknown_account_is_404(actor, operator):
    assert actor(operator).get("/betrieb/accounts/999999").status_code == 404
    assert actor(operator).post("/betrieb/accounts/999999/unlock").status_code == 404


# --- the audit log is append-only -------------------------------------------------------------


def test_audit_entries_cannot_be_changed_or_deleted(app, world, actor, operator):
    from alex.operator.models import AuditChangeRefused

    ada = world.user("Ada Lorenz")
    actor(operator).post(f"/betrieb/accounts/{ada.id}/unlock")
    with app.app_context():
        entry = db.session.scalar(select(OperatorAuditEntry))
        entry.action = "nothing"
        with pytest.raises(AuditChangeRefused):
            db.session.flush()
        db.session.rollback()
        entry = db.session.scalar(select(OperatorAuditEntry))
        db.session.delete(entry)
        with pytest.raises(AuditChangeRefused):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(OperatorAuditEntry)).action == "unlock"


def test_deleting_an_account_keeps_the_entries_about_it(app, world, actor, operator):
    ada = world.user("Ada Lorenz")
    otto = actor(operator)
    otto.post(f"/betrieb/accounts/{ada.id}/unlock")
    otto.post(f"/betrieb/accounts/{ada.id}/delete")
    assert [a for _, a, _, _ in _audit(app)] == ["unlock", "delete_account"]


# --- who may create expeditions ---------------------------------------------------------------


def test_everyone_creates_expeditions_by_default(world, actor):
    ada = actor(world.user("Ada Lorenz"))
    assert "/expeditions/new" in ada.get("/").get_data(as_text=True)
    assert ada.get("/expeditions/new").status_code == 200


def _new_expedition(person):
    return person.post(
        "/expeditions/new",
        {
            "title": "Neue Runde",
            "start_date": "2027-01-04",
            "sprint_weeks": "4",
            "sprint_count": "6",
            "timezone": "Europe/Berlin",
        },
    )


def test_only_listed_people_create_when_the_operator_says_so(app, world, actor, operator):
    otto = actor(operator)
    assert otto.post("/betrieb/policy", {"policy": "listed"}).status_code == 302
    ada = actor(world.user("Ada Lorenz"))
    home = ada.get("/").get_data(as_text=True)
    assert "/expeditions/new" not in home and "nur freigegebene Personen" in home
    refused = ada.get("/expeditions/new")
    assert refused.status_code == 403
    assert "Betrieb" in refused.get_data(as_text=True)
    assert _new_expedition(ada).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Expedition)) is None
    # Listed in the console, she may.
    otto.post(f"/betrieb/accounts/{ada.user.id}/roles", {"may_create_expeditions": "y"})
    assert "/expeditions/new" in ada.get("/").get_data(as_text=True)
    assert _new_expedition(ada).status_code == 302
    # Back to everyone: Ben, who is not listed, may again.
    otto.post("/betrieb/policy", {"policy": "everyone"})
    assert _new_expedition(actor(world.user("Ben Okafor"))).status_code == 302
    assert ("creation_policy", "listed") in [(a, d) for _, a, _, d in _audit(app)]


def test_an_unknown_policy_is_refused(actor, operator):
    assert actor(operator).post("/betrieb/policy", {"policy": "nobody"}).status_code == 400


# --- the announcement banner ------------------------------------------------------------------


def test_no_banner_adds_nothing(world, actor, client):
    page = actor(world.user("Ada Lorenz")).get("/").get_data(as_text=True)
    assert 'id="announcement"' not in page
    assert 'id="announcement"' not in client.get("/login").get_data(as_text=True)


def test_the_banner_shows_everywhere_until_closed(app, world, actor, client, operator):
    otto = actor(operator)
    otto.post("/betrieb/announcement", {"text": "Samstag 8–12 Uhr Wartung", "until": ""})
    ada = actor(world.user("Ada Lorenz"))
    for path in ("/", "/account"):
        page = ada.get(path).get_data(as_text=True)
        assert (
            "Samstag 8–12 Uhr Wartung" in page and 'aria-labelledby="announcement-heading"' in page
        )
    assert "Samstag 8–12 Uhr Wartung" in client.get("/login").get_data(as_text=True)
    # Closing (HTMX): the banner goes, and this browser does not see it again.
    closed = ada.post("/announcement/close", {"revision": "1", "next": "/"}, htmx=True)
    assert closed.status_code == 200 and closed.get_data(as_text=True) == ""
    assert "Wartung" not in ada.get("/").get_data(as_text=True)
    # Without JavaScript: back to the page.
    ben = actor(world.user("Ben Okafor"))
    plain = ben.post("/announcement/close", {"revision": "1", "next": "/account"})
    assert plain.status_code == 302 and plain.location.endswith("/account")
    # A new text shows again, also where the old one was closed.
    otto.post("/betrieb/announcement", {"text": "Neue Version ist da", "until": ""})
    assert "Neue Version ist da" in ada.get("/").get_data(as_text=True)
    # Removed: gone for everyone.
    otto.post("/betrieb/announcement", {"text": "egal", "remove": "1"})
    assert 'id="announcement"' not in ada.get("/").get_data(as_text=True)
    assert [d for _, a, _, d in _audit(app) if a == "announcement"] == [
        "set #1",
        "set #2",
        "removed",
    ]


def test_the_banner_ends_on_its_date(app, world, actor, operator):
    from alex.auth import instance

    ada = actor(world.user("Ada Lorenz"))
    with app.app_context():
        instance.set_announcement(db.session, "Gestern vorbei", utcnow() - timedelta(minutes=1))
        db.session.commit()
    assert "Gestern vorbei" not in ada.get("/").get_data(as_text=True)
    actor(operator).post("/betrieb/announcement", {"text": "Bis morgen", "until": "2999-01-01"})
    assert "Bis morgen" in ada.get("/").get_data(as_text=True)


def test_a_too_long_banner_is_refused_with_a_message(actor, operator):
    response = actor(operator).post("/betrieb/announcement", {"text": "x" * 501})
    assert response.status_code == 422
    assert "höchstens 500 Zeichen" in response.get_data(as_text=True)


def test_closing_needs_a_revision(world, actor):
    ada = actor(world.user("Ada Lorenz"))
    assert ada.post("/announcement/close", {"revision": "x"}).status_code == 400


# --- the retention purge's runs ---------------------------------------------------------------


def test_the_console_shows_the_purges_last_run(app, actor, operator):
    otto = actor(operator)
    assert "noch nicht gelaufen" in otto.get("/betrieb").get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["alex", "purge-expired"])
    assert result.exit_code == 0, result.output
    page = otto.get("/betrieb").get_data(as_text=True)
    assert "Letzter Lauf" in page and "0 Expedition(en)" in page


def test_a_wrong_password_of_a_deactivated_account_answers_like_any_other(app, world, client):
    ada = world.user("Ada Lorenz")
    with app.app_context():
        db.session.get(User, ada.id).deactivated_at = utcnow()
        db.session.commit()
    response = login(client, ada.email, TEST_PASSWORD + "x")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "kann sich im Moment nicht anmelden" not in text


def test_the_last_operator_cannot_delete_their_own_account(app, world, actor, operator):
    otto = actor(operator)
    refused = otto.post("/account/delete", {"password": TEST_PASSWORD})
    assert refused.status_code == 422
    assert "mindestens eine:n aktive:n Betreiber:in" in refused.get_data(as_text=True)
    assert _user(app, operator.id) is not None
    # With another operator, the account goes as any other.
    world.user("Bea Betrieb", is_operator=True)
    assert otto.post("/account/delete", {"password": TEST_PASSWORD}).status_code == 302
    assert _user(app, operator.id) is None


def test_on_postgresql_the_database_refuses_changes_to_the_audit_log(app, world, actor, operator):
    """Below the model: a hand-written UPDATE or DELETE hits the migration's trigger."""
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigger is PostgreSQL's; SQLite relies on the model's guard")
    ada = world.user("Ada Lorenz")
    actor(operator).post(f"/betrieb/accounts/{ada.id}/unlock")
    with app.app_context():
        for statement in (
            update(OperatorAuditEntry).values(action="nothing"),
            delete(OperatorAuditEntry),
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
    assert _audit(app) == [(operator.id, "unlock", ada.id, "")]
