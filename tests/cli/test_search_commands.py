"""`dangan search reindex` rebuilds the index, in one process or several, on both databases."""

import pytest

from tests.integration.services.test_search import codes, file_item, find


@pytest.fixture
def emptied_index(appliance, actor, fonds):
    """Items with fields and OCR text whose index entries were all lost."""
    made = [file_item(appliance, actor, 2019, "BGS", f"关于第{number}批防汛物资的通知", [f"仓库{number}号清点完毕"])
            for number in range(1, 8)]
    with appliance.uow_factory() as uow:
        for item in made:
            uow.search.remove(item.id)
        uow.commit()
    assert find(appliance, "防汛").total == 0
    return made


@pytest.mark.parametrize("processes", ["1", "2"])
def test_reindex_brings_every_entry_back(dangan, appliance, emptied_index, processes):
    code, output, error = dangan("search", "reindex", "--processes", processes)
    assert code == 0 and "indexed 7 items" in output and "indexing" in error
    assert sorted(codes(find(appliance, "防汛"))) == sorted(item.archival_code for item in emptied_index)
    assert codes(find(appliance, "仓库3号")) == [emptied_index[2].archival_code]
