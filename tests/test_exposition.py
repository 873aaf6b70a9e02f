"""The exposition written straight from the snapshot: byte for byte what prometheus-client
writes from the collector, rendered again only where values changed; a refresh or a restart
that finds nothing new redoes nothing (issue 15)."""

from __future__ import annotations

import gc
import gzip
import http.client
import time
import weakref
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as om_generate_latest

from exporter import metrics as m
from exporter import textformat
from exporter.aggregate import Values
from exporter.app import Exporter
from exporter.collector import SnapshotCollector
from exporter.config import Scope
from exporter.fakegithub import FakeGitHub, StaticStore
from exporter.server import Exposition
from exporter.snapshot import ScopeState, Snapshot, SnapshotHolder
from tests.fixtures import ESTATE_SCOPES, SURFACES_SCOPES, estate, surfaces_estate
from tests.helpers import ExporterFactory, normalise, scrape, yesterday

STATUS = {name for name, _ in textformat.STATUS}


def reference(snapshot: Snapshot, openmetrics: bool) -> bytes:
    """What prometheus-client writes from the collector (the exposition before issue 15)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(lambda: snapshot))
    if openmetrics:
        return bytes(om_generate_latest(registry))  # type: ignore[no-untyped-call]
    return generate_latest(registry)


def rendered(exposition: Exposition, openmetrics: bool) -> bytes:
    plain = b"".join(exposition.render(openmetrics=openmetrics, compressed=False))
    compressed = b"".join(exposition.render(openmetrics=openmetrics, compressed=True))
    assert gzip.decompress(compressed) == plain
    return plain


def exposition_of(snapshot: Snapshot) -> Exposition:
    """An exposition of the snapshot alone (no live part but OpenMetrics' ``# EOF``)."""
    return Exposition(SnapshotHolder(snapshot), CollectorRegistry(auto_describe=False))


def refreshed_estate(
    store: StaticStore, make_exporter: ExporterFactory, state_file: Path | None = None
) -> Exporter:
    day = yesterday()
    estate(store, day)
    surfaces_estate(store, day)
    scopes = ESTATE_SCOPES + SURFACES_SCOPES
    if state_file is None:
        exporter = make_exporter(scopes)
    else:
        exporter = make_exporter(scopes, state_file=str(state_file))
    exporter.refresh_now()
    return exporter


def test_the_golden_estate_renders_as_prometheus_client_renders_it(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    snapshot = refreshed_estate(store, make_exporter).holder.current
    for openmetrics in (False, True):
        assert rendered(exposition_of(snapshot), openmetrics) == reference(snapshot, openmetrics)


LABEL = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
NUMBER = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**62), 2**62)
SCALAR = m.PREFIX + "code_generations"
BY_EDITOR = m.PREFIX + "code_generations_by_editor"
BY_MODEL = m.PREFIX + "code_generations_by_language_model"
states = st.lists(
    st.builds(
        lambda name, up, day, success, scalar, editors, models: ScopeState(
            Scope("organization", name or "o"),
            up,
            {
                SCALAR: {(): scalar},
                BY_EDITOR: {(e,): v for e, v in editors},
                BY_MODEL: {(a, b): v for a, b, v in models},
            },
            day,
            success,
        ),
        LABEL,
        st.booleans(),
        st.none() | st.dates(date(1971, 1, 1), date(2100, 1, 1)),
        st.none() | NUMBER,
        NUMBER,
        st.lists(st.tuples(LABEL, NUMBER), max_size=3),
        st.lists(st.tuples(LABEL, LABEL, NUMBER), max_size=3),
    ),
    max_size=4,
    unique_by=lambda s: s.scope,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(states)
def test_any_label_text_and_number_render_as_prometheus_client_renders_them(
    scopes: list[ScopeState],
) -> None:
    snapshot = Snapshot(tuple(scopes), dropped={"editor": 3}, unmapped={("users-1-day", 'a"b'): 1})
    for openmetrics in (False, True):
        assert rendered(exposition_of(snapshot), openmetrics) == reference(snapshot, openmetrics)


def test_every_help_text_reads_the_same_in_both_formats() -> None:
    """The snapshot is rendered once for both formats: OpenMetrics escapes ``"`` in a help
    text and the text format does not, so no help text may hold one."""
    assert [spec.name for spec in m.all_specs() if '"' in spec.help] == []


def test_a_changed_scope_re_renders_only_its_families_and_gives_a_fresh_rendering(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    snapshot = refreshed_estate(store, make_exporter).holder.current
    holder = SnapshotHolder(snapshot)
    exposition = Exposition(holder, CollectorRegistry(auto_describe=False))
    exposition.prepare()
    team = next(s for s in snapshot.scopes if s.scope.name == "octo/web")
    values: Values = {**team.values, SCALAR: {(): 12345678.0}}
    holder.swap(
        replace(
            snapshot,
            scopes=tuple(replace(s, values=values) if s is team else s for s in snapshot.scopes),
        )
    )

    exposition.prepare()

    # the team's families only: the status samples (times, up) read as before
    assert set(exposition.rendered) == set(team.values)
    assert set(exposition.rendered) != {n for s in snapshot.scopes for n in s.values}
    for openmetrics in (False, True):
        body = rendered(exposition, openmetrics)
        assert body == rendered(exposition_of(holder.current), openmetrics)
        assert (
            b'github_copilot_code_generations{scope="octo/web",scope_type="team"} 1.2345678e+07'
            in body
        )
    # and back again: the body reads as a fresh rendering of that snapshot
    holder.swap(snapshot)
    exposition.prepare()
    for openmetrics in (False, True):
        assert rendered(exposition, openmetrics) == rendered(exposition_of(snapshot), openmetrics)


def test_a_refresh_that_finds_no_newer_day_redoes_nothing(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    exporter = refreshed_estate(store, make_exporter, state_file)
    before = exporter.holder.current
    body = normalise(scrape(exporter).text)
    pieces = exporter.exposition.render(openmetrics=False, compressed=False)
    written = state_file.stat().st_mtime_ns
    github.clear_requests()

    exporter.refresh_now()

    after = exporter.holder.current
    assert after.generation > before.generation
    assert all(a.values is b.values for a, b in zip(after.scopes, before.scopes, strict=True))
    assert set(exporter.exposition.rendered) <= STATUS  # the values' families are reused
    # the scope families' text is served as it was, not joined again next to itself
    (status, families, _live) = exporter.exposition.render(openmetrics=False, compressed=False)
    assert families is pieces[1] and len(families) > 10 * len(status)
    assert [r for r in github.requests if r.host == "download"] == []
    assert state_file.stat().st_mtime_ns == written  # only times changed: not rewritten
    assert normalise(scrape(exporter).text) == body


def test_a_restart_the_same_day_downloads_nothing_and_serves_the_same_values(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    exporter = refreshed_estate(store, make_exporter, state_file)
    body = normalise(scrape(exporter).text)
    exporter.stop()
    github.clear_requests()

    restarted = make_exporter(ESTATE_SCOPES + SURFACES_SCOPES, state_file=str(state_file))
    restarted.refresh_now()

    assert [r.path for r in github.requests if r.host == "download"] == []
    # yesterday's reports are in: no newer day can be out yet, so nothing was asked at all
    assert [r.path for r in github.requests if "/copilot/metrics/reports/" in r.path] == []
    assert all(s.up for s in restarted.holder.current.scopes)
    assert normalise(scrape(restarted).text) == body


def test_after_a_restart_a_newer_day_is_read_in_full(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory, tmp_path: Path
) -> None:
    """Restored results of the day before yesterday: asked whether yesterday is out; it is."""
    state_file = tmp_path / "state.json"
    estate(store, yesterday() - timedelta(days=1))
    exporter = make_exporter(ESTATE_SCOPES, state_file=str(state_file))
    exporter.refresh_now()
    exporter.stop()
    day = yesterday()
    estate(store, day)
    github.clear_requests()

    restarted = make_exporter(ESTATE_SCOPES, state_file=str(state_file))
    restarted.refresh_now()

    assert {s.report_day for s in restarted.holder.current.scopes} == {day}
    assert [r for r in github.requests if r.host == "download"] != []


class _Cycle:
    """Garbage only the cyclic collector frees."""

    def __init__(self) -> None:
        self.me = self


def test_a_refresh_with_new_values_collects_once_and_freezes_what_it_leaves(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    """Python's full collections would walk the whole snapshot every few refreshes (~0.15 s
    at 200,000 developers); a refresh that finds nothing new must not pay for that."""
    cycle = _Cycle()
    ref = weakref.ref(cycle)
    del cycle
    exporter = refreshed_estate(store, make_exporter)

    assert ref() is None  # collected before the freeze, not kept for ever
    first = exporter.holder.current.scopes[0]
    tracked = {id(o) for o in gc.get_objects()}  # every generation but the frozen one
    assert id(first) not in tracked and id(first.values) not in tracked

    exporter.refresh_now()  # nothing new: no collection, no freeze

    again = exporter.holder.current.scopes[0]
    assert again.values is first.values
    assert id(again) in {id(o) for o in gc.get_objects()}


def test_scrapes_on_one_keep_alive_connection_are_not_held_back_by_nagle(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    """A body goes out in pieces (no copy per scrape); with Nagle's algorithm the small last
    piece waited for the client's delayed ACK (40 ms on Linux) on every other scrape, and a
    scraper like Prometheus, one connection per target, paid it (p50 44 ms for gzip)."""
    exporter = refreshed_estate(store, make_exporter)
    conn = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=10)
    stalled = 0
    for headers in [{"Accept-Encoding": "gzip"}, {}] * 15:
        started = time.perf_counter()
        conn.request("GET", "/metrics", headers=headers)
        response = conn.getresponse()
        assert response.status == 200 and response.read()
        stalled += time.perf_counter() - started >= 0.038  # the delayed-ACK floor
    conn.close()
    assert stalled <= 5  # of 30; nearly all of the gzip ones stall with Nagle
