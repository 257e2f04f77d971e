"""Pure rules: which feeder source and mode to pick, which option values fit, how SANE faults are named."""

import pytest
import sane

from appliance.domain.errors import InvalidInputError
from scanner_agent.devices.sane_options import checked_value, choose_mode, choose_source, colour_mode
from scanner_agent.devices.sane_scanner import PRESETS, ScanSettings, fault_kind, settings_for

SETTABLE = sane._sane.CAP_SOFT_SELECT | sane._sane.CAP_SOFT_DETECT


@pytest.mark.parametrize(("available", "duplex", "expected"), [
    (["Flatbed", "Automatic Document Feeder"], False, "Automatic Document Feeder"),  # the test backend
    (["Flatbed", "Automatic Document Feeder"], True, None),
    (["ADF Front", "ADF Back", "ADF Duplex"], False, "ADF Front"),  # fujitsu, avision, canon_dr
    (["ADF Front", "ADF Back", "ADF Duplex"], True, "ADF Duplex"),
    (["Flatbed", "ADF", "Duplex"], True, "Duplex"),
    (["Flatbed", "ADF", "Duplex"], False, "ADF"),
    (["Flatbed"], False, None),
    ([], False, None),
    (["Flatbed", "Automatic Document Feeder(left aligned)", "Automatic Document Feeder(left aligned,Duplex)"],
     False, "Automatic Document Feeder(left aligned)"),  # unknown names fall back to the words they contain
    (["Flatbed", "Automatic Document Feeder(left aligned)", "Automatic Document Feeder(left aligned,Duplex)"],
     True, "Automatic Document Feeder(left aligned,Duplex)"),
    (["ADF Back", "Flatbed"], False, None),  # the back side alone is not a simplex feeder
])
def test_choose_source(available, duplex, expected):
    assert choose_source(available, duplex) == expected


@pytest.mark.parametrize(("available", "wanted", "expected"), [
    (["Lineart", "Gray", "Color"], "Lineart", "Lineart"),
    (["Binary", "Gray", "Color"], "Lineart", "Binary"),
    (["Black & White", "Grey", "Colour"], "Gray", "Grey"),
    (["Gray", "Color"], "Lineart", None),
])
def test_choose_mode(available, wanted, expected):
    assert choose_mode(available, wanted) == expected


@pytest.mark.parametrize(("message", "kind"), [
    ("Document feeder jammed", "jammed"),
    ("Scanner cover is open", "cover_open"),
    ("Error during device I/O", "io_error"),
    ("Document feeder out of documents", "no_docs"),
    ("Device busy", "other"),
    ("Scanner returned no data", "other"),
])
def test_fault_kind(message, kind):
    assert fault_kind(message) == kind


@pytest.mark.parametrize(("parameters", "mode"), [
    (("color", 1, (10, 10), 8, 30), "colour"),
    (("gray", 1, (10, 10), 8, 10), "greyscale"),
    (("gray", 1, (10, 10), 1, 2), "bitonal"),
])
def test_colour_mode_follows_the_frame(parameters, mode):
    assert colour_mode(parameters) == mode


def option(option_type, constraint, name="resolution", capabilities=SETTABLE):
    """A real python-sane Option built from the tuple the C module returns for a device."""
    return sane.Option((1, name, name, "", option_type, 0, 4, capabilities, constraint), None)


def test_checked_value_converts_and_checks_ranges_and_lists():
    fixed_range = option(sane._sane.TYPE_FIXED, (1.0, 1200.0, 1.0))
    assert checked_value(fixed_range, 300) == 300.0
    with pytest.raises(InvalidInputError, match="cannot be 300.5; allowed: 1 to 1200 in steps of 1"):
        checked_value(fixed_range, 300.5)
    word_list = option(sane._sane.TYPE_INT, [75, 150, 300])
    assert checked_value(word_list, 150.0) == 150
    with pytest.raises(InvalidInputError, match="allowed: 75, 150, 300"):
        checked_value(word_list, 200)


def test_checked_value_refuses_wrong_types_and_read_only_options():
    with pytest.raises(InvalidInputError, match="mode takes a text"):
        checked_value(option(sane._sane.TYPE_STRING, ["Gray"], name="mode"), 8)
    with pytest.raises(InvalidInputError, match="cannot be set"):
        checked_value(option(sane._sane.TYPE_INT, None, capabilities=sane._sane.CAP_SOFT_DETECT), 1)
    with pytest.raises(InvalidInputError, match="inactive"):
        checked_value(option(sane._sane.TYPE_INT, None, capabilities=SETTABLE | sane._sane.CAP_INACTIVE), 1)


def test_presets_follow_da_t_31_and_settings_for_overrides():
    assert {name: (preset.mode, preset.resolution) for name, preset in PRESETS.items()} == {
        "colour": ("Color", 300), "greyscale": ("Gray", 300), "bitonal": ("Lineart", 300)}
    assert settings_for("bitonal", duplex=True, resolution=400) == ScanSettings("bitonal", "Lineart", 400, True)
    with pytest.raises(InvalidInputError, match="unknown scan preset 'sepia'"):
        settings_for("sepia")
    with pytest.raises(InvalidInputError, match="positive whole number"):
        settings_for("colour", resolution=0)
