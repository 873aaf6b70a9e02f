"""A hostile world, against the running exporter: shutdown while GitHub misbehaves, a stuck
refresh and the scheduler, and clients that try to starve the HTTP server.

Attackers here are bounded: a fixed number of sockets from the test process, every loop
with its own end, every server on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from exporter import config as config_mod
from exporter.app import Exporter
from exporter.fakegithub import FakeGitHub, Fault, StaticStore
from tests.fixtures import entity
from tests.helpers import (
    TOKEN,
    Answer,
    ExporterFactory,
    Hostile,
    scrape,
    trickle,
    value,
    yesterday,
)

BAD, GOOD = "bad", "good"
HostileFactory = Callable[[Answer], Hostile]
# The exporter runs as its own process here (signals, file limits, real attackers).
pytestmark = pytest.mark.integration

LINKS = r"^/orgs/bad/copilot/metrics/reports/organization-1-day$"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def publish(store: StaticStore) -> None:
    day = yesterday()
    for org in (BAD, GOOD):
        store.set_report("organization-1-day", org, day, [entity(day, dau=5, gen=50, acc=1)])


def saved_state(owner: str) -> str:
    """A state file as a previous run left it, so the process is ready at once."""
    scope = {
        "type": "organization",
        "owner": owner,
        "team": None,
        "source": "reports",
        "up": True,
        "report_day": str(yesterday()),
        "last_success": time.time(),
        "last_failure": None,
        "error": None,
        "reason": None,
        "values": {"github_copilot_code_generations": [[50]]},
    }
    return json.dumps({"version": 1, "created": time.time(), "scopes": [scope]})


def wait_for(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def exporter_process(
    config: str, tmp_path: Path, *args: str, nofile: int | None = None
) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """``python -m exporter`` with ``config``; yields the process, its URL and its stderr
    lines as they come."""
    cfg = tmp_path / "config.yml"
    cfg.write_text(config)
    port = free_port()
    limit = [] if nofile is None else ["prlimit", f"--nofile={nofile}:{nofile}", "--"]
    proc = subprocess.Popen(
        [
            *limit,
            sys.executable,
            "-m",
            "exporter",
            *(args or ("--config.file", str(cfg))),
            "--web.listen-address",
            f"127.0.0.1:{port}",
        ],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "COPILOT_"))},
            "GITHUB_TOKEN": TOKEN,
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or ()), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base) or proc.poll() is not None, 30, "readiness")
        assert proc.poll() is None, "".join(lines)
        yield proc, base, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        reader.join(timeout=5)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


# -- 4. SIGTERM whatever the upstream does ------------------------------------------------------


SHUTDOWN_CASES = ["trickling-download", "rate-limit-wait", "5xx-backoff"]


@pytest.mark.parametrize("case", SHUTDOWN_CASES)
def test_sigterm_exits_within_5_seconds_whatever_github_does(
    case: str, tmp_path: Path, hostile: HostileFactory
) -> None:
    store = StaticStore()
    publish(store)
    slow = hostile(trickle)
    with FakeGitHub(store, token=TOKEN) as github:
        if case == "trickling-download":
            links = json.dumps({"download_links": [f"{slow.url}/report"]}).encode()
            github.add_fault(Fault(LINKS, status=200, body=links))
        elif case == "rate-limit-wait":
            github.add_fault(Fault(LINKS, status=429, headers={"retry-after": "120"}))
        else:
            github.add_fault(Fault(LINKS, status=503))

        def stuck() -> bool:
            if case == "trickling-download":
                return bool(slow.requests)
            return any(r.path.startswith(f"/orgs/{BAD}/") for r in github.requests)

        for attempt in range(3):  # the hang was a race: try it more than once
            state_file = tmp_path / "state.json"
            state_file.write_text(saved_state(GOOD))
            before = state_file.stat().st_ino
            github.clear_requests()
            config = (
                f"github: {{api_url: '{github.api_url}', max_retries: 20}}\n"
                f"scopes: [{{org: {BAD}}}, {{org: {GOOD}}}]\nseats: {{enabled: false}}\n"
                f"state_file: {state_file}\n"
            )
            with exporter_process(config, tmp_path) as (proc, _base, lines):
                wait_for(stuck, 20, "the refresh to meet the fault")
                time.sleep(0.3 + attempt * 0.4)  # inside the wait, the read, the backoff
                started = time.monotonic()
                proc.send_signal(signal.SIGTERM)
                code = proc.wait(timeout=15)
                took = time.monotonic() - started
            stderr = "".join(lines)
            assert code == 0, stderr
            assert took < 5, f"attempt {attempt}: {took:.1f}s\n{stderr}"
            assert "level=error" not in stderr and "Traceback" not in stderr, stderr
            assert state_file.stat().st_ino != before, "state not saved at shutdown"
            assert json.loads(state_file.read_text())["scopes"][0]["owner"] == GOOD


# -- 4. a stuck refresh never blocks the next one ----------------------------------------------


def test_a_stuck_refresh_ends_before_the_next_one_is_due(
    store: StaticStore, github: FakeGitHub, hostile: HostileFactory
) -> None:
    slow = hostile(trickle)
    publish(store)
    links = json.dumps({"download_links": [f"{slow.url}/report"]}).encode()
    github.add_fault(Fault(LINKS, status=200, body=links))
    cfg = config_mod.build(
        {
            "github": {"api_url": github.api_url, "max_retries": 0},
            "scopes": [{"org": BAD}, {"org": GOOD}],
            "refresh": {"interval": "10s"},
            "seats": {"enabled": False},
            "limits": {"download_deadline": "1h"},
        },
        {"GITHUB_TOKEN": TOKEN},
    )
    exporter = Exporter(cfg, listen=("127.0.0.1", 0))
    started = datetime.now(UTC).timestamp()
    exporter.start()
    try:
        wait_for(lambda: scrape(exporter, "/readyz").status_code == 200, 12, "the first refresh")
        first = scrape(exporter).text
        wait_for(lambda: len(slow.requests) >= 2, 6, "the second refresh, on time")
    finally:
        exporter.stop()
    # the first refresh was cut at 90% of the interval; the next started at 10 s
    assert 8.5 < exporter.holder.current.created - started < 11
    assert value(first, "github_copilot_up", scope=BAD) == 0
    assert value(first, "github_copilot_up", scope=GOOD) == 1  # its owner answered in time
    assert value(first, "github_copilot_refreshes_total", result="partial") == 1


# -- 6. a server that cannot be starved --------------------------------------------------------


def room_for_sockets(count: int) -> None:
    """Raise this process's open-file limit to hold ``count`` sockets and, for a server in
    this process, their other ends (up to the hard limit; a machine that allows fewer
    cannot run the test)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * count + 512
    if soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the open-file hard limit ({hard}) is below {wanted}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@contextmanager
def sockets(count: int, address: tuple[str, int], send: bytes = b"") -> Iterator[int]:
    """``count`` connections to ``address``, opened a hundred at a time (a connection not
    taken within 3 s is given up), each sending ``send`` and then nothing; yields how many
    connected, closes all after."""
    room_for_sockets(count)
    with ExitStack() as stack:
        connected = 0
        for start in range(0, count, 100):
            batch = []
            for _ in range(min(100, count - start)):
                sock = stack.enter_context(socket.socket())
                sock.setblocking(False)
                sock.connect_ex(address)
                batch.append(sock)
            waiting = {sock.fileno(): sock for sock in batch}
            poller = select.poll()
            for fd in waiting:
                poller.register(fd, select.POLLOUT)
            deadline = time.monotonic() + 3
            while waiting and time.monotonic() < deadline:
                for fd, _ in poller.poll(100):
                    sock = waiting.pop(fd)
                    poller.unregister(fd)
                    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                        with contextlib.suppress(OSError):
                            sock.send(send)
                            connected += 1
        yield connected


def scrapes_in_a_row(url: str, count: int = 5, timeout: float = 10) -> list[float]:
    took = []
    for _ in range(count):
        started = time.monotonic()
        response = httpx.get(f"{url}/metrics", timeout=timeout)
        assert response.status_code == 200
        assert "github_copilot_up" in response.text
        took.append(time.monotonic() - started)
    return took


def test_three_thousand_half_sent_requests_do_not_starve_scrapes(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    publish(store)
    # A long read timeout: only the connection cap can save the scrapes here.
    exporter = make_exporter([{"org": GOOD}], limits={"http_read_timeout": "60s"})
    exporter.refresh_now()
    half = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow"
    with sockets(3000, ("127.0.0.1", exporter.port), half) as connected:
        assert connected > 1000
        took = scrapes_in_a_row(f"http://127.0.0.1:{exporter.port}")
        assert exporter.server is not None
        assert exporter.server.connections <= exporter.server.max_connections
    assert max(took) < 5, took


def test_a_client_dripping_its_request_is_cut_off_at_the_read_timeout(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    exporter = make_exporter([{"org": GOOD}], limits={"http_read_timeout": "1s"})
    with socket.create_connection(("127.0.0.1", exporter.port), timeout=5) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        for _ in range(40):  # one header byte every 0.1 s: each read is quick, the whole not
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            time.sleep(0.1)
            if _peer_closed(sock):
                closed = True
                break
        took = time.monotonic() - started
    assert closed, "the server kept waiting for the request"
    assert 0.8 < took < 2.5, took


def _peer_closed(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.setblocking(True)


def test_idle_connections_beyond_a_1024_file_limit_do_not_stop_scrapes(
    tmp_path: Path,
) -> None:
    with exporter_process("", tmp_path, "--demo", nofile=1024) as (proc, base, lines):
        port = int(base.rsplit(":", 1)[1])
        with sockets(1100, ("127.0.0.1", port)) as connected:
            assert connected > 900
            took = scrapes_in_a_row(base)
        assert proc.poll() is None, "".join(lines)
    assert max(took) < 5, took
