"""The seats source end to end: fake GitHub over HTTP -> client -> seats -> /metrics.

Seat timestamps are set relative to a frozen clock (the seats source gets ``NOW`` as its
clock), so a seat used exactly 7 days ago stays exactly 7 days old while the test runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest

from exporter import config as config_mod
from exporter import metrics as m
from exporter import seats
from exporter.app import SEATS, Exporter, default_sources
from exporter.clients import static_token
from exporter.config import Scope
from exporter.fakegithub import FakeGitHub, Fault, StaticStore
from exporter.github import GitHubClient
from exporter.seats import ACTIVITY_VALUES, Seat, SeatsSource, activity_bucket, editor_name
from exporter.source import Clock, Outcome, ScopeFailure, ScopeResult, Source
from tests.fixtures import entity
from tests.helpers import TOKEN, ExporterFactory, samples, scrape, value, yesterday

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
SEAT_METRICS = frozenset(spec.name for spec in m.SEATS_SPECS)
Json = dict[str, Any]


def seats_at_now(client: GitHubClient, clock: Clock) -> dict[str, Source]:
    """The exporter's own sources, with seat ages measured at NOW."""
    return {**default_sources(client, clock), SEATS: SeatsSource(client, lambda: NOW)}


@pytest.fixture
def make_exporter(make_exporter: ExporterFactory) -> ExporterFactory:
    """Every exporter of this module measures seat ages at NOW."""

    def make(scopes: list[Json], **options: Any) -> Exporter:
        return make_exporter(scopes, sources=seats_at_now, **options)

    return make


def stamp(ago: timedelta | None) -> str | None:
    """GitHub's timestamp format for NOW - ago."""
    return None if ago is None else (NOW - ago).strftime("%Y-%m-%dT%H:%M:%SZ")


def seat(
    uid: int,
    *,
    active: timedelta | None = 2 * DAY,
    created: timedelta | None = 200 * DAY,
    editor: str | None = "vscode/1.95.0/copilot/1.250.0",
    team: str | None = None,
    org: str | None = None,
    authenticated: timedelta | Literal["absent"] | None = "absent",
    plan: str = "business",
) -> Json:
    """A seat object shaped like GitHub's, for user ``uid`` (``last_authenticated_at`` only
    when ``authenticated`` is given: older answers lack it)."""
    out: Json = {
        "created_at": stamp(created),
        "updated_at": stamp(created),
        "pending_cancellation_date": None,
        "last_activity_at": stamp(active),
        "last_activity_editor": editor if active is not None else None,
        "plan_type": plan,
        "assignee": {"login": f"user{uid}", "id": uid, "type": "User", "site_admin": False},
        "assigning_team": None
        if team is None
        else {"id": 1000 + len(team), "slug": team, "name": team.title()},
    }
    if org is not None:
        out["organization"] = {"login": org, "id": 9000 + len(org)}
    if authenticated != "absent":
        out["last_authenticated_at"] = stamp(authenticated)
    return out


def billing(total: int = 5, **settings: str) -> Json:
    return {
        "seat_breakdown": {
            "total": total,
            "added_this_cycle": 1,
            "pending_cancellation": 2,
            "pending_invitation": 0,
            "active_this_cycle": 3,
            "inactive_this_cycle": 2,
        },
        **settings,
    }


FULL_SETTINGS = {
    "plan_type": "business",
    "seat_management_setting": "assign_selected",
    "ide_chat": "enabled",
    "platform_chat": "disabled",
    "cli": "enabled",
    "public_code_suggestions": "block",
}


def seat_lines(body: str, scope: str) -> list[str]:
    """Sample lines of the seat metrics (and seats_up) of one scope, in exposition order."""
    keep = (*SEAT_METRICS, m.PREFIX + "seats_up")
    return [
        line
        for line in body.splitlines()
        if not line.startswith("#") and line.split("{", 1)[0] in keep and f'scope="{scope}"' in line
    ]


def seat_requests(github: FakeGitHub) -> list[str]:
    return [r.path for r in github.requests if "/copilot/billing" in r.path]


def refreshed(make_exporter: ExporterFactory, scopes: list[Json], **extra: Any) -> str:
    exporter = make_exporter(scopes, **extra)
    exporter.refresh_seats_now()
    return scrape(exporter).text


# --- rules, unit by unit ------------------------------------------------------------------

# (last activity ago, seat granted ago, bucket): each boundary and one second past it.
BUCKET_CASES: list[tuple[timedelta | None, timedelta | None, str]] = [
    (timedelta(0), 200 * DAY, "0-1d"),
    (-timedelta(hours=1), 200 * DAY, "0-1d"),  # clock skew: activity "in the future"
    (DAY, 200 * DAY, "0-1d"),
    (DAY + SECOND, 200 * DAY, "1-7d"),
    (7 * DAY, 200 * DAY, "1-7d"),
    (7 * DAY + SECOND, 200 * DAY, "7-30d"),
    (30 * DAY, 200 * DAY, "7-30d"),
    (30 * DAY + SECOND, 200 * DAY, "30-90d"),
    (90 * DAY, 200 * DAY, "30-90d"),
    (90 * DAY + SECOND, 200 * DAY, "over_90d"),
    (None, 2 * DAY, "never"),  # new seat, nothing yet
    (None, 90 * DAY, "never"),  # granted exactly 90 days ago: cannot be idle for longer
    (None, 90 * DAY + SECOND, "over_90d"),  # blanked after 90 idle days, or never used
    (None, None, "over_90d"),  # age unknown: cannot prove it is new
]


@pytest.mark.parametrize(("active", "created", "bucket"), BUCKET_CASES)
def test_activity_buckets_are_upper_inclusive_and_never_needs_a_young_seat(
    active: timedelta | None, created: timedelta | None, bucket: str
) -> None:
    parsed = seats.parse_seat(seat(1, active=active, created=created), enterprise=False)
    assert activity_bucket(parsed, NOW) == bucket


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("vscode/1.95.0/copilot/1.250.0", "vscode"),
        ("JetBrains-IC/2024.2.1/copilot-intellij/1.5.20", "JetBrains-IC"),
        ("Neovim/0.10.1/copilot.vim/1.41.0", "Neovim"),
        ("copilot_pr_review", "copilot_pr_review"),  # no version part at all
        (" vim /9.1", "vim"),
        ("/1.2.3", "unknown"),
        ("", "none"),
        ("   ", "none"),
        (None, "none"),
        ({"name": "vscode"}, "none"),
    ],
)
def test_editor_is_the_part_before_the_first_slash(raw: object, expected: str) -> None:
    assert editor_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-20T12:00:00Z", NOW),
        ("2026-11-20T14:00:00+02:00", NOW),
        ("2026-11-20T12:00:00", NOW),  # naive: UTC
        ("yesterday", None),
        ("", None),
        (1700000000, None),
    ],
)
def test_timestamps_parse_with_any_offset(raw: object, expected: datetime | None) -> None:
    assert seats.parse_time(raw) == expected


def test_a_merged_seat_keeps_the_newest_activity_and_the_oldest_grant() -> None:
    old = Seat(NOW - 300 * DAY, NOW - 10 * DAY, "jetbrains", "web")
    new = Seat(NOW - 5 * DAY, NOW - 2 * DAY, "vscode", None)
    assert (
        old.merged(new) == new.merged(old) == Seat(NOW - 300 * DAY, NOW - 2 * DAY, "vscode", None)
    )


def test_a_merged_seat_keeps_the_users_latest_authentication() -> None:
    web = Seat(NOW - 300 * DAY, NOW - 10 * DAY, "jetbrains", "web", NOW - DAY, True)
    direct = Seat(NOW - 5 * DAY, NOW - 2 * DAY, "vscode", None, None, True)
    assert web.merged(direct).last_authenticated == direct.merged(web).last_authenticated
    assert web.merged(direct).last_authenticated == NOW - DAY
    old_answer = Seat(NOW - 5 * DAY, None, "none", None)  # no last_authenticated_at field
    assert old_answer.merged(old_answer).authenticated is False


@pytest.mark.parametrize(
    ("authenticated", "bucket"),
    [
        (timedelta(0), "0-1d"),
        (DAY + SECOND, "1-7d"),
        (30 * DAY, "7-30d"),
        (90 * DAY, "30-90d"),
        (90 * DAY + SECOND, "over_90d"),
        (None, "never"),  # null: no authentication on record, however old the seat
    ],
)
def test_authentication_buckets_are_the_activity_buckets(
    authenticated: timedelta | None, bucket: str
) -> None:
    raw = seat(1, created=400 * DAY, authenticated=authenticated)
    assert seats.authentication_bucket(seats.parse_seat(raw, enterprise=False), NOW) == bucket


# --- through HTTP ---------------------------------------------------------------------------


def test_seats_by_last_authentication_only_when_github_sends_the_field(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_billing("octo", billing(2))
    store.set_seats("orgs/octo", [seat(1), seat(2, plan="unknown")])  # an older answer
    store.set_billing("hub", billing(3))
    store.set_seats(
        "orgs/hub",
        [
            seat(1, authenticated=timedelta(hours=5), plan="unknown"),
            seat(2, authenticated=None),
            seat(3),  # an entry without the field: counted, as never authenticated
        ],
    )
    body = refreshed(make_exporter, [{"org": "octo"}, {"org": "hub"}])
    metric = "github_copilot_seats_by_last_authentication"
    assert f'{metric}{{last_authentication="never",scope="octo"' not in body
    assert value(body, "github_copilot_seats_up", scope="octo") == 1  # plan_type unknown is fine
    assert (
        value(body, "github_copilot_seats_by_last_activity", scope="octo", last_activity="1-7d")
        == 2
    )
    assert {
        bucket: value(body, metric, scope="hub", last_authentication=bucket)
        for bucket in seats.ACTIVITY_VALUES
    } == {"0-1d": 1, "1-7d": 0, "7-30d": 0, "30-90d": 0, "over_90d": 0, "never": 2}


def test_billing_gives_the_total_its_parts_and_the_settings(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_billing("octo", billing(5, **FULL_SETTINGS))
    store.set_seats("orgs/octo", [])
    store.set_billing(
        "hub",
        {
            "seat_breakdown": {"total": 2, "active_this_cycle": "n/a"},
            "plan_type": " enterprise ",
            "cli": None,
        },
    )
    store.set_seats("orgs/hub", [])
    body = refreshed(make_exporter, [{"org": "octo"}, {"org": "hub"}])
    assert value(body, "github_copilot_seats", scope="octo") == 5
    for metric, expected in [
        ("active_this_cycle", 3),
        ("inactive_this_cycle", 2),
        ("pending_invitation", 0),
        ("pending_cancellation", 2),
        ("added_this_cycle", 1),
    ]:
        assert value(body, f"github_copilot_seats_{metric}", scope="octo") == expected, metric
    assert (
        value(
            body,
            "github_copilot_billing_info",
            scope="octo",
            plan_type="business",
            seat_management_setting="assign_selected",
            ide_chat="enabled",
            platform_chat="disabled",
            cli="enabled",
            public_code_suggestions="block",
        )
        == 1
    )
    # missing settings are empty labels, values are trimmed, odd numbers give no sample
    assert (
        value(
            body,
            "github_copilot_billing_info",
            scope="hub",
            plan_type="enterprise",
            seat_management_setting="",
            cli="",
            public_code_suggestions="",
        )
        == 1
    )
    assert value(body, "github_copilot_seats", scope="hub") == 2
    assert value(body, "github_copilot_seats_active_this_cycle", scope="hub") is None


def test_buckets_through_http_count_every_seat_once(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_billing("octo", billing(len(BUCKET_CASES)))
    store.set_seats(
        "orgs/octo",
        [
            seat(i, active=active, created=created)
            for i, (active, created, _) in enumerate(BUCKET_CASES)
        ],
    )
    body = refreshed(make_exporter, [{"org": "octo"}])
    got = {
        bucket: value(
            body, "github_copilot_seats_by_last_activity", scope="octo", last_activity=bucket
        )
        for bucket in ACTIVITY_VALUES
    }
    expected = {
        bucket: float(sum(1 for *_, b in BUCKET_CASES if b == bucket)) for bucket in ACTIVITY_VALUES
    }
    assert got == expected
    assert sum(expected.values()) == value(body, "github_copilot_seats", scope="octo")


def test_every_bucket_is_exported_even_when_empty(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_billing("octo", billing(0))
    store.set_seats("orgs/octo", [])
    body = refreshed(make_exporter, [{"org": "octo"}])
    assert [
        value(body, "github_copilot_seats_by_last_activity", scope="octo", last_activity=b)
        for b in ACTIVITY_VALUES
    ] == [0.0] * len(ACTIVITY_VALUES)
    assert value(body, "github_copilot_seats_assigned_directly", scope="octo") == 0
    assert "github_copilot_seats_by_editor{" not in body


def test_editors_teams_and_direct_seats_add_up(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    store.set_billing("octo", billing(6))
    store.set_seats(
        "orgs/octo",
        [
            seat(1, team="web"),
            seat(2, team="web", editor="JetBrains-IU/2024.3/copilot/1.5"),
            seat(3, team="api", editor="copilot_pr_review"),
            seat(4),
            seat(5, active=None, created=3 * DAY),
            seat(6, editor="/odd"),
        ],
    )
    body = refreshed(make_exporter, [{"org": "octo"}])
    editors = {
        k: v for k, v in samples(body).items() if k.startswith("github_copilot_seats_by_editor{")
    }
    assert editors == {
        f'github_copilot_seats_by_editor{{editor="{e}",scope="octo",scope_type="organization"}}': n
        for e, n in [
            ("vscode", 2.0),
            ("JetBrains-IU", 1.0),
            ("copilot_pr_review", 1.0),
            ("none", 1.0),
            ("unknown", 1.0),
        ]
    }
    teams = {
        k: v
        for k, v in samples(body).items()
        if k.startswith("github_copilot_seats_by_assigning_team{")
    }
    assert teams == {
        'github_copilot_seats_by_assigning_team{scope="octo",scope_type="organization",'
        'team="web"}': 2.0,
        'github_copilot_seats_by_assigning_team{scope="octo",scope_type="organization",'
        'team="api"}': 1.0,
    }
    assert value(body, "github_copilot_seats_assigned_directly", scope="octo") == 3


def test_an_enterprise_counts_a_user_with_several_seats_once(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    store.set_seats(
        "enterprises/acme",
        [
            # user 1: granted by team web of org a (idle 10 days) and directly by org b (2 h ago)
            seat(1, active=10 * DAY, team="web", org="a", editor="jetbrains/2024.3/copilot/1"),
            seat(1, active=timedelta(hours=2), org="b", editor="vscode/1.95.0/copilot/1"),
            # user 2: never active; one grant is 200 days old, so the user is idle > 90 days
            seat(2, active=None, created=10 * DAY, team="web", org="b"),
            seat(2, active=None, created=200 * DAY, team="web", org="b"),
            # user 3: once, through org b's web team (not org a's)
            seat(3, active=40 * DAY, team="web", org="b", editor="Xcode/16.1/copilot/1.3"),
        ],
    )
    body = refreshed(make_exporter, [{"enterprise": "acme"}])
    assert value(body, "github_copilot_seats", scope="acme", scope_type="enterprise") == 3
    assert {
        b: value(body, "github_copilot_seats_by_last_activity", scope="acme", last_activity=b)
        for b in ("0-1d", "7-30d", "30-90d", "over_90d")
    } == {"0-1d": 1.0, "7-30d": 0.0, "30-90d": 1.0, "over_90d": 1.0}
    assert {
        e: value(body, "github_copilot_seats_by_editor", scope="acme", editor=e)
        for e in ("vscode", "jetbrains", "Xcode", "none")
    } == {"vscode": 1.0, "jetbrains": None, "Xcode": 1.0, "none": 1.0}
    assert value(body, "github_copilot_seats_by_assigning_team", scope="acme", team="b/web") == 2
    assert value(body, "github_copilot_seats_by_assigning_team", scope="acme", team="a/web") is None
    assert value(body, "github_copilot_seats_assigned_directly", scope="acme") == 1
    # no billing summary exists for enterprises: none asked for, none invented
    assert seat_requests(github) == ["/enterprises/acme/copilot/billing/seats"]
    assert value(body, "github_copilot_billing_info", scope="acme") is None
    assert value(body, "github_copilot_seats_active_this_cycle", scope="acme") is None


def test_pagination_reads_every_page_of_100(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    store.set_seats(
        "enterprises/acme", [seat(i, active=i * timedelta(hours=1)) for i in range(250)]
    )
    body = refreshed(make_exporter, [{"enterprise": "acme"}])
    asked = [r for r in github.requests if r.path.endswith("/copilot/billing/seats")]
    assert [(r.query.get("per_page"), r.query.get("page")) for r in asked] == [
        ("100", None),
        ("100", "2"),
        ("100", "3"),
    ]
    assert value(body, "github_copilot_seats", scope="acme") == 250
    assert (
        value(body, "github_copilot_seats_by_last_activity", scope="acme", last_activity="0-1d")
        == 25
    )  # 0 h to 24 h ago


GOLDEN_OCTO = """\
github_copilot_seats_up{scope="octo",scope_type="organization"} 1.0
github_copilot_seats{scope="octo",scope_type="organization"} 5.0
github_copilot_seats_active_this_cycle{scope="octo",scope_type="organization"} 3.0
github_copilot_seats_inactive_this_cycle{scope="octo",scope_type="organization"} 2.0
github_copilot_seats_pending_invitation{scope="octo",scope_type="organization"} 0.0
github_copilot_seats_pending_cancellation{scope="octo",scope_type="organization"} 2.0
github_copilot_seats_added_this_cycle{scope="octo",scope_type="organization"} 1.0
github_copilot_billing_info{cli="enabled",ide_chat="enabled",plan_type="business",\
platform_chat="disabled",public_code_suggestions="block",scope="octo",\
scope_type="organization",seat_management_setting="assign_selected"} 1.0
github_copilot_seats_by_last_activity{last_activity="0-1d",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_last_activity{last_activity="1-7d",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_last_activity{last_activity="7-30d",scope="octo",\
scope_type="organization"} 0.0
github_copilot_seats_by_last_activity{last_activity="30-90d",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_last_activity{last_activity="over_90d",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_last_activity{last_activity="never",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_editor{editor="vscode",scope="octo",scope_type="organization"} 2.0
github_copilot_seats_by_editor{editor="neovim",scope="octo",scope_type="organization"} 1.0
github_copilot_seats_by_editor{editor="none",scope="octo",scope_type="organization"} 2.0
github_copilot_seats_by_assigning_team{scope="octo",scope_type="organization",team="web"} 2.0
github_copilot_seats_by_plan{plan="business",scope="octo",scope_type="organization"} 5.0
github_copilot_seats_assigned_directly{scope="octo",scope_type="organization"} 3.0
github_copilot_seats_by_last_authentication{last_authentication="0-1d",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_last_authentication{last_authentication="1-7d",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_last_authentication{last_authentication="7-30d",scope="octo",\
scope_type="organization"} 0.0
github_copilot_seats_by_last_authentication{last_authentication="30-90d",scope="octo",\
scope_type="organization"} 0.0
github_copilot_seats_by_last_authentication{last_authentication="over_90d",scope="octo",\
scope_type="organization"} 1.0
github_copilot_seats_by_last_authentication{last_authentication="never",scope="octo",\
scope_type="organization"} 2.0
"""


def test_golden_seat_metrics_of_one_org(store: StaticStore, make_exporter: ExporterFactory) -> None:
    store.set_billing("octo", billing(5, **FULL_SETTINGS))
    store.set_seats(
        "orgs/octo",
        [
            seat(1, active=timedelta(hours=3), team="web", authenticated=timedelta(hours=1)),
            seat(2, active=3 * DAY, editor="neovim/0.10/copilot.vim/1.41", authenticated=3 * DAY),
            seat(3, active=45 * DAY, team="web", authenticated=None),
            seat(4, active=None, created=5 * DAY, authenticated=None),
            seat(5, active=None, created=400 * DAY, authenticated=200 * DAY, plan="unknown"),
        ],
    )
    body = refreshed(make_exporter, [{"org": "octo"}])
    assert "\n".join(seat_lines(body, "octo")) + "\n" == GOLDEN_OCTO
    for spec in m.SEATS_SPECS:
        help_line = next(
            line for line in body.splitlines() if line.startswith(f"# HELP {spec.name} ")
        )
        assert spec.kind == "info" or "not a daily figure" in help_line, spec.name


def test_disabled_seats_make_no_seat_request_at_all(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    store.set_report(
        "organization-1-day", "octo", yesterday(), [entity(yesterday(), dau=3, gen=9, acc=4)]
    )
    store.set_billing("octo", billing())
    store.set_seats("orgs/octo", [seat(1)])
    exporter = make_exporter([{"org": "octo"}], seats={"enabled": False})
    exporter.refresh_now()
    exporter.refresh_seats_now()
    body = scrape(exporter).text
    assert exporter.seats is None
    assert seat_requests(github) == []
    assert value(body, "github_copilot_up", scope="octo") == 1
    assert not any(name.startswith("github_copilot_seats") for name in samples(body))


@pytest.mark.parametrize(
    ("raw", "enabled"), [("false", False), ("0", False), ("off", False), ("true", True)]
)
def test_the_environment_switches_seats(raw: str, enabled: bool) -> None:
    cfg = config_mod.build(
        {"scopes": [{"org": "octo"}]},
        {"GITHUB_TOKEN": TOKEN, "COPILOT_EXPORTER_SEATS": raw},
        "test",
    )
    assert cfg.seats.enabled is enabled


@pytest.mark.parametrize("status", [403, 404])
def test_a_scope_without_seat_access_warns_once_and_keeps_its_usage(
    status: int,
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.set_report(
        "organization-1-day", "octo", yesterday(), [entity(yesterday(), dau=3, gen=9, acc=4)]
    )
    if status == 403:
        store.set_billing("octo", billing())
        github.add_fault(Fault(r"^/orgs/octo/copilot/billing", status=403))
    # with 404 the fake simply has no billing for octo
    store.set_billing("hub", billing(1))
    store.set_seats("orgs/hub", [seat(1)])
    exporter = make_exporter([{"org": "octo"}, {"org": "hub"}])
    caplog.set_level(logging.WARNING, logger="exporter")
    exporter.refresh_now()
    exporter.refresh_seats_now()
    exporter.refresh_seats_now()
    body = scrape(exporter).text
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and "copilot/billing" in r.getMessage()
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    message = warnings[0].getMessage()
    assert f"/orgs/octo/copilot/billing answered {status}" in message
    assert "manage_billing:copilot or read:org" in message
    assert "policy" not in message  # not the usage-metrics advice
    assert value(body, "github_copilot_up", scope="octo") == 1
    assert value(body, "github_copilot_daily_active_users", scope="octo") == 3
    assert value(body, "github_copilot_seats_up", scope="octo") == 0
    assert value(body, "github_copilot_seats_up", scope="hub") == 1
    assert value(body, "github_copilot_seats", scope="hub") == 1
    assert value(body, "github_copilot_seats", scope="octo") is None


def test_an_unreadable_seat_list_fails_only_that_scope(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    store.set_billing("octo", billing())
    store.set_seats("orgs/octo", [seat(1)])
    github.add_fault(Fault(r"^/orgs/octo/copilot/billing/seats$", action="invalid_json"))
    exporter = make_exporter([{"org": "octo"}])
    exporter.refresh_seats_now()
    assert value(scrape(exporter).text, "github_copilot_seats_up", scope="octo") == 0
    state = exporter.holder.current.seats[0]
    assert state.reason == "invalid_response"


def test_team_scopes_get_no_seat_requests(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    store.set_billing("octo", billing())
    store.set_seats("orgs/octo", [seat(1)])
    exporter = make_exporter(
        [
            {"org": "octo"},
            {"org": "octo", "team": "web"},
            {"enterprise": "acme", "team": "platform"},
        ]
    )
    exporter.refresh_seats_now()
    assert sorted(seat_requests(github)) == [
        "/orgs/octo/copilot/billing",
        "/orgs/octo/copilot/billing/seats",
    ]
    assert [s.scope.name for s in exporter.holder.current.seats] == ["octo"]


def test_a_team_scope_given_to_the_seats_source_is_unsupported_not_asked(
    store: StaticStore, github: FakeGitHub
) -> None:
    store.set_billing("octo", billing())
    store.set_seats("orgs/octo", [seat(1)])
    org, team = config_mod.scope_from_text("org:octo"), config_mod.scope_from_text("org:octo/web")

    async def run() -> dict[Scope, Outcome]:
        async with GitHubClient(github.api_url, static_token(TOKEN)) as client:
            return await SeatsSource(client, lambda: NOW).refresh([org, team])

    outcomes = asyncio.run(run())
    assert isinstance(outcomes[org], ScopeResult)
    failure = outcomes[team]
    assert isinstance(failure, ScopeFailure)
    assert (failure.reason, failure.message) == (
        "unsupported",
        "team scope 'octo/web' has no seats: it is per owner",
    )
    assert all("web" not in path for path in seat_requests(github))


@pytest.fixture
def started(store: StaticStore, github: FakeGitHub) -> Iterator[Exporter]:
    store.set_billing("octo", billing())
    store.set_seats("orgs/octo", [seat(1)])
    store.set_report(
        "organization-1-day", "octo", yesterday(), [entity(yesterday(), dau=3, gen=9, acc=4)]
    )
    cfg = config_mod.build(
        {
            "github": {"api_url": github.api_url},
            "scopes": [{"org": "octo"}],
            "refresh": {"interval": "1h"},
            "seats": {"interval": "2h"},
        },
        {"GITHUB_TOKEN": TOKEN},
        "test-config",
    )
    exporter = Exporter(cfg, listen=("127.0.0.1", 0))
    exporter.start()
    yield exporter
    exporter.stop()


def test_start_schedules_seats_as_their_own_job(started: Exporter) -> None:
    jobs = {job.id: job for job in started.scheduler.get_jobs()}
    assert set(jobs) == {"refresh", "seats", "billing"}
    assert jobs["seats"].trigger.interval == timedelta(hours=2)
    assert jobs["refresh"].trigger.interval == timedelta(hours=1)
    deadline = time.monotonic() + 10
    while not started.holder.current.seats and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [s.up for s in started.holder.current.seats] == [True]
