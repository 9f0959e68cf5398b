"""Operator commands of the console area: name the first operator from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from alex.extensions import db
from alex.operator import service


@click.command("make-operator")
@with_appcontext
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Take the operator role away instead.")
def make_operator_command(email: str, revoke: bool) -> None:
    """Make an account an operator ("Betrieb"), or with --revoke no longer one."""
    try:
        user = service.make_operator(db.session, email, grant=not revoke)
    except LookupError as error:
        raise click.ClickException("No such account.") from error
    except service.ConsoleError as error:
        raise click.ClickException(
            "There must always be at least one active operator: make someone else one first."
        ) from error
    db.session.commit()
    state = "no longer an operator" if revoke else "an operator"
    click.echo(f"{user.email} is {state}.")
