"""Optional Web Push: notifications on the person's devices, even when ALEx is closed.

Plugs in from create_app: loads the VAPID keys (alex/push/vapid.py), offers the settings partial
`templates/push/_push_settings.html` (the notification settings include it), and delivers the
outbox's channel "push". Lower layers never import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Read the VAPID keys, deliver the outbox's channel "push", give templates the settings."""
    from alex import outbox
    from alex.auth.hooks import register_on_all_sessions_ended
    from alex.exports.hooks import register_export_section
    from alex.push import commands, deliver, service, vapid, views

    vapid.load(app)
    outbox.register_channel("push", deliver.deliver)
    register_on_all_sessions_ended(app, service.forget_devices)
    register_export_section(app, "push_subscriptions", service.export_rows)
    app.context_processor(views.settings_context)
    # The operator group exists already (cli.init_app runs first); the command joins it.
    app.cli.commands["alex"].add_command(commands.vapid_keys_command)
