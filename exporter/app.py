"""Wiring: config -> client -> sources -> refresher -> snapshot -> collectors -> HTTP.

Refreshes run on one long-lived asyncio loop in a background thread (the HTTP client's
connection pool belongs to that loop); APScheduler decides when, and the HTTP server only
ever reads the current snapshot.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from exporter import state
from exporter.billing import BillingSource, billing_client, with_pools
from exporter.clients import make_client
from exporter.collector import StatusCollector
from exporter.config import SOURCES, Config
from exporter.github import ApiStats, GitHubClient
from exporter.legacy import LegacySource
from exporter.refresh import Refresher
from exporter.reports import CreditRanking, ReportsSource
from exporter.seats import SeatsSource
from exporter.server import ExporterHTTPServer, Exposition
from exporter.snapshot import Snapshot, SnapshotHolder
from exporter.source import Clock, Resumable, ScopeResult, Source, utc_now
from exporter.webconfig import WebConfig

log = logging.getLogger(__name__)
T = TypeVar("T")
_CLOSE_SECONDS = 2.0  # for cancelled requests to unwind at shutdown


class LoopThread:
    """An asyncio event loop running in a daemon thread, for the scheduler's jobs."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="refresh-loop", daemon=True
        )
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.submit(coro).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=1)  # a daemon: a loop stuck in a blocking call is left


def _same_states(a: tuple[tuple[object, ...], ...], b: tuple[tuple[object, ...], ...]) -> bool:
    """Whether two keys of saved states match: values compared by identity (a refresh that
    found nothing new keeps the very same objects), the rest by value."""
    return len(a) == len(b) and all(
        x[1] is y[1] and x[0] == y[0] and x[2:] == y[2:] for x, y in zip(a, b, strict=True)
    )


SourceFactory = Callable[[GitHubClient, Clock], Mapping[str, Source]]
"""Builds the sources by name: each usage source under the name ``source:`` gives it in the
config (``reports``, ``legacy``), and ``seats``. Tests pass their own."""

SEATS = "seats"
BILLING = "billing"


def default_sources(client: GitHubClient, clock: Clock) -> dict[str, Source]:
    return {
        "reports": ReportsSource(client, clock),
        "legacy": LegacySource(client, clock),
        SEATS: SeatsSource(client, clock),
    }


BillingFactory = Callable[[Config, GitHubClient, GitHubClient, Clock], Source]
"""Builds the billing source from the config, the billing client and the metrics client
(per-user spend ranks users by the usage reports, read with the metrics credential)."""


def default_billing(
    config: Config, billing: GitHubClient, metrics: GitHubClient, clock: Clock
) -> Source:
    ranking = (
        CreditRanking(ReportsSource(metrics, clock), clock) if config.billing.top_users else None
    )
    return BillingSource(billing, config.billing, clock, ranking)


@dataclass
class Exporter:
    """The running exporter; ``start()`` serves and schedules, ``stop()`` undoes it."""

    config: Config
    listen: tuple[str, int] = ("127.0.0.1", 9185)
    telemetry_path: str = "/metrics"
    client_options: dict[str, float] = field(default_factory=dict)
    holder: SnapshotHolder = field(default_factory=SnapshotHolder)
    stats: ApiStats = field(default_factory=ApiStats)
    web: WebConfig | None = None
    sources: SourceFactory = default_sources
    clock: Clock = utc_now
    billing_source: BillingFactory = default_billing

    def __post_init__(self) -> None:
        restored = None if self.config.state_file is None else state.load(self.config.state_file)
        if restored is not None:
            self.holder.swap(restored.snapshot)
        self.loop = LoopThread()
        self.client = make_client(self.config, self.stats, self.client_options)
        sources = self.sources(self.client, self.clock)
        usage: dict[str, Source] = {name: sources[name] for name in SOURCES}
        self._resumable = {n: s for n, s in usage.items() if isinstance(s, Resumable)}
        for name, source in self._resumable.items():  # a restart same day downloads nothing
            source.resume(
                {
                    s.scope: ScopeResult(s.values, s.report_day)
                    for s in self.holder.current.scopes
                    if s.up and s.scope.source == name
                },
                restored.sources.get(name, {}) if restored is not None else {},
            )
        self._saved: tuple[tuple[object, ...], ...] | None = None
        self.refresher = Refresher(self.config, usage, self.holder, clock=self.clock)
        owners = tuple(s for s in self.config.scopes if not s.is_team)
        # The pool is seats x credits per seat: recomputed whenever either part changes.
        derive = self._pools if self.config.billing.enabled else None
        self.seats: Refresher | None = None
        if self.config.seats.enabled:
            self.seats = Refresher(
                self.config,
                {SEATS: sources[SEATS]},
                self.holder,
                part="seats",
                scopes=owners,
                source_of=lambda _scope: SEATS,
                clock=self.clock,
                derive=derive,
                deadline=self._deadline(self.config.seats.interval),
            )
        self.billing_client = self.client
        self.billing: Refresher | None = None
        if self.config.billing.enabled:
            self.billing_client = billing_client(
                self.config, self.stats, self.client, self.client_options
            )
            billing = self.billing_source(self.config, self.billing_client, self.client, self.clock)
            self.billing = Refresher(
                self.config,
                {BILLING: billing},
                self.holder,
                part="billing",
                scopes=owners,
                source_of=lambda _scope: BILLING,
                clock=self.clock,
                derive=derive,
                deadline=self._deadline(self.config.billing.interval),
            )
        self.live_registry = CollectorRegistry(auto_describe=False)
        self.live_registry.register(
            StatusCollector(self.stats, lambda: self.refresher.runs, demo=self.config.demo)
        )
        for extra in (ProcessCollector, PlatformCollector, GCCollector):
            extra(registry=self.live_registry)
        self.exposition = Exposition(self.holder, self.live_registry)
        self._publish()  # a restored state file is served (and ready) at once
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.server: ExporterHTTPServer | None = None
        self._stopped = False
        self._server_thread: threading.Thread | None = None
        self._running: set[Future[object]] = set()
        self._running_lock = threading.Lock()

    def refresh_now(self) -> None:
        """Run one usage refresh to completion (the scheduled job, also used by tests)."""
        if self._run(self.refresher):
            self.save_state(changed_only=True)

    def refresh_seats_now(self) -> None:
        if self.seats is not None:
            self._run(self.seats)

    def refresh_billing_now(self) -> None:
        if self.billing is not None:
            self._run(self.billing)

    def _pools(self, snapshot: Snapshot) -> Snapshot:
        return with_pools(snapshot, self.config.billing.credits_per_seat)

    def _deadline(self, interval: float) -> float:
        """A part on its own schedule ends before its next run is due."""
        return min(self.config.limits.max_refresh_duration, 0.9 * interval)

    def _run(self, refresher: Refresher) -> bool:
        """One refresh on the loop; False when it did not finish (a shutdown cancelled it,
        or it crashed: the next run tries again)."""
        if self._stopped:
            return False
        future: Future[object] = self.loop.submit(refresher.refresh())
        with self._running_lock:
            self._running.add(future)
        try:
            future.result()
        except CancelledError:  # stop() cancelled it: nothing went wrong
            log.info("refresh cancelled by the shutdown", extra={"part": refresher.part})
            return False
        except Exception:  # the job must survive anything: the next run tries again
            log.exception("refresh failed unexpectedly")
            return False
        finally:
            with self._running_lock:
                self._running.discard(future)
        self._publish()
        return True

    def _publish(self) -> None:
        """Render the current snapshot for scrapes; when it brought new values, settle the
        heap they left (:func:`settle_heap`)."""
        if self.exposition.prepare():
            settle_heap()

    def save_state(self, *, changed_only: bool = False) -> None:
        """Write the state file; with ``changed_only``, not when only times changed since
        the last write (at 200,000 developers the file is tens of MB of JSON: a refresh
        that found nothing new does not rewrite it, so a restart then shows the success
        time of the last write until its first refresh)."""
        snapshot = self.holder.current
        if self.config.state_file is None or not snapshot.scopes:
            return
        key = tuple(
            (s.scope, s.values, s.up, s.report_day, s.reason, s.error) for s in snapshot.scopes
        )
        if changed_only and self._saved is not None and _same_states(key, self._saved):
            return
        saved = {name: source.saved() for name, source in self._resumable.items()}
        state.save(self.config.state_file, snapshot, saved)
        self._saved = key

    def start(self) -> None:
        schedule = self.config.refresh
        trigger = (
            CronTrigger.from_crontab(schedule.cron, timezone="UTC")
            if schedule.cron
            else IntervalTrigger(seconds=schedule.interval, timezone="UTC")
        )
        jobs: list[tuple[str, Callable[[], object], BaseTrigger]] = [
            ("refresh", self.refresh_now, trigger)
        ]
        if self.seats is not None:
            every = IntervalTrigger(seconds=self.config.seats.interval, timezone="UTC")
            jobs.append(("seats", self.refresh_seats_now, every))
        if self.billing is not None:
            every = IntervalTrigger(seconds=self.config.billing.interval, timezone="UTC")
            jobs.append(("billing", self.refresh_billing_now, every))
        for job, run, when in jobs:  # each runs at once, whatever its trigger says; then on it
            self.scheduler.add_job(
                run,
                when,
                id=job,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=datetime.now(UTC),
            )
        self.scheduler.start()
        self.serve()

    def serve(self) -> None:
        """Start only the HTTP server (tests drive refreshes themselves)."""
        self.server = ExporterHTTPServer(
            self.listen,
            self.exposition,
            lambda: self.holder.current,
            self.telemetry_path,
            self.web,
            demo=self.config.demo,
            read_timeout=self.config.limits.http_read_timeout,
            max_connections=self.config.limits.http_max_connections,
        )
        self._server_thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="http", daemon=True
        )
        self._server_thread.start()
        host, port = self.server.server_address[:2]
        log.info(
            "listening",
            extra={"address": f"{host!s}:{port}", "telemetry_path": self.telemetry_path},
        )

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def stop(self) -> None:
        """Stop scheduling, stop serving, cancel a running refresh (its requests are
        cancelled and awaited), save the state; bounded to a few seconds whatever GitHub
        does."""
        if self._stopped:
            return
        self._stopped = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        try:
            self.loop.submit(self._close()).result(timeout=_CLOSE_SECONDS + 1)
        except Exception:  # closing is best effort; the process is going away
            log.debug("closing the HTTP client failed", exc_info=True)
        with self._running_lock:
            running = list(self._running)
        for future in running:  # a job thread still waiting is let go
            future.cancel()
        self.loop.stop()
        self.save_state()

    async def _close(self) -> None:
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        if tasks:  # let each cancelled request unwind and close its connection
            await asyncio.wait(tasks, timeout=_CLOSE_SECONDS)
        await self.client.aclose()
        if self.billing_client is not self.client:
            await self.billing_client.aclose()


def settle_heap() -> None:
    """Collect once, then keep what survives out of the cyclic collector's sight.

    A snapshot with new values (a refresh's, or a restored state file's) leaves a large,
    long-lived heap behind: the snapshot, its rendering, the sources' caches. Python's full
    collections would walk all of it again every few refreshes, 0.12-0.18 s each at 200,000
    developers, a third of a refresh that finds nothing new; this costs 0.16 s once. Frozen
    objects are still freed by reference counting when replaced; reference cycles among
    them wait for the next snapshot with new values, which unfreezes and collects first.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
