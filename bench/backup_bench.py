"""Backup and restore figures for issue 6: N generated documents of 3 pages through the real intake, then borg.

Measured: the first backup, an incremental one after 1 % new documents, the dedup ratio, the restore (a drill into a
scratch home: extract, restore the database, verify every blob digest, the counts and the audit chain) per GB,
and the RPO under the default schedule: the worst gap between a scan acknowledged and the end of the first backup
that holds it, found by running the schedule's rules over a simulated week at several intake rates.

Pages are noise (incompressible, like scanned JPEGs); --page-kb sets their size. The repository is a local one
(a disk, not the twin over a network): the figures are borg's and the box's, not a line's.
"""

import argparse
import datetime
import io
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from PIL import Image  # noqa: E402

from appliance import backup_wiring  # noqa: E402
from appliance.adapters.borg import Borg  # noqa: E402
from appliance.bootstrap import build_appliance  # noqa: E402
from appliance.config import BackupConfig, Config  # noqa: E402
from appliance.domain.actors import Actor  # noqa: E402
from appliance.domain.backup import BackupRun, RepositoryName, RunKind, RunState, Trigger  # noqa: E402
from appliance.domain.backup_schedule import History, ScheduleSettings, due_run  # noqa: E402
from appliance.services.intake import receive_document  # noqa: E402
from bench.measures import Figure, format_table, load_note  # noqa: E402
from bench.results_file import write_named_results  # noqa: E402
from tests.support.intake_documents import delivered_raw  # noqa: E402

AGENT = Actor("bench-agent", "127.0.0.1")
PAGES_PER_DOCUMENT = 3
GIGABYTE = 1e9
RATES = (5, 25, 100, 400)  # documents acknowledged per hour, around the clock


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--page-kb", type=int, default=150, help="size of each generated page")
    parser.add_argument("--work", type=Path, help="the box's home and the repository go here")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/results/<date>-backup.*")
    return parser.parse_args(argv)


def page(generator: random.Random, kilobytes: int) -> bytes:
    side = max(int((kilobytes * 1000) ** 0.5), 8)
    output = io.BytesIO()
    Image.frombytes("L", (side, side), generator.randbytes(side * side)).save(output, format="PNG", compress_level=1)
    return output.getvalue()


def add_documents(appliance, count: int, first: int, kilobytes: int) -> None:
    """`count` documents of 3 pages through the intake service, as a scanner agent delivers them."""
    generator = random.Random(first)
    for number in range(first, first + count):
        manifest, pages = delivered_raw(None, [page(generator, kilobytes) for _ in range(PAGES_PER_DOCUMENT)],
                                        sequence=number + 1, batch_id=f"00000000-0000-0000-0000-{number:012d}")
        receive_document(appliance.uow_factory, appliance.blob_store, AGENT, manifest,
                         [io.BytesIO(data) for data in pages])


def box(work: Path) -> tuple:
    home, repository = work / "home", work / "repository"
    secrets = home / "secrets"
    secrets.mkdir(parents=True, mode=0o700)
    passphrase = secrets / "borg-passphrase"
    passphrase.touch(mode=0o600)
    passphrase.write_text("bench passphrase, not a secret", encoding="utf-8")
    config = Config(home=home, backup=BackupConfig(repository=str(repository)))
    Borg(str(repository), passphrase).init()
    return build_appliance(config), backup_wiring.borg_for(config)


def timed_backup(appliance, borg) -> tuple[float, BackupRun]:
    started = time.perf_counter()
    run = backup_wiring.backup_now(appliance, borg, Trigger.MANUAL, datetime.datetime.now(datetime.UTC))
    if run.state is RunState.FAILED:
        raise SystemExit(f"backup failed: {run.message}")
    return time.perf_counter() - started, run


def worst_rpo_hours(rate: int, backup_minutes: float) -> float:
    """The longest wait, in hours, from a document acknowledged to the end of the backup that holds it, over a
    simulated week of the default schedule with `rate` documents an hour arriving evenly."""
    settings = ScheduleSettings.from_config(BackupConfig(repository="x"), "Asia/Shanghai")
    start = datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC)
    step, now = datetime.timedelta(minutes=1), start
    length = datetime.timedelta(minutes=max(backup_minutes, 1.0))
    backups: list[BackupRun] = [BackupRun(0, RunKind.BACKUP, RepositoryName.TWIN, None, RunState.OK,
                                          Trigger.SCHEDULE, start, start)]
    pending: list[datetime.datetime] = []  # documents acknowledged and not yet in a started backup
    covered_until: list[tuple[datetime.datetime, list[datetime.datetime]]] = []
    worst, arrivals = datetime.timedelta(0), 0.0
    while now < start + datetime.timedelta(days=7):
        arrivals += rate / 60
        while arrivals >= 1:
            arrivals -= 1
            pending.append(now)
        running = covered_until and covered_until[-1][0] > now
        history = History(backups=tuple(reversed(backups)), last_prune=backups[-1], last_check=backups[-1],
                          last_verify=backups[-1], running=backups[-1] if running else None,
                          documents_since_backup=len(pending))
        due = due_run(settings, history, now)
        if due is not None and due.kind is RunKind.BACKUP:
            finished = now + length
            backups.append(BackupRun(len(backups), RunKind.BACKUP, RepositoryName.TWIN, None, RunState.OK,
                                     due.trigger, now, finished))
            worst = max([worst, *(finished - acknowledged for acknowledged in pending)])
            covered_until.append((finished, pending))
            pending = []
        now += step
    return worst.total_seconds() / 3600


def measure(appliance, borg, options) -> list[Figure]:
    note = f"{options.documents:,} documents × {PAGES_PER_DOCUMENT} pages of {options.page_kb} KB"
    first_seconds, first = timed_backup(appliance, borg)
    original = first.stats.get("archive_original_size", 0)
    new_documents = max(options.documents // 100, 1)
    add_documents(appliance, new_documents, options.documents, options.page_kb)
    incremental_seconds, incremental = timed_backup(appliance, borg)
    repository = borg.info().stats
    report = backup_wiring.drill_now(appliance, borg, datetime.datetime.now(datetime.UTC))
    if not report.passed:
        raise SystemExit(f"the restore drill failed: {report.checks}")
    size = incremental.stats.get("archive_original_size", original) / GIGABYTE
    figures = [
        Figure("first backup", first_seconds, "s", note=f"{note}, {original / GIGABYTE:.2f} GB"),
        Figure("first backup rate", original / GIGABYTE / first_seconds * 3600, "GB/h", note=note),
        Figure(f"incremental backup (+{new_documents:,} documents, 1 %)", incremental_seconds, "s",
               note=f"{incremental.stats.get('archive_deduplicated_size', 0) / 1e6:.1f} MB new data"),
        Figure("dedup ratio of the repository (2 archives)", repository.get("dedup_ratio", 0.0), "×",
               note="total size of the archives / unique compressed size"),
        Figure("restore with full verification", report.seconds, "s", note=f"{size:.2f} GB, drill"),
        Figure("restore time per GB (RTO)", report.seconds / size if size else 0.0, "s/GB",
               note="extract + database restore + every blob digest, counts, audit chain"),
    ]
    for rate in RATES:
        figures.append(Figure(f"worst RPO at {rate} documents/hour", worst_rpo_hours(rate, incremental_seconds / 60),
                              "h", note="nightly 02:30 + every 200 documents, backup lasting as measured"))
    return figures


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    work = options.work or Path(tempfile.mkdtemp(prefix="dangan-backup-"))
    appliance, borg = box(work)
    try:
        started = time.perf_counter()
        add_documents(appliance, options.documents, 0, options.page_kb)
        print(f"{options.documents:,} documents filed in {time.perf_counter() - started:.1f} s", flush=True)
        figures = measure(appliance, borg, options)
    finally:
        appliance.close()
    report = format_table({"sqlite": figures}) + load_note()
    print(report)
    if not options.no_results:
        settings = {"documents": options.documents, "page_kb": options.page_kb, "repository": "local"}
        print(f"results written to {write_named_results('backup', settings, figures, report)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
