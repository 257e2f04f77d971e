"""What every command shares: the appliance, built once per invocation, and the acting user."""

import getpass
from functools import cached_property

import click

from appliance.bootstrap import Appliance, build_appliance
from appliance.config import Config, load_config
from appliance.domain.actors import Actor


class CliContext:
    @cached_property
    def config(self) -> Config:
        return load_config()

    @cached_property
    def appliance(self) -> Appliance:
        return build_appliance(self.config)

    @cached_property
    def actor(self) -> Actor:
        return Actor(name=f"cli:{getpass.getuser()}", source="local")


pass_context = click.make_pass_decorator(CliContext, ensure=True)
