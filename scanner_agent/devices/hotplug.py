"""USB scanners coming and going, seen through udev (pyudev); the agent re-lists SANE devices when told.

udev's hwdb marks a USB device that some SANE backend drives with `libsane_matched=yes` (20-sane.hwdb). A remove
event usually repeats the properties udev stored at add time, but not always (a database lost across a udevd
restart, a device plugged before the rule existed), so a remove without the mark still counts: a needless
re-listing costs a few seconds, a missed one leaves a vanished scanner on the console.
"""

import logging
from collections.abc import Callable, Mapping

import pyudev

SCANNER_ACTIONS = ("add", "remove")
_log = logging.getLogger(__name__)


def is_scanner_event(action: str, properties: Mapping[str, str]) -> bool:
    """Whether a udev event may change the list of scanners: a USB device marked for SANE added or removed.

    A remove without `libsane_matched` counts (see the module's note); an add without it does not.
    """
    if action not in SCANNER_ACTIONS:
        return False
    if properties.get("SUBSYSTEM", "usb") != "usb" or properties.get("DEVTYPE", "usb_device") != "usb_device":
        return False
    marked = properties.get("libsane_matched")
    if action == "add":
        return marked == "yes"
    return marked in (None, "yes")


def list_usb_scanners(context: pyudev.Context | None = None) -> list[dict[str, str]]:
    """The udev properties of every USB device marked for SANE now present (call once at start)."""
    context = context or pyudev.Context()
    # Not list_devices(..., libsane_matched="yes"): libudev ORs property matches, so that lists every usb_device.
    devices = context.list_devices(subsystem="usb", DEVTYPE="usb_device")
    return [dict(device.properties) for device in devices if device.properties.get("libsane_matched") == "yes"]


class HotplugWatcher:
    """Calls `on_change(action, properties)` from a background thread for each scanner event.

    start() and stop() bracket the watching; an exception in on_change is logged and watching goes on.
    """

    def __init__(self, on_change: Callable[[str, dict], None]):
        self._on_change = on_change
        self._observer: pyudev.MonitorObserver | None = None

    def start(self) -> None:
        """Begin listening to udev. Raises RuntimeError if already started, OSError if netlink is refused."""
        if self._observer is not None:
            raise RuntimeError("the hotplug watcher is already running")
        monitor = pyudev.Monitor.from_netlink(pyudev.Context())
        monitor.filter_by(subsystem="usb", device_type="usb_device")
        # Bind the socket now: the observer thread would do it later, and events in between would be lost.
        monitor.start()
        self._observer = pyudev.MonitorObserver(monitor, callback=self._handle, name="dangan-hotplug")
        self._observer.start()

    def stop(self) -> None:
        """Stop listening and wait for the thread; safe to call when not started."""
        if self._observer is not None:
            self._observer.stop()
            self._observer = None

    def _handle(self, device: pyudev.Device) -> None:
        action = device.action or ""
        properties = dict(device.properties)
        if not is_scanner_event(action, properties):
            return
        try:
            self._on_change(action, properties)
        except Exception:
            # The observer thread would die with it, and with it every later plug event.
            _log.exception("hotplug handler failed for %s %s", action, properties.get("DEVPATH"))
