"""The watermark benchmark stays runnable: a tiny run (figures at this size mean little)."""

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FIGURES = ("rendition, greyscale PNG", "rendition, colour JPEG", "rendition, bitonal TIFF", "stamp p50", "stamp p95",
           "overlay cache hits", "watermarked PDF of 4 pages")


def test_the_watermark_benchmark_runs_and_prints_its_figures():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "watermark_bench.py"), "--quick"],
                            capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert "Traceback" not in result.stderr, result.stderr
    for figure in FIGURES:
        assert figure in result.stdout, figure
    stamp_median = re.search(r"^stamp p50 +([\d.]+) ms +≤ 150 +(PASS|MISS)$", result.stdout, re.MULTILINE)
    assert stamp_median, result.stdout
    assert float(stamp_median.group(1)) > 0
