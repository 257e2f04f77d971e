"""What every command shares: the appliance, built once per invocation, and the acting user."""

import getpass
from functools import cached_property

import click

from appliance.bootstrap import Appliance, build_appliance
from appliance.domain.actors import Actor


class CliContext:
    @cached_property
    def appliance(self) -> Appliance:
        return build_appliance()

    @cached_property
    def actor(self) -> Actor:
        return Actor(name=f"cli:{getpass.getuser()}", source="local")


pass_context = click.make_pass_decorator(CliContext, ensure=True)
