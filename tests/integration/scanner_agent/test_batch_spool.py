"""The batch spool's journal on a real file system: whole lines only, whatever happened before."""

from appliance.domain.intake_manifest import CaptureInfo
from scanner_agent.capture import JOURNAL, new_batch, unfinished_spools
from scanner_agent.pages import CapturedPage, PageReading


def page(number: int) -> CapturedPage:
    return CapturedPage(f"page {number}".encode(), "image/png", 300, "greyscale", "test:0")


def spool_with_pages(root, count):
    spool = new_batch(root, "scan", "test:0", "", CaptureInfo("greyscale", "ADF", False))
    for number in range(1, count + 1):
        spool.append(page(number), PageReading([f"DA1:SEP-{number}"]))
    return spool


def test_pages_replay_in_order_with_their_readings(tmp_path):
    spool = spool_with_pages(tmp_path, 3)
    replayed = list(spool.replay())
    assert [p.data for p, _ in replayed] == [b"page 1", b"page 2", b"page 3"]
    assert [r.payloads for _, r in replayed] == [["DA1:SEP-1"], ["DA1:SEP-2"], ["DA1:SEP-3"]]


def test_a_torn_last_line_is_cut_off_before_the_next_page_is_journalled(tmp_path):
    spool = spool_with_pages(tmp_path, 2)
    with open(spool.directory / JOURNAL, "ab") as journal:
        journal.write(b'{"file": "00003.png", "media_ty')  # the power went while this line was written
    reopened = unfinished_spools(tmp_path)[0]
    reopened.append(page(3), PageReading([]))
    assert [p.data for p, _ in reopened.replay()] == [b"page 1", b"page 2", b"page 3"]
    assert (spool.directory / JOURNAL).read_bytes().endswith(b"\n")


def test_a_removed_batch_is_no_longer_found(tmp_path):
    spool = spool_with_pages(tmp_path, 1)
    assert [found.batch.id for found in unfinished_spools(tmp_path)] == [spool.batch.id]
    spool.remove()
    assert unfinished_spools(tmp_path) == [] and not spool.directory.exists()
