"""`dangan audit verify|tail`."""

import click

from appliance.cli.context import CliContext, pass_context
from appliance.services.audit import latest_events, verify_audit_chain


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@pass_context
def verify_command(context: CliContext) -> int:
    """Recompute the hash chain; name the first event altered, removed or reordered."""
    report = verify_audit_chain(context.appliance.uow_factory)
    if report.ok:
        click.echo(f"audit chain intact: {report.events_checked} events, head {report.head_hash}")
        return 0
    click.echo(f"AUDIT CHAIN BROKEN: {report.problem}", err=True)
    click.echo(f"{report.events_checked} events verified before the break", err=True)
    return 2


@audit_group.command("tail")
@click.option("-n", "count", type=click.IntRange(1, 10000), default=20, show_default=True)
@pass_context
def tail_command(context: CliContext, count: int) -> None:
    """Show the newest events."""
    for event in reversed(latest_events(context.appliance.uow_factory, count)):
        click.echo(f"#{event.seq} {event.occurred_at} {event.actor}@{event.source} {event.action} "
                   f"{event.object_type}:{event.object_id} {event.result}")


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
