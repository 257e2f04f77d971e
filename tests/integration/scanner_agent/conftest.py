import shutil

import pytest

from appliance.adapters.sample_batch import SampleDocument, write_sample_batch
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.fonds import add_department, add_fonds
from appliance.services.items import add_item
from scanner_agent.agent import Agent, AgentSettings
from tests.support.live_appliance import serve
from tests.support.sane_backends import shared_test_config

ITEM_CODE = "Z109-WS·2011-Y-BGS-0001"


@pytest.fixture
def live(appliance, actor):
    """The appliance serving HTTP, with fonds Z109 (department BGS) and one registered item."""
    add_fonds(appliance.uow_factory, actor, "Z109", "滨江市人民政府办公室", "year-retention-department")
    add_department(appliance.uow_factory, actor, "Z109", "BGS", "办公室")
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于印发档案工作规划的通知", date="20110315"))
    server = serve(appliance)
    yield server
    server.stop()


def three_documents() -> list[SampleDocument]:
    """An item cover with 2 pages, then a batch sheet with a 1-page document, a separator and a 2-page one."""
    page = [["滨江市人民政府办公室文件", "关于做好档案数字化工作的通知", "第{}页"]]
    pages = lambda count, start: [[line.format(start + n) for line in page[0]] for n in range(count)]  # noqa: E731
    return [
        SampleDocument("DA1:ITEM:Z109-WS.2011-Y-BGS-0001", "档案封面", ["档号：" + ITEM_CODE], pages(2, 1)),
        SampleDocument("DA1:BATCH:Z109/WS/2011/D30/BGS", "批次封面", ["批次"], pages(1, 3)),
        SampleDocument("DA1:SEP", "文件分隔页", [], pages(2, 4)),
    ]


@pytest.fixture
def database_url(tmp_path):
    """The agent does not care which database the appliance uses: these tests run on SQLite only."""
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture(scope="session")
def three_document_stack(tmp_path_factory):
    """The stack as scanned at 300 dpi: 3 cover sheets and 5 pages."""
    return write_sample_batch(tmp_path_factory.mktemp("stack"), three_documents())


@pytest.fixture
def agent_factory(tmp_path, live, three_document_stack):
    sane_dir = shutil.copytree(shared_test_config(), tmp_path / "sane")  # a test may edit its test.conf
    stack = tmp_path / "virtual-stack"
    stack.mkdir()
    for path in three_document_stack:
        (stack / path.name).write_bytes(path.read_bytes())

    def make(spool=None, **overrides) -> Agent:
        settings = AgentSettings(name="test-agent", appliance_url=live.url, token=live.token,
                                 spool=spool or tmp_path / "spool", virtual_stack=stack, heartbeat_seconds=0.2,
                                 sane_config_dir=sane_dir, **overrides)
        return Agent(settings)

    return make
