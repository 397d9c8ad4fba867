"""The policy loader under arbitrary input: any text, any YAML structure, a shipped policy with one value
changed or one key dropped, any `extends`. Each load gives a Policy or a PolicyError whose message
names the source and what is wrong; never another exception.

Bounded and repeatable: a fixed number of derandomised examples per property.
"""

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tousu.risk.policy import Policy, PolicyError, load_data, load_policy_text

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

SOURCE = "fuzzed.yaml"
DEFAULT, _node, _path = load_data("default")

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["", "high", "medium", "low", "default", "id"]))
keys = st.one_of(st.text(max_size=10), st.sampled_from(sorted(DEFAULT)), st.integers(), st.booleans())
structures = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=20)


def _paths(data, prefix=()):
    """Every key path in a nested structure of dicts and lists."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


PATHS = sorted(_paths(DEFAULT), key=str)


def load(text: str) -> Policy | PolicyError:
    try:
        return load_policy_text(text, source=SOURCE)
    except PolicyError as exc:
        assert str(exc).startswith(SOURCE) or SOURCE in str(exc) or "policies" in str(exc), str(exc)
        assert len(str(exc)) > len(SOURCE) + 5  # says what is wrong, not only where
        return exc


def _dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@FUZZ
@given(st.text(max_size=300))
def test_any_text_is_a_policy_or_a_policy_error(text):
    load(text)


@FUZZ
@given(structures)
def test_any_yaml_structure_is_a_policy_or_a_policy_error(data):
    load(_dump(data))


@FUZZ
@given(st.sampled_from(PATHS), structures)
def test_a_shipped_policy_with_one_value_changed_is_a_policy_or_an_error_naming_that_key(path, value):
    data = copy.deepcopy(DEFAULT)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    outcome = load(_dump(data))
    if isinstance(outcome, PolicyError) and not isinstance(path[-1], int):
        # The error points into the changed part (a rule elsewhere may also refuse the new value).
        message = str(outcome)
        assert any(str(part) in message for part in path), (path, message)


@FUZZ
@given(st.sampled_from([p for p in PATHS if isinstance(p[-1], str)]))
def test_a_shipped_policy_without_one_key_is_a_policy_or_an_error(path):
    data = copy.deepcopy(DEFAULT)
    target = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    load(_dump(data))


@FUZZ
@given(structures)
def test_any_extends_is_a_policy_or_a_policy_error(parent):
    load(_dump({"extends": parent, "name": "fuzzed", "version": "1"}))


def test_the_shipped_default_loads():
    assert isinstance(load(_dump(DEFAULT)), Policy)


def test_a_policy_of_many_aliases_is_refused_quickly():
    # "Billion laughs": each level names the one below nine times; expanded it would be 9**8 items.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    outcome = load("\n".join(lines) + "\n")
    assert isinstance(outcome, PolicyError)
