"""Provisioning against a temp root with an answers file: `dangan provision` in-process, as the box runs it."""

from pathlib import Path

import pytest

from appliance.bootstrap import Appliance, build_appliance
from provisioning.layout import Layout
from provisioning.settings import box_config
from tests.support.cli import dangan_runner

GIVEN_PASSWORD = "Kx7-given-Pw"  # a one-time password the answers give (the others are generated)

ANSWERS = f"""
hostname = "dangan-07"
timezone = "Asia/Shanghai"
console_names = ["archive.example.cn", "192.0.2.10"]

[[administrators]]
username = "sysadmin"
name = "张三"
role = "system_admin"
password = "{GIVEN_PASSWORD}"

[[administrators]]
username = "secadmin"
name = "李四"
role = "security_admin"

[[administrators]]
username = "auditadmin"
name = "王五"
role = "audit_admin"

[ssh]
authorized_keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPCPhOEhXs7a/1HsmW2JbZfTVJFfsvnmSejmX0TwUwaZ it@example"]
"""


@pytest.fixture
def dangan(monkeypatch, capsys):
    """Run `dangan ARGS...` in-process; returns (exit code, stdout, stderr)."""
    return dangan_runner(monkeypatch, capsys)


def write_answers(directory: Path, text: str = ANSWERS, name: str = "answers.toml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def files_under(root: Path) -> dict[str, int]:
    """Every file and link under root with its modification time (directories change as SQLite's journal comes and
    goes, so only their entries count)."""
    return {str(path.relative_to(root)): 0 if path.is_dir() and not path.is_symlink() else path.lstat().st_mtime_ns
            for path in sorted(root.rglob("*"))}


def open_box(root: Path) -> Appliance:
    """The provisioned box's appliance (its SQLite database under root); close it after use."""
    return build_appliance(box_config(Layout(root)), migrate=False)
