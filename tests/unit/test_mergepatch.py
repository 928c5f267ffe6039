"""hellojohn.rules.mergepatch: RFC 7386, its appendix A examples and what metadata needs of it."""

from typing import Any

import pytest
from hellojohn.rules import mergepatch

# RFC 7386 appendix A: (original, patch, result), every row of the table.
APPENDIX_A: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    (["a", "b"], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), APPENDIX_A)
def test_rfc_7386_appendix_a(original: Any, patch: Any, result: Any) -> None:
    assert mergepatch.merge(original, patch) == result


def test_nested_objects_merge_and_keep_what_the_patch_does_not_name() -> None:
    target = {"prefs": {"theme": "dark", "lang": "en", "ui": {"dense": True}}, "plan": "pro"}
    patch = {"prefs": {"lang": "fr", "ui": {"font": 14}}}
    assert mergepatch.merge(target, patch) == {
        "prefs": {"theme": "dark", "lang": "fr", "ui": {"dense": True, "font": 14}},
        "plan": "pro",
    }


def test_null_deletes_a_key_at_any_depth_and_a_missing_key_is_no_error() -> None:
    target = {"a": {"b": 1, "c": 2}, "d": 3}
    assert mergepatch.merge(target, {"a": {"b": None}, "d": None, "zz": None}) == {"a": {"c": 2}}


def test_arrays_replace_whole() -> None:
    assert mergepatch.merge({"tags": [1, 2, 3]}, {"tags": [4]}) == {"tags": [4]}
    assert mergepatch.merge({"tags": [{"a": 1}]}, {"tags": []}) == {"tags": []}


def test_non_object_values_replace_and_an_object_replaces_a_scalar() -> None:
    assert mergepatch.merge({"a": 1}, {"a": "x"}) == {"a": "x"}
    assert mergepatch.merge({"a": 1}, {"a": False}) == {"a": False}
    assert mergepatch.merge({"a": 1}, {"a": 0}) == {"a": 0}
    assert mergepatch.merge({"a": "s"}, {"a": {"b": None, "c": 1}}) == {"a": {"c": 1}}


def test_inputs_are_not_mutated() -> None:
    target = {"a": {"b": 1}}
    patch = {"a": {"b": None, "c": 2}}
    mergepatch.merge(target, patch)
    assert target == {"a": {"b": 1}}
    assert patch == {"a": {"b": None, "c": 2}}


def test_a_metadata_field_stays_an_object() -> None:
    assert mergepatch.merge_object({"a": 1}, None) == {}
    assert mergepatch.merge_object({"a": 1}, {}) == {"a": 1}
    assert mergepatch.merge_object({"a": 1}, {"a": None}) == {}
