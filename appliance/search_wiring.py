"""Reindexing in several processes: making index text is Python work (about 1.5 ms a document with OCR text), so one
process keeps one core busy; each worker process opens the box itself and indexes its shares of the items."""

import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

from appliance.bootstrap import Appliance, build_appliance
from appliance.config import Config
from appliance.services.search import all_item_ids, index_in_batches, reindex

SHARE = 5_000  # items per share: progress moves every few seconds, and no process waits long for the last one

_process_appliance: Appliance | None = None


def reindex_box(appliance: Appliance, progress: Callable[[int, int], None] | None = None,
                processes: int | None = None) -> int:
    """Rebuild every item's index entry using `processes` processes (the box's cores by default); returns how many
    items were indexed."""
    processes = processes or os.cpu_count() or 1
    if processes == 1:
        return reindex(appliance.uow_factory, progress)
    return index_in_processes(appliance.config, all_item_ids(appliance.uow_factory), processes, progress)


def index_in_processes(config: Config, item_ids: list[int], processes: int,
                       progress: Callable[[int, int], None] | None = None) -> int:
    """Index these items in `processes` processes, SHARE items at a time; returns how many were indexed."""
    shares = [item_ids[start:start + SHARE] for start in range(0, len(item_ids), SHARE)]
    done = 0
    with ProcessPoolExecutor(processes, mp_context=get_context("forkserver"), initializer=_open_box,
                             initargs=(config,)) as pool:
        running = {pool.submit(_index_share, share) for share in shares[:processes * 2]}
        waiting = shares[processes * 2:]
        while running:
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                done += future.result()  # a failed share fails the whole run, with its error
                if progress is not None:
                    progress(done, len(item_ids))
                if waiting:
                    running.add(pool.submit(_index_share, waiting.pop(0)))
    return done


def _open_box(config: Config) -> None:
    global _process_appliance
    _process_appliance = build_appliance(config, migrate=False)


def _index_share(item_ids: list[int]) -> int:
    return index_in_batches(_process_appliance.uow_factory, item_ids)
