"""Start the scanner agent from the appliance's config: `dangan agent` (or the dangan-agent service)."""

import logging
import signal
import socket
import threading
from pathlib import Path

from appliance.config import Config
from scanner_agent.agent import Agent, AgentSettings
from scanner_agent.devices.hotplug import HotplugWatcher
from scanner_agent.devices.sane_config import write_private_config

log = logging.getLogger("dangan.agent")


def agent_settings(config: Config) -> AgentSettings:
    """Raises OSError when the agent token cannot be read (run `dangan init` on the appliance)."""
    spool = config.agent_spool
    virtual_stack = config.virtual_stack if config.agent.virtual_scanner else None
    return AgentSettings(
        name=config.agent.name or socket.gethostname(),
        appliance_url=config.agent.appliance_url,
        token=config.agent_token_file.read_text(encoding="ascii").strip(),
        spool=spool,
        operator=config.agent.operator,
        hot_folder=config.agent.hot_folder,
        virtual_stack=virtual_stack,
        heartbeat_seconds=config.agent.heartbeat_seconds,
        sane_config_dir=sane_config_dir(config),
        console_certificate=config.agent.console_certificate,
    )


def sane_config_dir(config: Config) -> Path | None:
    """The virtual scanner needs SANE's pnm backend, which a production dll.conf leaves out: use a private one."""
    config_dir = config.agent.sane_config_dir
    if config_dir is None and config.agent.virtual_scanner:
        config_dir = write_private_config(config.agent_spool / "sane", ["pnm"])
    return config_dir


def run_agent(config: Config) -> None:
    """Run until SIGTERM or SIGINT."""
    agent = Agent(agent_settings(config))
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    watcher = HotplugWatcher(agent.devices_changed)
    try:
        watcher.start()
    except Exception as error:  # no udev (a container, a test box): scanners are listed at start only
        log.warning("USB hotplug is not followed: %s", error)
        watcher = None
    try:
        agent.run(stop)
    finally:
        if watcher:
            watcher.stop()
