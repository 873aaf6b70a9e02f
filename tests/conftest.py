"""Shared fixtures: the fake GitHub on loopback and an exporter pointed at it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import settings

from exporter import config as config_mod
from exporter.app import Exporter
from exporter.fakegithub import FakeGitHub, StaticStore

TOKEN = "ghp_TestTokenThatMustNeverLeak0123456789"

# Property tests: a quick pass while developing, a thorough one in CI.
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=400, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


@pytest.fixture
def store() -> StaticStore:
    return StaticStore()


@pytest.fixture
def github(store: StaticStore) -> Iterator[FakeGitHub]:
    with FakeGitHub(store, token=TOKEN) as fake:
        yield fake


ExporterFactory = Callable[..., Exporter]


@pytest.fixture
def make_exporter(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[ExporterFactory]:
    """Build a served exporter for a list of scopes; refreshes are run by the test."""
    started: list[Exporter] = []
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)

    def make(scopes: list[dict[str, Any]], **extra: Any) -> Exporter:
        raw = {"github": {"api_url": github.api_url, "max_retries": 2}, "scopes": scopes, **extra}
        cfg = config_mod.build(raw, {"GITHUB_TOKEN": TOKEN}, "test-config")
        exporter = Exporter(
            cfg,
            listen=("127.0.0.1", 0),
            client_options={"backoff": 0.01, "min_rate_limit_wait": 0.05},
        )
        exporter.serve()
        started.append(exporter)
        return exporter

    yield make
    for exporter in started:
        exporter.stop()


def scrape(exporter: Exporter, path: str = "/metrics", **headers: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{exporter.port}{path}", headers=headers, timeout=10)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$")


def samples(body: str) -> dict[str, float]:
    """``name{labels}`` -> value for every sample line of a text exposition."""
    out: dict[str, float] = {}
    for line in body.splitlines():
        match = _SAMPLE.match(line)
        if match and not line.startswith("#"):
            out[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return out


def value(body: str, name: str, **labels: str) -> float | None:
    """The value of the one sample of ``name`` whose labels include ``labels``."""
    found = [
        v
        for key, v in samples(body).items()
        if key.split("{", 1)[0] == name and all(f'{k}="{val}"' in key for k, val in labels.items())
    ]
    assert len(found) <= 1, f"{name}{labels} matches {len(found)} samples"
    return found[0] if found else None
