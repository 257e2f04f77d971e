"""The web load benchmark stays runnable: a smoke run (20,000 items, 10 clients, 5 s each; figures mean little)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("list page", "API items", "item page", "page image")
FIGURES = ("page image first view (cold) p50", "list page: list deep page p99", "API items: API first page p99",
           *(f"{scenario}: {figure}" for scenario in SCENARIOS for figure in ("requests/s", "p50", "p90", "p99")))


@pytest.mark.slow
def test_the_web_load_benchmark_runs_every_scenario_without_errors():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "web_load_bench.py"), "--quick",
                             "--no-results"], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    for figure in FIGURES:
        assert figure in result.stdout, figure
    for scenario in SCENARIOS:
        errors = re.search(rf"^sqlite +{scenario}: errors \(non-200 \+ socket\) +([\d.,]+) +≤ 0\.00 +(PASS|MISS)$",
                           result.stdout, re.MULTILINE)
        assert errors and errors.group(2) == "PASS", (scenario, result.stdout)
        rate = re.search(rf"^sqlite +{scenario}: requests/s +([\d,.]+) req/s", result.stdout, re.MULTILINE)
        assert rate and float(rate.group(1).replace(",", "")) > 0, (scenario, result.stdout)
    assert "-core machine as gunicorn" in result.stdout  # the table says the client shared the server's CPUs
