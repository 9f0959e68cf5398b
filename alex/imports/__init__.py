"""Import into my board: a Trello, Nextcloud Deck, Planka or Kanboard board onto one's own board.

An optional area above the boards: it reads an uploaded export (`formats.py`), keeps a pending
preview (`service.py`), and creates the cards through alex.boards.service. Its one hook into the
app is the larger upload allowance of its upload route (below); the board page links to it
through `nav_url`, so without this area the link is simply absent.
"""

from __future__ import annotations

from flask import Flask, request

UPLOAD_ENDPOINT = "imports.upload"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries, the CSRF token and the format field


def init_app(app: Flask) -> None:
    """Let the upload route take a body as large as ALEX_IMPORT_MAX_BYTES (plus the form's own).

    The app's MAX_CONTENT_LENGTH stays as it is for every other route. The allowance must be set
    before anything reads the body, and CSRF protection reads the form in its own before-request
    hook: so this hook goes first.
    """

    def allow_import_upload() -> None:
        if request.endpoint == UPLOAD_ENDPOINT:
            request.max_content_length = app.config["ALEX_IMPORT_MAX_BYTES"] + FORM_OVERHEAD

    app.before_request_funcs.setdefault(None, []).insert(0, allow_import_upload)
