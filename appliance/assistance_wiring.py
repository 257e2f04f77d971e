"""Wiring for the assistance: jieba's keyword extractor and the stored filing models, handed to the keyword and
filing-suggestion services (which may not import adapters themselves)."""

import datetime
from pathlib import Path

from appliance.adapters.filing_model import StoredFilingModels
from appliance.adapters.keyword_extraction import JiebaKeywords
from appliance.bootstrap import Appliance
from appliance.domain.filing_patterns import ModelInfo
from appliance.services import filing_suggestions

MODELS_DIRECTORY = "models"
_models: dict[Path, StoredFilingModels] = {}  # one per directory and process: it keeps the active model loaded
_keywords = JiebaKeywords()


def keyword_extractor() -> JiebaKeywords:
    """jieba's TF-IDF keywords (its dictionary is loaded once per process, on first use)."""
    return _keywords


def models_directory(appliance: Appliance) -> Path:
    return appliance.config.home / MODELS_DIRECTORY


def filing_models(directory: Path) -> StoredFilingModels:
    """The stored models of a directory, the same object for the life of the process."""
    key = Path(directory)
    if key not in _models:
        _models[key] = StoredFilingModels(key)
    return _models[key]


def models_for(appliance: Appliance) -> StoredFilingModels:
    return filing_models(models_directory(appliance))


def retrain_if_due(uow_factory, models_path: Path, now: datetime.datetime) -> ModelInfo | None:
    """Train a new filing model when enough archived items were added (see filing_suggestions.training_due)."""
    return filing_suggestions.retrain_if_due(uow_factory, filing_models(models_path), now)
