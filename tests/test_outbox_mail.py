"""The outbox and the e-mail channel against a real SMTP server (STARTTLS + AUTH)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from alex import outbox
from alex.auth.models import User
from alex.db import utcnow
from alex.extensions import db
from alex.outbox import OutboxMessage
from tests.conftest import mail_settings
from tests.support.smtp import run_outbox


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, **mail_settings(smtp_server)}


def _reset_mail(app, user_id: int, **extra) -> int:
    with app.app_context():
        message = outbox.enqueue(
            db.session,
            channel="email",
            kind="password_reset",
            template="password_reset",
            context={"link": "https://alex.example.org/reset/abc"},
            user_id=user_id,
            **extra,
        )
        db.session.commit()
        return message.id


def _row(app, message_id: int) -> OutboxMessage:
    with app.app_context():
        row = db.session.get(OutboxMessage, message_id)
        db.session.expunge(row)
        return row


def test_mail_goes_out_multipart_with_headers_in_the_users_language(app, world, smtp_server):
    user = world.user("Ada Lorenz", "ada@example.org")
    message_id = _reset_mail(app, user.id)
    outcome = run_outbox(app)
    assert outcome.sent == 1
    [mail] = smtp_server.messages
    assert smtp_server.authenticated == [True]
    assert mail["To"] == "Ada Lorenz <ada@example.org>"
    assert mail["From"] == "ALEx <alex@example.org>"
    assert mail["Subject"] == "Setze dein ALEx-Passwort zurück"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"]
    row = _row(app, message_id)
    assert mail["Message-ID"] == row.message_id
    assert row.state == "sent" and row.attempts == 1 and row.sent_at is not None
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "https://alex.example.org/reset/abc" in text
    assert 'href="https://alex.example.org/reset/abc"' in html
    assert "<h1>" in html and "<img" not in html and "http://" not in html
    assert "List-Unsubscribe" not in mail


def test_english_recipient_gets_english(app, world, smtp_server):
    user = world.user("Ben Ortiz", "ben@example.org")
    with app.app_context():
        db.session.get(User, user.id).locale = "en"
        db.session.commit()
    _reset_mail(app, user.id)
    run_outbox(app)
    assert smtp_server.messages[0]["Subject"] == "Reset your ALEx password"


def test_rolled_back_change_sends_nothing(app, world, smtp_server):
    user = world.user()
    with app.app_context():
        outbox.enqueue(
            db.session,
            channel="email",
            kind="password_reset",
            template="password_reset",
            context={"link": "x"},
            user_id=user.id,
        )
        db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(OutboxMessage.id)) is None
    assert run_outbox(app).sent == 0
    assert smtp_server.messages == []


def test_cr_lf_in_names_and_subjects_cannot_inject_headers(app, world, smtp_server):
    user = world.user("Eve\r\nBcc: victim@example.net", "eve@example.org")
    with app.app_context():
        outbox.enqueue(
            db.session,
            channel="email",
            kind="digest",
            template="password_reset",
            context={
                "link": "https://alex.example.org/x",
                "unsubscribe_url": "https://alex.example.org/u\r\nBcc: victim@example.net",
            },
            user_id=user.id,
        )
        db.session.commit()
    assert run_outbox(app).sent == 1
    [(sender, recipients, raw)] = smtp_server.envelopes
    assert recipients == ["eve@example.org"]
    [mail] = smtp_server.messages
    assert "Bcc" not in mail
    assert b"\r\nBcc:" not in raw.split(b"\r\n\r\n", 1)[0]
    assert mail["To"].addresses[0].display_name == "Eve Bcc: victim@example.net"
    assert mail["List-Unsubscribe"] == "<https://alex.example.org/u Bcc: victim@example.net>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_permanent_refusal_marks_the_address_undeliverable(app, world, smtp_server):
    user = world.user("Cem Aydin", "cem@example.org")
    smtp_server.refuse("cem@example.org")
    message_id = _reset_mail(app, user.id)
    outcome = run_outbox(app)
    assert outcome.failed == 1
    row = _row(app, message_id)
    assert row.state == "failed" and "550" in row.last_error
    with app.app_context():
        account = db.session.get(User, user.id)
        assert account.email_undeliverable_at is not None
        assert "550" in account.email_undeliverable_reason
    assert smtp_server.messages == []


def test_temporary_failure_retries_with_backoff(app, world, smtp_server):
    user = world.user()
    smtp_server.refuse(user.email, "451 4.3.0 Try again later")
    message_id = _reset_mail(app, user.id)
    assert run_outbox(app).retry == 1
    row = _row(app, message_id)
    assert row.state == "pending" and row.attempts == 1 and "451" in row.last_error
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert run_outbox(app).sent == 0  # not due yet: nothing tried
    smtp_server.refusals.clear()
    with app.app_context():
        db.session.get(OutboxMessage, message_id).next_attempt_at = utcnow()
        db.session.commit()
    assert run_outbox(app).sent == 1
    assert _row(app, message_id).attempts == 2
    assert len(smtp_server.messages) == 1


def test_backoff_doubles_and_is_capped():
    assert outbox.backoff(1) == timedelta(minutes=1)
    assert outbox.backoff(2) == timedelta(minutes=2)
    assert outbox.backoff(4) == timedelta(minutes=8)
    assert outbox.backoff(30) == timedelta(hours=6)


def test_server_down_is_a_retry_and_never_fails_the_caller(app, world, make_app):
    user = world.user()
    down = make_app(SMTP_URL="smtp://127.0.0.1:9", BASE_URL="https://alex.example.org")
    message_id = _reset_mail(down, user.id)
    assert run_outbox(down).retry == 1
    assert "not reachable" in _row(down, message_id).last_error


def test_wrong_smtp_password_is_a_retry(app, world, make_app, smtp_server):
    user = world.user()
    wrong = make_app(
        SMTP_URL=smtp_server.url.replace("s3cret", "wrong"), BASE_URL="https://alex.example.org"
    )
    message_id = _reset_mail(wrong, user.id)
    assert run_outbox(wrong).retry == 1
    assert "login refused" in _row(wrong, message_id).last_error


def test_dedupe_key_makes_one_message(app, world):
    user = world.user()
    with app.app_context():
        kwargs = dict(
            channel="email",
            kind="digest",
            template="password_reset",
            context={"link": "x"},
            user_id=user.id,
            dedupe_key=f"digest:{user.id}:2026-W50",
        )
        assert outbox.enqueue(db.session, **kwargs) is not None
        db.session.commit()
        assert outbox.enqueue(db.session, **kwargs) is None
        db.session.commit()
        assert len(db.session.scalars(select(OutboxMessage)).all()) == 1


def test_attachment_ics_keeps_its_method(app, world, smtp_server):
    user = world.user()
    ics = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    _reset_mail(app, user.id, attachments=[("meeting.ics", "text/calendar; method=REQUEST", ics)])
    run_outbox(app)
    [mail] = smtp_server.messages
    [part] = list(mail.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "meeting.ics"
    assert "METHOD:REQUEST" in part.get_content()


def test_without_smtp_the_mail_becomes_an_eml_file(app, world, make_app, tmp_path, capsys):
    user = world.user()
    local = make_app(SMTP_URL="", BASE_URL="http://127.0.0.1:5000")
    local.instance_path = str(tmp_path)
    _reset_mail(local, user.id)
    assert run_outbox(local).sent == 1
    [eml] = (tmp_path / "mail").glob("*.eml")
    assert b"Subject:" in eml.read_bytes()
    printed = capsys.readouterr().out
    assert "https://alex.example.org/reset/abc" in printed


def test_without_base_url_nothing_is_sent_and_nothing_lost(app, world, make_app, smtp_server):
    user = world.user()
    unset = make_app(BASE_URL="")
    message_id = _reset_mail(unset, user.id)
    assert run_outbox(unset).retry == 1
    assert "ALEX_BASE_URL" in _row(unset, message_id).last_error
    assert smtp_server.messages == []


def test_account_page_says_the_address_is_undeliverable(app, world, actor, smtp_server):
    user = world.user("Cem Aydin", "cem@example.org")
    smtp_server.refuse("cem@example.org")
    _reset_mail(app, user.id)
    run_outbox(app)
    html = actor(user).get("/account").get_data(as_text=True)
    assert "Mails an cem@example.org kommen nicht an." in html


@pytest.mark.parametrize("mode", ["plain", "tls"])
def test_plain_smtp_and_implicit_tls_work_too(app, world, make_app, smtp_folder, mode):
    from tests.support.smtp import smtp_server_running

    user = world.user()
    with smtp_server_running(smtp_folder, mode=mode, auth=mode == "tls") as server:
        other = make_app(SMTP_URL=server.url, BASE_URL="https://alex.example.org")
        assert server.url.startswith({"plain": "smtp://", "tls": "smtps://"}[mode])
        _reset_mail(other, user.id)
        assert run_outbox(other).sent == 1
        assert len(server.messages) == 1
        assert server.authenticated == [mode == "tls"]


def test_one_batch_shares_one_connection(app, world, smtp_server):
    users = [world.user(f"Person {n}") for n in range(3)]
    for user in users:
        _reset_mail(app, user.id)
    connections = []
    original = smtp_server.controller.factory

    def counting_factory():
        connections.append(1)
        return original()

    smtp_server.controller.factory = counting_factory
    assert run_outbox(app).sent == 3
    assert len(smtp_server.messages) == 3
    assert len(connections) == 1


def test_ids_reach_the_queue_after_the_outer_commit_not_after_a_savepoint(app, world):
    """enqueue's dedupe check releases a savepoint: that is no commit of the row yet."""
    from alex import tasks

    user = world.user()
    with app.app_context():
        tasks.huey.storage.flush_queue()
        message = outbox.enqueue(
            db.session,
            channel="email",
            kind="digest",
            template="password_reset",
            context={"link": "x"},
            user_id=user.id,
            dedupe_key=f"digest:{user.id}:2026-W51",
        )
        assert message is not None
        assert tasks.huey.pending_count() == 0  # the savepoint is released, nothing committed
        db.session.commit()
        assert tasks.huey.pending_count() == 1
        tasks.huey.storage.flush_queue()


def test_the_smtp_connection_sends_small_writes_at_once(app, smtp_server):
    """TCP_NODELAY: the final "." after the message body is a small write right after a large
    one; with Nagle's algorithm it waited for the server's delayed ACK (~40 ms a mail)."""
    import socket

    from alex import mail

    with app.app_context():
        connection = mail._connect(mail.smtp_settings(app.config["ALEX_SMTP_URL"]))
    try:
        assert connection.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        mail._close(connection)


def test_notify_all_costs_the_same_statements_for_three_or_nine_people(app, world):
    """One query for everyone's choice and the actor's name, one INSERT of the in-app rows, one
    of the outbox rows; the ids reach the queue after the commit."""
    from sqlalchemy import event, func

    from alex import tasks
    from alex.notifications import Notification, notify_all, set_preference

    actor = world.user("Mona Moderation")
    counts = []
    for size in (3, 9):
        people = [world.user(f"Person {n}") for n in range(size)]
        expedition = world.expedition(actor, title=f"Zirkel {size}")
        for person in people:
            world.join(expedition, person)
        with app.app_context():
            set_preference(db.session, people[0].id, "support_requested", "app")
            for person in people[1:]:
                set_preference(db.session, person.id, "support_requested", "email")
            db.session.commit()
            tasks.huey.storage.flush_queue()
            statements = []

            def count(*_args, statements=statements) -> None:
                statements.append(1)

            event.listen(db.engine, "before_cursor_execute", count)
            try:
                sent = notify_all(
                    db.session,
                    [actor.id] + [p.id for p in people],
                    "support_requested",
                    expedition_id=expedition.id,
                    actor_id=actor.id,
                    subject="Frage",
                )
            finally:
                event.remove(db.engine, "before_cursor_execute", count)
            db.session.commit()
            assert sent == size
            counts.append(len(statements))
            mails = db.session.scalars(
                select(OutboxMessage).where(OutboxMessage.user_id.in_([p.id for p in people]))
            ).all()
            assert len(mails) == size - 1  # the first one chose the app
            assert {m.context["actor_name"] for m in mails} == {"Mona Moderation"}
            assert len({m.message_id for m in mails}) == size - 1
            in_app = db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.expedition_id == expedition.id
                )
            )
            assert in_app == size
            assert tasks.huey.pending_count() == 1  # one task with all the commit's ids
            tasks.huey.storage.flush_queue()
    assert counts[0] == counts[1], counts


def test_enqueue_many_with_dedupe_keys_writes_each_key_once(app, world):
    """The digest's batch: a key used before (this week's digest) writes nothing again."""
    from alex import tasks

    people = [world.user(f"Person {n}") for n in range(3)]
    keys = {p.id: f"digest:{p.id}:2026-W52" for p in people}
    with app.app_context():
        tasks.huey.storage.flush_queue()
        first = outbox.enqueue_many(
            db.session,
            channel="email",
            kind="digest",
            template="password_reset",
            contexts={p.id: {"link": "x"} for p in people[:2]},
            dedupe_keys=keys,
        )
        db.session.commit()
        again = outbox.enqueue_many(
            db.session,
            channel="email",
            kind="digest",
            template="password_reset",
            contexts={p.id: {"link": "x"} for p in people},
            dedupe_keys=keys,
        )
        db.session.commit()
        assert len(first) == 2 and len(again) == 1
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert sorted(r.dedupe_key for r in rows) == sorted(keys.values())
        assert tasks.huey.pending_count() == 2  # one task per commit, with its new ids
        tasks.huey.storage.flush_queue()
