"""SANE for tests: a process-wide private configuration (test + pnm backends), saned, namespaces, subprocesses.

libsane can be initialised once per process, so every test in the pytest process shares one configuration
directory made by `shared_test_config`; a test that needs another configuration (saned and the `net` backend,
udev under umockdev) runs a script in a subprocess with `run_script`.
"""

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scanner_agent.devices.sane_config import initialise_sane, initialised_config_dir, write_private_config

REPOSITORY = Path(__file__).resolve().parents[2]
SANED_PORT = 6566  # fixed by saned; hence the private network namespace
TEST_BACKENDS = ["test", "pnm"]
_shared_dir: Path | None = None


def shared_test_config() -> Path:
    """Initialise SANE in this process with a private dll.conf listing `test` and `pnm`; the same dir every call.

    Raises RuntimeError if something else initialised SANE with another configuration first.
    """
    global _shared_dir
    if _shared_dir is None:
        base = Path(tempfile.mkdtemp(prefix="dangan-sane-"))
        atexit.register(shutil.rmtree, base, True)
        _shared_dir = write_private_config(base / "sane.d", TEST_BACKENDS)
    if initialised_config_dir() != _shared_dir.resolve():
        initialise_sane(_shared_dir)
    return _shared_dir


def in_network_namespace(argv: list[str]) -> list[str]:
    """A command that runs `argv` in a new network namespace with only loopback, up."""
    return ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *argv]


def under_umockdev(argv: list[str]) -> list[str]:
    """A command that runs `argv` with umockdev's preload, so udev sees only a test bed's devices."""
    return ["umockdev-wrapper", *argv]


def run_script(module: str, *arguments: str, wrap=lambda argv: argv, timeout: float = 60) -> dict:
    """Run `python -m module arguments` (this venv's python, from the repository root) and parse its JSON output.

    Raises AssertionError with the script's output when it fails or prints no JSON.
    """
    argv = wrap([sys.executable, "-m", module, *arguments])
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    environment.pop("SANE_CONFIG_DIR", None)
    result = subprocess.run(argv, cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError) as error:
        raise AssertionError(f"no JSON from {module}: {result.stdout}\n{result.stderr}") from error


def start_saned(config_dir: Path, log_path: Path) -> subprocess.Popen:
    """Start `saned` listening on 127.0.0.1:6566 with `config_dir`; wait until it accepts connections.

    Run it only inside a private network namespace (the port is fixed). Raises RuntimeError if it does not listen
    within 5 seconds.
    """
    environment = {**os.environ, "SANE_CONFIG_DIR": str(config_dir)}
    log = open(log_path, "wb")  # noqa: SIM115 - saned writes to it for its whole life
    server = subprocess.Popen(["saned", "-l", "-e", "-b", "127.0.0.1"], env=environment, stdout=log, stderr=log)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"saned exited with {server.returncode}: {log_path.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", SANED_PORT), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise RuntimeError(f"saned did not listen on port {SANED_PORT}: {log_path.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    """Terminate a process we started and reap it."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
