"""The README works when followed literally: every Python name it shows resolves, every command it runs exists in
a fresh clone, and its lists of commands, processes and packages are the code's. Read as text; nothing is run."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

import hooks.cli
from hooks.cli import build_parser
from tests.support.config_files import ROOT
from workers.drain.notify import DELIVERY_DEAD_LETTERED, WEBHOOK_DISABLED

README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
EVENT_TYPES = {WEBHOOK_DISABLED, DELIVERY_DEAD_LETTERED}  # named like modules, but events on the `_system` stack
PROCFILE = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())


def blocks(language: str) -> list[str]:
    """The README's fenced blocks of one language."""
    return [body for lang, body in FENCE.findall(README) if lang == language]


def section(title: str) -> str:
    """The README's section under the `## ` heading that starts with `title`."""
    match = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", README, re.M | re.S)
    assert match, f"no section {title!r}"
    return match[0]


def resolve(dotted: str) -> Any:
    """The object a dotted name names: the longest importable module, then attributes; raises what Python raises."""
    parts = dotted.split(".")
    if importlib.util.find_spec(parts[0]) is None:
        raise ModuleNotFoundError(f"No module named {parts[0]!r}", name=parts[0])
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        try:
            obj = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and module.startswith(exc.name) and i > 1:
                continue
            raise
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise AssertionError(dotted)


def python_names() -> list[str]:
    """Every name the README's Python blocks import, or read from an imported `hooks`, fully qualified."""
    names = []
    for body in blocks("python"):
        for node in ast.walk(ast.parse(body)):
            if isinstance(node, ast.ImportFrom) and node.module:
                names += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.Attribute) and ast.unparse(node).startswith("hooks."):
                names.append(ast.unparse(node))
    return names


def backtick_names() -> list[str]:
    """Every `hooks.x.y` (or `config.x`) dotted name in backticks in the README's prose, and every `hooks.x(...)`
    a shell block's comment offers instead of a command."""
    prose = FENCE.sub("", README)
    spans = re.findall(r"`([^`\n]+)`", prose)
    found = [m for span in spans for m in re.findall(r"(?<![\w/.-])((?:hooks|config)(?:\.[A-Za-z_]\w*)+)", span)]
    calls_in_comments = [  # `hooks webhook rotate-secret ...  # or hooks.rotate_secret(ID, ...)`
        m for body in blocks("sh") for m in re.findall(r"#.*?(?<![\w/.-])(hooks(?:\.[A-Za-z_]\w*)+)\(", body)
    ]
    return sorted(set(found + calls_in_comments) - EVENT_TYPES)


def resolve_or_skip(name: str) -> Any:
    """`resolve(name)`, skipping the test when what is missing is another project (Django for a contrib module, a
    receiver's library): this checks our names, in any environment the suite runs in."""
    try:
        return resolve(name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing in ("hooks", "workers", "config", ""):
            raise
        pytest.skip(f"{name} needs {missing}, not installed here")


@pytest.mark.parametrize("name", python_names())
def test_every_name_a_python_block_imports_resolves(name: str):
    assert resolve_or_skip(name) is not None


@pytest.mark.parametrize("name", backtick_names())
def test_every_dotted_name_in_backticks_resolves(name: str):
    assert resolve_or_skip(name) is not None


def test_the_names_found_include_the_ones_a_receiver_and_a_producer_use():
    assert "hooks.verify.verify" in backtick_names()
    assert "hooks.publish_event" in python_names()


def test_every_relative_link_points_at_a_file():
    links = re.findall(r"\]\(([^)#\s]+)[^)]*\)", README)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert local and [link for link in local if not (ROOT / link).exists()] == []


def shell_commands() -> list[tuple[int, list[str]]]:
    """Each command line of the README's sh blocks (continuations joined, comments dropped), by block number."""
    out = []
    for n, body in enumerate(blocks("sh")):
        for line in re.sub(r"\\\n\s*", " ", body).splitlines():
            try:
                words = shlex.split(line, comments=True)
            except ValueError:
                words = line.split()
            if words:
                out.append((n, words))
    return out


def test_every_command_the_readme_runs_is_in_a_fresh_clone():
    # the first word of each command: a script of the repository (executable), a tool of the machine, or
    # .venv/bin/... only after the same block ran scripts/setup: never the bare `hooks`, not on PATH in a clone
    setup_in: set[int] = set()
    bad = []
    for n, words in shell_commands():
        first = words[0]
        if first == "scripts/setup":
            setup_in.add(n)
        if first.startswith("scripts/") and not _executable(ROOT / first):
            bad.append(f"{first}: not an executable file")
        elif first.startswith(".venv/") and n not in setup_in:
            bad.append(f"{' '.join(words)}: .venv does not exist yet in a fresh clone")
        elif first == "hooks":
            bad.append(f"{' '.join(words)}: `hooks` is not on PATH in a clone; write scripts/hooks")
    assert bad == []


def _executable(path: Path) -> bool:
    return path.is_file() and bool(path.stat().st_mode & 0o111)


def test_the_manage_list_names_every_command_and_action_of_the_hooks_command():
    (block,) = [body for lang, body in FENCE.findall(section("Manage")) if lang == "sh"]
    lines = [line for line in re.sub(r"\\\n\s*", " ", block).splitlines() if line.startswith("scripts/hooks ")]
    missing = []
    for name, parser in _subcommands(build_parser()).items():
        word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
        mine = [line.split("#")[0] for line in lines if word.search(line.split("#")[0])]
        missing += [] if mine else [name]
        for action in _subcommands(parser):
            action_word = re.compile(rf"(?<![\w-]){re.escape(action)}(?![\w-])")
            missing += [] if any(action_word.search(line) for line in mine) else [f"{name} {action}"]
    assert missing == []


def _subcommands(parser: Any) -> dict[str, Any]:
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            return dict(action.choices)
    return {}


def test_the_process_table_has_a_row_for_every_procfile_process_each_started_by_hooks():
    text = section("Run it")
    assert [name for name in PROCFILE if f"| `{name}` |" not in text] == []
    assert {name: cmd.split()[:2] for name, cmd in PROCFILE.items()} == {n: ["hooks", n] for n in PROCFILE}


def test_scripts_start_names_every_process_it_runs_and_what_the_relay_does_without_an_outbox():
    header = "".join(line for line in (ROOT / "scripts" / "start").read_text().splitlines(True) if line[0] == "#")
    assert [name for name in PROCFILE if not re.search(rf"\b{name}\b", header)] == []
    assert "HOOKS_OUTBOX_URL" in header and "waits" in header


def test_exit_status_3_is_documented_where_a_user_looks(capsys):
    assert re.search(r"^\s+3\s+something to look at", hooks.cli.__doc__ or "", re.M)
    for argv in (["doctor", "--help"], ["db", "current", "--help"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(argv)
        assert re.search(r"exit status: 0 .*; 3 ", " ".join(capsys.readouterr().out.split()))
    manage = " ".join(section("Manage").split())
    assert "exit 0 all ok, 3 something to look at" in manage
    assert "3 something to look at, and the output says what: `hooks doctor` found a check that warns" in manage
    assert "`hooks db current` exits 3 when the schema is behind, and says what to run" in " ".join(README.split())


def test_the_layout_drawing_names_every_package_and_config():
    drawing = next(body for body in blocks("") if body.startswith("config/"))
    assert re.search(r"^config/\s+deployment configuration", drawing, re.M)
    packages = [p.parent for top in ("hooks", "workers") for p in (ROOT / top).glob("*/__init__.py")]
    unnamed = [f"{p.parent.name}/{p.name}" for p in packages if not re.search(rf"^\s+{p.name}/\s", drawing, re.M)]
    assert packages and unnamed == []
