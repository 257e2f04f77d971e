"""SANE in a child process, one per scan: what a backend does to its process cannot reach the agent.

Measured here: after a jam, SANE's test backend cancels its reader thread asynchronously, and the thread can die
holding the dynamic loader's lock; the next thread the process creates then hangs forever (with the GIL held, so
the whole process stops). The same reader-thread code (sanei_thread) serves pixma, avision, plustek and others,
and backends also crash outright. So the agent never loads libsane itself: each scan, and each listing of devices,
runs in a fresh child, which also gives every scan a freshly initialised backend.

The parent asks for one page at a time ("next"), so a cancel between pages is exact.
"""

import multiprocessing
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from appliance.domain.errors import InvalidInputError
from scanner_agent.pages import CapturedPage

CONTEXT = multiprocessing.get_context("spawn")  # never fork the agent's threads into a SANE process
START_TIMEOUT_SECONDS = 60  # opening a USB scanner can take a while; listing with many backends ~3.4 s
PAGE_TIMEOUT_SECONDS = 300  # a slow, high-resolution colour page; past this the scanner is taken as stuck
READER_DPI = 150  # the picture the barcode reader needs (it reads at 150 dpi anyway)


class ScanProcessFault(Exception):
    """The scanner (or its process) stopped the scan: `kind` as in sane_scanner.ScanFault."""

    def __init__(self, kind: str, device: str, message: str):
        self.kind, self.device, self.sane_message = kind, device, message
        super().__init__(f"{device}: {message} ({kind})")


def list_devices_isolated(config_dir: Path | None) -> list[dict]:
    """The devices SANE sees, listed in a short-lived child; raises ScanProcessFault if that child fails."""
    with _Child(config_dir, device=None) as child:
        return child.call(("list",), START_TIMEOUT_SECONDS)[1]


class IsolatedScanner:
    """Open with `with IsolatedScanner(...) as scanner:`; then `apply(preset, duplex)` and iterate `pages()`."""

    def __init__(self, device: str, config_dir: Path | None, virtual_pages: list[Path] | None = None):
        self.device = device
        self._child = _Child(config_dir, device, virtual_pages)

    def __enter__(self) -> "IsolatedScanner":
        self._child.__enter__()
        self._child.call(("open",), START_TIMEOUT_SECONDS)
        return self

    def __exit__(self, *exc_info) -> None:
        self._child.__exit__(*exc_info)

    def apply(self, preset: str, duplex: bool) -> None:
        """Raises InvalidInputError for settings the device does not take."""
        self._child.call(("apply", preset, duplex), START_TIMEOUT_SECONDS)

    def pages(self) -> Iterator[CapturedPage]:
        """Pages until the feeder is empty; raises ScanProcessFault like the scanner itself would."""
        while True:
            answer = self._child.call(("next",), PAGE_TIMEOUT_SECONDS)
            if answer[0] == "end":
                return
            yield self._page(answer[1])

    def _page(self, fields: dict) -> CapturedPage:
        data = self._child.receive_bytes()
        mode, size, dpi = fields.pop("picture")
        picture = Image.frombytes(mode, tuple(size), self._child.receive_bytes())
        picture.info["dpi"] = (dpi, dpi)
        return CapturedPage(data=data, image=picture, **fields)


class _Child:
    def __init__(self, config_dir: Path | None, device: str | None, virtual_pages: list[Path] | None = None):
        self._arguments = (str(config_dir) if config_dir else None, device,
                           [str(path) for path in virtual_pages] if virtual_pages else None)
        self._connection = None
        self._process = None

    def __enter__(self) -> "_Child":
        parent_end, child_end = CONTEXT.Pipe()
        self._process = CONTEXT.Process(target=serve, args=(child_end, *self._arguments), daemon=True,
                                        name="dangan-scan")
        self._process.start()
        child_end.close()
        self._connection = parent_end
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            if self._process.is_alive():
                self._connection.send(("close",))
                self._process.join(10)
        except OSError:
            pass
        finally:
            if self._process.is_alive():
                self._process.kill()  # a backend stuck in its cancel: the USB device resets when reopened
            self._process.join()
            self._connection.close()

    def call(self, request: tuple, timeout: float) -> tuple:
        try:
            self._connection.send(request)
            if not self._connection.poll(timeout):
                self._process.kill()
                raise ScanProcessFault("other", self._arguments[1] or "sane", f"no answer within {timeout:g} s")
            answer = self._connection.recv()
        except (EOFError, OSError):
            raise ScanProcessFault("device_gone", self._arguments[1] or "sane", self._died()) from None
        return _raise_for(answer, self._arguments[1] or "sane")

    def receive_bytes(self) -> bytes:
        try:
            return self._connection.recv_bytes()
        except (EOFError, OSError):
            raise ScanProcessFault("device_gone", self._arguments[1] or "sane", self._died()) from None

    def _died(self) -> str:
        self._process.join(5)
        code = self._process.exitcode
        return f"the scanner process died (exit {code})" if code is not None else "the scanner process hung up"


def _raise_for(answer: tuple, device: str) -> tuple:
    if answer[0] == "fault":
        raise ScanProcessFault(*answer[1:])
    if answer[0] == "invalid":
        raise InvalidInputError(answer[1])
    if answer[0] == "error":
        raise ScanProcessFault("other", device, answer[1])
    return answer


# ---- the child ---------------------------------------------------------------------------------------------------


def serve(connection, config_dir: str | None, device: str | None, virtual_pages: list[str] | None) -> None:
    """The child's loop: one request, one answer, until "close" or the parent goes away."""
    from scanner_agent.devices.sane_scanner import ScanFault  # libsane is loaded here, in the child only

    session = _Session(config_dir, device, virtual_pages)
    try:
        while True:
            try:
                request = connection.recv()
            except EOFError:
                return
            if request[0] == "close":
                return
            try:
                session.handle(connection, request)
            except ScanFault as fault:
                connection.send(("fault", fault.kind, fault.device, fault.sane_message))
            except InvalidInputError as error:
                connection.send(("invalid", str(error)))
            except Exception as error:  # anything else ends this scan with its text, never silently
                connection.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        session.close()


class _Session:
    def __init__(self, config_dir: str | None, device: str | None, virtual_pages: list[str] | None):
        from scanner_agent.devices.sane_config import initialise_sane

        initialise_sane(Path(config_dir) if config_dir else None)
        self.device, self.virtual_pages = device, virtual_pages
        self.scanner = None
        self.pages = None

    def handle(self, connection, request: tuple) -> None:
        from scanner_agent.devices import sane_scanner, virtual_scanner

        if request[0] == "list":
            connection.send(("ok", [asdict(found) for found in sane_scanner.list_devices()]))
        elif request[0] == "open":
            self.scanner = (virtual_scanner.open_virtual_scanner([Path(p) for p in self.virtual_pages])
                            if self.virtual_pages else sane_scanner.open_scanner(self.device))
            connection.send(("ok",))
        elif request[0] == "apply":
            self.scanner.apply(sane_scanner.settings_for(request[1], request[2]))
            connection.send(("ok",))
        elif request[0] == "next":
            self._send_next_page(connection)

    def _send_next_page(self, connection) -> None:
        if self.pages is None:
            self.pages = self.scanner.pages()
        page = next(self.pages, None)
        if page is None:
            connection.send(("end",))
            return
        picture = _reader_picture(page)
        fields = {"media_type": page.media_type, "resolution": page.resolution, "colour_mode": page.colour_mode,
                  "origin": page.origin, "side": page.side,
                  "picture": (picture.mode, picture.size, picture.info["dpi"][0])}
        connection.send(("page", fields))
        connection.send_bytes(page.data)
        connection.send_bytes(picture.tobytes())

    def close(self) -> None:
        if self.pages is not None:
            self.pages.close()  # cancels the scan before the device closes
        if self.scanner is not None:
            self.scanner.close()


def _reader_picture(page: CapturedPage) -> Image.Image:
    """A greyscale copy at the barcode reader's resolution: a tenth of the bytes of the colour page."""
    image, dpi = page.image, page.resolution or 300
    grey = image.convert("L") if image.mode != "L" else image
    if dpi > READER_DPI:
        grey = grey.resize((round(grey.width * READER_DPI / dpi), round(grey.height * READER_DPI / dpi)),
                           Image.Resampling.BOX)
        dpi = READER_DPI
    grey.info["dpi"] = (dpi, dpi)
    return grey
