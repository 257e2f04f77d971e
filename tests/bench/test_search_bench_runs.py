"""The search benchmark stays runnable: a quick run on SQLite (20,000 items, 4,000 with text; figures mean little)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIGURES = ("reindex, catalogue fields only", "indexing OCR text (index_items)", "index growth per document with text",
           "index size per item (all items)",
           *(f"search {kind} {percentile}" for kind in ("2-char + facet", "4-char + facet", "2-char, no filter",
                                                       "4-char, no filter", "1-char + facet")
             for percentile in ("p50", "p95")))


@pytest.mark.slow
def test_the_search_benchmark_runs_and_prints_its_figures(tmp_path):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "search_bench.py"), "--quick", "--no-results",
                             "--databases", "sqlite", "--work", str(tmp_path / "work")],
                            capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    for figure in FIGURES:
        assert re.search(rf"^sqlite +{re.escape(figure)} +[\d.,]+ ", result.stdout, re.MULTILINE), (figure,
                                                                                                   result.stdout)
    found = re.search(r"items found: median ([\d,]+)", result.stdout)
    assert found and int(found.group(1).replace(",", "")) > 0, result.stdout  # the queries do find documents
