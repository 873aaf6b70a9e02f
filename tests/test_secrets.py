"""Secrets stay secret: the token, a GitHub App's key and tokens, and signed download links.

Checked wherever text leaves the exporter: log lines at every level in both formats (in
process, and from the real CLI at debug level), /metrics, the landing page, error
messages and tracebacks, the state file, and the requests the download host receives.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from exporter import config as config_mod
from exporter.app import Exporter
from exporter.auth import AppTokens
from exporter.clients import static_token
from exporter.config import AppAuth
from exporter.fakegithub import FakeGitHub, Fault, RecordedRequest, StaticStore
from exporter.github import ApiError, ApiStats, GitHubClient
from exporter.logs import REDACTED, JsonFormatter, LogfmtFormatter, register_secret
from tests.fixtures import entity
from tests.helpers import TOKEN, AppKey, ExporterFactory, scrape, value, yesterday

BAD, GOOD = "bad", "good"
SCOPES = [{"org": BAD}, {"org": GOOD}]
APP_ID = 4242
# Shaped like no known token, so only the exporter's own registration can hide it.
PLAIN_TOKEN = "plain-secret-7f3a9c2e5b1d4e8f"
FORMATTERS = (LogfmtFormatter(), JsonFormatter())
CLIENT_OPTIONS = {"backoff": 0.01, "min_rate_limit_wait": 0.05}


def links_path(org: str) -> str:
    return rf"^/orgs/{org}/copilot/metrics/reports/organization-1-day$"


def echo_401(secret: str) -> Fault:
    """GitHub (or a proxy in front of it) quoting the credentials it refused."""
    return Fault(
        links_path(BAD),
        status=401,
        body=json.dumps({"message": f"Bad credentials: {secret}"}).encode(),
    )


def publish(store: StaticStore, days: Iterable[date] = ()) -> None:
    for day in days or [yesterday()]:
        for org in (BAD, GOOD):
            store.set_report("organization-1-day", org, day, [entity(day, dau=4, gen=40, acc=10)])


def formatted(records: Iterable[logging.LogRecord]) -> str:
    return "\n".join(f.format(r) for r in records for f in FORMATTERS)


def signatures(requests: Iterable[RecordedRequest]) -> set[str]:
    """The `sig` of every signed link the exporter used."""
    return {r.query["sig"] for r in requests if r.host == "download" and r.query.get("sig")}


def leaks(text: str, secrets: Iterable[str]) -> list[str]:
    return sorted(s for s in secrets if s and s in text)


def assert_no_authorization_on_downloads(requests: Iterable[RecordedRequest]) -> None:
    files = [r for r in requests if r.host == "download"]
    assert files, "nothing was downloaded"
    assert all("authorization" not in r.headers and r.status != 400 for r in files)


def app_secrets(fake: FakeGitHub, key: AppKey) -> list[str]:
    """The key's lines, the JWTs it signed and the installation tokens they bought."""
    jwts = [
        r.headers["authorization"].removeprefix("Bearer ")
        for r in fake.requests
        if r.path.startswith("/app/") or r.path.endswith("/installation")
    ]
    assert jwts and fake.installation_tokens, "the App flow did not run"
    return [*key.lines, *jwts, *fake.installation_tokens]


# -- logs, in process ------------------------------------------------------------------------


def test_debug_logs_in_both_formats_hide_the_token_and_link_signatures(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    publish(store)
    github.add_fault(echo_401(TOKEN))
    github.add_fault(Fault(r"^/reports/", host="download", action="truncate", times=1))
    caplog.set_level(logging.DEBUG)
    exporter = make_exporter(SCOPES)

    exporter.refresh_now()

    sigs = signatures(github.requests)
    assert len(sigs) == 2  # good's first link broke off mid-stream, then a fresh one
    raw = "\n".join(r.getMessage() for r in caplog.records)
    assert leaks(raw, sigs), "httpx no longer logs URLs: this test lost its point"
    text = formatted(caplog.records)
    assert leaks(text, [TOKEN, *sigs]) == []
    assert "Bad credentials" in text and "download failed" in text and REDACTED in text
    assert_no_authorization_on_downloads(github.requests)


def test_a_logged_exception_and_its_traceback_are_scrubbed(app_key: AppKey) -> None:
    secret = "correct-horse-battery-staple-42"
    register_secret(secret)
    url = "https://blob.example/reports/1?sv=2024&se=2026-01-01&sig=Zm9vYmFyc2lnbmF0dXJl"
    log = logging.getLogger("exporter.test_secrets")
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep(logging.DEBUG)
    log.addHandler(handler)
    try:
        try:
            try:
                raise ValueError(f"key {app_key.pem.decode()} for {url}")
            except ValueError as exc:
                raise RuntimeError(f"GET {url} with Bearer {TOKEN} and {secret}") from exc
        except RuntimeError:
            log.exception("failed with %s", TOKEN, extra={"url": url, "token_hint": secret})
    finally:
        log.removeHandler(handler)

    assert len(records) == 1
    text = formatted(records)
    assert "Traceback" in text and "RuntimeError" in text and "ValueError" in text
    assert leaks(text, [TOKEN, secret, "Zm9vYmFyc2lnbmF0dXJl", *app_key.lines]) == []


# -- error messages kept by the exporter -----------------------------------------------------


def test_an_echoed_token_is_kept_in_no_error_message_nor_the_state_file(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    publish(store)
    github.add_fault(echo_401(TOKEN))
    state_file = tmp_path / "state.json"
    exporter = make_exporter(SCOPES, state_file=str(state_file))

    exporter.refresh_now()

    assert value(scrape(exporter).text, "github_copilot_up", scope=BAD) == 0
    assert TOKEN not in scrape(exporter, "/").text
    saved = state_file.read_text()
    assert "Bad credentials" in saved
    assert TOKEN not in saved

    async def ask() -> ApiError:
        async with GitHubClient(github.api_url, static_token(TOKEN)) as client:
            with pytest.raises(ApiError) as caught:
                await client.get(
                    "/orgs/{org}/copilot/metrics/reports/organization-1-day",
                    f"/orgs/{BAD}/copilot/metrics/reports/organization-1-day",
                    {"day": yesterday().isoformat()},
                )
            return caught.value

    error = asyncio.run(ask())
    assert error.reason == "unauthorized"
    assert TOKEN not in str(error)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault(r"^/reports/", host="download", action="truncate"), "network"),
        (Fault(r"^/reports/", host="download", action="reset"), "network"),
        (Fault(r"^/reports/", host="download", action="slow", delay=1.5), "timeout"),
        (Fault(r"^/reports/", host="download", status=403), "link_expired"),
    ],
    ids=["truncated", "reset", "stalled", "expired"],
)
def test_a_failed_download_names_no_signature_in_its_error_or_traceback(
    fault: Fault, reason: str, store: StaticStore, github: FakeGitHub
) -> None:
    publish(store)
    github.add_fault(fault)

    async def fetch() -> tuple[str, ApiError]:
        async with GitHubClient(
            github.api_url, static_token(TOKEN), timeout=1.0, max_retries=0
        ) as client:
            answer = await client.get(
                "/orgs/{org}/copilot/metrics/reports/organization-1-day",
                f"/orgs/{BAD}/copilot/metrics/reports/organization-1-day",
                {"day": yesterday().isoformat()},
            )
            [link] = answer.json()["download_links"]
            with pytest.raises(ApiError) as caught:
                async for _ in client.download(link):
                    pass
            return link, caught.value

    link, error = asyncio.run(fetch())
    sig = link.partition("sig=")[2].partition("&")[0]
    assert sig and error.reason == reason
    shown = "".join(traceback.format_exception(error))
    assert "/reports/" in str(error) or reason == "link_expired"
    assert sig not in shown


# -- the App flow ----------------------------------------------------------------------------


def test_a_github_app_key_stays_secret_and_its_tokens_are_cached_per_installation(
    store: StaticStore,
    app_key: AppKey,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(app_key.pem)
    old = yesterday() - timedelta(days=1)
    publish(store, [old])
    caplog.set_level(logging.DEBUG)
    # The fake's own token is never given to the exporter: only App tokens can get in.
    with FakeGitHub(store, token=TOKEN, app_public_key_pem=app_key.public, app_id=APP_ID) as fake:
        cfg = config_mod.build(
            {
                "github": {
                    "api_url": fake.api_url,
                    "max_retries": 2,
                    "app": {"app_id": APP_ID, "private_key_file": str(key_file)},
                },
                "scopes": SCOPES,
            },
            {},
            "test-config",
        )
        exporter = Exporter(cfg, listen=("127.0.0.1", 0), client_options=CLIENT_OPTIONS)
        exporter.serve()
        try:
            exporter.refresh_now()
            publish(store, [yesterday()])
            exporter.refresh_now()  # a new day, asked with the tokens bought before
            metrics, page = scrape(exporter).text, scrape(exporter, "/").text
        finally:
            exporter.stop()
        requests, tokens = fake.requests, fake.installation_tokens
        secrets = app_secrets(fake, app_key)

    for org in (BAD, GOOD):
        assert value(metrics, "github_copilot_up", scope=org) == 1
        assert (
            value(metrics, "github_copilot_report_day_timestamp_seconds", scope=org)
            == (yesterday() - old.fromtimestamp(0)).total_seconds()
        )
    lookups = sorted(r.path for r in requests if r.path.endswith("/installation"))
    assert lookups == [f"/orgs/{BAD}/installation", f"/orgs/{GOOD}/installation"]
    mints = [r for r in requests if r.method == "POST" and r.path.endswith("/access_tokens")]
    assert len({r.path for r in mints}) == len(mints) == 2  # one per installation, ever
    assert [r.status for r in mints] == [201, 201]
    assert len(tokens) == 2
    for mint in mints:
        claims = jwt.decode(
            mint.headers["authorization"].removeprefix("Bearer "),
            app_key.public,
            algorithms=["RS256"],
        )
        assert claims["iss"] == str(APP_ID)
        assert 0 < claims["exp"] - claims["iat"] <= 660
    used: dict[str, set[str]] = {}
    for r in requests:
        if r.host == "api" and "/copilot/" in r.path:
            used.setdefault(r.path.split("/")[2], set()).add(r.headers["authorization"])
    assert sorted(auth for auths in used.values() for auth in auths) == sorted(
        f"Bearer {t}" for t in tokens
    )
    assert all(len(auths) == 1 for auths in used.values())
    asked_new_day = [
        r for r in requests if r.query.get("day") == yesterday().isoformat() and r.status == 200
    ]
    assert {r.path.split("/")[2] for r in asked_new_day} == {BAD, GOOD}
    assert_no_authorization_on_downloads(requests)
    for text in (formatted(caplog.records), metrics, page):
        assert leaks(text, secrets) == []


# -- the download host -----------------------------------------------------------------------


def test_a_redirect_from_the_api_to_the_download_host_drops_the_token(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    publish(store)
    [link] = httpx.get(
        f"{github.api_url}/orgs/{GOOD}/copilot/metrics/reports/organization-1-day",
        params={"day": yesterday().isoformat()},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()["download_links"]
    github.add_fault(Fault(links_path(BAD), status=302, headers={"location": link}, times=1))
    github.clear_requests()
    exporter = make_exporter(SCOPES)

    exporter.refresh_now()

    followed = [r for r in github.requests if r.host == "download" and r.path in link]
    assert followed, "the redirect was not followed"
    assert_no_authorization_on_downloads(github.requests)


# -- the real process ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Run:
    stderr: str
    metrics: str
    page: str


CliRunner = Callable[[FakeGitHub, str, dict[str, str], str], Run]


@pytest.fixture
def run_cli(tmp_path: Path) -> Iterator[CliRunner]:
    """Start `python -m exporter` against a fake; a run ends after its first refresh."""
    procs: list[subprocess.Popen[str]] = []

    def run(fake: FakeGitHub, github_config: str, env: dict[str, str], log_format: str) -> Run:
        cfg = tmp_path / "config.yml"
        cfg.write_text(
            f"github:\n  api_url: '{fake.api_url}'\n  max_retries: 1\n"
            f"{github_config}scopes: [{{org: {BAD}}}, {{org: {GOOD}}}]\n"
        )
        port = free_port()
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "COPILOT_EXPORTER_"))
        }
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exporter",
                "--config.file",
                str(cfg),
                "--log.level",
                "debug",
                "--log.format",
                log_format,
                "--web.listen-address",
                f"127.0.0.1:{port}",
            ],
            env={**clean, **env},
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        lines: list[str] = []
        assert proc.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(proc.stderr or ()), daemon=True)
        reader.start()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "never became ready:\n" + "".join(lines)
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        page = httpx.get(f"{base}/", timeout=5).text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        reader.join(timeout=5)
        return Run("".join(lines), metrics, page)

    yield run
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def debug_lines(stderr: str, log_format: str) -> list[str]:
    marker = "level=debug" if log_format == "logfmt" else '"level": "debug"'
    return [line for line in stderr.splitlines() if marker in line]


@pytest.mark.parametrize("log_format", ["logfmt", "json"])
def test_the_cli_at_debug_level_prints_no_token_and_no_signature(
    log_format: str, store: StaticStore, run_cli: CliRunner
) -> None:
    publish(store)
    with FakeGitHub(store, token=PLAIN_TOKEN) as fake:
        fake.add_fault(echo_401(PLAIN_TOKEN))
        fake.add_fault(Fault(r"^/reports/", host="download", action="truncate", times=1))
        run = run_cli(fake, "", {"GITHUB_TOKEN": PLAIN_TOKEN}, log_format)
        requests = fake.requests
    assert debug_lines(run.stderr, log_format), run.stderr
    assert "Bad credentials" in run.stderr and "download failed" in run.stderr
    assert value(run.metrics, "github_copilot_up", scope=GOOD) == 1
    assert value(run.metrics, "github_copilot_up", scope=BAD) == 0
    for text in (run.stderr, run.metrics, run.page):
        assert leaks(text, [PLAIN_TOKEN, *signatures(requests)]) == []
    assert_no_authorization_on_downloads(requests)


def test_the_cli_with_a_github_app_prints_no_key_jwt_or_installation_token(
    store: StaticStore, app_key: AppKey, tmp_path: Path, run_cli: CliRunner
) -> None:
    publish(store)
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(app_key.pem)
    with FakeGitHub(store, token=TOKEN, app_public_key_pem=app_key.public, app_id=APP_ID) as fake:
        fake.add_fault(Fault(r"^/reports/", host="download", action="truncate", times=1))
        app = f"  app: {{app_id: {APP_ID}, private_key_file: '{key_file}'}}\n"
        run = run_cli(fake, app, {}, "json")
        requests = fake.requests
        secrets = app_secrets(fake, app_key)
    assert debug_lines(run.stderr, "json"), run.stderr
    assert value(run.metrics, "github_copilot_up", scope=GOOD) == 1
    assert value(run.metrics, "github_copilot_up", scope=BAD) == 1
    for text in (run.stderr, run.metrics, run.page):
        assert leaks(text, [*secrets, *signatures(requests)]) == []
    assert_no_authorization_on_downloads(requests)


def test_an_installation_token_is_renewed_before_it_expires(
    app_key: AppKey, tmp_path: Path
) -> None:
    """Within five minutes of expiry a fresh token is bought; before that the cached one."""

    key_file = tmp_path / "app.pem"
    key_file.write_bytes(app_key.pem)
    store = StaticStore()
    store.add_owner("orgs/octo")
    with FakeGitHub(store, token=TOKEN, app_public_key_pem=app_key.public, app_id=4711) as fake:
        tokens = AppTokens(AppAuth(4711, key_file), fake.api_url, ApiStats())
        path = "/orgs/octo/copilot/metrics/reports/organization-1-day"
        first = asyncio.run(tokens.token_for(path))
        assert asyncio.run(tokens.token_for(path)) == first
        assert len(fake.installation_tokens) == 1
        (installation,) = tokens._tokens  # age the cached token to 4 minutes before expiry
        tokens._tokens[installation] = replace(
            tokens._tokens[installation], expires=time.time() + 240
        )
        renewed = asyncio.run(tokens.token_for(path))
    assert renewed != first
    assert fake.installation_tokens == [first, renewed]
