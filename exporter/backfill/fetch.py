"""Past days' values: fetched a day at a time through a :class:`DaySource`, or converted from
archived legacy ``/copilot/metrics`` answers.

A kind of day data is a ``DaySource``: given a day, every scope's state for it and what is
missing, and why. :class:`ReportDays` is the usage reports' (the live ``ReportsSource``,
so a backfilled day is what the live refresh would have made of it). Another kind, such as
billing usage fetched day by day, is another ``DaySource`` with its own file tag;
:func:`fetch_days`, resumption and the writer take it as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from exporter.app import make_client
from exporter.config import Config, Scope
from exporter.github import ApiStats
from exporter.legacy import day_of, day_values
from exporter.reports import ReportsSource
from exporter.snapshot import ScopeState
from exporter.source import Reason, ScopeResult

log = logging.getLogger(__name__)

LANDING_DAYS = 2
"""GitHub publishes a day "within two full UTC days": a missing day this recent may still come."""

DAYS_IN_FLIGHT = 4
"""Days fetched at once; the client's own ``concurrency`` still bounds the requests."""

SkipReason = Literal[
    "exists",  # written by an earlier run
    "no_data",  # the source has nothing for the day, and never will
    "not_published",  # nothing yet, but the day is recent enough to come later
    "team_not_found",
    "legacy_source",  # a 'source: legacy' scope in the config: nothing to fetch
    "undated",  # legacy day object without a date
    "duplicate",  # legacy day object repeated
]

PERMANENT_SKIPS: Final[frozenset[SkipReason]] = frozenset({"no_data", "team_not_found"})
"""Reasons a scope has nothing for a day that are final: the day is complete without it."""


@dataclass(frozen=True)
class DayOutcome:
    """One day of every scope of a source: what to write and what is missing, and why."""

    day: date
    states: tuple[ScopeState, ...]
    skipped: tuple[tuple[Scope, SkipReason], ...] = ()
    failed: tuple[tuple[Scope, Reason, str], ...] = ()

    @property
    def complete(self) -> bool:
        """Nothing missing that a later run could still get: only then is the day done."""
        return not self.failed and all(reason in PERMANENT_SKIPS for _, reason in self.skipped)


class DaySource(Protocol):
    """One kind of past-day data, fetched a day at a time."""

    @property
    def file_tag(self) -> str:
        """Its day files are ``DAY.TAG.om`` (``DAY.om`` for an empty tag)."""

    @property
    def scopes(self) -> Sequence[Scope]:
        """The scopes it fetches: all of them fail for a day whose fetch crashes."""

    async def fetch_day(self, day: date) -> DayOutcome: ...


async def fetch_days(
    source: DaySource, days: Sequence[date], on_day: Callable[[DayOutcome], None]
) -> None:
    """Fetch ``days`` a few at a time and hand each outcome to ``on_day`` as it comes."""
    gate = asyncio.Semaphore(DAYS_IN_FLIGHT)

    async def one(day: date) -> None:
        async with gate:
            try:
                outcome = await source.fetch_day(day)
            except Exception as exc:  # a bug must not end the run: this day fails, the rest go on
                log.exception("fetching %s crashed", day)
                reason: Reason = "internal_error"
                outcome = DayOutcome(
                    day, (), (), tuple((s, reason, repr(exc)) for s in source.scopes)
                )
        on_day(outcome)

    await asyncio.gather(*(one(day) for day in days))


# --- the usage reports --------------------------------------------------------------------


class ReportDays:
    """The 1-day usage reports, through the live ``ReportsSource``."""

    file_tag = ""

    def __init__(self, source: ReportsSource, scopes: Sequence[Scope], today: date) -> None:
        self._source = source
        self.scopes = tuple(scopes)
        self._today = today

    async def fetch_day(self, day: date) -> DayOutcome:
        """Every scope's values for ``day``, the live refresh's grouping (per owner)
        included: an organization's values depend on whether its teams are fetched
        alongside."""
        outcomes = await self._source.fetch(self.scopes, day)
        states: list[ScopeState] = []
        skipped: list[tuple[Scope, SkipReason]] = []
        failed: list[tuple[Scope, Reason, str]] = []
        for scope, outcome in outcomes.items():
            if isinstance(outcome, ScopeResult):
                states.append(
                    ScopeState(scope, up=True, values=outcome.values, report_day=outcome.day or day)
                )
            elif outcome.reason == "no_data":
                recent = day >= self._today - timedelta(days=LANDING_DAYS)
                skipped.append((scope, "not_published" if recent else "no_data"))
            elif outcome.reason == "team_not_found":
                skipped.append((scope, "team_not_found"))
            else:
                failed.append((scope, outcome.reason, outcome.message))
        return DayOutcome(day, tuple(states), tuple(skipped), tuple(failed))


@asynccontextmanager
async def report_days(
    config: Config, today: date, client_options: Mapping[str, float] | None = None
) -> AsyncIterator[ReportDays]:
    """The config's ``source: reports`` scopes as a :class:`ReportDays`, its client open.

    The source's clock stands at noon of the run's day, so no fetch depends on the wall
    clock (with the day given, the source does not need one).
    """
    client = make_client(config, ApiStats(), **dict(client_options or {}))
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    scopes = [s for s in config.scopes if s.source == "reports"]
    async with client:
        yield ReportDays(ReportsSource(client, lambda: noon), scopes, today)


# --- archived legacy answers --------------------------------------------------------------


@dataclass
class LegacyDays:
    """An archive's day objects in the --from/--to range as states, one per day (in the
    archive's order), and what was left out."""

    states: dict[date, ScopeState] = field(default_factory=dict)
    duplicates: list[date] = field(default_factory=list)
    undated: int = 0


def legacy_days(
    scope: Scope,
    objects: Sequence[Mapping[str, Any]],
    start: date | None,
    end: date | None,
) -> LegacyDays:
    """Convert archived day objects with the legacy source's own date reading and table
    (``exporter.legacy``), so a day means and holds what the live source makes of it; a
    repeated day keeps its first object."""
    out = LegacyDays()
    for obj in objects:
        day = day_of(obj)
        if day is None:
            out.undated += 1
        elif (start and day < start) or (end and day > end):
            continue
        elif day in out.states:
            out.duplicates.append(day)
        else:
            out.states[day] = ScopeState(scope, up=True, values=day_values(obj), report_day=day)
    return out
