import sqlite3

import pytest

from appliance.domain.search_text import (
    FACET_MARK,
    IndexSource,
    SearchFilter,
    facet_token,
    filter_tokens,
    index_text,
    marked,
    match_spans,
    parse_query,
    phrase_for,
    tokens,
)


def test_a_chinese_run_is_its_bigrams_and_its_last_character():
    assert tokens("档案工作") == ["档案", "案工", "工作", "作"]
    assert tokens("档") == ["档"]


def test_full_width_forms_and_case_fold_and_punctuation_separates():
    assert tokens("ＡＢＣ１２３，档案。Hello") == ["abc123", "档案", "案", "hello"]
    assert index_text("关于《档案法》的通知") == "关于 于 档案 案法 法 的通 通知 知"


def test_terms_become_phrases_and_the_end_of_a_term_may_continue():
    assert phrase_for("档案工作").fts5() == '"档案" + "案工" + "工作"'
    assert phrase_for("档").fts5() == '"档" *'
    assert phrase_for("2019年").fts5() == '"2019" + "年" *'
    assert phrase_for("Z109-WS·2019").fts5() == '"z109" + "ws" + "2019"'
    assert phrase_for("档案工作").tsquery() == "'档案' <-> '案工' <-> '工作'"
    assert phrase_for("2019年").tsquery() == "'2019' <-> '年':*"


@pytest.mark.parametrize("written", ["Z办发〔2019〕12号", "Z办发[2019]12号", "Z办发(2019)12号", "Ｚ办发（2019）12号",
                                     "z办发【2019】12号"])
def test_document_numbers_read_alike_whatever_the_brackets(written):
    assert phrase_for(written) == phrase_for("Z办发〔2019〕12号")
    assert phrase_for(written).fts5() == '"z" + "办发" + "发" + "2019" + "12" + "号" *'


def test_spaces_separate_required_terms_and_quotes_keep_one_term():
    query = parse_query('档案  "工作 检查" 通知')
    assert [phrase.fts5() for phrase in query.phrases] == ['"档案"', '"工作" + "作" + "检查"', '"通知"']
    assert query.fts5() == '("档案") AND ("工作" + "作" + "检查") AND ("通知")'
    assert query.tsqueries() == ["'档案'", "'工作' <-> '作' <-> '检查'", "'通知'"]


@pytest.mark.parametrize("typed", ['"', '""', "*", "NEAR", "NEAR(档案 工作)", "'", "OR", "-", ":", "a:b", "档案 OR",
                                   '档案" *', "fields:档案", "^档案", "AND NOT", "(", ")", "'; DROP TABLE items; --",
                                   "\\", "'档\\'案'", "{fields}:x", "档案 -工作", "", "   ", "〔〕"])
def test_metacharacters_only_separate_and_the_queries_always_parse(typed):
    query = parse_query(typed)
    for phrase in query.phrases:
        assert all(token.isalnum() for token in phrase.tokens)
    database = sqlite3.connect(":memory:")
    database.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='unicode61 remove_diacritics 0')")
    database.execute("INSERT INTO t VALUES (?)", (index_text("档案工作 near or and not fields x b"),))
    if not query.empty:
        database.execute("SELECT count(*) FROM t WHERE t MATCH ?", (query.fts5(),)).fetchall()


def test_operator_words_are_searched_as_words():
    assert parse_query("NEAR OR").fts5() == '("near") AND ("or")'


def test_matches_are_marked_on_the_original_characters():
    query = parse_query("Z办发[2019]12号 档案")
    text = "根据Ｚ办发〔2019〕12号文件，做好档案工作。"
    assert [piece for piece, hit in marked(text, query) if hit] == ["Ｚ办发〔2019〕12号", "档案"]
    assert "".join(piece for piece, _ in marked(text, query)) == text


def test_marks_stay_on_their_characters_where_one_folds_to_several():
    text = "㈠档案工作：㍿ofﬁce档案"  # ㈠ folds to (一), ㍿ to 株式会社, ﬁ to fi
    assert [text[start:end] for start, end in match_spans(text, parse_query("档案"))] == ["档案", "档案"]
    assert [piece for piece, hit in marked(text, parse_query("office")) if hit] == ["ofﬁce"]


def test_a_word_is_not_marked_inside_a_longer_word_but_a_prefix_is():
    assert match_spans("x2019 2019年", parse_query("2019")) == [(6, 10)]
    assert match_spans("二〇一九年 2019年度", parse_query("2019年")) == [(6, 11)]


def test_a_window_is_cut_around_the_first_match():
    text = "甲" * 200 + "档案工作" + "乙" * 200
    segments = marked(text, parse_query("档案"), window=40)
    assert segments[0] == ("…", False) and segments[-1] == ("…", False)
    assert ("档案", True) in segments
    assert sum(len(piece) for piece, _ in segments[1:-1]) == 40


def test_nothing_to_search_for():
    assert parse_query(" ·、。 ").empty
    assert marked("题名", parse_query("")) == [("题名", False)]


@pytest.mark.parametrize("text", ["关于做好2019年防汛抗旱工作的通知", "Z办发〔2019〕12号 ＡＢＣ", "", "a", "字",
                                  "一、二。三", "mixed English 和中文 text_with_underscores 〇一二"])
def test_index_text_is_the_tokens_joined(text):
    assert index_text(text, text) == " ".join(tokens(text) + tokens(text))


def test_facet_tokens_cannot_be_typed_into_a_query():
    token = facet_token("year", 2019)
    assert token.endswith("y2019") and FACET_MARK not in parse_query(f"y2019 {token} ＂{token}＂").fts5()
    assert filter_tokens(SearchFilter(year=2019, department="BGS", date_from="20190101")) == [
        facet_token("year", 2019), facet_token("department", "bgs")]


def test_an_entry_carries_its_facet_tokens_after_its_words():
    facets = ("Z109", 2019, "Y", "BGS", "公开", "archived")
    source = IndexSource("年度报告", "", "", "", "Z109-WS·2019-Y-BGS-0001", facets, ("第一页",))
    fields = source.fields_text().split()
    assert fields[:3] == ["年度", "度报", "报告"] and facet_token("state", "archived") in fields
    assert source.state == "archived" and source.body_text() == "第一 一页 页"
