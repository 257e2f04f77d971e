"""Configuration: one TOML file plus DANGAN_* overrides, read once into frozen dataclasses.

The file is `$DANGAN_CONFIG`, else `/etc/dangan/dangan.toml` if it exists, else built-in defaults.
Every `DANGAN_<KEY>` or `DANGAN_<SECTION>_<KEY>` variable overrides one key. An unknown or ill-typed
key, in the file or the environment, stops start-up with a message that names it.
"""

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

from appliance.domain.errors import DanganError, InvalidInputError
from appliance.domain.workflow import chain_rules

DEFAULT_CONFIG_PATH = Path("/etc/dangan/dangan.toml")
DEFAULT_HOME = Path("/var/lib/dangan")
ENV_PREFIX = "DANGAN_"
ENV_CONFIG = "DANGAN_CONFIG"


class ConfigError(DanganError):
    code = "config"


@dataclass(frozen=True)
class DatabaseConfig:
    url: str = ""  # empty: SQLite at <home>/dangan.sqlite3
    echo: bool = False


@dataclass(frozen=True)
class WebConfig:
    bind: str = "127.0.0.1:8000"
    workers: int = 2
    threads: int = 16  # per worker (gthread)
    timeout: int = 60
    idle_minutes: int = 15  # a console session unused this long ends (等保2.0)
    session_hours: int = 12  # and any session ends this long after sign-in
    secure_cookies: bool = True  # cookies only over HTTPS; browsers make an exception for localhost
    login_attempts: int = 20  # per source address and window, for every account together
    login_window_minutes: int = 5
    timezone: str = "Asia/Shanghai"  # how the console shows times; everything is stored in UTC
    certificate: Path | None = None  # PEM certificate (chain): gunicorn serves HTTPS; empty: plain HTTP
    certificate_key: Path | None = None  # its PEM private key; empty: the key is in the certificate file

    def __post_init__(self) -> None:
        if self.certificate_key and not self.certificate:
            raise ConfigError("web.certificate_key needs web.certificate")


@dataclass(frozen=True)
class CatalogueConfig:
    default_access_label: str = "内部"
    page_size: int = 50


@dataclass(frozen=True)
class AgentConfig:
    name: str = ""  # empty: the host name
    appliance_url: str = "http://127.0.0.1:8000"
    token_file: Path | None = None  # empty: <home>/secrets/agent-token
    spool: Path | None = None  # empty: <home>/agent (scan spool and outbox)
    hot_folder: Path | None = None  # a share a network MFP scans to; empty: none
    virtual_scanner: bool = False  # no scanner attached: SANE's pnm backend fed with a sample stack
    sane_config_dir: Path | None = None  # a private SANE config (development, tests)
    operator: str = ""
    heartbeat_seconds: int = 2
    console_certificate: Path | None = None  # trust exactly this certificate, whatever it names (the box's console)


@dataclass(frozen=True)
class WorkerConfig:
    processes: int = 0  # OCR processes; 0: one per core
    ocr_languages: str = "chi_sim"  # tesseract models; chi_sim+eng measured worse on Chinese pages (see ocr.py)


@dataclass(frozen=True)
class AccountsConfig:
    """等保2.0 level 3 defaults; an administrator may make them stricter."""

    password_min_length: int = 8
    password_min_classes: int = 3  # of lower case, upper case, digit, other
    password_expiry_days: int = 90  # 0: never
    password_history: int = 5
    lockout_failures: int = 5
    lockout_minutes: int = 15


@dataclass(frozen=True)
class BackupConfig:
    """Borg backups to the twin (and optionally a local disk); no repository: no backups (the console says so)."""

    repository: str = ""  # ssh://dangan@twin.example:22/srv/borg/box1, or a local path; empty: no backups
    local_repository: str = ""  # a second repository on a local disk (USB), optional
    passphrase_file: Path | None = None  # empty: <home>/secrets/borg-passphrase
    ssh_key: Path | None = None  # empty: <home>/secrets/twin_ed25519
    known_hosts: Path | None = None  # empty: <home>/secrets/twin_known_hosts (the twin's pinned host key)
    nightly_at: str = "02:30"  # local time of the nightly backup
    every_documents: int = 200  # also back up after this many new documents; 0: nightly only
    keep_daily: int = 7
    keep_weekly: int = 4
    keep_monthly: int = 12
    check_weekday: str = "sun"  # borg check weekly on this day; with --verify-data on the first of the month

    def __post_init__(self) -> None:
        hour, _, minute = self.nightly_at.partition(":")
        checks = (
            (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60,
             "backup.nightly_at must be HH:MM"),
            (self.every_documents >= 0, "backup.every_documents must be 0 or more"),
            (min(self.keep_daily, self.keep_weekly, self.keep_monthly) >= 1, "backup.keep_* must be 1 or more"),
            (self.check_weekday in WEEKDAYS, f"backup.check_weekday must be one of {', '.join(WEEKDAYS)}"),
        )
        for passed, message in checks:
            if not passed:
                raise ConfigError(message)

    @property
    def enabled(self) -> bool:
        return bool(self.repository)


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WorkflowsConfig:
    """The box's own approval chains, `[[workflows.chains]]` tables: tiers, and optionally kind, fonds, category and
    access label the rule is for; the first rule that matches an item wins, the defaults come after them."""

    chains: list = field(default_factory=list)

    def __post_init__(self) -> None:
        _ = self.rules  # refuse a bad rule at start-up, naming it

    @property
    def rules(self) -> tuple:
        try:
            return chain_rules(self.chains)
        except InvalidInputError as error:
            raise ConfigError(f"workflows.chains: {error}") from None


@dataclass(frozen=True)
class MailConfig:
    """SMTP for notifications by mail; with no host, notifications stay in the console."""

    host: str = ""  # empty: no mail
    port: int = 587
    sender: str = ""  # the From address, e.g. dangan@example.cn
    starttls: bool = True
    username: str = ""  # empty: the server takes mail without a login
    password_file: Path | None = None  # a file holding the SMTP password; the password is never in the config
    timeout: int = 30  # seconds for each SMTP conversation
    console_url: str = ""  # e.g. https://dangan.example.cn: makes the links in mails absolute; empty: no links

    def __post_init__(self) -> None:
        if not self.host:
            return
        checks = (
            (1 <= self.port <= 65535, "mail.port must be 1 to 65535"),
            (1 <= self.timeout <= 600, "mail.timeout must be 1 to 600 seconds"),
            ("@" in self.sender and not any(character.isspace() for character in self.sender),
             "mail.sender must be a mail address when mail.host is set"),
            (not self.console_url or self.console_url.startswith(("https://", "http://")),
             "mail.console_url must start with https:// or http://"),
        )
        for passed, message in checks:
            if not passed:
                raise ConfigError(message)

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Config:
    home: Path = DEFAULT_HOME
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    web: WebConfig = field(default_factory=WebConfig)
    catalogue: CatalogueConfig = field(default_factory=CatalogueConfig)
    agent: AgentConfig = field(default_factory=AgentConfig)
    worker: WorkerConfig = field(default_factory=WorkerConfig)
    accounts: AccountsConfig = field(default_factory=AccountsConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    workflows: WorkflowsConfig = field(default_factory=WorkflowsConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.home / 'dangan.sqlite3'}"

    @property
    def blob_root(self) -> Path:
        return self.home / "blobs"

    @property
    def agent_token_file(self) -> Path:
        return self.agent.token_file or self.home / "secrets" / "agent-token"

    @property
    def agent_spool(self) -> Path:
        return self.agent.spool or self.home / "agent"

    @property
    def virtual_stack(self) -> Path:
        """The sheets the development box's virtual scanner feeds (dangan demo writes them)."""
        return self.agent_spool / "virtual-stack"


def load_config(environ: typing.Mapping[str, str] | None = None) -> Config:
    """Read the file and the environment once; raises ConfigError naming the bad key."""
    environ = os.environ if environ is None else environ
    raw = _read_file(_config_path(environ))
    _apply_environment(raw, environ)
    return _build(Config, raw, "")


def _config_path(environ) -> Path | None:
    if environ.get(ENV_CONFIG):
        path = Path(environ[ENV_CONFIG])
        if not path.is_file():
            raise ConfigError(f"{ENV_CONFIG} names {path}, which is not a readable file")
        return path
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def _read_file(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None


def _apply_environment(raw: dict, environ) -> None:
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_CONFIG:
            continue
        section, key = _locate_env_key(name)
        target = raw.setdefault(section, {}) if section else raw
        if not isinstance(target, dict):
            raise ConfigError(f"{section} in the config file must be a table")
        target[key] = _EnvText(text, name)


def _locate_env_key(name: str) -> tuple[str | None, str]:
    rest = name[len(ENV_PREFIX) :].lower()
    for config_field in dataclasses.fields(Config):
        if rest == config_field.name and not dataclasses.is_dataclass(config_field.type):
            return None, rest
        if dataclasses.is_dataclass(config_field.type) and rest.startswith(config_field.name + "_"):
            key = rest[len(config_field.name) + 1 :]
            if key in {f.name for f in dataclasses.fields(config_field.type)}:
                return config_field.name, key
    raise ConfigError(f"unknown setting {name} in the environment")


class _EnvText(str):
    """A value that came from the environment as text; converted to the key's type when built."""

    def __new__(cls, text: str, variable: str):
        value = super().__new__(cls, text)
        value.variable = variable
        return value


def _build(cls, raw, prefix: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'the config'} must be a table")
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"unknown setting {prefix}{key}")
    values = {}
    for name, config_field in known.items():
        if name not in raw:
            continue
        if dataclasses.is_dataclass(config_field.type):
            values[name] = _build(config_field.type, raw[name], f"{prefix}{name}.")
        else:
            values[name] = _convert(raw[name], config_field.type, f"{prefix}{name}")
    return cls(**values)


def _convert(value, wanted, key: str):
    wanted = _plain_type(wanted)
    where = f"{value.variable} ({key})" if isinstance(value, _EnvText) else key
    if isinstance(value, _EnvText):
        value = _from_text(str(value), wanted, where)
    if wanted is Path and isinstance(value, str) and value:
        return Path(value)
    if wanted is int and isinstance(value, bool):
        raise ConfigError(f"{where} must be a whole number, not {value!r}")
    if not isinstance(value, wanted):
        raise ConfigError(f"{where} must be {_type_word(wanted)}, not {value!r}")
    return value


def _from_text(text: str, wanted, where: str):
    if wanted is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(f"{where} must be a whole number, not {text!r}") from None
    if wanted is bool:
        lowered = text.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{where} must be true or false, not {text!r}")
    return text


def _plain_type(annotation):
    if isinstance(annotation, types.UnionType):
        return next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    return annotation


def _type_word(wanted) -> str:
    return {int: "a whole number", bool: "true or false", str: "text", Path: "a path"}.get(wanted, str(wanted))
