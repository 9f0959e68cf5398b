"""The instance's shared offers: open expeditions to join (Börse) and the library of retro
formats and Expeditions-Vorlagen.

An optional area above the others. It registers the library's Vorlagen with the new-expedition
page (`alex.expeditions.service.register_shared_vorlagen`) from `init_app`; the lower layers
never import it.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Offer the library's Vorlagen for new expeditions; export requests and shared items."""
    from alex.expeditions.service import register_shared_vorlagen
    from alex.exports.hooks import register_export_section
    from alex.openings import library, service
    from alex.openings.library import vorlage_for_new_expedition, vorlagen_for_new_expeditions

    register_shared_vorlagen(app, (vorlagen_for_new_expeditions, vorlage_for_new_expedition))
    register_export_section(app, "join_requests", service.export_rows)
    register_export_section(app, "library_items", library.export_rows)
