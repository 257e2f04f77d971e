"""Entry point of `dangan`: errors become one clear line and a non-zero exit, never a traceback."""

import sys

import click

from appliance.cli import audit, backup, capture, catalogue, demo, fixity, fonds, items, server, twin, upgrade, users
from appliance.cli import provision as provision_commands
from appliance.cli import search as search_commands
from appliance.cli.context import CliContext
from appliance.domain.errors import DanganError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dangan")
@click.pass_context
def cli(context: click.Context) -> None:
    """Dangan (档案): the archive appliance."""
    context.obj = CliContext()


for module in (audit, backup, capture, catalogue, demo, fixity, fonds, items, server, twin, upgrade, users):
    module.register(cli)
search_commands.register(cli)
provision_commands.register(cli)


def main() -> None:
    try:
        exit_code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except DanganError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(f"error: {error.filename or ''}: {error.strerror or error}", err=True)
        sys.exit(1)
    except Exception as error:  # noqa: BLE001 - the last line of defence against a traceback
        click.echo(f"internal error ({type(error).__name__}): {error}", err=True)
        sys.exit(3)
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
