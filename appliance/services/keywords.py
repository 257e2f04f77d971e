"""Keywords drawn from an item's text, offered as tags until a person accepts or dismisses them (issue 8).

The words come from a KeywordExtractor port: the worker passes jieba's TF-IDF (appliance/assistance_wiring.py);
without one, a plain word-frequency reading in this module stands in, so the service works (less well) on its own.
Only *suggested* keywords are ever replaced by a new reading; accepted and dismissed ones are people's decisions.
"""

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from appliance.domain.catalogue import Item, ItemState
from appliance.domain.codes import parse_archival_code
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.filing_patterns import ItemKeyword
from appliance.domain.permissions import Action
from appliance.domain.sessions import Principal
from appliance.services.audit import record
from appliance.services.search import index_item

KEYWORDS_KEPT = 8
MAX_KEYWORD = 40
DECISIONS = {"accept": "accepted", "dismiss": "dismissed"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
BOILERPLATE_TEXT = ("通知 关于 有关 单位 工作 要求 进行 开展 加强 做好 落实 情况 相关 以下 如下 现将 特此 根据 "
                    "按照 认真 切实 部门 各级 政府 人民 办公 文件 附件 抄送 印发 事项 组织 实施 贯彻")


class KeywordExtractor(Protocol):
    def extract(self, text: str, limit: int) -> list[tuple[str, float]]:
        """The `limit` subject words of `text` with their weights, heaviest first."""


class FrequentPairs:
    """The stand-in extractor: the most frequent two-character runs of Chinese text that are not boilerplate."""

    BOILERPLATE = frozenset(BOILERPLATE_TEXT.split())

    def extract(self, text: str, limit: int) -> list[tuple[str, float]]:
        counts = Counter()
        for run in re.findall(r"[\u4e00-\u9fff]+", text):
            counts.update(run[index:index + 2] for index in range(len(run) - 1))
        total = sum(counts.values()) or 1
        kept = [(pair, count / total) for pair, count in counts.most_common(limit * 4)
                if count > 1 and pair not in self.BOILERPLATE]
        return kept[:limit]


@dataclass(frozen=True)
class ItemTags:
    """An item's keywords as the item page shows them, and whether this person may decide about them."""

    item: Item
    accepted: list[ItemKeyword]
    suggested: list[ItemKeyword]
    may_decide: bool


def refresh_keywords(uow, item_id: int, text: str, extractor: KeywordExtractor | None = None) -> None:
    """Inside a unit of work: offer the keywords of an item's whole OCR text (the top eight), replacing the ones
    offered before; accepted and dismissed keywords stay."""
    reader = extractor or FrequentPairs()
    weighted = [(word, weight) for word, weight in reader.extract(text, KEYWORDS_KEPT) if len(word) <= MAX_KEYWORD]
    uow.keywords.replace_suggested(item_id, weighted)


def refresh_all_keywords(uow_factory, extractor: KeywordExtractor | None = None, batch: int = 200) -> int:
    """Offer keywords for every item that has OCR text, a batch per transaction (items read before this feature
    existed get theirs); returns how many items were read."""
    done, after = 0, 0
    while True:
        with uow_factory() as uow:
            item_ids = uow.search.item_ids(after, batch)
            if not item_ids:
                return done
            for item_id, source in uow.search.sources(item_ids).items():
                if any(source.page_texts):
                    refresh_keywords(uow, item_id, "\n".join(source.page_texts), extractor)
                    done += 1
            uow.commit()
        after = item_ids[-1]


def accepted_tags(uow, item_id: int) -> list[str]:
    """Inside a unit of work: the item's accepted tags (for its search index entry)."""
    return uow.keywords.accepted([item_id]).get(item_id, [])


def may_tag(principal: Principal, item: Item) -> bool:
    """Tags are enrichment, not description: who may describe items in intake (ITEM_EDIT_INTAKE) may tag them,
    and archived items too (tags change no catalogue field, so no correction is needed); destroyed ones not."""
    return principal.may(Action.ITEM_EDIT_INTAKE) and item.state is not ItemState.DESTROYED


def item_tags(uow_factory, principal: Principal, archival_code: str) -> ItemTags:
    """The item's accepted and suggested keywords; raises NotFoundError (unknown or not visible to the principal)."""
    with uow_factory(read_only=True, consistent=False) as uow:
        item = _visible_item(uow, principal, archival_code)
        keywords = uow.keywords.for_item(item.id)
    return ItemTags(item, [keyword for keyword in keywords if keyword.state == "accepted"],
                    [keyword for keyword in keywords if keyword.state == "suggested"], may_tag(principal, item))


def decide_keyword(uow_factory, principal: Principal, archival_code: str, keyword: str, decision: str,
                   now: datetime.datetime) -> ItemKeyword:
    """Accept or dismiss one of the item's keywords, audited as item.tag.accept / item.tag.dismiss.

    Raises NotFoundError (no such item or keyword), ForbiddenError, InvalidInputError (unknown decision),
    ConflictError (the keyword is in that state already).
    """
    state = DECISIONS.get(decision)
    if state is None:
        raise InvalidInputError(f"a keyword is accepted or dismissed, not {decision!r}")
    with uow_factory() as uow:
        item = _taggable_item(uow, principal, archival_code)
        current = uow.keywords.get(item.id, keyword)
        if current is None:
            raise NotFoundError(f"item {item.archival_code} has no keyword {keyword!r}")
        if current.state == state:
            raise ConflictError(f"keyword {keyword!r} is {state} already")
        uow.keywords.decide(item.id, keyword, state, principal.username, now)
        index_item(uow, item.id)
        record(uow, principal.actor, f"item.tag.{decision}", "item", item.archival_code,
               {"keyword": keyword, "was": current.state})
        uow.commit()
        return uow.keywords.get(item.id, keyword)


def add_tag(uow_factory, principal: Principal, archival_code: str, text: str, now: datetime.datetime) -> ItemKeyword:
    """Tag the item by hand (accepted at once), audited as item.tag.add; a keyword already offered is accepted.

    Raises NotFoundError, ForbiddenError, InvalidInputError (an empty, too long or unprintable tag),
    ConflictError (the item has that tag already).
    """
    keyword = normalise_tag(text)
    with uow_factory() as uow:
        item = _taggable_item(uow, principal, archival_code)
        current = uow.keywords.get(item.id, keyword)
        if current is not None and current.state == "accepted":
            raise ConflictError(f"item {item.archival_code} has the tag {keyword!r} already")
        if current is None:
            uow.keywords.add_manual(item.id, keyword, principal.username, now)
        else:
            uow.keywords.decide(item.id, keyword, "accepted", principal.username, now)
        index_item(uow, item.id)
        record(uow, principal.actor, "item.tag.add", "item", item.archival_code,
               {"keyword": keyword, "was": None if current is None else current.state})
        uow.commit()
        return uow.keywords.get(item.id, keyword)


def normalise_tag(text: str) -> str:
    """A tag as typed, trimmed, inner spaces folded; raises InvalidInputError for an empty or too long one."""
    keyword = " ".join(str(text or "").split())
    if not keyword or _CONTROL.search(keyword):
        raise InvalidInputError("a tag must be a word or two of printable text")
    if len(keyword) > MAX_KEYWORD:
        raise InvalidInputError(f"a tag is at most {MAX_KEYWORD} characters, not {len(keyword)}")
    return keyword


def _visible_item(uow, principal: Principal, archival_code: str) -> Item:
    code = parse_archival_code(archival_code).format()
    item = uow.catalogue.get_item(code)
    if item is None or not principal.scope.can_see(item):
        raise NotFoundError(f"no item {code}")
    return item


def _taggable_item(uow, principal: Principal, archival_code: str) -> Item:
    item = _visible_item(uow, principal, archival_code)
    if not may_tag(principal, item):
        raise ForbiddenError(f"{principal.username} may not tag item {item.archival_code}")
    return item
