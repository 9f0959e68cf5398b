"""Operator command of the push area: `flask --app wsgi alex vapid-keys`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from alex.push import vapid


@click.command("vapid-keys")
@with_appcontext
@click.option(
    "--force",
    is_flag=True,
    help="Replace existing keys (every device must then turn push on again).",
)
def vapid_keys_command(force: bool) -> None:
    """Make the VAPID key pair for Web Push once and keep it in instance/vapid.json."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("ALEX_VAPID_PRIVATE_KEY") and not force:
        where = vapid.key_file(app)
        source = str(where) if where and where.exists() else "ALEX_VAPID_PRIVATE_KEY"
        click.echo(f"VAPID keys exist already ({source}); nothing changed.")
        click.echo(f"ALEX_VAPID_PUBLIC_KEY={app.config['ALEX_VAPID_PUBLIC_KEY']}")
        return
    path = vapid.key_file(app)
    if path is None:
        raise click.ClickException("Set ALEX_VAPID_KEY_FILE: where should the keys be kept?")
    private, public = vapid.write_key_file(path)
    click.echo(f"VAPID keys written to {path} (readable by this user only).")
    click.echo("To keep them in the environment instead (e.g. several servers), set:")
    click.echo(f"ALEX_VAPID_PRIVATE_KEY={private}")
    click.echo(f"ALEX_VAPID_PUBLIC_KEY={public}")
