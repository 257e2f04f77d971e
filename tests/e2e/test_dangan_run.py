"""`dangan run` as `make run` starts it: web (gunicorn), scanner agent with the virtual scanner, and worker."""

import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.network import free_port


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8")


@pytest.fixture
def served(tmp_path: Path):
    config_file = tmp_path / "dangan.toml"
    config_file.write_text("[web]\nworkers = 2\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "DANGAN_CONFIG": str(config_file), "DANGAN_HOME": str(tmp_path / "var"),
           "DANGAN_WEB_BIND": f"127.0.0.1:{port}", "DANGAN_AGENT_VIRTUAL_SCANNER": "true",
           "DANGAN_AGENT_NAME": "e2e-agent", "DANGAN_AGENT_HEARTBEAT_SECONDS": "1",
           "DANGAN_WEB_SECURE_COOKIES": "false"}  # plain http on loopback, as `make run` serves
    env.pop("DANGAN_DATABASE_URL", None)
    dangan = [sys.executable, "-m", "appliance.cli"]
    for command in (["init"], ["demo"]):  # what `make run` does first
        subprocess.run([*dangan, *command], env=env, check=True, capture_output=True)
    log = (tmp_path / "dangan-run.log").open("wb")  # a file, not a pipe: a full pipe would stall the server
    server = subprocess.Popen([*dangan, "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/api/v1/health", server, tmp_path / "dangan-run.log")
        secrets = tmp_path / "var" / "secrets"
        yield base, (secrets / "agent-token").read_text().strip(), _initial_passwords(secrets / "initial-passwords")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    assert server.returncode == 0


def _initial_passwords(path: Path) -> dict[str, str]:
    return dict(line.split("\t") for line in path.read_text(encoding="utf-8").splitlines())


class Browser:
    """Just enough of a browser for forms: cookies, redirects, the CSRF token of the last page."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.page, self.url = "", ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            self.page, self.url = response.read().decode("utf-8"), response.url
        return self.page

    def submit(self, fields: dict) -> str:
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', self.page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        with self.opener.open(urllib.request.Request(self.url, data=data), timeout=10) as response:
            self.page, self.url = response.read().decode("utf-8"), response.url
        return self.page


def _wait_for(url: str, server: subprocess.Popen, log_path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"dangan run exited: {log_path.read_text(errors='replace')[-4000:]}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def call(url: str, token: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_until(check, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"not done within {seconds} s")


@pytest.mark.slow
def test_dangan_run_serves_the_console_and_a_scan_on_the_virtual_scanner_files_the_demo_batch(served):
    base, token, passwords = served
    status, body = get(base + "/api/v1/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert set(passwords) == {"sysadmin", "secadmin", "auditadmin", "demo"}
    browser = Browser(base)
    assert "登录" in browser.get("/") and browser.url.startswith(base + "/login")
    browser.submit({"username": "demo", "password": passwords["demo"]})
    assert browser.url == base + "/login/password" and "设置新密码" in browser.page  # the first-login change
    page = browser.submit({"current_password": passwords["demo"], "new_password": "Binjiang-Archive-2026",
                           "confirm_password": "Binjiang-Archive-2026"})
    assert browser.url == base + "/" and "滨江市人民政府办公室" in page
    agents = wait_until(lambda: call(base + "/api/v1/scanners", token)["agents"])
    assert [device["name"] for device in agents[0]["devices"]] == ["virtual"]  # pnm is its engine, not a scanner
    call(base + "/api/v1/scans", token, {"agent": "e2e-agent", "device": "virtual", "preset": "greyscale"})

    def batch_filed():
        batch = call(base + "/api/v1/scanners", token)["agents"][0]["batch"]
        return batch if batch and batch["state"] == "finished" and batch["documents"] == 4 else None

    batch = wait_until(batch_filed)
    documents = wait_until(lambda: (found := call(f"{base}/api/v1/batches/{batch['batch_id']}", token)["documents"])
                           and len(found) == 4 and found)
    assert [(d["state"], d["archival_code"]) for d in documents] == [
        ("filed", "Z109-WS·2011-Y-BGS-0001"), ("new-item", "Z109-WS·2011-D30-BGS-0001"),
        ("new-item", "Z109-WS·2011-D30-BGS-0002"), ("new-item", "Z109-WS·2011-D30-BGS-0003")]
