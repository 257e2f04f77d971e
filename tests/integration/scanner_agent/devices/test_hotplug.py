"""HotplugWatcher against udev events from a umockdev test bed (the venv python runs under umockdev-wrapper)."""

from tests.support.sane_backends import run_script, under_umockdev

SCRIPT = "tests.integration.scanner_agent.devices.hotplug_script"


def test_a_scanner_plugged_and_pulled_is_reported_and_a_usb_stick_is_not():
    report = run_script(SCRIPT, "events", wrap=under_umockdev)

    assert report["added"] and report["removed"]
    assert report["events"] == [["add", "/devices/1-1"], ["remove", "/devices/1-1"]]
    assert report["present"] == ["132e"]  # list_usb_scanners sees the scanner and not the stick


def test_a_scanner_pulled_out_mid_batch_is_reported_while_the_batch_is_open():
    report = run_script(SCRIPT, "mid-batch", wrap=under_umockdev)

    assert report["events"] == [["add", "/devices/1-1"], ["remove", "/devices/1-1"]]
    assert report["pages_when_remove_seen"] == 3
