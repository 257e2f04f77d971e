"""Which udev events make the agent re-list its scanners."""

import pytest

from scanner_agent.devices.hotplug import is_scanner_event

SCANNER = {"SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "libsane_matched": "yes", "DEVPATH": "/devices/1-1"}
STICK = {"SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "DEVPATH": "/devices/1-2"}
INTERFACE = {**SCANNER, "DEVTYPE": "usb_interface"}


@pytest.mark.parametrize(("action", "properties", "expected"), [
    ("add", SCANNER, True),
    ("remove", SCANNER, True),
    ("add", STICK, False),
    ("remove", STICK, True),  # udev may have lost the mark: re-listing is cheaper than a ghost scanner
    ("bind", SCANNER, False),
    ("change", SCANNER, False),
    ("add", INTERFACE, False),
    ("add", {**SCANNER, "SUBSYSTEM": "block"}, False),
    ("remove", {}, True),
])
def test_is_scanner_event(action, properties, expected):
    assert is_scanner_event(action, properties) is expected
