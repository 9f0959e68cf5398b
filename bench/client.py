"""A small asyncio HTTP/1.1 client with keep-alive, cookies and latency statistics.

Our own client rather than a library: it costs little CPU (the server shares the cores) and it
measures exactly what we ask, one request at a time per connection.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    header_bytes: int
    set_cookies: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Connection:
    """One keep-alive connection to the server, reopened when the server closes it."""

    def __init__(self, host: str, port: int, cookies: dict[str, str] | None = None):
        self.host, self.port = host, port
        self.cookies = cookies if cookies is not None else {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Send one request and read the whole answer; retries once on a stale connection."""
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            try:
                return await self._exchange(method, path, form, headers or {})
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method, path, form, headers) -> Response:
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        assert self.writer is not None and self.reader is not None
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        raw_head = await self.reader.readuntil(b"\r\n\r\n")
        head = raw_head.decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        response_headers: dict[str, str] = {}
        set_cookies = []
        for line in head[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                response_headers[name.strip().lower()] = value.strip()
                if name.strip().lower() == "set-cookie":
                    set_cookies.append(value.strip())
        length = int(response_headers.get("content-length", "0"))
        payload = await self.reader.readexactly(length) if length else b""
        for cookie in set_cookies:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=thu, 01 jan 1970" in cookie.lower() or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, response_headers, payload, len(raw_head), set_cookies)


CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the session, read from a rendered page."""
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token in page")
    return match.group(1) or match.group(2)


async def log_in(host: str, port: int, email: str, password: str) -> Connection:
    """A connection whose cookies carry a logged-in session."""
    conn = Connection(host, port)
    page = await conn.request("GET", "/login")
    token = csrf_token(page.text)
    answer = await conn.request(
        "POST", "/login", form={"email": email, "password": password, "csrf_token": token}
    )
    if answer.status != 302:
        raise RuntimeError(f"login as {email} failed: {answer.status}")
    return conn


@dataclass
class Timing:
    """Latencies of one measured figure, in milliseconds, and the rate achieved."""

    latencies_ms: list[float]
    seconds: float
    errors: int
    statuses: dict[int, int]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def summary(self) -> dict:
        return {
            "p50_ms": round(self.p50, 3),
            "p95_ms": round(self.p95, 3),
            "requests_per_s": round(self.rps, 1),
            "requests": len(self.latencies_ms),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


async def measure(
    connections: list[Connection],
    make_request,
    expect: set[int],
    warmup: int = 30,
    requests: int = 400,
    seconds: float = 4.0,
) -> Timing:
    """Run `make_request(conn)` on every connection at once until `requests` or `seconds` run out.

    Each connection is one client sending its next request as soon as the last one answered.
    """
    for conn in connections:
        for _ in range(max(1, warmup // len(connections))):
            await make_request(conn)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def client(conn: Connection) -> None:
        nonlocal errors
        while len(latencies) < requests and time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                response = await make_request(conn)
            except (OSError, asyncio.IncompleteReadError):
                errors += 1
                await conn.close()
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if response.status not in expect:
                errors += 1

    await asyncio.gather(*(client(c) for c in connections))
    return Timing(latencies, time.perf_counter() - start, errors, statuses)
