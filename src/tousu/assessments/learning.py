"""The trained text model beside the rules (R-RA-8): loaded from TOUSU_MODEL_DIR when one was trained,
reloaded when the file changes, and never allowed to lower a level the rules set."""

import threading
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

from tousu.risk.learning import MODEL_FILE, Suggestion, TextModel, load

_lock = threading.Lock()
_cache: dict[str, tuple[float, TextModel]] = {}


def active_model() -> TextModel | None:
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
