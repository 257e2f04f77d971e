"""The answers file: what a box needs to know on first start, read from TOML and checked whole before any change.

Every check names the key it refused, so a person editing the file on a USB stick can fix it. A file the box
reads (the TLS certificate and key) must be a plain file name beside the answers file: the stick decides what the
box imports, never a path elsewhere on the box.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from appliance.domain.accounts import PasswordPolicy, Role
from appliance.domain.errors import InvalidInputError
from provisioning import questions
from provisioning.certificates import TlsPair, load_pair

KNOWN_KEYS = {"hostname", "timezone", "console_names", "administrators", "tls", "backup", "ssh"}
ADMINISTRATOR_KEYS = {"username", "name", "role", "password"}


class AnswersError(InvalidInputError):
    """The answers file is unreadable or one of its answers is refused; the message names the key."""

    code = "invalid_answers"


@dataclass(frozen=True)
class Administrator:
    username: str
    name: str
    role: Role
    password: str = field(default="", repr=False)  # empty: generated and shown once on the terminal


@dataclass(frozen=True)
class Backup:
    repository: str
    twin_host_key: str = ""  # empty: pinned from what the twin presents now (compare the fingerprint)


@dataclass(frozen=True)
class Answers:
    hostname: str
    timezone: str
    administrators: tuple[Administrator, ...]
    console_names: tuple[str, ...] = ()
    tls: TlsPair | None = None  # None: a self-signed certificate for the box's names
    backup: Backup | None = None
    authorized_keys: tuple[str, ...] = ()


def read_answers(path: Path, policy: PasswordPolicy = PasswordPolicy()) -> Answers:
    """Read and check an answers file; raises AnswersError naming the first refused key."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AnswersError(f"{path}: cannot be read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise AnswersError(f"{path}: not valid TOML: {error}") from None
    return answers_from(raw, path.resolve().parent, policy)


def answers_from(raw: dict, directory: Path, policy: PasswordPolicy = PasswordPolicy()) -> Answers:
    """Check the answers as parsed TOML; `directory` holds the files they name. Raises AnswersError."""
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise AnswersError(f"unknown key {unknown[0]!r} in the answers file (known: {', '.join(sorted(KNOWN_KEYS))})")
    hostname = _checked("hostname", questions.check_hostname, _text(raw, "hostname", required=True))
    return Answers(
        hostname=hostname,
        timezone=_checked("timezone", questions.check_timezone, _text(raw, "timezone", required=True)),
        administrators=_administrators(raw.get("administrators"), policy),
        console_names=tuple(_checked("console_names", questions.check_console_name, name)
                            for name in _text_list(raw, "console_names")),
        tls=_tls(raw.get("tls"), directory),
        backup=_backup(raw.get("backup"), directory),
        authorized_keys=_authorized_keys(raw.get("ssh")),
    )


def _checked(key: str, check, value):
    try:
        return check(value)
    except InvalidInputError as error:
        raise AnswersError(f"{key}: {error}") from None


def _text(table: dict, key: str, required: bool = False, where: str = "") -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise AnswersError(f"{where}{key} must be text in quotes, not {value!r}")
    if required and not value.strip():
        raise AnswersError(f"{where}{key} is missing")
    return value.strip()


def _text_list(table: dict, key: str, where: str = "") -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise AnswersError(f"{where}{key} must be a list of texts in quotes")
    return [entry.strip() for entry in value]


def _table(value, key: str, known: set[str]) -> dict | None:
    """The table `[key]`, None when absent; AnswersError for a non-table or a key not in `known`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise AnswersError(f"{key} must be a table ([{key}])")
    unknown = sorted(set(value) - known)
    if unknown:
        raise AnswersError(f"unknown key {key}.{unknown[0]}")
    return value


def _administrators(value, policy: PasswordPolicy) -> tuple[Administrator, ...]:
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise AnswersError("administrators: give three [[administrators]] tables (system_admin, security_admin, "
                           "audit_admin)")
    chosen = tuple(_administrator(entry, number, policy) for number, entry in enumerate(value, start=1))
    try:
        questions.check_three_administrators([(person.username, person.name, person.role) for person in chosen])
    except InvalidInputError as error:
        raise AnswersError(f"administrators: {error}") from None
    return chosen


def _administrator(entry: dict, number: int, policy: PasswordPolicy) -> Administrator:
    where = f"administrators[{number}]."
    unknown = sorted(set(entry) - ADMINISTRATOR_KEYS)
    if unknown:
        raise AnswersError(f"unknown key {where}{unknown[0]}")
    username = _checked(f"{where}username", questions.check_admin_username,
                        _text(entry, "username", required=True, where=where))
    name = _checked(f"{where}name", questions.check_person_name, _text(entry, "name", required=True, where=where))
    role = _checked(f"{where}role", questions.check_admin_role, _text(entry, "role", required=True, where=where))
    password = entry.get("password", "")
    if not isinstance(password, str):
        raise AnswersError(f"{where}password must be text in quotes")  # the value itself is never repeated
    if password:
        _checked(f"{where}password", lambda text: questions.check_given_password(text, policy, username), password)
    return Administrator(username, name, role, password)


def _tls(value, directory: Path) -> TlsPair | None:
    table = _table(value, "tls", {"certificate", "key"})
    if table is None:
        return None
    certificate = _beside(directory, "tls.certificate", _text(table, "certificate", required=True, where="tls."))
    key = _beside(directory, "tls.key", _text(table, "key", required=True, where="tls."))
    return _checked("tls", load_pair, (certificate, key))


def _beside(directory: Path, key: str, name: str) -> Path:
    """A file named in the answers: a plain name in the answers file's directory, nothing else."""
    if Path(name).name != name or name in {".", ".."} or "\\" in name:
        raise AnswersError(f"{key} {name!r} must be a file name beside the answers file, not a path")
    path = directory / name
    if not path.is_file():
        raise AnswersError(f"{key}: {name} is not a file beside the answers file ({directory})")
    return path


def _backup(value, directory: Path) -> Backup | None:
    table = _table(value, "backup", {"repository", "twin_host_key"})
    if table is None:
        return None
    repository = _text(table, "repository", required=True, where="backup.")
    if not repository.startswith(("/", "ssh://")):
        repository = str(directory / repository)
    repository = _checked("backup.repository", questions.check_repository, repository)
    host_key = _text(table, "twin_host_key", where="backup.")
    if host_key:
        host_key = _checked("backup.twin_host_key", questions.check_public_key, host_key)
        if not repository.startswith("ssh://"):
            raise AnswersError("backup.twin_host_key is only for a twin reached over ssh:// ")
    return Backup(repository, host_key)


def _authorized_keys(value) -> tuple[str, ...]:
    table = _table(value, "ssh", {"authorized_keys"})
    if table is None:
        return ()
    keys = _text_list(table, "authorized_keys", where="ssh.")
    return tuple(_checked(f"ssh.authorized_keys[{number}]", questions.check_public_key, key)
                 for number, key in enumerate(keys, start=1))

