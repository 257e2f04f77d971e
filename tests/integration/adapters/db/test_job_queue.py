"""The job queue table on SQLite and PostgreSQL: once per dedupe key, one claimant per job, leases that run out."""

import datetime
import threading

from appliance.domain.jobs import OCR_PAGE


def enqueue(uow_factory, *keys):
    with uow_factory() as uow:
        for key in keys:
            uow.jobs.enqueue(OCR_PAGE, key, {"sha256": key})
        uow.commit()


def claim(uow_factory, worker, limit=10, lease=datetime.timedelta(minutes=15)):
    with uow_factory() as uow:
        jobs = uow.jobs.claim(worker, (OCR_PAGE,), limit, lease)
        uow.commit()
    return jobs


def test_a_job_is_queued_once_per_dedupe_key(uow_factory):
    enqueue(uow_factory, "a", "b", "a")
    enqueue(uow_factory, "a")
    with uow_factory(read_only=True) as uow:
        assert uow.jobs.counts() == {OCR_PAGE: {"queued": 2}}


def test_concurrent_workers_never_claim_the_same_job(uow_factory):
    enqueue(uow_factory, *[f"page-{number}" for number in range(40)])
    claimed: list[list[int]] = []

    def work(name):
        while jobs := claim(uow_factory, name, limit=3):
            claimed.append([job.id for job in jobs])

    threads = [threading.Thread(target=work, args=(f"worker-{number}",)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [job_id for batch in claimed for job_id in batch]
    assert len(ids) == 40 and len(set(ids)) == 40


def test_a_job_whose_worker_died_is_claimed_again_when_its_lease_runs_out(uow_factory):
    enqueue(uow_factory, "a")
    (first,) = claim(uow_factory, "dead-worker", lease=datetime.timedelta(seconds=-1))
    (again,) = claim(uow_factory, "live-worker")
    assert again.id == first.id and again.attempts == 2
    assert claim(uow_factory, "third-worker") == []  # the live worker's lease holds


def test_a_retried_job_waits_and_a_failed_one_stays_failed(uow_factory):
    enqueue(uow_factory, "a", "b")
    first, second = claim(uow_factory, "worker")
    with uow_factory() as uow:
        uow.jobs.retry_later(first.id, 3600, "tesseract crashed")
        uow.jobs.fail(second.id, "gave up")
        uow.commit()
    assert claim(uow_factory, "worker") == []
    with uow_factory(read_only=True) as uow:
        assert uow.jobs.counts() == {OCR_PAGE: {"queued": 1, "failed": 1}}
