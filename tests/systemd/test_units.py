"""The appliance's systemd units: they verify cleanly, they are as sandboxed as the issue asks, and they fit together.

systemd is not PID 1 here: `systemd-analyze verify` and `security --offline` read the units from a throw-away root.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from appliance.cli.main import cli
from appliance.config import load_config
from tests.systemd.units import SYSTEMD, UNIT_DIRECTORY, lay_out_root, unit_names, unit_settings, words

SERVICES = ("dangan-web.service", "dangan-agent.service", "dangan-worker.service")
EXPOSURE_THRESHOLDS = {"dangan-web.service": 2.5, "dangan-worker.service": 2.5, "dangan-agent.service": 5.0,
                       "dangan-migrate.service": 2.5}
FINDING = re.compile(r"unknown key|error|fail|warn|not found|ignoring", re.IGNORECASE)


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return lay_out_root(tmp_path_factory.mktemp("root"))


def verify(root: Path, unit: str) -> list[str]:
    """What `systemd-analyze verify` says about a unit (nothing, for a good one)."""
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", f"--root={root}", unit],
                            capture_output=True, text=True, timeout=60, cwd=root)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 0 or lines, "verify failed without saying why"
    return lines if result.returncode == 0 else [*lines, f"exit status {result.returncode}"]


def exposure(root: Path, unit: str, threshold: float) -> tuple[float, int]:
    """The overall exposure `systemd-analyze security --offline` gives a unit, and its exit status."""
    # --threshold counts tenths: 25 means an exposure of 2.5
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={root}",
                             f"--threshold={round(threshold * 10)}", "--no-pager", unit],
                            capture_output=True, text=True, timeout=60, cwd=root)
    found = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+(?:\.\d+)?)", result.stdout)
    assert found, result.stdout + result.stderr
    return float(found.group(1)), result.returncode


def test_the_units_the_issue_asks_for_are_all_there():
    assert unit_names() == sorted(["dangan.target", "dangan-web.socket", *SERVICES, "dangan-migrate.service",
                                   "dangan-provision.service"])


@pytest.mark.parametrize("unit", unit_names())
def test_every_unit_verifies_without_a_finding(root, unit):
    assert verify(root, unit) == []


def test_an_unknown_key_is_a_finding(root):
    broken = root / UNIT_DIRECTORY / "dangan-broken.service"
    broken.write_text((SYSTEMD / "dangan-worker.service").read_text() + "[Service]\nProtectEverything=yes\n")
    try:
        findings = verify(root, "dangan-broken.service")
    finally:
        broken.unlink()
    assert any("Unknown key" in line for line in findings) and all(FINDING.search(line) for line in findings)


@pytest.mark.parametrize(("unit", "threshold"), EXPOSURE_THRESHOLDS.items())
def test_exposure_is_within_the_issue_threshold(root, unit, threshold, record_property):
    score, status = exposure(root, unit, threshold)
    record_property("exposure", score)
    print(f"{unit}: exposure {score}")
    assert score <= threshold and status == 0


def test_the_threshold_is_enforced(root):
    score, status = exposure(root, "dangan-agent.service", 0.5)
    assert score > 0.5 and status != 0


def test_the_target_starts_the_three_services_and_the_console_port():
    target = unit_settings("dangan.target")
    assert set(words(target, "Unit", "Wants")) >= {*SERVICES, "dangan-web.socket"}
    assert words(target, "Install", "WantedBy") == ["multi-user.target"]


@pytest.mark.parametrize("unit", SERVICES)
def test_a_service_waits_for_the_migration_and_survives_a_crash(unit):
    settings = unit_settings(unit)
    assert "dangan-migrate.service" in words(settings, "Unit", "Requires")
    assert "dangan-migrate.service" in words(settings, "Unit", "After")
    assert settings[("Service", "Restart")] == ["on-failure"]
    assert settings[("Unit", "StartLimitBurst")] and settings[("Service", "RestartSec")]
    assert "dangan.target" in words(settings, "Unit", "PartOf")


@pytest.mark.parametrize("unit", [*SERVICES, "dangan-migrate.service"])
def test_a_service_runs_as_the_service_user_in_a_sandbox(unit):
    settings = unit_settings(unit)
    expected = {"User": ["dangan"], "Group": ["dangan"], "StateDirectory": ["dangan"], "ProtectSystem": ["strict"],
                "ProtectHome": ["yes"], "PrivateTmp": ["yes"], "NoNewPrivileges": ["yes"],
                "CapabilityBoundingSet": [""], "MemoryDenyWriteExecute": ["yes"]}
    assert {key: settings[("Service", key)] for key in expected} == expected
    assert settings[("Service", "SystemCallFilter")][:2] == ["@system-service", "~@privileged @resources"]


def test_gunicorn_may_set_its_own_ids_and_listens_on_the_socket():
    web = unit_settings("dangan-web.service")
    assert words(web, "Service", "SystemCallFilter")[-3:] == ["setuid", "setgid", "setgroups"]
    assert "dangan-web.socket" in words(web, "Unit", "Requires") and web[("Service", "Type")] == ["notify"]
    assert not web.get(("Service", "AmbientCapabilities"), [""])[0]
    socket = unit_settings("dangan-web.socket")
    assert socket[("Socket", "ListenStream")] == ["443"]


def test_the_agent_keeps_usb_scanners_and_nothing_else():
    agent = unit_settings("dangan-agent.service")
    assert agent[("Service", "DevicePolicy")] == ["closed"]
    assert agent[("Service", "DeviceAllow")] == ["char-usb_device rw"]
    assert agent[("Service", "SupplementaryGroups")] == ["scanner"]
    assert ("Service", "PrivateDevices") not in agent


def test_provisioning_runs_once_as_root_before_everything_on_tty1():
    provision = unit_settings("dangan-provision.service")
    assert provision[("Unit", "ConditionPathExists")] == ["!/var/lib/dangan/.provisioned"]
    assert set(words(provision, "Unit", "Before")) >= {*SERVICES, "dangan-migrate.service"}
    assert ("Service", "User") not in provision
    assert provision[("Service", "StandardInput")] == ["tty"] and provision[("Service", "TTYPath")] == ["/dev/tty1"]
    assert provision[("Service", "ExecStart")] == ["/opt/dangan/venv/bin/dangan provision --first-boot"]


def test_the_migration_is_a_oneshot_of_the_service_user():
    migrate = unit_settings("dangan-migrate.service")
    assert migrate[("Service", "Type")] == ["oneshot"] and migrate[("Service", "RemainAfterExit")] == ["yes"]
    assert migrate[("Service", "ExecStart")] == ["/opt/dangan/venv/bin/dangan migrate"]


@pytest.mark.parametrize("unit", [*SERVICES, "dangan-migrate.service", "dangan-provision.service"])
def test_every_command_a_unit_starts_is_a_dangan_command(unit):
    program, command, *_ = unit_settings(unit)[("Service", "ExecStart")][0].split()
    assert program == "/opt/dangan/venv/bin/dangan" and command in cli.commands


def test_the_web_certificate_reaches_the_config_through_credentials(tmp_path):
    web = unit_settings("dangan-web.service")
    credentials = {value.split(":", 1)[0]: value.split(":", 1)[1] for value in web[("Service", "LoadCredential")]}
    assert credentials == {"tls-certificate": "/etc/dangan/tls/console.crt", "tls-key": "/etc/dangan/tls/console.key"}
    environ = dict(assignment.split("=", 1) for assignment in words(web, "Service", "Environment"))
    environ = {name: value.replace("%d", str(tmp_path)) for name, value in environ.items() if name.startswith("DANGAN")}
    (tmp_path / "dangan.toml").write_text("", encoding="utf-8")
    config = load_config({**environ, "DANGAN_CONFIG": str(tmp_path / "dangan.toml")})
    assert (config.web.certificate, config.web.certificate_key) == (tmp_path / "tls-certificate", tmp_path / "tls-key")


def test_sysusers_makes_the_service_user_a_member_of_scanner(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "usr/lib/sysusers.d").mkdir(parents=True)
    shutil.copy(SYSTEMD / "dangan.sysusers", tmp_path / "usr/lib/sysusers.d/dangan.conf")
    subprocess.run(["systemd-sysusers", f"--root={tmp_path}"], check=True, capture_output=True, timeout=60)
    users = {line.split(":")[0]: line.split(":") for line in (tmp_path / "etc/passwd").read_text().splitlines()}
    groups = {line.split(":")[0]: line.split(":") for line in (tmp_path / "etc/group").read_text().splitlines()}
    assert users["dangan"][5:] == ["/var/lib/dangan", "/usr/sbin/nologin"]
    assert "dangan" in groups["scanner"][3].split(",") and int(users["dangan"][2]) < 1000


def test_the_agent_posts_to_the_local_console_trusting_its_certificate():
    agent = unit_settings("dangan-agent.service")
    environ = dict(assignment.split("=", 1) for assignment in words(agent, "Service", "Environment"))
    assert environ["DANGAN_AGENT_APPLIANCE_URL"] == "https://localhost"
    assert agent[("Service", "LoadCredential")] == ["console-certificate:/etc/dangan/tls/console.crt"]
    assert environ["DANGAN_AGENT_CONSOLE_CERTIFICATE"] == "%d/console-certificate" and "SSL_CERT_FILE" not in environ
