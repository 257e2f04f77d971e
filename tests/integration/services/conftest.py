import pytest

from appliance.services.fonds import add_department, add_fonds


@pytest.fixture
def fonds(appliance, actor):
    """Fonds Z109 classified year-department-retention, with departments BGS and RSC."""
    add_fonds(appliance.uow_factory, actor, "Z109", "某某市人民政府", "year-department-retention")
    add_department(appliance.uow_factory, actor, "Z109", "BGS", "办公室")
    add_department(appliance.uow_factory, actor, "Z109", "RSC", "人事处")
    return "Z109"
