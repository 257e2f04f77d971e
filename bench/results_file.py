"""Benchmark results files under bench/results: the catalogue's (one entry per database), and one per benchmark."""

import datetime
import json
import os
import platform
import sqlite3
import subprocess
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
NOTES = ("SQLite: WAL, synchronous=FULL. PostgreSQL: throw-away cluster from tests/support/postgres.py "
         "(fsync=off), over TCP on 127.0.0.1. The machine may have been shared with other work during the run.")


def write_results(results: dict[str, list], settings: dict) -> Path:
    """Merge this run's databases into today's file (a later run of one database replaces its entry)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()
    path = RESULTS_DIR / f"{today}-catalogue.json"
    document = json.loads(path.read_text()) if path.exists() else {"date": today, "databases": {}}
    run = {**settings, "machine": machine()}
    for database, figures in results.items():
        document["databases"][database] = {**run, "figures": [figure.as_dict() for figure in figures]}
    document["notes"] = NOTES
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    return path


def write_named_results(name: str, settings: dict, figures: list, report: str) -> Path:
    """Today's bench/results/<date>-<name>.json (settings, machine, commit, figures) and .txt (the printed table);
    a rerun the same day replaces them."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()
    path = RESULTS_DIR / f"{today}-{name}.json"
    document = {"date": today, "settings": settings, "machine": machine(),
                "source": source_state(RESULTS_DIR.parents[1]), "figures": [figure.as_dict() for figure in figures]}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    path.with_suffix(".txt").write_text(report + "\n")
    return path


def source_state(repository: Path) -> dict:
    """The commit measured, and which files of the appliance differ from it (others may be editing)."""
    def git(*arguments: str) -> str:
        result = subprocess.run(["git", "-C", str(repository), *arguments], capture_output=True, text=True)
        return result.stdout.rstrip("\n")

    changed = git("status", "--porcelain", "--", "appliance").splitlines()
    return {"commit": git("rev-parse", "HEAD"), "changed": [line[3:] for line in changed if line]}


def machine() -> dict:
    return {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "cpus": os.cpu_count(),
            "platform": platform.platform()}
