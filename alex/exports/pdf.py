"""PDF rendering with WeasyPrint: our own static files only, tagged for screen readers."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative URLs in the document resolve against this made-up origin; nothing is ever fetched
# from it, the fetcher maps its /static/ paths to files on disk.
BASE_URL = "https://alex.invalid/"
_ORIGIN = urlsplit(BASE_URL).netloc


class RefusedURL(ValueError):
    """A URL outside our static files; WeasyPrint skips the resource and goes on."""


class StaticOnlyFetcher(URLFetcher):
    """Serve /static/… from disk and refuse everything else (http(s), file:, data:)."""

    def __init__(self, static_folder: str | Path):
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self.static_root = Path(static_folder).resolve()
        self.refused: list[str] = []  # for logs and tests: what the document tried to load

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        """Return a static file's bytes, or raise RefusedURL."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        if parts.scheme == "https" and parts.netloc == _ORIGIN and path.startswith("/static/"):
            target = (self.static_root / path.removeprefix("/static/")).resolve()
            if target.is_file() and target.is_relative_to(self.static_root):
                kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": kind})
        self.refused.append(url)
        raise RefusedURL(f"refused to load {url}")


def render_pdf(html: str, static_folder: str | Path, fetcher: StaticOnlyFetcher | None = None):
    """The document as PDF bytes: tagged (PDF/UA-1), with fonts from the system."""
    fetcher = fetcher or StaticOnlyFetcher(static_folder)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
