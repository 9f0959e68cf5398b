"""Results out: bench/results.json and the marked table in docs/PERFORMANCE.md."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench.figures import Row

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
FIGURES = ROOT / "docs" / "PERFORMANCE.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
MARK = {"met": "✅ met", "missed": "❌ missed", "n/a": "–"}


def machine() -> dict:
    """Where the figures were taken (they drift between machines; ratios travel better)."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def table(rows: list[Row]) -> str:
    """The Markdown table of one backend's figures."""
    lines = [
        "| figure | goal | measured | baseline (/healthz) | ratio | |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.figure} | {row.goal} | {row.value} | {row.baseline} | {row.ratio} "
            f"| {MARK[row.status]} |"
        )
    return "\n".join(lines)


def write(results: dict[str, list[Row]], settings: dict) -> dict:
    """Write results.json and the table in docs/PERFORMANCE.md; return the JSON document."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    document = {
        "taken_at": stamp,
        "machine": machine(),
        "settings": settings,
        "backends": {kind: [asdict(r) for r in rows] for kind, rows in results.items()},
    }
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    parts = [
        f"Taken {stamp} by `make bench` on {document['machine']['cpus']} CPUs "
        f"(load average {document['machine']['load_average'][0]} at the end, a machine shared "
        "with other work: absolute times are noisy, the ratios to `/healthz` measured in the "
        "same run are what count). Details: `bench/results.json`."
    ]
    for kind, rows in results.items():
        parts.append(f"**{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}**\n\n{table(rows)}")
    block = "\n\n".join(parts)
    text = FIGURES.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        FIGURES.write_text(f"{head}{START}\n{block}\n{END}{tail}")
    return document
