"""Benchmark: one full refresh of a large simulated enterprise, then scrapes of the result.

    python benchmarks/bench.py [--users 50000 --orgs 20 --teams 2000 --latency 0.05]

The fake GitHub runs in a child process (its generated files do not count against the
exporter's memory) and generates the day's report files before the refresh is timed, as
GitHub serves them from storage; scrapers run in child processes too, so the exporter's CPU
per scrape is its own. Each scrape figure is printed beside the plain approach it replaces:
``generate_latest`` of a registry holding the same series, rendered on every request.
Prints figures only; nothing here asserts a time (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import multiprocessing as mp
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from prometheus_client import CollectorRegistry, generate_latest, make_wsgi_app

from exporter.app import Exporter
from exporter.collector import SnapshotCollector
from exporter.config import Config, GitHubConfig, Scope
from exporter.parse import StreamParser
from exporter.snapshot import Snapshot

TOKEN = "bench-token"  # noqa: S105 (the fake's own)
_PREPARED = ("enterprise-1-day", "organization-1-day", "users-1-day", "user-teams-1-day")


def _serve_fake(conn: Connection, users: int, orgs: int, teams: int, latency: float) -> None:
    from exporter.fakegithub import FakeGitHub, LazyPart, SimulatedStore

    store = SimulatedStore(
        seed=42,
        users=users,
        orgs=orgs,
        teams_per_org=max(1, teams // orgs),
        enterprise_teams=8,
        cache_reports=4 * (orgs + 1),
    )
    # GitHub serves report files from storage: generate the day's files before the clock
    # starts, so the refresh measured is the exporter's, not the simulator's on the same cores.
    for owner in store.owners():
        for kind in _PREPARED:
            report = store.report(kind, owner, store.last_day)
            for part in report.parts if report is not None else ():
                if isinstance(part, LazyPart):
                    part.read()
    fake = FakeGitHub(store, token=TOKEN, latency=latency).start()
    conn.send((fake.api_url, sorted(store.owners())))
    conn.recv()  # until the parent is done
    conn.send(len(fake.requests))
    fake.stop()


def _scrape_loop(
    url: str, deadline: float, headers: dict[str, str], latencies: list[float], failures: list[int]
) -> None:
    """Like Prometheus: one keep-alive connection, body read as sent (gzip not decoded)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            conn.request("GET", parts.path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise OSError(response.status)
            latencies.append(time.perf_counter() - started)
        except (OSError, http.client.HTTPException):
            failures.append(1)
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    conn.close()


def _scraper(
    url: str, clients: int, seconds: float, headers: dict[str, str], out: Connection
) -> None:
    latencies: list[float] = []
    failures: list[int] = []
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_scrape_loop, args=(url, deadline, headers, latencies, failures))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.send((latencies, len(failures)))


def load(
    url: str, clients: int, seconds: float, headers: dict[str, str]
) -> tuple[list[float], int]:
    """`clients` concurrent scrapers (threads of one child process) for `seconds`."""
    ctx = mp.get_context("spawn")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_scraper, args=(url, clients, seconds, headers, send))
    proc.start()
    latencies, failures = recv.recv()
    proc.join()
    return latencies, failures


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def cpu_per_call(fn: Callable[[], object], repeat: int) -> float:
    started = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - started) / repeat * 1000


def scopes_for(owners: list[str]) -> tuple[Scope, ...]:
    scopes: list[Scope] = []
    for path in owners:
        root, name, *team = path.split("/")
        if team:
            continue
        if root == "enterprises":
            scopes += [Scope("enterprise", name), Scope("enterprise_team", name, "*")]
        else:
            scopes += [Scope("organization", name), Scope("team", name, "*")]
    return tuple(scopes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--orgs", type=int, default=20)
    parser.add_argument("--teams", type=int, default=2_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--scrapers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"estate: {args.users} users, {args.orgs} orgs, {args.teams} teams, "
        f"{args.latency * 1000:.0f} ms latency per request"
    )
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    fake = ctx.Process(
        target=_serve_fake, args=(child, args.users, args.orgs, args.teams, args.latency)
    )
    fake.start()
    api_url, owners = parent.recv()
    config = Config(
        GitHubConfig(api_url=api_url, token=TOKEN, timeout=120.0),
        scopes_for(owners),
        origin="bench",
    )
    exporter = Exporter(config, listen=("127.0.0.1", 0))
    exporter.serve()

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    exporter.refresh_now()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    snapshot = exporter.holder.current
    failed = [s.scope.name for s in snapshot.scopes if not s.up]
    requests, _, _ = exporter.stats.copy()
    api_requests = sum(n for (endpoint, _), n in requests.items() if endpoint != "report_download")
    downloads = sum(n for (endpoint, _), n in requests.items() if endpoint == "report_download")
    megabytes = exporter.stats.downloaded_bytes / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("\n== one full refresh")
    print(f"wall time            {wall:8.1f} s   (exporter CPU {cpu:.1f} s)")
    print(
        f"requests             {api_requests:8d} API + {downloads} downloads "
        f"for {len(snapshot.scopes)} scopes ({len(failed)} failed)"
    )
    print(f"downloaded & parsed  {megabytes:8.1f} MB")
    print(
        f"throughput           {megabytes / cpu:8.1f} MB/s per CPU second "
        "(download + parse + aggregate)"
    )
    print(f"peak RSS             {peak:8.0f} MB   (before refresh {rss_before:.0f} MB)")

    started, cpu = time.perf_counter(), time.process_time()
    exporter.refresh_now()
    print(
        f"next refresh         {time.perf_counter() - started:8.2f} s   "
        f"(exporter CPU {time.process_time() - cpu:.2f} s; no newer day: nothing to download)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS             {peak:8.0f} MB   (both refreshes)")

    # Parser alone on the downloaded bytes' shape: a users file from the fake.
    sample = httpx.get(
        f"{api_url}/enterprises/{owners[0].split('/')[1]}/copilot/metrics/reports/users-1-day",
        params={"day": _day(snapshot)},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()
    body = b"".join(httpx.get(link).content for link in sample["download_links"])
    # As a download is parsed: 64 KiB chunks, each record dropped once seen; CPU seconds.
    started = time.process_time()
    parser_ = StreamParser()
    rows = 0
    for offset in range(0, len(body), 1 << 16):
        rows += len(parser_.feed(body[offset : offset + (1 << 16)]))
    rows += len(parser_.close())
    took = time.process_time() - started
    print(
        f"parse only           {len(body) / 1e6 / took:8.1f} MB/s "
        f"({len(body) / 1e6:.1f} MB enterprise users-1-day, {rows} rows, 64 KiB chunks)"
    )
    del body

    url = f"http://127.0.0.1:{exporter.port}/metrics"
    plain = httpx.get(url).content
    gz = gzip.compress(plain)
    series = sum(1 for line in plain.splitlines() if line and not line.startswith(b"#"))
    print("\n== scrapes of the snapshot")
    print(f"series               {series:8d}")
    print(f"exposition           {len(plain) / 1e6:8.1f} MB plain, {len(gz) / 1e6:.1f} MB gzip")

    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(lambda: snapshot))
    ours = cpu_per_call(lambda: exporter.exposition.render(openmetrics=False, compressed=False), 50)
    ours_gz = cpu_per_call(
        lambda: exporter.exposition.render(openmetrics=False, compressed=True), 50
    )
    plain_cpu = cpu_per_call(lambda: generate_latest(registry), 3)
    plain_gz = cpu_per_call(lambda: gzip.compress(generate_latest(registry)), 3)
    print(
        f"server CPU / scrape  {ours:8.2f} ms plain, {ours_gz:.2f} ms gzip   "
        f"| generate_latest: {plain_cpu:.0f} ms plain, {plain_gz:.0f} ms gzip "
        f"({plain_cpu / ours:.0f}x / {plain_gz / ours_gz:.0f}x)"
    )

    gzip_ok = {"Accept-Encoding": "gzip"}
    for name, target, clients in [
        ("exporter", url, 1),  # Prometheus: one keep-alive connection, scrapes one by one
        ("exporter", url, args.scrapers),
        ("generate_latest", _plain_server(registry), args.scrapers),
    ]:
        cpu = time.process_time()
        latencies, failures = load(target, clients, args.seconds, gzip_ok)
        cpu = time.process_time() - cpu
        print(
            f"{name:16s} {clients:2d} scrapers x {args.seconds:.0f} s: "
            f"{len(latencies)} scrapes, {failures} failed, p50 {pct(latencies, 0.5):.1f} ms, "
            f"p99 {pct(latencies, 0.99):.1f} ms, server CPU "
            f"{cpu / max(1, len(latencies)) * 1000:.2f} ms/scrape"
        )
    exporter.stop()
    parent.send("done")
    fake_requests = parent.recv()
    fake.join()
    print(f"\nfake GitHub saw {fake_requests} requests in all")


def _day(snapshot: Snapshot) -> str:
    days = [s.report_day for s in snapshot.scopes if s.report_day]
    return max(days).isoformat() if days else ""


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


def _plain_server(registry: CollectorRegistry) -> str:
    """prometheus_client's own WSGI app on a threading server: render per request."""
    from socketserver import ThreadingMixIn

    class Threading(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    server = make_server("127.0.0.1", 0, make_wsgi_app(registry), Threading, _QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/metrics"


if __name__ == "__main__":
    main()
