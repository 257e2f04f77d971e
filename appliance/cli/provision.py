"""`dangan provision`: make a new box ready, from an answers file or by asking at the console; safe to run again."""

from pathlib import Path

import click

from provisioning.answers import Answers, read_answers
from provisioning.first_boot import first_boot_answers
from provisioning.interactive import ask_answers
from provisioning.layout import Layout
from provisioning.run import Run, provision


@click.command("provision")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Answers file (TOML); without it the questions are asked here.")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("/"),
              show_default=True, help="Provision the system tree under this directory instead of this machine.")
@click.option("--first-boot", is_flag=True,
              help="Use the answers on a drive labelled DANGAN-ANSWERS or in /etc/dangan/answers.toml, else ask.")
def provision_command(answers_file: Path | None, root: Path, first_boot: bool) -> int:
    """Host name, time zone, config, database, the three administrators, TLS, backups, ssh: each done once."""
    if answers_file is not None and first_boot:
        raise click.UsageError("give --answers or --first-boot, not both")
    layout = Layout(root.absolute())
    if not first_boot:
        return _provision(layout, read_answers(answers_file) if answers_file else ask_answers())
    with first_boot_answers(layout) as found:
        if found is not None:
            click.echo(f"answers from {found}")
            return _provision(layout, read_answers(found))
    click.echo("no answers file found: answer these questions to set up this box")
    return _provision(layout, ask_answers())


def _provision(layout: Layout, answers: Answers) -> int:
    where = "" if layout.live else f" under {layout.root}"
    click.echo(f"provisioning {answers.hostname}{where}")
    pending = provision(Run(layout, answers, say=click.echo, show_passwords=_show_passwords))
    for line in pending:
        click.echo(f"pending: {line}", err=True)
    names = ", ".join(f"https://{name}/" for name in (answers.hostname, *answers.console_names))
    click.echo(f"done{' (with pending steps: run again to finish them)' if pending else ''}; the console: {names}")
    return 0


def _show_passwords(generated: dict[str, str]) -> None:
    """One-time passwords, on the terminal once: nowhere else keeps them."""
    click.echo("one-time passwords (shown this once; write them down and hand each to its person):")
    for username, password in generated.items():
        click.echo(f"  {username:<16} {password}")
    click.echo("each administrator must change it and set up a second factor (TOTP) at first sign-in")


def register(cli: click.Group) -> None:
    cli.add_command(provision_command)
