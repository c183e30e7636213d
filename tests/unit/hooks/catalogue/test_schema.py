"""A catalogue entry's rules, and JSON Schema errors that name the failing path (pure: no Redis)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hooks.catalogue.schema import SchemaRefusal, check_entry, compile_schema, validate, version_of
from hooks.errors import ValidationError

ENTRY = {
    "type": "object",
    "properties": {
        "entry": {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "tags": {"type": "array", "items": {"type": "integer"}},
                "author": {
                    "type": "object",
                    "properties": {"email": {"type": "string", "format": "email"}},
                    "additionalProperties": False,
                },  # fmt: skip
                "when": {"type": "string", "format": "date"},
                "locale": {"$ref": "#/$defs/locale"},
            },
            "required": ["title"],
        }
    },
    "required": ["entry"],
    "$defs": {"locale": {"enum": ["en-us", "fr-fr"]}},
}


def refusal(data: Any, schema: dict[str, Any] = ENTRY, root: str = "data") -> str:
    with pytest.raises(SchemaRefusal) as info:
        validate(compile_schema(schema), data, root)
    return str(info.value)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"entry": {"title": 5}}, "data.entry.title: 5 is not of type 'string'."),
        ({"entry": {"title": "t", "tags": [1, 2, "x"]}}, "data.entry.tags[2]: 'x' is not of type 'integer'."),
        ({"entry": {}}, "data.entry.title: missing (the schema requires it)."),
        ({}, "data.entry: missing (the schema requires it)."),
        ({"entry": {"title": "t", "author": {"name": "n"}}},
         "data.entry.author.name: not allowed by the schema (additionalProperties is false)."),
        ({"entry": {"title": "t", "author": {"email": "nope"}}}, "data.entry.author.email: 'nope' is not a 'email'."),
        ({"entry": {"title": "t", "when": "2026-13-45"}}, "data.entry.when: '2026-13-45' is not a 'date'."),
        ({"entry": {"title": "t", "locale": "de"}}, "data.entry.locale: 'de' is not one of ['en-us', 'fr-fr']."),
    ],
)  # fmt: skip
def test_a_refusal_names_the_path_of_the_failing_value(data: Any, says: str) -> None:
    assert refusal(data) == says


def test_a_key_that_is_not_a_plain_name_is_quoted_in_the_path() -> None:
    schema = {"type": "object", "properties": {"a b": {"type": "array", "items": {"type": "string"}}}}
    assert refusal({"a b": ["x", 1]}, schema) == "data[\"a b\"][1]: 1 is not of type 'string'."


def test_a_refusal_of_a_listed_event_names_the_item_and_says_its_field() -> None:
    with pytest.raises(SchemaRefusal) as info:
        validate(compile_schema(ENTRY), {"entry": {"title": 1}}, "events[3].data")
    assert str(info.value).startswith("events[3].data.entry.title: 1 is not of type")
    assert info.value.field == "events[3].data"


def test_a_huge_failing_value_is_cut_in_the_message() -> None:
    says = refusal({"entry": {"title": "t", "tags": ["x" * 5000]}})
    assert says.startswith("data.entry.tags[0]: 'xxx") and len(says) < 300


def test_the_dialect_is_2020_12_unless_schema_says_otherwise() -> None:
    # prefixItems is 2020-12's; draft 7 does not know it and lets anything through
    tuple_schema = {"type": "array", "prefixItems": [{"type": "integer"}]}
    assert refusal(["x"], tuple_schema) == "data[0]: 'x' is not of type 'integer'."
    draft7 = {**tuple_schema, "$schema": "http://json-schema.org/draft-07/schema#"}
    validate(compile_schema(draft7), ["x"], "data")


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        ([], "schema: expected a JSON object (a JSON Schema), got list."),
        ({"type": "strin"}, "schema: 'strin' is not valid under any of the given schemas (at type)."),
        ({"$schema": "https://example.com/mine"}, "schema: $schema 'https://example.com/mine' is not a JSON Schema "
         "dialect known here (use https://json-schema.org/draft/2020-12/schema, or leave it out for 2020-12)."),
        ({"$schema": 7}, "schema: $schema must be a string (a dialect's URI), got int."),
        ({"properties": {"a": {"$ref": "https://example.com/a.json"}}}, "schema: properties.a.$ref "
         "'https://example.com/a.json' points outside the schema; only local references (#/$defs/...) are allowed."),
    ],
)  # fmt: skip
def test_an_invalid_schema_is_refused_in_one_sentence(schema: Any, says: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_entry("a.b", "", schema, None, False)
    assert str(info.value) == says


def test_the_example_must_pass_the_schema() -> None:
    with pytest.raises(ValidationError) as info:
        check_entry("content_types.entries.publish", "", ENTRY, {"entry": {"title": 5}}, True)
    assert str(info.value) == "example: data.entry.title: 5 is not of type 'string'."
    check_entry("content_types.entries.publish", "", ENTRY, {"entry": {"title": "t"}}, True)


@pytest.mark.parametrize(
    ("name", "description", "schema", "example", "strict", "says"),
    [
        ("content_types.*", "", None, None, False, "name: must be dot-separated segments"),
        ("a.#", "", None, None, False, "name: must be dot-separated segments"),
        ("A.b", "", None, None, False, "name: must be dot-separated segments"),
        (5, "", None, None, False, "name: expected a string, got int."),
        ("a.b", "x" * 2001, None, None, False, "description: at most 2000 characters"),
        ("a.b", "bell\x07", None, None, False, "description: at most 2000 characters, no control characters"),
        ("a.b", None, None, None, False, "description: expected a string, got NoneType."),
        ("a.b", "", None, None, True, "strict: a strict type needs a schema"),
        ("a.b", "", None, None, "yes", "strict: expected true or false, got str."),
        ("a.b", "", None, [1], False, "example: expected a JSON object (the data of an event), got list."),
        ("a.b", "", {"description": "x" * 40000}, {"a": "y" * 30000}, False,
         "schema: with the example it takes 70026 bytes of JSON, over the limit of 65536 (64 KiB)."),
        ("a.b", "", {"const": float("nan")}, None, False, "schema: not JSON"),
    ],
)  # fmt: skip
def test_every_field_of_an_entry_is_checked(name, description, schema, example, strict, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as info:
        check_entry(name, description, schema, example, strict)
    assert str(info.value).startswith(says)


def test_the_version_is_the_same_for_the_same_schema_in_any_key_order() -> None:
    a = {"type": "object", "properties": {"x": {"type": "string"}}}
    b = json.loads('{"properties": {"x": {"type": "string"}}, "type": "object"}')
    assert version_of(a) == version_of(b) and len(version_of(a)) == 16
    assert version_of(a) != version_of({**a, "required": ["x"]})


keys = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
steps = st.lists(st.one_of(keys, st.integers(0, 3)), min_size=1, max_size=6)


@given(steps)
def test_a_wrong_type_anywhere_is_reported_at_its_exact_path(path: list[Any]) -> None:
    # Given a schema that wants an integer at `path` (objects for names, arrays for indexes), and data with a
    # string there
    schema: dict[str, Any] = {"type": "integer"}
    data: Any = "x"
    for step in reversed(path):
        if isinstance(step, int):
            schema = {"type": "array", "prefixItems": [True] * step + [schema]}  # only item `step` is checked
            data = [None] * step + [data]
        else:
            schema = {"type": "object", "properties": {step: schema}}
            data = {step: data}
    # When it is validated, Then the refusal names that path
    expected = "data.v" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path)
    says = refusal({"v": data}, {"type": "object", "properties": {"v": schema}}, root="data")
    assert says == f"{expected}: 'x' is not of type 'integer'."
