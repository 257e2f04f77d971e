"""Related records on both databases: links found by the item-text job, kept in step with the text, links made by
hand with their refusals, and what a person with a narrower scope sees."""


import pytest
from sqlalchemy import select

from appliance.adapters.db.tables import ItemLinkRow
from appliance.adapters.tables import read_rows
from appliance.domain.access import EVERYTHING, AccessScope
from appliance.domain.accounts import Role
from appliance.domain.catalogue import AccessLabel, ItemFields
from appliance.domain.citations import LinkOrigin, Relation
from appliance.domain.codes import ClassKey
from appliance.domain.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from appliance.domain.jobs import CITED_BY, ITEM_TEXT, PAGE_OCR, Derivative, Job
from appliance.domain.permissions import allowed_actions
from appliance.domain.sessions import Principal
from appliance.services import links
from appliance.services.catalogue_import import import_catalogue
from appliance.services.derivatives import claim_jobs
from appliance.services.item_editing import edit_intake_item
from appliance.services.item_text import process_item_text
from appliance.services.items import add_item
from tests.support.catalogue_files import catalogue_rows, write_csv
from tests.support.ocr_texts import attach_texts

REQUEST_TEXT = "Z市档案馆\nZ档发〔2019〕7号\n关于开展馆藏档案数字化工作的请示\n市政府办公室：\n    拟开展数字化。"
REPLY_TEXT = """Z市人民政府办公室
Z办函〔2019〕31号
关于同意市档案馆开展数字化工作的批复
市档案馆：
    你馆《关于开展馆藏档案数字化工作的请示》（Z档发［２０１９］７号）收悉。经研究，同意。"""
FORWARD_TEXT = """Z办发〔2019〕12号
关于转发国务院办公厅通知的通知
各区县人民政府：
    现将《国务院办公厅关于加强档案信息化建设的通知》（国 办 发 〔2018〕 5 号）转发给你们，请认真贯彻执行。"""
IMPLEMENT_TEXT = """Z档发〔2019〕20号
关于做好档案数字化工作的通知
    为贯彻落实《关于转发国务院办公厅通知的通知》（Z办发(2019)12号）精神，按照Z办函〔2019〕31号要求，现通知如下。"""


def register(appliance, actor, title: str, doc_number: str = "", department: str = "BGS", label: str = "公开"):
    key = ClassKey("Z109", "WS", 2019, "Y", department)
    return add_item(appliance.uow_factory, appliance.blob_store, actor, key,
                    ItemFields.build(title=title, date="20190315", doc_number=doc_number, access_label=label))


def read_text(appliance, item) -> bool:
    """Run the worker's item-text job for the item, as the queue would."""
    return process_item_text(appliance.uow_factory, Job(0, ITEM_TEXT, {"item": item.id}, 1))


def person(name: str, role: Role = Role.ARCHIVIST, scope: AccessScope = EVERYTHING) -> Principal:
    return Principal(name, name, frozenset({role}), allowed_actions([role]), scope, "192.0.2.7")


def links_table(appliance) -> set[tuple]:
    with appliance.uow_factory(read_only=True) as uow:
        rows = uow.session.execute(select(ItemLinkRow.source_item_id, ItemLinkRow.target_item_id,
                                          ItemLinkRow.relation, ItemLinkRow.origin))
        return {tuple(row) for row in rows}


def detections(appliance, item) -> list:
    with appliance.uow_factory(read_only=True) as uow:
        return [event for event in uow.audit.events_for(links.AUDIT_OBJECT, item.archival_code)
                if event.action == "item.links.detect"]


@pytest.fixture
def archive(appliance, actor, fonds):
    """Four documents that cite one another, and a State Council notice typed with ASCII brackets."""
    made = {"request": register(appliance, actor, "关于开展馆藏档案数字化工作的请示", "Z档发〔2019〕7号"),
            "reply": register(appliance, actor, "关于同意市档案馆开展数字化工作的批复", "Z办函〔2019〕31号"),
            "state": register(appliance, actor, "国务院办公厅关于加强档案信息化建设的通知", "国办发(2018)5号"),
            "forward": register(appliance, actor, "关于转发国务院办公厅通知的通知", "Z办发〔2019〕12号"),
            "implement": register(appliance, actor, "关于做好档案数字化工作的通知", "Z档发〔2019〕20号")}
    attach_texts(appliance, {made["request"].id: [REQUEST_TEXT], made["reply"].id: [REPLY_TEXT],
                             made["forward"].id: [FORWARD_TEXT], made["implement"].id: ["第一页", IMPLEMENT_TEXT]})
    return made


def test_the_item_text_job_links_what_each_text_cites(appliance, archive):
    ids = {name: item.id for name, item in archive.items()}
    for name in ("request", "reply", "forward", "implement"):
        assert read_text(appliance, archive[name])
    assert links_table(appliance) == {
        (ids["reply"], ids["request"], "replies", "auto"),
        (ids["forward"], ids["state"], "forwards", "auto"),
        (ids["implement"], ids["forward"], "implements", "auto"),
        (ids["implement"], ids["reply"], "implements", "auto")}
    [event] = detections(appliance, archive["implement"])
    assert event.actor == "system:links" and len(event.details["added"]) == 2 and event.details["removed"] == []
    assert {"item": archive["forward"].archival_code, "relation": "implements",
            "evidence": "Z办发(2019)12号"} in event.details["added"]
    assert detections(appliance, archive["request"]) == []  # its own header 文号 is no citation of itself


def test_reading_again_changes_nothing_and_a_changed_text_drops_what_it_no_longer_cites(appliance, archive, actor):
    for name in ("reply", "implement"):
        read_text(appliance, archive[name])
    before = links_table(appliance)
    read_text(appliance, archive["implement"])
    assert links_table(appliance) == before and len(detections(appliance, archive["implement"])) == 1
    links.add_link(appliance.uow_factory, person("archivist-wang"), archive["implement"].archival_code,
                   archive["request"].archival_code, "related", "同一项目")
    with appliance.uow_factory() as uow:  # the page read again by a better OCR: only the forwarded notice is cited
        [page] = uow.search.page_digests(archive["implement"].id)[1:]
        uow.jobs.add_derivative(Derivative(page, PAGE_OCR, "test/2", page, "按照Z办发〔2019〕12号要求执行。"))
        uow.commit()
    read_text(appliance, archive["implement"])
    ids = {name: item.id for name, item in archive.items()}
    assert {row for row in links_table(appliance) if row[0] == ids["implement"]} == {
        (ids["implement"], ids["forward"], "implements", "auto"),
        (ids["implement"], ids["request"], "related", "manual")}
    latest = detections(appliance, archive["implement"])[-1]
    assert latest.details["added"] == [] and [link["item"] for link in latest.details["removed"]] == [
        archive["reply"].archival_code]


def test_an_item_registered_later_gains_the_links_of_earlier_texts(appliance, actor, fonds):
    citing = register(appliance, actor, "关于落实省厅通知的通知", "Z办发〔2019〕40号")
    attach_texts(appliance, {citing.id: ["根据Z省档发[2019]3号文件精神，现通知如下。"]})
    read_text(appliance, citing)
    assert links_table(appliance) == set()
    cited = register(appliance, actor, "省档案局关于档案工作的通知", "z省档发（2019）3号")  # registering links it
    assert links_table(appliance) == {(citing.id, cited.id, "implements", "auto")}
    edit_intake_item(appliance.uow_factory, actor, cited.archival_code, {"doc_number": "Z省档发〔2019〕4号"},
                     EVERYTHING)  # its 文号 corrected: the link follows the number, not the item
    assert links_table(appliance) == set()


def test_an_import_links_the_earlier_texts_that_cite_its_numbers_in_batches(appliance, actor, fonds, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(links, "CITED_BY_BATCH", 2)
    citing = register(appliance, actor, "关于落实办公室通知的通知", "Z档发〔2019〕50号")
    attach_texts(appliance, {citing.id: ["根据Z办发(2011)1号和Z办发〔2011〕5号文件，现通知如下。"]})
    read_text(appliance, citing)
    assert links_table(appliance) == set()  # neither is in the catalogue yet
    path = write_csv(tmp_path / "old.csv", catalogue_rows(5))  # Z办发〔2011〕1号 … 5号
    import_catalogue(appliance.uow_factory, appliance.blob_store, actor, path, read_rows(path))
    batches = 0
    while jobs := claim_jobs(appliance.uow_factory, "test", (CITED_BY,), 1):
        links.process_cited_by(appliance.uow_factory, jobs[0])
        batches += 1
    assert batches == 3  # five numbered items, two a batch
    with appliance.uow_factory(read_only=True) as uow:
        cited = {uow.links.doc_number_of(target): target for _, target, _, _ in links_table(appliance)}
    assert set(cited) == {"Z办发〔2011〕1号", "Z办发〔2011〕5号"}
    assert links_table(appliance) == {(citing.id, target, "implements", "auto") for target in cited.values()}


def test_manual_links_and_their_refusals_change_nothing(appliance, actor, fonds):
    first = register(appliance, actor, "关于档案工作的通知")
    second = register(appliance, actor, "关于档案工作的补充通知")
    hidden = register(appliance, actor, "人事处内部材料", department="RSC", label="受控")
    scoped = person("archivist-li", scope=AccessScope(AccessLabel.INTERNAL, frozenset({"BGS"})))
    link = links.add_link(appliance.uow_factory, scoped, first.archival_code, second.archival_code.replace("·", "."),
                          "replies", "  口头答复  ")
    assert (link.relation, link.origin, link.evidence, link.created_by) == (
        Relation.REPLIES, LinkOrigin.MANUAL, "口头答复", "archivist-li")
    refusals = [
        (InvalidInputError, second.archival_code[:-4] + "0099", "cites"),  # unknown
        (InvalidInputError, "not a code", "cites"),
        (InvalidInputError, first.archival_code, "cites"),  # itself
        (InvalidInputError, second.archival_code, "quotes"),
        (ConflictError, second.archival_code, "replies"),  # the same again
        (InvalidInputError, hidden.archival_code, "cites"),  # beyond the person's scope: as if unknown
    ]
    before = links_table(appliance)
    for error, related, relation in refusals:
        with pytest.raises(error):
            links.add_link(appliance.uow_factory, scoped, first.archival_code, related, relation)
    with pytest.raises(ForbiddenError):
        links.add_link(appliance.uow_factory, person("reader-sun", Role.READER), first.archival_code,
                       second.archival_code, "cites")
    with pytest.raises(NotFoundError):
        links.add_link(appliance.uow_factory, scoped, hidden.archival_code, first.archival_code, "cites")
    with appliance.uow_factory() as uow:  # two people a moment apart: the second insert is told, not failed
        assert uow.links.add(first.id, second.id, Relation.REPLIES, LinkOrigin.MANUAL, "", "archivist-wang") is None
    assert links_table(appliance) == before
    with appliance.uow_factory(read_only=True) as uow:
        actions = [event.action for event in uow.audit.events_for(links.AUDIT_OBJECT, first.archival_code)]
    assert actions.count("item.link.add") == 1


def test_related_reads_both_ways_and_removal(appliance, actor, fonds):
    first, second = register(appliance, actor, "甲"), register(appliance, actor, "乙")
    archivist = person("archivist-wang")
    link = links.add_link(appliance.uow_factory, archivist, first.archival_code, second.archival_code, "related")
    with pytest.raises(ConflictError):
        links.add_link(appliance.uow_factory, archivist, second.archival_code, first.archival_code, "related")
    [record] = links.related_records(appliance.uow_factory, second.archival_code, EVERYTHING)
    assert (record.other.id, record.outgoing, record.group) == (first.id, False, "related")
    with pytest.raises(NotFoundError):
        links.remove_link(appliance.uow_factory, archivist, first.archival_code, link.id + 1)
    links.remove_link(appliance.uow_factory, archivist, second.archival_code, link.id)
    assert links_table(appliance) == set()
    with appliance.uow_factory(read_only=True) as uow:
        [event] = [event for event in uow.audit.events_for(links.AUDIT_OBJECT, second.archival_code)
                   if event.action == "item.link.remove"]
    assert event.details["item"] == first.archival_code and event.details["outgoing"] is False


def test_found_links_stay_and_hidden_ones_are_neither_listed_nor_drawn(appliance, actor, fonds):
    notice = register(appliance, actor, "关于转发人事处通知的通知", "Z办发〔2019〕50号")
    secret = register(appliance, actor, "人事处关于调整工资的通知", "Z人发〔2019〕2号", department="RSC", label="受控")
    public = register(appliance, actor, "关于档案工作的通知", "Z办发〔2019〕1号")
    attach_texts(appliance, {notice.id: ["现将Z人发〔2019〕2号转发给你们。根据Z办发〔2019〕1号执行。"]})
    read_text(appliance, notice)
    found = links.related_records(appliance.uow_factory, notice.archival_code, EVERYTHING)
    assert {record.other.id for record in found} == {secret.id, public.id}
    archivist = person("archivist-wang")
    with pytest.raises(ConflictError):
        links.remove_link(appliance.uow_factory, archivist, notice.archival_code, found[0].link.id)
    scoped = AccessScope(AccessLabel.INTERNAL, frozenset({"BGS"}))
    assert [record.other.id for record in links.related_records(appliance.uow_factory, notice.archival_code,
                                                                  scoped)] == [public.id]
    graph = links.link_graph(appliance.uow_factory, notice.archival_code, scoped)
    assert {node.item.id for node in graph.nodes} == {notice.id, public.id} and len(graph.edges) == 1
    with pytest.raises(NotFoundError):
        links.related_records(appliance.uow_factory, secret.archival_code, scoped)
    secret_link = next(record.link for record in found if record.other.id == secret.id)
    with pytest.raises(NotFoundError):
        links.remove_link(appliance.uow_factory, person("archivist-li", scope=scoped), notice.archival_code,
                          secret_link.id)


def test_the_graph_reaches_two_links_out_and_stops_at_thirty(appliance, actor, fonds):
    center = register(appliance, actor, "中心")
    archivist = person("archivist-wang")
    neighbours = [register(appliance, actor, f"邻{index}") for index in range(6)]
    for neighbour in neighbours:
        links.add_link(appliance.uow_factory, archivist, center.archival_code, neighbour.archival_code, "cites")
    for index in range(25):  # 32 items in all: the graph stops at 30
        far = register(appliance, actor, f"远{index}")
        links.add_link(appliance.uow_factory, archivist, neighbours[index % 6].archival_code, far.archival_code,
                       "related")
    graph = links.link_graph(appliance.uow_factory, center.archival_code, EVERYTHING)
    depths = [node.depth for node in graph.nodes]
    assert len(graph.nodes) == 30 and depths.count(0) == 1 and depths.count(1) == 6 and depths.count(2) == 23
    shown = {node.item.id for node in graph.nodes}
    assert all(edge.source_id in shown and edge.target_id in shown for edge in graph.edges)
