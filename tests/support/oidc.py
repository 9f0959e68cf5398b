"""A real OpenID provider for the single sign-on tests, and ways to drive and to attack it.

    provider = OpenIdProvider.start(tmp_dir, redirect_uri, post_logout_uri)   # node oidc-provider
    provider.set_account("ada", email="ada@amt.example", email_verified=True, name="Ada Lorenz")
    callback = sign_in_at_provider(http, authorize_url, "ada")   # its login and consent forms
    proxy = TamperingProxy()       # monkeypatch.setenv("HTTP_PROXY", proxy.url): in the middle

The provider is `oidc-provider` (OpenID Certified) from npm, installed by `make test` into
tests/support/oidc/node_modules and configured by tests/support/oidc/provider.mjs. The proxy stands
where a network attacker or a broken provider would: ALEx's requests to the provider go through it
(HTTP_PROXY), and it can rewrite what comes back (another issuer, a changed, forged or replayed ID
token).
"""

from __future__ import annotations

import base64
import json
import secrets
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

HERE = Path(__file__).parent / "oidc"
CLIENT_ID = "alex"
CLIENT_SECRET = "tests-only-" + "client-secret"


def provider_installed() -> bool:
    return (HERE / "node_modules" / "oidc-provider" / "package.json").exists()


@dataclass
class OpenIdProvider:
    """oidc-provider running in node on a loopback port; accounts from a JSON file."""

    process: subprocess.Popen
    issuer: str
    accounts_file: Path

    @classmethod
    def start(
        cls, folder: Path, redirect_uri: str, post_logout_uri: str, id_token_ttl: int = 3600
    ) -> OpenIdProvider:
        """Start it and wait until it listens (a few hundred milliseconds)."""
        if not provider_installed():
            raise RuntimeError(
                "oidc-provider is not installed: run `make test` (or `make oidc-provider`) first"
            )
        accounts_file = folder / "accounts.json"
        accounts_file.write_text("{}")
        process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs")],
            env={
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "PORT": "0",
                "CLIENT_ID": CLIENT_ID,
                "CLIENT_SECRET": CLIENT_SECRET,
                "REDIRECT_URI": redirect_uri,
                "POST_LOGOUT_URI": post_logout_uri,
                "ACCOUNTS_FILE": str(accounts_file),
                "ID_TOKEN_TTL": str(id_token_ttl),
                "NODE_NO_WARNINGS": "1",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = process.stdout.readline()
        if not line.startswith("ready "):
            process.kill()
            raise RuntimeError(f"oidc-provider did not start: {line!r}")
        return cls(process, line.split()[1], accounts_file)

    def set_account(self, account_id: str, **claims) -> None:
        """Add or replace a person (read at their next login)."""
        accounts = json.loads(self.accounts_file.read_text())
        accounts[account_id] = claims
        self.accounts_file.write_text(json.dumps(accounts))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=5)
        self.process.stdout.close()


class _Forms(HTMLParser):
    """The forms of a page: action and their named inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"id": attrs.get("id"), "action": attrs.get("action"), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def _form(page: requests.Response) -> dict:
    parser = _Forms()
    parser.feed(page.text)
    assert parser.forms, f"no form on {page.url}: {page.text[:300]}"
    return parser.forms[0]


def _until_redirect_outside(http: requests.Session, response: requests.Response, issuer: str):
    """Follow the provider's redirects; stop at the first that leaves it (back to ALEx)."""
    while response.is_redirect:
        target = urljoin(response.url, response.headers["Location"])
        if not target.startswith(issuer):
            return target, None
        response = http.get(target, allow_redirects=False)
    return None, response


def sign_in_at_provider(
    http: requests.Session, authorize_url: str, account_id: str, issuer: str
) -> str:
    """Do what a person does at the provider: log in (any password), consent; returns the URL
    the provider sends the browser back to (ALEx's callback with code and state)."""
    response = http.get(authorize_url, allow_redirects=False)
    for _ in range(4):
        back, page = _until_redirect_outside(http, response, issuer)
        if back:
            return back
        form = _form(page)
        fields = dict(form["fields"])
        if fields.get("prompt") == "login":
            fields.update(login=account_id, password="any")
        response = http.post(urljoin(page.url, form["action"]), data=fields, allow_redirects=False)
    raise AssertionError("the provider did not send the browser back")


def sign_out_at_provider(http: requests.Session, end_session_url: str, issuer: str) -> str:
    """Confirm the provider's "Sign out?" page; returns where it sends the browser back to."""
    page = http.get(end_session_url, allow_redirects=False)
    back, page = _until_redirect_outside(http, page, issuer)
    if back:
        return back
    form = _form(page)
    response = http.post(
        urljoin(page.url, form["action"]),
        data={**form["fields"], "logout": "yes"},
        allow_redirects=False,
    )
    back, _page = _until_redirect_outside(http, response, issuer)
    assert back, "the provider did not send the browser back after logout"
    return back


def jwt_parts(token: str) -> tuple[dict, dict, str]:
    """Header, payload and the signature (as text) of a compact JWT."""
    header, payload, signature = token.split(".")
    return _b64json(header), _b64json(payload), signature


def _b64json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class TamperingProxy:
    """A forward HTTP proxy for ALEx's own requests to the provider (discovery, JWKS, token,
    userinfo): put its `url` in HTTP_PROXY and it stands where a network attacker would.

    It passes everything through, except: `announce_issuer` replaces the discovery document's
    issuer; `extra_keys` are added to the JWKS (a key the attacker slipped in);
    `rewrite_id_token(token) -> token` changes the ID token of each token response (the real
    ones are kept in `seen_id_tokens`). The browser's own requests do not go through it.
    """

    announce_issuer: str | None = None
    extra_keys: list[dict] = field(default_factory=list)
    rewrite_id_token: Callable[[str], str] | None = None
    seen_id_tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _forward(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in {"host", "proxy-connection", "connection"}
                }
                with requests.Session() as upstream_http:
                    upstream_http.trust_env = False  # never back through this proxy
                    upstream = upstream_http.request(
                        method,
                        self.path,
                        headers=headers,
                        data=body,
                        allow_redirects=False,
                        timeout=10,
                    )
                content = proxy._rewrite(urlsplit(self.path).path, upstream)
                self.send_response(upstream.status_code)
                for name in ("Content-Type", "Location", "WWW-Authenticate"):
                    if name in upstream.headers:
                        self.send_header(name, upstream.headers[name])
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _rewrite(self, path: str, upstream: requests.Response) -> bytes:
        if not upstream.ok:
            return upstream.content
        if path == "/.well-known/openid-configuration" and self.announce_issuer:
            return json.dumps({**upstream.json(), "issuer": self.announce_issuer}).encode()
        if path == "/jwks" and self.extra_keys:
            keys = upstream.json()["keys"] + self.extra_keys
            return json.dumps({"keys": keys}).encode()
        if path == "/token":
            answer = upstream.json()
            if "id_token" in answer:
                self.seen_id_tokens.append(answer["id_token"])
                if self.rewrite_id_token:
                    answer["id_token"] = self.rewrite_id_token(answer["id_token"])
            return json.dumps(answer).encode()
        return upstream.content

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def random_account_id() -> str:
    return "person-" + secrets.token_hex(4)
