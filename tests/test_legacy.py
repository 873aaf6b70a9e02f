"""The legacy source end to end: fake GitHub's /copilot/metrics over HTTP -> /metrics."""

from __future__ import annotations

import logging
from calendar import timegm
from datetime import date, timedelta
from typing import Any

import pytest

from exporter import legacy
from exporter import metrics as m
from exporter.app import default_sources
from exporter.config import Scope
from exporter.demo import demo_scopes
from exporter.fakegithub import FakeGitHub, Fault, SimulatedStore, StaticStore
from exporter.github import GitHubClient
from exporter.legacy import LegacySource
from exporter.source import Clock, Source
from tests.fixtures import entity
from tests.fixtures_legacy import SEED_EXAMPLE, seed_day, seed_days
from tests.helpers import ExporterFactory, Golden, normalise, samples, scrape, value, yesterday

SCOPES: list[dict[str, Any]] = [
    {"enterprise": "acme"},
    {"enterprise": "acme", "team": "platform"},
    {"org": "octo"},
    {"org": "octo", "team": "web"},
]
OWNERS = ("enterprises/acme", "enterprises/acme/team/platform", "orgs/octo", "orgs/octo/team/web")
ORG = "/orgs/{org}/copilot/metrics"


def midnight(day: date) -> float:
    return float(timegm(day.timetuple()))


def legacy_scopes(*scopes: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**scope, "source": "legacy"} for scope in scopes]


# --- the mapping, without HTTP ----------------------------------------------------------


def test_the_table_fills_exactly_the_legacy_metrics_of_the_contract() -> None:
    declared = {spec.name: spec.labels for spec in m.LEGACY_SPECS}
    assert legacy.table_metrics() == {
        name: labels for name, labels in declared.items() if name != legacy.MODEL_INFO
    }


def test_engaged_users_are_never_added_up_but_activity_is() -> None:
    model = {"name": "default", "is_custom_model": False, "custom_model_training_date": None}
    editor: dict[str, Any] = {
        "name": "vscode",
        "total_engaged_users": 5,
        "models": [
            {
                **model,
                "total_engaged_users": 5,
                "languages": [
                    {"name": "go", "total_engaged_users": 5, "total_code_suggestions": 10}
                ],
            }
        ],
    }
    day = {
        "date": "2026-01-01",
        "copilot_ide_code_completions": {"editors": [editor, {**editor, "total_engaged_users": 3}]},
    }
    values = legacy.day_values(day)
    assert values[m.PREFIX + "ide_code_completions_engaged_users_by_editor"] == {("vscode",): 5}
    assert values[m.PREFIX + "ide_code_completions_engaged_users_by_editor_model_language"] == {
        ("vscode", "default", "go"): 5
    }
    assert values[m.PREFIX + "ide_code_suggestions"] == {("vscode", "default", "go"): 20}
    # totals are the API's own, not sums of their breakdowns
    assert m.PREFIX + "ide_code_completions_engaged_users" not in values


def test_odd_values_are_skipped_not_fatal() -> None:
    day = {
        "date": "2026-01-01",
        "total_active_users": True,
        "total_engaged_users": "7",
        "copilot_ide_chat": {"total_engaged_users": 2, "editors": {"name": "vscode"}},
        "copilot_dotcom_chat": {
            "models": [
                {"total_chats": 4},  # no name: no series
                {
                    "name": "  custom-x ",
                    "is_custom_model": True,
                    "custom_model_training_date": "2025-05-01",
                    "total_chats": 3.5,
                },
                "not an object",
            ]
        },
    }
    values = legacy.day_values(day)
    assert values == {
        m.PREFIX + "ide_chat_engaged_users": {(): 2},
        m.PREFIX + "dotcom_chats": {("custom-x",): 3.5},
        legacy.MODEL_INFO: {("custom-x", "true", "2025-05-01"): 1},
    }


# --- through the fake GitHub ------------------------------------------------------------


def test_golden_metrics_for_the_documented_example_in_every_scope_type(
    store: StaticStore, make_exporter: ExporterFactory, golden: Golden
) -> None:
    day = yesterday()
    for owner in OWNERS:
        store.set_legacy(owner, [seed_day(day)])
    exporter = make_exporter(SCOPES, source="legacy")
    exporter.refresh_now()
    body = scrape(exporter).text
    golden("legacy.prom", normalise(body))
    for scope in ("acme", "acme/platform", "octo", "octo/web"):
        assert value(body, "github_copilot_up", scope=scope) == 1
        assert value(body, "github_copilot_report_day_timestamp_seconds", scope=scope) == midnight(
            day
        )
    for template in legacy.ENDPOINTS.values():
        assert value(body, "github_copilot_api_requests_total", endpoint=template, code="200") == 1


def test_every_page_is_read_and_the_newest_day_exported(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
) -> None:
    def twenty_per_page(client: GitHubClient, clock: Clock) -> dict[str, Source]:
        return {**default_sources(client, clock), "legacy": LegacySource(client, clock, 20)}

    newest = yesterday()
    store.set_legacy("orgs/octo/team/web", seed_days(newest, 30))  # 2 fall before `since`
    store.set_legacy("orgs/octo", list(reversed(seed_days(newest, 30))))
    exporter = make_exporter(
        legacy_scopes({"org": "octo", "team": "web"}, {"org": "octo"}), sources=twenty_per_page
    )
    exporter.refresh_now()
    body = scrape(exporter).text
    for scope in ("octo/web", "octo"):
        assert value(body, "github_copilot_report_day_timestamp_seconds", scope=scope) == midnight(
            newest
        )
        assert value(body, "github_copilot_active_users", scope=scope) == 0  # the newest day
    asked = [r.query for r in github.requests if r.path == "/orgs/octo/team/web/copilot/metrics"]
    today = newest + timedelta(days=1)
    first = {
        "since": f"{today - timedelta(days=28)}T00:00:00Z",
        "until": f"{today}T00:00:00Z",
        "per_page": "20",
    }
    assert asked == [first, {**first, "page": "2"}]


def test_missing_and_null_sections_give_the_metrics_that_are_there(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_legacy(
        "orgs/octo",
        [
            {
                "date": yesterday().isoformat(),
                "total_active_users": 5,
                "copilot_ide_code_completions": None,
                "copilot_ide_chat": {"total_engaged_users": 3},  # no editors array
                "copilot_dotcom_chat": {
                    "total_engaged_users": 2,
                    "models": [
                        {
                            "name": "default",
                            "is_custom_model": False,
                            "custom_model_training_date": None,
                            "total_chats": 7,
                        }
                    ],
                },  # a model without total_engaged_users
            }
        ],
    )  # no copilot_dotcom_pull_requests at all
    exporter = make_exporter(legacy_scopes({"org": "octo"}))
    exporter.refresh_now()
    body = scrape(exporter).text
    status = {spec.name for spec in m.STATUS_SPECS}
    scoped = {
        k.split("{", 1)[0]: v
        for k, v in samples(body).items()
        if 'scope="octo"' in k and k.split("{", 1)[0] not in status
    }
    assert value(body, "github_copilot_up", scope="octo") == 1
    assert scoped == {
        "github_copilot_active_users": 5,
        "github_copilot_ide_chat_engaged_users": 3,
        "github_copilot_dotcom_chat_engaged_users": 2,
        "github_copilot_dotcom_chats": 7,
        "github_copilot_model_info": 1,
    }
    assert (
        value(
            body,
            "github_copilot_model_info",
            scope="octo",
            model="default",
            is_custom_model="false",
            custom_model_training_date="",
        )
        == 1
    )


def test_an_empty_answer_keeps_the_scope_up_without_a_report_day(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_legacy("orgs/octo/team/tiny", [])  # fewer than five licensed members
    exporter = make_exporter(legacy_scopes({"org": "octo", "team": "tiny"}))
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope="octo/tiny") == 1
    assert value(body, "github_copilot_report_day_timestamp_seconds", scope="octo/tiny") is None
    assert "github_copilot_active_users{" not in body


@pytest.mark.parametrize(
    ("status", "reason", "words"),
    [
        (
            "policy_disabled",
            "policy_disabled",
            (
                "answered 422",
                "disabled for organization 'octo'",
                "enable the Copilot metrics API policy",
            ),
        ),
        (
            "closed",
            "endpoint_closed",
            (
                "answered 404",
                "closed the legacy /copilot/metrics API on 2026-04-02",
                "switch this scope to 'source: reports'",
            ),
        ),
    ],
)
def test_a_refused_endpoint_sets_the_scope_down_and_names_the_fix(
    store: StaticStore,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
    status: Any,
    reason: str,
    words: tuple[str, ...],
) -> None:
    store.set_legacy_status("orgs/octo", status)
    store.set_legacy("orgs/hub", [seed_day(yesterday())])
    exporter = make_exporter(legacy_scopes({"org": "octo"}, {"org": "hub"}))
    caplog.set_level(logging.WARNING)
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope="octo") == 0
    assert value(body, "github_copilot_scope_failure", scope="octo", reason=reason) == 1
    assert value(body, "github_copilot_up", scope="hub") == 1
    [logged] = [r.getMessage() for r in caplog.records if getattr(r, "scope", "") == "octo"]
    assert logged.startswith("/orgs/octo/copilot/metrics answered")
    for word in words:
        assert word in logged


def test_other_api_errors_keep_their_own_reason(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    store.set_legacy("orgs/octo", [seed_day(yesterday())])
    github.add_fault(Fault(path_regex=r"/orgs/octo/copilot/metrics", status=403))
    exporter = make_exporter(legacy_scopes({"org": "octo"}))
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_scope_failure", scope="octo", reason="forbidden") == 1


@pytest.mark.parametrize(
    "fault",
    [
        Fault(path_regex=r"/copilot/metrics", action="invalid_json"),
        Fault(path_regex=r"/copilot/metrics", status=200, body=b'{"date": "2026-01-01"}'),
        Fault(path_regex=r"/copilot/metrics", status=200, body=b'[{"date": "2026-01-01"}, 3]'),
        Fault(path_regex=r"/copilot/metrics", status=200, body=b'[{"total_active_users": 3}]'),
    ],
    ids=["not-json", "object", "array-of-mixed", "no-date"],
)
def test_a_body_that_is_not_an_array_of_day_objects_fails_the_scope(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory, fault: Fault
) -> None:
    store.set_legacy("orgs/octo", [seed_day(yesterday())])
    github.add_fault(fault)
    exporter = make_exporter(legacy_scopes({"org": "octo"}))
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_scope_failure", scope="octo", reason="invalid_response") == 1
    assert (
        value(
            body,
            "github_copilot_api_request_failures_total",
            endpoint=ORG,
            reason="invalid_response",
        )
        == 1
    )


def test_a_wildcard_team_is_refused_without_asking_github(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.set_legacy("orgs/octo/team/web", [seed_day(yesterday())])
    exporter = make_exporter(legacy_scopes({"org": "octo", "team": "*"}))
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_scope_failure", scope="octo/*", reason="unsupported") == 1
    assert not [r for r in github.requests if r.path.endswith("/copilot/metrics")]
    assert "list the team slugs explicitly" in caplog.text


def test_legacy_and_reports_scopes_work_side_by_side(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    store.set_legacy("orgs/octo", [seed_day(day - timedelta(days=1)), seed_day(day)])
    store.set_report("organization-1-day", "hub", day, [entity(day, dau=3, gen=9, acc=4)])
    exporter = make_exporter([{"org": "octo", "source": "legacy"}, {"org": "hub"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    for scope in ("octo", "hub"):
        assert value(body, "github_copilot_up", scope=scope) == 1
        assert value(body, "github_copilot_report_day_timestamp_seconds", scope=scope) == midnight(
            day
        )
    assert (
        value(body, "github_copilot_ide_chats", scope="octo", editor="vscode", model="default")
        == 45
    )
    assert value(body, "github_copilot_code_generations", scope="hub") == 9
    assert value(body, "github_copilot_code_generations", scope="octo") is None
    assert value(body, "github_copilot_active_users", scope="hub") is None


def test_the_legacy_demo_names_every_team_of_every_owner() -> None:
    store = SimulatedStore(users=40, orgs=2, teams_per_org=2, enterprise_teams=1)
    scopes = demo_scopes(store, "legacy")
    assert Scope("team", "acme-web", "frontend", "legacy") in scopes
    assert Scope("enterprise_team", "acme", "platform-eng", "legacy") in scopes
    assert not any(s.is_wildcard for s in scopes)
    teams = {f"{s.owner_path}/team/{s.team}" for s in scopes if s.team}
    assert teams == {o for o in store.owners() if "/team/" in o}


def test_the_seed_example_is_the_documented_one() -> None:
    assert SEED_EXAMPLE["date"] == "2024-06-24"
    assert (
        SEED_EXAMPLE["copilot_ide_code_completions"]["editors"][1]["models"][0][
            "custom_model_training_date"
        ]
        == "2024-02-01"
    )
