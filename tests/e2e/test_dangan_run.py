"""`dangan run` as `make run` starts it: gunicorn serving the catalogue and the health endpoint."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8")


@pytest.fixture
def served(tmp_path: Path):
    config_file = tmp_path / "dangan.toml"
    config_file.write_text("[web]\nworkers = 2\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "DANGAN_CONFIG": str(config_file), "DANGAN_HOME": str(tmp_path / "var"),
           "DANGAN_WEB_BIND": f"127.0.0.1:{port}"}
    env.pop("DANGAN_DATABASE_URL", None)
    dangan = [sys.executable, "-m", "appliance.cli"]
    subprocess.run([*dangan, "fonds", "add", "Z109", "某某市人民政府"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([*dangan, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(base + "/api/v1/health", server)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"dangan run exited: {server.stdout.read().decode()}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.mark.slow
def test_dangan_run_serves_the_catalogue_under_gunicorn(served):
    status, body = get(served + "/api/v1/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    status, page = get(served + "/")
    assert status == 200 and "某某市人民政府" in page
