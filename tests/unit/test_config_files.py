"""The files of `config/` are well formed, agree with each other, and are each listed in config/README.md.

What they say about the running system is checked where it runs: tests/integration/hooks/test_config_redis.py
(redis.conf and Sentinel) and tests/integration/api/test_config_metrics.py (the metric names)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from hooks.settings import Settings
from hooks.settings.redis_url import parse_sentinel_url
from tests.support.config_files import (
    ALERTS,
    CONFIG,
    DASHBOARD,
    ENV_EXAMPLE,
    PROMETHEUS,
    REDIS_CONF,
    ROOT,
    SENTINEL_CONF,
    SENTINEL_ENV,
    alert_rules,
    conf_directives,
    directive,
    read_env_file,
)

REDIS = conf_directives(REDIS_CONF)
SENTINEL = conf_directives(SENTINEL_CONF)
SEVERITIES = {"critical", "warning", "info"}


def test_redis_conf_keeps_everything_in_an_aof_and_evicts_nothing():
    assert directive(REDIS, "appendonly") == ["yes"]
    assert directive(REDIS, "appendfsync") == ["everysec"]
    assert directive(REDIS, "no-appendfsync-on-rewrite") == ["no"]
    assert directive(REDIS, "save") == [""]  # no scheduled snapshots whose failure would stop writes
    assert directive(REDIS, "maxmemory-policy") == ["noeviction"]
    text = REDIS_CONF.read_text()
    assert re.search(r"^#\s+always\s", text, re.M) and re.search(r"^# maxmemory \d", text, re.M)  # both explained


def test_every_password_and_name_agrees_across_the_files():
    password = directive(REDIS, "requirepass")[0]
    name, host, port, quorum = directive(SENTINEL, "sentinel", "monitor")
    assert directive(REDIS, "masterauth") == [password]
    assert directive(SENTINEL, "sentinel", "auth-pass") == [name, password]
    env_url = read_env_file(ENV_EXAMPLE).active["REDIS_URL"]
    assert env_url.startswith(f"redis://:{password}@")
    replica = conf_directives(CONFIG / "sentinel" / "replica.conf")
    assert directive(replica, "replicaof") == [host, port]
    assert host in directive(conf_directives(CONFIG / "sentinel" / "primary.conf"), "bind")
    assert int(quorum) == 2


def test_the_sentinel_env_names_three_sentinels_of_the_primary_the_sentinels_watch():
    env = read_env_file(SENTINEL_ENV).active
    settings = Settings.from_env(env)
    url = parse_sentinel_url(settings.redis_url)
    name = directive(SENTINEL, "sentinel", "monitor")[0]
    assert url.master == name and url.password == directive(REDIS, "requirepass")[0]
    assert len({host for host, _ in url.sentinels}) == 3
    assert {port for _, port in url.sentinels} == {int(directive(SENTINEL, "port")[0])}
    assert settings.publish_min_replicas == 1


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_each_alert_says_what_happened_and_what_to_do(rule):
    assert re.fullmatch(r"Hooks[A-Z][A-Za-z]+", rule["alert"])
    assert rule["labels"]["severity"] in SEVERITIES
    assert re.fullmatch(r"\d+[smh]", rule["for"])
    annotations = rule["annotations"]
    assert len(annotations["summary"]) >= 20 and "\n" not in annotations["summary"]
    assert len(annotations["description"]) >= 60


def test_alert_names_are_unique():
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))


def test_the_scrape_config_loads_the_rules_and_is_the_job_the_rules_name():
    doc = yaml.safe_load(PROMETHEUS.read_text())
    assert [(PROMETHEUS.parent / f).resolve() for f in doc["rule_files"]] == [ALERTS.resolve()]
    jobs = {job["job_name"] for job in doc["scrape_configs"]}
    named = {job for rule in alert_rules() for job in re.findall(r'job="([^"]+)"', rule["expr"])}
    assert named and named <= jobs
    assert all(job["authorization"]["credentials_file"] for job in doc["scrape_configs"])


def test_the_dashboard_is_a_grafana_dashboard_with_queries():
    doc = json.loads(DASHBOARD.read_text())
    targets = [t for panel in doc["panels"] for t in panel.get("targets", [])]
    assert doc["title"] and doc["uid"] and targets and all(t["expr"] for t in targets)


def test_nothing_points_at_the_dashboards_old_place():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    here = str(Path(__file__).relative_to(ROOT))
    texts = [p for p in tracked if p.endswith((".md", ".py", ".json", ".yml", ".toml")) and p != here]
    assert [p for p in texts if "grafana-dashboard.json" in (ROOT / p).read_text(errors="replace")] == []


def test_config_readme_lists_every_file_of_the_folder():
    listed = CONFIG.joinpath("README.md").read_text()
    files = sorted(str(p.relative_to(CONFIG)) for p in CONFIG.rglob("*") if p.is_file() and p.name != "README.md")
    assert files and [f for f in files if f"`{f}`" not in listed] == []
