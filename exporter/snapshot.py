"""The snapshot: everything ``/metrics`` shows, built whole by a refresh and swapped in.

Scrapes only read the current snapshot; a refresh builds a new one and replaces the
reference in one assignment, so a scrape never sees a half-updated state and needs no lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from exporter.aggregate import Values
from exporter.config import Scope
from exporter.source import Reason


@dataclass(frozen=True)
class ScopeState:
    """One scope's last good values and the outcome of its last refresh."""

    scope: Scope
    up: bool = False
    values: Values = field(default_factory=dict)
    report_day: date | None = None
    last_success: float | None = None
    last_failure: float | None = None
    error: str | None = None
    reason: Reason | None = None
    duration: float | None = None

    def succeeded(
        self, values: Values, report_day: date | None, now: float, duration: float
    ) -> ScopeState:
        return replace(
            self,
            up=True,
            values=values,
            report_day=report_day,
            last_success=now,
            error=None,
            reason=None,
            duration=duration,
        )

    def failed(self, reason: Reason, error: str, now: float, duration: float) -> ScopeState:
        """Keep the last good values; only the status changes."""
        return replace(
            self, up=False, last_failure=now, error=error, reason=reason, duration=duration
        )


_TYPE_ORDER = {"enterprise": 0, "enterprise_team": 1, "organization": 2, "team": 3}


def scope_order(state: ScopeState) -> tuple[int, str]:
    """Enterprise first, teams last, then by name: the order of the exposition."""
    return _TYPE_ORDER[state.scope.type], state.scope.name


@dataclass(frozen=True)
class Snapshot:
    scopes: tuple[ScopeState, ...] = ()
    seats: tuple[ScopeState, ...] = ()  # refreshed on their own schedule
    billing: tuple[ScopeState, ...] = ()  # spend, on a schedule of its own too
    created: float = field(default_factory=time.time)
    generation: int = 0
    ready: bool = False
    dropped: Mapping[str, int] = field(default_factory=dict)  # series cut by max_series
    # (report kind, field) -> records carrying a field no metric maps (API drift)
    unmapped: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def state(self, scope: Scope) -> ScopeState | None:
        for state in self.scopes:
            if state.scope == scope:
                return state
        return None


class SnapshotHolder:
    """The one mutable reference to the current snapshot; swap is atomic."""

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self._snapshot = snapshot or Snapshot()
        self._lock = threading.Lock()

    @property
    def current(self) -> Snapshot:
        return self._snapshot

    def swap(self, snapshot: Snapshot) -> None:
        self.update(lambda _current: snapshot)

    def update(self, change: Callable[[Snapshot], Snapshot]) -> Snapshot:
        """Replace the snapshot with ``change(current)``; writers (the usage, seats and
        billing refreshes) take turns, readers never wait."""
        with self._lock:
            self._snapshot = replace(
                change(self._snapshot), generation=self._snapshot.generation + 1
            )
            return self._snapshot
