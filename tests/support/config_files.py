"""Readers of the deployment configuration in `config/`, for the tests that keep it true to the code."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
ENV_EXAMPLE = CONFIG / "hooks.env.example"
REDIS_CONF = CONFIG / "redis.conf"
ALERTS = CONFIG / "prometheus" / "alerts.yml"
PROMETHEUS = CONFIG / "prometheus" / "prometheus.yml"
DASHBOARD = CONFIG / "grafana" / "dashboard.json"
SENTINEL_CONF = CONFIG / "sentinel" / "sentinel.conf"
SENTINEL_ENV = CONFIG / "sentinel" / "hooks-sentinel.env"

_ACTIVE = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")
_COMMENTED = re.compile(r"^#([A-Z][A-Z0-9_]*)=(.*)$")


@dataclass
class EnvFile:
    """An env file's `NAME=value` lines (active) and `#NAME=value` lines (commented), in file order."""

    active: dict[str, str] = field(default_factory=dict)
    commented: dict[str, str] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)


def read_env_file(path: Path) -> EnvFile:
    """Parse an env file; a commented value is read as a shell would read it once uncommented."""
    env = EnvFile()
    for line in path.read_text().splitlines():
        if match := _ACTIVE.match(line):
            env.active[match[1]] = match[2]
        elif match := _COMMENTED.match(line):
            env.commented[match[1]] = " ".join(shlex.split(match[2])) if match[2] else ""
        else:
            continue
        env.order.append(match[1])
    return env


def conf_directives(path: Path) -> list[list[str]]:
    """The directives of a redis.conf or sentinel.conf, each split as Redis splits it (quotes honoured)."""
    out = []
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            out.append(shlex.split(stripped))
    return out


def directive(directives: list[list[str]], *name: str) -> list[str]:
    """The arguments of the last directive that starts with `name` (Redis keeps the last); [] when absent."""
    found = [d[len(name) :] for d in directives if [w.lower() for w in d[: len(name)]] == list(name)]
    return found[-1] if found else []


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_DROPPED = re.compile(r"\{[^}]*\}|\[[^\]]*\]|\$\w+")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:ms|[smhdwy])?|([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
_OPERATORS = {"and", "or", "unless", "bool", "atan2"}
_MODIFIERS = {"offset", "by", "without", "on", "ignoring", "group_left", "group_right"}
_KEYWORDS = _OPERATORS | _MODIFIERS | {"inf", "nan"}


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not functions, label names, durations or Grafana variables)."""
    text = _GROUPING.sub(" ", _DROPPED.sub(" ", _STRING.sub(" ", expr)))
    names = set()
    for match in _TOKEN.finditer(text):
        name, call = match[1], match[2]
        if name and not call and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


_TYPE = re.compile(r"^# TYPE (\S+) (\w+)", re.M)
_SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]", re.M)
_SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum"), "counter": ("_total",)}


def exposed_names(exposition: str) -> set[str]:
    """Every name a query may use against an exposition: families (with their sample suffixes) and samples."""
    names = set(_SAMPLE.findall(exposition))
    for family, kind in _TYPE.findall(exposition):
        names.add(family)
        names.update(family + s for s in _SUFFIXES.get(kind, ()) if not family.endswith(s))
    return names


def alert_rules() -> list[dict[str, Any]]:
    """Every rule of config/prometheus/alerts.yml."""
    doc = yaml.safe_load(ALERTS.read_text())
    return [rule for group in doc["groups"] for rule in group["rules"]]


def dashboard_metric_names() -> dict[str, set[str]]:
    """The metric names each query of the Grafana dashboard reads, by where the query is."""
    doc = json.loads(DASHBOARD.read_text())
    out: dict[str, set[str]] = {}
    for panel in doc["panels"]:
        for target in panel.get("targets", []):
            out[f"panel {panel['title']!r} {target.get('refId', '')}"] = promql_metric_names(target["expr"])
    for var in doc.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            match = re.match(r"\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*$", query)
            out[f"variable ${var['name']}"] = promql_metric_names(match[1] if match else query)
    return out
