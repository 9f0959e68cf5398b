"""Optional signed webhooks: an expedition's events sent to a URL its facilitators choose.

Plugs in from create_app: listens to `alex.events` (meetings scheduled, moved or cancelled,
actions agreed or done, support requested) and delivers the outbox's channel "webhook"
(`alex.webhooks.service`). Lower layers never import this package.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Hear the expeditions' events, deliver the channel "webhook", export the creator's."""
    from alex import events, outbox
    from alex.exports.hooks import register_export_section
    from alex.webhooks import service

    events.subscribe("webhooks", service.on_event)
    outbox.register_channel(service.CHANNEL, service.deliver)
    register_export_section(app, "webhooks", service.export_rows)
