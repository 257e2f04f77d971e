"""`dangan fonds|department|category ...`: the frame of the catalogue."""

import click

from appliance.cli.context import CliContext, pass_context
from appliance.domain.catalogue import Scheme
from appliance.services import fonds as fonds_service

SCHEMES = click.Choice([scheme.value for scheme in Scheme])


@click.group("fonds")
def fonds_group() -> None:
    """Fonds (全宗)."""


@fonds_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--scheme", type=SCHEMES, default=Scheme.YEAR_DEPARTMENT_RETENTION.value, show_default=True,
              help="classification scheme, fixed once the fonds holds items")
@pass_context
def add_fonds(context: CliContext, code: str, name: str, scheme: str) -> None:
    """Register fonds CODE (4 letters/digits) called NAME."""
    fonds = fonds_service.add_fonds(context.appliance.uow_factory, context.actor, code, name, scheme)
    click.echo(f"fonds {fonds.code} {fonds.name} ({fonds.scheme.value}) added")


@fonds_group.command("list")
@pass_context
def list_fonds(context: CliContext) -> None:
    """List the fonds."""
    for fonds in fonds_service.list_fonds(context.appliance.uow_factory):
        click.echo(f"{fonds.code}\t{fonds.name}\t{fonds.scheme.value}")


@fonds_group.command("scheme")
@click.argument("code")
@click.argument("scheme", type=SCHEMES)
@pass_context
def change_scheme(context: CliContext, code: str, scheme: str) -> None:
    """Change the classification scheme of a fonds that holds no items yet."""
    fonds = fonds_service.change_scheme(context.appliance.uow_factory, context.actor, code, scheme)
    click.echo(f"fonds {fonds.code} now classifies {fonds.scheme.value}")


@click.group("department")
def department_group() -> None:
    """Departments (机构/问题) of a fonds."""


@department_group.command("add")
@click.argument("fonds")
@click.argument("code")
@click.argument("name")
@pass_context
def add_department(context: CliContext, fonds: str, code: str, name: str) -> None:
    """Add department CODE (3 letters/digits) called NAME to FONDS."""
    fonds_service.add_department(context.appliance.uow_factory, context.actor, fonds, code, name)
    click.echo(f"department {code.upper()} {name} added to fonds {fonds.upper()}")


@department_group.command("list")
@click.argument("fonds")
@pass_context
def list_departments(context: CliContext, fonds: str) -> None:
    """List the departments of FONDS."""
    for code, name in fonds_service.list_departments(context.appliance.uow_factory, fonds).items():
        click.echo(f"{code}\t{name}")


@click.group("category")
def category_group() -> None:
    """Categories (门类), e.g. WS 文书."""


@category_group.command("add")
@click.argument("code")
@click.argument("name")
@pass_context
def add_category(context: CliContext, code: str, name: str) -> None:
    """Add category CODE (capital letters) called NAME."""
    fonds_service.add_category(context.appliance.uow_factory, context.actor, code, name)
    click.echo(f"category {code.upper()} {name} added")


@category_group.command("list")
@pass_context
def list_categories(context: CliContext) -> None:
    """List the categories."""
    for code, name in fonds_service.list_categories(context.appliance.uow_factory).items():
        click.echo(f"{code}\t{name}")


def register(cli: click.Group) -> None:
    for group in (fonds_group, department_group, category_group):
        cli.add_command(group)
