"""A real Prometheus for tests: finding the binaries, free ports, processes that always stop.

Tests that need ``prometheus`` or ``promtool`` call :func:`require_binaries` (or
:func:`require_promtool`): locally a missing binary skips the test with the install command;
under CI (``CI=true``) it fails the test, because CI must run it.

:func:`running_prometheus` starts a server on a free loopback port with a generated
configuration, waits until it is ready and stops it on the way out, also when the test fails.
:func:`backfill_daily_history` turns an exporter's ``/metrics`` text into timestamped daily
samples (the shape a backfill has) and writes them as TSDB blocks with ``promtool``, so that
``offset 7d`` queries have history to read in a Prometheus that started seconds ago.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import yaml
from prometheus_client.core import Metric
from prometheus_client.parser import text_string_to_metric_families

from exporter.backfill import writer

INSTALL_HINT = (
    "install Prometheus to run it: `apt-get install prometheus` (Debian/Ubuntu; the package "
    "brings both prometheus and promtool)"
)


class PrometheusError(RuntimeError):
    """Prometheus answered a query with an error, or a process did not come up."""


@dataclass(frozen=True)
class Binaries:
    prometheus: str
    promtool: str


def _in_ci() -> bool:
    return os.environ.get("CI") == "true"


def _missing(names: Sequence[str]) -> NoReturn:
    message = f"{' and '.join(names)} not found on PATH: {INSTALL_HINT}"
    if _in_ci():
        pytest.fail(f"{message}. CI must run this test.")
    pytest.skip(message)


def require_promtool() -> str:
    """Path of promtool; skips (locally) or fails (CI) when it is missing."""
    found = shutil.which("promtool")
    if found is None:
        _missing(["promtool"])
    return found


def require_binaries() -> Binaries:
    """Paths of prometheus and promtool; skips (locally) or fails (CI) when one is missing."""
    prometheus, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if prometheus is None or promtool is None:
        _missing(
            [
                name
                for name, path in (("prometheus", prometheus), ("promtool", promtool))
                if path is None
            ]
        )
    return Binaries(prometheus, promtool)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ManagedProcess:
    """A child process whose output goes to a log file; :meth:`stop` always reaps it."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=timeout)


def start_process(
    name: str,
    argv: Sequence[str],
    log_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ManagedProcess:
    """Start ``argv`` with stdout and stderr in ``log_dir/<name>.log`` (never a pipe that fills)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
    return ManagedProcess(name, popen, log_path)


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    process: ManagedProcess | None = None,
    interval: float = 0.2,
) -> None:
    """Poll ``condition`` until it holds; fail early when ``process`` exits meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if process is not None and not process.alive():
            raise PrometheusError(
                f"{process.name} exited with code {process.popen.returncode} while waiting "
                f"for {what}; its output:\n{process.log_tail()}"
            )
        if time.monotonic() > deadline:
            tail = f"; output of {process.name}:\n{process.log_tail()}" if process else ""
            raise PrometheusError(f"timed out after {timeout:.0f}s waiting for {what}{tail}")
        time.sleep(interval)


def answers_ok(url: str) -> bool:
    """True when GET ``url`` answers 200."""
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


class Prometheus:
    """HTTP API client of a running Prometheus."""

    def __init__(self, url: str, process: ManagedProcess | None = None) -> None:
        self.url = url.rstrip("/")
        self.process = process
        self._client = httpx.Client(base_url=self.url, timeout=10.0)

    def close(self) -> None:
        self._client.close()

    def _get(self, path: str, params: Sequence[tuple[str, str]]) -> Any:
        response = self._client.get(path, params=tuple(params))
        try:
            body = response.json()
        except ValueError:
            raise PrometheusError(f"{path}: HTTP {response.status_code}: {response.text}") from None
        if body.get("status") != "success":
            raise PrometheusError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query; the result as a list of {metric, value} (scalars become one item)."""
        params = [("query", expr)] if at is None else [("query", expr), ("time", str(at))]
        data = self._get("/api/v1/query", params)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        """Range query; the result as a list of {metric, values}."""
        data = self._get(
            "/api/v1/query_range",
            [("query", expr), ("start", str(start)), ("end", str(end)), ("step", str(step))],
        )
        result: list[dict[str, Any]] = data["result"]
        return result

    def label_values(self, label: str, match: Sequence[str] = ()) -> list[str]:
        values: list[str] = self._get(
            f"/api/v1/label/{label}/values", [("match[]", m) for m in match]
        )
        return values

    def rules(self) -> list[dict[str, Any]]:
        """Every loaded rule (recording and alerting), each with its group's name added."""
        found: list[dict[str, Any]] = []
        for group in self._get("/api/v1/rules", [])["groups"]:
            for rule in group["rules"]:
                found.append({**rule, "group": group["name"]})
        return found


def write_config(
    path: Path,
    scrape_jobs: Mapping[str, Sequence[str]],
    rule_files: Sequence[Path],
    *,
    scrape_interval: str = "1s",
    evaluation_interval: str = "1s",
) -> None:
    """A prometheus.yml scraping ``{job: [host:port, ...]}`` and loading ``rule_files``."""
    config = {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_interval,
            "evaluation_interval": evaluation_interval,
        },
        "rule_files": [str(p.resolve()) for p in rule_files],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": list(targets)}]}
            for job, targets in scrape_jobs.items()
        ],
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


@contextmanager
def running_prometheus(
    binaries: Binaries,
    workdir: Path,
    scrape_jobs: Mapping[str, Sequence[str]],
    rule_files: Sequence[Path],
    *,
    tsdb_path: Path | None = None,
    scrape_interval: str = "1s",
    evaluation_interval: str = "1s",
    ready_timeout: float = 30.0,
) -> Iterator[Prometheus]:
    """Start Prometheus on a free loopback port; stopped (terminate, wait) on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    write_config(
        config,
        scrape_jobs,
        rule_files,
        scrape_interval=scrape_interval,
        evaluation_interval=evaluation_interval,
    )
    check = subprocess.run(
        [binaries.promtool, "check", "config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check.returncode != 0:
        raise PrometheusError(f"promtool check config failed:\n{check.stdout}{check.stderr}")
    port = free_port()
    tsdb = tsdb_path or workdir / "data"
    argv = [
        binaries.prometheus,
        f"--config.file={config}",
        f"--storage.tsdb.path={tsdb}",
        f"--web.listen-address=127.0.0.1:{port}",
        # Backfilled history reaches back further than the default 15 days in some tests.
        "--storage.tsdb.retention.time=400d",
        "--log.level=warn",
    ]
    with ExitStack() as stack:
        process = start_process("prometheus", argv, workdir)
        stack.callback(process.stop)
        url = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: answers_ok(f"{url}/-/ready"),
            timeout=ready_timeout,
            what="Prometheus to be ready",
            process=process,
        )
        client = Prometheus(url, process)
        stack.callback(client.close)
        yield client


def daily_history_openmetrics(
    exposition: str,
    extra_labels: Mapping[str, str],
    timestamps: Sequence[float],
    keep: Callable[[str], bool] = lambda name: True,
) -> str:
    """OpenMetrics text with every gauge sample of ``exposition`` repeated at ``timestamps``,
    written by the backfill's own writer.

    ``extra_labels`` (job, instance) make the series the same ones a scrape would write.
    Counters are left out: a backfilled counter would have to be monotonic across days.
    """
    times = sorted(timestamps)
    families: list[Metric] = []
    for family in text_string_to_metric_families(exposition):
        if family.type not in ("gauge", "unknown", "untyped") or not keep(family.name):
            continue
        gauge = Metric(family.name, family.documentation, "gauge")
        gauge.samples = [
            sample._replace(labels={**sample.labels, **extra_labels}, timestamp=round(ts, 3))
            for sample in family.samples
            for ts in times
        ]
        families.append(gauge)
    return writer.text(families)


def backfill_daily_history(
    promtool: str,
    exposition: str,
    extra_labels: Mapping[str, str],
    tsdb_path: Path,
    *,
    days: int = 8,
    now: float | None = None,
    keep: Callable[[str], bool] = lambda name: True,
) -> None:
    """Write ``days`` days of daily samples (one a day, ending a day ago) as TSDB blocks."""
    start = time.time() if now is None else now
    timestamps = [start - day * 86400 for day in range(1, days + 1)]
    text = daily_history_openmetrics(exposition, extra_labels, timestamps, keep)
    tsdb_path.mkdir(parents=True, exist_ok=True)
    source = tsdb_path.parent / f"backfill-{extra_labels.get('job', 'series')}.om.txt"
    source.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise PrometheusError(
            f"promtool tsdb create-blocks-from failed:\n{result.stdout}{result.stderr}"
        )
