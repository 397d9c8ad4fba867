"""The trained text model beside the rules (R-RA-8): loaded from TOUSU_MODEL_DIR when one was trained,
reloaded when the file changes, and never allowed to lower a level the rules set."""

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from tousu.assessments.models import ModelActivation
from tousu.risk import Assessment, Facts, History, Policy, assess
from tousu.risk.learning import MODEL_FILE, Suggestion, TextModel, combine, load

_lock = threading.Lock()
_cache: dict[str, tuple[float, TextModel]] = {}
# Whether the model's version is activated, re-read at most this often (an activation in another process
# takes effect within it).
ACTIVATION_RECHECK_SECONDS = 30.0
_activated: dict[str, tuple[float, bool]] = {}


def trained_model() -> TextModel | None:
    """The model in TOUSU_MODEL_DIR, activated or not."""
    directory = Path(settings.TOUSU_MODEL_DIR)
    try:
        mtime = (directory / MODEL_FILE).stat().st_mtime
    except FileNotFoundError:
        return None
    key = str(directory)
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached[0] != mtime:
            cached = (mtime, load(directory))
            _cache[key] = cached
    return cached[1]


def is_activated(version: str) -> bool:
    now = time.monotonic()
    checked = _activated.get(version)
    if checked is None or now - checked[0] > ACTIVATION_RECHECK_SECONDS:
        checked = (now, ModelActivation.objects.filter(version=version).exists())
        _activated[version] = checked
    return checked[1]


def forget_activations() -> None:
    _activated.clear()


def active_model() -> TextModel | None:
    """The trained model, only once a person has activated its version."""
    model = trained_model()
    if model is None or not is_activated(model.version):
        return None
    return model


def assess_with_model(facts: Facts, history: History | None, policy: Policy,
                      suggestion: Suggestion | None) -> Assessment:
    """The rules' assessment, raised by the activated model where the policy allows (never lowered)."""
    return combine(assess(facts, history, policy), suggestion, policy, allowed=suggestion is not None)


def suggestions_for(texts: Sequence[str]) -> list[Suggestion | None]:
    model = active_model()
    if model is None:
        return [None] * len(texts)
    return list(model.suggest(texts))


def suggestion_record(suggestion: Suggestion | None) -> dict:
    return suggestion.as_dict() if suggestion is not None else {}


def flags_possible_high_risk(suggestion: Suggestion | None, rule_level: str) -> bool:
    """The model only adds a flag for a person to look at; the level stays what the rules said."""
    return suggestion is not None and suggestion.possible_high_risk and rule_level != "high"
