"""Past days' values: fetched a day at a time through a :class:`DaySource`, or converted from
archived legacy ``/copilot/metrics`` answers.

A kind of day data is a ``DaySource``: given a day, every scope's state for it and what is
missing, and why. :class:`ReportDays` is the usage reports' (the live ``ReportsSource``,
so a backfilled day is what the live refresh would have made of it); :class:`BillingDays`
is the spend's (the live ``BillingSource``'s requests and parsing), with its own file tag
and snapshot part; :func:`fetch_days`, resumption and the writer take each as it is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal, Protocol

from exporter import metrics as m
from exporter.billing import (
    AI_CREDITS_SINCE,
    BillingSource,
    Month,
    billing_client,
    failure,
    usage_values,
)
from exporter.clients import make_client
from exporter.config import Config, Scope
from exporter.github import ApiError, ApiStats
from exporter.legacy import day_of, day_values
from exporter.refresh import Part
from exporter.reports import ReportsSource
from exporter.snapshot import ScopeState
from exporter.source import Reason, ScopeFailure, ScopeResult

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
    "no_billing",  # the billing endpoint has no bill for the scope (404)
]

PERMANENT_SKIPS: Final[frozenset[SkipReason]] = frozenset(
    {"no_data", "team_not_found", "no_billing"}
)
"""Reasons a scope has nothing for a day that are final: the day is complete without it."""


@dataclass(frozen=True)
class DayOutcome:
    """One day of every scope of a source: what to write and what is missing, and why."""

    day: date
    states: tuple[ScopeState, ...]
    skipped: tuple[tuple[Scope, SkipReason], ...] = ()
    failed: tuple[tuple[Scope, Reason, str], ...] = ()
    part: Part = "scopes"
    """The snapshot part the states are rendered as (their status metrics follow it)."""

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
    client = make_client(config, ApiStats(), client_options)
    noon = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    scopes = [s for s in config.scopes if s.source == "reports"]
    async with client:
        yield ReportDays(ReportsSource(client, lambda: noon), scopes, today)


# --- spend ---------------------------------------------------------------------------------

BILLING_MONTHS = 24
"""GitHub keeps 24 months of billing usage."""

Items = list[Mapping[str, Any]]


def billing_history_start(today: date) -> date:
    """The first day GitHub still has billing usage for: the 1st, 24 months back."""
    months = today.year * 12 + today.month - 1 - BILLING_MONTHS
    return date(months // 12, months % 12 + 1, 1)


class BillingDays:
    """Spend as the live exporter showed it at the end of each past day: day D holds the
    month-to-date values of D's month, the sum of its days from the 1st to D, each day asked
    once (``day=``) and kept for the later days of its month. AI credits from June 2026, the
    premium-request endpoint before it, under the same metric names (``sku`` tells them
    apart). The pool, budgets, cost centers and per-user spend have no history: not here."""

    file_tag = "billing"

    def __init__(self, source: BillingSource, scopes: Sequence[Scope]) -> None:
        self._source = source
        self.scopes = tuple(s for s in scopes if not s.is_team)
        self._days: dict[tuple[Scope, date], asyncio.Task[Items]] = {}

    def _day(self, scope: Scope, day: date) -> asyncio.Task[Items]:
        """One day's usage items, asked once however many later days need them."""
        key = (scope, day)
        if key not in self._days:
            premium = day < AI_CREDITS_SINCE
            self._days[key] = asyncio.ensure_future(
                self._source.usage(scope, Month.of(day).query(day), premium=premium)
            )
        return self._days[key]

    async def _scope(self, scope: Scope, day: date) -> ScopeResult | ScopeFailure:
        month = Month.of(day)
        try:
            answers = await asyncio.gather(*(self._day(scope, d) for d in month.days_until(day)))
        except ApiError as exc:
            return failure(scope, exc)
        values = usage_values(item for items in answers for item in items)
        values[m.BILLING_MONTH_START] = {(): month.start}
        return ScopeResult(values, day)

    async def fetch_day(self, day: date) -> DayOutcome:
        outcomes = await asyncio.gather(*(self._scope(scope, day) for scope in self.scopes))
        states: list[ScopeState] = []
        skipped: list[tuple[Scope, SkipReason]] = []
        failed: list[tuple[Scope, Reason, str]] = []
        for scope, outcome in zip(self.scopes, outcomes, strict=True):
            if isinstance(outcome, ScopeResult):
                states.append(ScopeState(scope, up=True, values=outcome.values, report_day=day))
            elif outcome.reason == "billing_not_found":
                skipped.append((scope, "no_billing"))
            else:
                failed.append((scope, outcome.reason, outcome.describe()))
        return DayOutcome(day, tuple(states), tuple(skipped), tuple(failed), part="billing")


@asynccontextmanager
async def billing_days(
    config: Config, client_options: Mapping[str, float] | None = None
) -> AsyncIterator[BillingDays]:
    """The config's organization and enterprise scopes as a :class:`BillingDays`, read with
    the billing credential (``github.billing_token``, else the metrics one)."""
    options = dict(client_options or {})
    metrics = make_client(config, ApiStats(), options)
    client = billing_client(config, metrics.stats, metrics, options)
    async with metrics:
        try:
            yield BillingDays(BillingSource(client, config.billing), config.scopes)
        finally:
            if client is not metrics:
                await client.aclose()


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
