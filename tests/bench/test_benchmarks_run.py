"""The benchmarks stay runnable: a tiny run of each on both databases (figures at this size mean nothing)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def run(script: str, *arguments: str) -> str:
    result = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / script), *arguments], capture_output=True,
                            text=True, timeout=600, cwd=REPO_ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


@pytest.mark.slow
def test_the_catalogue_benchmark_runs_end_to_end(tmp_path):
    output = run("catalogue_bench.py", "--items", "3000", "--xlsx-items", "600", "--audit-events", "2000",
                 "--audit-sample", "500", "--lookups", "50", "--pages", "20", "--no-results", "--out", str(tmp_path))
    for figure in ("CSV import rate", "xlsx import rate", "audit chain verify", "show_item", "list_items deep page"):
        assert f"sqlite      {figure}" in output and f"postgresql  {figure}" in output, figure


@pytest.mark.slow
def test_the_capture_benchmark_runs_a_batch_to_searchable():
    output = run("capture_bench.py", "--quick")
    assert "last_page_to_all_filed_seconds" in output and "last_page_to_all_searchable_seconds" in output


@pytest.mark.slow
def test_the_barcode_and_ocr_benchmarks_run():
    barcodes = run("barcode_bench.py", "--quick")
    assert "separation accuracy" in barcodes and "IsolatedDecoder.read" in barcodes
    ocr = run("ocr_bench.py", "--quick")
    assert "throughput ratio" in ocr and "character error rate" in ocr
