"""Operator commands: flask --app wsgi alex …"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from alex.extensions import db

alex_cli = AppGroup("alex", help="ALEx operator commands.")


@alex_cli.command("upgrade-db")
def upgrade_db() -> None:
    """Bring the database schema to the newest version (alembic upgrade head)."""
    from alex.migrate import upgrade

    upgrade(current_app.config["SQLALCHEMY_ENGINES"]["default"]["url"])
    click.echo("Database is up to date.")


@alex_cli.command("compile-translations")
def compile_translations() -> None:
    """Compile the message catalogs (.po → .mo)."""
    from alex.i18n import compile_catalogs

    written = compile_catalogs()
    click.echo(f"Compiled {len(written)} catalog(s).")


@alex_cli.command("build-assets")
def build_assets() -> None:
    """Write the minified twins of our own CSS and JavaScript (static/min/), then the Brotli
    and gzip twins of every static text file (served by WhiteNoise, alex.static_files)."""
    from alex.assets import build_compressed, build_minified

    written = build_minified(current_app.static_folder or "")
    click.echo(f"Minified {len(written)} file(s).")
    compressed = build_compressed(current_app.static_folder or "")
    click.echo(f"Compressed {len(compressed)} file(s).")


@alex_cli.command("seed-demo")
@click.option(
    "--cards-per-board",
    default=12,
    show_default=True,
    help="Cards on each participant's board (larger numbers make benchmark data).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database has accounts already.")
def seed_demo_command(cards_per_board: int, if_empty: bool) -> None:
    """Fill an empty database with a living demo expedition."""
    from datetime import date

    from alex.demo import (
        DEMO_PASSWORD,
        FACILITATOR,
        FINISHED_PARTICIPANT,
        OPERATOR,
        PARTICIPANTS,
        database_is_empty,
        seed_demo,
        seed_demo_operator,
        seed_finished,
    )

    if current_app.config["ALEX_ENV"] == "production":
        raise click.ClickException("The demo seed does not run with ALEX_ENV=production.")
    if not database_is_empty(db.session):
        if if_empty:
            click.echo("Database has data already; demo not seeded.")
            return
        raise click.ClickException("The database is not empty; the demo needs an empty one.")
    demo = seed_demo(db.session, date.today(), cards_per_board=cards_per_board)
    seed_demo_operator(db.session)
    config = current_app.config
    finished = seed_finished(
        db.session,
        date.today(),
        demo.facilitator,
        config["ALEX_CERTIFICATE_ISSUER"] or config["ALEX_OPERATOR"] or "Stadt Musterstadt",
    )
    db.session.commit()
    click.echo(f"Demo expedition #{demo.expedition.id} created. Logins (password {DEMO_PASSWORD}):")
    for email, name in (FACILITATOR, *PARTICIPANTS):
        click.echo(f"  {email:<26} {name}")
    click.echo(f"  {OPERATOR[0]:<26} {OPERATOR[1]} (Betrieb: the operator's console)")
    click.echo(
        f"Finished expedition #{finished.expedition.id} with certificates of attendance: "
        f"{FINISHED_PARTICIPANT}"
    )


@alex_cli.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_user(email: str, name: str, password: str) -> None:
    """Create an account (e.g. when registration is closed)."""
    from alex.auth.service import AuthError, password_problem, register_user

    if problem := password_problem(password, [name, email]):
        raise click.ClickException(problem)
    try:
        user = register_user(db.session, name, email, password)
    except AuthError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Account {user.email} created.")


@alex_cli.command("unlock-user")
@click.argument("email")
def unlock_user(email: str) -> None:
    """Lift the wait after failed passwords and codes early."""
    from alex.auth.service import find_user_by_email

    user = find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException("No such account.")
    user.failed_logins, user.next_login_at = 0, None
    user.failed_codes, user.next_code_at = 0, None
    db.session.commit()
    click.echo(f"{user.email} unlocked.")


@alex_cli.command("reset-link")
@click.argument("email")
def reset_link_command(email: str) -> None:
    """Print a single-use password-reset link (30 minutes) for an account: the operator's way."""
    from flask import url_for

    from alex.auth.recovery import VALID_FOR, start_reset
    from alex.auth.service import find_user_by_email
    from alex.mail import MailConfigError, absolute

    user = find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException("No such account.")
    with current_app.test_request_context():
        path = url_for("auth.reset_password", token=start_reset(db.session, user))
    try:
        link = absolute(path)
    except MailConfigError:
        link = path
        click.echo("ALEX_BASE_URL is not set; put this installation's address in front:", err=True)
    db.session.commit()
    minutes = int(VALID_FOR.total_seconds() // 60)
    click.echo(f"Reset link for {user.email} (works once, {minutes} minutes):\n{link}")


@alex_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write a consistent copy of the SQLite database to PATH while the app keeps running."""
    from alex.backup import BackupError, backup

    try:
        pages = backup(current_app.config["SQLALCHEMY_ENGINES"]["default"]["url"], path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {path} ({pages} pages, integrity ok).")


@alex_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.confirmation_option(prompt="Replace everything in the database with this backup?")
def restore_command(path: Path) -> None:
    """Replace the SQLite database's content with the backup at PATH."""
    from alex.backup import BackupError, restore

    try:
        restore(current_app.config["SQLALCHEMY_ENGINES"]["default"]["url"], path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Database restored from {path}.")


@alex_cli.command("purge-expired")
def purge_expired_command() -> None:
    """Delete expired login sessions and expeditions whose retention period has ended (daily)."""
    from alex.auth import sessions
    from alex.exports.retention import purge_expired_cli

    ended = sessions.purge_expired(db.session, sessions.limits(current_app))
    db.session.commit()
    click.echo(f"{ended} expired login session(s) deleted.")
    purge_expired_cli(sessions_deleted=ended)


@alex_cli.command("queue-status")
def queue_status_command() -> None:
    """Print the queue's figures as JSON (what /healthz/queue shows only on loopback)."""
    import json

    from alex.health import queue_state

    body, status = queue_state()
    click.echo(json.dumps(body, sort_keys=True))
    if status != 200:
        raise SystemExit(1)


@alex_cli.command("consumer")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
def consumer_command(workers: int) -> None:
    """Run the task queue's consumer: delivers mail and push, runs the periodic jobs."""
    import logging

    from alex import outbox, tasks
    from alex.mail import check_sending_config

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if problems := check_sending_config(app):
        raise click.ClickException(" ".join(problems))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    tasks.init_app(app)
    tasks.beat()
    outbox.sweep_task()  # at once, not at the next full minute: what a dead consumer left
    kind, options = tasks.queue_storage(app)
    where = options.get("filename") or "Redis"
    click.echo(f"Consumer started ({workers} workers, queue: {where}).")
    tasks.run_consumer(app, workers=workers)


def init_app(app: Flask) -> None:
    """Register the command group."""
    app.cli.add_command(alex_cli)
