"""GitHub misbehaving, end to end: the fake injects each fault over real HTTP.

Two organisations share one exporter: ``bad`` meets the fault, ``good`` does not. For
every fault the process keeps serving, only ``bad`` goes down and keeps its last good
values, the failure is counted with a reason and logged once in one line, and retries
follow what the server asked for.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from exporter.fakegithub import FakeGitHub, Fault, RecordedRequest, StaticStore
from exporter.logs import JsonFormatter, LogfmtFormatter
from tests.fixtures import entity
from tests.helpers import ExporterFactory, samples, scrape, value, yesterday

BAD, GOOD = "bad", "good"
SCOPES = [{"org": BAD}, {"org": GOOD}]
ENTITY_ENDPOINT = "/orgs/{org}/copilot/metrics/reports/organization-1-day"
DOWNLOAD = "report_download"
MAX_RETRIES = 2  # what make_exporter configures
CONCURRENCY = 4  # github.concurrency's default
OLD_GEN = {BAD: 60, GOOD: 70}
NEW_GEN = {BAD: 600, GOOD: 700}
ANY_FILE = r"^/reports/"


def links_path(org: str) -> str:
    return rf"^/orgs/{org}/copilot/metrics/reports/organization-1-day$"


def epoch(day: date) -> float:
    return (day - date(1970, 1, 1)).total_seconds()


def publish(store: StaticStore, day: date, gen: dict[str, int]) -> None:
    for org, generations in gen.items():
        store.set_report(
            "organization-1-day",
            org,
            day,
            [entity(day, dau=5, gen=generations, acc=generations // 2)],
        )


def half_written_ndjson(day: date) -> bytes:
    """An entity file whose second NDJSON line stops half way, as if the writer died."""
    whole = json.dumps({"day_totals": [entity(day, dau=5, gen=NEW_GEN[BAD], acc=1)]})
    return (whole + "\n" + whole[: len(whole) // 2]).encode()


def timeout_config(github: FakeGitHub, retries: int = MAX_RETRIES) -> dict[str, object]:
    """The shortest client timeout the config accepts (1 s)."""
    return {"api_url": github.api_url, "max_retries": retries, "timeout": 1}


def warnings_of(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.levelno >= logging.WARNING]


def settled(count: Callable[[], int], expected: int, within: float = 3.0) -> int:
    """`count()` once it equals `expected` or `within` seconds have passed.

    The fake records a request after any `Fault.delay`, so a request the client gave up
    waiting for shows up a little after the refresh has finished.
    """
    deadline = time.monotonic() + within
    while (found := count()) != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    return found


def link_calls(github: FakeGitHub, org: str) -> int:
    return sum(
        1
        for r in github.requests
        if r.host == "api" and r.path == f"/orgs/{org}/copilot/metrics/reports/organization-1-day"
    )


def downloads(github: FakeGitHub) -> int:
    return sum(1 for r in github.requests if r.host == "download")


# -- persistent faults -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One persistent fault and what the exporter must make of it (per refresh)."""

    faults: Callable[[], list[Fault]]
    reason: str  # github_copilot_scope_failure{reason}, and the failures_total reason
    endpoint: str  # github_copilot_api_request_failures_total{endpoint}
    failures: int  # ... its value after one faulty refresh
    link_calls: int  # requests for bad's download links in that refresh
    downloads: int  # download requests in that refresh, good's one included
    words: tuple[str, ...]  # what the log message must say
    bad_file: Callable[[date], bytes] | None = None  # a broken file instead of a fault
    on_download: bool = False  # good must download after bad has used up the fault
    good_delay: float = 0.05  # seconds between chunks of good's slowed link answer
    timeout: bool = False  # run with github.timeout: 1s
    retries: int = MAX_RETRIES  # github.max_retries
    rate_limit: bool = False  # the client's own pause lines: see the test of those below


def once(*faults: Fault) -> Callable[[], list[Fault]]:
    return lambda: list(faults)


CASES = [
    pytest.param(
        Case(
            once(Fault(links_path(BAD), status=503)),
            "server_error",
            ENTITY_ENDPOINT,
            failures=1 + MAX_RETRIES,
            link_calls=1 + MAX_RETRIES,
            downloads=1,
            words=("503",),
        ),
        id="api-5xx",
    ),
    pytest.param(
        Case(
            once(Fault(ANY_FILE, host="download", status=502, times=1 + MAX_RETRIES)),
            "server_error",
            DOWNLOAD,
            failures=1 + MAX_RETRIES,
            link_calls=1,
            downloads=1 + MAX_RETRIES + 1,
            words=("502",),
            on_download=True,
        ),
        id="download-5xx",
    ),
    # One retry only: each attempt costs the whole 1 s timeout.
    pytest.param(
        Case(
            once(Fault(links_path(BAD), status=504, delay=1.2)),
            "timeout",
            ENTITY_ENDPOINT,
            failures=2,
            link_calls=2,
            downloads=1,
            words=("timed out",),
            timeout=True,
            retries=1,
        ),
        id="api-timeout",
    ),
    pytest.param(
        Case(
            once(Fault(ANY_FILE, host="download", action="slow", delay=1.5, times=2)),
            "timeout",
            DOWNLOAD,
            failures=2,
            link_calls=2,
            downloads=3,
            words=("timed out",),
            on_download=True,
            good_delay=0.3,
            timeout=True,
        ),
        id="download-too-slow",
    ),
    # The wording of network errors is checked by its own test further down.
    pytest.param(
        Case(
            once(Fault(links_path(BAD), action="reset")),
            "network",
            ENTITY_ENDPOINT,
            failures=1 + MAX_RETRIES,
            link_calls=1 + MAX_RETRIES,
            downloads=1,
            words=(),
        ),
        id="api-reset",
    ),
    pytest.param(
        Case(
            once(Fault(ANY_FILE, host="download", action="reset", times=2)),
            "network",
            DOWNLOAD,
            failures=2,
            link_calls=2,
            downloads=3,
            words=("download",),
            on_download=True,
        ),
        id="download-reset",
    ),
    pytest.param(
        Case(
            once(Fault(ANY_FILE, host="download", action="truncate", times=2)),
            "network",
            DOWNLOAD,
            failures=2,
            link_calls=2,
            downloads=3,
            words=("download",),
            on_download=True,
        ),
        id="download-truncated",
    ),
    pytest.param(
        Case(
            once(Fault(links_path(BAD), action="invalid_json")),
            "invalid_response",
            ENTITY_ENDPOINT,
            failures=1,
            link_calls=1,
            downloads=1,
            words=("download_links",),
        ),
        id="api-not-json",
    ),
    pytest.param(
        Case(
            once(
                Fault(
                    links_path(BAD),
                    status=200,
                    body=b'{"download_links": "https://example.invalid/report.ndjson"}',
                )
            ),
            "invalid_response",
            ENTITY_ENDPOINT,
            failures=1,
            link_calls=1,
            downloads=1,
            words=("download_links",),
        ),
        id="api-links-not-a-list",
    ),
    # A body that fails to decompress is retried like a broken transfer.
    pytest.param(
        Case(
            once(
                Fault(
                    links_path(BAD),
                    status=200,
                    headers={"content-encoding": "gzip"},
                    body=b"this is not gzip",
                )
            ),
            "invalid_response",
            ENTITY_ENDPOINT,
            failures=1 + MAX_RETRIES,
            link_calls=1 + MAX_RETRIES,
            downloads=1,
            words=("decod",),
        ),
        id="api-corrupt-gzip",
    ),
    pytest.param(
        Case(
            once(Fault(ANY_FILE, host="download", action="invalid_json", times=1)),
            "invalid_response",
            DOWNLOAD,
            failures=1,
            link_calls=1,
            downloads=2,
            words=("invalid JSON",),
            on_download=True,
        ),
        id="download-not-json",
    ),
    pytest.param(
        Case(
            lambda: [],
            "invalid_response",
            DOWNLOAD,
            failures=1,
            link_calls=1,
            downloads=2,
            words=("invalid JSON",),
            bad_file=half_written_ndjson,
        ),
        id="half-written-ndjson",
    ),
    pytest.param(
        Case(
            once(
                Fault(
                    ANY_FILE,
                    host="download",
                    status=200,
                    times=1,
                    headers={"content-encoding": "gzip"},
                    body=b"this is not gzip",
                )
            ),
            "invalid_response",
            DOWNLOAD,
            failures=1,
            link_calls=1,
            downloads=2,
            words=("decod",),
            on_download=True,
        ),
        id="download-corrupt-gzip",
    ),
    pytest.param(
        Case(
            once(
                Fault(
                    links_path(BAD),
                    status=401,
                    body=b'{"message": "Bad credentials", "status": "401"}',
                )
            ),
            "unauthorized",
            ENTITY_ENDPOINT,
            failures=1,
            link_calls=1,
            downloads=1,
            words=("401", "Bad credentials", "renew"),
        ),
        id="401",
    ),
    pytest.param(
        Case(
            once(
                Fault(
                    links_path(BAD),
                    status=403,
                    body=json.dumps(
                        {
                            "message": (
                                "Copilot Usage Metrics API is disabled for this organization."
                            ),
                            "documentation_url": "https://docs.github.com/rest",
                            "status": "403",
                        }
                    ).encode(),
                )
            ),
            "forbidden",
            ENTITY_ENDPOINT,
            failures=1,
            link_calls=1,
            downloads=1,
            words=("403", "disabled", "policy"),
        ),
        id="403-policy-disabled",
    ),
    # Waits are measured by the rate-limit tests below; these only need to be persistent.
    pytest.param(
        Case(
            once(Fault(links_path(BAD), status=429, headers={"retry-after": "0"})),
            "rate_limited",
            ENTITY_ENDPOINT,
            failures=1 + MAX_RETRIES,
            link_calls=1 + MAX_RETRIES,
            downloads=1,
            words=("rate limit",),
            rate_limit=True,
        ),
        id="429-retry-after",
    ),
    pytest.param(
        Case(
            once(Fault(links_path(BAD), status=403, headers={"retry-after": "0"})),
            "rate_limited",
            ENTITY_ENDPOINT,
            failures=1 + MAX_RETRIES,
            link_calls=1 + MAX_RETRIES,
            downloads=1,
            words=("rate limit",),
            rate_limit=True,
        ),
        id="403-secondary-retry-after",
    ),
    pytest.param(
        Case(
            once(Fault(ANY_FILE, host="download", status=403, times=2)),
            "link_expired",
            DOWNLOAD,
            failures=2,
            link_calls=2,
            downloads=3,
            words=("expired",),
            on_download=True,
        ),
        id="expired-link",
    ),
]


def inject(github: FakeGitHub, store: StaticStore, case: Case, day: date) -> None:
    """Put the fault in place for one refresh of `day`; good's links come slowly when the
    fault sits on the shared download host, so that bad meets it first."""
    github.clear_faults()
    if case.bad_file is not None:
        store.set_raw_report("organization-1-day", BAD, day, case.bad_file(day))
    for fault in case.faults():
        github.add_fault(fault)
    if case.on_download:
        github.add_fault(Fault(links_path(GOOD), action="slow", delay=case.good_delay, times=1))


def scope_warnings(records: list[logging.LogRecord], case: Case) -> list[logging.LogRecord]:
    """WARNING lines, without the client's rate-limit pause lines when `case` is a rate
    limit (those have their own test: test_a_persistent_rate_limit_warns_once)."""
    return [
        r for r in warnings_of(records) if not (case.rate_limit and r.name == "exporter.github")
    ]


@pytest.mark.parametrize("case", CASES)
def test_a_persistent_fault_downs_only_its_scope_and_is_logged_once(
    case: Case,
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old, new = yesterday() - timedelta(days=1), yesterday()
    publish(store, old, OLD_GEN)
    exporter = (
        make_exporter(SCOPES, github=timeout_config(github, case.retries))
        if case.timeout
        else make_exporter(SCOPES)
    )
    exporter.refresh_now()
    before = scrape(exporter).text
    assert value(before, "github_copilot_up", scope=BAD) == 1
    publish(store, new, NEW_GEN)
    inject(github, store, case, new)
    github.clear_requests()
    caplog.set_level(logging.INFO)
    caplog.clear()

    exporter.refresh_now()

    assert scrape(exporter, "/healthz").status_code == 200
    response = scrape(exporter)
    assert response.status_code == 200
    body = response.text
    assert value(body, "github_copilot_up", scope=GOOD) == 1
    assert value(body, "github_copilot_code_generations", scope=GOOD) == NEW_GEN[GOOD]
    assert value(body, "github_copilot_report_day_timestamp_seconds", scope=GOOD) == epoch(new)
    assert value(body, "github_copilot_up", scope=BAD) == 0
    assert value(body, "github_copilot_code_generations", scope=BAD) == OLD_GEN[BAD]
    assert value(body, "github_copilot_report_day_timestamp_seconds", scope=BAD) == epoch(old)
    assert value(body, "github_copilot_last_success_timestamp_seconds", scope=BAD) == value(
        before, "github_copilot_last_success_timestamp_seconds", scope=BAD
    )
    failures = {
        k: v for k, v in samples(body).items() if k.startswith("github_copilot_scope_failure{")
    }
    assert failures == {
        f'github_copilot_scope_failure{{reason="{case.reason}",scope="{BAD}",'
        'scope_type="organization"}': 1.0
    }
    assert (
        value(
            body,
            "github_copilot_api_request_failures_total",
            endpoint=case.endpoint,
            reason=case.reason,
        )
        == case.failures
    )
    # bounded: 1 + max_retries for the client's retries, one renewal of download links
    assert settled(lambda: link_calls(github, BAD), case.link_calls) == case.link_calls
    assert settled(lambda: downloads(github), case.downloads) == case.downloads
    page = scrape(exporter, "/")
    assert page.status_code == 200
    assert f"down ({case.reason})" in page.text

    [warning] = scope_warnings(caplog.records, case)
    assert (getattr(warning, "scope", None), getattr(warning, "reason", None)) == (BAD, case.reason)
    message = warning.getMessage()
    assert message and "\n" not in message
    for word in case.words:
        assert word.lower() in message.lower(), message
    for formatter in (LogfmtFormatter(), JsonFormatter()):
        assert "\n" not in formatter.format(warning)

    inject(github, store, case, new)  # the same failure once more: nothing new to say
    caplog.clear()
    exporter.refresh_now()

    assert scope_warnings(caplog.records, case) == []
    again = scrape(exporter).text
    assert value(again, "github_copilot_up", scope=BAD) == 0
    assert value(again, "github_copilot_code_generations", scope=BAD) == OLD_GEN[BAD]
    assert value(again, "github_copilot_up", scope=GOOD) == 1


def test_a_persistent_rate_limit_warns_once(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    publish(store, yesterday(), NEW_GEN)
    github.add_fault(Fault(links_path(BAD), status=429, headers={"retry-after": "0"}))
    exporter = make_exporter(SCOPES)
    caplog.set_level(logging.INFO)

    exporter.refresh_now()
    first = warnings_of(caplog.records)
    caplog.clear()
    exporter.refresh_now()

    assert [(r.name, getattr(r, "reason", None)) for r in first] == [
        ("exporter.refresh", "rate_limited")
    ]
    assert warnings_of(caplog.records) == []


def test_a_network_failure_is_logged_as_a_sentence_about_the_connection(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    publish(store, yesterday(), NEW_GEN)
    github.add_fault(Fault(links_path(BAD), action="reset"))  # bad never downloads
    github.add_fault(Fault(ANY_FILE, host="download", action="truncate"))  # so good does
    exporter = make_exporter(SCOPES)
    caplog.set_level(logging.INFO)

    exporter.refresh_now()

    logged = {getattr(r, "scope", None): r.getMessage() for r in warnings_of(caplog.records)}
    assert set(logged) == {BAD, GOOD}
    for message in logged.values():
        assert "connection" in message.lower(), message


def test_a_different_failure_is_logged_again_and_recovery_at_info(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    publish(store, yesterday(), NEW_GEN)
    exporter = make_exporter(SCOPES)
    github.add_fault(Fault(links_path(BAD), status=503))
    exporter.refresh_now()
    assert [getattr(r, "reason", None) for r in warnings_of(caplog.records)] == ["server_error"]

    caplog.clear()
    github.clear_faults()
    github.add_fault(Fault(links_path(BAD), status=401))
    exporter.refresh_now()
    exporter.refresh_now()
    assert [getattr(r, "reason", None) for r in warnings_of(caplog.records)] == ["unauthorized"]

    caplog.clear()
    github.clear_faults()
    exporter.refresh_now()
    assert warnings_of(caplog.records) == []
    recovered = [r for r in caplog.records if r.getMessage() == "scope recovered"]
    assert [getattr(r, "scope", None) for r in recovered] == [BAD]
    assert value(scrape(exporter).text, "github_copilot_up", scope=BAD) == 1


# -- transient faults ------------------------------------------------------------------------


@dataclass(frozen=True)
class Blip:
    """A fault that goes away on its own; the refresh must still end with every scope up."""

    faults: list[Fault]
    counted: dict[tuple[str, str], float]  # failures_total by (endpoint, reason)
    link_calls: int  # both orgs together
    downloads: int
    timeout: bool = False


BLIPS = [
    pytest.param(
        Blip(
            [Fault(links_path(BAD), status=502, times=2)],
            {(ENTITY_ENDPOINT, "server_error"): 2},
            link_calls=4,
            downloads=2,
        ),
        id="api-5xx-twice",
    ),
    pytest.param(
        Blip(
            [Fault(ANY_FILE, host="download", status=503, times=2)],
            {(DOWNLOAD, "server_error"): 2},
            link_calls=2,
            downloads=4,
        ),
        id="download-5xx-twice",
    ),
    pytest.param(
        Blip(
            [Fault(links_path(BAD), action="slow", delay=1.5, times=1)],
            {(ENTITY_ENDPOINT, "timeout"): 1},
            link_calls=3,
            downloads=2,
            timeout=True,
        ),
        id="api-stalled-once",
    ),
    pytest.param(
        Blip(
            [Fault(links_path(BAD), action="reset", times=2)],
            {(ENTITY_ENDPOINT, "network"): 2},
            link_calls=4,
            downloads=2,
        ),
        id="api-reset-twice",
    ),
    pytest.param(
        Blip(
            [Fault(ANY_FILE, host="download", action="reset", times=1)],
            {(DOWNLOAD, "network"): 1},
            link_calls=3,
            downloads=3,
        ),
        id="download-reset-once",
    ),
    pytest.param(
        Blip(
            [Fault(ANY_FILE, host="download", action="truncate", times=1)],
            {(DOWNLOAD, "network"): 1},
            link_calls=3,
            downloads=3,
        ),
        id="download-truncated-once",
    ),
    # ~9 chunks 0.15 s apart: longer than the 1 s timeout in all, but no single read is.
    pytest.param(
        Blip(
            [Fault(ANY_FILE, host="download", action="slow", delay=0.15, times=1)],
            {},
            link_calls=2,
            downloads=2,
            timeout=True,
        ),
        id="download-slow-but-steady",
    ),
    pytest.param(
        Blip(
            [Fault(ANY_FILE, host="download", action="slow", delay=1.5, times=1)],
            {(DOWNLOAD, "timeout"): 1},
            link_calls=3,
            downloads=3,
            timeout=True,
        ),
        id="download-stalled-once",
    ),
]


@pytest.mark.parametrize("blip", BLIPS)
def test_a_transient_fault_ends_with_every_scope_up(
    blip: Blip,
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    publish(store, yesterday(), NEW_GEN)
    exporter = (
        make_exporter(SCOPES, github=timeout_config(github))
        if blip.timeout
        else make_exporter(SCOPES)
    )
    for fault in blip.faults:
        github.add_fault(fault)

    exporter.refresh_now()

    body = scrape(exporter).text
    for org in (BAD, GOOD):
        assert value(body, "github_copilot_up", scope=org) == 1
        assert value(body, "github_copilot_code_generations", scope=org) == NEW_GEN[org]
    counted = {
        k: v
        for k, v in samples(body).items()
        if k.startswith("github_copilot_api_request_failures_total{")
    }
    name = "github_copilot_api_request_failures_total"
    assert counted == {
        f'{name}{{endpoint="{endpoint}",reason="{reason}"}}': float(n)
        for (endpoint, reason), n in blip.counted.items()
    }
    both = settled(lambda: link_calls(github, BAD) + link_calls(github, GOOD), blip.link_calls)
    assert both == blip.link_calls
    assert settled(lambda: downloads(github), blip.downloads) == blip.downloads
    assert warnings_of(caplog.records) == []


# -- data not there yet ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [204, 404])
def test_a_day_not_ready_yet_is_no_failure(
    status: int,
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = yesterday() - timedelta(days=1)
    publish(store, old, OLD_GEN)
    exporter = make_exporter(SCOPES)
    exporter.refresh_now()
    asked = (
        value(
            scrape(exporter).text,
            "github_copilot_api_requests_total",
            endpoint=ENTITY_ENDPOINT,
            code=str(status),
        )
        or 0
    )
    publish(store, yesterday(), {GOOD: NEW_GEN[GOOD]})  # bad's day is not processed yet
    if status == 404:
        github.add_fault(Fault(links_path(BAD), status=404))
    caplog.set_level(logging.INFO)
    caplog.clear()

    exporter.refresh_now()

    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope=BAD) == 1
    assert value(body, "github_copilot_report_day_timestamp_seconds", scope=BAD) == epoch(old)
    assert value(body, "github_copilot_code_generations", scope=BAD) == OLD_GEN[BAD]
    assert value(body, "github_copilot_report_day_timestamp_seconds", scope=GOOD) == epoch(
        yesterday()
    )
    assert (
        value(body, "github_copilot_api_requests_total", endpoint=ENTITY_ENDPOINT, code=str(status))
        == asked + 1
    )
    assert "github_copilot_api_request_failures_total{" not in body
    assert "github_copilot_scope_failure{" not in body
    assert warnings_of(caplog.records) == []


# -- rate limits -----------------------------------------------------------------------------


def _first(
    seen: list[RecordedRequest], match: Callable[[RecordedRequest], bool], after: float = 0.0
) -> RecordedRequest:
    return next(r for r in seen if match(r) and r.at > after)


def _is_links(org: str) -> Callable[[RecordedRequest], bool]:
    return lambda r: r.host == "api" and r.path.startswith(f"/orgs/{org}/")


def test_rate_limit_with_retry_after_pauses_every_request(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
) -> None:
    publish(store, yesterday(), NEW_GEN)
    github.add_fault(Fault(links_path(BAD), status=429, headers={"retry-after": "1"}, times=1))
    # good's links arrive ~0.4 s late, so its download falls inside bad's pause
    github.add_fault(Fault(links_path(GOOD), action="slow", delay=0.05, times=1))
    exporter = make_exporter(SCOPES)

    exporter.refresh_now()

    stamps = github.requests
    limited = _first(stamps, lambda r: _is_links(BAD)(r) and r.status == 429)
    retry = _first(stamps, _is_links(BAD), after=limited.at)
    assert retry.status == 200
    assert retry.at - limited.at >= 1.0
    files = [s for s in stamps if s.host == "download"]
    assert len(files) == 2
    assert all(s.at - limited.at >= 1.0 for s in files)
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope=BAD) == 1
    assert value(body, "github_copilot_up", scope=GOOD) == 1
    assert (
        value(
            body,
            "github_copilot_api_request_failures_total",
            endpoint=ENTITY_ENDPOINT,
            reason="rate_limited",
        )
        == 1
    )


def test_rate_limit_reset_header_holds_every_request_until_the_reset(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
) -> None:
    publish(store, yesterday(), NEW_GEN)
    reset = int(time.time()) + 2
    github.add_fault(
        Fault(
            links_path(BAD),
            status=403,
            times=1,
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
        )
    )
    github.add_fault(Fault(links_path(GOOD), action="slow", delay=0.05, times=1))
    exporter = make_exporter(SCOPES)

    exporter.refresh_now()

    stamps = github.requests
    limited = _first(stamps, lambda r: _is_links(BAD)(r) and r.status == 403)
    retry = _first(stamps, _is_links(BAD), after=limited.at)
    assert retry.status == 200
    assert reset <= retry.at <= reset + 2.5  # until the reset, not the 60 s fallback
    assert all(s.at >= reset for s in stamps if s.host == "download")
    body = scrape(exporter).text
    assert value(body, "github_copilot_up", scope=BAD) == 1
    assert value(body, "github_copilot_up", scope=GOOD) == 1


def test_a_rate_limit_on_many_scopes_at_once_sends_no_storm(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
) -> None:
    orgs = [f"org{n}" for n in range(8)]
    day = yesterday()
    for org in orgs:
        store.set_report("organization-1-day", org, day, [entity(day, dau=1, gen=3, acc=1)])
    # GitHub refuses the next 8 report requests, whoever sends them.
    github.add_fault(
        Fault(r"/organization-1-day$", status=429, headers={"retry-after": "1"}, times=len(orgs))
    )
    exporter = make_exporter([{"org": org} for org in orgs])

    exporter.refresh_now()

    limited = [s for s in github.requests if s.status == 429]
    assert len(limited) == len(orgs)
    # one answer of 429 pauses everybody: never more than a full semaphore per second
    for first in limited:
        burst = [s for s in limited if first.at <= s.at < first.at + 0.9]
        assert len(burst) <= CONCURRENCY, [round(s.at - limited[0].at, 3) for s in limited]
    body = scrape(exporter).text
    assert all(value(body, "github_copilot_up", scope=org) == 1 for org in orgs)
