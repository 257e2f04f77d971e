"""Shared fixtures. Every database test runs twice: on SQLite and on a throw-away PostgreSQL cluster."""

import itertools
import os
from pathlib import Path

import pytest

from appliance.adapters.db.engine import build_engine
from appliance.adapters.db.migrate import upgrade_to_head
from appliance.bootstrap import Appliance, build_appliance
from appliance.config import Config, DatabaseConfig
from appliance.domain.actors import Actor
from appliance.services.fonds import add_department, add_fonds
from tests.support.postgres import start_postgres

TEMPLATE = "dangan_template"
_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    """The cluster `make test` starts; DANGAN_TEST_POSTGRES_URL is not supported on purpose: one path."""
    server = start_postgres()
    server.execute(f"CREATE DATABASE {TEMPLATE}")
    engine = build_engine(server.url(TEMPLATE))
    upgrade_to_head(engine)
    engine.dispose()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"
    server = request.getfixturevalue("postgres_server")
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return server.url(name)


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Config:
    return Config(home=tmp_path / "home", database=DatabaseConfig(url=database_url))


@pytest.fixture
def appliance(config: Config) -> Appliance:
    built = build_appliance(config)
    yield built
    built.close()


@pytest.fixture
def uow_factory(appliance: Appliance):
    return appliance.uow_factory


@pytest.fixture
def actor() -> Actor:
    return Actor("archivist-wang", "192.0.2.10")


@pytest.fixture
def fonds(appliance, actor):
    """Fonds Z109 classified year-department-retention, with departments BGS and RSC."""
    add_fonds(appliance.uow_factory, actor, "Z109", "某某市人民政府", "year-department-retention")
    add_department(appliance.uow_factory, actor, "Z109", "BGS", "办公室")
    add_department(appliance.uow_factory, actor, "Z109", "RSC", "人事处")
    return "Z109"
