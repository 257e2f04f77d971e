"""`dangan twin pair|accept` and `dangan backup key`: pairing a box with its off-site twin, and its paper key.

On the box, `pair` makes the box's ssh key, pins the twin's host key and prints the one line the twin must grant.
On the twin (another Dangan box), `accept` checks that line and grants it: append-only borg, one repository.
"""

import re
import shutil
import socket
from pathlib import Path

import click

from appliance.adapters.ssh_twin import (
    authorized_keys_line,
    ensure_box_key,
    grant_twin_access,
    host_key_fingerprint,
    parse_repository,
    parse_twin_line,
    pin_host_key,
)
from appliance.backup_wiring import require_borg
from appliance.cli.context import CliContext, pass_context
from appliance.domain.errors import InvalidInputError

DEFAULT_TWIN_ROOT = Path("/srv/borg")
TWIN_HOST_KEY = Path("/etc/ssh/ssh_host_ed25519_key.pub")


@click.group("twin")
def twin_group() -> None:
    """The off-site twin: an append-only borg repository on another machine, reached over ssh."""


@twin_group.command("pair")
@click.option("--twin-borg", default="borg", show_default=True,
              help="borg's path on the twin, as the twin's forced command will run it.")
@click.option("--repin", is_flag=True,
              help="Replace a pinned twin host key that changed; only after comparing fingerprints out of band.")
@pass_context
def pair_command(context: CliContext, twin_borg: str, repin: bool) -> None:
    """Make this box's ssh key, pin the twin's host key, print the line the twin must accept. Safe to repeat."""
    borg = require_borg(context.config)
    location = parse_repository(borg.repository)
    if not location.remote:
        raise InvalidInputError("backup.repository is a local path: there is no twin to pair with")
    comment = f"dangan@{_box_name()}"
    public_key, created = ensure_box_key(borg.ssh_key, comment)
    fingerprint, changed = pin_host_key(location.host, location.port, borg.known_hosts, replace=repin)
    line = authorized_keys_line(public_key, location.path, comment, borg=twin_borg)
    click.echo(f"box key: {borg.ssh_key} ({'created' if created else 'kept'})")
    click.echo(f"twin host key {location.host}:{location.port}: {fingerprint} "
               f"({'pinned now' if changed else 'already pinned'}) in {borg.known_hosts}")
    click.echo("compare that fingerprint with the one `dangan twin accept` prints on the twin, by phone or in "
               "person, before the first backup")
    click.echo(f"on the twin, as user {location.user}, run:\n  dangan twin accept --line '{line}'")
    click.echo(f"or add this line to {location.user}'s ~/.ssh/authorized_keys there:\n{line}")


@twin_group.command("accept")
@click.option("--line", "line", required=True, help="The line `dangan twin pair` printed on the box.")
@click.option("--authorized-keys", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to add it to (default: ~/.ssh/authorized_keys of the user running this).")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_TWIN_ROOT,
              show_default=True, help="Where this twin keeps the boxes' repositories; the line's must be inside.")
def accept_command(line: str, authorized_keys: Path | None, root: Path) -> None:
    """On the twin: grant a box append-only borg access to its one repository. Safe to repeat."""
    if not root.is_absolute():
        raise InvalidInputError(f"--root {root} must be an absolute path")
    grant = parse_twin_line(line, root=root)
    target = authorized_keys or Path.home() / ".ssh" / "authorized_keys"
    added = grant_twin_access(grant, line, target)
    click.echo(f"repository directory: {grant.repository_path}")
    click.echo(f"{'added to' if added else 'already in'} {target}: {grant.comment or grant.public_key[:40]}")
    if not _program_exists(grant.borg):
        click.echo(f"warning: {grant.borg} is not installed here; the box's backups will fail until it is",
                   err=True)
    if TWIN_HOST_KEY.exists():
        click.echo(f"this twin's host key: {host_key_fingerprint(TWIN_HOST_KEY)} "
                   "(the box's `dangan twin pair` must show the same)")


def paper_key_command() -> click.Command:
    """`dangan backup key`, to be attached to the `backup` group."""

    @click.command("key")
    @click.option("--qr-html", "qr_html", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Also write the key as an HTML page with a QR code (0600), to print.")
    @pass_context
    def key_command(context: CliContext, qr_html: Path | None) -> None:
        """Print the repository key as a paper key, to be printed and kept offline, away from the box.

        With the passphrase, it is what rebuilding the box from its twin needs when the box and its copy of the key
        are gone. Keep the passphrase in a different place from the paper.
        """
        borg = require_borg(context.config)
        click.echo(borg.export_paper_key())
        if qr_html is not None:
            borg.export_qr_html(qr_html.absolute())
            click.echo(f"the key as a QR code: {qr_html.absolute()} (print it, then delete the file)")

    return key_command


def _box_name() -> str:
    """The host name, reduced to what an authorized_keys comment may hold."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "box"


def _program_exists(program: str) -> bool:
    return Path(program).is_file() if program.startswith("/") else shutil.which(program) is not None


def register(cli: click.Group) -> None:
    cli.add_command(twin_group)
