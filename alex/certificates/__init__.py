"""Teilnahmebescheinigung: a certificate of attendance the facilitator issues after the Abschluss.

Separate from the Lernbericht (which holds content): a certificate names the person, the
expedition, its dates and the attendance, nothing more. Each carries a verification code and a
QR code for the public page `/verify/<code>`, which says whether it is valid or was revoked.

Plugs in from create_app; lower layers never import this package. It tells the training
department's figures which participants hold a valid certificate through the registry in
`alex.expeditions.hooks` (the figures area never imports this one).
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Offer "holds a valid certificate" as evidence of completion; export the holder's."""
    from alex.certificates import service
    from alex.expeditions.hooks import register_completion_source
    from alex.exports.hooks import register_export_section

    register_completion_source(app, service.certified_members)
    register_export_section(app, "certificates", service.export_rows)
