"""The worker: takes jobs from the queue table and runs them; like a view, it only calls services.

OCR runs one page per core in separate processes, each tesseract limited to one thread (OpenMP on
two cores oversubscribes them: 13.9 s a page instead of 2.7 s). Scanning never waits for OCR: the
jobs are queued by intake and done here, in their own time.
"""

import datetime
import logging
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from sqlalchemy.exc import SQLAlchemyError

from appliance import assistance_wiring, backup_wiring, fixity_wiring
from appliance.adapters import ocr
from appliance.adapters.archive_stamp import stamp_first_page
from appliance.adapters.mailer import build_mailer
from appliance.adapters.searchable_pdf import merge_pages
from appliance.bootstrap import Appliance
from appliance.domain.errors import DanganError
from appliance.domain.jobs import ACCESS_COPY, CITED_BY, ITEM_TEXT, OCR_PAGE, STAMP_ACCESS_COPY, Job
from appliance.services.backup_schedule import BackupActions, BackupScheduler
from appliance.services.borrowing import expire_grants
from appliance.services.derivatives import (
    build_access_copy,
    claim_jobs,
    fail_job,
    read_page,
    stamp_access_copy,
    store_page_text,
)
from appliance.services.destruction import purge_destroyed
from appliance.services.item_text import process_item_text
from appliance.services.links import process_cited_by
from appliance.services.loans import send_loan_reminders
from appliance.services.notifications import deliver_mail

log = logging.getLogger("dangan.worker")
MAIL_ROUND = datetime.timedelta(seconds=15)  # mail waits at most this long; an SMTP server is not polled harder
TRAINING_ROUND = datetime.timedelta(minutes=10)  # how often the filing model asks whether enough is new to retrain


class Worker:
    def __init__(self, appliance: Appliance, processes: int | None = None, poll_seconds: float = 1.0):
        self.appliance = appliance
        self.languages = appliance.config.worker.ocr_languages
        self.processes = processes or os.cpu_count() or 1
        self.poll_seconds = poll_seconds
        self.name = f"{os.uname().nodename}:{os.getpid()}"
        self._in_flight: dict[Future, Job] = {}
        self.mailer = build_mailer(appliance.config.mail)  # None when no SMTP server is set
        self._next_mail_round = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        self._next_training = datetime.datetime.min.replace(tzinfo=datetime.UTC)
        self._training: threading.Thread | None = None

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; jobs still running then are left to their lease and run again later."""
        for problem in ocr.check_ocr_available(self.languages):
            log.error("OCR is not available: %s", problem)
        self._pool = self._new_pool()
        backups = start_backup_scheduler(self.appliance)
        try:
            while not stop.is_set():
                self._keep_house(datetime.datetime.now(datetime.UTC))
                busy = (self._start_ocr() | self._run_access_copies() | self._run_stamps() | self._run_item_texts()
                        | self._run_cited_by())
                timeout = 0.2 if busy else self.poll_seconds
                if self._in_flight:
                    self._collect(timeout)
                else:
                    stop.wait(timeout)  # idle: sleep, not spin on the queue (it burnt a core, measured)
            self._collect(timeout=None)
        finally:
            if self._training is not None:
                self._training.join()  # a model half trained is not kept: the engine must outlive it
            if backups is not None:
                backups.stop()
            self._pool.shutdown(cancel_futures=True)

    def _keep_house(self, now: datetime.datetime) -> None:
        """What falls due with time: grants end, loans are reminded, destroyed content is purged, mail goes out,
        the filing model is retrained once enough archived items are new (in a thread of its own).

        Each is one cheap read when nothing is due; one failing must not stop the others or the queue.
        """
        box = self.appliance
        chores = [lambda: expire_grants(box.uow_factory, now), lambda: send_loan_reminders(box.uow_factory, now),
                  lambda: purge_destroyed(box.uow_factory, box.blob_store, now)]
        if self.mailer is not None and now >= self._next_mail_round:
            self._next_mail_round = now + MAIL_ROUND
            chores.append(lambda: deliver_mail(box.uow_factory, self.mailer, now))
        if now >= self._next_training and not self.training:
            self._next_training = now + TRAINING_ROUND
            self._training = threading.Thread(target=self._train, args=(now,), name="filing-model", daemon=True)
            self._training.start()
        for chore in chores:
            try:
                chore()
            except (DanganError, OSError, SQLAlchemyError) as error:
                log.warning("housekeeping failed, tried again next round: %s", error)

    @property
    def training(self) -> bool:
        return self._training is not None and self._training.is_alive()

    def _train(self, now: datetime.datetime) -> None:
        """Retrain the filing model if due, beside the queue: at 20,000 archived items it takes ~30 s, which the
        jobs (item texts, copies, OCR results) should not wait for."""
        box = self.appliance
        try:
            assistance_wiring.retrain_if_due(box.uow_factory, assistance_wiring.models_directory(box), now)
        except (DanganError, OSError, SQLAlchemyError, ValueError) as error:
            log.warning("training the filing model failed, tried again next round: %s", error)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.processes, mp_context=get_context("forkserver"))

    def _start_ocr(self) -> bool:
        free = self.processes - len(self._in_flight)
        if free <= 0:
            return False
        jobs = claim_jobs(self.appliance.uow_factory, self.name, (OCR_PAGE,), free)
        for job in jobs:
            try:
                image = read_page(self.appliance.uow_factory, self.appliance.blob_store, job)
            except (DanganError, OSError) as error:
                fail_job(self.appliance.uow_factory, job, f"page cannot be read: {error}")
                continue
            self._in_flight[self._pool.submit(ocr.recognise_page, image, languages=self.languages)] = job
        return bool(jobs)

    def _run_access_copies(self) -> bool:
        return self._run_jobs(ACCESS_COPY, lambda job: build_access_copy(
            self.appliance.uow_factory, self.appliance.blob_store, job, merge_pages))

    def _run_stamps(self) -> bool:
        return self._run_jobs(STAMP_ACCESS_COPY, lambda job: stamp_access_copy(
            self.appliance.uow_factory, self.appliance.blob_store, job, stamp_first_page))

    def _run_item_texts(self) -> bool:
        return self._run_jobs(ITEM_TEXT, lambda job: process_item_text(
            self.appliance.uow_factory, job, assistance_wiring.keyword_extractor()))

    def _run_cited_by(self) -> bool:
        return self._run_jobs(CITED_BY, lambda job: process_cited_by(self.appliance.uow_factory, job), limit=1)

    def _run_jobs(self, kind: str, run, limit: int = 4) -> bool:
        """Run up to `limit` jobs of a kind here, in this process; a job that fails is retried later."""
        jobs = claim_jobs(self.appliance.uow_factory, self.name, (kind,), limit)
        for job in jobs:
            try:
                run(job)
            except (DanganError, OSError) as error:
                fail_job(self.appliance.uow_factory, job, str(error))
        return bool(jobs)

    def _collect(self, timeout: float | None) -> None:
        if not self._in_flight:
            return
        done, _ = wait(list(self._in_flight), timeout=timeout, return_when=FIRST_COMPLETED)
        if any(isinstance(future.exception(), BrokenProcessPool) for future in done):
            # an OCR process died (killed, out of memory): every page in flight is retried, on a new pool
            self._pool.shutdown(cancel_futures=True)
            self._pool = self._new_pool()
        for future in done:
            job = self._in_flight.pop(future)
            try:
                page = future.result()
            except Exception as error:  # a crashed or failing OCR process must not stop the worker
                log.warning("OCR of %s failed: %s", job.payload.get("sha256"), error)
                fail_job(self.appliance.uow_factory, job, str(error) or type(error).__name__)
                continue
            store_page_text(self.appliance.uow_factory, self.appliance.blob_store, job,
                            ocr.generator_version(self.languages), page.text, page.pdf)


def start_backup_scheduler(appliance: Appliance) -> BackupScheduler | None:
    """The backup schedule, in this process only (never in the web's); None when no repository is set."""
    borg = backup_wiring.borg_for(appliance.config)
    if borg is None:
        return None
    actions = BackupActions(backup=lambda trigger, now: backup_wiring.backup_now(appliance, borg, trigger, now),
                            drill=lambda now: backup_wiring.drill_now(appliance, borg, now),
                            fixity=lambda now: fixity_wiring.fixity_now(appliance, now))
    scheduler = BackupScheduler(appliance, borg, actions)
    scheduler.start()
    return scheduler
