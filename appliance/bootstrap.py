"""The one place that builds the engine, the unit-of-work factory and the blob store from the config."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from appliance.adapters.blobstore import BlobStore
from appliance.adapters.db.engine import build_engine
from appliance.adapters.db.migrate import current_revision, head_revision
from appliance.adapters.db.unit_of_work import UnitOfWorkFactory
from appliance.adapters.images import image_problem
from appliance.adapters.passwords import Argon2Passwords
from appliance.adapters.second_factor import SecretSealer, TotpCodes
from appliance.adapters.secrets import ensure_token_file, read_token_file
from appliance.adapters.watermark import WatermarkImaging
from appliance.config import Config, ConfigError, load_config
from appliance.domain.accounts import LockoutPolicy, PasswordPolicy
from appliance.domain.errors import DanganError
from appliance.domain.sessions import SessionPolicy
from appliance.domain.workflow import DEFAULT_CHAIN_POLICY, ChainPolicy
from appliance.services.accounts import PasswordHashing
from appliance.services.second_factor import SealerPort, TotpPort
from appliance.services.sessions import ThrottlePolicy
from appliance.services.viewing import PageImaging
from appliance.upgrade_wiring import upgrade_database


class SchemaOutOfDateError(DanganError):
    code = "schema_out_of_date"


@dataclass
class Appliance:
    config: Config
    engine: Engine
    uow_factory: UnitOfWorkFactory
    blob_store: BlobStore
    image_problem: Callable[[Path, str], str | None] = image_problem  # checks a delivered page image
    passwords: PasswordHashing = Argon2Passwords()  # argon2id, the port the account services take
    password_policy: PasswordPolicy = PasswordPolicy()
    lockout_policy: LockoutPolicy = LockoutPolicy()
    totp: TotpPort = TotpCodes()
    sealer: SealerPort | None = None  # seals TOTP secrets; built from the config's secrets directory
    session_policy: SessionPolicy = SessionPolicy()
    throttle_policy: ThrottlePolicy = ThrottlePolicy()
    imaging: PageImaging = WatermarkImaging()  # watermarked page views and PDFs
    chain_policy: ChainPolicy = DEFAULT_CHAIN_POLICY  # approval chains: the config's rules before the defaults

    def __post_init__(self) -> None:
        if self.sealer is None:
            self.sealer = SecretSealer(secrets_directory(self.config) / "totp.key")

    def close(self) -> None:
        self.engine.dispose()


def build_appliance(config: Config | None = None, migrate: bool = True) -> Appliance:
    """Wire the appliance; with `migrate`, bring the database schema to the newest revision first (an existing
    database is snapshotted first and put back if a migration fails: UpgradeFailedError)."""
    config = config or load_config()
    config.home.mkdir(parents=True, exist_ok=True)
    engine = build_engine(config.database_url, echo=config.database.echo)
    if migrate:
        upgrade_database(config, engine)
    password_policy, lockout_policy = account_policies(config)
    web = config.web
    return Appliance(config, engine, UnitOfWorkFactory(engine, config.mail.enabled), BlobStore(config.blob_root),
                     password_policy=password_policy, lockout_policy=lockout_policy,
                     session_policy=SessionPolicy(web.idle_minutes, web.session_hours),
                     throttle_policy=ThrottlePolicy(web.login_attempts, web.login_window_minutes),
                     chain_policy=DEFAULT_CHAIN_POLICY.with_rules(config.workflows.rules))


MINIMUM_PASSWORD_LENGTH = 8  # 等保2.0 level 3: a weaker policy is not offered


def account_policies(config: Config) -> tuple[PasswordPolicy, LockoutPolicy]:
    """The password and lockout policies of the config; raises ConfigError naming the key out of range."""
    accounts = config.accounts
    checks = (
        (accounts.password_min_length >= MINIMUM_PASSWORD_LENGTH, "accounts.password_min_length must be at least 8"),
        (1 <= accounts.password_min_classes <= 4, "accounts.password_min_classes must be 1 to 4"),
        (accounts.password_expiry_days >= 0, "accounts.password_expiry_days must be 0 (never) or more"),
        (accounts.password_history >= 1, "accounts.password_history must be at least 1"),
        (accounts.lockout_failures >= 1, "accounts.lockout_failures must be at least 1"),
        (accounts.lockout_minutes >= 1, "accounts.lockout_minutes must be at least 1"),
        (1 <= config.web.idle_minutes <= 30, "web.idle_minutes must be 1 to 30"),
        (config.web.session_hours >= 1, "web.session_hours must be at least 1"),
        (config.web.login_attempts >= 1, "web.login_attempts must be at least 1"),
        (config.web.login_window_minutes >= 1, "web.login_window_minutes must be at least 1"),
    )
    for passed, message in checks:
        if not passed:
            raise ConfigError(message)
    return (PasswordPolicy(accounts.password_min_length, accounts.password_min_classes,
                           accounts.password_expiry_days, accounts.password_history),
            LockoutPolicy(accounts.lockout_failures, accounts.lockout_minutes))


def check_schema(appliance: Appliance) -> None:
    """Raise SchemaOutOfDateError if the database is not at the newest revision (run `dangan init`)."""
    current, head = current_revision(appliance.engine), head_revision()
    if current != head:
        raise SchemaOutOfDateError(f"database schema is at {current or 'nothing'}, expected {head}: run `dangan init`")


def secrets_directory(config: Config):
    return config.home / "secrets"


def prepare_secrets(config: Config) -> None:
    """Make the secrets a new box needs (agents' token, the web's signing key); existing ones are kept."""
    ensure_token_file(config.agent_token_file)
    web_secret_key(config)


def web_secret_key(config: Config) -> str:
    """The key that signs the console's cookies, made on first use and kept across restarts and workers."""
    return ensure_token_file(secrets_directory(config) / "web-secret-key")


def agent_token(config: Config) -> str | None:
    """The token scanner agents present, or None before `dangan init` made it."""
    path = config.agent_token_file
    return read_token_file(path) if path.is_file() else None
