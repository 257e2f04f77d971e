"""What the sandboxed programs really do, traced, against what their units allow.

systemd is not PID 1 here, so the units' seccomp filters cannot be applied; instead the real work runs under strace
(and under the kernel's MDWE, as MemoryDenyWriteExecute= would constrain it) and every system call it makes must be
in the unit's SystemCallFilter= as systemd expands it: gunicorn serving HTTPS for dangan-web, and for dangan-worker
an OCR page in a forkserver pool (Python, tesseract) and a borg backup over ssh to a real sshd twin.
"""

import functools
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_https_serving import box, free_port, get, start, stop, trusting, wait_for_health  # noqa: F401
from tests.support.twin import running_twin
from tests.systemd.units import unit_settings

pytestmark = pytest.mark.slow  # runs gunicorn, tesseract and borg (and the first `dangan init`)
EXERCISE = Path(__file__).with_name("sandbox_exercise.py")
TRACED_CALL = re.compile(r"^\d+\s+(?:<\.\.\. )?([a-z_][a-z0-9_]*)(?:\(| resumed>)")
# Refused calls the programs shrug off: OpenBLAS (numpy, scikit-learn) asks for a NUMA placement of its buffers and
# ignores the answer; SQLite hands a new WAL file to the database's owner only when it runs as root (tests do).
HARMLESSLY_REFUSED = {"mbind"} | ({"fchown"} if os.geteuid() == 0 else set())


@functools.cache
def syscall_group(name: str) -> frozenset[str]:
    """The system calls of `@group` as this systemd expands it (nested groups too); a plain name is itself."""
    if not name.startswith("@"):
        return frozenset({name})
    listing = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager", name], check=True,
                             capture_output=True, text=True, timeout=60).stdout
    entries = [line.strip() for line in listing.splitlines()[1:] if line.startswith("    ")]
    return frozenset().union(*(syscall_group(entry) for entry in entries if not entry.startswith("#")))


def allowed_syscalls(unit: str) -> frozenset[str]:
    """The allow list a unit's SystemCallFilter= lines leave, applied in order as systemd does."""
    allowed: frozenset[str] = frozenset()
    for value in unit_settings(unit)[("Service", "SystemCallFilter")]:
        denied = value.startswith("~")
        names = frozenset().union(*(syscall_group(word) for word in value.lstrip("~").split()))
        allowed = allowed - names if denied else allowed | names
    return allowed


def refused_calls(trace: Path, unit: str) -> set[str]:
    """The calls in the trace that the unit's filter would refuse, less the ones known to be shrugged off."""
    found = {match.group(1) for line in trace.read_text(errors="replace").splitlines()
             if (match := TRACED_CALL.match(line))}
    return found - allowed_syscalls(unit) - HARMLESSLY_REFUSED


def traced(command: list[str], trace: Path, unit: str) -> list[str]:
    """strace stopping only at calls outside the unit's allow list (seccomp-bpf: the rest run at full speed)."""
    outside = "trace=!" + ",".join(f"?{name}" for name in sorted(allowed_syscalls(unit)))  # ?: unknown to strace
    return ["strace", "--follow-forks", "--seccomp-bpf", "--quiet=all", "-e", outside, f"--output={trace}", "--",
            *command]


def test_the_expansion_knows_the_groups():
    web = allowed_syscalls("dangan-web.service")
    assert {"read", "openat", "accept4", "setgroups"} <= web and not {"mount", "reboot", "setrlimit"} & web
    assert "setgroups" not in allowed_syscalls("dangan-worker.service")


def test_gunicorn_serving_https_stays_inside_the_web_filter(box, tmp_path):  # noqa: F811
    port, trace, log = free_port(), tmp_path / "trace", tmp_path / "web.log"
    command = [sys.executable, str(EXERCISE), "exec", sys.executable, "-m", "appliance.cli", "web"]
    server = start(traced(command, trace, "dangan-web.service"), {**box, "DANGAN_WEB_BIND": f"127.0.0.1:{port}"}, log)
    try:
        context = trusting(box["DANGAN_WEB_CERTIFICATE"])
        assert wait_for_health(port, context, server, log).status == 200
        assert get(port, "/login", context).status == 200
        # stop gunicorn itself (its pid is the one the command was started with): strace then ends with it
        arbiter = re.search(r"Listening at: \S+ \((\d+)\)", log.read_text(errors="replace")).group(1)
        os.kill(int(arbiter), signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        stop(server)
    refused = refused_calls(trace, "dangan-web.service")
    assert not refused, f"dangan-web would be refused: {sorted(refused)}"


def test_ocr_in_a_forkserver_pool_and_borg_over_ssh_stay_inside_the_worker_filter(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "page.txt").write_text("档案" * 1000, encoding="utf-8")
    with running_twin(tmp_path) as twin:
        spec = {"repository": twin.repository, "passphrase_file": str(twin.passphrase_file), "data": str(data),
                "ssh_key": str(twin.key), "known_hosts": str(twin.known_hosts),
                "state_directory": str(tmp_path / "borg-state")}
        trace = tmp_path / "trace"
        command = [sys.executable, str(EXERCISE), "worker", json.dumps(spec)]
        result = subprocess.run(traced(command, trace, "dangan-worker.service"),
                                capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert "档案" in report["text"] and report["borg"] == [0, 0] and report["archives"] == ["first"]
    refused = refused_calls(trace, "dangan-worker.service")
    assert not refused, f"dangan-worker would be refused: {sorted(refused)}"


def test_reading_a_cover_sheet_stays_inside_the_agent_filter(tmp_path):
    trace = tmp_path / "trace"
    result = subprocess.run(traced([sys.executable, str(EXERCISE), "agent"], trace, "dangan-agent.service"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DA1:SEP" in json.loads(result.stdout.splitlines()[-1])["payloads"]
    refused = refused_calls(trace, "dangan-agent.service")
    assert not refused, f"dangan-agent would be refused: {sorted(refused)}"


def test_a_refused_call_is_seen(tmp_path):
    trace = tmp_path / "trace"
    command = [sys.executable, "-c", "import os; os.setgroups(os.getgroups())"]
    subprocess.run(traced(command, trace, "dangan-worker.service"), check=True, timeout=60)
    assert refused_calls(trace, "dangan-worker.service") == {"setgroups"}
