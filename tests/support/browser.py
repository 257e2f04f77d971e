"""Browser tests' harness: the whole appliance as `dangan run` serves it, Debian's Chromium, signing in by the forms.

The appliance runs as real processes (gunicorn with two workers, the scanner agent on the virtual scanner, the
worker), in a temporary home made by `dangan init` and `dangan demo`, with nothing inherited from the caller's
DANGAN_* environment. People for a test are added straight through the account services (in this process, on the
same database), so a test need not share the demo accounts with others.
"""

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from appliance.adapters.second_factor import STEP_SECONDS, TotpCodes
from appliance.bootstrap import Appliance, build_appliance
from appliance.config import load_config
from appliance.domain.catalogue import AccessLabel
from tests.support.console import FAST_PASSWORDS, INITIAL_PASSWORD, PASSWORD, make_person

CHROMIUM = "/usr/bin/chromium"
# Without these Chromium keeps calling home through a network that is closed here (FIELD_NOTES "Browser tests").
QUIET_FLAGS = ("--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync")
DESKTOP = {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
START_SECONDS = 60
STOP_SECONDS = 30
SUBMIT = "main form button[type=submit]"  # the header's language buttons are submit buttons too


@dataclass
class RunningAppliance:
    """A served appliance: where it answers, its home, the one-time passwords `init` and `demo` printed."""

    base_url: str
    home: Path
    initial_passwords: dict[str, str]
    agent_token: str
    environment: dict[str, str]
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    @cached_property
    def appliance(self) -> Appliance:
        """The same database and secrets, opened in the test process, for setting up people and records."""
        built = build_appliance(load_config(self.environment), migrate=False)
        built.passwords = FAST_PASSWORDS  # argon2 hashes carry their cost: the server verifies these quickly too
        return built

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-characters:]

    def stop(self) -> None:
        """SIGTERM, as systemd stops it; the whole process group is killed if it does not end in time."""
        if "appliance" in self.__dict__:
            self.appliance.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass(frozen=True)
class Person:
    username: str
    password: str
    totp_secret: str | None = None


def start_appliance(directory: Path, *, agent_and_worker: bool = True, workers: int = 2) -> RunningAppliance:
    """Init and demo a home under `directory`, serve it on a free loopback port, wait until /api/v1/health answers.

    With `agent_and_worker` it is `dangan run` (web, agent on the virtual scanner, worker); without, gunicorn alone.
    Raises RuntimeError with the log's end when a step fails or health does not answer within a minute.
    """
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    environment = _environment(directory, port, workers)
    dangan = [sys.executable, "-m", "appliance.cli"]
    for command in (["init"], ["demo"]):
        done = subprocess.run([*dangan, *command], env=environment, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"dangan {command[0]} failed: {done.stdout}{done.stderr}")
    serve = [*dangan, "run"] if agent_and_worker else _gunicorn(port, workers)
    log_path = directory / "appliance.log"
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would stall the server mid-test
        process = subprocess.Popen(serve, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # its own group, so stop() can reach every child
    secrets = Path(environment["DANGAN_HOME"]) / "secrets"
    running = RunningAppliance(f"http://127.0.0.1:{port}", Path(environment["DANGAN_HOME"]),
                               _read_passwords(secrets / "initial-passwords"),
                               (secrets / "agent-token").read_text(encoding="utf-8").strip(),
                               environment, log_path, process)
    try:
        _wait_for_health(running)
    except RuntimeError:
        running.stop()
        raise
    return running


def _environment(directory: Path, port: int, workers: int) -> dict[str, str]:
    config_file = directory / "dangan.toml"
    config_file.write_text("", encoding="utf-8")  # never /etc/dangan/dangan.toml of the machine running the tests
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("DANGAN_")}
    return {**inherited, "DANGAN_CONFIG": str(config_file), "DANGAN_HOME": str(directory / "home"),
            "DANGAN_WEB_BIND": f"127.0.0.1:{port}", "DANGAN_WEB_WORKERS": str(workers),
            "DANGAN_WEB_SECURE_COOKIES": "false",  # plain http on loopback
            # Every browser test signs in from 127.0.0.1; the per-address throttle has its own tests.
            "DANGAN_WEB_LOGIN_ATTEMPTS": "10000",
            "DANGAN_AGENT_VIRTUAL_SCANNER": "true", "DANGAN_AGENT_NAME": "e2e-agent",
            "DANGAN_AGENT_HEARTBEAT_SECONDS": "1"}


def _gunicorn(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--access-logfile", "-", "web:create_app()"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _read_passwords(path: Path) -> dict[str, str]:
    return dict(line.split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines() if line)


def _wait_for_health(running: RunningAppliance) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"the appliance exited with {running.process.returncode}:\n{running.log_tail()}")
        try:
            with urllib.request.urlopen(running.base_url + "/api/v1/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"/api/v1/health did not answer within {START_SECONDS} s:\n{running.log_tail()}")


def add_person(running: RunningAppliance, username: str, roles: Sequence[str], *,
               clearance: AccessLabel = AccessLabel.RESTRICTED, departments=None, ready: bool = True,
               with_totp: bool = False) -> Person:
    """A user on the running box; `ready`: own password set (else the one-time one); `with_totp`: enrolled.

    Raises InvalidInputError or ConflictError from the account services (bad name or role, name taken).
    """
    secret = make_person(running.appliance, username, roles, clearance=clearance, departments=departments,
                         with_totp=with_totp, ready=ready)
    return Person(username, PASSWORD if ready else INITIAL_PASSWORD, secret)


def launch_chromium(playwright, *, headless: bool = True, back_forward_cache: bool = False):
    """Debian's Chromium through Playwright (never `playwright install`); raises RuntimeError when it is missing.

    Playwright turns Chromium's back/forward cache off; `back_forward_cache` keeps it on, as in a person's browser
    (a page restored from it fires no load event: use `page.go_back(wait_until="commit")`).
    """
    if not Path(CHROMIUM).is_file():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    arguments = [*QUIET_FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]  # the sandbox refuses root
    kept_on = ["--disable-back-forward-cache"] if back_forward_cache else None
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=headless, args=arguments,
                                      ignore_default_args=kept_on)


def submit(page, selector: str = SUBMIT) -> None:
    """Press a form's submit button and wait for the page the server answers with."""
    with page.expect_navigation():
        page.locator(selector).click()


def sign_in(page, base: str, username: str, password: str, totp_secret: str | None = None) -> None:
    """Sign in through /login (and /login/code); raises AssertionError with the page's error when refused."""
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    submit(page)
    if _path(page) == "/login/code":
        if totp_secret is None:
            raise AssertionError(f"{username} needs a second factor and no TOTP secret was given")
        _enter_code(page, totp_secret)
    if _path(page).startswith("/login"):
        raise AssertionError(f"{username} is still at {page.url}: {error_text(page)}")


def first_sign_in(page, base: str, username: str, one_time: str, new: str,
                  inspect: Callable | None = None) -> str | None:
    """Sign in with a one-time password, set `new`, enrol TOTP when asked; returns the TOTP secret or None.

    `inspect(page)` is called on each step's page (sign-in, password change, enrolment) for checks on the way.
    Raises AssertionError when a step does not lead where it should, with the page's error.
    """
    inspect = inspect or (lambda _page: None)
    page.goto(base + "/login")
    inspect(page)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", one_time)
    submit(page)
    if _path(page) != "/login/password":
        raise AssertionError(f"expected the password change, got {page.url}: {error_text(page)}")
    inspect(page)
    for name, value in (("current_password", one_time), ("new_password", new), ("confirm_password", new)):
        page.fill(f"input[name={name}]", value)
    submit(page)
    secret = None
    if _path(page) == "/login/enrol":
        inspect(page)
        secret = page.locator("code.secret").inner_text().replace(" ", "")
        _enter_code(page, secret, retry_next_step=False)  # a failed enrolment offers a new secret
    if _path(page).startswith("/login"):
        raise AssertionError(f"{username} is still at {page.url}: {error_text(page)}")
    return secret


def _enter_code(page, secret: str, retry_next_step: bool = True) -> None:
    """The code of now; if it was just used (an enrolment moments ago), the next step's, which drift allows."""
    now = datetime.datetime.now(datetime.UTC)
    moments = (now, now + datetime.timedelta(seconds=STEP_SECONDS)) if retry_next_step else (now,)
    for moment in moments:
        page.fill("input[name=code]", TotpCodes().code_at(secret, moment))
        submit(page)
        if not page.locator("p.error").count():
            return


def error_text(page) -> str:
    """The text of the page's error message, or '' when it shows none."""
    errors = page.locator("p.error")
    return errors.first.inner_text() if errors.count() else ""


def scroll_width(page) -> int:
    """The document's full width in CSS pixels; wider than the viewport means the page scrolls sideways."""
    return page.evaluate("document.scrollingElement.scrollWidth")


def inline_scripts(page) -> int:
    """The number of <script> elements without src on the page (the CSP would refuse to run them)."""
    return page.locator("script:not([src])").count()


def watch_csp_violations(page) -> list[str]:
    """A list that fills with the console's Content-Security-Policy refusals on `page` from now on."""
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    return violations


def _path(page) -> str:
    return urllib.parse.urlsplit(page.url).path
