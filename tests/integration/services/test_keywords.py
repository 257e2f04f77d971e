"""Keywords offered as tags: the subject of a notice, not its boilerplate; people's decisions audited and kept."""

import datetime
import time

import pytest
from sqlalchemy import text

from appliance.adapters.keyword_extraction import STOP_WORDS, JiebaKeywords
from appliance.domain.access import AccessScope
from appliance.domain.accounts import Role
from appliance.domain.catalogue import AccessLabel, ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.services.audit import history
from appliance.services.items import add_item
from appliance.services.keywords import (
    FrequentPairs,
    accepted_tags,
    add_tag,
    decide_keyword,
    item_tags,
    refresh_all_keywords,
    refresh_keywords,
)

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
FLOOD_NOTICE = """Z市人民政府办公室文件
Z政办发〔2019〕12号
关于切实做好2019年防汛抗旱工作的通知
各区县人民政府，市政府各部门，各有关单位：
    为切实做好今年防汛抗旱工作，确保水库安全度汛，根据上级有关要求，现就有关事项通知如下。
    一、加强组织领导。各单位要高度重视防汛抗旱工作，落实防汛责任制，明确水库、堤防、山洪灾害防御责任人。
    二、做好汛期值守。汛期实行24小时值班，各单位要加强雨情水情监测，及时发布山洪预警，做好水库调度。
    三、储备防汛物资。各区县要储备足量的防汛物资，组织抢险队伍开展防汛演练，确保堤防和水库安全。
    四、做好抗旱准备。各单位要统筹做好抗旱水源调度，保障群众饮水安全。
特此通知。
Z市人民政府办公室
2019年4月2日"""


def person(username: str, role: Role, departments=None) -> Principal:
    roles = frozenset({role})
    return Principal(username, username, roles, allowed_actions(roles),
                     AccessScope(AccessLabel.RESTRICTED, departments), "192.0.2.20")


ARCHIVIST = person("archivist-li", Role.ARCHIVIST)


@pytest.fixture
def item(appliance, actor, fonds):
    return add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2019, "Y", "BGS"),
                    ItemFields.build(title="关于切实做好2019年防汛抗旱工作的通知", date="20190402",
                                     access_label="内部"))


def offered(appliance, item, extractor=None) -> None:
    with appliance.uow_factory() as uow:
        refresh_keywords(uow, item.id, FLOOD_NOTICE, extractor or JiebaKeywords())
        uow.commit()


@pytest.mark.slow  # the first use of jieba in a process loads its dictionary: seconds on a busy machine
def test_the_keywords_of_a_notice_are_its_subject_not_boilerplate():
    started = time.perf_counter()
    JiebaKeywords().extract("预热", 8)  # jieba's dictionary loads once per process
    loaded = time.perf_counter()
    words = [word for word, _ in JiebaKeywords().extract(FLOOD_NOTICE, 8)]
    print(f"\njieba load {loaded - started:.2f} s; one notice {1000 * (time.perf_counter() - loaded):.1f} ms: {words}")
    assert len(words) == 8
    assert {"防汛", "抗旱", "水库"} <= set(words[:5])
    assert not set(words) & STOP_WORDS
    assert not any(word.isdigit() or word in ("通知", "关于", "有关", "单位", "各单位") for word in words)


def test_the_stand_in_extractor_also_finds_the_subject():
    words = [word for word, _ in FrequentPairs().extract(FLOOD_NOTICE, 8)]
    assert {"防汛", "水库"} <= set(words)
    assert "通知" not in words


def test_refreshing_replaces_suggestions_but_keeps_decisions(appliance, item):
    offered(appliance, item)
    tags = item_tags(appliance.uow_factory, ARCHIVIST, item.archival_code)
    assert len(tags.suggested) == 8 and not tags.accepted and tags.may_decide
    decide_keyword(appliance.uow_factory, ARCHIVIST, item.archival_code, "防汛", "accept", NOW)
    decide_keyword(appliance.uow_factory, ARCHIVIST, item.archival_code, "水库", "dismiss", NOW)
    offered(appliance, item)  # the text read again: decisions stay, nothing offered twice
    tags = item_tags(appliance.uow_factory, ARCHIVIST, item.archival_code)
    assert [keyword.keyword for keyword in tags.accepted] == ["防汛"]
    assert {"防汛", "水库"}.isdisjoint(keyword.keyword for keyword in tags.suggested)
    assert tags.accepted[0].decided_by == "archivist-li"
    with appliance.uow_factory(read_only=True) as uow:
        assert accepted_tags(uow, item.id) == ["防汛"]
        states = dict(uow.session.execute(text("SELECT keyword, state FROM item_keywords WHERE item_id = :id"),
                                          {"id": item.id}).all())
    assert states["水库"] == "dismissed"


def test_every_decision_is_audited(appliance, item):
    offered(appliance, item)
    decide_keyword(appliance.uow_factory, ARCHIVIST, item.archival_code, "抗旱", "accept", NOW)
    decide_keyword(appliance.uow_factory, ARCHIVIST, item.archival_code, "水库", "dismiss", NOW)
    add_tag(appliance.uow_factory, ARCHIVIST, item.archival_code, "  汛期  安全 ", NOW)
    events = [(event.action, event.details.get("keyword"), event.actor)
              for event in history(appliance.uow_factory, "item", item.archival_code) if "tag" in event.action]
    assert events == [("item.tag.accept", "抗旱", "archivist-li"), ("item.tag.dismiss", "水库", "archivist-li"),
                      ("item.tag.add", "汛期 安全", "archivist-li")]
    with appliance.uow_factory(read_only=True) as uow:
        assert accepted_tags(uow, item.id) == sorted(["抗旱", "汛期 安全"])


def snapshot(appliance, item) -> tuple:
    with appliance.uow_factory(read_only=True) as uow:
        rows = uow.session.execute(text("SELECT keyword, state, decided_by FROM item_keywords WHERE item_id = :id "
                                        "ORDER BY keyword"), {"id": item.id}).all()
        return [tuple(row) for row in rows], uow.audit.head()


@pytest.mark.parametrize(("who", "error"), [
    (person("reader-zhao", Role.READER), ForbiddenError), (person("approver-qian", Role.APPROVER), ForbiddenError),
    (person("archivist-rsc", Role.ARCHIVIST, frozenset({"RSC"})), NotFoundError),
])
def test_beyond_rights_is_refused_and_changes_nothing(appliance, item, who, error):
    offered(appliance, item)
    before = snapshot(appliance, item)
    with pytest.raises(error):
        decide_keyword(appliance.uow_factory, who, item.archival_code, "防汛", "accept", NOW)
    with pytest.raises(error):
        add_tag(appliance.uow_factory, who, item.archival_code, "洪水", NOW)
    assert snapshot(appliance, item) == before


@pytest.mark.parametrize(("keyword", "decision", "error"), [
    ("防汛", "approve", InvalidInputError), ("不存在的词", "accept", NotFoundError), ("防汛", "dismiss", None),
])
def test_bad_decisions_change_nothing(appliance, item, keyword, decision, error):
    offered(appliance, item)
    if error is None:  # dismissing twice: the second is a conflict
        decide_keyword(appliance.uow_factory, ARCHIVIST, item.archival_code, keyword, decision, NOW)
        error = ConflictError
    before = snapshot(appliance, item)
    with pytest.raises(error):
        decide_keyword(appliance.uow_factory, ARCHIVIST, item.archival_code, keyword, decision, NOW)
    assert snapshot(appliance, item) == before


@pytest.mark.parametrize("tag", ["", "   ", "x" * 41, "tab\tand\x00null"])
def test_bad_tags_are_refused(appliance, item, tag):
    before = snapshot(appliance, item)
    with pytest.raises(InvalidInputError):
        add_tag(appliance.uow_factory, ARCHIVIST, item.archival_code, tag, NOW)
    assert snapshot(appliance, item) == before


def test_archived_items_may_be_tagged_destroyed_ones_not(appliance, item):
    offered(appliance, item)
    for state, allowed in (("archived", True), ("destroyed", False)):
        with appliance.uow_factory() as uow:
            uow.session.execute(text("UPDATE items SET state = :state WHERE id = :id"), {"state": state, "id": item.id})
            uow.commit()
        assert item_tags(appliance.uow_factory, ARCHIVIST, item.archival_code).may_decide is allowed
    with pytest.raises(ForbiddenError):
        add_tag(appliance.uow_factory, ARCHIVIST, item.archival_code, "洪水", NOW)


def test_every_item_with_text_can_be_read_again(appliance, actor, item):
    from tests.integration.services.test_item_text import item_with_pages, read_page

    other, pages = item_with_pages(appliance, actor, 1)
    read_page(appliance, pages[0], FLOOD_NOTICE)
    assert refresh_all_keywords(appliance.uow_factory, FrequentPairs(), batch=1) == 1  # `item` has no pages
    with appliance.uow_factory(read_only=True) as uow:
        assert "防汛" in [keyword.keyword for keyword in uow.keywords.for_item(other.id)]
        assert uow.keywords.for_item(item.id) == []


def test_a_tag_a_person_adds_is_found_by_search(appliance, item):
    from appliance.domain.search_text import SearchFilter
    from appliance.services.search import search

    def found(word: str) -> list[str]:
        return [hit.archival_code for hit in search(appliance.uow_factory, ARCHIVIST, word, SearchFilter()).hits]

    assert found("汛期安全") == []
    add_tag(appliance.uow_factory, ARCHIVIST, item.archival_code, "汛期安全", NOW)
    assert found("汛期安全") == [item.archival_code]
