"""Collectors: render the current snapshot and the client's live tallies as metric families.

``SnapshotCollector`` renders only what the snapshot holds, so a scope or label value that
disappears from GitHub's data disappears from ``/metrics`` too (no stale global gauges).
Neither collector does I/O; ``describe()`` returns nothing so registering calls no API.

Example output::

    github_copilot_up{scope="octo",scope_type="organization"} 1.0
    github_copilot_code_acceptances_by_editor{editor="vscode",scope="octo",\
scope_type="organization"} 12.0
"""

from __future__ import annotations

import logging
from calendar import timegm
from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from exporter import __version__, sanitise
from exporter import metrics as m
from exporter.aggregate import Labels
from exporter.github import ApiStats
from exporter.snapshot import ScopeState, Snapshot

log = logging.getLogger(__name__)
_SPEC = m.spec_index()


def _gauge(name: str) -> GaugeMetricFamily:
    spec = _SPEC[name]
    return GaugeMetricFamily(name, sanitise.text(spec.help, None), labels=spec.all_labels)


class SnapshotCollector(Collector):
    """Every scope metric of the snapshot, plus per-scope status."""

    def __init__(self, snapshot: Callable[[], Snapshot]) -> None:
        self._snapshot = snapshot

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        snapshot = self._snapshot()
        try:
            status = list(self._status(snapshot))
        except Exception:  # values a snapshot must not hold: the scope metrics still go out
            log.error("cannot render the status metrics", exc_info=True)
            status = []
        yield from status
        families: dict[str, GaugeMetricFamily] = {}
        broken: set[str] = set()
        for state in (*snapshot.scopes, *snapshot.seats, *snapshot.billing):
            for name, samples in state.values.items():
                if name in broken or name not in _SPEC:
                    continue
                family = families.get(name)
                if family is None:
                    family = families[name] = _gauge(name)
                try:
                    _add(family, state, samples)
                except (TypeError, ValueError) as exc:  # one family left out, not /metrics
                    broken.add(name)
                    log.error(
                        "cannot render a metric family: left out of /metrics",
                        extra={"family": name, "err": f"{type(exc).__name__}: {exc}"},
                    )
        for spec in m.all_specs():  # table order, for stable output
            family = families.get(spec.name)
            if family is not None and spec.name not in broken:
                yield family

    @staticmethod
    def _status(snapshot: Snapshot) -> Iterator[Metric]:
        up = _gauge(m.PREFIX + "up")
        day = _gauge(m.PREFIX + "report_day_timestamp_seconds")
        success = _gauge(m.PREFIX + "last_success_timestamp_seconds")
        failure = _gauge(m.PREFIX + "last_failure_timestamp_seconds")
        duration = _gauge(m.PREFIX + "refresh_duration_seconds")
        reason = _gauge(m.PREFIX + "scope_failure")
        for state in snapshot.scopes:
            labels = state.scope.labels
            up.add_metric(labels, 1.0 if state.up else 0.0)
            if state.report_day is not None:
                day.add_metric(labels, float(timegm(state.report_day.timetuple())))
            if state.last_success is not None:
                success.add_metric(labels, state.last_success)
            if state.last_failure is not None:
                failure.add_metric(labels, state.last_failure)
            if state.duration is not None:
                duration.add_metric(labels, state.duration)
            if not state.up and state.reason:
                reason.add_metric((*labels, state.reason), 1.0)
        seats_up = _gauge(m.PREFIX + "seats_up")
        seats_success = _gauge(m.PREFIX + "seats_last_success_timestamp_seconds")
        for state in snapshot.seats:
            labels = state.scope.labels
            seats_up.add_metric(labels, 1.0 if state.up else 0.0)
            if state.last_success is not None:
                seats_success.add_metric(labels, state.last_success)
        dropped = _gauge(m.PREFIX + "series_dropped")
        for breakdown, count in sorted(snapshot.dropped.items()):
            dropped.add_metric((breakdown,), float(count))
        unmapped = _gauge(m.UNMAPPED_FIELDS)
        for (report, path), count in sorted(snapshot.unmapped.items()):
            unmapped.add_metric((report, path), float(count))
        yield from (
            f
            for f in (
                up,
                day,
                success,
                failure,
                duration,
                reason,
                seats_up,
                seats_success,
                dropped,
                unmapped,
            )
            if f.samples
        )
        yield from _billing_status(snapshot)


def _billing_status(snapshot: Snapshot) -> Iterator[Metric]:
    """Per billing scope: up, last success, and the failure reason while it fails."""
    up = _gauge(m.BILLING_UP)
    success = _gauge(m.BILLING_LAST_SUCCESS)
    reason = _gauge(m.BILLING_FAILURE)
    for state in snapshot.billing:
        labels = state.scope.labels
        up.add_metric(labels, 1.0 if state.up else 0.0)
        if state.last_success is not None:
            success.add_metric(labels, state.last_success)
        if not state.up and state.reason:
            reason.add_metric((*labels, state.reason), 1.0)
    yield from (f for f in (up, success, reason) if f.samples)


def _add(family: GaugeMetricFamily, state: ScopeState, samples: dict[Labels, float]) -> None:
    """One scope's samples of a family; a value or label count the metric cannot take
    raises before anything of the family is rendered."""
    scope_labels = (state.scope.type, sanitise.text(state.scope.name))
    width = len(_SPEC[family.name].labels)
    for labels, value in samples.items():
        if len(labels) != width:
            raise ValueError(f"{len(labels)} label values where the metric has {width}")
        family.add_metric((*scope_labels, *labels), float(value))


class StatusCollector(Collector):
    """Live exporter tallies: API requests and failures, rate limit, refresh runs, build."""

    def __init__(
        self, stats: ApiStats, runs: Callable[[], dict[str, int]], *, demo: bool = False
    ) -> None:
        self._stats = stats
        self._runs = runs
        self._mode = "demo" if demo else "live"

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        requests, failures, rate_limits = self._stats.copy()
        yield _counter("api_requests_total", requests.items())
        yield _counter("api_request_failures_total", failures.items())
        downloaded = _counter("report_download_bytes_total", ())
        downloaded.add_metric((), float(self._stats.downloaded_bytes))
        yield downloaded
        remaining = _gauge(m.PREFIX + "rate_limit_remaining")
        reset = _gauge(m.PREFIX + "rate_limit_reset_timestamp_seconds")
        for resource, limit in sorted(rate_limits.items()):
            remaining.add_metric((resource,), limit.remaining)
            reset.add_metric((resource,), limit.reset)
        yield remaining
        yield reset
        yield _counter("refreshes_total", [((k,), v) for k, v in self._runs().items()])
        build = _gauge(m.PREFIX + "exporter_build_info")
        build.add_metric((__version__, self._mode), 1.0)
        yield build


def _counter(name: str, values: Iterable[tuple[Sequence[str], int]]) -> CounterMetricFamily:
    spec = _SPEC[m.PREFIX + name]
    family = CounterMetricFamily(
        spec.name.removesuffix("_total"), sanitise.text(spec.help, None), labels=spec.all_labels
    )
    for labels, value in sorted(values):
        family.add_metric(labels, float(value))
    return family
