"""Running the exporter as a process: state file, shutdown, TLS and basic auth."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import bcrypt
import httpx
import pytest

from exporter import config as config_mod
from exporter import webconfig
from exporter.app import Exporter
from exporter.config import ConfigError
from exporter.fakegithub import FakeGitHub, Fault, StaticStore
from tests.fixtures import ESTATE_SCOPES, estate
from tests.helpers import TOKEN, ExporterFactory, scrape, self_signed_certificate, value, yesterday


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 20.0, **kwargs: object) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_restart_serves_the_saved_snapshot_at_once(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    day = yesterday() - dt.timedelta(days=1)
    estate(store, day)
    first = make_exporter(ESTATE_SCOPES, state_file=str(state_file))
    first.refresh_now()
    before = scrape(first).text
    first.stop()
    assert json.loads(state_file.read_text())["version"] == 1
    assert not list(tmp_path.glob(".state.json.*")), "temporary file left behind"

    github.add_fault(Fault(path_regex=".*", host="api", status=503, times=None))
    second = make_exporter(ESTATE_SCOPES, state_file=str(state_file))
    restored = scrape(second).text  # before any refresh
    assert scrape(second, "/readyz").status_code == 200
    for name, labels in [
        ("github_copilot_code_generations", {"scope": "octo/web"}),
        ("github_copilot_report_day_timestamp_seconds", {"scope": "acme"}),
        ("github_copilot_last_success_timestamp_seconds", {"scope": "hub"}),
    ]:
        assert value(restored, name, **labels) == value(before, name, **labels)
    second.refresh_now()  # GitHub is down now: restored values stay, scopes go down
    after = scrape(second).text
    assert value(after, "github_copilot_up", scope="octo") == 0
    assert value(after, "github_copilot_code_generations", scope="octo/web") == value(
        before, "github_copilot_code_generations", scope="octo/web"
    )


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"version": 1, "scopes": [{"type": 1}]}', b'{"version": 99}', b"\x00\xff"],
)
def test_a_corrupt_state_file_is_reported_and_ignored(
    store: StaticStore,
    make_exporter: ExporterFactory,
    tmp_path: Path,
    content: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_bytes(content)
    estate(store, yesterday())
    exporter = make_exporter([{"org": "octo"}], state_file=str(state_file))
    assert "ignoring unreadable state file" in caplog.text
    assert scrape(exporter, "/readyz").status_code == 503
    exporter.refresh_now()
    assert value(scrape(exporter).text, "github_copilot_up", scope="octo") == 1
    assert json.loads(state_file.read_text())["version"] == 1  # replaced by a good one


def test_sigterm_stops_the_process_quickly_and_saves_state(tmp_path: Path) -> None:
    store = StaticStore()
    estate(store, yesterday())
    with FakeGitHub(store, token=TOKEN) as github:
        cfg = tmp_path / "config.yml"
        state_file = tmp_path / "state.json"
        cfg.write_text(
            f"github: {{api_url: '{github.api_url}'}}\nscopes: [{{org: octo}}]\n"
            f"state_file: {state_file}\n"
        )
        port = free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exporter",
                "--config.file",
                str(cfg),
                "--web.listen-address",
                f"127.0.0.1:{port}",
            ],
            env={**os.environ, "GITHUB_TOKEN": TOKEN},
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 20
            while wait_http(f"http://127.0.0.1:{port}/readyz").status_code != 200:
                assert time.monotonic() < deadline, "never became ready"
                time.sleep(0.1)
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=10)
            took = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
            _, stderr = proc.communicate()
    assert code == 0, stderr
    assert took < 5
    assert "shutting down" in stderr
    saved = json.loads(state_file.read_text())
    assert [s["owner"] for s in saved["scopes"]] == ["octo"]


def test_tls_and_basic_auth_protect_metrics(
    store: StaticStore, github: FakeGitHub, tmp_path: Path
) -> None:
    cert_file, key_file = self_signed_certificate(tmp_path)
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    web_file = tmp_path / "web.yml"
    web_file.write_text(
        f"tls_server_config:\n  cert_file: {cert_file.name}\n"
        f"  key_file: {key_file.name}\nbasic_auth_users:\n  prom: '{hashed}'\n"
    )
    estate(store, yesterday())
    cfg = config_mod.build(
        {"github": {"api_url": github.api_url}, "scopes": [{"org": "octo"}]},
        {"GITHUB_TOKEN": TOKEN},
    )
    exporter = Exporter(cfg, listen=("127.0.0.1", 0), web=webconfig.load(web_file))
    exporter.serve()
    try:
        exporter.refresh_now()
        base = f"https://127.0.0.1:{exporter.port}"
        trust = ssl.create_default_context(cafile=str(cert_file))
        right = httpx.get(f"{base}/metrics", verify=trust, auth=("prom", "s3cret"))
        assert right.status_code == 200
        assert value(right.text, "github_copilot_up", scope="octo") == 1
        assert httpx.get(f"{base}/metrics", verify=trust, auth=("prom", "wrong")).status_code == 401
        assert httpx.get(f"{base}/metrics", verify=trust, auth=("eve", "s3cret")).status_code == 401
        unauthenticated = httpx.get(f"{base}/", verify=trust)
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["www-authenticate"].startswith("Basic")
        assert httpx.get(f"{base}/healthz", verify=trust).status_code == 200  # probes stay open
        with pytest.raises(httpx.ConnectError):  # an untrusted certificate is refused
            httpx.get(f"{base}/metrics", auth=("prom", "s3cret"))
        with pytest.raises(httpx.TransportError):  # plain HTTP gets no answer
            httpx.get(f"http://127.0.0.1:{exporter.port}/metrics", timeout=3)
    finally:
        exporter.stop()


def test_web_config_problems_are_reported_together(tmp_path: Path) -> None:
    web_file = tmp_path / "web.yml"
    web_file.write_text(
        "tls_server_config: {cert_file: missing.crt}\n"
        "basic_auth_users: {prom: plaintext}\nhttp2: true\n"
    )
    with pytest.raises(ConfigError) as info:
        webconfig.load(web_file)
    text = str(info.value)
    assert "needs both cert_file and key_file" in text
    assert "basic_auth_users.prom: expected a bcrypt hash" in text
    assert "http2: unknown key" in text
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "exporter",
            "--demo",
            "--web.config.file",
            str(web_file),
            "--web.listen-address",
            "127.0.0.1:1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid web configuration" in result.stderr
