"""`dangan init` and `dangan run`."""

import os
import sys

import click

from appliance.cli.context import CliContext, pass_context


@click.command("init")
@pass_context
def init_command(context: CliContext) -> None:
    """Create the data home and bring the database to the newest schema (safe to run again)."""
    config = context.appliance.config
    click.echo(f"data home {config.home} ready; database at the newest schema")


@click.command("run")
@pass_context
def run_command(context: CliContext) -> None:
    """Run the appliance: the web console under gunicorn (migrating the database first)."""
    config = context.appliance.config
    context.appliance.close()
    arguments = [
        sys.executable, "-m", "gunicorn",
        "--bind", config.web.bind,
        "--workers", str(config.web.workers),
        "--timeout", str(config.web.timeout),
        "--access-logfile", "-",
        "web:create_app()",
    ]
    click.echo(f"serving on http://{config.web.bind}/", err=True)
    os.execv(sys.executable, arguments)


def register(cli: click.Group) -> None:
    cli.add_command(init_command)
    cli.add_command(run_command)
