"""The backups page, its buttons, the banner on every console page and the backups API (no borg runs here: the
page shows what the scheduler recorded, and the buttons only queue requests for it)."""

import dataclasses
import datetime

import pytest

from appliance.config import BackupConfig, Config, DatabaseConfig
from appliance.domain.backup import RepositoryName, RunKind, RunState, Trigger
from appliance.services import backup
from appliance.services.audit import latest_events
from appliance.services.backup_schedule import TwinStatus, record_twin_status
from tests.support.console import api_token_for, csrf_token, make_person, post_form, signed_in_client

STATS = {"archive_original_size": 2_000_000_000, "archive_deduplicated_size": 50_000_000, "archive_nfiles": 1234}


@pytest.fixture
def config(tmp_path, database_url) -> Config:
    return Config(home=tmp_path / "home", database=DatabaseConfig(url=database_url),
                  backup=BackupConfig(repository=str(tmp_path / "twin")))


@pytest.fixture
def people(appliance):
    return {"system-qian": make_person(appliance, "system-qian", ["system_admin"], with_totp=True),
            "archivist-li": make_person(appliance, "archivist-li", ["archivist"])}



@pytest.fixture
def system(app, people):
    return signed_in_client(app, "system-qian", people["system-qian"])


def recorded_run(appliance, state: RunState, minutes_ago: float = 10, stats: dict | None = None,
                 kind: RunKind = RunKind.BACKUP) -> int:
    started = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=minutes_ago)
    run_id = backup.start_run(appliance.uow_factory, kind, RepositoryName.TWIN, Trigger.SCHEDULE, started,
                              "dangan-box-2026-11-27T02:30:00Z" if kind is RunKind.BACKUP else None)
    if state is RunState.FAILED:
        backup.fail_run(appliance.uow_factory, run_id, kind, "Connection closed by remote host")
    elif state is not RunState.RUNNING:
        backup.finish_run(appliance.uow_factory, run_id, kind, state, stats or {}, "")
    return run_id


def text(response) -> str:
    return response.get_data(as_text=True)


def test_a_box_never_backed_up_shows_the_banner_and_the_next_runs(system):
    page = text(system.get("/backups"))
    assert "Next backup" in page and "or after 200 more new documents" in page
    assert "Not probed yet" in page and "No runs yet." in page and 'http-equiv="refresh"' not in page
    other = text(system.get("/admin/catalogue"))
    assert "No backup has succeeded in the last 48 hours." in other and 'href="/backups"' in other


def test_after_a_good_backup_sizes_and_the_share_of_new_data_show_and_the_banner_goes(appliance, system):
    recorded_run(appliance, RunState.OK, stats=STATS)
    record_twin_status(appliance.config.home, TwinStatus(True, datetime.datetime.now(datetime.UTC), stats={
        "dedup_ratio": 7.5, "repository_unique_csize": 400_000_000, "repository_total_size": 3_000_000_000}))
    page = text(system.get("/backups"))
    assert "2.0 GB" in page and "50.0 MB" in page and "2.5 %" in page and "1234" in page
    assert "reachable" in page and "×7.5" in page
    assert "No backup has succeeded" not in page and "backup-banner" not in page


def test_a_failed_backup_raises_the_banner_everywhere_and_shows_why(appliance, system):
    recorded_run(appliance, RunState.OK, minutes_ago=60, stats=STATS)
    recorded_run(appliance, RunState.FAILED)
    record_twin_status(appliance.config.home, TwinStatus(False, datetime.datetime.now(datetime.UTC),
                                                         "ssh: connect to host twin port 22: No route to host"))
    assert "The last backup failed." in text(system.get("/admin/catalogue"))
    page = text(system.get("/backups"))
    assert "Connection closed by remote host" in page and "No route to host" in page and "unreachable" in page
    assert "a retry of the failed one" in page


def test_a_running_backup_shows_its_progress_and_the_page_reloads_itself(appliance, system):
    run_id = recorded_run(appliance, RunState.RUNNING, minutes_ago=2)
    with appliance.uow_factory() as uow:
        uow.backups.record_progress(run_id, {"files": 4321, "bytes": 1_500_000_000, "deduplicated": 20_000_000,
                                             "path": "blobs/sha256/ab/cd/abcd"})
        uow.commit()
    page = text(system.get("/backups"))
    assert '<meta http-equiv="refresh" content="10">' in page
    assert "Running now" in page and "4321" in page and "1.5 GB" in page and "blobs/sha256/ab/cd/abcd" in page
    assert "<script" not in page  # the content security policy allows no inline script anyway


def test_back_up_now_and_the_drill_queue_requests_once(appliance, system):
    response = post_form(system, "/backups/run", {}, "/backups")
    assert response.status_code == 303
    page = text(system.get("/backups"))
    assert "A backup was asked for" in page and "(waiting)" in page
    post_form(system, "/backups/run", {}, "/backups")
    assert "One is waiting to start already." in text(system.get("/backups"))
    post_form(system, "/backups/drill", {}, "/backups")
    assert "A restore drill was asked for" in text(system.get("/backups"))
    actions = [event.action for event in latest_events(appliance.uow_factory, 20)]
    assert actions.count("backup.request.backup") == 1 and actions.count("backup.request.drill") == 1


def test_the_buttons_need_the_csrf_token(system):
    assert system.post("/backups/run").status_code == 400


def test_others_see_neither_the_page_nor_the_banner(app, appliance, people):
    archivist = signed_in_client(app, "archivist-li")
    assert archivist.get("/backups").status_code == 403
    assert archivist.post("/backups/run", data={}).status_code in (400, 403)
    page = text(archivist.get("/catalogue"))
    assert "No backup has succeeded" not in page and 'href="/backups"' not in page


def test_a_box_without_a_repository_says_so(appliance, people, tmp_path):
    appliance.config = dataclasses.replace(appliance.config, backup=BackupConfig())
    from web import create_app

    client = signed_in_client(create_app({"appliance": appliance, "TESTING": True, "SESSION_COOKIE_SECURE": False}),
                              "system-qian", people["system-qian"])
    page = text(client.get("/backups"))
    assert "Backups are not set up" in page and "backup-banner" not in page
    response = client.post("/api/v1/backups", headers={"X-CSRFToken": csrf_token(client, "/backups")})
    assert response.status_code == 409 and response.get_json()["error"] == "conflict"


def test_the_api_tells_the_state_and_queues_a_backup(app, appliance, system):
    # Administration is never done by an API token: the system administrator's signed-in session it is.
    recorded_run(appliance, RunState.OK, stats=STATS)
    state = system.get("/api/v1/backups").get_json()
    assert state["enabled"] and not state["overdue"] and state["running"] is None
    assert state["last_backup"]["stats"]["archive_nfiles"] == 1234 and state["next"]["documents_left"] == 200
    response = system.post("/api/v1/backups", headers={"X-CSRFToken": csrf_token(system, "/backups")})
    assert response.status_code == 202 and response.get_json() == {"kind": "backup", "queued": True}
    assert system.get("/api/v1/backups").get_json()["waiting"] == {"backup": 1, "drill": 0}
    archivist = api_token_for(appliance, "machine-li", "archivist")
    assert app.test_client().get("/api/v1/backups", headers=archivist).status_code == 403
