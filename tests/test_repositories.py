"""Repository reports (repos-1-day), opt-in per organization or enterprise scope: the rows
through the fake GitHub, the client and the collector; a day without repository activity;
the cardinality rules; the config; the simulation behind the demo."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from exporter import aggregate, cardinality
from exporter import metrics as m
from exporter.cli import describe
from exporter.config import ConfigError, DimensionRule, Scope, build
from exporter.fakegithub import FakeGitHub, Fault, SimulatedStore, StaticStore
from exporter.fakegithub.simulate import REPOS_FROM, REVIEW_TIMES_FROM
from exporter.snapshot import ScopeState
from tests.fixtures import entity, repo_row
from tests.helpers import (
    REPOSITORY_METRICS,
    ExporterFactory,
    samples,
    scrape,
    value,
    yesterday,
)

REPOS = "repos-1-day"
CREATED = m.PREFIX + "repository_pull_requests_created"
BY_COPILOT = m.PREFIX + "repository_pull_requests_created_by_copilot"
SUGGESTIONS = m.PREFIX + "repository_pull_request_copilot_suggestions"
APPLIED = m.PREFIX + "repository_pull_request_copilot_applied_suggestions"
USAGE_METRICS = frozenset(spec.name for spec in m.REPORT_SPECS)


def repository_series(body: str) -> dict[str, float]:
    return {k: v for k, v in samples(body).items() if k.split("{", 1)[0] in REPOSITORY_METRICS}


def repos_days_asked(github: FakeGitHub) -> list[str]:
    return [r.query["day"] for r in github.requests if r.path.endswith(f"/{REPOS}")]


def org_day(store: StaticStore, day: date, org: str = "octo") -> None:
    store.set_report("organization-1-day", org, day, [entity(day, dau=5, gen=50, acc=20)])


def refreshed(make_exporter: ExporterFactory, scopes: list[dict[str, Any]], **config: Any) -> str:
    exporter = make_exporter(scopes, **config)
    exporter.refresh_now()
    return scrape(exporter).text


# --- the rows -----------------------------------------------------------------------------------


def test_each_field_of_a_repository_row_is_the_entity_metric_of_the_same_name(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    org_day(store, day)
    store.set_report(
        REPOS, "orgs/octo", day, [repo_row(day, "octo", "api", created=4, merged=3)], fmt="array"
    )
    body = refreshed(make_exporter, [{"org": "octo", "repositories": True}])

    def repo(name: str, **labels: str) -> float | None:
        return value(body, m.PREFIX + name, scope="octo", repository="octo/api", **labels)

    assert repo("repository_info", visibility="private") == 1
    assert repo("repository_pull_requests_created") == 4
    assert repo("repository_pull_requests_merged") == 3
    assert repo("repository_pull_requests_created_by_copilot") == 2
    assert repo("repository_pull_requests_merged_created_by_copilot") == 2
    assert repo("repository_pull_requests_reviewed_by_copilot") == 2
    assert repo("repository_pull_requests_merged_reviewed_by_copilot") == 3
    assert repo("repository_pull_request_suggestions") == 12
    assert repo("repository_pull_request_applied_suggestions") == 4
    assert repo("repository_pull_request_copilot_suggestions", comment_type="bug_risk") == 4
    assert (
        repo("repository_pull_request_copilot_applied_suggestions", comment_type="readability") == 0
    )
    median = "repository_pull_requests_median_time_to_merge_seconds"
    assert repo(median, author="any") == 90 * 60
    assert repo(median, author="copilot_reviewed") == 45.5 * 60
    stage = "repository_review_stage_seconds"
    assert repo(stage, stage="first_to_final_review", quantile="0.5", authored_by="human") == 1230
    assert repo(stage, stage="ready_to_first_review", quantile="0.9", authored_by="copilot") == 3600
    assert repo("repository_reviewed_pull_requests_merged", authored_by="copilot") == 2
    assert repo("repository_reviewed_pull_requests_merged", authored_by="human") == 1
    # every declared repository metric has a sample, and nothing is left unmapped
    names = {k.split("{", 1)[0] for k in repository_series(body)}
    assert names == REPOSITORY_METRICS
    assert f'report="{REPOS}"' not in body  # no unmapped field in the repos report
    # the entity scope's own values are all there as before
    assert value(body, m.PREFIX + "code_generations", scope="octo") == 50


def test_an_enterprise_opts_in_like_an_organization_and_nulls_give_no_sample(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    store.set_report("enterprise-1-day", "acme", day, [entity(day, dau=5, gen=50, acc=20)])
    row = repo_row(day, "octo", "web", created=1, merged=1, visibility="public", nulls=True)
    store.set_report(REPOS, "enterprises/acme", day, [row])
    body = refreshed(make_exporter, [{"enterprise": "acme", "repositories": True}])
    where = {"scope": "acme", "scope_type": "enterprise", "repository": "octo/web"}
    assert value(body, m.REPOSITORY_INFO, visibility="public", **where) == 1
    median = m.REPOSITORY_MEDIAN_METRIC
    assert value(body, median, author="copilot_authored", **where) is None  # null, not 0
    assert value(body, median, author="any", **where) == 5400
    assert value(body, BY_COPILOT, **where) == 0  # a real zero stays
    stage = {"stage": "ready_to_first_review", "authored_by": "human"}
    assert value(body, m.REVIEW_STAGE_METRIC, quantile="0.9", **stage, **where) is None
    assert value(body, m.REVIEW_STAGE_METRIC, quantile="0.5", **stage, **where) == 600


def test_only_the_scopes_that_opt_in_ask_for_repositories(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    for org in ("octo", "hub"):
        org_day(store, day, org)
        store.set_report(REPOS, f"orgs/{org}", day, [repo_row(day, org, "x", created=1, merged=1)])
    body = refreshed(make_exporter, [{"org": "octo", "repositories": True}, {"org": "hub"}])
    assert [r.path for r in github.requests if r.path.endswith(REPOS)] == [
        f"/orgs/octo/copilot/metrics/reports/{REPOS}"
    ]
    assert {k.split('scope="', 1)[1].split('"')[0] for k in repository_series(body)} == {"octo"}


# --- a day without repository activity ----------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        None,  # 204: no report for the day
        Fault(REPOS, status=200, body=b'{"download_links": [], "report_day": "x"}'),
        Fault(REPOS, status=200, body=b'"No report available for this day"'),
    ],
    ids=["204", "no-links", "bare-string"],
)
def test_no_repository_report_is_no_activity_not_a_failure_nor_another_day(
    answer: Fault | None,
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
) -> None:
    day = yesterday()
    before = day - timedelta(days=1)
    org_day(store, day)
    # the day before has rows: a fall-back would show them
    store.set_report(
        REPOS, "orgs/octo", before, [repo_row(before, "octo", "old", created=1, merged=1)]
    )
    if answer is not None:
        github.add_fault(answer)
    body = refreshed(make_exporter, [{"org": "octo", "repositories": True}])
    assert value(body, m.PREFIX + "up", scope="octo") == 1
    assert repository_series(body) == {}
    assert repos_days_asked(github) == [str(day)]
    assert m.PREFIX + "api_request_failures_total{" not in body


def test_repositories_are_read_for_the_day_the_entity_report_settled_on(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    before = day - timedelta(days=1)
    org_day(store, before)  # yesterday's entity report is not there yet
    for d, created in ((day, 7), (before, 3)):
        store.set_report(
            REPOS, "orgs/octo", d, [repo_row(d, "octo", "api", created=created, merged=1)]
        )
    body = refreshed(make_exporter, [{"org": "octo", "repositories": True}])
    assert value(body, CREATED, scope="octo", repository="octo/api") == 3
    assert repos_days_asked(github) == [str(before)]


def test_a_day_with_repositories_is_read_once_and_an_empty_one_is_asked_again(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    org_day(store, day)
    org_day(store, day, "hub")
    store.set_report(REPOS, "orgs/octo", day, [repo_row(day, "octo", "api", created=2, merged=1)])
    exporter = make_exporter(
        [{"org": "octo", "repositories": True}, {"org": "hub", "repositories": True}]
    )
    exporter.refresh_now()
    github.clear_requests()
    exporter.refresh_now()
    asked = [r.path for r in github.requests if r.path.endswith(REPOS)]
    assert asked == [f"/orgs/hub/copilot/metrics/reports/{REPOS}"]  # hub had none: rows may come
    assert not [r for r in github.requests if r.host == "download"]
    assert value(scrape(exporter).text, CREATED, repository="octo/api") == 2


def test_a_failing_repository_report_fails_its_scope_until_it_reads_again(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    org_day(store, day)
    org_day(store, day, "hub")
    store.set_report(REPOS, "orgs/octo", day, [repo_row(day, "octo", "api", created=2, merged=1)])
    github.add_fault(Fault(f"/orgs/octo/.*{REPOS}", status=403))
    exporter = make_exporter([{"org": "octo", "repositories": True}, {"org": "hub"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, m.PREFIX + "up", scope="octo") == 0
    assert value(body, m.PREFIX + "scope_failure", scope="octo", reason="forbidden") == 1
    assert value(body, m.PREFIX + "up", scope="hub") == 1  # the others carry on
    assert REPOS in scrape(exporter, "/").text  # the landing page says which report failed
    github.clear_faults()
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, m.PREFIX + "up", scope="octo") == 1
    assert value(body, CREATED, scope="octo", repository="octo/api") == 2


def test_rows_of_another_day_a_repeated_repository_and_odd_rows_are_left_out() -> None:
    day = date(2026, 10, 1)
    acc = aggregate.RepositoryAccumulator()
    first = repo_row(day, "octo", "api", created=2, merged=1)
    acc.add(first)
    acc.add(
        {**repo_row(day, "octo", "api-renamed", created=9, merged=9), "repo_id": first["repo_id"]}
    )
    acc.add({"repo_owner_name": "octo", "pull_requests": {"total_created": 5}})  # no name
    acc.add({**repo_row(day, "", "hub/tools", created=1, merged=1), "repo_owner_name": None})
    inside = repo_row(day, "octo", "inside", created=1, merged=1)
    inside["pull_requests"]["pull_request_review_times"] = inside.pop("pull_request_review_times")
    acc.add(inside)
    created = acc.values[CREATED]
    assert created == {("octo/api",): 2, ("hub/tools",): 1, ("octo/inside",): 1}
    merged = acc.values[m.REVIEWED_MERGED_METRIC]
    assert merged[("octo/inside", "human", "human")] == 1  # review times inside the block too


def test_a_repository_name_is_owner_slash_name() -> None:
    name = aggregate.repository_name
    assert name({"repo_owner_name": "octo", "repo_name": " api "}) == "octo/api"
    assert name({"repo_owner_name": "octo", "repo_name": "octo/api"}) == "octo/api"
    assert name({"repo_name": "api"}) == "api"
    assert name({"repo_owner_name": "octo", "repo_name": None}) is None


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("median_minutes_ready_to_first_review", ("ready_to_first_review", "0.5")),
        ("p90_minutes_final_review_to_merge", ("final_review_to_merge", "0.9")),
        ("p75_minutes_final_review_to_merge", None),
        ("median_minutes_", None),
        ("total_merged", None),
    ],
)
def test_review_stage_fields_give_stage_and_quantile(
    field: str, expected: tuple[str, str] | None
) -> None:
    assert m.review_stage(field) == expected


def test_unmapped_repository_fields_are_counted_under_their_report(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    org_day(store, day)
    row = repo_row(day, "octo", "api", created=2, merged=1, repo_language="go")
    row["pull_request_review_times"][0]["p75_minutes_first_to_final_review"] = 3.0
    store.set_report(REPOS, "orgs/octo", day, [row])
    body = refreshed(make_exporter, [{"org": "octo", "repositories": True}])
    unmapped = {
        k: v
        for k, v in samples(body).items()
        if k.startswith(m.UNMAPPED_FIELDS + "{") and f'report="{REPOS}"' in k
    }
    assert unmapped == {
        f'{m.UNMAPPED_FIELDS}{{field="repo_language",report="{REPOS}"}}': 1,
        f'{m.UNMAPPED_FIELDS}{{field="pull_request_review_times[].'
        f'p75_minutes_first_to_final_review",report="{REPOS}"}}': 1,
    }


# --- cardinality ----------------------------------------------------------------------------


def three_repositories(store: StaticStore, day: date) -> None:
    org_day(store, day)
    store.set_report(
        REPOS,
        "orgs/octo",
        day,
        [
            repo_row(day, "octo", "big", created=8, merged=6),
            repo_row(day, "octo", "mid", created=4, merged=2),
            repo_row(day, "octo", "small", created=2, merged=1),
        ],
    )


def test_a_scopes_top_folds_the_rest_into_other_and_drops_what_cannot_be_added(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    three_repositories(store, yesterday())
    body = refreshed(make_exporter, [{"org": "octo", "repositories": {"top": 1}}])
    assert value(body, CREATED, repository="octo/big") == 8
    assert value(body, CREATED, repository="other") == 6  # the total stays right
    assert value(body, SUGGESTIONS, repository="other", comment_type="bug_risk") == 6
    merged = m.REVIEWED_MERGED_METRIC
    assert value(body, merged, repository="other", authored_by="copilot") == 3
    for name in (m.REPOSITORY_MEDIAN_METRIC, m.REVIEW_STAGE_METRIC, m.REPOSITORY_INFO):
        repos = {k for k in samples(body) if k.startswith(name + "{")}
        assert repos and all('repository="octo/big"' in k for k in repos), name


def test_the_config_rule_applies_to_scopes_saying_true_and_a_scopes_own_rule_wins(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    three_repositories(store, yesterday())
    org_day(store, yesterday(), "hub")
    store.set_report(
        REPOS, "orgs/hub", yesterday(), [repo_row(yesterday(), "hub", "big", created=1, merged=1)]
    )
    body = refreshed(
        make_exporter,
        [
            {"org": "octo", "repositories": True},
            {"org": "hub", "repositories": {"deny": ["hub/big"]}},
        ],
        cardinality={"dimensions": {"repository": {"allow": ["octo/mid"]}}},
    )
    assert value(body, CREATED, scope="octo", repository="octo/mid") == 4
    assert value(body, CREATED, scope="octo", repository="other") == 10
    assert value(body, CREATED, scope="hub", repository="other") == 1  # its own rule only


def test_the_series_budget_drops_the_finest_repository_breakdowns_first(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    three_repositories(store, yesterday())
    full = refreshed(make_exporter, [{"org": "octo", "repositories": True}])
    usage = sum(1 for k in samples(full) if k.split("{", 1)[0] in USAGE_METRICS)
    stages = sum(1 for k in samples(full) if k.startswith(m.REVIEW_STAGE_METRIC + "{"))
    merged = sum(1 for k in samples(full) if k.startswith(m.REVIEWED_MERGED_METRIC + "{"))
    body = refreshed(
        make_exporter,
        [{"org": "octo", "repositories": True}],
        cardinality={"max_series": usage - stages},
    )
    dropped = m.PREFIX + "series_dropped"
    assert value(body, dropped, breakdown="repository_review_stage") == stages + merged
    assert value(body, dropped, breakdown="repository_comment_type") is None
    assert value(body, CREATED, repository="octo/big") == 8  # the coarser ones stay
    assert not any(k.startswith(m.REVIEW_STAGE_METRIC + "{") for k in samples(body))


def test_cardinality_breakdowns_can_leave_repositories_out() -> None:
    values = aggregate.RepositoryAccumulator()
    values.add(repo_row(date(2026, 10, 1), "octo", "api", created=2, merged=1))
    card = build(
        {
            "scopes": [{"org": "octo"}],
            "cardinality": {"breakdowns": {"organization": ["repository"]}},
        },
        {},
    ).cardinality
    scope = Scope("organization", "octo", repositories=DimensionRule())
    kept = cardinality.apply(card, scope.type, values.values, scope.dimensions)
    assert {spec.breakdown for spec in m.all_specs() if spec.name in kept} == {"repository"}
    state = ScopeState(scope, True, values.values)
    assert cardinality.Shaper(card).shape([state])[0].values == kept


# --- config -------------------------------------------------------------------------------------


def test_repositories_are_off_unless_a_scope_says_so() -> None:
    config = build(
        {
            "scopes": [
                {"org": "octo"},
                {"org": "hub", "repositories": True},
                {"enterprise": "acme", "repositories": {"top": 20, "deny": ["acme/secret"]}},
                {"org": "off", "repositories": False},
            ]
        },
        {},
    )
    octo, hub, acme, off = config.scopes
    assert octo.repositories is None and off.repositories is None
    assert hub.repositories == DimensionRule() and hub.dimensions == {}
    assert acme.dimensions == {"repository": DimensionRule(deny=frozenset({"acme/secret"}), top=20)}
    assert hub == Scope("organization", "hub")  # the same scope, with or without them


def test_check_config_says_which_scopes_read_repositories() -> None:
    config = build({"scopes": [{"org": "octo", "repositories": True}, {"org": "hub"}]}, {})
    lines = describe(config).splitlines()
    assert "  - organization octo via reports with repositories" in lines
    assert "  - organization hub via reports" in lines


def test_repository_config_mistakes_are_reported_with_their_paths() -> None:
    with pytest.raises(ConfigError) as error:
        build(
            {
                "scopes": [
                    {"org": "octo", "team": "web", "repositories": True},
                    {"org": "hub", "source": "legacy", "repositories": True},
                    {"org": "a", "repositories": "yes"},
                    {"org": "b", "repositories": {"top": 0, "only": ["x"]}},
                    {"org": "c", "repositories": {"deny": "b/x"}},
                ]
            },
            {},
        )
    assert error.value.problems == [
        "scopes[0].repositories: repositories belong to an org or enterprise scope, not a team",
        "scopes[1].repositories: repositories come from the reports source: drop it or the source",
        "scopes[2].repositories: expected true, false or {allow: [...], deny: [...], top: N}, "
        "got 'yes'",
        "scopes[3].repositories.only: unknown key (allowed: allow, deny, top)",
        "scopes[3].repositories.top: expected a whole number >= 1, got 0",
        "scopes[4].repositories.deny: expected a list of strings, got 'b/x'",
    ]


# --- the simulation behind the demo -------------------------------------------------------------


def test_the_simulation_shares_an_orgs_pull_requests_out_over_its_repositories() -> None:
    sim = SimulatedStore(seed=3, users=120, today=date(2026, 11, 2))
    day = date(2026, 11, 1)

    def rows(kind: str, owner: str, when: date) -> list[dict[str, Any]]:
        report = sim.report(kind, owner, when)
        parts = report.parts if report is not None else ()
        data = b"".join(part if isinstance(part, bytes) else part.read() for part in parts)
        return [json.loads(line) for line in data.splitlines()]

    def repos(owner: str, when: date = day) -> list[dict[str, Any]]:
        return rows(REPOS, owner, when)

    org = sim.orgs[0]
    mine = repos(f"orgs/{org.login}")
    [wrapper] = rows("organization-1-day", f"orgs/{org.login}", day)
    [record] = wrapper["day_totals"]
    assert (
        sum(r["pull_requests"]["total_created"] for r in mine)
        == (record["pull_requests"]["total_created"])
    )
    assert {r["repo_owner_name"] for r in mine} == {org.login}
    assert all(r["pull_request_review_times"] for r in mine if r["pull_requests"]["total_merged"])
    everyone = repos(f"enterprises/{sim.enterprise}")
    assert len(everyone) == sum(len(repos(f"orgs/{o.login}")) for o in sim.orgs)
    assert repos(f"orgs/{org.login}", REPOS_FROM - timedelta(days=1)) == []  # before GA: 204
    early = repos(f"orgs/{org.login}", REVIEW_TIMES_FROM - timedelta(days=1))
    assert early and not any("pull_request_review_times" in r for r in early)
