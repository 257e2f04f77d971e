"""Run under umockdev-wrapper: USB devices appear and vanish in a umockdev test bed while HotplugWatcher listens.

`python -m ...hotplug_script events` plugs a non-scanner and a scanner, then pulls the scanner;
`python -m ...hotplug_script mid-batch` pulls the scanner while a SANE `test` backend batch is being read.
Prints one JSON line. The venv cannot import `gi`, so Debian's dist-packages is added here and only here.
"""

import json
import sys
import tempfile
import threading
from pathlib import Path

sys.path.append("/usr/lib/python3/dist-packages")
import gi  # noqa: E402

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

from scanner_agent.devices.hotplug import HotplugWatcher, list_usb_scanners  # noqa: E402

SCANNER_ATTRIBUTES = ["idVendor", "04c5", "idProduct", "132e", "product", "fi-7160"]
SCANNER_PROPERTIES = ["DEVTYPE", "usb_device", "libsane_matched", "yes", "ID_VENDOR_ID", "04c5", "ID_MODEL_ID", "132e"]
STICK_PROPERTIES = ["DEVTYPE", "usb_device", "ID_VENDOR_ID", "0781"]
WAIT_SECONDS = 5


class Recorder:
    """Collects watcher callbacks; `wait_for(count)` blocks until that many have arrived."""

    def __init__(self):
        self.events: list[tuple[str, str]] = []
        self._arrived = threading.Condition()

    def __call__(self, action: str, properties: dict) -> None:
        with self._arrived:
            self.events.append((action, properties.get("DEVPATH", "")))
            self._arrived.notify_all()

    def wait_for(self, count: int) -> bool:
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.events) >= count, timeout=WAIT_SECONDS)


def events_scenario(bed) -> dict:
    recorder = Recorder()
    watcher = HotplugWatcher(recorder)
    watcher.start()
    try:
        bed.add_device("usb", "1-2", None, ["idVendor", "0781"], STICK_PROPERTIES)
        scanner_path = bed.add_device("usb", "1-1", None, SCANNER_ATTRIBUTES, SCANNER_PROPERTIES)
        added = recorder.wait_for(1)
        present = [properties.get("ID_MODEL_ID") for properties in list_usb_scanners()]
        bed.uevent(scanner_path, "remove")
        bed.remove_device(scanner_path)
        removed = recorder.wait_for(2)
    finally:
        watcher.stop()
    return {"added": added, "removed": removed, "present": present, "events": recorder.events}


def mid_batch_scenario(bed) -> dict:
    """A 10-sheet ADF batch on the `test` backend; the scanner's USB device is pulled after the third page."""
    from scanner_agent.devices.sane_config import initialise_sane, write_private_config
    from scanner_agent.devices.sane_scanner import open_scanner, settings_for

    initialise_sane(write_private_config(Path(tempfile.mkdtemp(prefix="dangan-sane-")), ["test"]))
    recorder = Recorder()
    watcher = HotplugWatcher(recorder)
    watcher.start()
    scanner_path = bed.add_device("usb", "1-1", None, SCANNER_ATTRIBUTES, SCANNER_PROPERTIES)
    recorder.wait_for(1)
    pages_when_seen = None
    with open_scanner("test:0") as scanner:
        scanner.apply(settings_for("greyscale", resolution=75))
        batch = scanner.pages()
        for number, _page in enumerate(batch, start=1):
            if number == 3:
                bed.uevent(scanner_path, "remove")
                # The batch is suspended mid-way here: the report must arrive while it is still open.
                pages_when_seen = number if recorder.wait_for(2) else None
                break
        batch.close()
    watcher.stop()
    return {"events": recorder.events, "pages_when_remove_seen": pages_when_seen}


def main() -> None:
    bed = UMockdev.Testbed.new()
    scenarios = {"events": events_scenario, "mid-batch": mid_batch_scenario}
    print(json.dumps(scenarios[sys.argv[1]](bed)))


if __name__ == "__main__":
    main()
