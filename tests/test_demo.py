"""Demo mode as a user meets it: simulated data that never passes for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.helpers import ExporterFactory, scrape, value
from tests.prom import free_port

# What makes the exporter read GitHub instead of demoing; cleared so the default applies.
_CONFIGURING = (
    "GITHUB_TOKEN",
    "GITHUB_TOKEN_FILE",
    "COPILOT_EXPORTER_SCOPES",
    "COPILOT_EXPORTER_CONFIG",
)


@contextmanager
def running(args: list[str], tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``copilot-exporter ARGS`` with nothing configured, until it is ready."""
    env = {k: v for k, v in os.environ.items() if k not in _CONFIGURING}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "exporter", *args, "--web.listen-address", f"127.0.0.1:{port}"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "the exporter exited"
            assert time.monotonic() < deadline, "never became ready"
            time.sleep(0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


@pytest.mark.parametrize("args", [["--demo"], []], ids=["asked", "nothing-configured"])
def test_demo_data_is_announced_in_the_log_the_landing_page_and_a_metric(
    args: list[str], tmp_path: Path
) -> None:
    with running(args, tmp_path) as (url, proc):
        page = httpx.get(f"{url}/", timeout=5).text
        body = httpx.get(f"{url}/metrics", timeout=5).text
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=10)
    banner = page.index("Demo mode")
    assert banner < page.index("<table"), "the notice comes before the scope table"
    assert "not your organization" in page
    info = [line for line in body.splitlines() if line.startswith("github_copilot_exporter_build")]
    assert info and all('mode="demo"' in line for line in info), info
    assert value(body, "github_copilot_up", scope="acme") == 1
    warnings = [line for line in stderr.splitlines() if "level=warning" in line]
    assert any("demo mode" in line and "simulated" in line for line in warnings), stderr
    if not args:
        assert any("no config file and no GitHub token" in line for line in warnings), stderr


def test_real_data_says_live_and_shows_no_demo_notice(make_exporter: ExporterFactory) -> None:
    exporter = make_exporter([{"org": "octo"}])
    assert "Demo mode" not in scrape(exporter, "/").text
    body = scrape(exporter).text
    [info] = [line for line in body.splitlines() if line.startswith("github_copilot_exporter_b")]
    assert 'mode="live"' in info
