"""`hooks webhook add|update --filter JSON`: the filter is stored, shown, removed, and a bad one exits 2 naming it."""

from __future__ import annotations

import json

import pytest

from hooks import get_webhook, list_webhooks
from hooks.cli import main
from hooks.settings import Settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_add_update_and_remove_a_filter(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "webhook", "add", "--url", "http://127.0.0.1:9/h", "--event", "entry.publish",
                         "--filter", '{"data.entry.locale": "en-us"}', "--json")  # fmt: skip
    assert code == 0, err
    made = json.loads(out)
    assert made["filter"] == {"data.entry.locale": {"$eq": "en-us"}}

    code, out, _ = run(capsys, "webhook", "show", made["id"])
    assert code == 0 and 'filter:       {"data.entry.locale":{"$eq":"en-us"}}' in out.splitlines()

    code, _, err = run(capsys, "webhook", "update", made["id"], "--filter", '{"data.n": {"$gt": 2}}')
    assert code == 0, err
    assert get_webhook(made["id"]).filter == {"data.n": {"$gt": 2}}

    code, _, err = run(capsys, "webhook", "update", made["id"], "--filter", "null")
    assert code == 0, err
    assert get_webhook(made["id"]).filter is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"data.x": {"$in": "a"}}', "filter: data.x: $in needs a list of values."),
        ("{oops", "filter: not valid JSON"),
        ('{"data.x": {"$gt": "5"}}', "filter: data.x: $gt needs a number."),
    ],
)
def test_a_bad_filter_exits_2_naming_it_and_stores_nothing(
    settings: Settings, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    code, _, err = run(capsys, "webhook", "add", "--url", "http://127.0.0.1:9/h", "--event", "a", "--filter", text)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert list_webhooks() == []
