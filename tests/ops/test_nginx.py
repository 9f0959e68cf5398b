"""The shipped nginx site (deploy/nginx-alex.conf) in front of gunicorn, as an operator runs it.

Only what differs on an operator's server is replaced: ports, the certificate (a self-signed one
made here), the static folder and the upstream port. Then `nginx -t` must accept it, and real
requests over TLS show what it promises: HTTP → HTTPS, long caching of versioned static files,
compression, and the X-Forwarded-* headers the app trusts with ALEX_PROXY_FIX=1.
"""

from __future__ import annotations

import gzip
import http.client
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from bench.server import Gunicorn, free_port
from tests.ops.servers import reachable

pytestmark = [pytest.mark.ops, pytest.mark.backend_independent]

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx-alex.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MODULES = Path("/usr/lib/nginx/modules")
HOST = "alex.example.org"


def _site_for_test(text: str, http_port: int, https_port: int, upstream: int, cert: Path) -> str:
    """The operator's site with this machine's ports and paths; nothing else changes."""
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/letsencrypt/live/alex.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/alex.example.org/privkey.pem": str(cert.with_suffix(".key")),
        "alias /srv/alex/static/;": f"alias {ROOT / 'static'}/;",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx-alex.conf no longer contains {old!r}"
        text = text.replace(old, new)
    # No IPv6 on every test machine; the commented brotli line is what the README tells
    # operators to enable once the module is installed.
    text = "\n".join(line for line in text.splitlines() if "listen [::]" not in line)
    return text.replace(
        "# brotli on; brotli_comp_level 5;",
        "brotli on; brotli_comp_level 5;",
    )


def _main_config(tmp: Path, site: str) -> str:
    """A minimal nginx.conf around the site, running as this user inside tmp/."""
    modules = "".join(
        f"load_module {MODULES / name};\n"
        for name in ("ngx_http_brotli_filter_module.so", "ngx_http_brotli_static_module.so")
    )
    temp_paths = "".join(
        f"{kind}_temp_path {tmp / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{modules}daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} warn;\nevents {{ worker_connections 64; }}\n"
        f"http {{\ninclude /etc/nginx/mime.types;\naccess_log off;\n{temp_paths}{site}\n}}\n"
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, database_url):
    """gunicorn (deploy/gunicorn.conf.py) behind nginx with the shipped site."""
    if not Path(NGINX).exists() or not (MODULES / "ngx_http_brotli_filter_module.so").exists():
        pytest.skip("nginx with the brotli module is not installed (make test installs both)")
    tmp = tmp_path_factory.mktemp("nginx")
    cert = tmp / "site.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         f"/CN={HOST}", "-keyout", str(cert.with_suffix(".key")), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    app_server = Gunicorn(database_url, tmp, workers=1, ALEX_PROXY_FIX="1", ALEX_HTTPS="1").start()
    http_port, https_port = free_port(), free_port()
    config = tmp / "nginx.conf"
    config.write_text(
        _main_config(
            tmp, _site_for_test(SITE.read_text(), http_port, https_port, app_server.port, cert)
        )
    )
    check = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proxy = subprocess.Popen([NGINX, "-c", str(config)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not reachable("127.0.0.1", https_port) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield {"http": http_port, "https": https_port, "check": check.stderr}
    finally:
        proxy.terminate()
        proxy.wait(10)
        app_server.stop()


def _get(port: int, path: str, *, tls: bool = True, headers: dict | None = None):
    context = ssl._create_unverified_context()  # the certificate is self-signed for this test
    connection = (
        http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        if tls
        else http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    )
    connection.request("GET", path, headers={"Host": HOST, **(headers or {})})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_nginx_accepts_the_site_as_shipped(deployed):
    assert "syntax is ok" in deployed["check"] and "test is successful" in deployed["check"]


def test_plain_http_is_redirected_to_https(deployed):
    response, _ = _get(deployed["http"], "/login", tls=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/login"


def test_pages_come_through_the_proxy_compressed_with_the_apps_policies(deployed):
    response, body = _get(deployed["https"], "/login", headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.getheader("Content-Encoding") == "gzip"
    assert b"csrf_token" in gzip.decompress(body)
    assert "frame-ancestors 'none'" in response.getheader("Content-Security-Policy")
    # ALEX_HTTPS=1 behind the proxy: the session cookie only travels over TLS.
    assert "Secure" in response.getheader("Set-Cookie")


def test_the_app_sees_scheme_and_host_from_the_proxy(deployed):
    """ProxyFix believes nginx's X-Forwarded-Proto/-Host: absolute URLs name the public site."""
    response, body = _get(deployed["https"], "/.well-known/security.txt")
    assert response.status == 200
    assert f"Canonical: https://{HOST}/.well-known/security.txt" in body.decode()


def test_versioned_static_files_are_cached_for_a_year_and_compressed(deployed, app):
    from alex.web import static_url

    with app.test_request_context():
        url = static_url("vendor/htmx-2.0.11/htmx.min.js")
    response, body = _get(deployed["https"], url, headers={"Accept-Encoding": "br, gzip"})
    assert response.status == 200
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Content-Encoding") == "br"
    assert len(body) < 52_182 // 3  # a third of the 52 KB of JavaScript, or less
    gzipped, _ = _get(deployed["https"], url, headers={"Accept-Encoding": "gzip"})
    assert gzipped.getheader("Content-Encoding") == "gzip"


def test_unversioned_static_files_are_revalidated(deployed):
    response, _ = _get(deployed["https"], "/static/css/app.css")
    assert response.status == 200
    assert response.getheader("Cache-Control") == "no-cache"
