"""The appraisal benchmark stays runnable: a quick run on 20,000 items (figures at this size mean nothing)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_expiry_list_benchmark_runs(tmp_path):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "appraisal_bench.py"), "--quick", "--work",
                             str(tmp_path / "work")], capture_output=True, text=True, timeout=600, cwd=REPO_ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout.count("expiry list as of") == 3 and "items due" in result.stdout
