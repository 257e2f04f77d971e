"""Provision a box from checked answers, step by step; each step sees what is already done and keeps it.

A step that fails stops the run with what came before it done; the next run skips those and goes on. The marker
`/var/lib/dangan/.provisioned` is written last, so the first-boot unit runs again until everything is done.
"""

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from appliance.bootstrap import Appliance, build_appliance, prepare_secrets
from appliance.config import Config
from provisioning import system
from provisioning.administrators import describe, ensure_administrators
from provisioning.answers import Answers
from provisioning.backups import set_up_backup
from provisioning.layout import Layout, write_file
from provisioning.settings import box_config, install_certificate, write_config

Say = Callable[[str], None]


@dataclass
class Run:
    """One provisioning run: where, with which answers, and how it talks to the person."""

    layout: Layout
    answers: Answers
    say: Say  # progress lines: never a password
    show_passwords: Callable[[dict[str, str]], None]  # generated one-time passwords: to the terminal only
    pending: list[str] = field(default_factory=list)
    config: Config | None = None
    appliance: Appliance | None = None


def provision(run: Run) -> list[str]:
    """Do every step; returns what is left pending (a twin not yet reachable). Raises the failing step's error."""
    steps: list[tuple[str, Callable[[Run], str]]] = [
        ("hostname", lambda current: system.set_hostname(current.layout, current.answers.hostname)),
        ("time zone", lambda current: system.set_timezone(current.layout, current.answers.timezone)),
        ("config", lambda current: write_config(current.layout, current.answers)),
        ("database", _database),
        ("administrators", _administrators),
        ("certificate", lambda current: install_certificate(current.layout, current.answers)),
        ("backup", _backup),
        ("machine-id", lambda current: system.check_machine_id(current.layout)),
        ("ssh host keys", lambda current: system.make_ssh_host_keys(current.layout)),
        ("ssh access", lambda current: system.add_authorized_keys(current.layout, current.answers.authorized_keys)),
        ("ownership", lambda current: system.give_home_to_service_user(current.layout)),
        ("marker", _marker),
    ]
    try:
        for name, step in steps:
            run.say(f"{name}: {_attempt(name, step, run)}")
    finally:
        if run.appliance is not None:
            run.appliance.close()
    return run.pending


def _attempt(name: str, step: Callable[[Run], str], run: Run) -> str:
    try:
        return step(run)
    except Exception:
        run.say(f"{name}: FAILED (the reason follows); the steps above are done, and the next run goes on from here")
        raise


def _database(run: Run) -> str:
    run.config = box_config(run.layout)
    database = run.config.home / "dangan.sqlite3"
    existed = database.exists() if not run.config.database.url else None
    prepare_secrets(run.config)
    run.appliance = build_appliance(run.config, migrate=True)
    where = "the configured database" if existed is None else str(database)
    return f"{where} {'already there' if existed else 'made'}; schema at the newest revision"


def _administrators(run: Run) -> str:
    outcome = ensure_administrators(run.appliance, run.answers.administrators)
    run.appliance.close()  # nothing later needs the database: closed before the home changes owner
    run.appliance = None
    if outcome.generated:
        run.show_passwords(outcome.generated)
    return describe(outcome)


def _backup(run: Run) -> str:
    if run.answers.backup is None:
        return "none asked for ([backup] absent); `dangan backup init` sets it up later"
    outcome = set_up_backup(run.config, run.layout, run.answers.backup, run.answers.hostname)
    details = "".join(f"\n  {line}" for line in outcome.lines)
    if outcome.pending:
        run.pending.append(f"backup: {outcome.pending}")
        return f"PENDING: {outcome.pending}{details}"
    return f"ready{details}"


def _marker(run: Run) -> str:
    marker = run.layout.marker
    if marker.exists():
        return f"{marker} already there"
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    pending = "".join(f"pending: {line}\n" for line in run.pending)
    write_file(marker, f"provisioned {stamp}\n{pending}", mode=0o644)
    home = run.layout.home.stat()
    if os.geteuid() == 0:
        os.chown(marker, home.st_uid, home.st_gid)  # the home's owner, so the next ownership pass finds it so
    return f"{marker} written"
