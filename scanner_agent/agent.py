"""The scanner agent: devices, scans asked for by the appliance, the hot folder, the outbox and its delivery.

Threads: the deliverer drains the outbox; the heartbeat reports state and collects scan requests; the main loop
runs one batch at a time (a scanner, or files from the hot folder). Nothing here waits for the appliance: a box
whose web service is down keeps scanning into the outbox.
"""

import contextlib
import functools
import logging
import queue
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from appliance.domain.errors import DanganError, InvalidInputError
from appliance.domain.intake_manifest import CaptureInfo
from scanner_agent.appliance_client import ApplianceClient, ApplianceRefusedError, ApplianceUnavailableError
from scanner_agent.barcodes import IsolatedDecoder
from scanner_agent.capture import BatchProgress, BatchRun, BatchSpool, new_batch, unfinished_spools
from scanner_agent.delivery import Deliverer, IntakeClient
from scanner_agent.devices.sane_scanner import DeviceInfo
from scanner_agent.devices.scan_process import IsolatedScanner, ScanProcessFault, list_devices_isolated
from scanner_agent.file_sources import UnreadableFileError
from scanner_agent.hot_folder import HotFolder
from scanner_agent.ingest import ingest_files
from scanner_agent.outbox import Outbox, OutboxError
from scanner_agent.pinning import pinned_context
from scanner_agent.reports import ReportSpool

log = logging.getLogger("dangan.agent")
VIRTUAL_DEVICE = "virtual"


@dataclass(frozen=True)
class AgentSettings:
    name: str
    appliance_url: str
    token: str
    spool: Path  # batches/, outbox/, reports/
    operator: str = ""
    hot_folder: Path | None = None
    virtual_stack: Path | None = None  # images the virtual scanner feeds, in name order
    heartbeat_seconds: float = 2.0
    sane_config_dir: Path | None = None  # None: the system's /etc/sane.d
    console_certificate: Path | None = None  # trusted alone, whatever names it holds (scanner_agent/pinning.py)


def appliance_clients(settings: AgentSettings) -> tuple[IntakeClient, ApplianceClient]:
    """The two ways an agent talks to the console (documents, and everything else), both trusting what
    `settings` pins. Raises OSError or InvalidInputError for an unreadable pinned certificate."""
    tls = pinned_context(settings.console_certificate) if settings.console_certificate else None
    return (IntakeClient(settings.appliance_url, settings.token, ssl_context=tls, agent_name=settings.name),
            ApplianceClient(settings.appliance_url, settings.token, settings.name, ssl_context=tls))


class Agent:
    def __init__(self, settings: AgentSettings):
        self.settings = settings
        self.batches_root = settings.spool / "batches"
        self.batches_root.mkdir(parents=True, exist_ok=True)
        self.reports = ReportSpool(settings.spool / "reports")
        self.outbox = Outbox(settings.spool / "outbox")
        intake, self.client = appliance_clients(settings)
        self.deliverer = Deliverer(self.outbox, intake)
        self.decoder = IsolatedDecoder()
        self.requests: queue.Queue = queue.Queue()
        self.devices: list[DeviceInfo] = []
        self.progress: BatchProgress | None = None
        self.last_error: str | None = None
        self._devices_changed = threading.Event()
        # on the share itself: files move by rename, which cannot cross into the spool's filesystem
        self.hot_folder = None
        if settings.hot_folder:
            self.hot_folder = HotFolder(settings.hot_folder, settings.hot_folder / ".dangan")

    # the loops

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set."""
        self.recover()
        self.refresh_devices()
        threads = [threading.Thread(target=self.deliverer.run, args=(stop,), name="delivery", daemon=True),
                   threading.Thread(target=self._heartbeat_loop, args=(stop,), name="heartbeat", daemon=True)]
        for thread in threads:
            thread.start()
        with self.decoder:
            while not stop.is_set():
                self._work_once(timeout=1.0)
        for thread in threads:
            thread.join(timeout=5)

    def _work_once(self, timeout: float) -> None:
        if self._devices_changed.is_set():
            self._devices_changed.clear()
            self.refresh_devices()
        try:
            request = self.requests.get(timeout=timeout)
        except queue.Empty:
            self.poll_hot_folder()
            return
        self.scan(request)

    def _heartbeat_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.heartbeat()
            except Exception:  # the heartbeat must outlive anything one beat runs into
                log.exception("heartbeat failed")
            stop.wait(self.settings.heartbeat_seconds)

    def heartbeat(self) -> None:
        """Report state, take the scans asked for, and send batch reports the appliance has not had yet."""
        try:
            for request in self.client.heartbeat(self.state()):
                self.requests.put(request)
            self.reports.send_all(self.client)
        except ApplianceUnavailableError as error:
            log.info("heartbeat: %s", error)
            return
        if self.outbox.counts().pending:
            self.deliverer.notify()  # the appliance answers again: deliver now, not when the backoff ends

    def devices_changed(self, action: str, properties: dict) -> None:
        """The hotplug watcher's callback: a scanner came or went; list the devices again on the main loop."""
        log.info("scanner %s: %s", action, properties.get("DEVPATH", "?"))
        self._devices_changed.set()

    # state

    def state(self) -> dict:
        return {
            "devices": [asdict(device) for device in self.devices],
            "batch": asdict(self.progress) if self.progress else None,
            "last_error": self.last_error,
            "outbox": self.deliverer.status().to_dict(),
            "interrupted_batches": [spool.batch.id for spool in unfinished_spools(self.batches_root)
                                    if spool.state == "interrupted"],
        }

    def refresh_devices(self) -> None:
        try:
            found = [DeviceInfo(**device) for device in list_devices_isolated(self.settings.sane_config_dir)]
        except ScanProcessFault as error:  # SANE failing to list must not stop the agent; the error is shown
            self.last_error = f"cannot list scanners: {error}"
            found = []
        if self.settings.virtual_stack:  # pnm's own devices are the virtual scanner's engine, not scanners
            found = [device for device in found if not device.name.startswith("pnm:")]
            found.append(DeviceInfo(VIRTUAL_DEVICE, "Dangan", "virtual scanner (sample stack)", "virtual"))
        self.devices = found

    # batches

    def recover(self) -> None:
        """After a crash: drop half-written outbox entries, put what each unfinished batch completed."""
        self.outbox.recover()
        self.reports.recover()
        for spool in unfinished_spools(self.batches_root):
            try:
                run = BatchRun(spool, self.outbox, self._read)
                if spool.state == "finished":  # stopped after its last document: only the report and tidy-up left
                    run.finish(functools.partial(self._keep_report, spool.batch.id, "finished"))
                    continue
                self._keep_report(spool.batch.id, "interrupted", run.interrupt("the agent stopped during the batch"))
            except (OSError, DanganError) as error:
                log.error("batch %s cannot be recovered now: %s", spool.directory.name, error)
        if self.hot_folder is not None:
            for path in self.hot_folder.recover():  # files a crash left half-processed
                self.hot_folder.process(path, self._ingest_one)
        self.deliverer.notify()

    def scan(self, request: dict) -> None:
        """Run one scan request to its end; a fault leaves the batch interrupted, to be resumed."""
        request_id, batch_id, run = request["id"], request.get("resume_batch"), None
        self.reports.mark_running(request_id, batch_id)
        try:
            spool = self._spool_for(request)
            batch_id = spool.batch.id
            self.reports.mark_running(request_id, batch_id)
            run = BatchRun(spool, self.outbox, self._read, on_document=lambda document: self.deliverer.notify())
            self.progress = run.progress
            self._feed(run, request)
            run.finish(functools.partial(self._keep_report, batch_id, "finished"))
            self._finish_request(request_id, "done", batch_id, None)
        except (ScanProcessFault, OSError, OutboxError, DanganError) as error:
            self._fail(request_id, batch_id, run, error)
        finally:
            self.deliverer.notify()

    def _feed(self, run: BatchRun, request: dict) -> None:
        with self._open_device(request["device"]) as scanner:
            scanner.apply(request["preset"], bool(request.get("duplex")))
            # closed (the scan cancelled) before the device is, also when feed() fails: a backend that is
            # closed mid-page without a cancel (pnm) refuses the next scan
            with contextlib.closing(scanner.pages()) as pages:
                try:
                    run.feed(pages)
                except ScanProcessFault as fault:
                    # resuming with an empty feeder means the operator has no more sheets: finish the batch
                    if not (fault.kind == "no_docs" and request.get("resume_batch")):
                        raise

    def _fail(self, request_id: int, batch_id: str | None, run: BatchRun | None, error: Exception) -> None:
        message = _describe(error)
        self.last_error = message
        log.warning("scan %s stopped: %s", request_id, message)
        if run is not None:
            try:
                self._keep_report(batch_id, "interrupted", run.interrupt(message))
            except OSError as error_recording:  # the full disk that stopped the scan: the request must still end
                log.error("batch %s: the interruption could not be recorded: %s", batch_id, error_recording)
        self._finish_request(request_id, "failed", batch_id, message)

    def _spool_for(self, request: dict) -> BatchSpool:
        if request.get("resume_batch"):
            spool = BatchSpool(self.batches_root / request["resume_batch"])
            if not spool.directory.is_dir():
                raise DanganError(f"batch {request['resume_batch']} is not waiting on this agent")
            spool.set_state("scanning")
            return spool
        capture = CaptureInfo(preset=request["preset"], source="ADF", duplex=bool(request.get("duplex")))
        return new_batch(self.batches_root, "scan", request["device"], self.settings.operator, capture)

    def _open_device(self, name: str) -> IsolatedScanner:
        if name == VIRTUAL_DEVICE and self.settings.virtual_stack:
            stack = sorted(self.settings.virtual_stack.glob("*.png"))
            if not stack:
                raise InvalidInputError(f"the virtual scanner's feeder ({self.settings.virtual_stack}) is empty")
            return IsolatedScanner(name, self.settings.sane_config_dir, stack)
        return IsolatedScanner(name, self.settings.sane_config_dir)

    def poll_hot_folder(self) -> None:
        if self.hot_folder is None:
            return
        try:
            for outcome in self.hot_folder.process_ready(self._ingest_one):
                log.info("hot folder: %s %s", outcome.name, outcome.reason or "taken")
        except OSError as error:
            self.last_error = f"hot folder: {error}"

    def _ingest_one(self, path: Path) -> None:
        reports = []
        _, rejected = ingest_files([path], self.batches_root, self.outbox, self._read, reports.append,
                                   self.settings.operator, source_name=f"hot folder {self.settings.hot_folder}")
        self.deliverer.notify()
        self._keep_report(reports[0]["id"], "finished", reports[0])
        if rejected:
            raise UnreadableFileError(path, rejected[0][1])  # the hot folder sets the file aside with the reason

    def _read(self, page):
        return self.decoder.read(page.image if page.image is not None else page.data)

    # reports to the appliance

    def _keep_report(self, batch_id: str, state: str, report: dict) -> None:
        self.reports.keep(batch_id, state, report)

    def _finish_request(self, request_id: int, outcome: str, batch_id: str | None, message: str | None) -> None:
        """Kept on disk first, then sent with the reports: the appliance hears it even if it is down just now."""
        try:
            self.reports.keep_outcome(request_id, outcome, batch_id, message)
            self.reports.send_all(self.client)
        except ApplianceUnavailableError as error:
            log.warning("the appliance hears how scan %s ended with a later heartbeat: %s", request_id, error)
        except OSError as error:  # the disk is full: say it now, at least
            log.error("scan %s: its outcome cannot be kept: %s", request_id, error)
            with contextlib.suppress(ApplianceUnavailableError, ApplianceRefusedError):
                self.client.finish_scan(request_id, outcome, batch_id, message)


def _describe(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror} ({error.filename or 'spool'})"
    return str(error) or type(error).__name__
