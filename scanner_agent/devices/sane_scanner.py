"""Scanners through SANE (python-sane): list, open, apply a preset, and read an ADF batch as PNG pages.

Every SANE failure arrives as `sane._sane.error` carrying only SANE's status text; `fault_kind` turns that text
into a `ScanFault.kind` the agent can act on (ask the operator to clear a jam, close the cover, re-plug).
"""

import ctypes
import ctypes.util
import io
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import sane
from PIL import Image

from appliance.domain.errors import InvalidInputError
from scanner_agent.devices import sane_options
from scanner_agent.devices.sane_config import require_initialised
from scanner_agent.devices.sane_options import choose_mode, choose_source, is_duplex_source, is_feeder_source
from scanner_agent.pages import CapturedPage

# Level 1: 0.45 s and 8.5 MB for a noisy 300 dpi A4 colour page here; level 6 took 1.9 s for 7.8 MB.
PNG_COMPRESS_LEVEL = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.signal.argtypes = (ctypes.c_int, ctypes.c_void_p)
_libc.signal.restype = ctypes.c_void_p

FAULT_KINDS = ("jammed", "cover_open", "io_error", "no_docs", "device_gone", "other")
_FAULT_MESSAGES = {
    "Document feeder jammed": "jammed",
    "Scanner cover is open": "cover_open",
    "Error during device I/O": "io_error",
    "Document feeder out of documents": "no_docs",
}


@dataclass(frozen=True)
class DeviceInfo:
    name: str  # what open_scanner takes, e.g. "fujitsu:fi-7160:123" or "net:127.0.0.1:test:0"
    vendor: str
    model: str
    type: str


@dataclass(frozen=True)
class ScanSettings:
    preset: str  # colour, greyscale, bitonal
    mode: str  # SANE mode name: Color, Gray, Lineart
    resolution: int  # dpi
    duplex: bool = False
    source: str | None = None  # None: the scanner's document feeder, chosen by choose_source


# DA/T 31: 300 dpi for all three, colour for colour originals, greyscale, and bitonal for plain text.
PRESETS = {
    "colour": ScanSettings("colour", "Color", 300),
    "greyscale": ScanSettings("greyscale", "Gray", 300),
    "bitonal": ScanSettings("bitonal", "Lineart", 300),
}


class ScanFault(Exception):
    """The scanner stopped a batch: `kind` is one of FAULT_KINDS, `device` the SANE name."""

    def __init__(self, kind: str, device: str, sane_message: str):
        self.kind = kind
        self.device = device
        self.sane_message = sane_message
        super().__init__(f"{device}: {sane_message} ({kind})")


def fault_kind(sane_message: str) -> str:
    """The ScanFault kind for one of SANE's status texts; "other" for any text not listed."""
    return _FAULT_MESSAGES.get(sane_message.strip(), "other")


def settings_for(preset: str, duplex: bool = False, resolution: int | None = None) -> ScanSettings:
    """The settings of a named preset, with duplex and an optional resolution override.

    Raises InvalidInputError for an unknown preset or a resolution that is not a positive number.
    """
    if preset not in PRESETS:
        raise InvalidInputError(f"unknown scan preset {preset!r}; presets are: {', '.join(PRESETS)}")
    if resolution is not None and (not isinstance(resolution, int) or resolution <= 0):
        raise InvalidInputError(f"resolution must be a positive whole number of dpi, not {resolution!r}")
    base = PRESETS[preset]
    return ScanSettings(preset, base.mode, resolution or base.resolution, duplex=duplex)


def list_devices() -> list[DeviceInfo]:
    """The scanners SANE can see now (slow with many backends configured: keep it off request paths).

    Raises RuntimeError if SANE is not initialised, `sane._sane.error` if SANE fails.
    """
    require_initialised()
    return [DeviceInfo(*entry) for entry in sane.get_devices()]


def open_scanner(name: str) -> "Scanner":
    """Open the scanner SANE calls `name`; use it as a context manager.

    Raises ScanFault(kind="device_gone") when SANE cannot open it (unplugged, or never there), RuntimeError if SANE
    is not initialised.
    """
    require_initialised()
    try:
        device = sane.open(name)
    except sane._sane.error as error:
        raise ScanFault("device_gone", name, str(error)) from error
    return Scanner(device, name)


class Scanner:
    """One open SANE device. Options are set only through `set_option`, which checks names and values."""

    def __init__(self, device, name: str):
        self._device = device
        self.name = name

    def __enter__(self) -> "Scanner":
        return self

    def __exit__(self, *exception) -> None:
        self.close()

    def close(self) -> None:
        """Close the device; safe to call twice."""
        if self._device is not None:
            self._device.close()
            self._device = None

    def options(self) -> list[str]:
        """The SANE names of the device's options (e.g. "read-return-value")."""
        return [option.name for option in self._device.opt.values() if option.name]

    def has_option(self, name: str) -> bool:
        return sane_options.python_name(name) in self._device.opt

    def get_option(self, name: str):
        """The current value of an option. Raises InvalidInputError for a name the device does not have."""
        return getattr(self._device, self._option(name).py_name)

    def set_option(self, name: str, value) -> None:
        """Set one option after checking the name against the device and the value against its constraint.

        Raises InvalidInputError naming the option for an unknown name, an inactive or read-only option, a value
        outside the constraint, or a value the backend refuses.
        """
        option = self._option(name)
        checked = sane_options.checked_value(option, value)
        try:
            setattr(self._device, option.py_name, checked)
        except (sane._sane.error, AttributeError, TypeError) as error:
            raise InvalidInputError(f"scanner {self.name} refused {option.name}={checked!r}: {error}") from error

    def _option(self, name: str):
        option = self._device.opt.get(sane_options.python_name(name))
        if option is None or not option.name:
            raise InvalidInputError(f"scanner {self.name} has no option {name!r}; "
                                    f"its options are: {', '.join(self.options())}")
        return option

    def apply(self, settings: ScanSettings) -> None:
        """Set source, mode and resolution (source first: it can change what the others allow).

        Raises InvalidInputError when the device lacks a source, mode or resolution the settings need.
        """
        source = self._source_for(settings)
        if source is not None:
            self.set_option("source", source)
        self.set_option("mode", self._mode_for(settings))
        self.set_option("resolution", settings.resolution)
        if settings.mode != "Lineart" and 8 in self._constraint_list("depth"):
            # python-sane 2.9.2 turns 16-bit grey into a picture twice as tall; 8 bits is what we store anyway.
            self.set_option("depth", 8)

    def _source_for(self, settings: ScanSettings) -> str | None:
        if settings.source is not None:
            return settings.source
        available = self._constraint_list("source")
        chosen = choose_source(available, settings.duplex)
        if chosen is None and settings.duplex:
            raise InvalidInputError(f"scanner {self.name} has no duplex document feeder; "
                                    f"its sources are: {', '.join(available) or 'none'}")
        return chosen

    def _mode_for(self, settings: ScanSettings) -> str:
        available = self._constraint_list("mode")
        return choose_mode(available, settings.mode) or settings.mode

    def _constraint_list(self, name: str) -> list[str]:
        if not self.has_option(name):
            return []
        constraint = self._option(name).constraint
        return list(constraint) if isinstance(constraint, list) else []

    def pages(self) -> Iterator[CapturedPage]:
        """Scan until the feeder is empty (one page from a flatbed), yielding each page as lossless PNG.

        Pages already yielded stay yielded. Raises ScanFault when the backend reports anything but an empty
        feeder after the first page: an empty feeder before any page is ScanFault(kind="no_docs").
        """
        try:
            yield from self._batch()
        finally:
            self._cancel_quietly()

    def _batch(self) -> Iterator[CapturedPage]:
        source = str(self.get_option("source")) if self.has_option("source") else ""
        feeder, duplex = is_feeder_source(source), is_duplex_source(source)
        count = 0
        while True:
            captured = self._acquire(first=count == 0)
            if captured is None:
                return
            side = ("front", "back")[count % 2] if duplex else None
            yield self._captured_page(*captured, side=side)
            count += 1
            if not feeder:
                return

    def _acquire(self, first: bool) -> tuple[Image.Image, tuple] | None:
        """Start and read one page; None when the feeder ran out after at least one page."""
        try:
            self._device.start()
            parameters = self._device.get_parameters()
            return self._device.snap(True), parameters
        except (sane._sane.error, RuntimeError) as error:
            kind = fault_kind(str(error))
            if kind == "no_docs" and not first:
                return None
            raise ScanFault(kind, self.name, str(error)) from error
        finally:
            ignore_broken_pipes()

    def _captured_page(self, image: Image.Image, parameters: tuple, side: str | None) -> CapturedPage:
        colour_mode = sane_options.colour_mode(parameters)
        if colour_mode == "bitonal":
            # python-sane expands 1-bit data to 0/255 greyscale; back to 1 bit is lossless and 8 times smaller.
            image = image.convert("1", dither=Image.Dither.NONE)
        resolution = self._resolution()
        image.info["dpi"] = (resolution, resolution)  # the barcode reader scales by it
        return CapturedPage(data=encode_png(image), media_type="image/png", resolution=resolution,
                            colour_mode=colour_mode, origin=self.name, side=side, image=image)

    def _resolution(self) -> int:
        if not self.has_option("resolution"):
            return 0
        return int(round(float(self.get_option("resolution"))))

    def _cancel_quietly(self) -> None:
        # Ends the batch (a real ADF stops feeding); the device may already be gone, which is what we report.
        try:
            if self._device is not None:
                self._device.cancel()
        except sane._sane.error:
            pass


def ignore_broken_pipes() -> None:
    """Ignore SIGPIPE again, process-wide, from whichever thread scans.

    Measured: a scan with SANE's test backend sets SIGPIPE back to its default, which kills the whole agent the
    next time delivery writes to a connection the appliance closed. Python ignores SIGPIPE at start-up and turns
    EPIPE into BrokenPipeError, which the delivery code handles; libc's signal() restores that from any thread,
    where Python's signal.signal() works only in the main thread.
    """
    _libc.signal(int(signal.SIGPIPE), int(signal.SIG_IGN))


def encode_png(image: Image.Image) -> bytes:
    """The image as PNG bytes at PNG_COMPRESS_LEVEL (lossless; the level only trades size for time)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
