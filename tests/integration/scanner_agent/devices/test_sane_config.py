"""The private SANE configuration directory, and SANE's once-per-process start."""

import pytest

from scanner_agent.devices.sane_config import initialise_sane, write_private_config


def test_the_private_configuration_lists_backends_and_hosts(tmp_path):
    directory = write_private_config(tmp_path / "sane.d", ["test", "pnm", "net"], net_hosts=["127.0.0.1"],
                                     saned_hosts=["127.0.0.1", "::1"])

    def lines(name):
        return [line for line in (directory / name).read_text().splitlines() if not line.startswith("#")]

    assert lines("dll.conf") == ["test", "pnm", "net"]
    assert lines("net.conf") == ["127.0.0.1"]
    assert lines("saned.conf") == ["127.0.0.1", "::1"]
    assert "number_of_devices" in (directory / "test.conf").read_text()  # copied from /etc/sane.d
    assert not (directory / "pnm.conf").exists()  # the system has none to copy


@pytest.mark.parametrize("backends", [[], ["test\nnet"], ["../evil"]])
def test_bad_backend_lists_are_refused(tmp_path, backends):
    with pytest.raises(ValueError):
        write_private_config(tmp_path, backends)


def test_sane_cannot_switch_configuration_once_started(sane_backends, tmp_path):
    initialise_sane(sane_backends)  # the same directory again: nothing happens

    with pytest.raises(RuntimeError, match="already initialised"):
        initialise_sane(write_private_config(tmp_path, ["test"]))
