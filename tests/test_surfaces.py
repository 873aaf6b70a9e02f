"""The surfaces GitHub added after the first release (API.md section 5), and API drift:
GitHub-shaped reports through the fake GitHub, the client, the join and the collector."""

from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any

import pytest

from exporter import aggregate, drift
from exporter import metrics as m
from exporter.app import Exporter
from exporter.demo import start_demo
from exporter.fakegithub import StaticStore
from tests.fixtures import (
    CLAUDE,
    ESTATE_SCOPES,
    SURFACES_SCOPES,
    adoption_phase,
    entity,
    estate,
    github_example_entity,
    github_example_user,
    membership,
    surface_entity,
    surface_user,
    surfaces_estate,
    user,
)
from tests.helpers import (
    NEW_REPORT_METRICS,
    REPOSITORY_METRICS,
    ExporterFactory,
    samples,
    scrape,
    value,
    yesterday,
)


def refreshed(make_exporter: ExporterFactory, scopes: list[dict[str, Any]]) -> str:
    exporter = make_exporter(scopes)
    exporter.refresh_now()
    return scrape(exporter).text


def names_of(body: str, scope: str) -> set[str]:
    """The metric names that have a sample for one scope."""
    return {k.split("{", 1)[0] for k in samples(body) if f'scope="{scope}"' in k}


_UNMAPPED = re.compile(rf'^{m.UNMAPPED_FIELDS}{{field="((?:[^"\\]|\\.)*)",report="([^"]*)"}}$')


def unmapped(body: str) -> dict[tuple[str, str], float]:
    """(report, field) -> records, from the exposition."""
    found = ((_UNMAPPED.match(key), count) for key, count in samples(body).items())
    return {(match[2], match[1]): count for match, count in found if match}


def github_shaped(store: StaticStore, day: date) -> None:
    """Enterprise acme with team core: GitHub's example records, one user on the team."""
    store.set_report("enterprise-1-day", "acme", day, [github_example_entity(day)])
    store.set_report("users-1-day", "enterprises/acme", day, [github_example_user(day)])
    store.set_report(
        "user-teams-1-day",
        "enterprises/acme",
        day,
        [{**membership(1, "core", day, 7), "enterprise_id": "1"}],
    )


# --- every field of GitHub's examples -------------------------------------------------------


def test_githubs_example_records_map_every_field_for_entities(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    github_shaped(store, yesterday())
    body = refreshed(
        make_exporter, [{"enterprise": "acme"}, {"enterprise": "acme", "team": "core"}]
    )
    assert unmapped(body) == {}

    def ent(name: str, **labels: str) -> float | None:
        return value(body, m.PREFIX + name, scope="acme", **labels)

    assert ent("daily_active_cloud_agent_users") == 1
    assert ent("weekly_active_cloud_agent_users") is None  # null: no sample
    assert ent("monthly_active_cloud_agent_users") == 0  # a real zero stays
    assert ent("daily_active_app_users") == ent("daily_active_vscode_agent_users") == 1
    assert (ent("app_sessions"), ent("app_requests"), ent("app_prompt_tokens")) == (1, 3, 2700)
    assert (ent("vscode_agent_sessions"), ent("vscode_agent_user_messages")) == (2, 9)
    assert ent("third_party_agent_jobs", agent="2246796") == 2
    assert ent("third_party_agent_sessions", agent="2246796") == 3
    assert ent("third_party_agent_info", agent="2246796", agent_name="Claude (Anthropic)") == 1
    # CLI customisation inside totals_by_cli, keyed by name
    assert ent("cli_skill_interactions", skill="other") == 5
    assert ent("cli_mcp_connections", mcp_server="github-mcp-server") == 8
    assert ent("cli_slash_command_interactions", slash_command="custom") == 1
    assert ent("cli_plugin_interactions", plugin="other") == 2
    assert ent("cli_custom_agent_interactions", custom_agent="general-purpose") == 4
    assert ent("cli_distinct_skills_used") == 3
    assert ent("cli_distinct_mcp_servers_used") == 2
    assert ent("adoption_phase_users", phase="Phase 2", phase_number="2") == 2
    average = "adoption_phase_average_per_user"
    assert ent(average, phase="Phase 2", measure="loc_added") == 120.5
    assert ent(average, phase="Phase 2", measure="pull_requests_median_seconds_to_merge") == 1800
    assert ent("pull_requests_median_time_to_merge_seconds", author="copilot_authored") == 150
    assert ent("pull_requests_median_time_to_merge_seconds", author="copilot_reviewed") is None


def test_githubs_example_records_map_every_field_for_teams(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    github_shaped(store, yesterday())
    body = refreshed(make_exporter, [{"enterprise": "acme", "team": "core"}])
    assert unmapped(body) == {}

    def team(name: str, **labels: str) -> float | None:
        return value(body, m.PREFIX + name, scope="acme/core", **labels)

    assert team("daily_active_cloud_agent_users") == 1
    assert team("daily_active_app_users") == team("daily_active_vscode_agent_users") == 1
    assert (team("app_sessions"), team("app_requests"), team("app_output_tokens")) == (1, 3, 900)
    assert team("cli_sessions") == 2
    # CLI customisation at the top of the row, keyed by kind (GitHub's example)
    assert team("cli_skill_interactions", skill="other") == 5
    assert team("cli_custom_agent_interactions", custom_agent="general-purpose") == 4
    assert team("cli_mcp_connections", mcp_server="github-mcp-server") == 8
    assert team("cli_slash_command_interactions", slash_command="/plan") == 3
    assert team("cli_plugin_interactions", plugin="other") == 2
    assert team("third_party_agent_jobs", agent="2248422") == 2
    assert team("third_party_agent_info", agent="2248422", agent_name="Codex (OpenAI)") == 1
    assert team("adoption_phase_users", phase="Phase 2", phase_number="2") == 1
    assert team("ai_credits_used") == 12.5
    # job starts of third-party agents are not the user's interactions
    assert team("user_initiated_interactions") == 1
    # code review flags are null in the example: unknown, so no team count at all
    assert team("code_review_users", window="daily", engagement="active") is None
    # what a sum over users would get wrong is left out for teams
    scoped = names_of(body, "acme/core")
    assert not scoped & {m.PREFIX + c.distinct_metric for c in m.CLI_CUSTOMISATIONS}
    assert m.ADOPTION_AVERAGE not in scoped
    assert m.PREFIX + "third_party_agent_sessions" not in scoped
    assert m.PREFIX + "weekly_active_cloud_agent_users" not in scoped


# --- teams from users rows ------------------------------------------------------------------


def test_a_team_with_members_but_no_activity_exports_zeros_for_every_counter(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    surfaces_estate(store, yesterday())
    body = refreshed(make_exporter, [{"org": "nova", "team": "idle"}])
    zero = {
        *(m.PREFIX + c.metric for c in m.COUNTERS),
        *(m.PREFIX + metric for _, metric, _ in m.CLI_FIELDS),
        *(m.PREFIX + metric for _, metric, _ in m.SURFACE_OBJECTS[1].fields),  # the app's
        m.AI_CREDITS_METRIC,
        m.PREFIX + "daily_active_users",
        m.PREFIX + "daily_active_cloud_agent_users",
        m.PREFIX + "daily_active_app_users",
        m.PREFIX + "daily_active_vscode_agent_users",
    }
    for name in zero:
        assert value(body, name, scope="nova/idle") == 0, name
    # users rows carry no VS Code Agents window sums: nothing to say, so no sample
    assert value(body, m.PREFIX + "vscode_agent_sessions", scope="nova/idle") is None


def test_older_days_without_the_new_fields_export_none_of_the_new_families(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())  # the first release's shapes, as older days are
    body = refreshed(make_exporter, ESTATE_SCOPES)
    exported = {k.split("{", 1)[0] for k in samples(body)}
    assert not exported & NEW_REPORT_METRICS
    # ai_credits_used stays out of a team whose users report never carries it (hub)
    assert value(body, m.AI_CREDITS_METRIC, scope="hub/infra") is None
    assert value(body, m.AI_CREDITS_METRIC, scope="octo/api") == 1.25


def test_the_cloud_agent_flag_falls_back_to_the_coding_agent_flag(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    store.set_report(
        "users-1-day",
        "orgs/octo",
        day,
        [
            surface_user(1, day, cloud=True),
            surface_user(2, day, cloud=None, coding=True),  # only the old flag says
            surface_user(3, day, cloud=False, coding=True),  # the new flag wins
            surface_user(4, day, cloud=None, coding=None),
        ],
    )
    store.set_report(
        "user-teams-1-day", "orgs/octo", day, [membership(u, "web", day, 1) for u in range(1, 6)]
    )
    body = refreshed(make_exporter, [{"org": "octo", "team": "web"}])
    assert value(body, m.PREFIX + "daily_active_cloud_agent_users", scope="octo/web") == 2


def test_third_party_agents_group_by_id_and_keep_the_first_name(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    odd = ("7", ' ünï "quoted" \\ name ', 3)
    store.set_report(
        "users-1-day",
        "orgs/octo",
        day,
        [
            surface_user(1, day, agents=(CLAUDE, odd), interactions=4),
            surface_user(2, day, agents=(("2246796", "Claude, renamed", 5),), interactions=1),
            surface_user(3, day, agents=((None, "no id", 9),)),  # type: ignore[arg-type]
        ],
    )
    store.set_report(
        "user-teams-1-day", "orgs/octo", day, [membership(u, "web", day, 1) for u in (1, 2, 3)]
    )
    body = refreshed(make_exporter, [{"org": "octo", "team": "web"}])
    jobs = m.PREFIX + "third_party_agent_jobs"
    assert value(body, jobs, scope="octo/web", agent="2246796") == 7
    assert value(body, jobs, scope="octo/web", agent="7") == 3
    info = [k for k in samples(body) if k.startswith(m.THIRD_PARTY_INFO + "{")]
    assert len(info) == 2
    assert value(body, m.THIRD_PARTY_INFO, agent="2246796", agent_name="Claude (Anthropic)") == 1
    assert 'agent_name="ünï \\"quoted\\" \\\\ name"' in body  # trimmed, escaped
    assert value(body, m.PREFIX + "user_initiated_interactions", scope="octo/web") == 5


def test_an_entity_scope_never_fills_a_null_of_its_report_from_users_rows(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    record = surface_entity(day, dau=2, gen=10, acc=4, daily_active_copilot_cloud_agent_users=None)
    store.set_report("organization-1-day", "octo", day, [record])
    store.set_report("users-1-day", "orgs/octo", day, [surface_user(1, day, cloud=True)])
    store.set_report("user-teams-1-day", "orgs/octo", day, [membership(1, "web", day, 1)])
    body = refreshed(make_exporter, [{"org": "octo"}, {"org": "octo", "team": "web"}])
    cloud = m.PREFIX + "daily_active_cloud_agent_users"
    assert value(body, cloud, scope="octo", scope_type="organization") is None
    assert value(body, cloud, scope="octo/web") == 1
    # what entity reports lack is still taken from the users rows, as before
    assert value(body, m.PREFIX + "daily_active_chat_users", scope="octo") == 0


def test_adoption_phase_nulls_and_odd_entries_give_no_sample() -> None:
    record = entity(date(2026, 11, 1), dau=3, gen=4, acc=2)
    record["totals_by_ai_adoption_phase"] = [
        adoption_phase(0, 4, merge_minutes=None),
        {"phase": "Phase 1", "phase_number": 1.0, "total_engaged_users": None, "avg_loc_added": 2},
        {"total_engaged_users": 5},  # neither phase nor number: cannot be labelled
        "not an entry",
    ]
    values = aggregate.entity_values(record)
    assert values[m.ADOPTION_USERS] == {("No Cohort", "0"): 4.0}
    averages = values[m.ADOPTION_AVERAGE]
    assert ("No Cohort", "0", "pull_requests_median_seconds_to_merge") not in averages
    assert averages[("Phase 1", "1", "loc_added")] == 2


def test_team_phases_count_members_by_whatever_phase_github_gives() -> None:
    acc = aggregate.UsageAccumulator()
    acc.add(1, {"ai_adoption_phase": {"phase": " Phase 1 ", "phase_number": 1.0}}, [])
    acc.add(2, {"ai_adoption_phase": {"phase_number": 3, "version": "v2"}}, [])
    acc.add(3, {"ai_adoption_phase": "Phase 1"}, [])  # a bare name, not GitHub's object
    acc.add(4, {"ai_adoption_phase": None}, [])  # no phase: in none, not in an invented one
    acc.add(5, {"ai_adoption_phase": {"version": "v1"}}, [])
    assert acc.result()[m.ADOPTION_USERS] == {("Phase 1", "1"): 1, ("", "3"): 1, ("Phase 1", ""): 1}


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("avg_loc_added", ("loc_added", 1.0)),
        (
            "avg_pull_requests_median_minutes_to_merge",
            ("pull_requests_median_seconds_to_merge", 60.0),
        ),
        ("avg_pull_requests_minutes_to_review", ("pull_requests_seconds_to_review", 60.0)),
        ("total_engaged_users", None),
        ("avg_", None),
    ],
)
def test_adoption_measures_are_the_field_without_avg_in_base_units(
    field: str, expected: tuple[str, float] | None
) -> None:
    assert m.adoption_measure(field) == expected


def test_cli_customisation_counts_accept_the_early_count_spelling() -> None:
    row = user(1, date(2026, 11, 1), cli=True)
    row["totals_by_skill"] = [
        {"skill": "pdf", "user_initiated_interaction_count": 3},  # seen in early files
        {"name": "other", "interaction_count": 2},
        {"skill": "no count"},
    ]
    flat = [
        item for item in aggregate.flatten_activity(row) if item[0].endswith("skill_interactions")
    ]
    assert sorted(flat) == [
        (m.PREFIX + "cli_skill_interactions", ("other",), 2.0),
        (m.PREFIX + "cli_skill_interactions", ("pdf",), 3.0),
    ]


def test_user_count_help_says_the_parts_need_not_add_up() -> None:
    index = m.spec_index()
    for name in (m.PREFIX + "daily_active_users", m.PREFIX + "monthly_active_users"):
        assert "unattributed" in index[name].help and "'other'" in index[name].help
    for name in (m.PREFIX + "daily_active_chat_users", m.PREFIX + "daily_active_app_users"):
        assert "need not add up" in index[name].help
    assert "never sum it across phases" in index[m.ADOPTION_AVERAGE].help
    assert "connection attempts" in index[m.PREFIX + "cli_mcp_connections"].help
    assert "subset" in index[m.PREFIX + "cli_plugin_interactions"].help


# --- API drift ------------------------------------------------------------------------------


def test_an_invented_field_is_counted_per_report_kind_and_logged_once(
    store: StaticStore, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    day = yesterday()
    record = surface_entity(day, dau=2, gen=10, acc=4, brand_new={"a": 1, "b": [1, 2]})
    store.set_report("organization-1-day", "octo", day, [record])
    first = {**surface_user(1, day, cli=True), "brand_new_count": 3}
    first["totals_by_ide"][0]["bar"] = 1
    first["totals_by_foo"] = [{"bar": 1}, {"bar": 2, "baz": None}]
    first["totals_by_cli"]["token_usage"]["cached_tokens_sum"] = 7
    second = {**surface_user(2, day), "brand_new_count": None}
    store.set_report("users-1-day", "orgs/octo", day, [first, second, surface_user(3, day)])
    store.set_report(
        "user-teams-1-day", "orgs/octo", day, [{**membership(1, "web", day, 1), "name": "Web"}]
    )
    caplog.set_level(logging.INFO, logger="exporter.drift")
    exporter = make_exporter([{"org": "octo"}, {"org": "octo", "team": "web"}])
    exporter.refresh_now()
    exporter.refresh_now()  # the day is cached: the counts stay, nothing is logged again
    body = scrape(exporter).text
    assert unmapped(body) == {
        ("organization-1-day", "daily_active_copilot_code_review_users_x"): 1,
        ("organization-1-day", "brand_new.a"): 1,
        ("organization-1-day", "brand_new.b[]"): 1,
        ("users-1-day", "brand_new_count"): 2,  # a null counts: the field is there
        ("users-1-day", "totals_by_ide[].bar"): 1,
        ("users-1-day", "totals_by_foo[].bar"): 1,
        ("users-1-day", "totals_by_foo[].baz"): 1,
        ("users-1-day", "totals_by_cli.token_usage.cached_tokens_sum"): 1,
        ("user-teams-1-day", "name"): 1,
    }
    logged = [r for r in caplog.records if r.name == "exporter.drift"]
    assert sorted((r.report, r.field) for r in logged) == sorted(unmapped(body))  # type: ignore[attr-defined]
    assert all(r.levelno == logging.INFO for r in logged)


def test_unmapped_fields_are_bounded_and_the_cut_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tracker = drift.Drift(limit=3)
    census = tracker.census("users-1-day")
    for n in range(5):
        census.see({f"field_{k}": 1 for k in range(n + 1)})  # field_0 in 5 records ...
    with caplog.at_level(logging.WARNING, logger="exporter.drift"):
        tracker.commit("orgs/octo", "users-1-day", census)
    assert tracker.unmapped_fields() == {
        ("users-1-day", "field_0"): 5,
        ("users-1-day", "field_1"): 4,
        ("users-1-day", "field_2"): 3,
    }
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.records_left_out == 3  # type: ignore[attr-defined]  # field_3: 2, field_4: 1


def test_the_projects_fixtures_carry_no_unmapped_field_but_the_invented_one(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    estate(store, day)
    surfaces_estate(store, day)
    body = refreshed(make_exporter, ESTATE_SCOPES + SURFACES_SCOPES)
    invented = "daily_active_copilot_code_review_users_x"  # tests that unknowns are ignored
    assert {field for _, field in unmapped(body)} == {invented}


def test_the_demo_data_carries_every_new_family_and_no_unmapped_field() -> None:
    fake, config = start_demo()  # today's simulated days, every scope type of the demo
    exporter = Exporter(config, listen=("127.0.0.1", 0), client_options={"backoff": 0.01})
    try:
        exporter.serve()
        exporter.refresh_now()
        exporter.refresh_seats_now()
        body = scrape(exporter).text
    finally:
        exporter.stop()
        fake.stop()
    assert value(body, m.PREFIX + "up", scope="acme") == 1
    assert unmapped(body) == {}
    exported = {k.split("{", 1)[0] for k in samples(body)}
    # the cloud agent's entity counts are null on some simulated days: teams always have one
    assert NEW_REPORT_METRICS - exported <= {
        m.PREFIX + "weekly_active_cloud_agent_users",
        m.PREFIX + "monthly_active_cloud_agent_users",
    }
    assert m.SEATS_BY_LAST_AUTHENTICATION in exported
    # the demo's organizations and enterprise opt in to repositories
    assert exported >= REPOSITORY_METRICS


def test_a_record_is_checked_once_per_shape() -> None:
    schema = drift.Schema(["a", "b.c", "d[].e"])
    record: dict[str, Any] = {"a": 1, "b": {"c": 2}, "d": [{"e": 1}, {"e": 2, "f": 3}]}
    assert schema.unmapped(record) == {"d[].f"}
    assert schema.unmapped({"a": 1, "b": {"c": 2}}) is None
    assert schema.unmapped({"a": 1, "b": {"c": 2, "g": {}}, "h": []}) == {"b.g", "h"}
