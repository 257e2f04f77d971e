"""schemathesis against /api/v1/openapi.json: generated requests to every operation; no 500, responses as described."""

import datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from appliance.domain.catalogue import ItemFields
from appliance.domain.codes import ClassKey
from appliance.domain.permissions import MATRIX
from appliance.services.api_tokens import issue_token
from appliance.services.items import add_item
from tests.support.console import SECURITY_OFFICER, make_person
from web import create_app

AGENT_TOKEN = "agent-token-for-schema-tests"


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'dangan.sqlite3'}"


@pytest.fixture
def api_token(appliance, actor, fonds):
    add_item(appliance.uow_factory, appliance.blob_store, actor, ClassKey("Z109", "WS", 2011, "Y", "BGS"),
             ItemFields.build(title="关于开展档案工作检查的通知", date="20110315"))
    make_person(appliance, "machine-owner", ["archivist"])
    scopes = [action.value for action in MATRIX["archivist"]]
    _, secret = issue_token(appliance.uow_factory, SECURITY_OFFICER, "machine-owner", "schema tests", scopes,
                            datetime.datetime.now(datetime.UTC))
    return secret


@pytest.mark.slow
def test_every_operation_answers_as_described(appliance, api_token):
    app = create_app({"appliance": appliance, "TESTING": True, "AGENT_TOKEN": AGENT_TOKEN})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        agent_side = {"agentToken": []} in operation.definition.raw.get("security", [])
        answers_as_described(operation, {"Authorization": f"Bearer {AGENT_TOKEN if agent_side else api_token}",
                                         "X-Dangan-Agent": "schema-agent"})
        checked.append(operation.label)
    assert len(checked) >= 14, checked


def answers_as_described(operation, headers: dict) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def generated_requests(case):
        # The services check more than a pattern can say (a year's range, a retention that fits the fonds);
        # those schema-valid requests get 422 with a reason, so "valid data is accepted" is not asked.
        case.call_and_validate(headers=headers, excluded_checks=[checks.positive_data_acceptance])

    generated_requests()
