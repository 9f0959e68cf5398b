"""make bench: the performance goals table, measured as deployed (gunicorn, deploy/ config).

python -m bench [--postgres [URL]] [--only sqlite|postgres] [--rows KEY,KEY] [--repeat N]

--rows measures only the named figures (keys as in bench/results.json, e.g. phase_change,
outbox_write, digest_1000), --repeat N times each, and prints them without writing
bench/results.json or docs/PERFORMANCE.md (a partial run is not the table's figures).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench import figures, reach
from bench.figures import Row
from bench.report import table, write
from bench.server import Gunicorn, seeded_database
from bench.site import Site

SMALL, MEDIUM, ZIRKEL, LARGE = 10, 200, 300, 1000  # cards per board; Zirkel: 6 sprints × 50
DEMO = 12  # cards per board of `make run`'s demo (seed-demo's default)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


ORDER = [
    "board_200",
    "board_1000",
    "html_per_card",
    "queries_board",
    "queries_zirkel",
    "queries_meeting",
    "queries_overview",
    "card_move",
    "poll_p50",
    "poll_rate",
    "phase_change",
    "zirkel",
    "first_visit",
    "first_visit_browser",
    "report_pdf",
    "overview",
    "board_200_changed",
    "outbox_write",
    "digest_1000",
]
# What a --rows run can measure alone: figures on the 200-card database under one server (set
# up only when one of them is wanted), and the reach figures on their own fresh databases.
MEDIUM_GROUP = {
    "board_200",
    "card_move",
    "poll_p50",
    "poll_rate",
    "phase_change",
}


def run_backend(kind: str, workdir: Path, postgres: str | None) -> list[Row]:
    """Every figure on one database backend."""
    rows: dict[str, Row] = {}
    log(f"{kind}: seeding {SMALL} and {LARGE} cards per board")
    with (
        seeded_database(kind, SMALL, workdir, postgres) as small_url,
        seeded_database(kind, LARGE, workdir, postgres) as large_url,
    ):
        small, large = Site(small_url), Site(large_url)
        for row in figures.query_rows(small, large, SMALL, LARGE):
            rows[row.key] = row
        rows["html_per_card"] = figures.html_per_card_row(small, large, SMALL, LARGE)
        small.close()
        log(f"{kind}: gunicorn on the {LARGE}-card database")
        with Gunicorn(large_url, workdir) as server:
            rows["board_1000"] = asyncio.run(
                figures.page_p50(
                    server,
                    large,
                    "board",
                    Row("board_1000", "own board page, 1000 cards, p50 at 1 client", "≤ 15 ms"),
                    15.0,
                )
            )
            rows["overview"] = asyncio.run(
                figures.page_p50(
                    server,
                    large,
                    "overview",
                    Row("overview", "expedition overview page, p50 at 1 client", "reference"),
                    float("inf"),
                )
            )
        large.close()

    log(f"{kind}: seeding {MEDIUM} cards per board")
    with seeded_database(kind, MEDIUM, workdir, postgres) as url:
        site = Site(url)
        with Gunicorn(url, workdir) as server:
            log(f"{kind}: board, move, poll, first visit, PDF")
            rows["board_200"] = asyncio.run(
                figures.page_p50(
                    server,
                    site,
                    "board",
                    Row("board_200", "own board page, 200 cards, p50 at 1 client", "≤ 4 ms"),
                    4.0,
                )
            )
            rows["board_200_changed"] = asyncio.run(
                figures.board_after_change_row(server, site, MEDIUM)
            )
            rows["card_move"] = asyncio.run(figures.move_row(server, site))
            for row in asyncio.run(figures.poll_rows(server, site)):
                rows[row.key] = row
            rows["phase_change"] = asyncio.run(figures.phase_row(server, site))
            rows["first_visit"] = asyncio.run(figures.first_visit_row(server, site))
            rows["report_pdf"] = asyncio.run(figures.pdf_row(server, site))
        site.close()

    log(f"{kind}: seeding the Zirkel ({ZIRKEL} cards per board)")
    with seeded_database(kind, ZIRKEL, workdir, postgres) as url:
        site = Site(url)
        zirkel = Row("zirkel", "Zirkel page (4 members × 6 sprints × 50 cards), p50", "≤ 10 ms")
        if site.path("zirkel"):
            with Gunicorn(url, workdir) as server:
                zirkel = asyncio.run(figures.page_p50(server, site, "zirkel", zirkel, 10.0))
        rows["zirkel"] = zirkel
        site.close()

    log(f"{kind}: reach — outbox write on a check-in, weekly digest for 1000 participants")
    for row in reach.reach_rows(kind, workdir, postgres):
        rows[row.key] = row
    log(f"{kind}: the first visit in Chromium on make run's demo ({DEMO} cards per board)")
    with seeded_database(kind, DEMO, workdir, postgres) as url:
        site = Site(url)
        with Gunicorn(url, workdir) as server:
            rows["first_visit_browser"] = figures.browser_first_visit_row(server, site)
        site.close()

    return [rows[key] for key in ORDER]


def run_some(
    kind: str, workdir: Path, postgres: str | None, only: set[str], repeat: int
) -> list[list[Row]]:
    """Only the wanted figures, `repeat` times (each group set up once, if one of its figures
    is wanted; the reach figures on a fresh database each time)."""
    runs: list[dict[str, Row]] = [{} for _ in range(repeat)]
    if only & MEDIUM_GROUP:
        log(f"{kind}: seeding {MEDIUM} cards per board")
        with seeded_database(kind, MEDIUM, workdir, postgres) as url:
            site = Site(url)
            with Gunicorn(url, workdir) as server:
                for rows in runs:
                    if "board_200" in only:
                        rows["board_200"] = asyncio.run(
                            figures.page_p50(
                                server,
                                site,
                                "board",
                                Row("board_200", "own board page, 200 cards, p50", "≤ 4 ms"),
                                4.0,
                            )
                        )
                    if "card_move" in only:
                        rows["card_move"] = asyncio.run(figures.move_row(server, site))
                    if only & {"poll_p50", "poll_rate"}:
                        for row in asyncio.run(figures.poll_rows(server, site)):
                            rows[row.key] = row
                    if "phase_change" in only:
                        rows["phase_change"] = asyncio.run(figures.phase_row(server, site))
            site.close()
    for key, measure in (
        ("outbox_write", reach.outbox_write_row),
        ("digest_1000", reach.digest_row),
    ):
        if key not in only:
            continue
        for turn, rows in enumerate(runs):
            log(f"{kind}: {key} ({turn + 1} of {repeat})")
            with (
                tempfile.TemporaryDirectory(dir=workdir) as folder,
                seeded_database(kind, 0, Path(folder), postgres, seed=False) as url,
            ):
                rows[key] = measure(url)
    missing = only - set(runs[0])
    if missing:
        log(f"not measurable alone (run the whole bench): {', '.join(sorted(missing))}")
    return [[rows[key] for key in ORDER if key in rows] for rows in runs]


def main(argv: list[str] | None = None) -> int:
    """Run the bench on SQLite (and PostgreSQL with --postgres); print and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432/postgres",
        help="also on PostgreSQL (server URL; a fresh database is created and dropped)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--rows", help="only these figures, comma-separated keys (printed, nothing written)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="with --rows: run them N times")
    args = parser.parse_args(argv)
    only = {k.strip() for k in args.rows.split(",") if k.strip()} if args.rows else None
    if only is not None and only - set(ORDER):
        parser.error(f"unknown figures: {', '.join(sorted(only - set(ORDER)))}")
    kinds = [k for k in ("sqlite", "postgres") if k != "postgres" or args.postgres]
    if args.only:
        kinds = [args.only]
    results: dict[str, list[Row]] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="alex-bench-") as tmp:
        if only is not None:
            for kind in kinds:
                runs = run_some(kind, Path(tmp), args.postgres, only, max(args.repeat, 1))
                for turn, rows in enumerate(runs):
                    print(f"\n{kind} (run {turn + 1} of {args.repeat})\n{table(rows)}", flush=True)
            log(f"done in {time.monotonic() - started:.0f} s (figures printed only)")
            return 0
        for kind in kinds:
            results[kind] = run_backend(kind, Path(tmp), args.postgres)
    write(results, {"backends": kinds, "cards": [SMALL, MEDIUM, ZIRKEL, LARGE]})
    for kind, rows in results.items():
        print(f"\n{kind}\n{table(rows)}")
    log(
        f"done in {time.monotonic() - started:.0f} s; bench/results.json and docs/PERFORMANCE.md written"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
