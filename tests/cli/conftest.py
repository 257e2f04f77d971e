"""Run `dangan` in-process against a temp home and the test database."""


import pytest

from tests.support.cli import dangan_runner


@pytest.fixture
def dangan(monkeypatch, capsys, tmp_path, database_url):
    """Run `dangan ARGS...` in-process; returns (exit code, stdout, stderr)."""
    config_file = tmp_path / "dangan.toml"
    config_file.write_text("", encoding="utf-8")
    monkeypatch.setenv("DANGAN_CONFIG", str(config_file))
    monkeypatch.setenv("DANGAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DANGAN_DATABASE_URL", database_url)
    return dangan_runner(monkeypatch, capsys)
