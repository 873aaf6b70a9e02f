"""A hostile world: upstreams and clients that misbehave on purpose, over loopback.

The fake GitHub injects faults; where GitHub would have to be broken in ways the fake cannot
be (a trickle that never ends, a thief on another port, a redirect loop on the download
host), small hostile servers of the test's own stand in (``tests.helpers.Hostile``). Every
case checks what the exporter promises: the token reaches the API's origin only, one bad
value or one bad org stays its own, memory and time are bounded, and ``/metrics`` answers.
"""

from __future__ import annotations

import gzip
import json
import logging
import subprocess
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exporter import config as config_mod
from exporter import sanitise
from exporter.app import Exporter
from exporter.config import DEFAULT_MAX_SERIES
from exporter.fakegithub import FakeGitHub, Fault, StaticStore
from exporter.server import accepts_gzip
from tests.fixtures import counters, entity, membership, user
from tests.helpers import (
    TOKEN,
    Answer,
    AppKey,
    ExporterFactory,
    Hostile,
    HostileHandler,
    answer_with,
    samples,
    scrape,
    trickle,
    value,
    yesterday,
)
from tests.prom import require_promtool

BAD, GOOD = "bad", "good"
SCOPES = [{"org": BAD}, {"org": GOOD}]
HostileFactory = Callable[[Answer], Hostile]


def links_path(org: str) -> str:
    return rf"^/orgs/{org}/copilot/metrics/reports/organization-1-day$"


def publish(store: StaticStore, day: date, gen: int = 50) -> None:
    for org in (BAD, GOOD):
        store.set_report("organization-1-day", org, day, [entity(day, dau=5, gen=gen, acc=1)])


def links_to(url: str) -> bytes:
    return json.dumps({"download_links": [url], "report_day": str(yesterday())}).encode()


def failure_reasons(body: str) -> dict[str, str]:
    """scope -> reason of every github_copilot_scope_failure sample."""
    out = {}
    for key in samples(body):
        if key.startswith("github_copilot_scope_failure{"):
            labels = dict(part.split("=", 1) for part in key[key.index("{") + 1 : -1].split(","))
            out[labels["scope"].strip('"')] = labels["reason"].strip('"')
    return out


def tracebacks(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.exc_info and r.levelno >= logging.INFO]


# -- 1. the token goes to the API's origin only ------------------------------------------------


def test_a_next_link_to_another_origin_is_refused_and_never_gets_the_token(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    hostile: HostileFactory,
) -> None:
    thief = hostile(answer_with(200, b"[]"))
    day = yesterday().isoformat()
    store.set_legacy(f"orgs/{GOOD}", [{"date": day, "total_active_users": 3}])
    store.set_legacy(f"orgs/{BAD}", [])
    github.add_fault(
        Fault(
            rf"^/orgs/{BAD}/copilot/metrics$",
            status=200,
            body=json.dumps([{"date": day, "total_active_users": 4}]).encode(),
            headers={"link": f'<{thief.url}/orgs/{BAD}/copilot/metrics?page=2>; rel="next"'},
        )
    )
    exporter = make_exporter([{**s, "source": "legacy"} for s in SCOPES])

    exporter.refresh_now()

    assert thief.requests == []
    body = scrape(exporter).text
    assert failure_reasons(body) == {BAD: "foreign_link"}
    assert value(body, "github_copilot_up", scope=GOOD) == 1
    assert value(body, "github_copilot_api_request_failures_total", reason="foreign_link") == 1
    page = scrape(exporter, "/").text
    assert "github.api_url" in page  # the advice names the fix


def test_a_seat_list_paging_to_another_origin_is_refused(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    hostile: HostileFactory,
) -> None:
    thief = hostile(answer_with(200, b'{"seats": []}'))
    for org in (BAD, GOOD):
        store.set_billing(org, {"seat_breakdown": {"total": 1}})
        store.set_seats(f"orgs/{org}", [{"assignee": {"id": 1, "login": "u1"}}])
    github.add_fault(
        Fault(
            rf"^/orgs/{BAD}/copilot/billing/seats$",
            status=200,
            body=b'{"total_seats": 1, "seats": []}',
            headers={"link": f'<{thief.url.replace("127.0.0.1", "localhost")}/x>; rel="next"'},
        )
    )
    exporter = make_exporter(SCOPES)

    exporter.refresh_seats_now()

    assert thief.requests == []
    body = scrape(exporter).text
    assert value(body, "github_copilot_seats_up", scope=BAD) == 0
    assert value(body, "github_copilot_seats_up", scope=GOOD) == 1


def test_a_redirect_off_the_api_origin_carries_no_token_and_one_on_it_keeps_it(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    hostile: HostileFactory,
) -> None:
    thief = hostile(answer_with(200, b'{"download_links": []}'))
    day = yesterday()
    publish(store, day)
    github.add_fault(Fault(links_path(BAD), status=302, headers={"location": f"{thief.url}/x"}))
    same_origin = f"{github.api_url}/orgs/{GOOD}/copilot/metrics/reports/organization-1-day"
    github.add_fault(
        Fault(
            links_path(GOOD), status=307, headers={"location": f"{same_origin}?day={day}"}, times=1
        )
    )
    exporter = make_exporter(SCOPES)

    exporter.refresh_now()

    assert thief.requests, "the redirect was not followed"
    assert all("authorization" not in headers for _, headers in thief.requests)
    # the fake GitHub wants the token: the same-origin redirect carried it
    assert value(scrape(exporter).text, "github_copilot_up", scope=GOOD) == 1


def app_exporter(fake: FakeGitHub, key_file: Path) -> Exporter:
    cfg = config_mod.build(
        {
            "github": {
                "api_url": fake.api_url,
                "max_retries": 0,
                "app": {"app_id": 77, "private_key_file": str(key_file)},
            },
            "scopes": SCOPES,
        },
        {},
    )
    return Exporter(cfg, listen=("127.0.0.1", 0), client_options={"backoff": 0.01})


def test_the_app_token_client_follows_no_redirect_and_pages_with_its_tokens(
    store: StaticStore,
    app_key: AppKey,
    tmp_path: Path,
    hostile: HostileFactory,
) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(app_key.pem)
    thief = hostile(answer_with(201, b'{"token": "stolen", "expires_at": "2099-01-01T00:00:00Z"}'))
    for org in (BAD, GOOD):
        store.set_billing(org, {"seat_breakdown": {"total": 150}})
        store.set_seats(
            f"orgs/{org}", [{"assignee": {"id": n, "login": f"u{n}"}} for n in range(150)]
        )
    with FakeGitHub(store, token=TOKEN, app_public_key_pem=app_key.public, app_id=77) as fake:
        installation = fake.api_url + f"/orgs/{BAD}/installation"
        fake.add_fault(
            Fault(rf"^/orgs/{BAD}/installation$", status=307, headers={"location": thief.url})
        )
        exporter = app_exporter(fake, key_file)
        try:
            exporter.refresh_seats_now()
            seats = {s.scope.owner: s for s in exporter.holder.current.seats}
        finally:
            exporter.stop()
    assert thief.requests == [], f"the JWT followed a redirect away from {installation}"
    assert (seats[BAD].up, seats[BAD].reason) == (False, "app_auth_failed")
    # two pages of 100 seats, the second asked for with the installation's token too
    assert seats[GOOD].up
    assert seats[GOOD].values["github_copilot_seats"] == {(): 150.0}
    assert sum(seats[GOOD].values["github_copilot_seats_by_editor"].values()) == 150


# -- 2. data can never break the exposition ----------------------------------------------------


def surrogate_report(day: date) -> bytes:
    """An entity file whose editor names hold a lone surrogate and control characters:
    valid JSON, no valid UTF-8 text."""
    record = json.dumps(entity(day, dau=5, gen=50, acc=1))
    return record.replace('"ide": "vscode"', '"ide": "vs\\ud800co\\u0000d\\ne\\u2028x"').encode()


def test_a_lone_surrogate_in_a_label_value_never_breaks_metrics_nor_the_state_file(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    tmp_path: Path,
) -> None:
    day = yesterday()
    publish(store, day)
    store.set_raw_report("organization-1-day", BAD, day, surrogate_report(day))
    state_file = tmp_path / "state.json"
    exporter = make_exporter(SCOPES, state_file=str(state_file))

    exporter.refresh_now()

    for accept in ("text/plain", "application/openmetrics-text; version=1.0.0"):
        for encoding in ("identity", "gzip"):
            response = scrape(exporter, Accept=accept, **{"Accept-Encoding": encoding})
            assert response.status_code == 200
            body = response.content.decode("utf-8")  # strictly valid UTF-8
            assert value(body, "github_copilot_up", scope=BAD) == 1
            assert 'editor="vs\ufffdco\ufffdd\ufffde\ufffdx"' in body
    saved = state_file.read_bytes().decode("utf-8")
    assert "\\ud800" not in saved and "vs\\ufffdco" in saved

    exporter.stop()
    restarted = make_exporter(SCOPES, state_file=str(state_file))
    assert value(scrape(restarted).text, "github_copilot_up", scope=BAD) == 1


def test_a_family_that_cannot_render_is_left_out_and_logged_as_an_error(
    store: StaticStore,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    publish(store, yesterday())
    exporter = make_exporter(SCOPES)
    exporter.refresh_now()
    good = exporter.holder.current
    broken = good.scopes[0]
    # What no refresh builds, as a bug might: a text where a number belongs, a missing label.
    values: dict[str, dict[tuple[str, ...], Any]] = {
        **broken.values,
        "github_copilot_code_generations": {(): "many"},
        "github_copilot_code_generations_by_editor": {(): 3.0},
    }
    from dataclasses import replace

    exporter.holder.swap(replace(good, scopes=(replace(broken, values=values), *good.scopes[1:])))
    caplog.set_level(logging.INFO)

    exporter.exposition.prepare()

    for accept in ("text/plain", "application/openmetrics-text; version=1.0.0"):
        response = scrape(exporter, Accept=accept)
        assert response.status_code == 200
        assert value(response.text, "github_copilot_up", scope=GOOD) == 1
        assert value(response.text, "github_copilot_code_acceptances", scope=GOOD) == 1
        assert "github_copilot_code_generations{" not in response.text
        assert "github_copilot_api_requests_total" in response.text  # live part too
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert {getattr(r, "family", None) for r in errors} == {
        "github_copilot_code_generations",
        "github_copilot_code_generations_by_editor",
    }


LABEL_TEXT = st.text(st.characters(exclude_categories=()), min_size=1, max_size=20)


@pytest.mark.integration
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    editors=st.lists(LABEL_TEXT, min_size=1, max_size=4),
    models=st.lists(LABEL_TEXT, min_size=1, max_size=4),
    slugs=st.lists(LABEL_TEXT, min_size=1, max_size=3),
)
def test_any_unicode_from_report_rows_gives_an_exposition_promtool_accepts(
    editors: list[str],
    models: list[str],
    slugs: list[str],
    store: StaticStore,
    github: FakeGitHub,
    caplog: pytest.LogCaptureFixture,
) -> None:
    promtool = require_promtool()
    caplog.clear()
    day = yesterday()
    rows = [
        user(n, day, ide=editors[n % len(editors)], model=models[n % len(models)]) for n in range(4)
    ]
    teams = [membership(n, slugs[n % len(slugs)], day, 100 + n) for n in range(4)]
    record = entity(day, dau=4, gen=40, acc=4)
    record["totals_by_ide"] = [{"ide": name, **counters(2, 1)} for name in editors]
    for kind, owner, records in (
        ("organization-1-day", GOOD, [record]),
        ("users-1-day", f"orgs/{GOOD}", rows),
        ("user-teams-1-day", f"orgs/{GOOD}", teams),
    ):
        # ensure_ascii: lone surrogates travel as \ud800 escapes, as GitHub would send them
        text = "\n".join(json.dumps(r) for r in records)
        store.set_raw_report(kind, owner, day, text.encode())
    cfg = config_mod.build(
        {
            "github": {"api_url": github.api_url},
            "scopes": [{"org": GOOD}, {"org": GOOD, "team": "*"}],
            "seats": {"enabled": False},
        },
        {"GITHUB_TOKEN": TOKEN},
    )
    exporter = Exporter(cfg, listen=("127.0.0.1", 0))
    try:
        exporter.refresh_now()
        for openmetrics in (False, True):
            pieces = exporter.exposition.render(openmetrics=openmetrics, compressed=False)
            exposition = b"".join(pieces)
            assert value(exposition.decode("utf-8"), "github_copilot_up", scope=GOOD) == 1
            check = subprocess.run(
                [promtool, "check", "metrics"], input=exposition, capture_output=True, check=False
            )
            # promtool lints OpenMetrics counters as text ("no help text"), but must parse it
            assert check.returncode == 0 or openmetrics, check.stderr
            assert b"parsing error" not in check.stdout + check.stderr, check.stderr
    finally:
        exporter.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("GZIP;Q=0.5", True),
        ("*", True),
        ("*;q=0", False),
        ("identity, *;q=0.1", True),
        ("gzip;q=0, *", False),
        ("x-gzip", True),
        ("gzip;q=nan", False),
        ("br", False),
        ("", False),
    ],
)
def test_accept_encoding_is_parsed_with_its_qualities(header: str, gzipped: bool) -> None:
    assert accepts_gzip(header) is gzipped


def test_gzip_refused_with_q_0_is_not_sent(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    publish(store, yesterday())
    exporter = make_exporter(SCOPES)
    exporter.refresh_now()
    refused = scrape(exporter, **{"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    assert value(refused.text, "github_copilot_up", scope=GOOD) == 1
    wanted = scrape(exporter, **{"Accept-Encoding": "gzip"})
    assert wanted.headers["content-encoding"] == "gzip"


# -- 3. memory bounded per answer --------------------------------------------------------------


def test_an_api_answer_over_the_cap_fails_its_scope_only(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    old = yesterday() - timedelta(days=1)
    publish(store, old)
    exporter = make_exporter(SCOPES, limits={"max_response_bytes": "64KiB"})
    exporter.refresh_now()
    publish(store, yesterday(), gen=70)
    huge = b'{"download_links": [], "padding": "' + b"x" * (1 << 20) + b'"}'
    github.add_fault(Fault(links_path(BAD), status=200, body=huge))

    exporter.refresh_now()

    body = scrape(exporter).text
    assert failure_reasons(body) == {BAD: "too_large"}
    assert value(body, "github_copilot_code_generations", scope=BAD) == 50  # last values stay
    assert value(body, "github_copilot_code_generations", scope=GOOD) == 70
    assert "limits.max_response_bytes" in scrape(exporter, "/").text


def gzip_bomb(size: int) -> Answer:
    """A report file of ``size`` spaces, gzip-compressed (a thousandth of the size)."""
    packed = gzip.compress(b" " * size, compresslevel=9)

    def answer(handler: HostileHandler, _stopped: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("content-encoding", "gzip")
        handler.send_header("content-length", str(len(packed)))
        handler.end_headers()
        handler.wfile.write(packed)

    return answer


def endless(handler: HostileHandler, stopped: threading.Event) -> None:
    """A body without a length that goes on as fast as it is read (256 MiB at most)."""
    handler.send_response(200)
    handler.end_headers()
    handler.wfile.write(b'[{"user_id": 1, "user_login": "')  # a string that never ends
    chunk = b"x" * 65536
    for _ in range(4096):
        if stopped.is_set():
            return
        handler.wfile.write(chunk)


@pytest.mark.parametrize("answer", [gzip_bomb(64 << 20), endless], ids=["gzip-bomb", "endless"])
def test_a_download_over_the_cap_fails_its_scope_only(
    answer: Answer,
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    hostile: HostileFactory,
) -> None:
    bomb = hostile(answer)
    publish(store, yesterday())
    github.add_fault(Fault(links_path(BAD), status=200, body=links_to(f"{bomb.url}/report")))
    exporter = make_exporter(SCOPES, limits={"max_download_bytes": "1MiB"})

    exporter.refresh_now()

    body = scrape(exporter).text
    assert failure_reasons(body) == {BAD: "too_large"}
    assert value(body, "github_copilot_up", scope=GOOD) == 1
    assert (
        value(
            body,
            "github_copilot_api_request_failures_total",
            endpoint="report_download",
            reason="too_large",
        )
        == 1
    )


def test_a_record_over_the_configured_cap_fails_its_scope_only(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    day = yesterday()
    publish(store, day)
    huge = entity(day, dau=5, gen=50, acc=1)
    huge["totals_by_ide"] = [{"ide": f"editor-{i}", "loc_added_sum": i} for i in range(2000)]
    store.set_report("organization-1-day", BAD, day, [huge])
    exporter = make_exporter(SCOPES, limits={"max_record_bytes": "16KiB"})

    exporter.refresh_now()

    body = scrape(exporter).text
    assert failure_reasons(body) == {BAD: "invalid_response"}
    assert value(body, "github_copilot_up", scope=GOOD) == 1


def test_a_series_budget_applies_when_none_is_configured_and_holds_the_largest_estate() -> None:
    cfg = config_mod.build({"scopes": [{"org": "o"}]}, {"GITHUB_TOKEN": TOKEN})
    assert cfg.cardinality.max_series == DEFAULT_MAX_SERIES
    # README, "How many series": the 50,000-developer estate with default breakdowns fits
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    [row] = [line for line in readme.splitlines() if line.startswith("| 50,000 |")]
    default_series = int(row.split("|")[5].replace(",", ""))
    assert default_series < DEFAULT_MAX_SERIES


def test_thousands_of_model_names_stay_within_the_default_budget(
    store: StaticStore, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    day = yesterday()
    record = entity(day, dau=5, gen=50, acc=1)
    models = [f"model-{n}" for n in range(36_000)]  # x 7 metrics: 252,000 series
    record["totals_by_model_feature"] = [
        {"model": name, "feature": "code_completion", **counters(2, 1)} for name in models
    ]
    store.set_report("organization-1-day", GOOD, day, [record])
    exporter = make_exporter([{"org": GOOD}])
    caplog.set_level(logging.INFO)

    exporter.refresh_now()
    exporter.refresh_now()

    snapshot = exporter.holder.current
    kept = sum(len(v) for state in snapshot.scopes for v in state.values.values())
    assert kept <= DEFAULT_MAX_SERIES
    assert dict(snapshot.dropped) == {"model_feature": 7 * len(models)}
    body = scrape(exporter).text
    assert value(body, "github_copilot_series_dropped", breakdown="model_feature") == 252_000
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "max_series" in warning.getMessage()


# -- 4. time bounded ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "refresh_deadline", "setting", "downloads"),
    [
        # a download past its deadline is tried once more with fresh links, then given up
        pytest.param({"download_deadline": "1s"}, None, "download_deadline", 2, id="download"),
        # a refresh past its deadline cancels the owner still at work, not the others
        pytest.param({"download_deadline": "1h"}, 1.0, "max_refresh_duration", 1, id="refresh"),
    ],
)
def test_an_endless_trickle_fails_only_its_owner_at_a_deadline(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    hostile: HostileFactory,
    limits: dict[str, str],
    refresh_deadline: float | None,
    setting: str,
    downloads: int,
) -> None:
    slow = hostile(trickle)
    publish(store, yesterday())
    github.add_fault(Fault(links_path(BAD), status=200, body=links_to(f"{slow.url}/report")))
    exporter = make_exporter(
        SCOPES, github={"api_url": github.api_url, "max_retries": 0, "timeout": 5}, limits=limits
    )
    if refresh_deadline is not None:
        exporter.refresher.deadline = refresh_deadline  # the setting's minimum is 10 s

    started = time.monotonic()
    exporter.refresh_now()  # the fixture's pytest timeout would catch a hang

    assert time.monotonic() - started < 5
    body = scrape(exporter).text
    assert failure_reasons(body) == {BAD: "timeout"}
    assert value(body, "github_copilot_up", scope=GOOD) == 1  # answered in time: kept
    assert len(slow.requests) == downloads
    assert f"limits.{setting}" in scrape(exporter, "/").text


# -- 5. one scope's failure stays its own ------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


def loop_to(path: str) -> Answer:
    def answer(handler: HostileHandler, _stopped: threading.Event) -> None:
        handler.send_response(302)
        handler.send_header("location", path)
        handler.send_header("content-length", "0")
        handler.end_headers()

    return answer


@pytest.mark.parametrize(
    "case",
    ["api-deep", "file-deep", "api-redirect-loop", "download-redirect-loop", "links-wrong-type"],
)
def test_a_hostile_answer_fails_its_own_scope_with_a_reason_and_no_traceback(
    case: str,
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    hostile: HostileFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    day = yesterday()
    publish(store, day)
    if case == "api-deep":
        github.add_fault(Fault(links_path(BAD), status=200, body=DEEP))
    elif case == "file-deep":
        store.set_raw_report("organization-1-day", BAD, day, DEEP)
    elif case == "api-redirect-loop":
        loop = f"{github.api_url}/orgs/{BAD}/copilot/metrics/reports/organization-1-day"
        github.add_fault(Fault(links_path(BAD), status=302, headers={"location": loop}))
    elif case == "download-redirect-loop":
        looping = hostile(loop_to("/again"))
        github.add_fault(Fault(links_path(BAD), status=200, body=links_to(f"{looping.url}/r")))
    else:
        github.add_fault(Fault(links_path(BAD), status=200, body=b'{"download_links": [[{}]]}'))
    exporter = make_exporter(SCOPES)
    caplog.set_level(logging.INFO)

    exporter.refresh_now()

    body = scrape(exporter).text
    assert failure_reasons(body) == {BAD: "invalid_response"}
    assert value(body, "github_copilot_up", scope=GOOD) == 1
    assert tracebacks(caplog.records) == []
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert getattr(warning, "scope", None) == BAD


def test_a_bare_json_string_from_a_report_endpoint_is_a_day_not_there_yet(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = yesterday() - timedelta(days=1)
    publish(store, old)
    publish(store, yesterday(), gen=70)
    github.add_fault(
        Fault(
            rf"{links_path(BAD)[:-1]}\?day={yesterday()}$",
            status=200,
            body=b'"Report is being generated"',
        )
    )
    exporter = make_exporter(SCOPES)
    caplog.set_level(logging.INFO)

    exporter.refresh_now()

    body = scrape(exporter).text
    assert failure_reasons(body) == {}
    assert value(body, "github_copilot_code_generations", scope=BAD) == 50  # the day before
    assert value(body, "github_copilot_code_generations", scope=GOOD) == 70
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def two_enterprises(store: StaticStore, day: date, *, extra: dict[str, Any] | None = None) -> None:
    """GitHub's example enterprise file: records of enterprises 1 and 2 for one day."""
    store.set_report(
        "enterprise-1-day",
        "acme",
        day,
        [
            {**entity(day, dau=2, gen=20, acc=1), "enterprise_id": "1"},
            {**entity(day, dau=3, gen=30, acc=1), "enterprise_id": "2", **(extra or {})},
        ],
    )


def test_several_enterprise_records_of_a_day_warn_once_naming_the_ids(
    store: StaticStore, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    two_enterprises(store, yesterday())
    exporter = make_exporter([{"enterprise": "acme"}])
    caplog.set_level(logging.INFO)

    exporter.refresh_now()
    exporter.refresh_now()

    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "enterprise_id 1, 2" in warning.getMessage()
    body = scrape(exporter).text
    assert value(body, "github_copilot_code_generations", scope="acme") == 20


def test_the_enterprise_record_with_the_id_of_its_users_reports_is_chosen(
    store: StaticStore, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    day = yesterday()
    two_enterprises(store, day)
    store.set_report("users-1-day", "enterprises/acme", day, [user(1, day), user(2, day)])
    store.set_report(
        "user-teams-1-day",
        "enterprises/acme",
        day,
        [{**membership(n, "platform", day, 7), "enterprise_id": "2"} for n in (1, 2)],
    )
    exporter = make_exporter([{"enterprise": "acme"}, {"enterprise": "acme", "team": "platform"}])
    caplog.set_level(logging.INFO)

    exporter.refresh_now()

    body = scrape(exporter).text
    assert value(body, "github_copilot_daily_active_users", scope="acme") == 3
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_the_enterprise_record_naming_its_owner_is_chosen(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    two_enterprises(store, yesterday(), extra={"enterprise_slug": "ACME"})
    exporter = make_exporter([{"enterprise": "acme"}])

    exporter.refresh_now()

    assert value(scrape(exporter).text, "github_copilot_code_generations", scope="acme") == 30


# -- 7. state edges ----------------------------------------------------------------------------


def state_with(scope: dict[str, Any]) -> str:
    base: dict[str, Any] = {
        "type": "organization",
        "owner": GOOD,
        "team": None,
        "source": "reports",
        "up": True,
        "report_day": str(yesterday()),
        "last_success": 1.0,
        "last_failure": None,
        "error": None,
        "reason": None,
        "values": {"github_copilot_code_generations": [[50]]},
    }
    return json.dumps({"version": 1, "created": 1.0, "scopes": [{**base, **scope}]})


BROKEN_STATES = {
    "deep": "[" * 100_000 + "]" * 100_000,
    "deep-inside": state_with({"values": json.loads("[" * 50 + "]" * 50)}),
    "string-time": state_with({"last_success": "yesterday"}),
    "string-value": state_with({"values": {"github_copilot_code_generations": [["many"]]}}),
    "nan-time": state_with({"last_success": float("nan")}),
    "unknown-type": state_with({"type": "galaxy"}),
    "number-owner": state_with({"owner": 7}),
    "bool-up-as-string": state_with({"up": "yes"}),
    "bad-day": state_with({"report_day": "2026-13-45"}),
    "scopes-not-a-list": json.dumps({"version": 1, "scopes": {"a": 1}}),
    "top-level-list": "[]",
}


@pytest.mark.parametrize("content", BROKEN_STATES.values(), ids=BROKEN_STATES.keys())
def test_a_state_file_of_the_wrong_shape_is_reported_ignored_and_breaks_nothing(
    content: str,
    store: StaticStore,
    make_exporter: ExporterFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text(content)
    publish(store, yesterday())
    exporter = make_exporter(SCOPES, state_file=str(state_file))
    assert "ignoring unreadable state file" in caplog.text
    assert scrape(exporter).status_code == 200
    exporter.refresh_now()
    assert value(scrape(exporter).text, "github_copilot_up", scope=GOOD) == 1
    assert json.loads(state_file.read_text())["version"] == 1


def test_a_state_file_of_another_version_keeps_what_this_one_can_show(
    make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text(
        state_with(
            {
                "values": {
                    "github_copilot_code_generations": [[50]],
                    "github_copilot_code_generations_by_editor": [["vs\ud800", 5], ["a", "b", 1]],
                    "github_copilot_gone_metric": [[1]],
                }
            }
        ),
        encoding="utf-8",
        errors="surrogatepass",
    )
    exporter = make_exporter(SCOPES, state_file=str(state_file))
    body = scrape(exporter).content.decode("utf-8")
    assert value(body, "github_copilot_code_generations", scope=GOOD) == 50
    assert value(body, "github_copilot_code_generations_by_editor", editor="vs\ufffd") == 5
    assert "gone_metric" not in body


def test_temporary_files_of_interrupted_writes_are_removed_at_start(
    make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    left = [tmp_path / f".state.json.{n}x7k2q.tmp" for n in range(6)]
    for path in left:
        path.write_bytes(b"x" * 1000)
    other = tmp_path / ".other.json.abcdefgh.tmp"
    other.write_bytes(b"not ours")

    make_exporter(SCOPES, state_file=str(state_file))

    assert [p for p in left if p.exists()] == []
    assert other.exists()


def test_a_state_file_that_cannot_be_written_says_the_old_one_is_kept(
    store: StaticStore,
    make_exporter: ExporterFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    publish(store, yesterday())
    exporter = make_exporter(SCOPES, state_file=str(directory / "state.json"))
    directory.rmdir()  # as good as a full disk for the write

    exporter.refresh_now()

    [warning] = [r for r in caplog.records if "cannot write the state file" in r.getMessage()]
    assert "previous snapshot" in warning.getMessage()
    assert "starts empty" not in warning.getMessage()


def test_long_label_values_are_cut_but_stay_apart() -> None:
    shared = "model-" + "x" * 1100
    first, second = sanitise.text(shared + "-a"), sanitise.text(shared + "-b")
    assert first != second
    assert len(first) == len(second) == sanitise.MAX_LABEL_CHARS
    assert first.startswith(shared[:1000]) and "…" in first
    assert sanitise.text("short \ud800 name") == "short \ufffd name"
