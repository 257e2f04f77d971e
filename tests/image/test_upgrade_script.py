"""image/upgrade-box.sh in a temp prefix: releases whose bin/dangan is a shell script that records its calls (and
fails `migrate` on demand), a `systemctl` on PATH that records what it was asked and where the venv link pointed."""

import base64
import hashlib
import http.server
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from tests.support.network import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "image" / "upgrade-box.sh"
FAKE_DANGAN = """#!/bin/sh
echo "{version} $*" >> "$UPGRADE_CALLS"
case "$1" in
    --version) echo "dangan, version {version}" ;;
    migrate) if [ -e "$FAIL_MIGRATE" ]; then echo "error: migration 0010 failed" >&2; exit 1; fi ;;
esac
"""
FAKE_SYSTEMCTL = """#!/bin/sh
echo "systemctl $* venv=$(readlink "$PREFIX/venv")" >> "$UPGRADE_CALLS"
"""
STOPPED = ("systemctl stop dangan.target dangan-web.socket dangan-web.service dangan-agent.service "
           "dangan-worker.service dangan-migrate.service")


@pytest.fixture
def box(tmp_path):
    """A prefix with releases 0.9.0 and 1.0.0 (current) installed and 2.0.0 built beside them, a wheelhouse whose
    newest dangan wheel is 2.0.0, and a tools directory with the recording systemctl."""
    prefix = tmp_path / "opt-dangan"
    for version in ("0.9.0", "1.0.0", "2.0.0"):
        make_release(prefix, version)
    (prefix / "venv").symlink_to("releases/1.0.0")
    wheelhouse = tmp_path / "wheels"
    wheelhouse.mkdir()
    for name in ("dangan-1.0.0-py3-none-any.whl", "dangan-2.0.0-py3-none-any.whl", "flask-3.0.0-py3-none-any.whl"):
        (wheelhouse / name).touch()
    tools = tmp_path / "tools"
    tools.mkdir()
    executable(tools / "systemctl", FAKE_SYSTEMCTL)
    return {"prefix": prefix, "wheelhouse": wheelhouse, "tools": tools, "calls": tmp_path / "calls",
            "fail": tmp_path / "fail-migrate"}


def make_release(prefix: Path, version: str) -> Path:
    release = prefix / "releases" / version
    (release / "bin").mkdir(parents=True)
    executable(release / "bin" / "dangan", FAKE_DANGAN.format(version=version))
    (release / ".installed").write_text(f"{version}\n", encoding="utf-8")
    return release


def executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


def upgrade(box, *options: str, python: str = "python3") -> subprocess.CompletedProcess:
    environment = {**os.environ, "PATH": f"{box['tools']}:{os.environ['PATH']}", "UPGRADE_CALLS": str(box["calls"]),
                   "FAIL_MIGRATE": str(box["fail"]), "PREFIX": str(box["prefix"])}
    command = ["bash", str(SCRIPT), "--prefix", str(box["prefix"]), "--user", current_user(), "--python", python,
               *options, str(box["wheelhouse"])]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=300, check=False)


def current_user() -> str:
    return subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()


def calls(box) -> list[str]:
    return box["calls"].read_text(encoding="utf-8").splitlines() if box["calls"].exists() else []


def releases(box) -> list[str]:
    return sorted(path.name for path in (box["prefix"] / "releases").iterdir())


def test_an_upgrade_stops_switches_the_link_migrates_and_starts_keeping_the_previous_release(box):
    result = upgrade(box, "--no-health-check")
    assert result.returncode == 0, result.stderr
    assert os.readlink(box["prefix"] / "venv") == "releases/2.0.0"
    assert calls(box) == ["2.0.0 --version", f"{STOPPED} venv=releases/1.0.0", "2.0.0 migrate",
                          "systemctl start dangan.target venv=releases/2.0.0"]
    assert releases(box) == ["1.0.0", "2.0.0"]  # 0.9.0 is older than the previous release: removed
    assert "previous release kept" in result.stderr and not (box["prefix"] / "venv.switching").exists()


def test_a_failed_migration_switches_back_and_starts_the_old_release(box):
    box["fail"].touch()
    result = upgrade(box, "--no-health-check")
    assert result.returncode == 1
    assert os.readlink(box["prefix"] / "venv") == "releases/1.0.0"
    assert calls(box) == ["2.0.0 --version", f"{STOPPED} venv=releases/1.0.0", "2.0.0 migrate",
                          "systemctl start dangan.target venv=releases/1.0.0"]
    assert releases(box) == ["0.9.0", "1.0.0", "2.0.0"]  # nothing removed after a failure
    assert "error: migration 0010 failed" in result.stderr
    assert "upgrade to 2.0.0 FAILED; the previous release runs again" in result.stderr


def test_without_systemctl_nothing_is_stopped_or_started(box):
    result = upgrade(box, "--no-systemctl")
    assert result.returncode == 0, result.stderr
    assert calls(box) == ["2.0.0 --version", "2.0.0 migrate"]
    assert os.readlink(box["prefix"] / "venv") == "releases/2.0.0"


def test_the_current_release_is_not_installed_again(box):
    (box["prefix"] / "venv").unlink()
    (box["prefix"] / "venv").symlink_to("releases/2.0.0")
    result = upgrade(box, "--no-systemctl")
    assert result.returncode == 0 and "the current one already: nothing to do" in result.stderr
    assert calls(box) == [] and releases(box) == ["0.9.0", "1.0.0", "2.0.0"]


def test_an_upgrade_waits_for_the_console_to_answer(box):
    with health_server(b'{"status": "ok", "version": "2.0.0"}') as url:
        result = upgrade(box, "--health-url", url, "--health-timeout", "20")
    assert result.returncode == 0, result.stderr
    assert "console answers: version 2.0.0" in result.stderr


def test_a_console_that_does_not_answer_is_reported_and_the_new_release_kept(box):
    result = upgrade(box, "--health-url", f"http://127.0.0.1:{free_port()}/api/v1/health", "--health-timeout", "1")
    assert result.returncode == 3 and "the console does not answer" in result.stderr
    assert os.readlink(box["prefix"] / "venv") == "releases/2.0.0"  # its schema is migrated: no way back by link
    assert releases(box) == ["0.9.0", "1.0.0", "2.0.0"]


def test_bad_usage_changes_nothing(box, tmp_path):
    for arguments in ([], ["--bogus"], [str(tmp_path / "no-such-wheelhouse")]):
        result = subprocess.run(["bash", str(SCRIPT), "--prefix", str(box["prefix"]), *arguments],
                                capture_output=True, text=True, timeout=30, check=False)
        assert result.returncode == 2, arguments
    assert os.readlink(box["prefix"] / "venv") == "releases/1.0.0" and calls(box) == []


@pytest.mark.slow
def test_a_release_is_built_as_a_venv_from_the_wheelhouse_only(box):
    """A real venv, the dangan wheel a tiny one whose console script records its calls: pip finds it offline."""
    for wheel in box["wheelhouse"].iterdir():
        wheel.unlink()
    build_tiny_wheel(box["wheelhouse"], "3.0.0")
    half_built = box["prefix"] / "releases" / "3.0.0"
    (half_built / "bin").mkdir(parents=True)  # an earlier build that stopped before its marker: built again
    (half_built / "bin" / "dangan").touch()
    result = upgrade(box, "--no-systemctl", python=sys.executable)
    assert result.returncode == 0, result.stderr
    release = box["prefix"] / "releases" / "3.0.0"
    assert (release / "pyvenv.cfg").is_file() and (release / ".installed").read_text() == "3.0.0\n"
    assert calls(box) == ["tiny 3.0.0 --version", "tiny 3.0.0 migrate"]
    assert os.readlink(box["prefix"] / "venv") == "releases/3.0.0" and releases(box) == ["1.0.0", "3.0.0"]


def build_tiny_wheel(directory: Path, version: str) -> Path:
    information = f"dangan-{version}.dist-info"
    files = {
        "tiny_dangan.py": ("import os, sys\n\ndef main():\n"
                           "    with open(os.environ['UPGRADE_CALLS'], 'a') as calls:\n"
                           f"        calls.write('tiny {version} ' + ' '.join(sys.argv[1:]) + '\\n')\n"),
        f"{information}/METADATA": f"Metadata-Version: 2.1\nName: dangan\nVersion: {version}\n",
        f"{information}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{information}/entry_points.txt": "[console_scripts]\ndangan = tiny_dangan:main\n",
    }
    record = [f"{name},sha256={digest(text)},{len(text.encode())}" for name, text in files.items()]
    files[f"{information}/RECORD"] = "\n".join([*record, f"{information}/RECORD,,"]) + "\n"
    path = directory / f"dangan-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    return path


def digest(text: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


class health_server:
    """A plain HTTP server answering every GET with `body` (the script's check speaks HTTP and HTTPS alike)."""

    def __init__(self, body: bytes):
        answer = body

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_arguments):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/health"

    def __exit__(self, *_exception) -> None:
        self.server.shutdown()
        self.server.server_close()
