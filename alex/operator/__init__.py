"""The operator's console ("Betrieb"): accounts, who may create expeditions, the banner, the
retention purge's last runs and an append-only audit log of every operator action.

An optional area: it plugs in from create_app and lower layers never import it. The settings it
changes live in `alex.auth.instance`, where the layers below read them.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the `make-operator` command to the operator group (cli.init_app made the group)."""
    from alex.operator import commands

    app.cli.commands["alex"].add_command(commands.make_operator_command)
