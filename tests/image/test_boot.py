"""Boot the built appliance image under qemu (TCG, UEFI) with an answers drive; check its console and services.

Booting takes minutes, so this module runs only when DANGAN_IMAGE names the qcow2 to boot: `make image-test`
builds the image and sets it; plain `make test` skips the module with one line saying so. The built image is never
written to: the machine boots a copy-on-write overlay of it.
"""

import contextlib
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from tests.support.network import free_port

IMAGE = os.environ.get("DANGAN_IMAGE", "")  # collected only when set (tests/image/conftest.py)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
HOSTNAME = "dangan-test"
CONSOLE_NAME = "dangan-test.archive.local"
# Under TCG on two shared cores a first boot took minutes; a box that needs longer than this is broken.
BOOT_TIMEOUT = float(os.environ.get("DANGAN_IMAGE_BOOT_TIMEOUT", "900"))
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARIABLES = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
PR_SET_PDEATHSIG = 1
DISK_GIB = 6
DEFAULT_ADMINISTRATORS = [
    {"username": "sysadmin", "name": "张三", "role": "system_admin"},
    {"username": "secadmin", "name": "李四", "role": "security_admin"},
    {"username": "auditadmin", "name": "王五", "role": "audit_admin"},
]


class VirtualMachine:
    """One qemu process booting an overlay of the image, its serial console logged to a file."""

    def __init__(self, directory: Path, answers_drive: Path) -> None:
        self.directory = directory
        self.answers_drive = answers_drive
        self.serial_log = directory / "serial.log"
        self.https_port = free_port()
        self.ssh_port = free_port()
        self.process: subprocess.Popen | None = None
        self.started_at = 0.0

    def start(self) -> None:
        """Start qemu in the background; raises CalledProcessError when the overlay cannot be made."""
        overlay = self.directory / "overlay.qcow2"
        # A disk larger than the image, as a real box has: the root partition and file system must grow over it.
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(Path(IMAGE).resolve()), "-F", "qcow2",
                        str(overlay), f"{DISK_GIB}G"], check=True)
        variables = self.directory / "ovmf-variables.fd"
        shutil.copyfile(OVMF_VARIABLES, variables)
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(self._command(overlay, variables), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=(self.directory / "qemu.err").open("wb"),
                                        preexec_fn=die_with_parent)

    def _command(self, overlay: Path, variables: Path) -> list[str]:
        forwards = f"hostfwd=tcp:127.0.0.1:{self.https_port}-:443,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22"
        return [
            # TCG's default CPU (qemu64) lacks SSE4.2 and POPCNT, which numpy's wheels require: "invalid opcode".
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg", "-cpu", "max", "-m", "2048", "-smp", "2",
            "-display", "none", "-no-reboot",
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={variables}",
            "-drive", f"file={overlay},if=virtio,format=qcow2",
            "-drive", f"file={self.answers_drive},if=virtio,format=raw,readonly=on",
            "-nic", f"user,model=virtio-net-pci,{forwards}",
            "-serial", f"file:{self.serial_log}",
        ]

    def running(self) -> bool:
        """Whether qemu is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop qemu: politely, then by force."""
        if not self.running():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)

    def serial_tail(self, lines: int = 80) -> str:
        """The last lines the machine wrote to its serial console (and qemu's own errors, if any)."""
        text = self.serial_log.read_text(errors="replace") if self.serial_log.exists() else ""
        errors = (self.directory / "qemu.err").read_text(errors="replace").strip()
        tail = "\n".join(text.splitlines()[-lines:])
        return f"{tail}\n--- qemu: {errors}" if errors else tail


def die_with_parent() -> None:
    # Runs in the child before exec: the kernel kills qemu if pytest itself is killed and cannot clean up.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def toml_value(value) -> str:
    """A string, or a list of strings, as TOML (a JSON string is a valid TOML basic string)."""
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def answers_text(public_key: str) -> str:
    """The answers file in the contract's format: the example's administrators, this test's names and ssh key."""
    lines = [f"hostname = {toml_value(HOSTNAME)}", 'timezone = "Asia/Shanghai"',
             f"console_names = {toml_value([CONSOLE_NAME])}"]
    for administrator in example_administrators():
        lines += ["", "[[administrators]]"]
        lines += [f"{key} = {toml_value(value)}" for key, value in administrator.items()]
    lines += ["", "[ssh]", f"authorized_keys = {toml_value([public_key])}"]
    return "\n".join(lines) + "\n"


def example_administrators() -> list[dict]:
    """The three administrators of image/answers.example.toml, so the test follows the documented file."""
    example = REPO / "image" / "answers.example.toml"
    if not example.exists():
        return DEFAULT_ADMINISTRATORS
    return tomllib.loads(example.read_text())["administrators"]


def make_answers_drive(directory: Path, public_key: str) -> Path:
    """A small ext4 image labelled DANGAN-ANSWERS holding answers.toml, made without mounting anything.

    ext4, not FAT: a FAT label holds at most 11 characters and DANGAN-ANSWERS has 14.
    """
    content = directory / "answers"
    content.mkdir()
    (content / "answers.toml").write_text(answers_text(public_key))
    drive = directory / "answers.img"
    subprocess.run(["mkfs.ext4", "-q", "-L", "DANGAN-ANSWERS", "-d", str(content), str(drive), "8M"], check=True)
    return drive


def make_ssh_key(directory: Path) -> tuple[Path, str]:
    """A fresh ed25519 key pair: the private key's path and the public key's line."""
    key = directory / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "image-test", "-f", str(key)], check=True)
    return key, key.with_suffix(".pub").read_text().strip()


def unverified_context() -> ssl.SSLContext:
    # The box's certificate is self-signed at first boot: the test reads it rather than trusting it.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def health(port: int) -> tuple[int, dict]:
    """GET /api/v1/health over HTTPS: status code and JSON body; raises OSError while nothing answers."""
    url = f"https://127.0.0.1:{port}/api/v1/health"
    try:
        with urllib.request.urlopen(url, context=unverified_context(), timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_for_console(machine: VirtualMachine) -> tuple[float, int, dict]:
    """Poll the console until it answers: seconds since qemu started, status and body.

    Raises AssertionError (with the serial log) when qemu stops or the console stays silent past BOOT_TIMEOUT.
    """
    while time.monotonic() - machine.started_at < BOOT_TIMEOUT:
        if not machine.running():
            raise AssertionError(f"qemu stopped before the console answered:\n{machine.serial_tail()}")
        try:
            status, body = health(machine.https_port)
            return time.monotonic() - machine.started_at, status, body
        except (OSError, ValueError, ConnectionError):
            time.sleep(5)
    raise AssertionError(f"no HTTPS answer within {BOOT_TIMEOUT:.0f} s:\n{machine.serial_tail()}")


def served_certificate(port: int) -> x509.Certificate:
    """The certificate the console presents on the forwarded port."""
    with (socket.create_connection(("127.0.0.1", port), timeout=20) as connection,
          unverified_context().wrap_socket(connection) as tls):
        return x509.load_der_x509_certificate(tls.getpeercert(binary_form=True))


def ssh(machine: VirtualMachine, key: Path, command: str) -> subprocess.CompletedProcess:
    """Run a command on the box as root over ssh with the key from the answers file."""
    options = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes"]
    return subprocess.run(["ssh", *options, "-i", str(key), "-p", str(machine.ssh_port), "root@127.0.0.1", command],
                          capture_output=True, text=True, timeout=120, check=False)


@contextlib.contextmanager
def serial_log_on_failure(machine: VirtualMachine) -> Iterator[None]:
    """Print the end of the serial log when the block fails, so the report shows how far the box got."""
    try:
        yield
    except BaseException:
        print(f"--- serial console, last lines:\n{machine.serial_tail()}")
        raise


@pytest.fixture(scope="module")
def booted(tmp_path_factory) -> Iterator[dict]:
    """The image booted with an answers drive, until its console answers over HTTPS; qemu stops in every case."""
    directory = tmp_path_factory.mktemp("image-boot")
    key, public_key = make_ssh_key(directory)
    machine = VirtualMachine(directory, make_answers_drive(directory, public_key))
    machine.start()
    try:
        seconds, status, body = wait_for_console(machine)  # its failure carries the serial log
        print(f"\nboot to HTTPS console: {seconds:.0f} s (qemu start to the first answer, TCG)")
        yield {"machine": machine, "key": key, "status": status, "body": body}
    finally:
        machine.stop()


def test_console_answers_over_https_with_a_certificate_naming_the_box(booted):
    machine = booted["machine"]
    with serial_log_on_failure(machine):
        assert booted["status"] == 200, booted["body"]
        assert booted["body"]["status"] == "ok"
        names = served_certificate(machine.https_port).extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        assert HOSTNAME in names
        assert CONSOLE_NAME in names


def test_the_three_services_are_active_over_ssh_with_the_answers_key(booted):
    machine = booted["machine"]
    with serial_log_on_failure(machine):
        result = retry_ssh(machine, booted["key"], "systemctl is-active dangan-web dangan-agent dangan-worker")
        assert result.stdout.split() == ["active", "active", "active"], result.stdout + result.stderr
        slowest = ssh(machine, booted["key"], "systemd-analyze blame | head -8").stdout
        print(f"\nslowest units of the first boot:\n{slowest}")


def test_the_root_file_system_grew_over_the_whole_disk(booted):
    machine = booted["machine"]
    with serial_log_on_failure(machine):
        result = retry_ssh(machine, booted["key"], "findmnt --bytes --noheadings --output SIZE /")
        assert int(result.stdout) > (DISK_GIB - 1) * 1024**3, result.stdout + result.stderr


# The entry systemd-boot started, from the EFI variable it sets (UTF-16 after four bytes of attributes).
PRINT_SELECTED_ENTRY = ("python3 -c \"import pathlib; print(pathlib.Path('/sys/firmware/efi/efivars/"
                        "LoaderEntrySelected-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f').read_bytes()[4:]"
                        ".decode('utf-16-le').rstrip(chr(0)))\"")


def test_a_kernel_update_writes_its_boot_entry_to_the_esp(booted):
    """The box booted from an entry kernel-install made, and what apt runs after installing a kernel package
    (Debian's postinst hook: bootctl is-installed, then kernel-install) writes one there again once it is gone."""
    machine = booted["machine"]
    entry = "/efi/loader/entries/dangan-$(uname -r).conf"
    with serial_log_on_failure(machine):
        status = retry_ssh(machine, booted["key"], f"uname -r && {PRINT_SELECTED_ENTRY} && bootctl status --no-pager")
        release, selected, report = status.stdout.split("\n", 2)
        assert selected == f"dangan-{release}.conf", status.stdout + status.stderr  # what systemd-boot started
        assert re.search(rf"id: dangan-{re.escape(release)}\.conf", report), report  # and boots next
        update = ssh(machine, booted["key"], f"rm -r /efi/dangan/$(uname -r) {entry} && "
                     "/etc/kernel/postinst.d/zz-systemd-boot $(uname -r) /boot/vmlinuz-$(uname -r) && "
                     f"cmp /boot/vmlinuz-$(uname -r) /efi/dangan/$(uname -r)/linux && cat {entry}")
        assert update.returncode == 0, update.stdout + update.stderr
        assert "root=PARTUUID=" in update.stdout and "console=ttyS0" in update.stdout  # /etc/kernel/cmdline


def retry_ssh(machine: VirtualMachine, key: Path, command: str, attempts: int = 12) -> subprocess.CompletedProcess:
    """The command's result once ssh lets us in and it succeeds, or its last result after `attempts` tries.

    The console can answer a little before sshd or the agent and worker are up: a few tries, 10 s apart.
    """
    for _attempt in range(attempts):
        result = ssh(machine, key, command)
        if result.returncode == 0:
            return result
        time.sleep(10)
    return result
