"""SANE's configuration directory, and the one call to `sane.init()` a process may make.

libsane reads `SANE_CONFIG_DIR` when it starts and keeps the directory list it found until the process ends, so
the directory must be chosen before the first `sane.init()` and cannot be changed afterwards. `initialise_sane`
is therefore the single entry point: the first call sets the directory and initialises SANE; later calls with the
same directory do nothing; a later call with another directory is refused, because it would silently have no effect.
A process that needs a second configuration (a test of saned and the `net` backend, say) runs in a subprocess.
"""

import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

import sane

SYSTEM_CONFIG_DIR = Path("/etc/sane.d")
ENVIRONMENT_VARIABLE = "SANE_CONFIG_DIR"
# Backends whose configuration we write ourselves rather than copy from the system directory.
WRITTEN_BACKENDS = {"net", "dll"}

_lock = threading.Lock()
_initialised = False
_config_dir: Path | None = None


def write_private_config(directory: Path, backends: list[str], net_hosts: Iterable[str] = (),
                         saned_hosts: Iterable[str] = ()) -> Path:
    """Write a SANE configuration directory that loads only `backends`; return the directory.

    dll.conf lists the backends; net.conf lists `net_hosts` (the saned servers the `net` backend asks);
    saned.conf lists `saned_hosts` (the clients a saned using this directory accepts). A backend's own
    `<name>.conf` is copied from /etc/sane.d when the system has one (test.conf, for instance).
    Raises ValueError for an empty backend list or a backend name that is not a plain word.
    """
    if not backends:
        raise ValueError("a SANE configuration needs at least one backend")
    for backend in backends:
        if not backend.replace("_", "").isalnum():
            raise ValueError(f"not a SANE backend name: {backend!r}")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    _write_lines(directory / "dll.conf", backends)
    _write_lines(directory / "net.conf", net_hosts)
    _write_lines(directory / "saned.conf", saned_hosts)
    for backend in backends:
        _copy_backend_config(directory, backend)
    return directory


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    text = "".join(f"{line}\n" for line in lines)
    path.write_text("# written by scanner_agent.devices.sane_config\n" + text, encoding="ascii")


def _copy_backend_config(directory: Path, backend: str) -> None:
    source = SYSTEM_CONFIG_DIR / f"{backend}.conf"
    if backend not in WRITTEN_BACKENDS and source.is_file():
        shutil.copyfile(source, directory / source.name)


def initialise_sane(config_dir: Path | None = None) -> None:
    """Point SANE at `config_dir` and call `sane.init()`, once per process.

    None leaves SANE to its own search: $SANE_CONFIG_DIR if the environment sets it, else /etc/sane.d.

    Calling again with the same directory does nothing. Raises RuntimeError when SANE was already initialised
    with another directory (libsane would keep using the first one), and `sane._sane.error` if SANE cannot start.
    """
    global _initialised, _config_dir
    wanted = Path(config_dir).resolve() if config_dir is not None else None
    with _lock:
        if _initialised:
            if wanted != _config_dir:
                raise RuntimeError(f"SANE was already initialised with configuration {_describe(_config_dir)}; "
                                   f"it cannot switch to {_describe(wanted)} in the same process")
            return
        if wanted is not None:
            os.environ[ENVIRONMENT_VARIABLE] = str(wanted)
        sane.init()
        _initialised, _config_dir = True, wanted


def require_initialised() -> None:
    """Raise RuntimeError unless `initialise_sane` has run in this process."""
    if not _initialised:
        raise RuntimeError("SANE is not initialised: call scanner_agent.devices.sane_config.initialise_sane() first")


def initialised_config_dir() -> Path | None:
    """The private configuration directory SANE was initialised with (None: the system's, or not yet)."""
    return _config_dir


def _describe(directory: Path | None) -> str:
    return str(directory) if directory is not None else f"the system's ({SYSTEM_CONFIG_DIR})"
