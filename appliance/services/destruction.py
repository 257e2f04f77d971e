"""Destruction (销毁): compile a numbered list of items appraised for destruction, have leadership approve it through
its request, have two witnesses confirm it with their own passwords, then purge the content.

The catalogue entries stay, marked destroyed with the list's number; the list and its PDFs are kept for ever. A
legal hold blocks compiling and executing alike.
"""

import datetime
from dataclasses import replace
from typing import Protocol

from appliance.domain.actors import Actor
from appliance.domain.catalogue import ItemState
from appliance.domain.codes import parse_archival_code
from appliance.domain.destruction import (
    REQUIRED_WITNESSES,
    DestructionList,
    ListDocument,
    ListedItem,
    check_witness,
    list_number,
)
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.holds import refuse_held
from appliance.domain.permissions import Action
from appliance.domain.retention import RETENTION_PERIODS
from appliance.domain.sessions import Principal
from appliance.domain.workflow import DEFAULT_CHAIN_POLICY, ChainPolicy, RequestKind, check_reason
from appliance.services.accounts import DEFAULT_LOCKOUT_POLICY, PasswordHashing, count_failure, require_account
from appliance.services.audit import record
from appliance.services.fonds import require_fonds
from appliance.services.notifications import notify
from appliance.services.search import index_items
from appliance.services.workflows import MAX_ITEMS, add_request

PURGER = Actor("worker", "worker")
WRONG_PASSWORD = "the password is wrong: a witness confirms with their own password"


class ListRenderer(Protocol):
    """The port to the PDF writer (appliance.adapters.destruction_pdf)."""

    def __call__(self, document: ListDocument) -> bytes: ...


def compile_list(uow_factory, blob_store, principal: Principal, fonds: str, reason: str, now: datetime.datetime,
                 codes: list[str] | None = None, *, renderer: ListRenderer,
                 zone: datetime.tzinfo = datetime.UTC, policy: ChainPolicy = DEFAULT_CHAIN_POLICY) -> DestructionList:
    """Put the fonds' items appraised for destruction (or the named ones among them) on a new numbered list, and
    ask leadership to approve it; the draft PDF is kept with it. Lists are numbered per year of the archive's
    time zone `zone`.

    Raises ForbiddenError, NotFoundError (unknown fonds or hidden item), InvalidInputError (no reason, bad codes)
    or ConflictError (nothing to list, an item not archived or under a legal hold): nothing is changed then.
    """
    principal.require(Action.APPRAISAL_DECIDE)
    reason = _reason(reason)
    with uow_factory() as uow:
        found = require_fonds(uow, fonds)
        uow.destruction.lock_compiling(found.code)
        items = _items_to_list(uow, principal, found.code, codes)
        refuse_held(items, uow.holds.active_for_fonds_of({found.code}), "listed for destruction")
        year = now.astimezone(zone).year
        sequence = uow.destruction.next_sequence(found.code, year)
        number = list_number(found.code, year, sequence)
        request_id = add_request(uow, principal, RequestKind.DESTRUCTION, [item.archival_code for item in items],
                                 reason, now, policy, payload={"list": number})
        list_id = uow.destruction.add(number, found.code, year, sequence, request_id, principal.username, now)
        uow.destruction.take_decisions([item.id for item in items], list_id)
        draft = _store_pdf(uow, blob_store, renderer(_document(uow, uow.destruction.get(list_id), found.name)))
        uow.destruction.set_draft_pdf(list_id, draft)
        record(uow, principal.actor, "destruction.compile", "destruction_list", number,
               {"fonds": found.code, "request": request_id, "items": [item.archival_code for item in items],
                "reason": reason, "pdf": draft})
        uow.commit()
    return show_list(uow_factory, list_id)


def witness(uow_factory, passwords: PasswordHashing, principal: Principal, list_id: int, password: str,
            now: datetime.datetime, *, blob_store, renderer: ListRenderer,
            lockout_policy=DEFAULT_LOCKOUT_POLICY) -> DestructionList:
    """A witness (监销人) confirms an approved list with their own password; the second confirmation executes it:
    the items are marked destroyed with the list's number and the final PDF is kept.

    Raises ForbiddenError (not a witness; the compiler, an approver, or the same witness again; a wrong password,
    counted like a failed login and audited), NotFoundError, InvalidInputError (no password) or ConflictError (not
    approved, executed already, an item under a legal hold): nothing else is changed then.
    """
    principal.require(Action.DESTRUCTION_WITNESS)
    with uow_factory(read_only=True) as uow:
        check_witness(_require_list(uow, list_id), principal.username)  # refuse early, before the slow hash
        account = require_account(uow, principal.username)
    if not password:
        raise InvalidInputError("enter your own password to confirm as a witness")
    matched = passwords.verify(account.password_hash, password)  # outside the write lock
    with uow_factory() as uow:
        listed = _require_list(uow, list_id, for_update=True)
        check_witness(listed, principal.username)
        fresh = require_account(uow, principal.username, for_update=True)
        if fresh.lockout.locked_at(now) is not None or not matched or fresh.password_hash != account.password_hash:
            message = _count_wrong_password(uow, principal, fresh, listed, now, lockout_policy)
            uow.commit()
            raise ForbiddenError(message)
        if len(listed.witnesses) + 1 < REQUIRED_WITNESSES:
            _add_witness(uow, principal, listed, now)
        else:
            _execute(uow, blob_store, renderer, principal, listed, now)
        uow.commit()
    return show_list(uow_factory, list_id)


def purge_destroyed(uow_factory, blob_store, now: datetime.datetime) -> int:
    """Purge the content of every executed list not purged yet; returns how many lists were purged.

    Files are deleted first, then the purge is recorded in one commit: a crash in between is finished by the next
    run. With nothing to do this is one small read.
    """
    with uow_factory(read_only=True, consistent=False) as uow:
        list_ids = uow.destruction.unpurged_ids()
    return sum(_purge_list(uow_factory, blob_store, list_id, now) for list_id in list_ids)


def show_list(uow_factory, list_id: int) -> DestructionList:
    """The list, its state, items, approvals and witnesses; raises NotFoundError."""
    with uow_factory(read_only=True) as uow:
        return _require_list(uow, list_id)


def destruction_lists(uow_factory, limit: int = 100) -> list[DestructionList]:
    """The newest lists first."""
    with uow_factory(read_only=True) as uow:
        return [uow.destruction.get(list_id) for list_id in uow.destruction.list_ids(limit)]


def list_pdf(uow_factory, blob_store, list_id: int) -> tuple[DestructionList, bytes]:
    """The list's PDF: the final one once executed, the draft before; raises NotFoundError."""
    listed = show_list(uow_factory, list_id)
    if listed.pdf_sha256 is None:
        raise NotFoundError(f"list {listed.number} has no PDF")
    with blob_store.open(listed.pdf_sha256) as handle:
        return listed, handle.read()


def _items_to_list(uow, principal: Principal, fonds: str, codes: list[str] | None) -> list:
    waiting = uow.destruction.open_decisions(fonds)
    if codes is None:
        chosen = [code for code in waiting if principal.scope.can_see(uow.catalogue.get_item(code))]
    else:
        chosen = list(dict.fromkeys(parse_archival_code(code).format() for code in codes))
        for code in chosen:
            if code not in waiting:
                raise ConflictError(f"item {code} is not appraised for destruction, or is on a list already")
    if not chosen:
        raise ConflictError(f"no item of fonds {fonds} is waiting for a destruction list")
    if len(chosen) > MAX_ITEMS:
        raise InvalidInputError(f"at most {MAX_ITEMS} items on one list: name the codes of a part of them")
    items = [uow.catalogue.get_item(code) for code in chosen]
    for item in items:
        if item.state is not ItemState.ARCHIVED:
            raise ConflictError(f"item {item.archival_code} is {item.state.value}: only archived items are destroyed")
    return items


def _add_witness(uow, principal: Principal, listed: DestructionList, now: datetime.datetime) -> None:
    uow.destruction.add_witness(listed.id, principal.username, now)
    record(uow, principal.actor, "destruction.witness", "destruction_list", listed.number,
           {"witness": len(listed.witnesses) + 1, "via": principal.via})


def _execute(uow, blob_store, renderer: ListRenderer, principal: Principal, listed: DestructionList,
             now: datetime.datetime) -> None:
    """The second witness: a hold placed since the approval still stops it all, the second witness included."""
    items = [uow.catalogue.get_item(code) for code in listed.items]
    refuse_held(items, uow.holds.active_for_fonds_of({listed.fonds}), "destroyed")
    _add_witness(uow, principal, listed, now)
    uow.destruction.mark_destroyed([item.id for item in items], listed.number, now)
    index_items(uow, [item.id for item in items])  # the entries stay findable by their fields, not their text
    for item in items:
        record(uow, principal.actor, "item.destroy", "item", item.archival_code, {"list": listed.number})
    fonds_name = uow.catalogue.get_fonds(listed.fonds).name
    document = replace(_document(uow, uow.destruction.get(listed.id), fonds_name), destroyed_at=now)
    final = _store_pdf(uow, blob_store, renderer(document))
    uow.destruction.set_executed(listed.id, final, now)
    told = {listed.compiled_by, *(approval.username for approval in listed.approvals),
            *(witness.username for witness in listed.witnesses), principal.username}
    notify(uow, told, "destruction.executed", now, {"list": listed.number}, f"/destruction/{listed.id}")
    record(uow, principal.actor, "destruction.execute", "destruction_list", listed.number,
           {"items": len(items), "request": listed.request_id, "pdf": final,
            "witnesses": [*(witness.username for witness in listed.witnesses), principal.username]})


def _count_wrong_password(uow, principal: Principal, account, listed: DestructionList, now: datetime.datetime,
                          lockout_policy) -> str:
    outcome = count_failure(uow, principal.actor, account, now, lockout_policy, "wrong password as witness",
                            WRONG_PASSWORD)
    record(uow, principal.actor, "destruction.witness", "destruction_list", listed.number,
           {"reason": "wrong password"}, result="failure")
    return outcome.message if outcome.locked_until is not None else WRONG_PASSWORD


def _purge_list(uow_factory, blob_store, list_id: int, now: datetime.datetime) -> int:
    with uow_factory(read_only=True) as uow:
        plan = uow.destruction.purge_plan(list_id)
        number = uow.destruction.get(list_id).number
    deleted = sum(blob_store.purge(sha256) for sha256 in plan.blobs)  # a file gone already is fine
    with uow_factory() as uow:
        if not uow.destruction.finish_purge(list_id, plan, now):
            return 0  # another worker finished it a moment ago
        record(uow, PURGER, "destruction.purge", "destruction_list", number,
               {"blobs": len(plan.blobs), "files_deleted": deleted, "derivatives": len(plan.derivatives)})
        uow.commit()
    return 1


def _document(uow, listed: DestructionList, fonds_name: str) -> ListDocument:
    items = [uow.catalogue.get_item(code) for code in listed.items]
    opinions = uow.destruction.opinions([item.id for item in items])
    rows = tuple(ListedItem(item.archival_code, item.fields.title, item.fields.doc_number, item.fields.date,
                            item.fields.pages, RETENTION_PERIODS[item.code.retention].name_zh,
                            opinions.get(item.id, "")) for item in items)
    compiler = uow.destruction.display_names([listed.compiled_by]).get(listed.compiled_by, listed.compiled_by)
    return ListDocument(listed.number, listed.fonds, fonds_name, compiler, listed.compiled_at, listed.reason, rows,
                        listed.approvals, listed.witnesses, listed.destroyed_at)


def _store_pdf(uow, blob_store, document: bytes) -> str:
    ref = replace(blob_store.put_bytes(document), media_type="application/pdf")
    uow.blobs.add(ref)
    return ref.sha256


def _require_list(uow, list_id: int, for_update: bool = False) -> DestructionList:
    listed = uow.destruction.get(list_id, for_update=for_update)
    if listed is None:
        raise NotFoundError(f"no destruction list {list_id}")
    return listed


def _reason(text: str) -> str:
    reason = check_reason(text)
    if not reason:
        raise InvalidInputError("say why these items are destroyed: the list's reason is kept with it")
    return reason
