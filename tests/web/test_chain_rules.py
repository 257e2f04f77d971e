"""The box's own approval chains, from its configuration, decide the tiers of requests opened over the API."""

import dataclasses

import pytest

from appliance.adapters.sample_batch import render_text_page
from appliance.config import WorkflowsConfig
from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.services.items import add_item
from tests.support.console import api_token_for

RULE = {"kind": "borrowing", "category": "WS", "tiers": ["archivist", "department head", "leadership"]}


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def config(config):
    return dataclasses.replace(config, workflows=WorkflowsConfig(chains=[RULE]))


def test_a_configured_rule_gives_borrowing_its_chain_and_leaves_archiving_alone(client, appliance, actor, fonds,
                                                                               tmp_path):
    page = tmp_path / "page.png"
    render_text_page(["关于开展档案工作检查的通知"], dpi=75).save(page)
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315", responsible="某某市人民政府办公室"),
             [page])
    reader = api_token_for(appliance, "reader-sun", "reader")
    asked = client.post("/api/v1/requests", headers=reader, json={
        "kind": "borrowing", "items": ["Z109-WS·2011-Y-BGS-0001"], "purpose": "编写大事记", "days": 5})
    assert asked.status_code == 201
    assert [tier["name"] for tier in asked.get_json()["chain"]] == RULE["tiers"]
    archivist = api_token_for(appliance, "archivist-wang", "archivist")
    archiving = client.post("/api/v1/requests", headers=archivist, json={
        "kind": "archiving", "items": ["Z109-WS·2011-Y-BGS-0001"], "reason": "归档"})
    assert archiving.status_code == 201, archiving.get_json()
    assert [tier["name"] for tier in archiving.get_json()["chain"]] == ["department head"]
