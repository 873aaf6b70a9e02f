"""The dashboard generator in grafana/: its query shapes, units from the metric table, and
what a new metric's panel gets from its spec. The generated JSON itself is checked (and run
against a real Prometheus) in test_dashboards.py."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from exporter.metrics import Kind, MetricSpec, all_specs
from grafana import generate, panels, promql

ROOT = Path(__file__).resolve().parent.parent


def panel_json(panel: panels.Panel) -> dict[str, Any]:
    board = panels.build("t", "Copilot test", "A test.", tags=["copilot"], variables=[], rows=[])
    board.panels = [panel.build()]
    result: dict[str, Any] = json.loads(panels.to_json(board))["panels"][0]
    return result


@pytest.mark.parametrize(
    ("name", "kind", "unit"),
    [
        ("github_copilot_daily_active_users", "gauge", "users"),
        ("github_copilot_code_generations", "gauge", "count"),
        ("github_copilot_pull_requests_median_time_to_merge_seconds", "gauge", "seconds"),
        ("github_copilot_report_day_timestamp_seconds", "gauge", "timestamp"),
        ("github_copilot_report_download_bytes_total", "counter", "bytes"),
        ("github_copilot_spend_usd", "gauge", "usd"),
        ("github_copilot_premium_requests_spend_usd_total", "counter", "usd"),
        ("github_copilot_seat_utilization_ratio", "gauge", "ratio"),
        ("github_copilot_billing_info", "info", "info"),
    ],
)
def test_a_metrics_unit_follows_from_its_name_and_kind(name: str, kind: Kind, unit: str) -> None:
    spec = MetricSpec(name, "Help.", kind=kind)
    assert spec.unit == unit


def test_every_declared_metric_has_a_grafana_unit() -> None:
    for spec in all_specs():
        assert panels.unit_of(spec), spec.name


def test_a_daily_gauge_is_read_one_value_per_day_keeping_its_unpinned_labels() -> None:
    reviews = promql.metric("code_review_users")
    assert promql.daily(reviews, promql.eq("engagement", "active")) == (
        "max by (scope_type, scope, window) (last_over_time(github_copilot_code_review_users"
        '{scope_type=~"$scope_type", scope=~"$scope", engagement="active"}[1d]))'
    )
    by_language = promql.metric("code_generations_by_language_feature")
    assert promql.total(promql.daily(by_language, promql.var("language")), "language") == (
        "sum by (scope_type, scope, language) (max by (scope_type, scope, language, feature) "
        "(last_over_time(github_copilot_code_generations_by_language_feature"
        '{scope_type=~"$scope_type", scope=~"$scope", language=~"$language"}[1d])))'
    )


def test_the_unattributed_rest_is_the_total_minus_every_part_never_below_zero() -> None:
    whole = promql.daily(promql.metric("code_generations"))
    parts = promql.daily(promql.metric("code_generations_by_editor"))
    assert promql.unattributed(whole, parts) == (
        f"clamp_min(\n{whole}\n-\nsum by (scope_type, scope) ({parts})\n, 0)"
    )


def test_several_daily_queries_become_one_labelled_by_what_each_is() -> None:
    daily_users = promql.daily(promql.metric("daily_active_cloud_agent_users"))
    weekly_users = promql.daily(promql.metric("weekly_active_cloud_agent_users"))
    assert promql.labelled("window", ("daily", daily_users), ("weekly", weekly_users)) == (
        f'label_replace(\n{daily_users},\n"window", "daily", "", ""\n)\nor\n'
        f'label_replace(\n{weekly_users},\n"window", "weekly", "", ""\n)'
    )


def test_an_id_label_gets_its_name_from_the_info_series_one_per_id() -> None:
    jobs = promql.daily(promql.metric("third_party_agent_jobs"))
    info = promql.daily(promql.metric("third_party_agent_info"))
    assert promql.named(jobs, info, "agent", "agent_name") == (
        f"{jobs}\n* on (scope_type, scope, agent) group_left (agent_name)\n"
        f"topk by (scope_type, scope, agent) (1, {info})"
    )


def test_a_metric_the_exporter_does_not_declare_fails_generation() -> None:
    with pytest.raises(KeyError, match=r"github_copilot_nope is not in exporter/metrics\.py"):
        promql.metric("nope")


def test_a_new_metrics_chart_comes_from_its_spec() -> None:
    spec = MetricSpec(
        "github_copilot_spend_usd",
        "Money spent on Copilot. Value for the newest complete report day (a daily gauge).",
        ("product",),
    )
    panel = panel_json(panels.metric_chart(spec))
    assert panel["title"] == "Spend usd"
    assert panel["type"] == "timeseries" and panel["interval"] == "1d"
    assert panel["fieldConfig"]["defaults"]["unit"] == "currencyUSD"
    assert panel["description"].startswith("Money spent on Copilot per report day. ")
    (target,) = panel["targets"]
    assert target["expr"] == (
        "max by (scope_type, scope, product) (last_over_time(github_copilot_spend_usd"
        '{scope_type=~"$scope_type", scope=~"$scope"}[1d]))'
    )
    assert target["legendFormat"] == "{{scope}} · {{product}}"
    assert target["range"] and not target["instant"]


def test_rows_keep_their_description_and_query_variables_their_definition() -> None:
    # Both are missing from the SDK's models; panels.py adds them.
    board = panels.build(
        "t",
        "Copilot test",
        "A test.",
        tags=["copilot"],
        variables=panels.scope_variables(),
        rows=[panels.Row("R", "Why this row.", [])],
    )
    data = json.loads(panels.to_json(board))
    assert data["schemaVersion"] == panels.SCHEMA_VERSION
    assert data["panels"][0]["description"] == "Why this row."
    scope = data["templating"]["list"][2]
    assert scope["definition"] == scope["query"]["query"]


def test_generate_check_names_stale_and_stray_files(tmp_path: Path) -> None:
    files = {"a.json": "{}\n", "b.json": "[]\n"}
    (tmp_path / "a.json").write_text("{}\n")
    (tmp_path / "b.json").write_text("changed\n")
    (tmp_path / "hand-kept.json").write_text("{}\n")
    assert generate.stale(tmp_path, files) == ["b.json"]
    assert generate.strays(tmp_path, files) == ["hand-kept.json"]


def test_the_exporter_never_imports_the_dashboard_code() -> None:
    # The SDK is a development dependency: the installed exporter does not have it.
    for path in (ROOT / "exporter").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root not in ("grafana", "grafana_foundation_sdk"), f"{path}: {name}"
