"""Run every benchmark on a fresh temporary SQLite database and print the figures.

python -m bench                 all benchmarks
python -m bench report_pdf      only the named ones
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

from alex import create_app
from alex.i18n import compile_catalogs
from alex.migrate import upgrade

BENCHMARKS = ["bench.report_pdf"]  # each module: run(app) -> list[str]


def main(names: list[str]) -> None:
    """Migrate a scratch database, then run the chosen benchmarks one after another."""
    compile_catalogs()
    chosen = [b for b in BENCHMARKS if not names or b.rsplit(".", 1)[-1] in names]
    with tempfile.TemporaryDirectory() as scratch:
        for name in chosen:
            url = f"sqlite:///{Path(scratch) / (name + '.sqlite3')}"
            upgrade(url)
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": True})
            for line in importlib.import_module(name).run(app):
                print(line)


if __name__ == "__main__":
    main(sys.argv[1:])
