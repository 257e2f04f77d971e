"""The archival checks benchmark stays runnable: a tiny run (figures at this size mean little)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_archival_checks_benchmark_runs_and_every_item_passes():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "archival_checks_bench.py"), "--quick",
                             "--no-results"], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    assert "200 items of 3 pages filed" in result.stdout
    rate = re.search(r"^four checks, items of 3 pages +([\d.]+) items/s +≥ 200 +(PASS|MISS)$", result.stdout,
                     re.MULTILINE)
    assert rate, result.stdout
    assert float(rate.group(1)) > 0
    assert "(200 items, 600 pages" in result.stdout
