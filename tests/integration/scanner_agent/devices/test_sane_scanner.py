"""The SANE `test` backend through python-sane: ADF batches, injected faults, option checks."""

import io

import pytest
from PIL import Image

from appliance.domain.errors import InvalidInputError
from scanner_agent.devices.sane_scanner import (
    DeviceInfo,
    ScanFault,
    ScanSettings,
    list_devices,
    open_scanner,
    settings_for,
)

FAST = settings_for("greyscale", resolution=75)
PRESET_COLOUR = settings_for("colour")


def scan_until_fault(scanner, fault_after: int, status: str) -> tuple[list, ScanFault]:
    """Read a batch, switching the backend's read status to `status` after `fault_after` pages."""
    yielded = []
    with pytest.raises(ScanFault) as caught:
        for page in scanner.pages():
            yielded.append(page)
            if len(yielded) == fault_after:
                scanner.set_option("read-return-value", status)
    return yielded, caught.value


def test_the_private_configuration_lists_the_test_and_pnm_devices(sane_backends):
    devices = list_devices()

    assert DeviceInfo("test:0", "Noname", "frontend-tester", "virtual device") in devices
    assert {device.name for device in devices} >= {"test:0", "test:1", "pnm:0"}


def test_an_adf_batch_ends_normally_after_ten_pages(test_scanner):
    test_scanner.apply(PRESET_COLOUR)
    test_scanner.set_option("test-picture", "Color pattern")

    pages = list(test_scanner.pages())

    assert len(pages) == 10
    first = Image.open(io.BytesIO(pages[0].data))
    assert (first.format, first.mode, first.size) == ("PNG", "RGB", (944, 1181))  # 80 x 100 mm at 300 dpi
    assert {(page.resolution, page.colour_mode, page.origin, page.side, page.media_type) for page in pages} == {
        (300, "colour", "test:0", None, "image/png")}


def test_apply_brings_a_sixteen_bit_device_back_to_eight_bits(test_scanner):
    test_scanner.set_option("depth", 16)

    test_scanner.apply(FAST)
    page = next(test_scanner.pages())

    assert Image.open(io.BytesIO(page.data)).size == (236, 295)  # 80 x 100 mm at 75 dpi, not twice as tall


def test_one_bit_pages_come_back_as_bitonal_one_bit_png(test_scanner):
    test_scanner.apply(FAST)
    test_scanner.set_option("depth", 1)  # the test backend's way to bitonal: it has no Lineart mode

    page = next(test_scanner.pages())

    assert page.colour_mode == "bitonal"
    assert Image.open(io.BytesIO(page.data)).mode == "1"


def test_a_jam_mid_batch_keeps_the_pages_so_far_and_raises_jammed(test_scanner):
    test_scanner.apply(FAST)

    yielded, fault = scan_until_fault(test_scanner, 4, "SANE_STATUS_JAMMED")

    assert len(yielded) == 4
    assert (fault.kind, fault.device, fault.sane_message) == ("jammed", "test:0", "Document feeder jammed")


def test_an_open_cover_mid_batch_raises_cover_open(test_scanner):
    test_scanner.apply(FAST)

    yielded, fault = scan_until_fault(test_scanner, 2, "SANE_STATUS_COVER_OPEN")

    assert len(yielded) == 2
    assert fault.kind == "cover_open"


def test_an_io_error_is_reported_as_io_error(test_scanner):
    test_scanner.apply(FAST)

    yielded, fault = scan_until_fault(test_scanner, 1, "SANE_STATUS_IO_ERROR")

    assert (len(yielded), fault.kind) == (1, "io_error")


def test_after_a_jam_a_fresh_open_scans_again(test_scanner):
    test_scanner.apply(FAST)
    scan_until_fault(test_scanner, 3, "SANE_STATUS_JAMMED")
    test_scanner.close()

    with open_scanner("test:0") as reopened:
        reopened.set_option("read-return-value", "Default")  # the operator cleared the jam
        reopened.apply(FAST)
        resumed = list(reopened.pages())

    assert len(resumed) == 10  # the test backend refills its feeder on open


def test_a_feeder_that_runs_out_mid_batch_ends_the_batch_without_a_fault(test_scanner):
    test_scanner.apply(FAST)
    pages = []
    for page in test_scanner.pages():
        pages.append(page)
        if len(pages) == 5:
            test_scanner.set_option("read-return-value", "SANE_STATUS_NO_DOCS")

    assert len(pages) == 5


def test_an_empty_feeder_before_the_first_page_is_a_no_docs_fault(test_scanner):
    test_scanner.apply(FAST)
    test_scanner.set_option("read-return-value", "SANE_STATUS_NO_DOCS")

    with pytest.raises(ScanFault) as caught:
        list(test_scanner.pages())

    assert caught.value.kind == "no_docs"


def test_a_flatbed_source_gives_one_page(test_scanner):
    test_scanner.apply(ScanSettings("greyscale", "Gray", 75, source="Flatbed"))

    assert len(list(test_scanner.pages())) == 1


def test_an_unknown_option_name_is_refused_with_the_devices_options(test_scanner):
    with pytest.raises(InvalidInputError, match="no option 'resolutoin'.*read-return-value"):
        test_scanner.set_option("resolutoin", 300)


def test_a_resolution_outside_the_range_is_refused(test_scanner):
    with pytest.raises(InvalidInputError, match="resolution cannot be 5000.0; allowed: 1 to 1200"):
        test_scanner.apply(settings_for("greyscale", resolution=5000))


def test_a_mode_the_device_lacks_is_refused_with_its_modes(test_scanner):
    with pytest.raises(InvalidInputError, match="mode cannot be 'Lineart'; allowed: Gray, Color"):
        test_scanner.apply(settings_for("bitonal"))


def test_duplex_on_a_simplex_feeder_is_refused(test_scanner):
    with pytest.raises(InvalidInputError, match="no duplex document feeder.*Automatic Document Feeder"):
        test_scanner.apply(settings_for("greyscale", duplex=True))


def test_a_value_of_the_wrong_type_is_refused(test_scanner):
    with pytest.raises(InvalidInputError, match="source takes a text"):
        test_scanner.set_option("source", 1)


def test_opening_a_device_that_is_not_there_is_device_gone(sane_backends):
    with pytest.raises(ScanFault) as caught:
        open_scanner("fujitsu:fi-7160:999")

    assert caught.value.kind == "device_gone"
