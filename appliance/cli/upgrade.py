"""`dangan migrate`: bring the database to the newest schema, with a snapshot taken first and put back on failure."""

import click

from appliance.cli.context import CliContext, pass_context
from appliance.services.upgrade import UpgradeOutcome
from appliance.upgrade_wiring import migrate_box


@click.command("migrate")
@pass_context
def migrate_command(context: CliContext) -> int:
    """Migrate the database to the newest revision; a failed migration is rolled back to the snapshot."""
    outcome = migrate_box(context.config, context.actor)
    click.echo(describe(outcome))
    return 0


def describe(outcome: UpgradeOutcome) -> str:
    """One line for people: what the migration did, or that there was nothing to do."""
    if not outcome.applied:
        return f"the database is at {outcome.to_revision}, the newest revision: nothing to migrate"
    steps = ", ".join(outcome.applied)
    if outcome.from_revision is None:
        return f"created the database schema at {outcome.to_revision} (migrations {steps})"
    return (f"migrated the database from {outcome.from_revision} to {outcome.to_revision} (migrations {steps}); "
            f"snapshot taken first: {outcome.snapshot}")


def register(cli: click.Group) -> None:
    cli.add_command(migrate_command)
