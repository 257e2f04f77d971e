"""Reading the 文号, 成文日期, title and 责任者 off the layout of a Chinese official document."""

import pytest

from appliance.domain.filing_patterns import (
    document_lines,
    find_doc_number,
    header_suggestions,
    normalise_doc_number,
    parse_chinese_date,
)

NOTICE = """
Z市人民政府办公室文件

Z办发〔2019〕12号

关于加强全市防汛抗旱工作的通知

各区县人民政府，市政府各部门：
    根据《国务院关于做好防汛工作的意见》（国发〔2018〕5号）精神，现就有关事项通知如下。
    一、各单位要落实防汛责任制。

Z市人民政府办公室
二〇一九年三月十五日
"""

REPLY = """Z市财政局
财预函 [2020] 7 号          签发人：王明
关于同意调整2020年部门预算
的批复
市教育局：
    你局《关于调整部门预算的请示》收悉。经研究，同意调整。
Z市财政局
2020年6月1日
"""


def values(text: str) -> dict[str, str]:
    return {suggestion.field: suggestion.value for suggestion in header_suggestions(text)}


def test_a_notice_header_gives_every_field():
    assert values(NOTICE) == {"doc_number": "Z办发〔2019〕12号", "date": "20190315",
                              "title": "关于加强全市防汛抗旱工作的通知", "responsible": "Z市人民政府办公室"}


def test_a_wrapped_title_a_side_note_and_square_brackets():
    assert values(REPLY) == {"doc_number": "财预函〔2020〕7号", "date": "20200601",
                             "title": "关于同意调整2020年部门预算的批复", "responsible": "Z市财政局"}


@pytest.mark.parametrize("written", ["Z办发〔2019〕12号", "Z办发[2019]12号", "Z办发(2019)12号", "Z办发（2019）12号",
                                     "Z办发【2019】12号", "Z办发［2019］12号", "Z办发 〔 2019 〕 012 号"])
def test_every_bracket_variant_is_normalised(written):
    assert normalise_doc_number(written) == "Z办发〔2019〕12号"


@pytest.mark.parametrize("written", ["Z办发〔19〕12号", "Z办发〔2019〕号", "〔2019〕12号", "Z办发〔1850〕3号",
                                     "Z办发〔2019〕0号", "Z办发〔2019〕12", "见Z办发〔2019〕12号文"])
def test_what_is_not_one_doc_number_is_refused(written):
    assert normalise_doc_number(written) is None


def test_a_doc_number_cited_in_the_body_is_not_the_header_one():
    text = "关于转发文件的通知\n各单位：\n根据Z办发〔2019〕12号文件精神，现转发如下。"
    assert find_doc_number(document_lines(text)) is None
    assert "doc_number" not in values(text)


@pytest.mark.parametrize(("written", "expected"), [
    ("2019年3月15日", "20190315"), ("2019 年 12 月 1 日", "20191201"), ("二〇一九年三月十五日", "20190315"),
    ("二○二○年十二月三十一日", "20201231"), ("二零零八年十月一日", "20081001"), ("二〇二一年二月二十日", "20210220"),
])
def test_dates_in_figures_and_in_chinese_numerals(written, expected):
    assert parse_chinese_date(written) == expected


@pytest.mark.parametrize("written", ["2019年2月30日", "二〇一九年十三月一日", "二〇一九年二月三十日",
                                     "二〇一九年十十月一日", "2019年3月", "3月15日", "1800年1月1日",
                                     "二〇一九年三月四十日"])
def test_no_real_day_no_date(written):
    assert parse_chinese_date(written) is None


def test_ocr_spaces_between_characters_are_ignored():
    text = ("Z 市 教 育 局 文 件\nZ 教 发 ( 2021 ) 3 号\n关 于 开 展 安 全 检 查 的 通 知\n正文。\n"
            "二 〇 二 一 年 五 月 六 日")
    assert values(text) == {"doc_number": "Z教发〔2021〕3号", "date": "20210506",
                            "title": "关于开展安全检查的通知", "responsible": "Z市教育局"}


@pytest.mark.parametrize("text", ["", "   \n\n", "这是一段没有格式的文字，没有文号也没有日期。", "%%%###@@@\n\x00\x01",
                                  "关于" * 200, "各单位：关于此事，请知悉。"])
def test_text_without_a_layout_gives_no_suggestion(text):
    assert header_suggestions(text) == []


def test_a_date_in_the_body_is_not_taken_for_the_signature_date_when_none_closes():
    text = "关于召开会议的通知\n会议定于2019年3月15日召开，请准时参加。"
    assert "date" not in values(text)
