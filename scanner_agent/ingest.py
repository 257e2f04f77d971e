"""Files into the capture pipeline: `dangan ingest PATH...` and the hot folder, exactly like a scanned stack."""

from collections.abc import Callable, Iterator
from pathlib import Path

from appliance.domain.intake_manifest import CaptureInfo
from scanner_agent.capture import BatchRun, Reader, new_batch
from scanner_agent.file_sources import UnreadableFileError, pages_from_file
from scanner_agent.outbox import Outbox
from scanner_agent.pages import CapturedPage

FILE_CAPTURE = CaptureInfo(preset="file", source="file", duplex=False)


def ingest_files(paths: list[Path], spool_root: Path, outbox: Outbox, reader: Reader,
                 keep_report: Callable[[dict], None], operator: str = "",
                 source_name: str = "ingest") -> tuple[dict, list[tuple[Path, str]]]:
    """Run the files, in order, as one stack; returns the batch report and the files set aside, with the reason.

    A file that cannot be read is skipped with its reason and the rest go on; the stack is split at cover sheets
    across file boundaries, as if the pages had come through a scanner one after another.
    """
    spool = new_batch(spool_root, "file", source_name, operator, FILE_CAPTURE)
    run = BatchRun(spool, outbox, reader)
    rejected: list[tuple[Path, str]] = []
    run.feed(_pages_of(paths, rejected))

    def keep_with_rejections(report: dict) -> None:
        report["rejected_files"] = [{"file": path.name, "reason": reason} for path, reason in rejected]
        keep_report(report)

    return run.finish(keep_with_rejections), rejected


def _pages_of(paths: list[Path], rejected: list[tuple[Path, str]]) -> Iterator[CapturedPage]:
    for path in paths:
        try:
            yield from pages_from_file(path)
        except UnreadableFileError as error:
            rejected.append((path, error.reason if error.page is None else f"page {error.page}: {error.reason}"))
