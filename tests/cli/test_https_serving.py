"""`dangan web` (what dangan-web.service runs, and `dangan run`'s web) serves HTTPS with the configured certificate.

The certificate is a fresh self-signed one; the client trusts exactly that certificate and checks the host name.
Under systemd the listening socket comes from dangan-web.socket: `systemd-socket-activate` plays PID 1's part.
"""

import http.client
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from appliance.cli.server import service_commands, web_command
from appliance.config import Config, ConfigError, WebConfig, load_config
from scanner_agent.pinning import pinned_context
from tests.support.certificates import issue
from tests.support.network import free_port

pytestmark = pytest.mark.slow  # each test starts gunicorn (and the first `dangan init`): several seconds


@pytest.fixture(scope="module")
def box(tmp_path_factory) -> dict[str, str]:
    """A data home made by `dangan init` and the environment that points `dangan` at it with a certificate."""
    directory = tmp_path_factory.mktemp("box")
    certificate, key = issue(["localhost", "127.0.0.1"]).write(directory, "console")
    (directory / "dangan.toml").write_text("[web]\nworkers = 1\nthreads = 4\n", encoding="utf-8")
    environ = {name: value for name, value in os.environ.items() if not name.startswith("DANGAN_")}
    environ |= {"DANGAN_CONFIG": str(directory / "dangan.toml"), "DANGAN_HOME": str(directory / "var"),
                "DANGAN_WEB_CERTIFICATE": str(certificate), "DANGAN_WEB_CERTIFICATE_KEY": str(key)}
    subprocess.run([sys.executable, "-m", "appliance.cli", "init"], env=environ, check=True, capture_output=True,
                   timeout=120)
    return environ


def trusting(certificate: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certificate)


def get(port: int, path: str, context: ssl.SSLContext | None, host: str = "127.0.0.1"):
    """GET over TLS with `context` (plain HTTP without); returns the response, its body read."""
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    else:
        connection = http.client.HTTPSConnection(host, port, timeout=10, context=context)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


def wait_for_health(port: int, context: ssl.SSLContext, server: subprocess.Popen, log: Path, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the web exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            return get(port, "/api/v1/health", context)
        except (OSError, http.client.HTTPException):
            time.sleep(0.3)
    raise AssertionError(f"no answer on port {port} within {seconds} s: {log.read_text(errors='replace')[-3000:]}")


def start(command: list[str], environ: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("wb") as output:  # a file, not a pipe: a full pipe would stall gunicorn
        return subprocess.Popen(command, env=environ, stdout=output, stderr=subprocess.STDOUT)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def test_the_web_command_names_the_certificate_only_when_configured(tmp_path):
    plain = web_command(Config())
    secure = web_command(Config(web=WebConfig(certificate=tmp_path / "c.pem", certificate_key=tmp_path / "k.pem")))
    assert "--certfile" not in plain and "--keyfile" not in plain and plain[-1] == "web:create_app()"
    assert secure[secure.index("--certfile") + 1] == str(tmp_path / "c.pem")
    assert secure[secure.index("--keyfile") + 1] == str(tmp_path / "k.pem")


def test_a_key_without_a_certificate_is_refused(tmp_path):
    (tmp_path / "dangan.toml").write_text("[web]\ncertificate_key = '/etc/dangan/tls/console.key'\n")
    with pytest.raises(ConfigError, match="web.certificate_key needs web.certificate"):
        load_config({"DANGAN_CONFIG": str(tmp_path / "dangan.toml")})


def test_an_unreadable_certificate_stops_dangan_web_with_a_clear_message(box, tmp_path):
    environ = {**box, "DANGAN_WEB_CERTIFICATE": str(tmp_path / "missing.crt")}
    result = subprocess.run([sys.executable, "-m", "appliance.cli", "web"], env=environ, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert f"web.certificate: {tmp_path / 'missing.crt'} cannot be read" in result.stderr


def test_dangan_web_answers_https_and_refuses_plain_http(box, tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    server = start([sys.executable, "-m", "appliance.cli", "web"], {**box, "DANGAN_WEB_BIND": f"127.0.0.1:{port}"},
                   log)
    try:
        context = trusting(box["DANGAN_WEB_CERTIFICATE"])
        health = wait_for_health(port, context, server, log)
        assert health.status == 200
        login = get(port, "/login", context, host="localhost")
        assert login.status == 200
        cookies = login.headers.get_all("Set-Cookie") or []
        assert any(cookie.startswith("dangan_session=") for cookie in cookies)
        # every cookie that carries a value is sent back over HTTPS only (Flask-Login also clears an empty one)
        assert all("; Secure" in cookie for cookie in cookies if "Max-Age=0" not in cookie)
        with pytest.raises((OSError, http.client.HTTPException)):
            get(port, "/api/v1/health", None)
        with pytest.raises(ssl.SSLCertVerificationError):
            get(port, "/api/v1/health", ssl.create_default_context())  # the system's CAs do not know it
        assert agent_reaches(f"https://localhost:{port}/api/v1/health", box["DANGAN_WEB_CERTIFICATE"]) == 200
        assert server.poll() is None
    finally:
        stop(server)


def agent_reaches(url: str, certificate: str) -> int:
    """GET as the box's agent does: trusting exactly the console's certificate (scanner_agent/pinning.py)."""
    with urllib.request.urlopen(url, timeout=10, context=pinned_context(Path(certificate))) as response:
        return response.status


def test_dangan_run_hands_the_agent_the_console_certificate_to_pin(box):
    config = load_config(box)
    environment = service_commands(config)["agent"][1]
    assert environment["DANGAN_AGENT_CONSOLE_CERTIFICATE"] == box["DANGAN_WEB_CERTIFICATE"]
    assert environment["DANGAN_AGENT_APPLIANCE_URL"].startswith("https://127.0.0.1:")


def test_dangan_web_serves_https_on_the_socket_systemd_hands_it(box, tmp_path):
    port, unused_port = free_port(), free_port()
    log = tmp_path / "web.log"
    environ = {**box, "DANGAN_WEB_BIND": f"127.0.0.1:{unused_port}"}  # ignored: the inherited socket is used
    passed = [argument for name in environ for argument in ("-E", name)]
    # a bare port, as dangan-web.socket's ListenStream=443: one IPv6 socket that answers IPv4 too
    server = start(["systemd-socket-activate", "-l", str(port), *passed,
                    sys.executable, "-m", "appliance.cli", "web"], environ, log)
    try:
        health = wait_for_health(port, trusting(box["DANGAN_WEB_CERTIFICATE"]), server, log)
        assert health.status == 200 and b"ok" in health.body.lower()
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", unused_port), timeout=2).close()
        # the inherited socket, TLS or not: gunicorn calls every IPv6 listener http://
        assert f"Listening at: http://[::]:{port}" in log.read_text(errors="replace")
    finally:
        stop(server)
