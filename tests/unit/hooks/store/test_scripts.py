"""Lua lives in `.lua` files with a header that documents them; includes are expanded once, by one loader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hooks.store.scripts import INCLUDES, all_scripts, expand, lua_script

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize("path", all_scripts(), ids=lambda p: p.name)
def test_every_script_says_its_keys_argv_and_what_it_returns(path: Path) -> None:
    header = path.read_text().split("]]", 1)[0]
    assert header.startswith("--[[")
    for word in ("KEYS:", "ARGV:", "Returns"):
        assert word in header, f"{path.name}: no {word} in its header"


@pytest.mark.parametrize("path", sorted(INCLUDES.glob("*.lua")), ids=lambda p: p.name)
def test_every_include_is_used_by_a_script_or_another_include(path: Path) -> None:
    texts = [p.read_text() for p in [*all_scripts(), *INCLUDES.glob("*.lua")]]
    assert any(f'--- @include "{path.stem}"' in text for text in texts), f"{path.name} is included nowhere"


def test_an_include_is_expanded_once_even_when_asked_twice() -> None:
    source = expand('--- @include "match_topic"\n--- @include "match_topic"\nreturn 1\n')
    assert source.count("local function topic_matches") == 1


def test_includes_nest_and_the_drain_message_is_filled_in() -> None:
    take = next(lua_script(p) for p in all_scripts() if p.name == "take.lua").source
    assert "local function topic_matches" in take  # resolve_webhooks includes match_topic
    assert "@@DRAIN_MESSAGE@@" not in take and '"task":"workers.tasks.drain"' in take
    assert "@@TASK_ID@@" in take  # left for kick() to fill at run time


def test_an_unknown_include_is_an_error() -> None:
    with pytest.raises(FileNotFoundError):
        expand('--- @include "nothing_like_this"\n')


def test_no_python_file_of_the_product_holds_lua() -> None:
    offenders = [str(p.relative_to(ROOT)) for d in ("hooks", "workers") for p in (ROOT / d).rglob("*.py")
                 if re.search(r"redis\.call|redis\.pcall", p.read_text())]  # fmt: skip
    assert offenders == []


def test_named_options_become_one_table_in_declaration_order_includes_first() -> None:
    from hooks.store.scripts import named_options

    names, source = named_options("--- @options prefix now\nlocal P = O.prefix\n--- @options token mode\nreturn 1\n")
    assert names == ("prefix", "now", "token", "mode")
    assert source.splitlines()[0].startswith(
        "local O, ARGS_TAIL = {prefix = ARGV[1], now = ARGV[2], token = ARGV[3], mode = ARGV[4]}, 5"
    )
    assert "--- @options" not in source and "local O" not in source.split("\n", 1)[1]
    with pytest.raises(ValueError, match="named twice"):
        named_options("--- @options a b\n--- @options b\n")
    assert named_options("return 1\n") == ((), "return 1\n")


def test_the_take_script_is_called_by_name_and_a_wrong_name_is_refused_naming_it() -> None:
    take = next(lua_script(p) for p in all_scripts() if p.name == "take.lua")
    assert take.options[:6] == ("prefix", "now", "max_drains", "queued_lease", "queue", "token")  # kick's first
    options = {name: i for i, name in enumerate(take.options)}
    assert take.ordered(options) == list(range(len(take.options)))
    with pytest.raises(TypeError, match=r"take.lua: missing options \['mode'\], unknown options \['mood'\]"):
        take.ordered({**{k: v for k, v in options.items() if k != "mode"}, "mood": 1})
