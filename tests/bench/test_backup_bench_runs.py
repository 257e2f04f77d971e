"""The backup benchmark stays runnable: 20 documents of small pages (figures at this size mean nothing)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_backup_benchmark_runs(tmp_path):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "backup_bench.py"), "--documents", "20",
                             "--page-kb", "5", "--work", str(tmp_path / "work"), "--no-results"],
                            capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    for figure in ("first backup", "incremental backup (+1 documents", "dedup ratio", "restore time per GB",
                   "worst RPO at 5 documents/hour"):
        assert figure in result.stdout, result.stdout
