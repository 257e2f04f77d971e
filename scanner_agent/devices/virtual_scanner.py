"""A virtual document feeder for development and tests: image files fed through SANE's real `pnm` backend.

The pnm backend reads one PNM file per `sane_start()` from its `filename` option (a second start on the same file
reports end of file), so a batch sets `filename` before each start. Other formats are converted to PNM first.
The backend must be listed in the process's SANE configuration (see sane_config.write_private_config).
"""

import tempfile
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from appliance.domain.errors import InvalidInputError
from scanner_agent.devices.sane_scanner import Scanner, ScanSettings, open_scanner
from scanner_agent.pages import CapturedPage

PNM_DEVICE = "pnm:0"
PNM_SUFFIXES = {".pnm", ".pbm", ".pgm", ".ppm"}
# PNM holds 1-bit, 8-bit grey and 8-bit RGB; other Pillow modes go to the nearest (grey ones to grey).
_GREY_MODES = {"L", "LA", "I", "I;16", "F"}


def open_virtual_scanner(image_paths: list[Path], device_name: str = PNM_DEVICE) -> "VirtualScanner":
    """Open the pnm device as a feeder that holds `image_paths`, in order.

    Raises InvalidInputError for an empty list or a path that is not a file; ScanFault(kind="device_gone") when
    the pnm backend is not configured.
    """
    paths = [Path(path) for path in image_paths]
    if not paths:
        raise InvalidInputError("a virtual scanner needs at least one image file")
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise InvalidInputError(f"virtual scanner images not found: {', '.join(missing)}")
    scanner = open_scanner(device_name)
    return VirtualScanner(scanner._device, scanner.name, paths)


class VirtualScanner(Scanner):
    """A Scanner whose feeder holds the given image files; it runs out after the last one."""

    def __init__(self, device, name: str, image_paths: list[Path]):
        super().__init__(device, name)
        self.image_paths = list(image_paths)

    def apply(self, settings: ScanSettings) -> None:
        """Set the resolution only: the pnm backend has no mode or source, each file carries its own colours.

        Raises InvalidInputError for a resolution the backend does not offer (75 to 300 dpi).
        """
        self.set_option("resolution", settings.resolution)

    def _batch(self) -> Iterator[CapturedPage]:
        with tempfile.TemporaryDirectory(prefix="dangan-virtual-scanner-") as work_dir:
            for number, path in enumerate(self.image_paths, start=1):
                self.set_option("filename", str(as_pnm(path, Path(work_dir) / f"page-{number:04d}.pnm")))
                image, parameters = self._acquire(first=True)
                yield self._captured_page(image, parameters, side=None)
                # Each file is its own scan for the pnm backend; cancel resets it for the next filename.
                self._cancel_quietly()


def as_pnm(path: Path, target: Path) -> Path:
    """`path` itself when it is already PNM, else a PNM copy written to `target`.

    Raises InvalidInputError when Pillow cannot read the file as an image.
    """
    if path.suffix.lower() in PNM_SUFFIXES:
        return path.resolve()
    try:
        with Image.open(path) as image:
            converted = image.convert(_pnm_mode(image.mode))
    except OSError as error:
        raise InvalidInputError(f"virtual scanner cannot read {path} as an image: {error}") from error
    converted.save(target, format="PPM")
    return target


def _pnm_mode(mode: str) -> str:
    if mode == "1":
        return "1"
    return "L" if mode in _GREY_MODES else "RGB"
