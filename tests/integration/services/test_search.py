"""Full-text search on both databases over a generated corpus of official documents with known answers."""

import random

import pytest

from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.catalogue import AccessLabel, ItemFields, ItemState
from appliance.domain.codes import ClassKey
from appliance.domain.jobs import Job
from appliance.domain.permissions import allowed_actions
from appliance.domain.search_text import SearchFilter, SearchSort
from appliance.domain.sessions import Principal
from appliance.services.derivatives import store_page_text
from appliance.services.item_editing import edit_intake_item
from appliance.services.items import add_item
from appliance.services.search import SearchPage, index_item, reindex, search
from tests.support.ocr_texts import attach_texts

SUBJECTS = ["防汛抗旱", "安全生产", "乡村振兴", "植树造林", "消防检查", "招商引资", "城市绿化", "河道治理", "垃圾分类",
            "义务教育", "医疗保障", "交通整治", "食品安全", "社区养老", "文物保护", "科技创新"]
FILLER = ("各有关单位：为进一步做好{subject}相关事项，经研究决定，现将有关要求通知如下。"
          "请各单位认真贯彻落实，按时报送材料。")


def person(name: str, role: str, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


ARCHIVIST = person("wang", "archivist")
BGS_PUBLIC_ONLY = person("zhou", "archivist", AccessScope(AccessLabel.PUBLIC, frozenset({"BGS"})))
READER = person("sun", "reader")


def file_item(appliance, actor, year: int, department: str, title: str, page_texts=(), **fields):
    label = fields.pop("access_label", "公开")
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", year, "Y", department),
                    ItemFields.build(title=title, date=f"{year}0315", access_label=label, **fields))
    if page_texts:
        attach_texts(appliance, {item.id: page_texts})
    return item



@pytest.fixture
def corpus(appliance, actor, fonds):
    """Sixteen generated notices, one subject each, and four documents the tests ask about by name."""
    generator, texts = random.Random(8), {}
    for number, subject in enumerate(SUBJECTS):
        year, department = 2018 + number % 3, generator.choice(["BGS", "RSC"])
        item = file_item(appliance, actor, year, department, f"关于做好{subject}工作的通知",
                         doc_number=f"Z办发〔{year}〕{number + 20}号")
        texts[item.id] = [FILLER.format(subject=subject), f"附件{number + 1}：{subject}工作安排表"]
    attach_texts(appliance, texts)
    known = {
        "inspection": file_item(appliance, actor, 2019, "BGS", "关于开展档案工作检查的通知",
                                ["根据《档案法》，定于2019年4月开展档案工作检查。", "检查组成员名单见附件。"],
                                doc_number="Z办发〔2019〕12号", responsible="某某市人民政府办公室"),
        "salaries": file_item(appliance, actor, 2019, "RSC", "关于薪酬调整的请示",
                              ["拟对薪酬调整方案作如下说明：人事档案核对。"], doc_number="Z人发〔2019〕3号",
                              access_label="受控"),
        "budget": file_item(appliance, actor, 2020, "BGS", "2020年度财务预算报告",
                            ["Budget report for FY2020：财务预算执行情况良好。"], doc_number="Z财发〔2020〕7号",
                            access_label="内部"),
        "minutes": file_item(appliance, actor, 2018, "RSC", "会议纪要",
                             ["会议决定：启动数字化扫描项目，由信息科负责。"], notes="数字化"),
    }
    return known


def codes(results) -> list[str]:
    return [hit.archival_code for hit in results.hits]


def find(appliance, text: str, principal: Principal = ARCHIVIST, **filters):
    return search(appliance.uow_factory, principal, text, SearchFilter(**filters), page=SearchPage(limit=50))


def test_four_character_subjects_find_exactly_their_notice(appliance, corpus):
    for subject in SUBJECTS:
        results = find(appliance, subject)
        assert results.total == 1 and subject in results.hits[0].title


def test_two_and_one_character_queries(appliance, corpus):
    assert find(appliance, "防汛").hits[0].title == "关于做好防汛抗旱工作的通知"
    assert find(appliance, "薪酬").total == 1
    inspection = corpus["inspection"].archival_code
    assert inspection in codes(find(appliance, "档"))
    assert find(appliance, "检").total >= 2  # 检查 and 消防检查
    assert find(appliance, "纪").total == 1  # the last character of 纪要's run is a token too: 要 is not the end


def test_phrases_and_terms(appliance, corpus):
    inspection = corpus["inspection"].archival_code
    assert codes(find(appliance, "档案工作检查")) == [inspection]
    assert codes(find(appliance, "检查 档案法")) == [inspection]
    assert codes(find(appliance, '"工作检查"')) == [inspection]
    assert find(appliance, "档案工作 防汛").total == 0  # both terms required
    assert find(appliance, "工作检查的通知书").total == 0


def test_document_numbers_as_people_type_them(appliance, corpus):
    for written in ["Z办发〔2019〕12号", "Z办发[2019]12号", "Z办发(2019)12号", "z办发（2019）12号", "办发〔2019〕12"]:
        assert codes(find(appliance, written)) == [corpus["inspection"].archival_code], written


def test_archival_code_prefixes_and_mixed_languages(appliance, corpus):
    of_2019 = sum(1 for number in range(len(SUBJECTS)) if number % 3 == 1) + 2  # generated, and two known
    assert find(appliance, "Z109-WS·2019").total == of_2019
    assert find(appliance, "Z109-WS·2019").facets["year"] == {2019: of_2019}
    assert find(appliance, "Z109-WS·2019-Y-BGS").facets["department"] == {"BGS": find(appliance, "Z109-WS·2019",
                                                                                          department="BGS").total}
    assert codes(find(appliance, "budget 预算")) == [corpus["budget"].archival_code]
    assert codes(find(appliance, "FY2020 财务")) == [corpus["budget"].archival_code]
    assert find(appliance, "2020年").total >= 1


def test_fields_weigh_more_than_page_text(appliance, corpus):
    hits = find(appliance, "数字化").hits
    assert hits[0].archival_code == corpus["minutes"].archival_code and hits[0].snippet_source == "text"
    assert ("数字化", True) in hits[0].snippet


def test_snippets_mark_the_original_characters(appliance, corpus):
    hit = find(appliance, "Z办发[2019]12号 检查").hits[0]
    assert hit.snippet_source == "text" and ("检查", True) in hit.snippet
    assert find(appliance, "Z109-WS·2019 会议纪要").hits == []  # 会议纪要 is of 2018
    assert find(appliance, "会议纪要").hits[0].snippet == [("会议纪要", True)]  # the title: page text lacks it


def test_a_user_without_clearance_finds_nothing_restricted_and_counts_do_not_leak(appliance, corpus):
    assert find(appliance, "薪酬调整").total == 1
    hidden = find(appliance, "薪酬调整", BGS_PUBLIC_ONLY)
    assert hidden.total == 0 and hidden.hits == [] and all(not counts for counts in hidden.facets.values())
    everything = find(appliance, "通知", BGS_PUBLIC_ONLY)
    assert everything.facets["access_label"] == {"公开": everything.total}
    assert set(everything.facets["department"]) == {"BGS"}
    assert all(hit.access_label == "公开" for hit in everything.hits)
    assert find(appliance, "", BGS_PUBLIC_ONLY).facets["access_label"].keys() == {"公开"}


def test_who_may_not_read_content_searches_the_catalogue_only(appliance, corpus):
    assert find(appliance, "数字化扫描").total == 1
    assert find(appliance, "数字化扫描", READER).total == 0
    hit = find(appliance, "会议纪要", READER).hits[0]
    assert hit.snippet_source == "title" and hit.snippet == [("会议纪要", True)]


METACHARACTERS = [
    ('"', None), ("*", None), ("NEAR", False), ("'", None), ("OR", False), ("-", None), (":", None),
    ("AND NOT", False), ("'; DROP TABLE items; --", False), ("档案 OR 检查", False),
    ("档案*", True), ("-检查", True), ('档案"工作', True), ("档案' 工作", True), ("NEAR(档案工作 检查)", False),
    ("fields:档案", False), ("{body}:档案", False), ("档案)", True), ("档案\\", True)]


def test_metacharacters_are_harmless(appliance, corpus):
    """Operators of FTS5 and tsquery are words or separators here: no error, and what is left is searched (nothing
    left: no text condition, every item the principal may see)."""
    for typed, finds_the_inspection in METACHARACTERS:
        results = find(appliance, typed)
        assert results.total == len(results.hits), typed
        if finds_the_inspection is None:
            assert results.total == len(SUBJECTS) + len(corpus), typed
        else:
            assert (corpus["inspection"].archival_code in codes(results)) is finds_the_inspection, typed


def test_filters_sorting_and_paging(appliance, corpus):
    notices = find(appliance, "通知")
    assert notices.total == len(notices.hits) == 17
    assert find(appliance, "通知", year=2019, department="BGS").facets["department"] == {"BGS": find(
        appliance, "通知", year=2019, department="BGS").total}
    dated = search(appliance.uow_factory, ARCHIVIST, "通知", SearchFilter(date_from="20190101", date_to="20191231"),
                   SearchSort.DATE, SearchPage(limit=3, offset=0))
    assert dated.total == sum(1 for number in range(16) if number % 3 == 1) + 1 and len(dated.hits) == 3
    second = search(appliance.uow_factory, ARCHIVIST, "通知", SearchFilter(), SearchSort.DATE,
                    SearchPage(limit=5, offset=5))
    first = search(appliance.uow_factory, ARCHIVIST, "通知", SearchFilter(), SearchSort.DATE, SearchPage(limit=5))
    assert not set(codes(first)) & set(codes(second))
    assert [hit.date for hit in first.hits] == sorted((hit.date for hit in first.hits), reverse=True)


def test_ocr_and_edits_are_indexed_as_they_happen(appliance, actor, fonds):
    item = file_item(appliance, actor, 2021, "BGS", "新收文件")
    assert codes(find(appliance, "新收")) == [item.archival_code]
    with appliance.uow_factory() as uow:
        page = appliance.blob_store.put_bytes(b"a scanned page")
        uow.blobs.add(page)
        uow.blobs.add_pages(item.id, [page.sha256])
        uow.catalogue.set_pages(item.id, 1)
        uow.commit()
    assert find(appliance, "湿地公园").total == 0
    store_page_text(appliance.uow_factory, appliance.blob_store, Job(0, "ocr-page", {"sha256": page.sha256}, 1),
                    "test/1", "关于建设湿地公园的批复", b"%PDF page")
    assert codes(find(appliance, "湿地公园")) == [item.archival_code]
    edit_intake_item(appliance.uow_factory, actor, item.archival_code, {"title": "湿地保护规划"}, EVERYTHING)
    assert find(appliance, "新收").total == 0 and find(appliance, "保护规划").total == 1


def test_a_destroyed_item_is_found_by_its_fields_but_not_its_text(appliance, actor, fonds):
    item = file_item(appliance, actor, 2011, "BGS", "到期文件", ["过期的页面文字"])
    with appliance.uow_factory() as uow:
        uow.catalogue.set_state([item.id], ItemState.DESTROYED)
        index_item(uow, item.id)
        uow.commit()
    assert find(appliance, "页面文字").total == 0
    assert find(appliance, "到期文件").hits[0].state == "destroyed"


def test_reindex_rebuilds_everything_with_progress(appliance, corpus):
    with appliance.uow_factory() as uow:
        for item_id in uow.search.item_ids(0, 1000):
            uow.search.remove(item_id)
        uow.commit()
    assert find(appliance, "防汛抗旱").total == 0
    seen = []
    assert reindex(appliance.uow_factory, lambda done, total: seen.append((done, total))) == 20
    assert seen[-1] == (20, 20)
    assert find(appliance, "防汛抗旱").total == 1 and find(appliance, "Z办发(2019)12号").total == 1


def test_a_phrase_is_confirmed_and_counted_exactly_unless_very_many_have_its_pairs(appliance, actor, fonds,
                                                                                  monkeypatch):
    from appliance.adapters.db import search_repository

    phrase = file_item(appliance, actor, 2020, "BGS", "关于汛期的通知", ["各单位做好防汛抗旱准备。"])
    apart = ["防汛物资到位，汛抗不力者追责，抗旱设备检修。"]  # every pair of the phrase, but apart
    file_item(appliance, actor, 2020, "BGS", "物资清单", apart)
    found = find(appliance, "防汛抗旱")
    assert codes(found) == [phrase.archival_code] and found.total == 1 and found.exact
    monkeypatch.setattr(search_repository, "EXACT_COUNT_LIMIT", 1)  # as if thousands had the pairs
    found = find(appliance, "防汛抗旱")
    assert codes(found) == [phrase.archival_code]  # what is shown is always confirmed
    postgres = appliance.engine.dialect.name == "postgresql"
    assert (found.total, found.exact) == ((2, False) if postgres else (1, True))  # PostgreSQL: an upper bound


def test_relevance_pages_follow_one_order_fields_first_then_pages_newest_first(appliance, actor, fonds):
    """Paging by relevance: every item once, those with the words in their fields ahead, newest first within each,
    and the facet counts the same on every page (on PostgreSQL, page and counts come from one pass)."""
    in_pages, in_fields = [], []
    for number in range(13):
        year = 2010 + number % 4  # registered out of year order: a filter must not depend on it
        in_pages.append(file_item(appliance, actor, year, "BGS", f"第{number}号文件", ["请做好湿地保护工作。"]))
        if number % 3 == 0:
            in_fields.append(file_item(appliance, actor, year, "RSC", f"湿地保护方案{number}"))
    expected = [item.archival_code for item in reversed(in_fields)] + [
        item.archival_code for item in reversed(in_pages)]
    for typed in ("湿地", "湿地保护"):  # a word of one pair; a phrase, confirmed in the pages
        pages = [search(appliance.uow_factory, ARCHIVIST, typed, page=SearchPage(limit=4, offset=offset))
                 for offset in range(0, 20, 4)]
        assert [code for page in pages for code in codes(page)] == expected, typed
        assert {page.total for page in pages} == {len(expected)} and all(page.exact for page in pages)
        assert pages[0].facets["department"] == {"BGS": len(in_pages), "RSC": len(in_fields)}
    of_2010 = search(appliance.uow_factory, ARCHIVIST, "湿地", SearchFilter(year=2010), page=SearchPage(limit=50))
    assert codes(of_2010) == [code for code in expected if "·2010-" in code] and of_2010.total == 6


def test_a_phrase_is_found_behind_many_newer_items_with_its_pairs_apart(appliance, actor, fonds):
    """Candidates by the phrase's pairs that the pages do not confirm are passed over, however many come first."""
    wanted = file_item(appliance, actor, 2020, "BGS", "年度报告", ["今年完成湿地保护工作。"])
    for number in range(40):  # every pair of 湿地保护 in each, never together
        file_item(appliance, actor, 2020, "BGS", f"简报{number}", ["湿地面积增加，地保持稳定，保护区扩大。"])
    for sort in SearchSort:
        found = search(appliance.uow_factory, ARCHIVIST, "湿地保护", sort=sort, page=SearchPage(limit=2))
        assert codes(found) == [wanted.archival_code] and found.total == 1 and found.exact, sort
