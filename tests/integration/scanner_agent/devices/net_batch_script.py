"""Run inside a private network namespace: saned serving the `test` backend, this process scanning through `net`.

Prints one JSON line: the devices the net backend listed, the batch that arrived, and a jam injected over the wire.
"""

import json
import sys
import tempfile
import time
from pathlib import Path

from scanner_agent.devices.sane_config import initialise_sane, write_private_config
from scanner_agent.devices.sane_scanner import ScanFault, list_devices, open_scanner, settings_for
from tests.support.sane_backends import start_saned, stop

DEVICE = "net:127.0.0.1:test:0"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dangan-saned-") as work:
        work_dir = Path(work)
        server_config = write_private_config(work_dir / "server", ["test"], saned_hosts=["127.0.0.1"])
        client_config = write_private_config(work_dir / "client", ["net"], net_hosts=["127.0.0.1"])
        server = start_saned(server_config, work_dir / "saned.log")
        try:
            initialise_sane(client_config)
            report = scan_over_network()
        finally:
            stop(server)
    print(json.dumps(report))


def scan_over_network() -> dict:
    started = time.perf_counter()
    devices = [device.name for device in list_devices()]
    listed_seconds = time.perf_counter() - started
    with open_scanner(DEVICE) as scanner:
        scanner.set_option("read-return-value", "Default")
        scanner.apply(settings_for("greyscale", resolution=100))
        pages = list(scanner.pages())
    return {"devices": devices, "list_seconds": listed_seconds, "pages": len(pages),
            "origins": sorted({page.origin for page in pages}), "modes": sorted({page.colour_mode for page in pages}),
            "resolutions": sorted({page.resolution for page in pages}), "jam": jam_over_network()}


def jam_over_network() -> dict:
    """Two pages, then the backend's read returns JAMMED: the fault must cross saned with its kind intact."""
    yielded = 0
    with open_scanner(DEVICE) as scanner:
        scanner.apply(settings_for("greyscale", resolution=100))
        try:
            for _page in scanner.pages():
                yielded += 1
                if yielded == 2:
                    scanner.set_option("read-return-value", "SANE_STATUS_JAMMED")
        except ScanFault as fault:
            return {"pages": yielded, "kind": fault.kind}
    return {"pages": yielded, "kind": None}


if __name__ == "__main__":
    sys.exit(main())
