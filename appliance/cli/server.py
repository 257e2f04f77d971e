"""`dangan init`, `dangan run` and `dangan web`."""

import os
import subprocess
import sys
import threading
import time

import click

from appliance.adapters.secrets import random_password, write_private_file
from appliance.bootstrap import prepare_secrets, secrets_directory
from appliance.cli.context import CliContext, pass_context
from appliance.cli.signals import stop_on_signals
from appliance.config import AgentConfig, Config, ConfigError
from appliance.services.first_accounts import create_first_administrators

STOP_GRACE_SECONDS = 15


@click.command("init")
@pass_context
def init_command(context: CliContext) -> None:
    """Create the data home, its secrets, and bring the database to the newest schema (safe to run again)."""
    appliance = context.appliance
    config = appliance.config
    prepare_secrets(config)
    click.echo(f"data home {config.home} ready; database at the newest schema")
    created = create_first_administrators(appliance.uow_factory, appliance.passwords, context.actor,
                                          appliance.password_policy, random_password)
    if created:
        announce_initial_passwords(config, created, "the three administrators (三员)",
                                   "each also sets up a second factor (TOTP) at first sign-in")


def announce_initial_passwords(config: Config, created: dict[str, str], who: str, note: str = "") -> None:
    """Print one-time passwords and keep them in a private file until they are changed at first sign-in."""
    path = secrets_directory(config) / "initial-passwords"
    write_private_file(path, "".join(f"{name}\t{password}\n" for name, password in created.items()))
    click.echo(f"accounts for {who} created; one-time passwords (also in {path}, mode 0600):")
    for name, password in created.items():
        click.echo(f"  {name:<12} {password}")
    click.echo("a one-time password must be changed at first sign-in" + (f"; {note}" if note else ""))


@click.command("run")
@pass_context
def run_command(context: CliContext) -> int:
    """Run the appliance: web console (gunicorn), scanner agent and worker, until Ctrl-C or SIGTERM."""
    config = context.appliance.config
    prepare_secrets(config)
    context.appliance.close()
    children = {name: subprocess.Popen(command, env=environment)
                for name, (command, environment) in service_commands(config).items()}
    click.echo(f"serving on {_scheme(config)}://{config.web.bind}/ (web, agent, worker)", err=True)
    stop = threading.Event()
    with stop_on_signals(stop):
        failed = _supervise(children, stop)
    _stop_all(children)
    if failed:
        click.echo(f"{failed} stopped; the others were stopped too", err=True)
        return 1
    return 0


def service_commands(config: Config) -> dict[str, tuple[list[str], dict | None]]:
    """The command and environment of each service `dangan run` supervises (the benchmarks start the same)."""
    agent_environment = dict(os.environ)
    if config.agent.appliance_url == AgentConfig.appliance_url:  # not set: the agent posts to this box's web
        agent_environment["DANGAN_AGENT_APPLIANCE_URL"] = f"{_scheme(config)}://{_local_address(config.web.bind)}"
        if config.web.certificate:  # the console's own certificate, pinned: it need not name 127.0.0.1
            agent_environment["DANGAN_AGENT_CONSOLE_CERTIFICATE"] = str(config.web.certificate)
    return {
        "web": (web_command(config), None),
        "agent": ([sys.executable, "-m", "appliance.cli", "agent"], agent_environment),
        "worker": ([sys.executable, "-m", "appliance.cli", "worker"], None),
    }


def web_command(config: Config) -> list[str]:
    """The gunicorn command serving `web:create_app()`: HTTPS when the config names a certificate.

    Under systemd socket activation gunicorn takes the inherited sockets (LISTEN_FDS) and ignores --bind.
    """
    web = config.web
    # Threads: the scanners page's live stream holds one for up to 25 s at a time.
    command = [sys.executable, "-m", "gunicorn", "--bind", web.bind, "--workers", str(web.workers),
               "--worker-class", "gthread", "--threads", str(web.threads), "--timeout", str(web.timeout),
               "--keep-alive", "5", "--graceful-timeout", "10", "--access-logfile", "-"]
    if web.certificate:
        command += ["--certfile", str(web.certificate)]
    if web.certificate_key:
        command += ["--keyfile", str(web.certificate_key)]
    return command + ["web:create_app()"]


@click.command("web")
@pass_context
def web_serve_command(context: CliContext) -> None:
    """Serve the console and API with gunicorn in place of this process (what dangan-web.service runs).

    Raises ConfigError when the certificate or its key cannot be read.
    """
    config = context.config
    for key, path in (("web.certificate", config.web.certificate), ("web.certificate_key", config.web.certificate_key)):
        if path and not os.access(path, os.R_OK):
            raise ConfigError(f"{key}: {path} cannot be read")
    command = web_command(config)
    sys.stdout.flush()
    sys.stderr.flush()
    # exec, not a child: the process keeps its pid, so systemd's LISTEN_PID and notify socket reach gunicorn
    os.execv(command[0], command)


def _scheme(config: Config) -> str:
    return "https" if config.web.certificate else "http"


def _local_address(bind: str) -> str:
    host, _, port = bind.rpartition(":")
    return f"{'127.0.0.1' if host in ('', '0.0.0.0', '[::]') else host}:{port}"


def _supervise(children: dict[str, subprocess.Popen], stop: threading.Event) -> str | None:
    """Wait until asked to stop, or until one service exits (returned by name)."""
    while not stop.wait(0.5):
        for name, child in children.items():
            if child.poll() is not None:
                return name
    return None


def _stop_all(children: dict[str, subprocess.Popen]) -> None:
    for child in children.values():
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def register(cli: click.Group) -> None:
    cli.add_command(init_command)
    cli.add_command(run_command)
    cli.add_command(web_serve_command)
