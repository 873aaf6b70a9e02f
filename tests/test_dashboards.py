"""The Grafana dashboards in grafana/dashboards/.

The committed JSON must be what the code in grafana/ generates (`make dashboards`). Static
checks of the JSON model (uids, datasource variable, variables, descriptions, units,
links, how daily gauges are queried), then an integration test: the demo exporter (reports
and legacy source) scraped every second by a real Prometheus with the project's rules, a week
of daily history backfilled, and every panel query of every dashboard, every variable query
and every recording rule run through Prometheus' HTTP API, each expected to return data.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from grafana import generate
from tests import prom

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS_DIR = ROOT / "grafana" / "dashboards"
RULES_DIR = ROOT / "deploy" / "prometheus"
RULE_FILES = (RULES_DIR / "recording.yml", RULES_DIR / "alerts.yml")

DASHBOARD_UIDS = {
    "copilot-adoption",
    "copilot-code-generation",
    "copilot-pull-requests-cli",
    "copilot-agents",
    "copilot-legacy",
    "copilot-exporter-health",
    "copilot-spend",
}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Dimension variables each dashboard must offer, and the metric their values come from.
DIMENSION_VARIABLES = {
    "copilot-code-generation": {
        "editor": "github_copilot_code_generations_by_editor",
        "language": "github_copilot_code_generations_by_language_feature",
        "model": "github_copilot_code_generations_by_model_feature",
        "feature": "github_copilot_code_generations_by_feature",
    },
    "copilot-legacy": {
        "editor": "github_copilot_ide_code_completions_engaged_users_by_editor",
        "language": "github_copilot_ide_code_completions_engaged_users_by_language",
        "model": "github_copilot_ide_code_completions_engaged_users_by_editor_model",
    },
}
# Exporter status metrics: everything else named github_copilot_* is a daily usage gauge or
# (CURRENT_METRICS) a seat gauge.
STATUS_METRICS = {
    "github_copilot_up",
    "github_copilot_report_day_timestamp_seconds",
    "github_copilot_last_success_timestamp_seconds",
    "github_copilot_seats_up",
    "github_copilot_seats_last_success_timestamp_seconds",
    "github_copilot_billing_up",
    "github_copilot_billing_last_success_timestamp_seconds",
    "github_copilot_billing_failure",
    "github_copilot_refresh_duration_seconds",
    "github_copilot_api_requests_total",
    "github_copilot_api_request_failures_total",
    "github_copilot_rate_limit_remaining",
    "github_copilot_rate_limit_reset_timestamp_seconds",
    "github_copilot_exporter_build_info",
}
UNSCOPED_METRICS = {
    "github_copilot_api_requests_total",
    "github_copilot_api_request_failures_total",
    "github_copilot_rate_limit_remaining",
    "github_copilot_rate_limit_reset_timestamp_seconds",
    "github_copilot_exporter_build_info",
}
# Seat and licence gauges (exporter/seats.py): current values refreshed every few hours, not
# daily figures. Panels read them as they are now (instant queries); last_over_time(...[1d])
# is allowed too. They still hold one value per scope and are never added up across scopes.
CURRENT_METRICS = {
    "github_copilot_seats",
    "github_copilot_seats_active_this_cycle",
    "github_copilot_seats_inactive_this_cycle",
    "github_copilot_seats_pending_invitation",
    "github_copilot_seats_pending_cancellation",
    "github_copilot_seats_added_this_cycle",
    "github_copilot_billing_info",
    "github_copilot_seats_by_last_activity",
    "github_copilot_seats_by_editor",
    "github_copilot_seats_by_assigning_team",
    "github_copilot_seats_assigned_directly",
    "github_copilot_seats_by_last_authentication",
    "github_copilot_seats_by_plan",
}
# Spend gauges (exporter/billing.py): month to date, refreshed hourly, reset on the 1st. Like
# seat gauges they are read as they are now (and charted at Grafana's own step), never with
# a 1d step or a sum over time; they may stand beside a daily gauge read the daily way (cost
# per active user).
SPEND_METRICS = {
    "github_copilot_ai_credits",
    "github_copilot_ai_credits_included",
    "github_copilot_ai_credits_billed",
    "github_copilot_ai_credits_gross_usd",
    "github_copilot_ai_credits_included_usd",
    "github_copilot_ai_credits_billed_usd",
    "github_copilot_ai_credits_pool",
    "github_copilot_billing_month_start_timestamp_seconds",
    "github_copilot_ai_credits_by_cost_center",
    "github_copilot_ai_credits_by_user",
    "github_copilot_budget_amount_usd",
    "github_copilot_budget_consumed_usd",
}
SPEND_DASHBOARD = "copilot-spend"
# Metrics the dashboards read that shared/METRICS.md does not list: the refresh duration and
# the seat metrics (status and gauges).
NOT_IN_CONTRACT = {
    "github_copilot_refresh_duration_seconds",
    "github_copilot_seats_up",
    "github_copilot_seats_last_success_timestamp_seconds",
    *CURRENT_METRICS,
}
# The dashboard with the Licences row, and the one showing seat data freshness.
LICENCES_DASHBOARD = "copilot-adoption"
HEALTH_DASHBOARD = "copilot-exporter-health"
LAST_ACTIVITY_MATCHER = re.compile(r'\blast_activity\s*(=~|=|!=|!~)\s*"([^"]*)"')

METRIC = re.compile(r"\b(github_copilot_[a-z0-9_]+)\b(?!\s*\()")
AGGREGATION = re.compile(
    r"\b(sum|min|max|avg|count|group|stddev|stdvar|topk|bottomk|quantile|count_values)\b"
    r"\s*(?:(by|without)\s*\(([^)]*)\))?\s*\("
)


# --------------------------------------------------------------------------- helpers
def load_dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard that parses; a broken file fails test_dashboard_files_are_valid_json."""
    boards: dict[str, dict[str, Any]] = {}
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        try:
            boards[path.stem] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
    return boards


def all_panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # collapsed rows keep their panels inside


def query_panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    return (p for p in all_panels(board) if p.get("type") != "row")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    ref_id: str
    expr: str
    panel_interval: str | None
    is_range: bool

    def where(self) -> str:
        return f"{self.dashboard}: panel {self.panel!r} target {self.ref_id}"


def queries(uid: str, board: dict[str, Any]) -> list[Query]:
    return [
        Query(
            uid,
            panel["title"],
            target["refId"],
            target["expr"],
            panel.get("interval"),
            bool(target.get("range", True)) and not target.get("instant", False),
        )
        for panel in query_panels(board)
        for target in panel.get("targets", [])
    ]


def variables(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in board["templating"]["list"]}


def selectors(expr: str) -> Iterator[tuple[str, str]]:
    """(metric name, matcher text) of every github_copilot_* selector; braces in quoted
    strings (``${scope}``) do not end a selector."""
    for match in METRIC.finditer(expr):
        rest = expr[match.end() :]
        stripped = rest.lstrip()
        if not stripped.startswith("{"):
            yield match.group(1), ""
            continue
        start = len(rest) - len(stripped) + 1
        in_string, escaped, depth = False, False, 1
        for i in range(start, len(rest)):
            char = rest[i]
            if in_string:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    yield match.group(1), rest[start:i]
                    break


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}[{index}]")


BOARDS = load_dashboards()


# --------------------------------------------------------------------------- static checks
def test_dashboard_files_are_valid_json() -> None:
    paths = sorted(DASHBOARDS_DIR.glob("*.json"))
    assert paths, f"no dashboards in {DASHBOARDS_DIR}"
    for path in paths:
        try:
            board = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            pytest.fail(f"{path.relative_to(ROOT)}: {exc}")
        assert isinstance(board, dict) and board.get("panels"), path.name


def test_committed_dashboards_are_what_the_code_generates() -> None:
    files = generate.render()
    stale = generate.stale(DASHBOARDS_DIR, files)
    assert not stale, f"stale in grafana/dashboards/: {', '.join(stale)}; run `make dashboards`"
    strays = generate.strays(DASHBOARDS_DIR, files)
    assert not strays, f"{strays} are not generated: add a module to grafana/generate.py"


def test_the_dashboards_exist_with_stable_uids_matching_their_file_names() -> None:
    assert set(BOARDS) == DASHBOARD_UIDS
    for stem, board in BOARDS.items():
        assert board["uid"] == stem, f"{stem}.json: uid {board['uid']!r} differs from the file"
        assert board.get("id") is None, f"{stem}: an exported id would clash on import"
        assert 36 <= board["schemaVersion"] <= 41, f"{stem}: schemaVersion for Grafana 10/11"
        assert board["title"].startswith("Copilot "), stem
        assert board.get("description"), f"{stem}: dashboard description"
    titles = [b["title"] for b in BOARDS.values()]
    assert len(set(titles)) == len(titles), "titles are unique"


def test_every_datasource_reference_is_the_datasource_variable() -> None:
    for uid, board in BOARDS.items():
        for path, node in walk(board):
            if not isinstance(node, dict) or "datasource" not in node:
                continue
            if path.startswith(".annotations") and node.get("builtIn") == 1:
                continue  # Grafana's own annotations & alerts, not a Prometheus
            assert node["datasource"] == DATASOURCE, f"{uid}{path}: {node['datasource']!r}"
        for panel in query_panels(board):
            assert panel.get("datasource") == DATASOURCE, f"{uid}: {panel['title']}"
            assert panel.get("targets"), f"{uid}: {panel['title']} has no query"
            for target in panel["targets"]:
                assert target.get("datasource") == DATASOURCE, f"{uid}: {panel['title']}"


def test_datasource_and_scope_variables() -> None:
    for uid, board in BOARDS.items():
        found = variables(board)
        assert next(iter(found)) == "datasource", f"{uid}: the datasource variable comes first"
        ds = found["datasource"]
        assert (ds["type"], ds["query"]) == ("datasource", "prometheus"), uid
        scope_type, scope = found["scope_type"], found["scope"]
        assert scope_type["definition"] == "label_values(github_copilot_up, scope_type)", uid
        assert scope["definition"] == (
            'label_values(github_copilot_up{scope_type=~"$scope_type"}, scope)'
        ), uid
        for var in (scope_type, scope):
            assert var["type"] == "query" and var["multi"] and var["includeAll"], uid
            assert var["query"]["query"] == var["definition"], uid


def test_dimension_variables_come_from_the_matching_breakdown_metrics() -> None:
    for uid, expected in DIMENSION_VARIABLES.items():
        found = variables(BOARDS[uid])
        for name, metric in expected.items():
            var = found[name]
            assert var["type"] == "query" and var["multi"] and var["includeAll"], (uid, name)
            assert var["definition"] == (
                f'label_values({metric}{{scope_type=~"$scope_type", scope=~"$scope"}}, {name})'
            ), (uid, name)


def test_every_panel_has_a_title_a_description_and_a_unit() -> None:
    for uid, board in BOARDS.items():
        ids = [p["id"] for p in all_panels(board)]
        assert len(set(ids)) == len(ids), f"{uid}: panel ids are unique"
        for panel in all_panels(board):
            assert panel.get("title"), f"{uid}: panel {panel['id']} has no title"
            assert panel.get("description"), f"{uid}: {panel['title']!r} has no description"
            if panel["type"] == "row":
                continue  # a row holds no data, so it has no unit
            unit = panel["fieldConfig"]["defaults"].get("unit")
            assert unit, f"{uid}: {panel['title']!r} has no unit"
            refs = [t["refId"] for t in panel["targets"]]
            assert len(set(refs)) == len(refs), f"{uid}: {panel['title']!r} repeats a refId"


def test_panels_fit_the_grid_without_overlapping() -> None:
    for uid, board in BOARDS.items():
        taken: dict[tuple[int, int], str] = {}
        for panel in all_panels(board):
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, f"{uid}: {panel['title']}"
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    other = taken.setdefault((x, y), panel["title"])
                    assert other == panel["title"], f"{uid}: {panel['title']!r} overlaps {other!r}"


def test_dashboards_are_tagged_and_link_to_each_other() -> None:
    for uid, board in BOARDS.items():
        assert "copilot" in board["tags"], uid
        links = [link for link in board["links"] if link["type"] == "dashboards"]
        assert links, f"{uid}: no dashboards link"
        assert all("copilot" in link["tags"] for link in links), uid
        assert all(link.get("includeVars") and link.get("keepTime") for link in links), uid


def test_every_scoped_series_is_filtered_by_scope_type_and_scope() -> None:
    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            for metric, matchers in selectors(query.expr):
                if metric in UNSCOPED_METRICS:
                    continue
                assert re.search(r'\bscope_type=~"', matchers), f"{query.where()}: {metric}"
                assert re.search(r'\bscope=~"\$\{?scope\b', matchers), (
                    f'{query.where()}: {metric} must filter scope=~"$scope"'
                )


def test_daily_gauges_are_read_one_value_per_day() -> None:
    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            assert "sum_over_time" not in query.expr, query.where()
            daily = [
                m
                for m, _ in selectors(query.expr)
                if m not in STATUS_METRICS | CURRENT_METRICS | SPEND_METRICS
            ]
            if not daily:
                continue
            wrapped = [
                m
                for m in re.findall(
                    r"last_over_time\(\s*(github_copilot_[a-z0-9_]+)\s*\{", query.expr
                )
                if m not in CURRENT_METRICS
            ]
            assert len(wrapped) == len(daily), (
                f"{query.where()}: every daily gauge is read with last_over_time(...[1d])"
            )
            ranges = re.findall(r"\[([^\]]*)\]", query.expr)
            assert ranges and set(ranges) == {"1d"}, f"{query.where()}: ranges {ranges}"
            if query.is_range:
                assert query.panel_interval == "1d", (
                    f"{query.where()}: a daily series needs the panel's min interval at 1d"
                )


def test_seat_gauges_are_read_as_current_values() -> None:
    # Seats change every few hours, not once a day: a query on seat gauges alone reads them as
    # they are (or their newest value of the last day), never a 1d step or a sum over time.
    seen = False
    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            read = {m for m, _ in selectors(query.expr)}
            if not read & CURRENT_METRICS:
                continue
            seen = True
            assert read <= CURRENT_METRICS | STATUS_METRICS, (
                f"{query.where()}: seat gauges are not mixed with daily usage gauges"
            )
            assert not re.search(
                r"\b(increase|rate|irate|delta|\w+_over_time)\(",
                query.expr.replace("last_over_time(", ""),
            ), query.where()
            ranges = re.findall(r"\[([^\]]*)\]", query.expr)
            assert set(ranges) <= {"1d"}, f"{query.where()}: ranges {ranges}"
            assert query.panel_interval != "1d", (
                f"{query.where()}: seats refresh every few hours; a 1d step hides that"
            )
    assert seen, "no panel reads the seat gauges"


def test_spend_gauges_are_read_as_current_values() -> None:
    seen = False
    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            read = {m for m, _ in selectors(query.expr)}
            if not read & SPEND_METRICS:
                continue
            seen = True
            assert uid == SPEND_DASHBOARD, f"{query.where()}: spend belongs on {SPEND_DASHBOARD}"
            assert not read & CURRENT_METRICS, f"{query.where()}: the pool is the seat figure"
            assert not re.search(
                r"\b(increase|rate|irate|delta|deriv|\w+_over_time)\(",
                re.sub(
                    r"last_over_time\(\s*github_copilot_(?!ai_credits|budget|billing)",
                    "",
                    query.expr,
                ),
            ), f"{query.where()}: month-to-date gauges are read as they are"
            assert query.panel_interval != "1d", (
                f"{query.where()}: spend refreshes hourly; a 1d step hides the month's climb"
            )
    assert seen, "no panel reads the spend gauges"


def test_the_spend_dashboard_reads_every_spend_metric_and_health_its_status() -> None:
    from exporter.metrics import all_specs

    spend_specs = {spec.name for spec in all_specs() if spec.group == "billing"}
    assert spend_specs == SPEND_METRICS, "SPEND_METRICS lists the exporter's spend gauges"
    read = {
        m for q in queries(SPEND_DASHBOARD, BOARDS[SPEND_DASHBOARD]) for m, _ in selectors(q.expr)
    }
    assert read >= SPEND_METRICS, f"the spend dashboard lacks {sorted(SPEND_METRICS - read)}"
    health = {
        m for q in queries(HEALTH_DASHBOARD, BOARDS[HEALTH_DASHBOARD]) for m, _ in selectors(q.expr)
    }
    assert {
        "github_copilot_billing_up",
        "github_copilot_billing_last_success_timestamp_seconds",
    } <= health


def test_the_licences_row_and_the_seat_freshness_panels() -> None:
    from exporter.metrics import all_specs

    seat_specs = {spec.name for spec in all_specs() if spec.group == "seats"}
    assert seat_specs == CURRENT_METRICS, "CURRENT_METRICS lists the exporter's seat gauges"
    board = BOARDS[LICENCES_DASHBOARD]
    rows = [p for p in board["panels"] if p["type"] == "row"]
    (licences,) = [r for r in rows if r["title"] == "Licences"]
    # The panels below the Licences row (up to the next row, or inside it when collapsed).
    after = [p for p in board["panels"] if p["gridPos"]["y"] > licences["gridPos"]["y"]]
    following = [r["gridPos"]["y"] for r in rows if r["gridPos"]["y"] > licences["gridPos"]["y"]]
    below = [p for p in after if not following or p["gridPos"]["y"] < min(following)]
    panels = licences.get("panels") or below
    read = {m for p in panels for t in p["targets"] for m, _ in selectors(t["expr"])}
    wanted = CURRENT_METRICS
    assert read >= wanted | {"github_copilot_seats_last_success_timestamp_seconds"}, (
        f"the Licences row lacks {sorted(wanted - read)}"
    )
    outside = {
        m
        for p in query_panels(board)
        if p not in panels
        for t in p["targets"]
        for m, _ in selectors(t["expr"])
    }
    assert not outside & CURRENT_METRICS, "seat panels belong in the Licences row"
    health = {
        m for q in queries(HEALTH_DASHBOARD, BOARDS[HEALTH_DASHBOARD]) for m, _ in selectors(q.expr)
    }
    assert {
        "github_copilot_seats_up",
        "github_copilot_seats_last_success_timestamp_seconds",
    } <= health


def test_last_activity_matchers_name_real_buckets() -> None:
    from exporter.seats import ACTIVITY_VALUES

    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            for _, value in LAST_ACTIVITY_MATCHER.findall(query.expr):
                assert set(value.split("|")) <= set(ACTIVITY_VALUES), (
                    f"{query.where()}: last_activity {value!r}; buckets {ACTIVITY_VALUES}"
                )


def test_charts_of_parts_show_the_unattributed_rest_beside_them() -> None:
    """Since 2026-06 GitHub's totals include use that no breakdown attributes (API.md section
    5): a chart of a counter's parts (per editor, feature, model, language) shows the scope's
    total minus their sum, clamped at 0, as a series of its own labelled "unattributed";
    never as an ``other`` label value."""
    from exporter import metrics as m

    parts_of = {
        b.metric(m.COUNTER_BY_FIELD[field]): m.PREFIX + m.COUNTER_BY_FIELD[field].metric
        for b in m.BREAKDOWNS
        for field in b.counters
    }
    charts = 0
    for uid, board in BOARDS.items():
        for panel in query_panels(board):
            if panel["type"] != "timeseries":
                continue
            targets = panel["targets"]
            rest = [t for t in targets if "unattributed" in t["legendFormat"]]
            parts = {
                name
                for t in targets
                if t not in rest and "\n/\n" not in t["expr"]  # a ratio is no part
                for name, _ in selectors(t["expr"])
                if name in parts_of
            }
            if not parts:
                continue
            charts += 1
            where = f"{uid}: {panel['title']!r}"
            assert len(rest) == 1, f"{where} shows parts without the unattributed rest"
            expr = rest[0]["expr"]
            assert expr.startswith("clamp_min(") and expr.endswith(", 0)"), where
            read = {name for name, _ in selectors(expr)}
            assert read == {*parts, *(parts_of[name] for name in parts)}, where
    assert charts >= 4
    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            assert '"other"' not in query.expr, f"{query.where()}: other is no unattributed"


def test_usage_queries_never_aggregate_across_scopes() -> None:
    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            if all(m in STATUS_METRICS for m, _ in selectors(query.expr)):
                continue
            for match in AGGREGATION.finditer(query.expr):
                _, how, labels = match.groups()
                kept = {label.strip() for label in (labels or "").split(",")}
                assert how == "by" and {"scope_type", "scope"} <= kept, (
                    f"{query.where()}: {match.group(0)!r} must keep scope_type and scope"
                )


def test_dashboards_read_only_metrics_the_exporter_declares() -> None:
    from exporter.metrics import all_specs

    declared = {spec.name for spec in all_specs()}
    for uid, board in BOARDS.items():
        for query in queries(uid, board):
            for metric, _ in selectors(query.expr):
                assert metric in declared, f"{query.where()}: {metric} is not exported"
        for var in variables(board).values():
            for metric in METRIC.findall(str(var.get("definition", ""))):
                assert metric in declared, f"{uid}: variable {var['name']}: {metric}"
    assert declared >= NOT_IN_CONTRACT


# --------------------------------------------------------------------------- integration
REPORTS_JOB = "github-copilot-exporter"
LEGACY_JOB = "github-copilot-exporter-legacy"
# Grafana's built-in variables, as a dashboard would send them for a 1h view.
BUILTIN_VALUES = {"__interval": "1m", "__rate_interval": "1m", "__range": "1h"}
VARIABLE_REF = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
FAILURES_METRIC = "github_copilot_api_request_failures_total"
QUERY_DEADLINE = 20.0  # seconds to wait for rate() windows and rule evaluations to fill


@dataclass
class Stack:
    prometheus: prom.Prometheus
    legacy_problem: str | None
    values: dict[str, list[str]] = field(default_factory=dict)


def _regex_escape(value: str) -> str:
    # Escaped for RE2 inside a PromQL string: one backslash in the regex is two in the string.
    return re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\\\1", value)


def _as_regex(values: list[str]) -> str:
    return "(" + "|".join(_regex_escape(v) for v in sorted(values)) + ")"


def start_demo_exporter(
    name: str, log_dir: Path, source: str | None
) -> tuple[prom.ManagedProcess, str]:
    port = prom.free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COPILOT_EXPORTER_SOURCE", "GITHUB_TOKEN", "COPILOT_EXPORTER_CONFIG")
    }
    if source is not None:
        env["COPILOT_EXPORTER_SOURCE"] = source
    argv = [sys.executable, "-m", "exporter", "--demo", "--web.listen-address", f"127.0.0.1:{port}"]
    return prom.start_process(name, argv, log_dir, env=env, cwd=ROOT), f"127.0.0.1:{port}"


def wait_ready(process: prom.ManagedProcess, address: str) -> None:
    prom.wait_until(
        lambda: prom.answers_ok(f"http://{address}/readyz"),
        timeout=30,
        what=f"{process.name} /readyz",
        process=process,
    )


def serves_seat_data(address: str) -> bool:
    """True once the exporter's first seats refresh (a job of its own, started beside the
    usage refresh that /readyz waits for) has put seat gauges into /metrics."""
    try:
        text = httpx.get(f"http://{address}/metrics", timeout=5).text
    except httpx.HTTPError:
        return False
    return "\ngithub_copilot_seats{" in text


def serves_spend_data(address: str) -> bool:
    """True once the first billing refresh (a job of its own too) has put spend gauges into
    /metrics, the pool (derived from seats) included."""
    try:
        text = httpx.get(f"http://{address}/metrics", timeout=5).text
    except httpx.HTTPError:
        return False
    return "\ngithub_copilot_ai_credits{" in text and "\ngithub_copilot_ai_credits_pool{" in text


def wait_for_spend_data(process: prom.ManagedProcess, address: str) -> None:
    prom.wait_until(
        lambda: serves_spend_data(address),
        timeout=30,
        what=f"{process.name} to serve spend data",
        process=process,
    )


def wait_for_seat_data(process: prom.ManagedProcess, address: str) -> None:
    prom.wait_until(
        lambda: serves_seat_data(address),
        timeout=30,
        what=f"{process.name} to serve seat data",
        process=process,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    binaries = prom.require_binaries()
    workdir = tmp_path_factory.mktemp("dashboards")
    with ExitStack() as cleanup:
        reports, reports_addr = start_demo_exporter("exporter-reports", workdir, None)
        cleanup.callback(reports.stop)
        legacy, legacy_addr = start_demo_exporter("exporter-legacy", workdir, "legacy")
        cleanup.callback(legacy.stop)
        wait_ready(reports, reports_addr)
        wait_for_seat_data(reports, reports_addr)
        wait_for_spend_data(reports, reports_addr)
        legacy_problem: str | None = None
        try:
            wait_ready(legacy, legacy_addr)
            wait_for_seat_data(legacy, legacy_addr)
            wait_for_spend_data(legacy, legacy_addr)
        except prom.PrometheusError as exc:
            legacy_problem = f"the legacy demo exporter did not start: {exc}"
            legacy.stop()

        jobs = {REPORTS_JOB: [reports_addr]}
        if legacy_problem is None:
            jobs[LEGACY_JOB] = [legacy_addr]
        # A week of daily history, as a backfill writes it, so that "7 days earlier" has data.
        tsdb = workdir / "data"
        now = time.time()
        for job, (address,) in jobs.items():
            exposition = httpx.get(f"http://{address}/metrics", timeout=10).text
            prom.backfill_daily_history(
                binaries.promtool,
                exposition,
                {"job": job, "instance": address},
                tsdb,
                now=now,
                keep=lambda name: name.startswith("github_copilot_"),
            )

        prometheus = cleanup.enter_context(
            prom.running_prometheus(binaries, workdir, jobs, RULE_FILES, tsdb_path=tsdb)
        )

        def scraped_a_few_times() -> bool:
            result = prometheus.query(
                f'count_over_time(up{{job="{REPORTS_JOB}"}}[1m]) >= 3 '
                f'and on () count(github_copilot_up{{job="{REPORTS_JOB}"}}) > 0 '
                f'and on () count(github_copilot_seats{{job="{REPORTS_JOB}"}}) > 0 '
                f'and on () count(github_copilot_ai_credits_pool{{job="{REPORTS_JOB}"}}) > 0'
            )
            return bool(result)

        prom.wait_until(
            scraped_a_few_times,
            timeout=30,
            what="three scrapes of the exporter, with seat and spend data",
            process=prometheus.process,
        )
        yield Stack(prometheus, legacy_problem)


def _substitute(expr: str, values: dict[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise AssertionError(f"{where}: unknown variable ${name} in {expr}")
        return values[name]

    return VARIABLE_REF.sub(replace, expr)


def resolve_variables(stack: Stack, uid: str) -> dict[str, str]:
    """Values for every variable of the dashboard, as Grafana would send them for "All"."""
    resolved = dict(BUILTIN_VALUES)
    for var in BOARDS[uid]["templating"]["list"]:
        name = var["name"]
        if var["type"] == "datasource":
            continue
        if var["type"] == "custom":
            resolved[name] = str(var["current"]["value"])
            continue
        definition = _substitute(var["definition"], resolved, f"{uid}: variable {name}")
        match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", definition, re.S)
        assert match, f"{uid}: variable {name}: unsupported query {definition}"
        values = stack.prometheus.label_values(match.group(2), [match.group(1)])
        assert values, f"{uid}: variable {name} has no values: {definition}"
        resolved[name] = var.get("allValue") or _as_regex(values)
    return resolved


@dataclass(frozen=True)
class Check:
    where: str
    expr: str
    reads: frozenset[str]  # the github_copilot_* metrics behind the query


def make_check(where: str, expr: str, source: str | None = None) -> Check:
    return Check(where, expr, frozenset(m for m, _ in selectors(source or expr)))


def run_until_all_return_data(stack: Stack, checks: list[Check]) -> list[str]:
    """Run every check; retry the empty ones until QUERY_DEADLINE. Returns the failures.

    One exception: a query that reads only the API failure counter is empty when nothing ever
    failed (the demo's fake GitHub may answer everything), so it is not retried or reported
    while that counter has no series at all.
    """
    nothing_failed = not stack.prometheus.query("github_copilot_api_request_failures_total")
    deadline = time.monotonic() + QUERY_DEADLINE
    pending = [c for c in checks if not (nothing_failed and c.reads == {FAILURES_METRIC})]
    problems: dict[Check, str] = {}
    while True:
        still: list[Check] = []
        for item in pending:
            try:
                result = stack.prometheus.query(item.expr)
            except prom.PrometheusError as exc:
                problems[item] = f"{item.where}: query failed: {exc}\n    {item.expr}"
                continue
            if result:
                problems.pop(item, None)
            else:
                problems[item] = f"{item.where}: no data\n    {item.expr}"
                still.append(item)
        if not still or time.monotonic() > deadline:
            break
        pending = still
        time.sleep(1.0)
    return [problems[c] for c in checks if c in problems]


def _mark_legacy(uid: str, stack: Stack, request: pytest.FixtureRequest) -> None:
    if uid == "copilot-legacy" and stack.legacy_problem is not None:
        request.applymarker(pytest.mark.xfail(reason=stack.legacy_problem, strict=False))


@pytest.mark.integration
@pytest.mark.parametrize("uid", sorted(DASHBOARD_UIDS))
def test_every_dashboard_variable_has_values(
    uid: str, stack: Stack, request: pytest.FixtureRequest
) -> None:
    _mark_legacy(uid, stack, request)
    resolved = resolve_variables(stack, uid)
    assert resolved["scope_type"].count("|") >= 3, (
        f"{uid}: the demo serves all four scope types, got {resolved['scope_type']}"
    )


@pytest.mark.integration
@pytest.mark.parametrize("uid", sorted(DASHBOARD_UIDS))
def test_every_panel_query_returns_data(
    uid: str, stack: Stack, request: pytest.FixtureRequest
) -> None:
    _mark_legacy(uid, stack, request)
    resolved = resolve_variables(stack, uid)
    checks = [
        make_check(q.where(), _substitute(q.expr, resolved, q.where()))
        for q in queries(uid, BOARDS[uid])
    ]
    assert checks
    problems = run_until_all_return_data(stack, checks)
    assert not problems, f"{len(problems)} of {len(checks)} queries of {uid}:\n" + "\n".join(
        problems
    )


def _rules(kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            found.extend(rule for rule in group["rules"] if kind in rule)
    return found


@pytest.mark.integration
def test_every_recording_rule_returns_data(stack: Stack) -> None:
    checks = []
    for rule in _rules("record"):
        checks.append(make_check(f"recording rule {rule['record']}: expr", rule["expr"]))
        checks.append(
            make_check(
                f"recording rule {rule['record']}: recorded series",
                rule["record"],
                source=rule["expr"],
            )
        )
    problems = run_until_all_return_data(stack, checks)
    assert not problems, "\n".join(problems)


@pytest.mark.integration
def test_prometheus_evaluates_every_rule_without_error(stack: Stack) -> None:
    expected = {r.get("record") or r.get("alert") for r in [*_rules("record"), *_rules("alert")]}
    rules = stack.prometheus.rules()
    assert {r["name"] for r in rules} == expected
    broken = [f"{r['name']}: {r.get('lastError')}" for r in rules if r["health"] != "ok"]
    assert not broken, "\n".join(broken)


@pytest.mark.integration
@pytest.mark.parametrize("uid", sorted(DASHBOARD_UIDS))
def test_daily_charts_read_one_point_per_day_of_backfilled_history(
    uid: str, stack: Stack, request: pytest.FixtureRequest
) -> None:
    # The fixture backfilled one sample a day for 8 days, the way a backfill does, and the
    # exporter is scraped live. A week at Grafana's 1d step must give a point for every day.
    _mark_legacy(uid, stack, request)
    resolved = resolve_variables(stack, uid)
    now = time.time()
    problems = []
    daily_charts = [
        q
        for q in queries(uid, BOARDS[uid])
        if q.is_range and q.panel_interval == "1d" and "offset" not in q.expr
    ]
    for query in daily_charts:
        expr = _substitute(query.expr, resolved, query.where())
        result = stack.prometheus.query_range(expr, now - 7 * 86400, now, 86400)
        points = max((len(series["values"]) for series in result), default=0)
        if points < 8:
            problems.append(f"{query.where()}: {points} daily points of 8\n    {expr}")
    assert not problems, "\n".join(problems)


@pytest.mark.integration
def test_flat_demo_history_raises_no_usage_alert(stack: Stack) -> None:
    # The backfilled week repeats today's values, so neither week-over-week alert may even be
    # pending: if one is, the rule misreads daily data.
    # ALERTS series carry the alert name as a label of the instant-query result's "metric".
    alerts = {a["metric"]["alertname"] for a in stack.prometheus.query("ALERTS")}
    assert not alerts & {"CopilotWeeklyActiveUsersDropped", "CopilotAcceptanceRateCollapsed"}
