"""The operating-system steps: host name, time zone, per-box identity (machine-id, ssh host keys), IT's ssh keys,
and who owns the data home. Each step sees what is already so and leaves it, saying so."""

import os
import subprocess
from pathlib import Path

from appliance.domain.errors import DanganError
from provisioning.layout import Layout, read_text, write_file

ZONEINFO = Path("/usr/share/zoneinfo")
LOOPBACK_NAME_ADDRESS = "127.0.1.1"  # Debian's address for the host's own name
DEFAULT_HOSTS = "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
HOST_KEY_TYPES = ("rsa", "ecdsa", "ed25519")
SERVICE_USER = "dangan"


class ProvisioningError(DanganError):
    """A provisioning step could not be done; what was done before it stays, and a second run goes on from there."""

    code = "provisioning_failed"


def set_hostname(layout: Layout, hostname: str) -> str:
    """/etc/hostname, the 127.0.1.1 line of /etc/hosts and, on the box itself, the running host name."""
    changed = []
    if read_text(layout.etc("hostname")).strip() != hostname:
        write_file(layout.etc("hostname"), hostname + "\n")
        changed.append("/etc/hostname")
    hosts = read_text(layout.etc("hosts"))
    wanted = hosts_with_name(hosts, hostname)
    if wanted != hosts:
        write_file(layout.etc("hosts"), wanted)
        changed.append("/etc/hosts")
    if layout.live and _current_hostname() != hostname:
        run_command(["hostname", hostname])
        changed.append("the running host name")
    return f"set to {hostname} ({', '.join(changed)})" if changed else f"already {hostname}"


def hosts_with_name(hosts: str, hostname: str) -> str:
    """/etc/hosts with exactly one `127.0.1.1 NAME` line; other lines are kept as they are."""
    lines = (hosts or DEFAULT_HOSTS).splitlines()
    wanted = f"{LOOPBACK_NAME_ADDRESS}\t{hostname}"
    kept = [line for line in lines if line.split()[:1] != [LOOPBACK_NAME_ADDRESS]]
    current = [line for line in lines if line.split()[:1] == [LOOPBACK_NAME_ADDRESS]]
    if current == [wanted] or (len(current) == 1 and current[0].split()[1:] == [hostname]):
        return hosts
    return "\n".join([*kept, wanted]) + "\n"


def _current_hostname() -> str:
    return os.uname().nodename


def set_timezone(layout: Layout, timezone: str) -> str:
    """/etc/localtime as a link to the zone's file and /etc/timezone naming it."""
    target = ZONEINFO / timezone
    if layout.live and not target.is_file():
        raise ProvisioningError(f"{target} is missing: install the tzdata package")
    localtime = layout.etc("localtime")
    changed = []
    if not (localtime.is_symlink() and Path(os.readlink(localtime)) == target):
        localtime.parent.mkdir(parents=True, exist_ok=True)
        temporary = localtime.with_name(".localtime.tmp")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(target)
        os.replace(temporary, localtime)
        changed.append("/etc/localtime")
    if read_text(layout.etc("timezone")).strip() != timezone:
        write_file(layout.etc("timezone"), timezone + "\n")
        changed.append("/etc/timezone")
    return f"set to {timezone} ({', '.join(changed)})" if changed else f"already {timezone}"


def check_machine_id(layout: Layout) -> str:
    """On the box, make /etc/machine-id when the image left it empty; under another root only report on it."""
    current = read_text(layout.etc("machine-id")).strip()
    if current:
        suffix = "" if layout.live else " (an image must ship it empty, or every box made from it shares it)"
        return f"already set{suffix}"
    if not layout.live:
        return "empty: systemd makes this box's own at first boot"
    run_command(["systemd-machine-id-setup"])
    return "made (systemd-machine-id-setup)"


def make_ssh_host_keys(layout: Layout) -> str:
    """The box's own ssh host keys, made when missing (an image ships none, so no two boxes share them)."""
    directory = layout.etc("ssh")
    missing = [kind for kind in HOST_KEY_TYPES if not (directory / f"ssh_host_{kind}_key").is_file()]
    if not missing:
        return "already made"
    directory.mkdir(parents=True, exist_ok=True)
    run_command(["ssh-keygen", "-A", "-f", str(layout.root)])
    still = [kind for kind in HOST_KEY_TYPES if not (directory / f"ssh_host_{kind}_key").is_file()]
    if still:
        raise ProvisioningError(f"ssh-keygen -A made no {', '.join(still)} host key in {directory}")
    return f"made ({', '.join(missing)})"


def add_authorized_keys(layout: Layout, keys: tuple[str, ...]) -> str:
    """Add IT's public keys to root's authorized_keys (0600 in a 0700 .ssh); keys already there are kept."""
    if not keys:
        return "none given"
    directory = layout.root / "root" / ".ssh"
    path = directory / "authorized_keys"
    existing = read_text(path)
    present = {" ".join(line.split()[:2]) for line in existing.splitlines()}
    new = [key for key in keys if " ".join(key.split()[:2]) not in present]
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    if new:
        separator = "" if not existing or existing.endswith("\n") else "\n"
        write_file(path, existing + separator + "".join(key + "\n" for key in new), mode=0o600)
    os.chmod(path, 0o600)
    return f"{len(new)} added, {len(keys) - len(new)} already there" if new else "already there"


def give_home_to_service_user(layout: Layout) -> str:
    """Make the data home the service user's, when that user exists on the system being provisioned."""
    ids = service_user_ids(layout)
    if ids is None:
        return f"no {SERVICE_USER} user yet (systemd-sysusers makes it; StateDirectory= then owns the home)"
    if not layout.live and (os.geteuid() != 0 or layout.root.stat().st_uid != 0):
        return f"left as it is: {layout.root} is not a root-owned tree this process may change"
    changed = 0
    for path in [layout.home, *layout.home.rglob("*")]:
        status = path.lstat()
        if (status.st_uid, status.st_gid) != ids:
            os.chown(path, *ids, follow_symlinks=False)
            changed += 1
    return f"{layout.home} given to {SERVICE_USER} ({changed} entries)" if changed else f"already {SERVICE_USER}'s"


def service_user_ids(layout: Layout) -> tuple[int, int] | None:
    """The service user's (uid, gid) in the provisioned system's /etc/passwd; None when it has no such user."""
    for line in read_text(layout.etc("passwd")).splitlines():
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] == SERVICE_USER and fields[2].isdigit() and fields[3].isdigit():
            return int(fields[2]), int(fields[3])
    return None


def run_command(command: list[str]) -> str:
    """Run a system tool; raises ProvisioningError with its complaint when it fails or is missing."""
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                                   check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ProvisioningError(f"{command[0]} could not run: {error}") from None
    if completed.returncode != 0:
        raise ProvisioningError(f"{' '.join(command[:2])} failed: {completed.stderr.strip() or completed.returncode}")
    return completed.stdout
