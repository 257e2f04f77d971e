from scanner_agent.pages import CapturedPage
from scanner_agent.splitting import NO_COVER_PROBLEM, SEPARATOR_OUTSIDE_BATCH, PageReading, Splitter

ITEM_A = "DA1:ITEM:Z109-WS.2011-Y-BGS-0001"
ITEM_B = "DA1:ITEM:Z109-WS.2011-Y-BGS-0002"
BATCH = "DA1:BATCH:Z109/WS/2011/D30/BGS"
SEP = "DA1:SEP"


def page(label: str, side: str | None = None) -> CapturedPage:
    return CapturedPage(label.encode(), "image/png", 300, "colour", "test", side)


def split(sheets, duplex=False):
    """sheets: payload strings (cover sheets), "" for a blank page, other text for a document page."""
    splitter, documents = Splitter(), []
    for number, sheet in enumerate(sheets):
        side = ("front" if number % 2 == 0 else "back") if duplex else None
        reading = PageReading([sheet] if sheet.startswith("DA") else [], blank=sheet == "")
        documents += splitter.add(page(sheet or f"blank{number}", side), reading)
    documents += splitter.finish()
    return documents, splitter.report


def summary(documents):
    return [(d.sequence, d.cover_payload, [p.data.decode() for p in d.pages], d.problem) for d in documents]


def test_item_covers_split_the_stack():
    documents, report = split([ITEM_A, "a1", "a2", ITEM_B, "b1"])
    assert summary(documents) == [(1, ITEM_A, ["a1", "a2"], None), (2, ITEM_B, ["b1"], None)]
    assert [cover.page_number for cover in report.covers] == [1, 4]


def test_batch_and_separators_make_new_documents_in_the_batch_class():
    documents, report = split([BATCH, "d1", SEP, "d2a", "d2b", SEP, "d3"])
    assert summary(documents) == [
        (1, BATCH, ["d1"], None), (2, BATCH, ["d2a", "d2b"], None), (3, BATCH, ["d3"], None)]
    assert report.notes == []


def test_a_batch_sheet_directly_followed_by_a_separator_is_normal():
    documents, report = split([BATCH, SEP, "d1", SEP, "d2"])
    assert [d.sequence for d in documents] == [1, 2] and report.notes == []


def test_pages_before_any_cover_go_to_intake_with_the_reason():
    documents, report = split(["x1", "x2", ITEM_A, "a1"])
    assert summary(documents)[0] == (1, None, ["x1", "x2"], NO_COVER_PROBLEM)
    assert documents[1].problem is None
    assert any(NO_COVER_PROBLEM in note for note in report.notes)


def test_two_covers_in_a_row_make_no_empty_document():
    documents, report = split([ITEM_A, ITEM_B, "b1"])
    assert summary(documents) == [(1, ITEM_B, ["b1"], None)]
    assert any("followed by another cover sheet on page 2" in note for note in report.notes)


def test_an_item_cover_ends_the_batch():
    documents, _ = split([BATCH, "d1", ITEM_A, "a1", SEP, "x"])
    assert summary(documents)[2] == (3, SEP, ["x"], SEPARATOR_OUTSIDE_BATCH)


def test_an_unparseable_or_unknown_version_cover_keeps_its_pages_with_the_reason():
    documents, _ = split(["DA2:ITEM:whatever", "p1", "DA1:ITEM:nonsense", "p2"])
    assert documents[0].cover_payload == "DA2:ITEM:whatever" and "unknown" in documents[0].problem
    assert documents[1].problem and "malformed archival code" in documents[1].problem
    assert [len(d.pages) for d in documents] == [1, 1]


def test_different_payloads_on_one_page_are_a_problem_but_the_same_twice_is_not():
    documents = []
    splitter = Splitter()
    for data, payloads in [("c", [ITEM_A, ITEM_A, "6901234567892"]), ("a1", []), ("c2", [ITEM_A, ITEM_B]),
                           ("x", [])]:
        documents += splitter.add(page(data), PageReading(payloads))
    documents += splitter.finish()
    first, second = documents
    assert first.cover_payload == ITEM_A and first.problem is None
    assert second.cover_payload is None and "different payloads" in second.problem


def test_duplex_drops_the_blank_back_of_a_cover_but_keeps_blank_pages_of_a_document():
    # fronts and backs alternate: cover, its blank back, page, a blank back of the page
    documents, report = split([ITEM_A, "", "a1", ""], duplex=True)
    assert [p.data.decode() for p in documents[0].pages] == ["a1", "blank3"]
    assert report.blank_backs_dropped == [2]


def test_duplex_keeps_a_written_back_of_a_cover_and_says_so():
    documents, report = split([ITEM_A, "note on the back", "a1", "a2"], duplex=True)
    assert [p.data.decode() for p in documents[0].pages] == ["note on the back", "a1", "a2"]
    assert any("not blank" in note for note in report.notes)


def test_a_decoder_failure_is_noted_and_the_page_kept():
    splitter = Splitter()
    splitter.add(page("c"), PageReading([ITEM_A]))
    splitter.add(page("a1"), PageReading([], problem="decoder crashed"))
    (document,) = splitter.finish()
    assert len(document.pages) == 1 and "decoder crashed" in splitter.report.notes[0]


def test_a_cover_on_the_last_sheet_is_noted():
    documents, report = split([ITEM_A, "a1", ITEM_B])
    assert len(documents) == 1 and "last sheet" in report.notes[-1]


def test_document_keys_depend_on_content_only():
    first, _ = split([ITEM_A, "a1"])
    again, _ = split([ITEM_A, "a1"])
    other, _ = split([ITEM_A, "a2"])
    assert first[0].key == again[0].key != other[0].key
