"""The alerting rules and the Grafana dashboard in `config/` read metrics that a real /metrics scrape serves."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.support.config_files import alert_rules, dashboard_metric_names, exposed_names, promql_metric_names

PROMETHEUS_OWN = {"up"}  # what Prometheus records about a scrape itself


@pytest.fixture
def scraped(api_server: str, read_key: str) -> set[str]:
    """The names a query may use against one real scrape of the API process (Prometheus's own included)."""
    response = httpx.get(f"{api_server}/metrics", headers={"Authorization": f"Bearer {read_key}"})
    assert response.status_code == 200, response.text
    return exposed_names(response.text) | PROMETHEUS_OWN


def test_every_metric_an_alert_reads_is_served(scraped):
    # Given every rule of config/prometheus/alerts.yml, When their expressions are read, Then each name is served
    missing = {rule["alert"]: sorted(promql_metric_names(rule["expr"]) - scraped) for rule in alert_rules()}
    assert {alert: names for alert, names in missing.items() if names} == {}


def test_every_metric_the_dashboard_reads_is_served(scraped):
    queries = dashboard_metric_names()
    assert queries, "the dashboard has no queries"
    assert {where: sorted(names - scraped) for where, names in queries.items() if names - scraped} == {}


def test_the_scrape_serves_the_dlq_gauge_the_rules_watch_for(scraped):
    # HooksHistoryUnreadable fires when this gauge is absent: with the history reachable it must be there
    assert "hooks_dlq_deliveries" in scraped
