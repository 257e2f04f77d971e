"""SANE fixtures: one private configuration for the whole pytest process (libsane starts once per process)."""

import pytest

from scanner_agent.devices.sane_scanner import open_scanner
from tests.support.sane_backends import shared_test_config


@pytest.fixture(scope="session")
def sane_backends():
    """SANE initialised with a private dll.conf listing `test` and `pnm`."""
    return shared_test_config()


@pytest.fixture
def test_scanner(sane_backends):
    """The `test` backend's first device, with the fault switch cleared.

    The backend keeps option values across opens within a process (its page counter does reset), so an
    injected fault from an earlier test would otherwise still be set.
    """
    with open_scanner("test:0") as scanner:
        scanner.set_option("read-return-value", "Default")
        yield scanner
