"""The delivery-id format is spelled in Lua in one include (includes/delivery_id.lua), as in Python it is in
hooks/models/ids.py: a script that builds or parses `msg_<event>_<webhook>` itself would drift from it unseen."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hooks.store.scripts import INCLUDES, all_scripts, lua_script

THE_INCLUDE = INCLUDES / "delivery_id.lua"
FUNCTIONS = ("delivery_id", "event_of", "webhook_of")

# Comments and string literals, in the order they start: a `--` inside a string is part of the string.
_TOKEN_RE = re.compile(
    r"""--\[(?P<c>=*)\[.*?\](?P=c)\]   # long comment
      | --[^\n]*                       # line comment
      | \[(?P<s>=*)\[(?P<long>.*?)\](?P=s)\]   # long string
      | '(?P<sq>(?:[^'\\\n]|\\.)*)'    # quoted strings
      | "(?P<dq>(?:[^"\\\n]|\\.)*)"
    """,
    re.DOTALL | re.VERBOSE,
)
# An id prefix in a string literal: 'msg_', '^msg_([^_]+)_', ':ev:evt_', 'wh_' ('by_wh:' is a key, not one)
_ID_PREFIX_RE = re.compile(r"\b(?:msg|evt|wh)_")


def id_format_spellings(source: str) -> list[str]:
    """The string literals of Lua `source` (comments left out) that spell an id prefix."""
    out = []
    for m in _TOKEN_RE.finditer(source):
        literal = next((m.group(g) for g in ("long", "sq", "dq") if m.group(g) is not None), None)
        if literal is not None and _ID_PREFIX_RE.search(literal):
            out.append(literal)
    return out


def without_comments(source: str) -> str:
    """Lua `source` with its comments taken out (its strings kept)."""
    return _TOKEN_RE.sub(lambda m: m.group(0) if m.group(0).startswith(("[", "'", '"')) else "", source)


def test_the_detector_finds_the_spellings_the_scripts_used_to_have() -> None:
    old = """-- a delivery id is msg_<event>_<webhook> (a comment may say so)
local ev = 'evt_' .. string.match(id, '^msg_([^_]+)_')
local wh = "wh_" .. string.match(id, [[^msg_[^_]+_(.+)$]])
local body = redis.call('HMGET', P .. ':ev:evt_' .. x, 'body')
local id = 'msg_' .. short_ev .. '_' .. string.sub(wh, 4)
local key = P .. ':dl:by_wh:' .. wh  -- '-- not a comment'
"""
    assert id_format_spellings(old) == ["evt_", "^msg_([^_]+)_", "wh_", "^msg_[^_]+_(.+)$", ":ev:evt_", "msg_"]


@pytest.mark.parametrize("path", [*all_scripts(), *sorted(INCLUDES.glob("*.lua"))], ids=lambda p: p.name)
def test_no_lua_file_but_the_include_spells_the_delivery_id_format(path: Path) -> None:
    if path == THE_INCLUDE:
        assert id_format_spellings(path.read_text()), "the include no longer spells the format?"
        return
    spellings = id_format_spellings(path.read_text())
    assert spellings == [], f"{path.name} spells the id format itself ({spellings}): use includes/delivery_id.lua"


@pytest.mark.parametrize("path", all_scripts(), ids=lambda p: p.name)
def test_a_script_that_uses_the_functions_includes_them_first(path: Path) -> None:
    # Redis finds a missing function only when the line runs (an undefined global), not when the script loads
    source = without_comments(lua_script(path).source)
    for name in FUNCTIONS:
        calls = [m.start() for m in re.finditer(rf"(?<![\w.:]){name}\(", source)]
        definition = source.find(f"local function {name}(")
        calls = [at for at in calls if at != definition + len("local function ")]
        if calls:
            assert 0 <= definition < calls[0], f"{path.name} calls {name} before defining it"
