"""Problem details and the API's small parsers: one sentence naming the field, as ValidationError words it."""

from __future__ import annotations

import json

import pytest

from hooks.api.exposition import label
from hooks.api.problems import problem
from hooks.api.request_errors import body_unreadable, request_errors
from hooks.api.v1.common import when
from hooks.errors import ValidationError


def test_a_schema_error_reads_like_a_validation_error():
    errors = [{"loc": ("body", "url"), "msg": "Field required", "type": "missing"},
              {"loc": ("query", "limit"), "msg": "Input should be a valid integer", "type": "int_parsing"}]  # fmt: skip
    assert request_errors(errors) == [{"field": "url", "detail": "url: is required."},
                                      {"field": "limit", "detail": "limit: must be an integer."}]  # fmt: skip
    tagged = {
        "loc": ("body", "auth", "basic", "password"),
        "msg": "Input should be a valid string",
        "type": "string_type",
    }
    assert request_errors([tagged]) == [{"field": "auth.password", "detail": "auth.password: must be a string."}]
    item = {"loc": ("body", "retry_policy"), "msg": "Input should be 'auto' or 'manual'", "type": "literal_error"}
    assert request_errors([item])[0]["detail"] == "retry_policy: must be 'auto' or 'manual'."


def test_a_body_python_cannot_read_names_the_body():
    bad = UnicodeDecodeError("utf-8", b"ab\xff", 2, 3, "invalid start byte")
    assert body_unreadable(bad) == "body: not valid UTF-8 (byte 2)."
    assert body_unreadable(RecursionError()) == "body: nests too deeply to read."
    assert body_unreadable(KeyError("x")) == "body: cannot be read (KeyError)."


def test_a_problem_is_rfc_9457_with_the_field_on_422():
    r = problem(422, "events: must not be empty.")
    assert r.media_type == "application/problem+json"
    assert json.loads(r.body) == {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                                  "detail": "events: must not be empty.", "field": "events"}  # fmt: skip
    assert "field" not in json.loads(problem(404, "webhook wh_x does not exist.").body)


@pytest.mark.parametrize(("text", "expected"), [("1796000000", 1796000000.0), ("2h", 1795992800.0),
                                                ("2026-11-30T00:00:00Z", 1795996800.0),
                                                ("2026-11-30T01:00:00+01:00", 1795996800.0)])  # fmt: skip
def test_times_are_iso_unix_seconds_or_ages(text, expected):
    assert when(text, "since", now=1796000000.0) == expected


def test_a_bad_time_names_the_parameter():
    with pytest.raises(ValidationError, match=r"^until: expected ISO 8601"):
        when("yesterday", "until")


def test_label_values_are_escaped_only_when_needed():
    assert label("wh_01J") == "wh_01J"
    assert label('a"b\\c\nd') == 'a\\"b\\\\c\\nd'
