"""Timing helpers for the benchmarks: a stopwatch, percentiles, figures with targets, the printed table."""

import contextlib
import cProfile
import io
import math
import os
import pstats
import time
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure; `at_least` says whether the target is a floor (rates) or a ceiling (latencies)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    at_least: bool = False
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "-"
        met = self.value >= self.target if self.at_least else self.value <= self.target
        return "PASS" if met else "MISS"

    def as_dict(self) -> dict:
        return {**asdict(self), "verdict": self.verdict}


class Stopwatch:
    def __enter__(self) -> "Stopwatch":
        self.seconds = 0.0
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> None:
        self.seconds = time.perf_counter() - self._start


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of unsorted samples."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def latency_figures(name: str, samples_ms: list[float], target_ms: float, judged: str,
                    fractions=(0.50, 0.95, 0.99)) -> list[Figure]:
    """p50/p95/p99 of latencies in ms; only the `judged` percentile (e.g. "p95") carries the target."""
    figures = []
    for fraction in fractions:
        label = f"p{round(fraction * 100)}"
        target = target_ms if label == judged else None
        figures.append(Figure(f"{name} {label}", percentile(samples_ms, fraction), "ms", target))
    return figures


def timed_calls(call, arguments: list, warm_up: int = 20) -> list[float]:
    """Milliseconds for each call(argument); the first `warm_up` calls are made first and not counted."""
    for argument in arguments[:warm_up]:
        call(argument)
    samples = []
    for argument in arguments:
        start = time.perf_counter()
        call(argument)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


@contextlib.contextmanager
def maybe_profiled(path: Path | None, top: int = 25):
    """With a path, profile the block, save the stats there and print the functions that took the most time."""
    if path is None:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
        print(f"--- profile saved to {path} (top {top} by own time)")
        print(text.getvalue())


def format_table(results: dict[str, list[Figure]]) -> str:
    """One row per figure and database: value, target and PASS/MISS."""
    lines = [f"{'database':<11} {'figure':<44} {'value':>14} {'target':>14}  verdict"]
    lines.append("-" * len(lines[0]))
    for database, figures in results.items():
        for figure in figures:
            value = f"{_number(figure.value)} {figure.unit}"
            target = "" if figure.target is None else f"{'≥' if figure.at_least else '≤'} {_number(figure.target)}"
            lines.append(f"{database:<11} {figure.name:<44} {value:>14} {target:>14}  {figure.verdict}")
            if figure.note:
                lines.append(f"{'':<11}   ({figure.note})")
    return "\n".join(lines)


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def progress(message: str) -> None:
    """A timestamped line on stdout while a long benchmark runs."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def load_note() -> str:
    """The load average when a run ends: other work on a shared machine slows what is measured."""
    one, five, fifteen = os.getloadavg()
    return f"\nload average at the end: {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
