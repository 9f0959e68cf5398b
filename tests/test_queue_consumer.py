"""The real consumer (`flask alex consumer`) on the SQLite and the Redis queue, killed mid-batch."""

from __future__ import annotations

import socket
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from alex import health, outbox, tasks
from alex.extensions import db
from alex.outbox import OutboxMessage
from tests.conftest import mail_settings
from tests.support.smtp import consumer_env, consumer_process

pytestmark = pytest.mark.ops


def _redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture(params=["sqlite", "redis"])
def queue_backend(request):
    if request.param == "redis" and not _redis_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return request.param


@pytest.fixture
def app_config(app_config, smtp_server, tmp_path, queue_backend):
    config = {
        **app_config,
        **mail_settings(smtp_server),
        "QUEUE_NAME": f"alex-test-{uuid.uuid4().hex[:8]}",
        "QUEUE_PATH": str(tmp_path / "queue.sqlite3"),
        "OUTBOX_LEASE_SECONDS": 1,
    }
    if queue_backend == "redis":
        config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    return config


@pytest.fixture(autouse=True)
def _empty_queue_afterwards(app):
    yield
    tasks.init_app(app)
    tasks.huey.storage.flush_all()


def _enqueue(app, user_ids: list[int], commits: int) -> list[str]:
    message_ids = []
    with app.app_context():
        per_commit = max(1, len(user_ids) // commits)
        for start in range(0, len(user_ids), per_commit):
            for user_id in user_ids[start : start + per_commit]:
                message = outbox.enqueue(
                    db.session,
                    channel="email",
                    kind="password_reset",
                    template="password_reset",
                    context={"link": f"https://alex.example.org/reset/{user_id}"},
                    user_id=user_id,
                )
                message_ids.append(message.message_id)
            db.session.commit()  # after the commit the ids go to the queue
    return message_ids


def _states(app) -> Counter:
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
        ).all()
        db.session.rollback()
    return Counter(dict(rows))


def _wait_until_all_sent(app, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _states(app)["sent"] == count:
            return
        time.sleep(0.2)
    raise AssertionError(f"not all sent: {_states(app)}")


def test_consumer_delivers_what_a_commit_queued(app, app_config, world, smtp_server, tmp_path):
    users = [world.user(f"Person {n}").id for n in range(3)]
    message_ids = _enqueue(app, users, commits=1)
    with consumer_process(consumer_env(app_config), tmp_path / "consumer.log"):
        received = smtp_server.wait_for(3)
        _wait_until_all_sent(app, 3)
    assert sorted(m["Message-ID"] for m in received) == sorted(message_ids)
    # The consumer said it lives: /healthz/queue is green.
    response = app.test_client().get("/healthz/queue")
    assert response.status_code == 200, response.get_json()


def test_kill_9_mid_batch_sends_nothing_twice_and_loses_nothing(
    app, app_config, world, smtp_server, tmp_path
):
    total = 16
    users = [world.user(f"Person {n}").id for n in range(total)]
    # Each message takes a while, most of it before the point of no return: the kill lands
    # inside the batch, and mostly on messages the server has not accepted yet.
    smtp_server.rcpt_delay, smtp_server.delay = 0.12, 0.04
    message_ids = _enqueue(app, users, commits=4)
    log = tmp_path / "consumer.log"
    env = consumer_env(app_config)
    with consumer_process(env, log) as first:
        smtp_server.wait_for(4, timeout=30)
        first.kill()  # SIGKILL: no clean-up, whatever it was doing
        first.wait()
    states = _states(app)
    assert states["sent"] < total, states  # it really died mid-batch
    print("after the kill:", dict(states))
    time.sleep(1.2)  # the dead consumer's claims (lease 1 s in this test) run out
    with consumer_process(env, log):
        _wait_until_all_sent(app, total)
        time.sleep(0.5)  # a duplicate, if any, would arrive now
    received = Counter(m["Message-ID"] for m in smtp_server.messages)
    assert set(received) == set(message_ids), log.read_text()[-2000:]
    assert max(received.values()) == 1, received.most_common(3)


def test_healthz_queue_reports_a_silent_consumer(app, make_app):
    client = app.test_client()
    response = client.get("/healthz/queue")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "no consumer has run yet"
    with app.app_context():
        tasks.huey.put(tasks.HEARTBEAT_KEY, time.time() - 3600)
    response = client.get("/healthz/queue")
    assert response.status_code == 503
    assert "has not run for" in response.get_json()["reason"]
    with app.app_context():
        tasks.beat()
    assert client.get("/healthz/queue").status_code == 200


def test_consumer_refuses_to_start_without_base_url(app_config, tmp_path):
    import subprocess
    import sys

    from tests.support.smtp import ROOT

    env = consumer_env(app_config)
    env.pop("ALEX_BASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "alex", "consumer"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ALEX_BASE_URL is not set" in result.stderr


def test_healthz_queue_shows_figures_only_to_the_machine_itself(app, world):
    user = world.user("Ada Lorenz")
    with app.app_context():
        tasks.beat()
        outbox.enqueue(
            db.session,
            channel="email",
            kind="password_reset",
            template="password_reset",
            context={"link": "x"},
            user_id=user.id,
        )
        db.session.commit()
    client = app.test_client()
    stranger = client.get("/healthz/queue", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert stranger.status_code == 200 and stranger.get_json() == {"status": "ok"}
    proxied = client.get("/healthz/queue", headers={"X-Forwarded-For": "203.0.113.5"})
    assert proxied.get_json() == {"status": "ok"}
    local = client.get("/healthz/queue", environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert local["status"] == "ok" and local["waiting"] == 1
    printed = app.test_cli_runner().invoke(args=["alex", "queue-status"])
    assert printed.exit_code == 0 and '"waiting": 1' in printed.output
    with app.app_context():
        tasks.huey.put(tasks.HEARTBEAT_KEY, time.time() - 3600)
    stale = client.get("/healthz/queue", environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert stale.status_code == 503
    assert stale.get_json() == {"status": "unavailable", "reason": health.PUBLIC_REASON}
    assert app.test_cli_runner().invoke(args=["alex", "queue-status"]).exit_code == 1


def test_consumer_refuses_to_start_in_production_without_smtp(app_config):
    import subprocess
    import sys

    from tests.support.smtp import ROOT

    env = consumer_env(app_config)
    env.pop("ALEX_SMTP_URL", None)
    env.pop("ALEX_CHEAP_PASSWORD_HASHING", None)
    env["ALEX_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "alex", "consumer"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ALEX_SMTP_URL is not set: in production mails must go out over SMTP" in result.stderr


def test_the_eml_fallback_never_prints_a_link_in_production(make_app, tmp_path, capsys):
    from email.message import EmailMessage

    from alex.mail import write_eml

    message = EmailMessage()
    message["To"], message["Subject"], message["Message-ID"] = "a@example.org", "Reset", "<1@x>"
    message.set_content("Open https://alex.example.org/password/reset/SECRET-TOKEN now.")
    for env, shown in (("development", True), ("production", False)):
        app = make_app(ENV=env, CHEAP_PASSWORD_HASHING=False, SMTP_URL="")
        with app.app_context():
            path = write_eml(message, tmp_path / env)
        printed = capsys.readouterr().out
        assert ("SECRET-TOKEN" in printed) is shown
        assert "Reset" in printed and str(path) in printed
