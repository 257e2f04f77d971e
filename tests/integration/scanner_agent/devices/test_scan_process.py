"""SANE in a child process: pages come through, faults come back as faults, a dead child is a fault, not a hang."""

import os
import signal
import threading

import pytest

from scanner_agent.devices.scan_process import IsolatedScanner, ScanProcessFault, list_devices_isolated
from tests.support.sane_backends import shared_test_config


@pytest.fixture
def config_dir(tmp_path):
    import shutil

    return shutil.copytree(shared_test_config(), tmp_path / "sane")


def set_read_status(config_dir, value: str) -> None:
    test_conf = config_dir / "test.conf"
    lines = [line for line in test_conf.read_text().splitlines() if not line.startswith("read-status-code")]
    test_conf.write_text("\n".join([*lines, f'read-status-code "{value}"']) + "\n")


def test_devices_are_listed_in_a_child(config_dir):
    names = [device["name"] for device in list_devices_isolated(config_dir)]
    assert "test:0" in names and "pnm:0" in names


def test_an_adf_batch_comes_through_with_a_picture_for_the_barcode_reader(config_dir):
    with IsolatedScanner("test:0", config_dir) as scanner:
        scanner.apply("greyscale", False)
        pages = list(scanner.pages())
    assert len(pages) == 10
    assert {page.colour_mode for page in pages} == {"greyscale"} and pages[0].data.startswith(b"\x89PNG")
    assert pages[0].image.mode == "L" and pages[0].image.info["dpi"][0] <= 150


def test_a_jam_is_a_fault_and_the_agent_process_still_makes_threads(config_dir):
    set_read_status(config_dir, "SANE_STATUS_JAMMED")
    for _ in range(5):  # in-process, this is what left the loader lock held and hung the next thread start
        with IsolatedScanner("test:0", config_dir) as scanner, pytest.raises(ScanProcessFault) as fault:
            scanner.apply("greyscale", False)
            list(scanner.pages())
        assert fault.value.kind == "jammed"
    started = threading.Thread(target=lambda: None)
    started.start()
    started.join(timeout=5)
    assert not started.is_alive()


def test_a_setting_the_device_does_not_take_is_refused_clearly(config_dir):
    from appliance.domain.errors import InvalidInputError

    with IsolatedScanner("test:0", config_dir) as scanner, pytest.raises(InvalidInputError, match="Lineart|mode"):
        scanner.apply("bitonal", False)  # the test backend has no lineart mode


def test_a_scanner_process_that_dies_mid_batch_is_a_fault(config_dir):
    with IsolatedScanner("test:0", config_dir) as scanner:
        scanner.apply("greyscale", False)
        pages = scanner.pages()
        next(pages)
        os.kill(scanner._child._process.pid, signal.SIGKILL)
        with pytest.raises(ScanProcessFault) as fault:
            list(pages)
    assert fault.value.kind == "device_gone" and "died" in fault.value.sane_message


def test_an_unknown_device_is_a_fault_naming_it(config_dir):
    with pytest.raises(ScanProcessFault) as fault, IsolatedScanner("nosuch:0", config_dir):
        pass
    assert fault.value.kind == "device_gone" and fault.value.device == "nosuch:0"
