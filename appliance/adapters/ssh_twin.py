"""The twin over ssh: the box's key, the one authorized_keys line the twin grants it, the twin's pinned host key.

The twin lets the box run nothing but `borg serve --append-only` restricted to one repository, so a box taken over
by ransomware can add archives but never destroy old ones. The box trusts only the host key pinned at pairing time.
"""

import base64
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from appliance.domain.errors import ConflictError, DanganError, InvalidInputError

SSH_TIMEOUT = 10  # seconds for ssh-keyscan to reach the twin
SAFE_PATH = r"/[A-Za-z0-9._/+-]*"  # no spaces or quotes: the path sits unquoted inside the forced command
TWIN_LINE = re.compile(
    r'command="(?P<borg>/[A-Za-z0-9._/+-]*/borg|borg) serve --append-only --restrict-to-repository '
    rf'(?P<path>{SAFE_PATH})",restrict (?P<key>ssh-ed25519 [A-Za-z0-9+/]+={{0,2}})(?: (?P<comment>[A-Za-z0-9._@:+-]+))?'
)


class TwinError(DanganError):
    """An ssh tool failed: the twin did not answer, or a key could not be made or read."""

    code = "twin_unavailable"


@dataclass(frozen=True)
class RepositoryLocation:
    """Where a borg repository is: on this machine (`host` None) or on a twin over ssh."""

    path: str
    user: str | None = None
    host: str | None = None
    port: int = 22

    @property
    def remote(self) -> bool:
        return self.host is not None


@dataclass(frozen=True)
class TwinGrant:
    """What a valid authorized_keys line grants: one key, append-only access to one repository."""

    borg: str
    repository_path: Path
    public_key: str
    comment: str


def parse_repository(repository: str) -> RepositoryLocation:
    """Read `ssh://user@host:port/absolute/path` or an absolute local path.

    Raises InvalidInputError for anything else (scp-style `host:path`, a relative path, a missing user or path).
    """
    if repository.startswith("/"):
        if ".." in Path(repository).parts or "::" in repository:
            raise InvalidInputError(f"repository {repository!r}: a local path must be absolute, without '..'")
        return RepositoryLocation(path=repository)
    if not repository.startswith("ssh://"):
        raise InvalidInputError(f"repository {repository!r}: use ssh://user@host:port/absolute/path "
                                "or an absolute local path")
    parts = urlsplit(repository)
    try:
        port = parts.port or 22
    except ValueError:
        raise InvalidInputError(f"repository {repository!r}: the port is not a number from 1 to 65535") from None
    if not parts.username or not parts.hostname or parts.password or parts.query or parts.fragment:
        raise InvalidInputError(f"repository {repository!r}: ssh://user@host:port/absolute/path, with a user "
                                "and no password")
    if not re.fullmatch(SAFE_PATH, parts.path) or len(parts.path) < 2 or ".." in Path(parts.path).parts:
        raise InvalidInputError(f"repository {repository!r}: the path must be absolute, without spaces or '..'")
    return RepositoryLocation(path=parts.path, user=parts.username, host=parts.hostname, port=port)


def ensure_box_key(key_file: Path, comment: str) -> tuple[str, bool]:
    """The box's ed25519 public key, making the pair (private key mode 0600) when missing.

    Returns (public key line, created). Raises TwinError when ssh-keygen cannot write it.
    """
    created = not key_file.exists()
    if created:
        key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key_file)])
    os.chmod(key_file, 0o600)
    public = _run(["ssh-keygen", "-y", "-f", str(key_file)]).split()
    return f"{public[0]} {public[1]}", created


def authorized_keys_line(public_key: str, repository_path: str, comment: str, borg: str = "borg") -> str:
    """The line the twin adds for this box: its key may only run an append-only `borg serve` on one repository.

    Raises InvalidInputError when the result would not pass `parse_twin_line` (an odd path or comment).
    """
    line = (f'command="{borg} serve --append-only --restrict-to-repository {repository_path}",restrict '
            f"{public_key} {comment}")
    parse_twin_line(line)
    return line


def parse_twin_line(line: str, root: Path | None = None) -> TwinGrant:
    """Check a line is exactly the forced-command form (append-only, one repository, `restrict`, ed25519).

    With `root`, the repository must lie inside it. Raises InvalidInputError naming what is wrong.
    """
    match = TWIN_LINE.fullmatch(line.strip())
    if match is None:
        raise InvalidInputError(_why_refused(line))
    key_type, blob = match["key"].split()
    try:
        decoded = base64.b64decode(blob, validate=True)
    except ValueError:
        raise InvalidInputError("the line's key is not valid base64") from None
    if not decoded.startswith(b"\x00\x00\x00\x0bssh-ed25519"):
        raise InvalidInputError("the line's key is not an ed25519 key")
    path = Path(match["path"])
    if ".." in path.parts or len(path.parts) < 2:
        raise InvalidInputError(f"repository path {path} must be a directory path without '..'")
    if root is not None and (path == root or not path.is_relative_to(root)):
        raise InvalidInputError(f"repository path {path} is outside {root}, where this twin keeps repositories")
    return TwinGrant(borg=match["borg"], repository_path=path, public_key=match["key"], comment=match["comment"] or "")


def _why_refused(line: str) -> str:
    if "\n" in line.strip():
        return "give one line, not several"
    if "--append-only" not in line:
        return "the line lacks --append-only: the twin would let the box delete its backups"
    if "--restrict-to-repository" not in line:
        return "the line lacks --restrict-to-repository: the box could reach every repository"
    return ('the line is not exactly command="borg serve --append-only --restrict-to-repository /path",restrict '
            "ssh-ed25519 KEY comment (no other options, no spaces in the path)")


def grant_twin_access(grant: TwinGrant, line: str, authorized_keys: Path) -> bool:
    """Make the repository's directory and append `line` to `authorized_keys` unless it is there already.

    Returns whether the line was added. Raises ConflictError when the key is already granted with another line.
    """
    grant.repository_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    authorized_keys.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    existing = authorized_keys.read_text(encoding="utf-8").splitlines() if authorized_keys.exists() else []
    line = line.strip()
    if line in (entry.strip() for entry in existing):
        return False
    if any(grant.public_key in entry for entry in existing):
        raise ConflictError(f"{authorized_keys} already grants this key with another line; remove it first")
    descriptor = os.open(authorized_keys, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        if existing and authorized_keys.read_bytes()[-1:] != b"\n":
            handle.write("\n")
        handle.write(line + "\n")
    return True


def scan_host_key(host: str, port: int) -> str:
    """The twin's ed25519 host key as a known_hosts line. Raises TwinError when the twin does not answer."""
    output = _run(["ssh-keyscan", "-T", str(SSH_TIMEOUT), "-p", str(port), "-t", "ed25519", host])
    lines = [entry for entry in output.splitlines() if entry and not entry.startswith("#")]
    if not lines:
        raise TwinError(f"{host}:{port} gave no ed25519 host key: is sshd running there, on that port?")
    return lines[0]


def fingerprint(known_hosts_line: str) -> str:
    """The SHA256 fingerprint of a known_hosts line, as `ssh-keygen -lf` shows it, to compare out of band."""
    with tempfile.NamedTemporaryFile("w", suffix=".pub", encoding="ascii") as handle:
        handle.write(known_hosts_line + "\n")
        handle.flush()
        return host_key_fingerprint(Path(handle.name))


def host_key_fingerprint(public_key_file: Path) -> str:
    """The SHA256 fingerprint of a public key (or known_hosts) file. Raises TwinError when it holds no key."""
    return _run(["ssh-keygen", "-E", "sha256", "-lf", str(public_key_file)]).split()[1]


def pin_host_key(host: str, port: int, known_hosts: Path, *, replace: bool = False) -> tuple[str, bool]:
    """Pin the twin's host key in `known_hosts`; returns (fingerprint, changed).

    Raises ConflictError when a different key is pinned already and `replace` is not set: a changed host key is
    either a reinstalled twin or someone in the middle, and only a person comparing fingerprints can tell which.
    """
    scanned = scan_host_key(host, port)
    new_fingerprint = fingerprint(scanned)
    pinned = known_hosts.read_text(encoding="ascii").strip() if known_hosts.exists() else ""
    if pinned == scanned:
        return new_fingerprint, False
    if pinned and not replace:
        raise ConflictError(f"the host key of {host}:{port} changed: pinned {fingerprint(pinned.splitlines()[0])}, "
                            f"now {new_fingerprint}; if the twin was reinstalled, compare out of band and re-pin")
    known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = known_hosts.with_name(known_hosts.name + ".tmp")
    temporary.write_text(scanned + "\n", encoding="ascii")
    temporary.replace(known_hosts)
    return new_fingerprint, True


def _run(command: list[str]) -> str:
    """Run an ssh tool; raises TwinError with its complaint when it fails."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=SSH_TIMEOUT + 20,
                                   stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise TwinError(f"{command[0]} did not finish") from None
    if completed.returncode != 0:
        raise TwinError(f"{command[0]} failed: {completed.stderr.strip() or completed.returncode}")
    return completed.stdout
