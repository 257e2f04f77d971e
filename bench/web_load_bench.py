"""Console and API under load (issue 4): 1,000,000 items on SQLite, gunicorn on loopback, 50 clients, 60 s each.

    .venv/bin/python bench/web_load_bench.py [--items N] [--seconds 60] [--connections 50] [--work DIR]
                                             [--quick] [--client wrk|python] [--no-results]

The catalogue is bench/catalogue_bench.py's synthetic fonds Z109 (CSV import); --work keeps the built home and
reuses it on the next run (building 1M items takes a few minutes). A few hundred items in a spare class (2020-Y-BGS)
get one 300-dpi A4 page each (greyscale JPEG, quality 90). gunicorn is started with the very command `dangan run`
uses (appliance.cli.server), and an archivist (clearance 受控) signs in over HTTP; the API uses a bearer token.
Scenarios, one after the other, each for --seconds with --connections clients: the catalogue list page, GET
/api/v1/items, the item page, and a watermarked page image (renditions made beforehand: warm). First views (cold:
the display rendition is made) are timed one at a time before. The load generator is wrk with bench/web_load.lua
(latency per URL kind), or a Python threads client when wrk is missing (less precise: it competes for the GIL and
the CPUs). Either runs on the same machine as the server. Writes bench/results/<date>-web-load.json and .txt.
"""
# ruff: noqa: E402  (the repository root goes on sys.path first, for bench)

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter

from bench import web_load_client as client
from bench import web_load_home as home
from bench.measures import Figure, format_table, percentile, progress
from bench.results_file import RESULTS_DIR, machine, source_state

# scenario: (URL kinds, judged percentile, target ms)
SCENARIOS = {
    "list page": (("list first page", "list deep page"), "p99", 150.0),
    "API items": (("API first page", "API deep page"), "p99", 150.0),
    "item page": (("item page",), "p99", 100.0),
    "page image": (("page image",), "p50", 150.0),
}


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000, help="items in fonds Z109 (default 1,000,000)")
    parser.add_argument("--image-items", type=int, default=300, help="items with a page image (warm views)")
    parser.add_argument("--cold-views", type=int, default=20, help="first views timed, on items added this run")
    parser.add_argument("--seconds", type=int, default=60, help="length of each scenario")
    parser.add_argument("--connections", type=int, default=50, help="concurrent clients")
    parser.add_argument("--think-ms", type=int, default=0,
                        help="each client waits a random 0 to 2 × this before each request (default 0: closed loop)")
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    parser.add_argument("--work", type=Path, help="keep the built home here and reuse it (default: a temp dir)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 20,000 items, 10 image items, 5 s, 10 connections")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-web-load.*")
    options = parser.parse_args(argv)
    if options.quick:
        options.items, options.image_items, options.cold_views = 20_000, 10, 3
        options.seconds, options.connections = 5, 10
    if options.client == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --client python")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    started, load_at_start, code = time.perf_counter(), os.getloadavg()[0], source()  # the code gunicorn loads
    work = options.work or Path(tempfile.mkdtemp(prefix="dangan-web-load-"))
    try:
        built = home.prepare(work, options.items, options.image_items)
        with home.running_server(work) as server:
            figures = measure(server, built, options)
    finally:
        if options.work is None:
            shutil.rmtree(work, ignore_errors=True)
    wall_seconds = time.perf_counter() - started
    changes = f" with uncommitted changes to {', '.join(code['changed'])}" if code["changed"] else ""
    report = "\n".join([format_table({"sqlite": figures}), "", f"code: {code['commit'][:12]}{changes}",
                        setting_lines(options), load_line(load_at_start),
                        f"whole run: {wall_seconds:,.0f} s ({wall_seconds / 60:.1f} min)"])
    print("\n" + report)
    if not options.no_results:
        print(f"results written to {write_results(figures, report, options, wall_seconds, code)}")
    return 1 if any(figure.verdict == "MISS" for figure in figures) else 0


def measure(server: "home.Server", built: "home.BuiltHome", options) -> list[Figure]:
    """Cold views one at a time, then every scenario under load."""
    cookie = client.sign_in(server.base_url, home.USERNAME, home.PASSWORD)
    token = home.issue_api_token(server.environment)
    cold_codes = home.add_image_items(server.environment, options.cold_views, f"cold {time.time():.0f}")
    figures = cold_view_figures(server.base_url, cookie, cold_codes)
    started = time.perf_counter()
    client.warm_renditions(server.base_url, cookie, built.image_codes)
    progress(f"{len(built.image_codes)} page images viewed once (renditions made if missing) "
              f"in {time.perf_counter() - started:.0f} s")
    headers = {"Cookie": cookie, "User-Agent": client.USER_AGENT}
    api_headers = {"Authorization": f"Bearer {token}", "User-Agent": client.USER_AGENT}
    for scenario, (kinds, judged, target) in SCENARIOS.items():
        urls = client.scenario_urls(kinds, built)
        load = client.run_load(options.client, server.base_url, urls,
                               api_headers if scenario.startswith("API") else headers, options)
        figures += scenario_figures(scenario, load, judged, target)
        progress(f"{scenario}: {len(load.samples):,} responses, {load.rate:,.1f}/s")
    return figures


def cold_view_figures(base_url: str, cookie: str, codes: list[str]) -> list[Figure]:
    """First views, one at a time on an otherwise idle server: each makes and stores a display rendition."""
    samples = client.timed_sequential(base_url, cookie, [client.page_image_path(code) for code in codes])
    progress(f"{len(samples)} first views (cold), one at a time")
    note = f"{len(samples)} items, one request at a time, no other load"
    return [Figure("page image first view (cold) p50", statistics.median(samples), "ms", note=note),
            Figure("page image first view (cold) max", max(samples), "ms")]


def scenario_figures(scenario: str, load: "client.LoadResult", judged: str, target: float) -> list[Figure]:
    """Rate, percentiles (the judged one with its target), max, errors; and p99 per URL kind if several."""
    latencies = [sample.milliseconds for sample in load.samples]
    failed = sum(sample.status != 200 for sample in load.samples) + load.socket_errors
    statuses = Counter(sample.status for sample in load.samples if sample.status != 200)
    mean = statistics.mean(latencies)
    figures = [Figure(f"{scenario}: requests/s", load.rate, "req/s", note=f"{load.note}; mean latency {mean:.0f} ms")]
    for label, fraction in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99)):
        figures.append(Figure(f"{scenario}: {label}", percentile(latencies, fraction), "ms",
                              target if label == judged else None))
    figures.append(Figure(f"{scenario}: max", max(latencies), "ms"))
    detail = ", ".join(f"{count} × {status}" for status, count in statuses.items())
    figures.append(Figure(f"{scenario}: errors (non-200 + socket)", failed, "", 0,
                          note=detail + (f"; {load.socket_errors} socket errors" if load.socket_errors else "")))
    kinds = sorted({sample.kind for sample in load.samples})
    if len(kinds) > 1:
        for kind in kinds:
            own = [sample.milliseconds for sample in load.samples if sample.kind == kind]
            figures.append(Figure(f"{scenario}: {kind} p99", percentile(own, 0.99), "ms",
                                  note=f"{len(own):,} responses"))
    return figures


def setting_lines(options) -> str:
    """How the load was made, and that the client shared the server's CPUs."""
    generator = ("wrk (C, one thread per connection, bench/web_load.lua)" if options.client == "wrk"
                 else "a Python threads client (less precise than wrk: it holds the GIL and shares the CPUs)")
    pacing = (f"each waits a random 0-{2 * options.think_ms} ms before each request" if options.think_ms
              else "closed loop: each sends its next request as soon as the answer is in")
    return (f"{options.items:,} items on SQLite; {options.connections} connections for {options.seconds} s per "
            f"scenario ({pacing}); load generator: {generator}.\nThe load generator runs on the same "
            f"{os.cpu_count()}-core machine as gunicorn and takes CPU from it: the latencies include that competition.")


def load_line(load_at_start: float) -> str:
    """The machine's load average at the start and the end: other work on the box shows up here."""
    one, five, fifteen = os.getloadavg()
    return (f"load average at the start: {load_at_start:.2f}; at the end: {one:.2f} {five:.2f} {fifteen:.2f} "
            "(other work may share this machine)")


def write_results(figures: list[Figure], report: str, options, wall_seconds: float, code: dict) -> Path:
    """Today's bench/results/<date>-web-load[-think<ms>].json (figures, settings) and .txt; a rerun replaces."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()
    path = RESULTS_DIR / f"{today}-web-load{f'-think{options.think_ms}' if options.think_ms else ''}.json"
    settings = {"items": options.items, "image_items": options.image_items, "cold_views": options.cold_views,
                "seconds": options.seconds, "connections": options.connections, "think_ms": options.think_ms,
                "client": options.client,
                "wall_seconds": round(wall_seconds, 1)}
    document = {"date": today, "settings": settings, "machine": machine(), "source": code,
                "figures": [figure.as_dict() for figure in figures]}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    path.with_suffix(".txt").write_text(report + "\n")
    return path


def source() -> dict:
    """The commit measured and the files of the appliance and the web that differ from it (others may be editing)."""
    state = source_state(REPO_ROOT)
    changed = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "web"],
                             capture_output=True, text=True).stdout.splitlines()
    return {**state, "changed": state["changed"] + [line[3:] for line in changed if line]}




if __name__ == "__main__":
    sys.exit(main())
