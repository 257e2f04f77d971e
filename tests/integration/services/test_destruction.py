"""Destruction lists end to end on both databases: compile, approve, two witnesses, execute, purge; and refusals."""

import datetime
import threading

import pytest
from PIL import Image
from sqlalchemy import select

from appliance.adapters.db.tables import AppraisalDecisionRow, BlobRow, DerivativeRow, UserRow
from appliance.adapters.destruction_pdf import DestructionListPdf
from appliance.domain.access import EVERYTHING
from appliance.domain.catalogue import ItemFields, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.destruction import ListState
from appliance.domain.errors import ConflictError, ForbiddenError, NotFoundError
from appliance.domain.holds import HoldScope
from appliance.domain.intake import IntakeState
from appliance.domain.jobs import ACCESS_PDF, PAGE_OCR, STAMPED_ACCESS_PDF, Derivative, page_list_digest, stamp_source
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.domain.workflow import Decision
from appliance.services import viewing
from appliance.services.audit import history, verify_audit_chain
from appliance.services.destruction import compile_list, purge_destroyed, show_list, witness
from appliance.services.items import add_item
from appliance.services.workflows import decide_request
from tests.support.console import FAST_PASSWORDS, PASSWORD, make_person

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
KEY = ClassKey("Z109", "WS", 2011, "D10", "BGS")
RENDERER = DestructionListPdf()


def person(name: str, role: str) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), EVERYTHING, "192.0.2.7")


COMPILER, APPROVER = person("wang", "archivist"), person("zhao", "approver")
WITNESS_ONE, WITNESS_TWO = person("li-na", "archivist"), person("qian", "approver")


def png(tmp_path, shade: int):
    path = tmp_path / f"page-{shade}.png"
    Image.new("L", (40, 30), shade).save(path)
    return path


def file_archived_items(appliance, actor, pages_per_item: list[list]) -> list:
    """Items with the given page files, archived (the archiving workflow has its own tests)."""
    items = [add_item(appliance.uow_factory, appliance.blob_store, actor, KEY,
                      ItemFields.build(title=f"关于第{number}号事项的通知", date="20110315",
                                       doc_number=f"某发〔2011〕{number}号"),
                      pages) for number, pages in enumerate(pages_per_item, start=1)]
    with appliance.uow_factory() as uow:
        uow.catalogue.set_state([item.id for item in items], ItemState.ARCHIVED)
        uow.commit()
    return items


def decide_destroy(appliance, items, reason: str = "保管期满，已无保存价值") -> None:
    """The appraisal group's decisions, as the appraisal service records them."""
    with appliance.uow_factory() as uow:
        uow.session.add_all(AppraisalDecisionRow(item_id=item.id, round_year=2022, decision="destroy", reason=reason,
                                                 decided_by="wang", decided_at=NOW, current=True) for item in items)
        uow.commit()


def make_people(appliance) -> None:
    appliance.passwords = FAST_PASSWORDS
    for principal in (COMPILER, APPROVER, WITNESS_ONE, WITNESS_TWO):
        make_person(appliance, principal.username, list(principal.roles))


@pytest.fixture
def listed(appliance, actor, fonds, tmp_path):
    """Two items appraised for destruction (the first shares a page with a third item that is kept), people."""
    shared, own, other = png(tmp_path, 10), png(tmp_path, 20), png(tmp_path, 30)
    doomed_one, doomed_two, kept = file_archived_items(appliance, actor, [[shared, own], [other], [shared]])
    decide_destroy(appliance, [doomed_one, doomed_two])
    make_people(appliance)
    return doomed_one, doomed_two, kept


def compile_and_approve(appliance, codes=None):
    made = compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "2011 年度到期档案销毁", NOW,
                        codes, renderer=RENDERER)
    decide_request(appliance.uow_factory, APPROVER, made.request_id, Decision.APPROVE, "同意销毁", NOW)
    return show_list(appliance.uow_factory, made.id)


def confirm(appliance, principal, list_id, password=PASSWORD):
    return witness(appliance.uow_factory, appliance.passwords, principal, list_id, password, NOW,
                   blob_store=appliance.blob_store, renderer=RENDERER)


def add_derivatives(appliance, item, pages: list[str]) -> list[str]:
    """OCR of each page, the access copy and the stamped copy, as the worker makes them; returns their blobs."""
    made = []
    with appliance.uow_factory() as uow:
        sources = [(sha256, PAGE_OCR) for sha256 in pages]
        sources += [(page_list_digest(pages), ACCESS_PDF), (stamp_source(item.archival_code), STAMPED_ACCESS_PDF)]
        for source, kind in sources:
            ref = appliance.blob_store.put_bytes(f"%PDF {kind} of {source}".encode())
            uow.blobs.add(ref)
            text = "页面文字" if kind == PAGE_OCR else None
            uow.jobs.add_derivative(Derivative(source, kind, "test/1", ref.sha256, text))
            made.append(ref.sha256)
        uow.commit()
    return made


def add_intake_document(appliance, item, tmp_path) -> str:
    """The scan the item came from: its page is content of the item too."""
    ref = appliance.blob_store.put_file(png(tmp_path, 200))
    with appliance.uow_factory() as uow:
        uow.blobs.add(ref)
        uow.intake.ensure_batch("batch-1", "scanner-pc", "scan", "test", "wang", NOW.isoformat())
        document_id = uow.intake.add_document("key-1", "batch-1", 1, None, IntakeState.FILED, item.id, None, {})
        uow.intake.add_pages(document_id, [{"blob_sha256": ref.sha256, "resolution": 300, "colour_mode": "grey",
                                            "side": None, "origin": "scan"}])
        uow.commit()
    return ref.sha256


def pages_of(appliance, item) -> list[str]:
    with appliance.uow_factory(read_only=True) as uow:
        return [page.sha256 for page in uow.catalogue.get_item_with_pages(item.archival_code)[1]]


def purged_at(appliance, sha256: str):
    with appliance.uow_factory(read_only=True) as uow:
        return uow.session.get(BlobRow, sha256).purged_at


def derivative_sources(appliance) -> set[str]:
    with appliance.uow_factory(read_only=True) as uow:
        return set(uow.session.scalars(select(DerivativeRow.source_sha256)))


def test_a_list_is_compiled_approved_witnessed_executed_and_purged(appliance, listed, tmp_path):
    doomed_one, doomed_two, kept = listed
    shared, own = pages_of(appliance, doomed_one)
    doomed_derivatives = add_derivatives(appliance, doomed_one, [shared, own])
    kept_derivatives = add_derivatives(appliance, kept, [shared])
    scan = add_intake_document(appliance, doomed_one, tmp_path)
    made = compile_and_approve(appliance)
    assert made.number == "Z109-XH-2026-001" and made.state is ListState.APPROVED
    assert made.items == (doomed_one.archival_code, doomed_two.archival_code)
    after_one = confirm(appliance, WITNESS_ONE, made.id)
    assert after_one.state is ListState.APPROVED and [w.username for w in after_one.witnesses] == ["li-na"]
    assert _state(appliance, doomed_one) is ItemState.ARCHIVED  # one witness destroys nothing
    done = confirm(appliance, WITNESS_TWO, made.id)
    assert done.state is ListState.DESTROYED and done.final_pdf_sha256 and done.draft_pdf_sha256
    assert [w.username for w in done.witnesses] == ["li-na", "qian"]
    for item in (doomed_one, doomed_two):
        assert _state(appliance, item) is ItemState.DESTROYED and _list_of(appliance, item) == made.number
        assert [event.action for event in history(appliance.uow_factory, "item", item.archival_code)][-1] == \
            "item.destroy"
    assert _state(appliance, kept) is ItemState.ARCHIVED
    assert purge_destroyed(appliance.uow_factory, appliance.blob_store, NOW) == 1
    gone = [own, scan, *pages_of(appliance, doomed_two), *doomed_derivatives[1:]]  # the shared page's OCR stays
    for sha256 in gone:
        assert not appliance.blob_store.exists(sha256) and purged_at(appliance, sha256) is not None
    for sha256 in (shared, *kept_derivatives, doomed_derivatives[0], done.draft_pdf_sha256, done.final_pdf_sha256):
        assert appliance.blob_store.exists(sha256) and purged_at(appliance, sha256) is None
    assert derivative_sources(appliance) == {shared, page_list_digest([shared]), stamp_source(kept.archival_code)}
    assert show_list(appliance.uow_factory, made.id).purged_at is not None
    assert purge_destroyed(appliance.uow_factory, appliance.blob_store, NOW) == 0
    actions = [event.action for event in history(appliance.uow_factory, "destruction_list", made.number)]
    assert actions == ["destruction.compile", "destruction.witness", "destruction.witness", "destruction.execute",
                       "destruction.purge"]
    with pytest.raises(ForbiddenError, match=f"destroyed under list {made.number}"):
        viewing.content_access(appliance.uow_factory, APPROVER, doomed_one.archival_code, NOW)
    assert verify_audit_chain(appliance.uow_factory).ok


def test_the_purge_is_finished_after_a_crash_between_deleting_files_and_committing(appliance, listed):
    doomed_one = listed[0]
    made = compile_and_approve(appliance, [doomed_one.archival_code])
    confirm(appliance, WITNESS_ONE, made.id)
    confirm(appliance, WITNESS_TWO, made.id)
    own = pages_of(appliance, doomed_one)[1]

    def crashing_factory(read_only=False, consistent=True):
        uow = appliance.uow_factory(read_only, consistent)
        if not read_only:
            uow.commit = _power_cut
        return uow

    with pytest.raises(RuntimeError, match="power cut"):
        purge_destroyed(crashing_factory, appliance.blob_store, NOW)
    assert not appliance.blob_store.exists(own) and purged_at(appliance, own) is None  # files gone, nothing marked
    assert purge_destroyed(appliance.uow_factory, appliance.blob_store, NOW) == 1
    assert purged_at(appliance, own) is not None and show_list(appliance.uow_factory, made.id).purged_at is not None


def test_one_witness_is_not_enough_and_nobody_witnesses_twice_or_their_own_list(appliance, listed):
    made = compile_and_approve(appliance)
    with pytest.raises(ForbiddenError, match="compiled"):
        confirm(appliance, person("wang", "archivist"), made.id)
    with pytest.raises(ForbiddenError, match="approved"):
        confirm(appliance, person("zhao", "approver"), made.id)
    confirm(appliance, WITNESS_ONE, made.id)
    with pytest.raises(ForbiddenError, match="already"):
        confirm(appliance, WITNESS_ONE, made.id)
    after = show_list(appliance.uow_factory, made.id)
    assert after.state is ListState.APPROVED and len(after.witnesses) == 1
    assert all(_state(appliance, item) is ItemState.ARCHIVED for item in listed)


def test_a_wrong_password_is_refused_counted_and_audited(appliance, listed):
    made = compile_and_approve(appliance)
    with pytest.raises(ForbiddenError, match="password is wrong"):
        confirm(appliance, WITNESS_ONE, made.id, "not-my-password")
    assert show_list(appliance.uow_factory, made.id).witnesses == ()
    with appliance.uow_factory(read_only=True) as uow:
        assert uow.session.scalar(select(UserRow.failed_logins).where(UserRow.username == "li-na")) == 1
    events = history(appliance.uow_factory, "destruction_list", made.number)
    assert (events[-1].action, events[-1].result) == ("destruction.witness", "failure")


def test_a_list_is_witnessed_only_once_approved(appliance, listed):
    made = compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "到期销毁", NOW,
                        renderer=RENDERER)
    with pytest.raises(ConflictError, match="pending"):
        confirm(appliance, WITNESS_ONE, made.id)
    with pytest.raises(NotFoundError):
        confirm(appliance, WITNESS_ONE, made.id + 100)


def test_a_hold_placed_after_approval_stops_the_execution_and_changes_nothing(appliance, listed):
    made = compile_and_approve(appliance)
    confirm(appliance, WITNESS_ONE, made.id)
    with appliance.uow_factory() as uow:
        hold_id = uow.holds.add(HoldScope("Z109", item_id=listed[1].id), "诉讼取证", "zhao", NOW)
        uow.commit()
    with pytest.raises(ConflictError, match="legal hold"):
        confirm(appliance, WITNESS_TWO, made.id)
    after = show_list(appliance.uow_factory, made.id)
    assert (after.state, len(after.witnesses), after.final_pdf_sha256) == (ListState.APPROVED, 1, None)
    assert all(_state(appliance, item) is ItemState.ARCHIVED for item in listed)
    with appliance.uow_factory() as uow:
        uow.holds.release(hold_id, "zhao", "诉讼结束", NOW)
        uow.commit()
    assert confirm(appliance, WITNESS_TWO, made.id).state is ListState.DESTROYED


def test_held_or_unlisted_items_are_not_compiled_and_a_rejected_lists_items_are_listed_again(appliance, listed):
    doomed_one, doomed_two, kept = listed
    with pytest.raises(ConflictError, match="not appraised for destruction"):
        compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "销毁", NOW,
                     [kept.archival_code], renderer=RENDERER)
    with appliance.uow_factory() as uow:
        hold_id = uow.holds.add(HoldScope("Z109", year=2011), "审计", "zhao", NOW)
        uow.commit()
    with pytest.raises(ConflictError, match="legal hold"):
        compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "销毁", NOW, renderer=RENDERER)
    with appliance.uow_factory() as uow:
        uow.holds.release(hold_id, "zhao", "审计结束", NOW)
        uow.commit()
    first = compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "销毁", NOW,
                         renderer=RENDERER)
    with pytest.raises(ConflictError, match="no item of fonds Z109 is waiting"):
        compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "销毁", NOW, renderer=RENDERER)
    decide_request(appliance.uow_factory, APPROVER, first.request_id, Decision.REJECT, "理由不充分", NOW)
    assert show_list(appliance.uow_factory, first.id).state is ListState.REJECTED
    second = compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "补充理由后重报", NOW,
                          renderer=RENDERER)
    assert (second.number, second.items) == ("Z109-XH-2026-002", first.items)


@pytest.mark.parametrize("role", ["reader", "operator", "approver"])
def test_only_the_appraisal_group_compiles(appliance, listed, role):
    with pytest.raises(ForbiddenError):
        compile_list(appliance.uow_factory, appliance.blob_store, person("sun", role), "Z109", "销毁", NOW,
                     renderer=RENDERER)
    with appliance.uow_factory(read_only=True) as uow:
        assert uow.destruction.list_ids(10) == []


@pytest.mark.parametrize("role", ["reader", "operator"])
def test_readers_and_operators_do_not_witness(appliance, listed, role):
    made = compile_and_approve(appliance)
    with pytest.raises(ForbiddenError):
        confirm(appliance, person("sun", role), made.id)


def test_two_compiling_at_once_get_different_numbers(appliance, listed):
    codes = [item.archival_code for item in listed[:2]]
    barrier, numbers, errors = threading.Barrier(2), [], []

    def compile_one(code):
        barrier.wait()
        try:
            numbers.append(compile_list(appliance.uow_factory, appliance.blob_store, COMPILER, "Z109", "销毁", NOW,
                                        [code], renderer=RENDERER).number)
        except ConflictError as error:
            errors.append(error)

    threads = [threading.Thread(target=compile_one, args=(code,)) for code in codes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(numbers) == ["Z109-XH-2026-001", "Z109-XH-2026-002"]


def _state(appliance, item) -> ItemState:
    with appliance.uow_factory(read_only=True) as uow:
        return uow.catalogue.get_item(item.archival_code).state


def _list_of(appliance, item) -> str | None:
    with appliance.uow_factory(read_only=True) as uow:
        return uow.destruction.destroyed_under(item.archival_code)


def _power_cut() -> None:
    raise RuntimeError("power cut")

