"""The expiry list over a million items (issue 5): items due for appraisal, counted per class, with the first page.

The catalogue is the load benchmark's (20 years × 3 retentions × 10 departments, archived through the CSV import);
`--work DIR` reuses a built home. Before the lists are timed, the appraisal group records `--decisions` decisions
(keep, extend to permanent, destroy in turn) through the service, so the list also leaves out what was kept.
Target: the whole list (counts and first page) in ≤ 2 s.
"""

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from appliance.bootstrap import build_appliance  # noqa: E402
from appliance.config import load_config  # noqa: E402
from appliance.domain.access import EVERYTHING  # noqa: E402
from appliance.domain.appraisal import decision_terms  # noqa: E402
from appliance.domain.permissions import allowed_actions  # noqa: E402
from appliance.domain.sessions import Principal  # noqa: E402
from appliance.services.appraisal import expiry_list, record_decisions  # noqa: E402
from bench.measures import Figure, format_table, load_note  # noqa: E402
from bench.results_file import write_named_results  # noqa: E402
from bench.web_load_home import environment, prepare  # noqa: E402


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed expiry lists per year asked about")
    parser.add_argument("--work", type=Path, help="keep the built home here and reuse it")
    parser.add_argument("--decisions", type=int, default=10_000, help="appraisal decisions recorded first")
    parser.add_argument("--quick", action="store_true", help="20,000 items, 2 runs, 300 decisions")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-appraisal.*")
    options = parser.parse_args(argv)
    if options.quick:
        options.items, options.runs, options.decisions = 20_000, 2, 300
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    work = options.work or Path(tempfile.mkdtemp(prefix="dangan-appraisal-"))
    built = prepare(work, options.items, 0)
    settings = environment(work)
    appliance = build_appliance(load_config(settings), migrate=True)
    figures = []
    this_year = datetime.date.today().year
    decided = record_some_decisions(appliance, built.shape.fonds, built.shape.first_year + 12, options.decisions)
    for as_of in (built.shape.first_year + 12, built.shape.first_year + 25, this_year + 30):
        seconds, listed = timed_lists(appliance, built.shape.fonds, as_of, options.runs)
        figures.append(Figure(f"expiry list as of {as_of} ({listed.total:,} items due), median", seconds, "s", 2.0,
                              note=f"counts per class and the first page of 50, {options.items:,} items, "
                                   f"{decided:,} decisions"))
    appliance.close()
    report = format_table({"sqlite": figures}) + load_note()
    print(report)
    if not options.no_results and not options.quick:
        print(f"results written to {write_named_results('appraisal', {'items': options.items}, figures, report)}")
    return 0 if all(figure.verdict == "PASS" for figure in figures) else 1


APPRAISER = Principal("bench-appraiser", "bench appraiser", frozenset({"archivist"}), allowed_actions(["archivist"]),
                      EVERYTHING, "127.0.0.1")
TERMS = (decision_terms("keep", "bench: still of use", keep_years=50),
         decision_terms("extend", "bench: kept for good", new_retention="Y"),
         decision_terms("destroy", "bench: of no further use"))


def record_some_decisions(appliance, fonds: str, round_year: int, wanted: int) -> int:
    """Decide up to `wanted` undecided items of a round's list, a thousand at a time; returns how many."""
    decided, after, turn = 0, None, 0
    now = datetime.datetime.now(datetime.UTC)
    while decided < wanted:
        listed = expiry_list(appliance.uow_factory, fonds, round_year, after, limit=min(1000, wanted - decided))
        codes = [item.archival_code for item in listed.items if item.id not in listed.decisions]
        if codes:
            record_decisions(appliance.uow_factory, APPRAISER, fonds, round_year, codes, TERMS[turn % 3], now)
            decided, turn = decided + len(codes), turn + 1
        if listed.next_after is None:
            break
        after = listed.next_after.format()
    return decided


def timed_lists(appliance, fonds: str, as_of: int, runs: int):
    durations, listed = [], None
    for _ in range(runs):
        started = time.perf_counter()
        listed = expiry_list(appliance.uow_factory, fonds, as_of)
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), listed


if __name__ == "__main__":
    sys.exit(main())
