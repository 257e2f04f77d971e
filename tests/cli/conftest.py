"""Run `dangan` in-process against a temp home and the test database."""

import sys

import pytest

from appliance.cli.main import main


@pytest.fixture
def dangan(monkeypatch, capsys, tmp_path, database_url):
    """Run `dangan ARGS...` in-process; returns (exit code, stdout, stderr)."""
    config_file = tmp_path / "dangan.toml"
    config_file.write_text("", encoding="utf-8")
    monkeypatch.setenv("DANGAN_CONFIG", str(config_file))
    monkeypatch.setenv("DANGAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DANGAN_DATABASE_URL", database_url)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["dangan", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return exit_info.value.code, captured.out, captured.err

    return run
