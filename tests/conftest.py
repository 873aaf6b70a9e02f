"""Shared fixtures: the fake GitHub on loopback and an exporter pointed at it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from exporter import config as config_mod
from exporter.app import Exporter, SourceFactory, default_sources
from exporter.fakegithub import FakeGitHub, StaticStore
from exporter.source import Clock, utc_now
from tests.helpers import TOKEN, Answer, AppKey, ExporterFactory, Golden, Hostile

GOLDEN_DIR = Path(__file__).parent / "golden"

# Property tests: a quick pass while developing, a thorough one in CI.
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/* from the current output",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Golden:
    """``golden(name, text)``: ``text`` must equal ``tests/golden/<name>``;
    ``pytest --update-golden`` rewrites the file instead (review the diff)."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN_DIR / name
        if update:
            path.write_text(text, encoding="utf-8")
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{name} differs: run pytest --update-golden after review"

    return check


@pytest.fixture(scope="session")
def app_key() -> AppKey:
    """One GitHub App key for the session (RSA generation takes a while)."""
    return AppKey.generate()


@pytest.fixture
def store() -> StaticStore:
    return StaticStore()


@pytest.fixture
def github(store: StaticStore) -> Iterator[FakeGitHub]:
    with FakeGitHub(store, token=TOKEN) as fake:
        yield fake


@pytest.fixture
def make_exporter(github: FakeGitHub) -> Iterator[ExporterFactory]:
    """Build a served exporter for a list of scopes (``config`` adds top-level config keys);
    refreshes are run by the test."""
    started: list[Exporter] = []

    def make(
        scopes: list[dict[str, Any]],
        *,
        sources: SourceFactory = default_sources,
        clock: Clock = utc_now,
        **config: Any,
    ) -> Exporter:
        raw = {"github": {"api_url": github.api_url, "max_retries": 2}, "scopes": scopes, **config}
        cfg = config_mod.build(raw, {"GITHUB_TOKEN": TOKEN}, "test-config")
        exporter = Exporter(
            cfg,
            listen=("127.0.0.1", 0),
            client_options={"backoff": 0.01, "min_rate_limit_wait": 0.05},
            sources=sources,
            clock=clock,
        )
        exporter.serve()
        started.append(exporter)
        return exporter

    yield make
    for exporter in started:
        exporter.stop()


@pytest.fixture
def hostile() -> Iterator[Callable[[Answer], Hostile]]:
    """``hostile(answer)``: a misbehaving loopback server of the test's own, stopped after."""
    started: list[Hostile] = []

    def start(answer: Answer) -> Hostile:
        server = Hostile(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
