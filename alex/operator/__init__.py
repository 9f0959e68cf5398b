"""The operator's console ("Betrieb"): accounts, who may create expeditions, the banner, the
retention purge's last runs and an append-only audit log of every operator action.

An optional area: it plugs in from create_app and lower layers never import it. The settings it
changes live in `alex.auth.instance`, where the layers below read them.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the `make-operator` command to the operator group (cli.init_app made the group), and
    keep the last operator from deleting their own account."""
    from alex.auth.hooks import register_deletion_check
    from alex.operator import commands, service

    app.cli.commands["alex"].add_command(commands.make_operator_command)
    register_deletion_check(app, service.last_operator_problem)
