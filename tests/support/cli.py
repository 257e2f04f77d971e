"""`dangan ARGS...` run in-process, as the tests of the command line use it."""

import sys
from collections.abc import Callable

import pytest

from appliance.cli.main import main


def dangan_runner(monkeypatch, capsys) -> Callable[..., tuple[int, str, str]]:
    """A function that runs `dangan ARGS...` in-process and returns (exit code, stdout, stderr); it fails the test
    on any traceback."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["dangan", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err
        return exit_info.value.code, captured.out, captured.err

    return run
