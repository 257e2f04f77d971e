"""`dangan demo`: a demo fonds and a sample stack for the virtual scanner, so a newcomer can press Scan."""


import click

from appliance.adapters.sample_batch import demo_documents, demo_item_document, write_sample_batch
from appliance.adapters.secrets import random_password
from appliance.cli.context import CliContext, pass_context
from appliance.cli.server import announce_initial_passwords
from appliance.domain.access import AccessScope
from appliance.domain.accounts import Role
from appliance.domain.catalogue import AccessLabel, ItemFields, Scheme
from appliance.domain.codes import ClassKey
from appliance.services import accounts as account_service
from appliance.services import fonds as fonds_service
from appliance.services import items as item_service

DEMO_FONDS, DEMO_DEPARTMENT = "Z109", "BGS"
DEMO_ITEM_CLASS = ClassKey(DEMO_FONDS, "WS", 2011, "Y", DEMO_DEPARTMENT)
DEMO_USER = "demo"


@click.command("demo")
@pass_context
def demo_command(context: CliContext) -> None:
    """Register the demo fonds Z109 and a demo archivist (if missing); write the virtual scanner's sample stack."""
    appliance = context.appliance
    uow_factory, actor = appliance.uow_factory, context.actor
    if DEMO_FONDS not in {fonds.code for fonds in fonds_service.list_fonds(uow_factory)}:
        fonds_service.add_fonds(uow_factory, actor, DEMO_FONDS, "滨江市人民政府办公室",
                                Scheme.YEAR_RETENTION_DEPARTMENT)
        fonds_service.add_department(uow_factory, actor, DEMO_FONDS, DEMO_DEPARTMENT, "办公室")
        fields = ItemFields.build(title="关于印发《滨江市档案工作规划》的通知", date="20110315",
                                  responsible="滨江市人民政府办公室", doc_number="办发〔2011〕3号")
        item = item_service.add_item(uow_factory, appliance.blob_store, actor, DEMO_ITEM_CLASS, fields)
        click.echo(f"demo fonds {DEMO_FONDS} registered, with item {item.archival_code}")
    if DEMO_USER not in {account.username for account in account_service.list_users(uow_factory)}:
        password = random_password()
        account_service.add_user(uow_factory, appliance.passwords, actor, DEMO_USER, password,
                                 [Role.ARCHIVIST, Role.OPERATOR], "演示档案员",
                                 scope=AccessScope(AccessLabel.RESTRICTED), policy=appliance.password_policy)
        announce_initial_passwords(appliance.config, {DEMO_USER: password}, "the demo archivist")
    stack = appliance.config.virtual_stack
    if not any(stack.glob("*.png")):
        pages = write_sample_batch(stack, [demo_item_document(), *demo_documents()])
        click.echo(f"virtual scanner stack: {len(pages)} pages in {stack}")


def register(cli: click.Group) -> None:
    cli.add_command(demo_command)
