"""Optional Web Push: notifications on the person's devices, even when ALEx is closed.

Plugs in from create_app: loads the VAPID keys (alex/push/vapid.py), offers the settings partial
`templates/push/_push_settings.html` (the notification settings include it), and delivers the
outbox's channel "push". Lower layers never import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Read the VAPID keys and give templates what the push settings partial shows."""
    from alex.push import commands, vapid, views

    vapid.load(app)
    app.context_processor(views.settings_context)
    # The operator group exists already (cli.init_app runs first); the command joins it.
    app.cli.commands["alex"].add_command(commands.vapid_keys_command)
