"""The console's search page and the search box on every page: what people type finds what they mean, marked,
narrowed by facets, within their rights, and nothing they typed or scanned becomes markup."""

import html
import re
import urllib.parse

import pytest

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.items import add_item
from tests.support.console import make_person, sign_in
from tests.support.ocr_texts import attach_texts

SUBJECTS = ["防汛抗旱", "安全生产", "乡村振兴", "植树造林", "消防检查", "招商引资", "城市绿化", "河道治理"]
FILLER = "各有关单位：为进一步做好{subject}相关事项，经研究决定，现将有关要求通知如下。请各单位认真贯彻落实。"
TOTAL = re.compile(r'class="search-total"[^>]*>[^<0-9]*([\d,]+)')
HIT_CODE = re.compile(r'<li class="hit">\s*<p class="hit-head"><a class="code" href="[^"]+">([^<]+)</a>')
FACET_LINK = re.compile(r'<a href="(/search\?[^"]+)">([^<]+)</a> <span class="muted">([\d,]+)</span>')


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


def file_item(appliance, actor, year: int, department: str, title: str, page_texts=(), **fields):
    """An item in Z109's documents (文书) class, with pages whose OCR text is stored and indexed."""
    item = add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", year, "Y", department),
                    ItemFields.build(title=title, date=fields.pop("date", f"{year}0315"), **fields))
    if page_texts:
        attach_texts(appliance, {item.id: page_texts})
    return item.archival_code



@pytest.fixture
def corpus(appliance, actor, fonds):
    """Eight generated notices, one subject each, and the documents the tests ask about by name."""
    for number, subject in enumerate(SUBJECTS):
        file_item(appliance, actor, 2018 + number % 2, "RSC" if number % 3 == 0 else "BGS",
                  f"关于做好{subject}工作的通知", [FILLER.format(subject=subject)],
                  doc_number=f"Z办发〔2018〕{number}号")
    return {
        "inspection": file_item(appliance, actor, 2019, "BGS", "关于开展档案工作检查的通知",
                                ["根据《档案法》，定于2019年4月开展档案工作检查。", "检查组成员名单见附件。"],
                                doc_number="Z办发〔2019〕12号", responsible="某某市人民政府办公室"),
        "salaries": file_item(appliance, actor, 2019, "RSC", "关于薪酬调整的请示", ["薪酬调整方案的说明。"],
                              access_label="受控"),
        "minutes": file_item(appliance, actor, 2018, "RSC", "会议纪要", ["会议决定：启动数字化扫描项目。"]),
    }


@pytest.fixture
def archivist(app, appliance):
    make_person(appliance, "archivist-wang", ["archivist"])
    client = app.test_client()
    assert sign_in(client, "archivist-wang").status_code == 302
    return client


def page_of(client, **arguments) -> tuple[int, str]:
    response = client.get("/search", query_string=arguments)
    return response.status_code, response.get_data(as_text=True)


def total(page: str) -> int:
    return int(TOTAL.search(page).group(1).replace(",", ""))


def hit_codes(page: str) -> list[str]:
    return [html.unescape(code) for code in HIT_CODE.findall(page)]


def test_two_chinese_characters_find_the_document_with_the_match_marked(archivist, corpus):
    status, page = page_of(archivist, q="防汛")
    assert status == 200 and total(page) == 1
    assert '<span class="hit-title">关于做好<mark>防汛</mark>抗旱工作的通知</span>' in page
    assert "做好<mark>防汛</mark>抗旱相关事项" in page  # and in the snippet of the page text
    status, page = page_of(archivist, q="纪要")
    assert hit_codes(page)[:3].count(corpus["minutes"]) == 1
    assert f'href="/items/{corpus["minutes"]}"' in urllib.parse.unquote(html.unescape(page))


def test_a_four_character_phrase_and_a_document_number_with_square_brackets(archivist, corpus):
    page = page_of(archivist, q="档案工作检查")[1]
    assert hit_codes(page) == [corpus["inspection"]] and "<mark>档案工作检查</mark>" in page
    page = page_of(archivist, q="Z办发[2019]12号")[1]
    assert hit_codes(page) == [corpus["inspection"]]


def test_a_facet_link_narrows_the_results_and_the_counts(archivist, corpus):
    page = page_of(archivist, q="通知")[1]
    everything = total(page)
    links = {html.unescape(label): (html.unescape(url), int(count)) for url, label, count in FACET_LINK.findall(page)}
    url, count = links["RSC"]
    assert 0 < count < everything and "department=RSC" in url
    narrowed = archivist.get(url).get_data(as_text=True)
    assert total(narrowed) == count and len(hit_codes(narrowed)) == count
    assert narrowed.count('class="remove"') == 1  # the filter in use, with a way to take it off
    years = {html.unescape(label): int(number) for _, label, number in FACET_LINK.findall(narrowed)
             if label.isdigit()}
    assert sum(years.values()) == count
    removed = re.search(r'<a class="remove" href="([^"]+)"', narrowed).group(1)
    assert total(archivist.get(html.unescape(removed)).get_data(as_text=True)) == everything


def test_sorting_dates_and_paging(archivist, appliance, actor, corpus):
    for number in range(25):
        file_item(appliance, actor, 2020, "BGS", f"第{number}号检查报告", date=f"202001{number + 1:02d}")
    page = page_of(archivist, q="检查报告", sort="date")[1]
    assert total(page) == 25 and len(hit_codes(page)) == 20 and hit_codes(page)[0].endswith("0025")
    assert 'rel="next"' in page and 'rel="prev"' not in page
    second = page_of(archivist, q="检查报告", sort="date", page="2")[1]
    assert len(hit_codes(second)) == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    ranged = page_of(archivist, q="检查报告", **{"from": "2020-01-10", "to": "2020-01-12"})[1]
    assert total(ranged) == 3 and 'value="2020-01-10"' in ranged


def test_a_user_without_clearance_neither_sees_nor_counts_a_restricted_item(app, appliance, archivist, corpus):
    assert total(page_of(archivist, q="请示")[1]) == 1
    make_person(appliance, "archivist-li", ["archivist"], clearance="内部")
    client = app.test_client()
    sign_in(client, "archivist-li")
    page = page_of(client, q="请示")[1]
    assert total(page) == 0 and corpus["salaries"] not in html.unescape(page) and "薪酬" not in page
    broad = page_of(client, q="关于")[1]
    assert total(broad) == total(page_of(archivist, q="关于")[1]) - 1
    assert "受控" not in broad


def test_markup_in_a_title_or_in_ocr_text_is_shown_as_text(archivist, appliance, actor, fonds):
    file_item(appliance, actor, 2019, "BGS", '<script src="/x.js"></script>档案<b>移交</b>',
              ['<img src=x onerror="alert(1)">档案移交清单<i>附件</i>'])
    page = page_of(archivist, q="档案移交")[1]
    assert total(page) == 1
    assert "<script" not in page.split("<main>")[1] and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script src=&#34;/x.js&#34;&gt;" in page and "&lt;img src=x onerror=" in page
    assert "<mark>档案移交</mark>" in page


def test_the_search_box_is_on_the_other_console_pages(archivist, corpus):
    for path in ("/", f"/items/{corpus['inspection']}", "/fonds/Z109", "/notifications"):
        page = archivist.get(path).get_data(as_text=True)
        assert re.search(r'<form class="search-box" method="get" action="/search" role="search">', page), path


def test_a_reader_searches_the_catalogue_fields_only(app, appliance, archivist, corpus):
    assert hit_codes(page_of(archivist, q="数字化")[1]) == [corpus["minutes"]]
    make_person(appliance, "reader-sun", ["reader"])
    reader = app.test_client()
    sign_in(reader, "reader-sun")
    assert total(page_of(reader, q="数字化")[1]) == 0
    page = page_of(reader, q="会议纪要")[1]
    assert hit_codes(page) == [corpus["minutes"]] and '<p class="snippet">' not in page
    assert re.search(r'<form class="search-box"', reader.get("/").get_data(as_text=True))


def test_an_empty_query_shows_the_box_and_a_hint(archivist, corpus):
    for typed in ("", "  ", "《》"):
        status, page = page_of(archivist, q=typed)
        assert status == 200 and "search-hint" in page and '<ol class="hits"' not in page
        assert '<input type="search" name="q"' in page


@pytest.mark.parametrize("arguments", [{"year": "二〇一九"}, {"year": "19"}, {"page": "x"}, {"page": "0"},
                                       {"page": "999999"}, {"state": "lost"}, {"sort": "rank"},
                                       {"from": "2019"}, {"label": "秘密"}, {"year": "²⁰¹⁹"}])
def test_bad_input_gets_a_clear_message(archivist, corpus, arguments):
    status, page = page_of(archivist, q="通知", **arguments)
    assert status == 422 and 'class="flash error search-problem"' in page and '<ol class="hits"' not in page
    assert 'value="通知"' in page  # the box keeps what was typed


def test_a_page_beyond_the_end_says_so(archivist, corpus):
    status, page = page_of(archivist, q="防汛", page="7")
    assert status == 200 and 'class="flash error search-problem"' in page and total(page) == 1
    assert hit_codes(page) == [] and 'href="/search?q=' in page


def test_metacharacters_are_harmless_and_the_query_is_kept_escaped(archivist, corpus):
    for typed in ['"', "*", "NEAR(档案", "'", "档案 AND 1=1", '"><script>']:
        status, page = page_of(archivist, q=typed)
        assert status == 200, typed
    assert 'value="&#34;&gt;&lt;script&gt;"' in page


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/search?q=档案")
    assert response.status_code == 302 and "/login" in response.location
