"""Filing suggestions: the model learned from archived items beats the most common value, is retrained only when
due, and what people do with the suggestions is recorded and counted (SQLite and PostgreSQL)."""

import datetime
import hashlib

import pytest
from sqlalchemy import text

from appliance.adapters.filing_model import StoredFilingModels, train_filing_model
from appliance.domain.accounts import Role
from appliance.domain.errors import ForbiddenError, InvalidInputError
from appliance.domain.filing_patterns import TrainingExample
from appliance.services.filing_suggestions import (
    FilingChoice,
    acceptance_rates,
    document_suggestions,
    file_document,
    retrain_if_due,
)
from tests.integration.services.test_keywords import person
from tests.support.official_documents import archive_documents, generate_documents, intake_document_with_text

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
ARCHIVIST = person("archivist-li", Role.ARCHIVIST)


def examples(documents) -> list[TrainingExample]:
    return [TrainingExample(f"{document.title}\n{document.text}", document.department, document.retention)
            for document in documents]


def test_the_model_beats_the_most_common_value_on_a_held_out_split():
    model, metrics = train_filing_model(examples(generate_documents(2500, seed=3)))
    for field, margin in (("department", 0.3), ("retention", 0.03)):
        figures = metrics[field]
        print(f"\n{field}: top-1 {figures['top1']:.3f}, top-3 {figures['top3']:.3f}, "
              f"most common value {figures['baseline']:.3f} on {figures['held_out']} held-out items")
        assert figures["top1"] > figures["baseline"] + margin
        assert figures["top3"] >= figures["top1"]
    assert metrics["department"]["top1"] < 0.99  # noise and overlap: the corpus is not trivially separable
    ranked = model.predict(generate_documents(1, seed=99)[0].text)
    assert [len(ranked[field]) for field in ("department", "retention")] == [3, 3]
    assert all(0 <= score <= 1 for values in ranked.values() for _, score in values)


def test_a_stored_model_is_named_by_its_digest_and_a_damaged_one_is_not_loaded(tmp_path):
    models = StoredFilingModels(tmp_path)
    trained = models.train(examples(generate_documents(200, seed=4)))
    stored = tmp_path / f"{trained.sha256}.joblib"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == trained.sha256
    assert not list(tmp_path.glob("*.partial"))
    sample = generate_documents(1, seed=5)[0].text
    fresh = StoredFilingModels(tmp_path)  # another process: reads the file
    assert fresh.load(trained.sha256).predict(sample) == models.load(trained.sha256).predict(sample)
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    assert StoredFilingModels(tmp_path).load(trained.sha256) is None
    assert StoredFilingModels(tmp_path).load("0" * 64) is None


def model_count(appliance) -> int:
    with appliance.uow_factory(read_only=True) as uow:
        return uow.session.scalar(text("SELECT count(*) FROM suggestion_models"))


def test_retraining_happens_when_due_and_not_otherwise(appliance, fonds, tmp_path):
    models = StoredFilingModels(tmp_path)
    corpus = generate_documents(80, seed=6)
    archive_documents(appliance, fonds, corpus[:49])
    assert retrain_if_due(appliance.uow_factory, models, NOW) is None  # 49: too few for a first model
    archive_documents(appliance, fonds, corpus[49:50], first_number=50)
    first = retrain_if_due(appliance.uow_factory, models, NOW)
    assert first is not None and first.archived_watermark == 50 and first.trained_items == 40
    assert {"department", "retention"} <= set(first.metrics)
    archive_documents(appliance, fonds, corpus[50:59], first_number=51)
    assert retrain_if_due(appliance.uow_factory, models, NOW) is None  # 59: grown by 18%
    archive_documents(appliance, fonds, corpus[59:60], first_number=60)
    second = retrain_if_due(appliance.uow_factory, models, NOW)
    assert second.archived_watermark == 60 and second.id != first.id
    assert retrain_if_due(appliance.uow_factory, models, NOW) is None
    assert model_count(appliance) == 2
    with appliance.uow_factory(read_only=True) as uow:
        assert uow.suggestions.active_model().id == second.id
        assert [event.action for event in uow.audit.events_for("suggestion_model", str(second.id))] == [
            "assistance.model.train"]


@pytest.fixture
def trained(appliance, fonds, tmp_path):
    corpus = [document for document in generate_documents(400, seed=7) if document.department in ("BGS", "RSC")]
    archive_documents(appliance, fonds, corpus)
    models = StoredFilingModels(tmp_path)
    assert retrain_if_due(appliance.uow_factory, models, NOW) is not None
    return models


NOTICE = generate_documents(40, seed=11)


def a_notice(department: str):
    return next(document for document in NOTICE if document.department == department)


def test_an_intake_document_gets_header_and_model_suggestions(appliance, trained):
    notice = a_notice("RSC")
    document_id = intake_document_with_text(appliance, notice.text)
    shown = document_suggestions(appliance.uow_factory, trained, document_id)
    values = {field: [suggestion.value for suggestion in offered] for field, offered in shown.fields.items()}
    assert values["doc_number"] == [notice.doc_number] and values["date"] == [notice.date]
    assert values["title"] == [notice.title] and values["responsible"] == [notice.responsible]
    assert set(values["department"]) == {"BGS", "RSC"} and len(values["retention"]) == 3
    assert shown.fields["department"][0].source == "model" and shown.fields["title"][0].source == "header"
    assert shown.model is not None


def test_outcomes_are_recorded_at_filing_and_counted(appliance, trained):
    notice = a_notice("RSC")
    first = intake_document_with_text(appliance, notice.text, seed=1)
    shown = document_suggestions(appliance.uow_factory, trained, first).fields
    retention = shown["retention"][1].value  # the person took the second choice
    choice = FilingChoice(class_text=f"Z109/WS/2020/{retention}/RSC",
                          description={"title": notice.title, "doc_number": notice.doc_number.replace("〔", "[")
                                       .replace("〕", "]"), "date": "20200101", "responsible": ""})
    filed = file_document(appliance.uow_factory, trained, ARCHIVIST, first, choice, NOW)
    assert filed.archival_code.startswith(f"Z109-WS·2020-{retention}-RSC-")
    second = intake_document_with_text(appliance, a_notice("BGS").text, seed=2)
    file_document(appliance.uow_factory, trained, ARCHIVIST, second, FilingChoice(class_text="Z109/WS/2020/D10/BGS"),
                  NOW)
    rates = {rate.field: rate for rate in acceptance_rates(appliance.uow_factory)}
    assert (rates["title"].offered, rates["title"].accepted, rates["title"].ignored) == (2, 1, 1)
    assert (rates["doc_number"].accepted, rates["date"].changed, rates["responsible"].ignored) == (1, 1, 2)
    assert rates["retention"].accepted >= 1 and rates["retention"].offered == 2
    assert rates["title"].rate == 0.5
    with appliance.uow_factory(read_only=True) as uow:
        outcomes = dict(uow.session.execute(text(
            "SELECT value, outcome FROM filing_suggestions WHERE document_id = :id AND field = 'retention'"),
            {"id": first}).all())
        item_title = uow.session.scalar(text("SELECT title FROM items WHERE archival_code = :code"),
                                        {"code": filed.archival_code})
    assert outcomes[retention] == "accepted" and list(outcomes.values()).count("ignored") == 2
    assert item_title == notice.title


def test_a_bad_description_or_a_reader_files_nothing(appliance, trained):
    document_id = intake_document_with_text(appliance, a_notice("BGS").text)
    bad = FilingChoice(class_text="Z109/WS/2020/D10/BGS", description={"date": "20191332"})
    with pytest.raises(InvalidInputError):
        file_document(appliance.uow_factory, trained, ARCHIVIST, document_id, bad, NOW)
    with pytest.raises(ForbiddenError):
        file_document(appliance.uow_factory, trained, person("operator-sun", Role.OPERATOR), document_id,
                      FilingChoice(class_text="Z109/WS/2020/D10/BGS", description={"title": "关于"}), NOW)
    with appliance.uow_factory(read_only=True) as uow:
        assert uow.intake.get_document(document_id).state.value == "intake"
        assert uow.session.scalar(text("SELECT count(*) FROM filing_suggestions")) == 0


def test_items_with_nothing_to_learn_give_a_clear_error_and_no_file(tmp_path):
    with pytest.raises(InvalidInputError):
        StoredFilingModels(tmp_path).train([TrainingExample("", "BGS", "Y"), TrainingExample("", "RSC", "D10")])
    assert list(tmp_path.iterdir()) == []
