"""`make run` serves as deployed: honcho starts deploy/Procfile (gunicorn with deploy/gunicorn.conf.py),
static files come precompressed with a year's caching, pages compressed where it pays."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from alex import assets, static_files
from bench.server import app_environment, flask, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _get(url: str, encoding: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding} if encoding else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


def test_the_procfile_runs_gunicorn_with_the_deployment_config():
    lines = [
        line
        for line in (ROOT / "deploy" / "Procfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    web = next(line for line in lines if line.startswith("web:"))
    assert "gunicorn -c deploy/gunicorn.conf.py" in web
    assert "--bind 127.0.0.1:$PORT" in web
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert (
        "honcho" in run and "deploy/Procfile" in run and "flask" not in run.replace("$(FLASK)", "")
    )
    dev = makefile.split("\ndev:", 1)[1].split("\n\n", 1)[0]
    assert "run --debug" in dev


@pytest.mark.ops
@pytest.mark.backend_independent
def test_make_run_serves_compressed_pages_and_precompressed_static_files(tmp_path):
    """honcho + Procfile + gunicorn, as `make run` starts them, on a fresh SQLite database."""
    port = free_port()
    env = app_environment(f"sqlite:///{tmp_path / 'run.sqlite3'}", tmp_path)
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    env["ALEX_WORKERS"] = "1"
    flask(env, "upgrade-db")
    flask(env, "build-assets")
    process = subprocess.Popen(
        [str(BIN / "honcho"), "--procfile", "deploy/Procfile", "start", "--port", str(port), "web"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn under honcho did not come up"
                time.sleep(0.3)
        status, headers, page = _get(f"{base}/login", "br, gzip")
        assert status == 200 and headers["content-encoding"] == "br"
        assert headers["server"].startswith("gunicorn")  # not Werkzeug's development server
        html = _get(f"{base}/login")[2].decode()
        assert len(page) * 2 < len(html)
        script = re.search(r'src="(/static/vendor/htmx[^"]+)"', html).group(1).replace("&amp;", "&")
        for encoding, expected in (("br, gzip", "br"), ("gzip", "gzip"), (None, None)):
            status, headers, body = _get(base + script, encoding)
            assert headers.get("content-encoding") == expected
            assert headers["cache-control"] == static_files.FOREVER
        plain = _get(f"{base}{script.split('?')[0]}", "br")[1]
        assert plain["cache-control"] == "no-cache"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def test_build_compressed_writes_current_twins_and_removes_orphans(tmp_path):
    (tmp_path / "css").mkdir()
    source = tmp_path / "css" / "app.css"
    source.write_text("body { color: black; }\n" * 200)
    (tmp_path / "icon.png").write_bytes(b"\x89PNG" + bytes(400))
    written = assets.build_compressed(tmp_path)
    assert sorted(p.name for p in written) == ["app.css.br", "app.css.gz"]
    assert assets.build_compressed(tmp_path) == []  # current: nothing to do
    source.write_text("body { color: red; }\n" * 300)
    os.utime(source, (time.time() + 5, time.time() + 5))
    assert len(assets.build_compressed(tmp_path)) == 2  # changed: compressed again
    source.unlink()
    assets.build_compressed(tmp_path)
    assert not list(tmp_path.rglob("*.br")) and not list(tmp_path.rglob("*.gz"))


def test_a_twin_older_than_its_source_is_never_served(tmp_path):
    """Edited after build-assets (make dev): the browser gets the source, not the stale twin."""
    (tmp_path / "css").mkdir()
    source = tmp_path / "css" / "app.css"
    source.write_text("body { color: black; }\n" * 200)
    assets.build_compressed(tmp_path)

    def answer(encoding: str) -> dict[str, str]:
        served = static_files.wrap(lambda e, s: [], tmp_path, autorefresh=True)
        seen = {}

        def start(status, headers, exc_info=None):
            seen.update(headers)

        environ = {
            "PATH_INFO": "/static/css/app.css",
            "QUERY_STRING": "v=1",
            "REQUEST_METHOD": "GET",
            "HTTP_ACCEPT_ENCODING": encoding,
        }
        body = served(environ, start)
        getattr(body, "close", lambda: None)()
        return seen

    assert answer("br").get("Content-Encoding") == "br"
    source.write_text("body { color: red; }\n" * 200)
    os.utime(source, (time.time() + 5, time.time() + 5))
    assert "Content-Encoding" not in answer("br")
