"""The reports source end to end: fake GitHub over HTTP -> client -> parser -> /metrics."""

from __future__ import annotations

import gzip
import logging
from datetime import timedelta

import pytest

from exporter.fakegithub import FakeGitHub, Fault, StaticStore
from tests.fixtures import (
    ESTATE_SCOPES,
    SURFACES_SCOPES,
    entity,
    estate,
    membership,
    surfaces_estate,
    user,
)
from tests.helpers import (
    TOKEN,
    ExporterFactory,
    Golden,
    normalise,
    samples,
    scrape,
    value,
    yesterday,
)


def test_golden_metrics_for_every_scope_type(
    store: StaticStore, make_exporter: ExporterFactory, golden: Golden
) -> None:
    """The first-release shapes (acme, octo, hub) and today's (nebula, nova) side by side."""
    day = yesterday()
    estate(store, day)
    surfaces_estate(store, day)
    exporter = make_exporter(ESTATE_SCOPES + SURFACES_SCOPES)
    exporter.refresh_now()
    body = scrape(exporter).text
    golden("reports.prom", normalise(body))
    assert (
        value(body, "github_copilot_report_day_timestamp_seconds", scope="octo/web")
        == (day - day.fromtimestamp(0)).total_seconds()
    )


def test_join_counts_a_member_of_two_teams_in_both(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())
    exporter = make_exporter(ESTATE_SCOPES)
    exporter.refresh_now()
    body = scrape(exporter).text
    # user 1 (gen 10) is on web and api; user 2 (gen 10) web; user 3 (gen 7) api.
    assert value(body, "github_copilot_code_generations", scope="octo/web") == 20
    assert value(body, "github_copilot_code_generations", scope="octo/api") == 17
    assert value(body, "github_copilot_daily_active_users", scope="octo/web") == 2
    assert value(body, "github_copilot_daily_active_users", scope="octo/api") == 2
    assert (
        value(
            body, "github_copilot_code_generations_by_editor", scope="octo/web", editor="jetbrains"
        )
        == 10
    )
    assert value(body, "github_copilot_daily_active_chat_users", scope="octo/web") == 1
    assert (
        value(
            body,
            "github_copilot_code_review_users",
            scope="octo/api",
            window="daily",
            engagement="active",
        )
        == 1
    )
    # a team with members but no active one exports zeros, not nothing
    assert value(body, "github_copilot_code_generations", scope="hub/infra") == 0
    assert value(body, "github_copilot_daily_active_users", scope="hub/infra") == 0
    assert value(body, "github_copilot_up", scope="hub/infra") == 1
    # entity values win over sums of users; users add what entities lack
    assert (
        value(body, "github_copilot_code_generations", scope="octo", scope_type="organization")
        == 120
    )
    assert (
        value(
            body, "github_copilot_daily_active_chat_users", scope="octo", scope_type="organization"
        )
        == 1
    )
    assert (
        value(
            body, "github_copilot_daily_active_cli_users", scope="octo", scope_type="organization"
        )
        == 0
    )  # absent field means 0
    assert (
        value(body, "github_copilot_ai_credits_used", scope="octo", scope_type="organization")
        == 17.5
    )


@pytest.mark.parametrize(
    ("fmt", "parts"), [("ndjson", 1), ("array", 1), ("object", 1), ("ndjson", 3), ("array", 2)]
)
def test_every_file_format_and_split_downloads_give_the_same_metrics(
    store: StaticStore, make_exporter: ExporterFactory, fmt: str, parts: int
) -> None:
    day = yesterday()
    if fmt == "object":  # a user file holds one object only when it has one row
        store.set_report(
            "organization-1-day", "octo", day, [entity(day, dau=3, gen=9, acc=4)], fmt="object"
        )
        store.set_report("users-1-day", "orgs/octo", day, [user(1, day)], fmt="object")
        store.set_report(
            "user-teams-1-day", "orgs/octo", day, [membership(1, "web", day, 1)], fmt="object"
        )
        expected_team = 10.0
    else:
        estate(store, day, fmt=fmt, parts=parts)
        expected_team = 20.0
    exporter = make_exporter([{"org": "octo"}, {"org": "octo", "team": "web"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope="octo") == 1
    assert value(body, "github_copilot_code_generations", scope="octo/web") == expected_team
    assert (
        value(
            body,
            "github_copilot_lines_added_by_model_feature",
            scope="octo",
            model="claude-sonnet-4.5",
            feature="agent_edit",
        )
        is not None
    )


def test_raw_bytes_split_mid_line_are_joined(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    import json

    rows = [user(i, day) for i in range(1, 8)]
    store.set_raw_report(
        "users-1-day",
        "orgs/octo",
        day,
        b"".join(json.dumps(r).encode() + b"\n" for r in rows),
        parts=4,
    )
    store.set_report(
        "user-teams-1-day", "orgs/octo", day, [membership(i, "web", day, 1) for i in range(1, 8)]
    )
    exporter = make_exporter([{"org": "octo", "team": "web"}])
    exporter.refresh_now()
    assert value(scrape(exporter).text, "github_copilot_code_generations", scope="octo/web") == 70


def test_newest_day_falls_back_to_the_day_before(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    before = yesterday() - timedelta(days=1)
    estate(store, before)
    exporter = make_exporter([{"org": "octo"}, {"org": "octo", "team": "web"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    midnight = (before - before.fromtimestamp(0)).total_seconds()
    assert value(body, "github_copilot_report_day_timestamp_seconds", scope="octo") == midnight
    assert value(body, "github_copilot_report_day_timestamp_seconds", scope="octo/web") == midnight
    asked = [r.query.get("day") for r in github.requests if r.path.endswith("/organization-1-day")]
    assert asked == [yesterday().isoformat(), before.isoformat()]


def test_no_report_for_two_days_sets_the_scope_down_with_a_reason(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.add_owner("orgs/octo")
    exporter = make_exporter([{"org": "octo"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope="octo") == 0
    assert value(body, "github_copilot_scope_failure", scope="octo", reason="no_data") == 1
    assert "github_copilot_report_day_timestamp_seconds{" not in body


def test_download_links_never_receive_the_token(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday(), parts=2)
    make_exporter(ESTATE_SCOPES).refresh_now()
    downloads = [r for r in github.requests if r.host == "download"]
    api = [r for r in github.requests if r.host == "api"]
    assert len(downloads) >= 16
    assert all("authorization" not in r.headers for r in downloads)
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in api)
    assert all(r.headers.get("x-github-api-version") == "2026-03-10" for r in api)
    assert all(
        r.headers.get("user-agent", "").startswith("github-copilot-exporter/")
        for r in api + downloads
    )


def test_an_org_users_reports_are_fetched_once_however_many_teams(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())
    exporter = make_exporter(
        [{"org": "octo"}, {"org": "octo", "team": "web"}, {"org": "octo", "team": "api"}]
    )
    exporter.refresh_now()
    paths = [r.path for r in github.requests if r.host == "api"]
    assert paths.count("/orgs/octo/copilot/metrics/reports/users-1-day") == 1
    assert paths.count("/orgs/octo/copilot/metrics/reports/user-teams-1-day") == 1
    assert paths.count("/orgs/octo/copilot/metrics/reports/organization-1-day") == 1


def test_a_day_already_in_is_never_downloaded_again(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())
    exporter = make_exporter(ESTATE_SCOPES)
    exporter.refresh_now()
    first = len(github.requests)
    exporter.refresh_now()
    assert len(github.requests) == first  # yesterday is the newest possible day: nothing to ask
    assert value(scrape(exporter).text, "github_copilot_up", scope="octo/web") == 1


def test_wildcard_team_expands_to_every_team_of_the_day(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())
    exporter = make_exporter([{"org": "octo", "team": "*"}, {"enterprise": "acme", "team": "*"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    ups = {k: v for k, v in samples(body).items() if k.startswith("github_copilot_up{")}
    assert ups == {
        'github_copilot_up{scope="acme/platform",scope_type="enterprise_team"}': 1.0,
        'github_copilot_up{scope="octo/api",scope_type="team"}': 1.0,
        'github_copilot_up{scope="octo/web",scope_type="team"}': 1.0,
    }


def test_unknown_team_slug_is_reported_not_invented(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())
    exporter = make_exporter([{"org": "octo", "team": "nosuchteam"}, {"org": "octo"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert (
        value(
            body, "github_copilot_scope_failure", scope="octo/nosuchteam", reason="team_not_found"
        )
        == 1
    )
    assert value(body, "github_copilot_up", scope="octo") == 1


def test_a_failing_scope_keeps_its_last_values_and_the_others_carry_on(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    day = yesterday() - timedelta(days=1)
    estate(store, day)
    exporter = make_exporter(ESTATE_SCOPES)
    exporter.refresh_now()
    before = scrape(exporter).text
    success = value(before, "github_copilot_last_success_timestamp_seconds", scope="hub")
    # a new day appears everywhere, but hub's API is broken from now on
    estate(store, yesterday())
    github.add_fault(Fault(path_regex=r"/orgs/hub/.*", host="api", status=502, times=None))
    exporter.refresh_now()
    after = scrape(exporter).text
    assert value(after, "github_copilot_up", scope="hub") == 0
    assert value(after, "github_copilot_up", scope="hub/infra") == 0
    assert value(after, "github_copilot_scope_failure", scope="hub", reason="server_error") == 1
    assert value(after, "github_copilot_last_success_timestamp_seconds", scope="hub") == success
    assert (
        value(after, "github_copilot_code_generations", scope="hub", scope_type="organization")
        == 60
    )  # last good value still served
    assert value(after, "github_copilot_up", scope="octo") == 1
    new_day = value(after, "github_copilot_report_day_timestamp_seconds", scope="octo")
    old_day = value(before, "github_copilot_report_day_timestamp_seconds", scope="octo")
    assert new_day is not None
    assert old_day is not None
    assert new_day == old_day + 86400
    assert (
        value(
            after,
            "github_copilot_api_request_failures_total",
            endpoint="/orgs/{org}/copilot/metrics/reports/organization-1-day",
            reason="server_error",
        )
        == 3
    )  # 1 try + max_retries (2)


def test_expired_download_links_are_renewed_once(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())
    github.add_fault(Fault(path_regex=r"/reports/.*", host="download", status=403, times=1))
    exporter = make_exporter([{"org": "octo"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope="octo") == 1
    asked = [r for r in github.requests if r.path.endswith("/organization-1-day")]
    assert len(asked) == 2
    assert (
        value(
            body,
            "github_copilot_api_request_failures_total",
            endpoint="report_download",
            reason="link_expired",
        )
        == 1
    )


def test_half_written_file_fails_the_scope_and_keeps_serving(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_raw_report(
        "organization-1-day",
        "octo",
        yesterday(),
        b'{"day_totals": [{"day": "2026-01-01", "daily_active',
    )
    exporter = make_exporter([{"org": "octo"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_scope_failure", scope="octo", reason="invalid_response") == 1


def test_token_never_appears_in_logs_metrics_or_pages(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from exporter.logs import LogfmtFormatter

    estate(store, yesterday())
    github.add_fault(
        Fault(
            path_regex=r"/orgs/hub/.*",
            host="api",
            status=401,
            times=None,
            body=f'{{"message":"Bad credentials {TOKEN}"}}'.encode(),
        )
    )
    caplog.set_level(logging.DEBUG)
    exporter = make_exporter(ESTATE_SCOPES)
    exporter.refresh_now()
    formatter = LogfmtFormatter()
    logged = "\n".join(formatter.format(r) for r in caplog.records)
    assert "hub" in logged and "unauthorized" in logged
    for text in (logged, scrape(exporter).text, scrape(exporter, "/").text):
        assert TOKEN not in text
        assert "sig=" not in text or "sig=<redacted>" in text


def test_openmetrics_gzip_landing_page_and_health(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    estate(store, yesterday())
    exporter = make_exporter([{"org": "octo"}, {"org": "hub", "team": "infra"}])
    assert scrape(exporter, "/readyz").status_code == 503
    assert scrape(exporter, "/healthz").status_code == 200
    exporter.refresh_now()
    assert scrape(exporter, "/readyz").status_code == 200
    om = scrape(exporter, Accept="application/openmetrics-text; version=1.0.0")
    assert om.headers["content-type"].startswith("application/openmetrics-text")
    assert om.text.endswith("# EOF\n") and om.text.count("# EOF") == 1
    assert "github_copilot_code_generations{" in om.text
    plain = scrape(exporter)
    assert plain.headers["content-type"].startswith("text/plain; version=0.0.4")
    import httpx

    with httpx.stream(
        "GET", f"http://127.0.0.1:{exporter.port}/metrics", headers={"Accept-Encoding": "gzip"}
    ) as raw:
        assert raw.headers["content-encoding"] == "gzip"
        unzipped = gzip.decompress(b"".join(raw.iter_raw())).decode()
    assert unzipped.startswith("# HELP github_copilot_up")
    assert "github_copilot_code_generations{" in unzipped and "process_cpu_seconds" in unzipped
    page = scrape(exporter, "/").text
    assert "hub/infra" in page and "/metrics" in page and "octo" in page
    exporter.refresh_seats_now()  # the fake has no billing data for octo: seats are down
    assert "<td>down (seats_not_found)</td>" in scrape(exporter, "/").text


def test_team_slugs_match_whatever_case_the_config_uses(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    estate(store, day)
    store.set_report(
        "user-teams-1-day",
        "orgs/octo",
        day,
        [
            {**membership(1, "web", day, 11), "slug": None, "team_slug": "web"},
            membership(2, "web", day, 11),
        ],
    )
    exporter = make_exporter([{"org": "octo", "team": "WEB"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope="octo/WEB") == 1
    assert value(body, "github_copilot_daily_active_users", scope="octo/WEB") == 2


def test_a_day_answered_with_no_download_links_counts_as_not_there(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    before = yesterday() - timedelta(days=1)
    estate(store, before)
    github.add_fault(
        Fault(
            path_regex=f"organization-1-day.*day={yesterday()}",
            host="api",
            status=200,
            body=b'{"download_links": [], "report_day": "x"}',
        )
    )
    exporter = make_exporter([{"org": "octo"}])
    exporter.refresh_now()
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope="octo") == 1
    assert (
        value(body, "github_copilot_report_day_timestamp_seconds", scope="octo")
        == (before - before.fromtimestamp(0)).total_seconds()
    )
