"""A real twin for tests: sshd on 127.0.0.1 with its own config and host key, granting the box's key one forced
`borg serve --append-only` command, as `dangan twin accept` would.

    with running_twin(tmp_path) as twin:
        borg = twin.borg()      # a Borg for the twin's repository, with the box's key and the pinned host key
        twin.stop(); twin.start(); twin.new_host_key()
"""

import getpass
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from appliance.adapters.borg import DEFAULT_BORG_BINARY, Borg
from appliance.adapters.ssh_twin import authorized_keys_line, ensure_box_key, pin_host_key

SSHD = "/usr/sbin/sshd"  # sshd re-executes itself, so it must be started by its absolute path
PASSPHRASE = "correct horse battery staple 档案\n"


@dataclass
class Twin:
    directory: Path  # the twin's side: sshd config, host key, authorized_keys, repositories
    box: Path  # the box's side: its secrets
    port: int
    user: str
    borg_binary: str = DEFAULT_BORG_BINARY
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def repository_path(self) -> Path:
        return self.directory / "repositories" / "box1"

    @property
    def repository(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{self.repository_path}"

    @property
    def key(self) -> Path:
        return self.box / "secrets" / "twin_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.box / "secrets" / "twin_known_hosts"

    @property
    def passphrase_file(self) -> Path:
        return self.box / "secrets" / "borg-passphrase"

    @property
    def host_key(self) -> Path:
        return self.directory / "ssh_host_ed25519_key"

    def borg(self, passphrase_file: Path | None = None, **options) -> Borg:
        """A Borg for the twin's repository over ssh, as the box would make it."""
        options = {"ssh_key": self.key, "known_hosts": self.known_hosts, "timeout": 60.0,
                   "state_directory": self.box / "borg-state", **options}
        return Borg(self.repository, passphrase_file or self.passphrase_file, **options)

    def local_borg(self, **options) -> Borg:
        """A Borg run on the twin itself against the repository directory (no ssh, no append-only)."""
        return Borg(str(self.repository_path), self.passphrase_file, state_directory=self.directory / "borg-state",
                    **options)

    def transactions(self) -> list[int]:
        """The repository's committed transactions, oldest first (borg keeps this log in append-only mode)."""
        log = (self.repository_path / "transactions").read_text(encoding="ascii")
        return [int(line.split()[1].rstrip(",")) for line in log.splitlines() if line.startswith("transaction ")]

    def roll_back_to(self, transaction: int) -> None:
        """Undo every transaction after `transaction`, as borg documents for append-only repositories: delete the
        later segments and the index, hints and integrity files; borg rebuilds the index from the segments."""
        for segment in (self.repository_path / "data").glob("*/*"):
            if int(segment.name) > transaction:
                segment.unlink()
        for pattern in ("index.*", "hints.*", "integrity.*"):
            for stale in self.repository_path.glob(pattern):
                if int(stale.suffix[1:]) > transaction:
                    stale.unlink()

    def start(self) -> None:
        """Start sshd in the foreground as a child and wait until it accepts connections."""
        if self.process is not None:
            return
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
        log = open(self.directory / "sshd.log", "ab")  # noqa: SIM115 - sshd writes to it for its lifetime
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.directory / "sshd_config")],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        _wait_for_banner(self.port, self.process, self.directory / "sshd.log")

    def stop(self) -> None:
        """Stop sshd; the port then refuses connections."""
        if self.process is None:
            return
        self.process.terminate()
        self.process.wait(10)
        self.process = None

    def new_host_key(self) -> None:
        """Give the twin a new host key (a reinstall, or someone in the middle), on the same port."""
        self.stop()
        self.host_key.unlink()
        self.host_key.with_suffix(".pub").unlink()
        _make_host_key(self.host_key)
        self.start()


@contextmanager
def running_twin(base: Path, *, borg_binary: str = DEFAULT_BORG_BINARY) -> Iterator[Twin]:
    """A twin with sshd running, the box's key granted and the twin's host key pinned; stopped on exit."""
    twin = Twin(directory=base / "twin", box=base / "box", port=_free_port(), user=getpass.getuser(),
                borg_binary=borg_binary)
    _prepare(twin)
    try:
        twin.start()
        pin_host_key("127.0.0.1", twin.port, twin.known_hosts)
        yield twin
    finally:
        twin.stop()


def _prepare(twin: Twin) -> None:
    twin.directory.mkdir(parents=True)
    twin.repository_path.parent.mkdir(parents=True)
    _make_host_key(twin.host_key)
    public_key, _ = ensure_box_key(twin.key, "dangan@box1")
    line = authorized_keys_line(public_key, str(twin.repository_path), "dangan@box1", borg=twin.borg_binary)
    (twin.directory / "authorized_keys").write_text(line + "\n", encoding="utf-8")
    os.chmod(twin.directory / "authorized_keys", 0o600)
    twin.passphrase_file.write_text(PASSPHRASE, encoding="utf-8")
    os.chmod(twin.passphrase_file, 0o600)
    (twin.directory / "sshd_config").write_text(_sshd_config(twin), encoding="utf-8")


def _sshd_config(twin: Twin) -> str:
    return "\n".join([
        f"Port {twin.port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {twin.host_key}",
        f"PidFile {twin.directory / 'sshd.pid'}",
        f"AuthorizedKeysFile {twin.directory / 'authorized_keys'}",
        "PermitRootLogin forced-commands-only",  # the tests run as root; only the forced command may run
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",  # the temp directories are not root-owned 0755 all the way up
        "LogLevel VERBOSE",
        "",
    ])


def _make_host_key(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "twin", "-f", str(path)], check=True,
                   capture_output=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_banner(port: int, process: subprocess.Popen, log: Path, timeout: float = 10.0) -> None:
    """Wait until sshd answers with its SSH banner; fail with its log when it died or never answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited with {process.returncode}: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                if connection.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"sshd did not answer on port {port}: {log.read_text(errors='replace')}")
