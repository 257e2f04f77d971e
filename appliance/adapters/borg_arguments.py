"""The arguments and environment of borg commands, built as data: pure functions, tested without borg."""

import re
import shlex
from pathlib import Path

from appliance.domain.errors import InvalidInputError

SSH_CONNECT_TIMEOUT = 10
ARCHIVE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}")
# a variable a caller's environment may hold and that would change what borg does behind our back
INHERITED_BORG_VARIABLES = re.compile(r"BORG_.*|SSH_AUTH_SOCK")


def init_arguments(repository: str, encryption: str = "repokey-blake2") -> list[str]:
    return ["init", "--encryption", encryption, "--make-parent-dirs", repository]


def create_arguments(repository: str, archive: str, paths: list[str], *, progress: bool = False,
                     compression: str = "zstd,3") -> list[str]:
    """Arguments of `borg create`; paths are relative to the directory borg runs in.

    Raises InvalidInputError for a bad archive name or an absolute or escaping path.
    """
    for path in paths:
        if not path or Path(path).is_absolute() or ".." in Path(path).parts or path.startswith("-"):
            raise InvalidInputError(f"backup path {path!r} must be relative to the base directory")
    # no --one-file-system or --exclude-caches: an archive must never silently skip a mounted or tagged folder
    options = ["--json", "--compression", compression]
    return ["create", *options, *(["--progress"] if progress else []),
            archive_location(repository, archive), "--", *paths]


def list_arguments(repository: str) -> list[str]:
    return ["list", "--json", repository]


def extract_arguments(repository: str, archive: str, paths: list[str] | None = None) -> list[str]:
    return ["extract", archive_location(repository, archive), "--", *(paths or [])]


def prune_arguments(repository: str, keep_daily: int, keep_weekly: int, keep_monthly: int) -> list[str]:
    """Arguments of `borg prune`; raises InvalidInputError when a keep count is below 1 (prune everything: never)."""
    if min(keep_daily, keep_weekly, keep_monthly) < 1:
        raise InvalidInputError("every keep count must be 1 or more")
    return ["prune", "--keep-daily", str(keep_daily), "--keep-weekly", str(keep_weekly),
            "--keep-monthly", str(keep_monthly), repository]


def check_arguments(repository: str, verify_data: bool = False) -> list[str]:
    return ["check", *(["--verify-data"] if verify_data else []), repository]


def delete_arguments(repository: str, archive: str) -> list[str]:
    return ["delete", archive_location(repository, archive)]


def info_arguments(repository: str) -> list[str]:
    return ["info", "--json", repository]


def paper_key_arguments(repository: str) -> list[str]:
    return ["key", "export", "--paper", repository]


def qr_html_key_arguments(repository: str, target: Path) -> list[str]:
    """`borg key export --qr-html`: the key as an HTML page with a QR code, written to `target` (absolute)."""
    if not target.is_absolute():
        raise InvalidInputError(f"the key's HTML file {target} must be an absolute path")
    return ["key", "export", "--qr-html", repository, str(target)]


def archive_location(repository: str, archive: str) -> str:
    """`repository::archive`; raises InvalidInputError for a name borg would misread (a leading dash, a slash...)."""
    if not ARCHIVE_NAME.fullmatch(archive):
        raise InvalidInputError(f"archive name {archive!r}: letters, digits and ._:+- only, not starting with a sign")
    return f"{repository}::{archive}"


def ssh_command(ssh_key: Path | None, known_hosts: Path | None, log_file: Path | None = None) -> str:
    """The BORG_RSH value: only the box's key, only the pinned host key, never a prompt.

    With `log_file`, ssh writes its complaints there (-E): borg relays ssh's stderr only now and then, and a
    refused host key must be named every time.
    """
    words = ["ssh", *(["-E", str(log_file)] if log_file else [])]
    if ssh_key is not None:
        words += ["-i", str(ssh_key), "-o", "IdentitiesOnly=yes"]
    words += ["-o", "StrictHostKeyChecking=yes"]
    if known_hosts is not None:
        words += ["-o", f"UserKnownHostsFile={known_hosts}", "-o", "GlobalKnownHostsFile=/dev/null"]
    words += ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={SSH_CONNECT_TIMEOUT}"]
    return shlex.join(words)


def borg_environment(base: dict[str, str], state_directory: Path, rsh: str) -> dict[str, str]:
    """The environment borg runs in: the caller's, less any BORG_* of its own, plus ours (no secret in it)."""
    environment = {key: value for key, value in base.items() if not INHERITED_BORG_VARIABLES.fullmatch(key)}
    environment.update({
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC",  # --log-json needs UTF-8; UTC makes times plain
        "BORG_BASE_DIR": str(state_directory),
        "BORG_CONFIG_DIR": str(state_directory / "config"),
        "BORG_CACHE_DIR": str(state_directory / "cache"),
        "BORG_RSH": rsh,
        "BORG_EXIT_CODES": "legacy",
        "BORG_RELOCATED_REPO_ACCESS_IS_OK": "no",
        "BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "no",
        "BORG_CHECK_I_KNOW_WHAT_I_AM_DOING": "NO",
        "BORG_DELETE_I_KNOW_WHAT_I_AM_DOING": "NO",
        "BORG_DISPLAY_PASSPHRASE": "no",
    })
    return environment
