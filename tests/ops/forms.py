"""Find every form a visitor can see: crawl the GET routes, read the forms out of the HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Flask

from tests.support.scene import Scene, rules

TEXT_TYPES = {"text", "email", "search", "url", "tel", "password", None}


@dataclass
class Form:
    """A POST form: where it goes and its fields with their current values."""

    action: str
    fields: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    def text_fields(self) -> list[str]:
        return [
            name
            for name, kind in self.types.items()
            if kind in TEXT_TYPES | {"textarea"} and name != "csrf_token"
        ]


class _FormParser(HTMLParser):
    def __init__(self, page_path: str):
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.textarea: str | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.current = Form(a.get("action") or self.page_path)
            self.forms.append(self.current)
        elif self.current is None or not a.get("name"):
            return
        elif tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in {"submit", "button", "reset", "image", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                self.current.types.setdefault(a["name"], kind)
                return
            self.current.fields[a["name"]] = a.get("value") or ("y" if kind == "checkbox" else "")
            self.current.types[a["name"]] = kind
        elif tag == "textarea":
            self.textarea = a["name"]
            self.current.fields[a["name"]] = ""
            self.current.types[a["name"]] = "textarea"
        elif tag == "select":
            self.select = a["name"]
            self.current.types[a["name"]] = "select"
        elif tag == "option" and self.select and self.current:
            if self.select not in self.current.fields or "selected" in a:
                self.current.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea and self.current:
            self.current.fields[self.textarea] += data


def forms_in(html: str, page_path: str) -> list[Form]:
    parser = _FormParser(page_path)
    parser.feed(html)
    return parser.forms


def get_paths(app: Flask, scene: Scene) -> list[str]:
    """Every GET route with the scene's ids (static files aside)."""
    return sorted(
        {scene.url(app, rule) for endpoint, method, rule in rules(app) if method == "GET"}
        - {scene.url(app, r) for e, _, r in rules(app) if e == "static"}
    )


def crawl(client, paths: list[str], htmx: bool = False) -> dict[str, str]:
    """path → HTML of every page that answers 200."""
    pages = {}
    headers = {"HX-Request": "true"} if htmx else {}
    for path in paths:
        response = client.get(path, headers=headers)
        if response.status_code == 200 and response.mimetype == "text/html":
            pages[path] = response.get_data(as_text=True)
        response.close()
    return pages


def discover_forms(client, paths: list[str]) -> dict[str, Form]:
    """action → form, across every page the client can open."""
    found: dict[str, Form] = {}
    for path, html in crawl(client, paths).items():
        for form in forms_in(html, path):
            found.setdefault(form.action, form)
    return found
