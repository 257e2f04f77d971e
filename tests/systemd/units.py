"""The repository's systemd units laid into a throw-away root, as the image installs them, and read as settings."""

import shutil
from collections import defaultdict
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SYSTEMD = REPOSITORY / "systemd"
UNIT_DIRECTORY = Path("usr/lib/systemd/system")
HOST_UNITS = Path("/usr/lib/systemd/system")  # sysinit.target and friends, which every unit depends on
VENV_PROGRAMS = ("dangan", "gunicorn", "python")
UNIT_SUFFIXES = (".service", ".socket", ".target")


def unit_names() -> list[str]:
    return sorted(path.name for path in SYSTEMD.iterdir() if path.suffix in UNIT_SUFFIXES)


def lay_out_root(root: Path) -> Path:
    """Host units, ours over them, and executable stand-ins for the venv's programs the units start."""
    shutil.copytree(HOST_UNITS, root / UNIT_DIRECTORY, symlinks=True)
    for name in unit_names():
        shutil.copy(SYSTEMD / name, root / UNIT_DIRECTORY / name)
    programs = root / "opt/dangan/venv/bin"
    programs.mkdir(parents=True)
    for program in VENV_PROGRAMS:
        (programs / program).write_text("#!/bin/sh\nexit 0\n", encoding="ascii")
        (programs / program).chmod(0o755)
    return root


def unit_settings(name: str) -> dict[tuple[str, str], list[str]]:
    """Every `Key=value` of a unit by (section, key), in order; a key may repeat, as systemd allows."""
    settings: dict[tuple[str, str], list[str]] = defaultdict(list)
    section = ""
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings[(section, key.strip())].append(value.strip())
    return settings


def words(settings: dict, section: str, key: str) -> list[str]:
    """The space-separated words of every line of a list setting such as Requires= or After=."""
    return [word for value in settings.get((section, key), []) for word in value.split()]
