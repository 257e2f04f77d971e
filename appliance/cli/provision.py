"""`dangan provision`: make a new box ready, from an answers file or by asking at the console; safe to run again."""

from pathlib import Path

import click

from provisioning.answers import Answers, read_answers
from provisioning.first_boot import first_boot_answers, installed_answers
from provisioning.interactive import ask_answers
from provisioning.layout import Layout
from provisioning.run import Run, provision


@click.command("provision")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Answers file (TOML); without it the questions are asked here.")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("/"),
              show_default=True, help="Provision the system tree under this directory instead of this machine.")
@click.option("--first-boot", is_flag=True,
              help="Use the answers on a drive labelled DANGAN-ANSWERS or DANGAN, or in /etc/dangan/answers.toml, "
                   "else ask.")
def provision_command(answers_file: Path | None, root: Path, first_boot: bool) -> int:
    """Host name, time zone, config, database, the three administrators, TLS, backups, ssh: each done once."""
    if answers_file is not None and first_boot:
        raise click.UsageError("give --answers or --first-boot, not both")
    layout = Layout(root.absolute())
    if not first_boot:
        _provision(layout, read_answers(answers_file) if answers_file else ask_answers())
        return 0
    with first_boot_answers(layout) as found:
        if found is not None:
            click.echo(f"answers from {found}")
            answers = read_answers(found)
            finished = _provision(layout, answers)
            if finished and any(person.password for person in answers.administrators):
                _put_away(found, layout)
            return 0
    click.echo("no answers file found: answer these questions to set up this box")
    _provision(layout, ask_answers())
    return 0


def _provision(layout: Layout, answers: Answers) -> bool:
    """Provision; whether every step is done (nothing pending)."""
    where = "" if layout.live else f" under {layout.root}"
    click.echo(f"provisioning {answers.hostname}{where}")
    pending = provision(Run(layout, answers, say=click.echo, show_passwords=_show_passwords))
    for line in pending:
        click.echo(f"pending: {line}", err=True)
    names = ", ".join(f"https://{name}/" for name in (answers.hostname, *answers.console_names))
    click.echo(f"done{' (with pending steps: run again to finish them)' if pending else ''}; the console: {names}")
    return not pending


def _put_away(answers_file: Path, layout: Layout) -> None:
    """One-time passwords must not outlive the set-up: the box's own copy goes once nothing is pending (a pending
    step needs it for the next run); a drive is mounted read-only, so its owner is told to wipe it."""
    if answers_file == installed_answers(layout):
        answers_file.unlink()
        click.echo(f"removed {answers_file}: it held one-time passwords")
    else:
        click.echo("the answers drive holds one-time passwords: wipe it or keep it locked away", err=True)


def _show_passwords(generated: dict[str, str]) -> None:
    """One-time passwords, on the terminal once: nowhere else keeps them."""
    click.echo("one-time passwords (shown this once; write them down and hand each to its person):")
    for username, password in generated.items():
        click.echo(f"  {username:<16} {password}")
    click.echo("each administrator must change it and set up a second factor (TOTP) at first sign-in")


def register(cli: click.Group) -> None:
    cli.add_command(provision_command)
