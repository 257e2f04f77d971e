"""The one place that builds the engine, the unit-of-work factory and the blob store from the config."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from appliance.adapters.blobstore import BlobStore
from appliance.adapters.db.engine import build_engine
from appliance.adapters.db.migrate import current_revision, head_revision, upgrade_to_head
from appliance.adapters.db.unit_of_work import UnitOfWorkFactory
from appliance.adapters.images import image_problem
from appliance.adapters.passwords import Argon2Passwords
from appliance.adapters.secrets import ensure_token_file, read_token_file
from appliance.config import Config, load_config
from appliance.domain.errors import DanganError
from appliance.services.accounts import PasswordHashing


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

    def close(self) -> None:
        self.engine.dispose()


def build_appliance(config: Config | None = None, migrate: bool = True) -> Appliance:
    """Wire the appliance; with `migrate`, bring the database schema to the newest revision first."""
    config = config or load_config()
    config.home.mkdir(parents=True, exist_ok=True)
    engine = build_engine(config.database_url, echo=config.database.echo)
    if migrate:
        upgrade_to_head(engine)
    return Appliance(config, engine, UnitOfWorkFactory(engine), BlobStore(config.blob_root))


def check_schema(appliance: Appliance) -> None:
    """Raise SchemaOutOfDateError if the database is not at the newest revision (run `dangan init`)."""
    current, head = current_revision(appliance.engine), head_revision()
    if current != head:
        raise SchemaOutOfDateError(f"database schema is at {current or 'nothing'}, expected {head}: run `dangan init`")


def prepare_secrets(config: Config) -> None:
    """Make the secrets a new box needs (the scanner agents' token); existing ones are kept."""
    ensure_token_file(config.agent_token_file)


def agent_token(config: Config) -> str | None:
    """The token scanner agents present, or None before `dangan init` made it."""
    path = config.agent_token_file
    return read_token_file(path) if path.is_file() else None
