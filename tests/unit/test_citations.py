"""Reading the 文号 an official document cites, how it cites them, and drawing the graph of links as SVG."""

import xml.etree.ElementTree as ElementTree

import pytest

from appliance.adapters.link_graph_svg import layout, render_graph_svg
from appliance.domain.citations import (
    DocNumber,
    GraphEdge,
    GraphNode,
    LinkedItem,
    LinkGraph,
    Relation,
    choose_targets,
    find_citations,
    lookup_spellings,
    parse_doc_number,
)

SVG = "{http://www.w3.org/2000/svg}"

REPLY = """Z市人民政府办公室
Z办函〔2019〕31号
关于同意市档案馆开展数字化工作的批复
市档案馆：
    你馆《关于开展馆藏档案数字化工作的请示》（Z档发〔2019〕7号）收悉。经研究，现批复如下：
    一、同意你馆开展馆藏档案数字化工作。
"""

FORWARDING = """Z市人民政府办公室文件
Z办发〔2019〕12号
关于转发《国务院办公厅关于加强档案信息化建设的通知》的通知
各区县人民政府，市政府各部门：
    现将《国务院办公厅关于加强档案信息化建设的通知》（国办发〔2018〕5号）转发给你们，请结合实际，认真贯彻执行。
"""

IMPLEMENTING = """Z市档案局
Z档发〔2019〕20号
关于做好2019年度档案数字化工作的通知
各有关单位：
    为贯彻落实《Z市人民政府办公室关于转发〈国务院办公厅关于加强档案信息化建设的通知〉的通知》（Z办发〔2019〕12号）
精神，按照Z办函[2019]31号文件要求，现将有关事项通知如下。
    另请参阅 京 政 发 （ ２ ０ １ ７ ） ３ 号 。
"""


def relations(text: str, own: str = "") -> list[tuple[str, Relation]]:
    return [(citation.candidates()[-1][1], citation.relation) for citation in find_citations(text, own)]


def test_a_reply_cites_the_request_it_answers_and_not_its_own_header():
    assert relations(REPLY) == [("档发〔2019〕7号", Relation.REPLIES)]


def test_a_forwarding_notice_forwards_and_its_title_is_not_mistaken_for_a_number():
    assert relations(FORWARDING) == [("办发〔2018〕5号", Relation.FORWARDS)]


def test_an_implementing_notice_with_ocr_noise():
    found = find_citations(IMPLEMENTING)
    assert [(citation.year, citation.number, citation.relation) for citation in found] == [
        (2019, 12, Relation.IMPLEMENTS), (2019, 31, Relation.IMPLEMENTS), (2017, 3, Relation.CITES)]
    # spaces OCR put between the characters and full-width digits are read through
    assert found[2].candidates()[-2][0] == DocNumber("京政发", 2017, 3)


def test_the_own_doc_number_from_the_catalogue_is_not_a_citation():
    text = "按照Z办发〔2019〕12号要求执行。"
    assert relations(text, own="Z办发〔2019〕12号") == []
    assert relations(text, own="Z办发[2019]13号") == [("办发〔2019〕12号", Relation.IMPLEMENTS)]


def test_a_header_number_later_in_the_text_is_a_citation():
    attached = "\n".join(["第一行"] * 12 + ["国办发〔2018〕5号", "国务院办公厅关于加强档案信息化建设的通知"])
    assert [citation.number for citation in find_citations(attached)] == [5]


@pytest.mark.parametrize("typed", ["Z办发〔2019〕12号", "Z办发[2019]12号", "Z办发(2019)12号", "Z办发［2019］12号",
                                   "Z办发（2019）12号", "z办发【２０１９】１２号", " Z 办发 〔2019〕 012号 "])
def test_doc_numbers_as_people_type_them(typed):
    assert parse_doc_number(typed) == DocNumber("Z办发", 2019, 12)


@pytest.mark.parametrize("typed", ["", "无", "Z办发2019年12号", "第12号", "Z办发〔19〕12号"])
def test_what_is_not_a_doc_number(typed):
    assert parse_doc_number(typed) is None


def test_every_spelling_is_looked_up_and_the_longest_reading_wins():
    citations = find_citations("根据国办发〔2018〕5号文件精神")
    spellings = lookup_spellings(citations)
    assert {"国办发〔2018〕5号", "国办发[2018]5号", "国办发(2018)5号", "国办发（2018）5号", "办发〔2018〕5号",
            "国办发〔２０１８〕５号"} <= set(spellings)
    found = [(1, "办发〔2018〕5号"), (2, "国办发(2018)5号"), (3, "国办发〔2018〕5号"), (4, "国办发〔2018〕6号")]
    assert choose_targets(citations, found, own_item_id=9) == {2: (Relation.IMPLEMENTS, "国办发〔2018〕5号"),
                                                                3: (Relation.IMPLEMENTS, "国办发〔2018〕5号")}
    assert choose_targets(citations, found, own_item_id=3) == {2: (Relation.IMPLEMENTS, "国办发〔2018〕5号")}


def test_a_target_cited_twice_keeps_the_strongest_relation():
    text = "现将Z办发〔2019〕12号转发给你们。附：Z办发〔2019〕12号。"
    targets = choose_targets(find_citations(text), [(5, "Z办发〔2019〕12号")], own_item_id=1)
    assert targets == {5: (Relation.FORWARDS, "Z办发〔2019〕12号")}


def test_a_reply_by_number_alone_and_a_number_broken_over_two_lines():
    assert relations("市人社局：\n    你单位Z人发〔2019〕3号文收悉。") == [("人发〔2019〕3号", Relation.REPLIES)]
    assert relations("根据国务院办公厅国办\n发〔2018〕5号文件") == [("办发〔2018〕5号", Relation.IMPLEMENTS)]


def test_the_nearest_telling_word_decides():
    text = "根据省里的部署，现将Z办发〔2019〕12号转发给你们。"
    assert find_citations(text)[0].relation is Relation.FORWARDS
    assert find_citations("Z办发〔2019〕12号已经印发。")[0].relation is Relation.CITES
    assert find_citations("根据工作安排。Z办发〔2019〕12号已经印发。")[0].relation is Relation.CITES  # another sentence


def graph_of(count: int, title: str = "关于<档案>&“数字化”的通知") -> LinkGraph:
    nodes = [GraphNode(LinkedItem(index, f"Z109-WS·2019-Y-BGS-{index:04d}", f"{title}{index}", "", "20190101"),
                       0 if index == 1 else 1 if index <= 6 else 2) for index in range(1, count + 1)]
    edges = [GraphEdge(1, index, Relation.CITES) for index in range(2, min(count, 6) + 1)]
    edges += [GraphEdge(index, 2 + index % 5, Relation.RELATED) for index in range(7, count + 1)]
    return LinkGraph(1, tuple(nodes), tuple(edges))


def test_the_svg_is_well_formed_scales_and_escapes_its_labels():
    svg = render_graph_svg(graph_of(30), lambda code: f"/items/{code}?a=1&b=<2>", caption="关联 <图>")
    root = ElementTree.fromstring(svg)
    left, top, width, height = map(float, root.get("viewBox").split())
    assert root.tag == f"{SVG}svg" and (left, top) == (-width / 2, -height / 2) and "rings-2" in root.get("class")
    assert root.get("width") == "100%" and root.get("height") is None and root.get("style") is None
    nodes = root.findall(f"{SVG}a")
    assert len(nodes) == 30 and nodes[0].get("href") == "/items/Z109-WS·2019-Y-BGS-0001?a=1&b=<2>"
    assert nodes[0].find(f"{SVG}title").text.startswith("关于<档案>&“数字化”的通知1 — Z109-WS·2019-Y-BGS-0001")
    assert "<档案>" not in svg and "&lt;档案&gt;" in svg
    assert {edge.get("data-relation") for edge in root.iter(f"{SVG}g")} == {"cites", "related"}
    assert "<script" not in svg and "style=" not in svg


def test_the_layout_puts_the_item_in_the_middle_and_rings_around_it():
    placed = layout(graph_of(12))
    assert (placed[1].x, placed[1].y) == (0.0, 0.0)
    first = {round((placed[index].x ** 2 + placed[index].y ** 2) ** .5) for index in range(2, 7)}
    second = {round((placed[index].x ** 2 + placed[index].y ** 2) ** .5) for index in range(7, 13)}
    assert len(first) == 1 and len(second) == 1 and second.pop() == 2 * first.pop()
    assert len({(round(point.x), round(point.y)) for point in placed.values()}) == 12  # no two on one spot
