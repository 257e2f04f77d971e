"""The borg repository, its paper key and the twin pairing, as `dangan backup init`, `backup key` and `twin pair`
do them; a twin that has not yet accepted this box's key leaves the step pending, to finish on a later run."""

from dataclasses import dataclass, field

from appliance.adapters.borg import Borg, BorgError
from appliance.adapters.ssh_twin import (
    RepositoryLocation,
    TwinError,
    authorized_keys_line,
    ensure_box_key,
    fingerprint,
    parse_repository,
    pin_host_key,
)
from appliance.backup_wiring import ensure_passphrase, require_borg
from appliance.config import Config
from appliance.domain.errors import ConflictError
from provisioning.answers import Backup
from provisioning.layout import Layout, write_file

PROBE_SECONDS = 60.0  # how long `borg info` may take to tell whether the repository exists


@dataclass
class BackupOutcome:
    lines: list[str] = field(default_factory=list)  # what was done, one line each
    pending: str = ""  # why the step could not finish now; empty when it did


def set_up_backup(config: Config, layout: Layout, backup: Backup, hostname: str) -> BackupOutcome:
    """Make the passphrase, pair with the twin, make the repository and write its paper key (each once).

    Raises ConflictError when the twin's pinned host key differs from the answer; BorgError for a local repository
    borg refuses.
    """
    outcome = BackupOutcome()
    passphrase = ensure_passphrase(config)
    outcome.lines.append(f"passphrase in {passphrase} (0600); keep a copy apart from the paper key")
    borg = require_borg(config)
    location = parse_repository(borg.repository)
    if location.remote and not _pair(borg, location, backup, hostname, outcome):
        return outcome
    if not _ensure_repository(borg, location, outcome):
        return outcome
    _write_paper_key(layout, borg, outcome)
    return outcome


def _pair(borg: Borg, location: RepositoryLocation, backup: Backup, hostname: str, outcome: BackupOutcome) -> bool:
    comment = f"dangan@{hostname}"
    public_key, created = ensure_box_key(borg.ssh_key, comment)
    outcome.lines.append(f"box key {borg.ssh_key} {'made' if created else 'kept'}")
    try:
        pinned, changed = _pin(borg, location, backup.twin_host_key)
    except TwinError as error:
        outcome.pending = f"the twin's host key could not be read ({error}); run again when it answers"
        return False
    outcome.lines.append(f"twin host key {location.host}:{location.port} {pinned} "
                         f"({'pinned now' if changed else 'already pinned'})")
    line = authorized_keys_line(public_key, location.path, comment)
    outcome.lines.append(f"on the twin, as {location.user}, run: dangan twin accept --line '{line}'")
    return True


def _pin(borg: Borg, location: RepositoryLocation, host_key: str) -> tuple[str, bool]:
    """Pin the answered host key, or without one the key the twin shows now; returns (fingerprint, changed)."""
    if not host_key:
        return pin_host_key(location.host, location.port, borg.known_hosts)
    host = location.host if location.port == 22 else f"[{location.host}]:{location.port}"
    line = f"{host} {' '.join(host_key.split()[:2])}"
    known = borg.known_hosts.read_text(encoding="ascii").strip() if borg.known_hosts.exists() else ""
    if known == line:
        return fingerprint(line), False
    if known:
        raise ConflictError(f"{borg.known_hosts} pins another host key for the twin ({fingerprint(known)}); if the "
                            f"twin was reinstalled, compare out of band, remove the file and run again")
    write_file(borg.known_hosts, line + "\n", mode=0o600)
    return fingerprint(line), True


def _ensure_repository(borg: Borg, location: RepositoryLocation, outcome: BackupOutcome) -> bool:
    try:
        borg.info(timeout=PROBE_SECONDS)
        outcome.lines.append(f"repository {borg.repository} already made")
        return True
    except BorgError:
        pass  # not there yet (or not reachable): making it tells which
    try:
        borg.init()
    except BorgError as error:
        if not location.remote:
            raise
        outcome.pending = (f"the repository could not be made yet ({error}); once the twin accepted this box's key, "
                           "run `dangan provision` again (or `dangan backup init`)")
        return False
    outcome.lines.append(f"repository {borg.repository} made (repokey-blake2)")
    return True


def _write_paper_key(layout: Layout, borg: Borg, outcome: BackupOutcome) -> None:
    path = layout.paper_key
    if path.is_file():
        outcome.lines.append(f"paper key already in {path}: print it and keep it offline, apart from the box")
        return
    write_file(path, borg.export_paper_key(), mode=0o600)
    outcome.lines.append(f"PRINT THE PAPER KEY in {path} now and keep it offline, away from the box: with the "
                         "passphrase it is what opens the backups when this box is lost")
