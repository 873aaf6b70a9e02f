"""The Prometheus rules in deploy/prometheus/: promtool checks and unit tests, and the shape
every alert must have (severity, annotations, runbook section, dashboard link)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import prom

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "deploy" / "prometheus"
ALERTS = RULES_DIR / "alerts.yml"
RECORDING = RULES_DIR / "recording.yml"
UNIT_TESTS = sorted((RULES_DIR / "tests").glob("*.yml"))
RUNBOOK = ROOT / "docs" / "runbook.md"
DASHBOARDS_DOC = ROOT / "docs" / "dashboards.md"
DASHBOARDS_DIR = ROOT / "grafana" / "dashboards"
RUNBOOK_URL = (
    "https://github.com/github-copilot-exporter/github-copilot-exporter/blob/main/docs/runbook.md#"
)
SEVERITIES = {"info", "warning", "critical"}
# Metrics without scope_type/scope labels: alerts on them cannot name a scope.
UNSCOPED = {
    "github_copilot_api_requests_total",
    "github_copilot_api_request_failures_total",
    "github_copilot_rate_limit_remaining",
    "github_copilot_rate_limit_reset_timestamp_seconds",
    "github_copilot_exporter_build_info",
}
METRIC = re.compile(r"(?<![:\w])(github_copilot_[a-z0-9_]+)\b")


def rules(path: Path, kind: str) -> list[dict[str, Any]]:
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if kind in rule]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [prom.require_promtool(), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.integration
def test_rule_files_pass_promtool_check() -> None:
    result = promtool("check", "rules", str(ALERTS), str(RECORDING))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
def test_promtool_unit_tests_pass() -> None:
    assert UNIT_TESTS, "deploy/prometheus/tests/*.yml"
    result = promtool("test", "rules", *map(str, UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_does_not() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for path in UNIT_TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for check in case.get("alert_rule_test", []):
                (fires if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in rules(ALERTS, "alert")}
    assert names - fires == set(), "alerts without a firing case"
    assert names - quiet == set(), "alerts without a case where they stay quiet"
    assert fires | quiet <= names, "unit tests name alerts that do not exist"


def test_every_alert_has_severity_summary_description_runbook_and_dashboard() -> None:
    uids = {json.loads(p.read_text(encoding="utf-8"))["uid"] for p in DASHBOARDS_DIR.glob("*.json")}
    for rule in rules(ALERTS, "alert"):
        name = rule["alert"]
        assert re.fullmatch(r"Copilot[A-Za-z]+", name), name
        assert rule["labels"]["severity"] in SEVERITIES, name
        notes = rule["annotations"]
        assert set(notes) >= {"summary", "description", "runbook_url", "dashboard"}, name
        assert notes["runbook_url"] == RUNBOOK_URL + name.lower(), name
        dashboard = re.fullmatch(r"/d/([a-z0-9-]+)(\?.*)?", notes["dashboard"])
        assert dashboard and dashboard.group(1) in uids, f"{name}: {notes['dashboard']}"
        scoped = {m for m in METRIC.findall(rule["expr"]) if m not in UNSCOPED}
        if scoped:
            for key in ("summary", "description"):
                assert "{{ $labels.scope }}" in notes[key], f"{name}: {key} names the scope"


def test_the_runbook_has_a_section_for_every_alert() -> None:
    text = RUNBOOK.read_text(encoding="utf-8")
    headings = set(re.findall(r"^## (\S+)\s*$", text, re.M))
    names = {rule["alert"] for rule in rules(ALERTS, "alert")}
    assert names <= headings, f"docs/runbook.md lacks sections: {names - headings}"
    for name in names:
        section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        for part in ("Meaning", "Check", "Fix"):
            assert f"**{part}**" in section, f"runbook {name}: no **{part}**"


def test_recording_rules_follow_level_metric_operation() -> None:
    names = [rule["record"] for rule in rules(RECORDING, "record")]
    assert len(set(names)) == len(names)
    for name in names:
        level, metric, operation = name.split(":")
        assert re.fullmatch(r"[a-z_]+", level) and re.fullmatch(r"[a-z0-9_]+", operation), name
        assert metric.startswith("github_copilot_") and not metric.endswith("_total"), name


def test_rules_read_only_metrics_the_exporter_declares() -> None:
    from exporter.metrics import all_specs

    declared = {spec.name for spec in all_specs()}
    for path in (ALERTS, RECORDING):
        for rule in rules(path, "expr"):
            for metric in METRIC.findall(rule["expr"]):
                assert metric in declared, f"{path.name}: {metric} is not exported"


def test_seat_alerts_name_real_last_activity_buckets() -> None:
    from exporter.seats import ACTIVITY_VALUES

    found = False
    for path in (ALERTS, RECORDING):
        for rule in rules(path, "expr"):
            for value in re.findall(r'\blast_activity\s*=~?\s*"([^"]*)"', rule["expr"]):
                found = True
                assert set(value.split("|")) <= set(ACTIVITY_VALUES), (
                    f"{path.name}: last_activity {value!r}; buckets {ACTIVITY_VALUES}"
                )
    assert found, "CopilotManySeatsIdle reads the idle buckets by name"


def test_the_target_down_job_convention_is_documented() -> None:
    (down,) = [r for r in rules(ALERTS, "alert") if r["alert"] == "CopilotExporterDown"]
    assert down["expr"] == 'up{job=~".*copilot.*"} == 0'
    assert 'up{job=~".*copilot.*"}' in DASHBOARDS_DOC.read_text(encoding="utf-8")
