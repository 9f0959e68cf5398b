"""Security headers on every response."""

from flask import Flask, Response, request

# default-src covers scripts, styles, fonts, fetches, the manifest and workers ('self' only, no
# inline code or styles); spelling each out again cost 130 bytes on every page.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Responses no browser renders as a document (the service worker is not among them: its own
# response headers are the policy it runs under).
NOT_DOCUMENTS = {"static", "pwa.manifest"}


def init_app(app: Flask) -> None:
    """Register the header hook."""

    document_headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Frame-Options", "DENY"),
        # same-origin, not no-referrer: Flask-WTF checks the referrer on HTTPS.
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config["ALEX_HTTPS"]:
        document_headers.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.endpoint in NOT_DOCUMENTS:
            # Stylesheets, scripts, images and the manifest are not documents: a policy on them
            # does nothing, and on a phone's first visit those bytes add up (60 KB in total).
            return response
        # What a view set itself stays; the rest is added in one pass over the headers (one
        # setdefault each scanned them six times on every answer).
        present = {name.lower() for name in headers.keys()}
        headers.extend(
            (name, value) for name, value in document_headers if name.lower() not in present
        )
        return response
