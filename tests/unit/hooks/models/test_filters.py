"""Payload filters are checked at every entry point: each refusal is one sentence naming `filter` and the path."""

from __future__ import annotations

from typing import Any

import pytest

from hooks.errors import ValidationError
from hooks.models.filters import MAX_CONDITIONS, check_filter
from hooks.models.webhook import Webhook


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"data.entry.locale": {"$in": "en-us"}}, "filter: data.entry.locale: $in needs a list of values."),
        ({"data.x": {"$nin": 3}}, "filter: data.x: $nin needs a list of values."),
        ({"data.x": {"$in": list(range(101))}}, "filter: data.x: $in takes at most 100 values, got 101."),
        ({"data.x": {"$gt": "5"}}, "filter: data.x: $gt needs a number."),
        ({"data.x": {"$lte": True}}, "filter: data.x: $lte needs a number."),
        ({"data.x": {"$exists": 1}}, "filter: data.x: $exists needs true or false."),
        ({"data.x": {"$prefix": 1}}, "filter: data.x: $prefix needs a string."),
        ({"data.x": {"$regex": "a"}}, "filter: data.x: unknown operator '$regex'"),
        ({"data.x": {}}, "filter: data.x: needs at least one operator"),
        ({"data.x": [1]}, "filter: data.x: a plain value must be a string, number, boolean or null"),
        ({"data.x": {"$eq": {"a": 1}}}, "filter: data.x: $eq must be a string, number, boolean or null"),
        ({"data..x": 1}, "filter: data..x: empty key"),
        ({".".join("a" * 11): 1}, "filter: a.a.a.a.a.a.a.a.a.a.a: at most 10 keys deep."),
        ({f"data.k{i}": 1 for i in range(MAX_CONDITIONS + 1)}, "filter: at most 20 conditions, got 21."),
        ({f"data.k{i}": "x" * 300 for i in range(15)}, "filter: at most 4096 bytes as JSON"),
        ([1], "filter: expected an object of path -> condition, got list."),
        ("{not json", "filter: not valid JSON"),
    ],
)
def test_a_bad_filter_is_refused_in_one_sentence_naming_the_path(raw: Any, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_filter(raw)
    assert str(err.value).startswith(message)


def test_plain_values_become_eq_and_empty_filters_none() -> None:
    assert check_filter({"data.a": "x", "data.b": {"$gt": 1}}) == {"data.a": {"$eq": "x"}, "data.b": {"$gt": 1}}
    assert check_filter('{"data.a": null}') == {"data.a": {"$eq": None}}
    assert check_filter({}) is None and check_filter(None) is None and check_filter("  ") is None


def test_the_webhook_model_checks_its_filter_and_names_the_field() -> None:
    wh = Webhook(url="http://127.0.0.1:9/h", events=["a.b"], filter={"data.entry.locale": "en-us"})
    assert wh.filter == {"data.entry.locale": {"$eq": "en-us"}}
    assert Webhook.model_validate_json(wh.model_dump_json()).filter == wh.filter
    with pytest.raises(ValueError, match=r"filter: data.x: \$in needs a list of values."):
        Webhook(url="http://127.0.0.1:9/h", events=["a.b"], filter={"data.x": {"$in": 1}})
