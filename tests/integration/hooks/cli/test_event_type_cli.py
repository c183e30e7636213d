"""`hooks event-type add|list|show|remove`, in-process through `hooks.cli.main`, against the test's Redis."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import hooks
from hooks.cli import main
from hooks.settings import Settings

TYPE = "content_types.entries.publish"
SCHEMA = {"type": "object", "properties": {"entry": {"type": "object", "properties": {"title": {"type": "string"}},
                                                     "required": ["title"]}}, "required": ["entry"]}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {"schema": tmp_path / "schema.json", "example": tmp_path / "example.json", "bad": tmp_path / "bad.json",
             "wrong": tmp_path / "wrong.json"}  # fmt: skip
    paths["schema"].write_text(json.dumps(SCHEMA))
    paths["example"].write_text(json.dumps({"entry": {"title": "Hello"}}))
    paths["bad"].write_text("{not json")
    paths["wrong"].write_text(json.dumps({"entry": {"title": 5}}))
    return {k: str(v) for k, v in paths.items()}


def test_add_strict_then_publish_is_checked_and_list_show_remove(settings: Settings, capsys, files) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "event-type", "add", TYPE, "--description", "An entry was published.",
                       "--schema", files["schema"], "--example", files["example"], "--strict")  # fmt: skip
    assert (code, out) == (0, f"added {TYPE} (strict)\n")
    with pytest.raises(hooks.ValidationError, match=r"^data\.entry\.title: 5 is not of type 'string'\.$"):
        hooks.publish_event(TYPE, {"entry": {"title": 5}})
    code, out, _ = run(capsys, "event-type", "list")
    assert code == 0 and out.splitlines()[1].split()[:3] == [TYPE, "yes", "yes"]
    code, out, _ = run(capsys, "event-type", "show", TYPE, "--json")
    shown = json.loads(out)
    assert shown["schema"] == SCHEMA and shown["example"] == {"entry": {"title": "Hello"}} and shown["strict"]
    code, out, _ = run(capsys, "event-type", "show", TYPE)
    assert "description: An entry was published." in out and '"title": "Hello"' in out
    assert run(capsys, "event-type", "remove", TYPE)[:2] == (0, f"removed {TYPE}\n")
    hooks.publish_event(TYPE, {"entry": {"title": 5}})  # un-stricted
    assert run(capsys, "event-type", "list", "--json")[1].strip() == "[]"
    assert run(capsys, "event-type", "list")[1] == "no event types in the catalogue.\n"


def test_the_schema_may_come_from_stdin(settings: Settings, capsys, files, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(SCHEMA)))
    code, out, err = run(capsys, "event-type", "add", TYPE, "--schema", "-", "--example", files["example"], "--json")
    assert code == 0, err
    assert json.loads(out)["schema"] == SCHEMA and json.loads(out)["strict"] is False


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["add", "content_types.*"], 2, "hooks: error: name: must be dot-separated segments"),
        (["add", TYPE, "--schema", "/nonexistent/s.json"], 2,
         "hooks: error: schema: cannot read '/nonexistent/s.json' (No such file or directory)."),
        (["add", TYPE, "--schema", "{bad}"], 2, "hooks: error: schema: '{bad}' is not JSON (Expecting property name"),
        (["add", TYPE, "--schema", "{schema}", "--example", "{wrong}"], 2,
         "hooks: error: example: data.entry.title: 5 is not of type 'string'."),
        (["add", TYPE, "--strict"], 2, "hooks: error: strict: a strict type needs a schema"),
        (["add", TYPE, "--schema", "-", "--example", "-"], 2, "hooks: error: example: only one of --schema and"),
        (["show", "no.such.type"], 1, "hooks: error: event_type: no event type 'no.such.type' in the catalogue."),
        (["remove", "no.such.type"], 1, "hooks: error: event_type: no event type 'no.such.type' in the catalogue."),
    ],
)  # fmt: skip
def test_errors_are_one_line_with_the_exit_code_of_the_other_commands(settings, capsys, files, args, code, says):  # type: ignore[no-untyped-def]
    argv: list[Any] = [a.format(**files) for a in args]
    found, out, err = run(capsys, "event-type", *argv)
    assert found == code and out == ""
    assert err.startswith(says.format(**files)) and err.count("\n") == 1, err
    assert run(capsys, "event-type", "list", "--json")[1].strip() == "[]"
