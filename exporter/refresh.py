"""One refresh: ask every source for its scopes, then build and swap in a new snapshot.

A scope that fails keeps its last good values (``up`` drops to 0, ``last_success`` stays);
the others carry on. Each failure is logged once when it starts or changes, not every hour.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Literal

from exporter import cardinality, sanitise
from exporter.aggregate import Values
from exporter.config import Config, Scope
from exporter.settings import duration_text
from exporter.snapshot import ScopeState, Snapshot, SnapshotHolder
from exporter.source import (
    Clock,
    FieldDrift,
    Outcome,
    ScopeFailure,
    ScopeResult,
    Source,
    utc_now,
)

log = logging.getLogger(__name__)
Part = Literal["scopes", "seats", "billing"]


def _belongs(state_scope: Scope, configured: Scope) -> bool:
    """A concrete team found by a ``team: "*"`` scope belongs to that wildcard."""
    if configured.is_wildcard:
        return (
            state_scope.type == configured.type
            and state_scope.owner == configured.owner
            and state_scope.is_team
            and state_scope.source == configured.source
        )
    return state_scope == configured


class Refresher:
    """Runs refreshes of one part of the snapshot (usage ``scopes``, ``seats`` or
    ``billing``); holds the sources (and their caches) between runs. ``derive`` recomputes
    what depends on several parts (the AI-credit pool needs seats and billing) each time
    this part changes."""

    def __init__(
        self,
        config: Config,
        sources: Mapping[str, Source],
        holder: SnapshotHolder,
        *,
        part: Part = "scopes",
        scopes: tuple[Scope, ...] | None = None,
        source_of: Callable[[Scope], str] = lambda scope: scope.source,
        clock: Clock = utc_now,
        derive: Callable[[Snapshot], Snapshot] | None = None,
        deadline: float | None = None,
    ) -> None:
        self.config = config
        self.derive = derive
        self.sources = sources
        self.holder = holder
        self.part = part
        self.scopes = config.scopes if scopes is None else scopes
        self.source_of = source_of
        self.clock = clock
        self.runs: dict[str, int] = {"success": 0, "partial": 0, "failure": 0}
        self.shaper = cardinality.Shaper(config.cardinality, budget=part == "scopes")
        # Per scope: the values a source last gave and what shaping made of them. A source
        # whose data did not change hands back the same objects, and then so does this:
        # the exposition re-renders only families whose values are new objects.
        self._shaped: dict[Scope, tuple[Values, Values]] = {}
        # However a source hangs, a refresh ends: before the next one is due.
        self.deadline = (
            config.limits.refresh_deadline(config.refresh) if deadline is None else deadline
        )

    async def _ask(self, name: str, scopes: list[Scope]) -> dict[Scope, Outcome]:
        """One source's outcomes, asked per owner (a source shares requests only between
        scopes of one owner) under one deadline: an owner that hangs fails its own scopes,
        the others keep what they got in time."""
        by_owner: dict[str, list[Scope]] = {}
        for scope in scopes:
            by_owner.setdefault(scope.owner_path, []).append(scope)
        until = asyncio.get_running_loop().time() + self.deadline
        outcomes: dict[Scope, Outcome] = {}
        for answer in await asyncio.gather(
            *(self._ask_owner(name, owned, until) for owned in by_owner.values())
        ):
            outcomes.update(answer)
        return outcomes

    async def _ask_owner(
        self, name: str, scopes: list[Scope], until: float
    ) -> dict[Scope, Outcome]:
        try:
            async with asyncio.timeout_at(until):
                return await self.sources[name].refresh(scopes)
        except TimeoutError:
            log.debug("refresh of the %s source cancelled at its deadline", name)
            message = (
                f"the refresh did not finish within {duration_text(self.deadline)} "
                "(limits.max_refresh_duration, or 90% of refresh.interval) and was cancelled"
            )
            return {s: ScopeFailure("timeout", message) for s in scopes}
        except Exception as exc:  # a bug must not stop the exporter: fail those scopes
            log.exception("refresh of the %s source crashed", name)
            return {s: ScopeFailure("internal_error", repr(exc)) for s in scopes}

    async def refresh(self) -> Snapshot:
        started = time.monotonic()
        by_source: dict[str, list[Scope]] = {}
        for scope in self.scopes:
            by_source.setdefault(self.source_of(scope), []).append(scope)
        outcomes: dict[Scope, Outcome] = {}
        for answer in await asyncio.gather(
            *(self._ask(name, scopes) for name, scopes in by_source.items())
        ):
            outcomes.update(answer)
        duration = time.monotonic() - started
        derive = self.derive or (lambda built: built)
        snapshot = self.holder.update(
            lambda current: derive(
                self._build(current, outcomes, self.clock().timestamp(), duration)
            )
        )
        states = getattr(snapshot, self.part)
        failed = sum(1 for s in states if not s.up)
        result = "success" if not failed else "failure" if failed == len(states) else "partial"
        self.runs[result] += 1
        log.info(
            "refresh finished",
            extra={
                "part": self.part,
                "duration_seconds": round(duration, 3),
                "scopes": len(states),
                "failed": failed,
            },
        )
        return snapshot

    def _build(
        self, current: Snapshot, outcomes: Mapping[Scope, Outcome], now: float, duration: float
    ) -> Snapshot:
        previous = {state.scope: state for state in getattr(current, self.part)}
        states: dict[Scope, ScopeState] = {}
        shaped: dict[Scope, tuple[Values, Values]] = {}
        for found, outcome in outcomes.items():
            scope = _safe_team(found)
            if isinstance(outcome, ScopeResult):
                base = previous.get(scope) or ScopeState(scope)
                values = self._shape(scope, outcome.values, base.values)
                shaped[scope] = (outcome.values, values)
                states[scope] = base.succeeded(values, outcome.day, now, duration)
                if not base.up and base.reason:
                    log.info("scope recovered", extra=_scope_fields(scope))
                continue
            # A failed wildcard fails every team it found before; with none yet, it stands alone.
            configured = next((c for c in self.scopes if _belongs(scope, c)), scope)
            targets = (
                [s for s in previous if _belongs(s, configured)] if scope.is_wildcard else [scope]
            )
            for target in targets or [scope]:
                base = previous.get(target, ScopeState(target))
                error = outcome.describe()
                if base.reason != outcome.reason or base.up or base.error is None:
                    log.warning(
                        "%s", error, extra={**_scope_fields(target), "reason": outcome.reason}
                    )
                states[target] = base.failed(outcome.reason, error, now, duration)
        for scope, memo in self._shaped.items():  # a failed scope keeps its memo
            if scope in states and scope not in shaped:
                shaped[scope] = memo
        self._shaped = shaped
        kept = tuple(self.shaper.enforce(states.values()))
        if self.part == "seats":
            return replace(current, seats=kept, created=now)
        if self.part == "billing":
            return replace(current, billing=kept, created=now)
        return replace(
            current,
            scopes=kept,
            created=now,
            ready=True,
            dropped=self.shaper.dropped,
            unmapped=self._unmapped(),
        )

    def _shape(self, scope: Scope, raw: Values, current: Values) -> Values:
        """``raw`` shaped; the same object as last time when ``raw`` is (or when it is the
        current values themselves: results a restart restored come back shaped already)."""
        if raw is current:
            return current
        memo = self._shaped.get(scope)
        if memo is not None and memo[0] is raw:
            return memo[1]
        return self.shaper.values(scope, raw)

    def _unmapped(self) -> dict[tuple[str, str], int]:
        """API drift as the sources that count it saw it (only the reports source does)."""
        total: dict[tuple[str, str], int] = {}
        for source in self.sources.values():
            if isinstance(source, FieldDrift):
                for key, count in source.unmapped_fields().items():
                    total[key] = total.get(key, 0) + count
        return total


def _safe_team(scope: Scope) -> Scope:
    """A team found in GitHub's data (``team: "*"``) named as a label value can be."""
    if scope.team is None or sanitise.is_safe(scope.team):
        return scope
    return scope.with_team(sanitise.text(scope.team))


def _scope_fields(scope: Scope) -> dict[str, str]:
    return {"scope_type": scope.type, "scope": scope.name}
