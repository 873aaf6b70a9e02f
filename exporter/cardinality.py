"""Cardinality controls: which breakdowns each scope type exports, per-dimension
allow/deny/top-N with an ``other`` bucket, and a ``max_series`` budget.

Applied when a snapshot is built, so what is cut costs nothing at scrape time. Summable
metrics fold what is cut into ``other`` (totals stay right); user counts, medians and
quantiles are dropped instead, since adding them up would count people twice or mean
nothing. A scope may bring rules of its own (its ``repositories:``), which win over the
config's for that scope.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from exporter import metrics as m
from exporter import sanitise
from exporter.aggregate import Labels, Values
from exporter.config import ALL, Cardinality, DimensionRule, Scope, ScopeType
from exporter.snapshot import ScopeState, scope_order

log = logging.getLogger(__name__)
OTHER = "other"


def known_breakdowns() -> frozenset[str]:
    return frozenset(s.breakdown for s in m.all_specs() if s.breakdown)


def known_dimensions() -> frozenset[str]:
    return frozenset(label for s in m.all_specs() if s.breakdown for label in s.labels)


def apply(
    card: Cardinality,
    scope_type: ScopeType,
    values: Values,
    own: Mapping[str, DimensionRule] | None = None,
) -> Values:
    """One scope's values with its breakdown selection and dimension rules applied (``own``:
    the scope's rules, which win over the config's)."""
    enabled = card.breakdowns.get(scope_type, ALL)
    dimensions = {**card.dimensions, **(own or {})}
    ranked = {
        label: _top(values, label, rule.top, rule)
        for label, rule in dimensions.items()
        if rule.top is not None
    }
    out: Values = {}
    index = m.spec_index()
    for name, samples in values.items():
        spec = index.get(name)
        if spec is None:
            continue
        if spec.breakdown is not None and enabled is not None and spec.breakdown not in enabled:
            continue
        rules = (
            [(i, dimensions[label]) for i, label in enumerate(spec.labels) if label in dimensions]
            if spec.breakdown
            else []
        )
        out[name] = _fold(samples, rules, ranked, spec.labels, spec.summable) if rules else samples
    return out


def _top(values: Values, label: str, top: int | None, rule: DimensionRule) -> frozenset[str]:
    """The ``top`` values of ``label`` by total activity over the scope's summable metrics."""
    totals: dict[str, float] = {}
    index = m.spec_index()
    for name, samples in values.items():
        spec = index.get(name)
        if spec is None or not spec.summable or label not in spec.labels:
            continue
        position = spec.labels.index(label)
        for labels, value in samples.items():
            key = labels[position]
            if rule.keeps(key, None):
                totals[key] = totals.get(key, 0.0) + value
    ordered = sorted(totals, key=lambda k: (-totals[k], k))
    return frozenset(ordered[: top or 0])


def _fold(
    samples: Mapping[Labels, float],
    rules: list[tuple[int, DimensionRule]],
    ranked: Mapping[str, frozenset[str]],
    names: tuple[str, ...],
    summable: bool,
) -> dict[Labels, float]:
    out: dict[Labels, float] = {}
    for labels, value in samples.items():
        new = list(labels)
        cut = False
        for position, rule in rules:
            if not rule.keeps(labels[position], ranked.get(names[position])):
                new[position] = OTHER
                cut = True
        if cut and not summable:
            continue
        key = tuple(new)
        out[key] = out.get(key, 0.0) + value
    return out


def series_count(states: Iterable[ScopeState]) -> int:
    return sum(len(samples) for state in states for samples in state.values.values())


@dataclass(frozen=True)
class _Counted:
    """One scope's values in and what the budget made of them: kept per scope so unchanged
    values are neither counted again nor copied (the exposition re-renders only new
    objects)."""

    values: Values
    count: int
    per_breakdown: Mapping[str, int]
    drop: frozenset[str] = frozenset()
    out: Values | None = None  # None: not cut yet


@dataclass
class Budget:
    """Keeps the snapshot under ``max_series`` by dropping the finest breakdowns first."""

    max_series: int | None
    dropped: dict[str, int] = field(default_factory=dict)
    _logged: frozenset[str] = frozenset()
    _memo: dict[Scope, _Counted] = field(default_factory=dict)

    def _counted(self, state: ScopeState) -> _Counted:
        memo = self._memo.get(state.scope)
        if memo is None or memo.values is not state.values:
            breakdowns = m.breakdown_index()
            per_breakdown: dict[str, int] = {}
            count = 0
            for name, samples in state.values.items():
                count += len(samples)
                breakdown = breakdowns.get(name)
                if breakdown:
                    per_breakdown[breakdown] = per_breakdown.get(breakdown, 0) + len(samples)
            memo = self._memo[state.scope] = _Counted(state.values, count, per_breakdown)
        return memo

    def enforce(self, states: list[ScopeState]) -> list[ScopeState]:
        self.dropped = {}
        if self.max_series is None:
            return states
        self._memo = {s.scope: self._memo[s.scope] for s in states if s.scope in self._memo}
        counted = [self._counted(state) for state in states]
        total = sum(c.count for c in counted)
        if total <= self.max_series:
            self._logged = frozenset()
            return states
        per_breakdown: dict[str, int] = {}
        for c in counted:
            for breakdown, n in c.per_breakdown.items():
                per_breakdown[breakdown] = per_breakdown.get(breakdown, 0) + n
        # finest first: most dimensions, then most series
        order = sorted(per_breakdown, key=lambda b: (-b.count("_"), -per_breakdown[b], b))
        drop: set[str] = set()
        for breakdown in order:
            if total <= self.max_series:
                break
            drop.add(breakdown)
            total -= per_breakdown[breakdown]
            self.dropped[breakdown] = per_breakdown[breakdown]
        if frozenset(drop) != self._logged:
            log.warning(
                "more series than max_series: dropped the finest breakdowns",
                extra={
                    "max_series": self.max_series,
                    "series": total,
                    "dropped": ",".join(sorted(drop)),
                },
            )
            self._logged = frozenset(drop)
        return [self._without(state, frozenset(drop)) for state in states]

    def _without(self, state: ScopeState, drop: frozenset[str]) -> ScopeState:
        """The state without the dropped breakdowns (the same values as last time when
        neither its values nor the drop set changed)."""
        memo = self._memo[state.scope]
        out = memo.out
        if out is None or memo.drop != drop:
            breakdowns = m.breakdown_index()
            out = {
                name: samples
                for name, samples in state.values.items()
                if breakdowns.get(name) not in drop
            }
            self._memo[state.scope] = replace(memo, drop=drop, out=out)
        return replace(state, values=out)


class Shaper:
    """The cardinality rules as a snapshot is built: per scope as its values arrive, then
    the series budget over the whole, in exposition order.

    The live refresh and the backfill both shape through this, so a backfilled day holds
    exactly the series (and ``other`` buckets) the live exporter would have shown.
    """

    def __init__(self, card: Cardinality, *, budget: bool = True) -> None:
        self._card = card
        self._budget = Budget(card.max_series if budget else None)

    @property
    def dropped(self) -> dict[str, int]:
        return dict(self._budget.dropped)

    def values(self, scope: Scope, values: Values) -> Values:
        """One scope's values as exported: label values made safe, then the rules."""
        return apply(self._card, scope.type, sanitise.values(values), scope.dimensions)

    def enforce(self, states: Iterable[ScopeState]) -> list[ScopeState]:
        return self._budget.enforce(sorted(states, key=scope_order))

    def shape(self, states: Iterable[ScopeState]) -> list[ScopeState]:
        """Both steps, for states whose values have not been shaped yet."""
        return self.enforce(
            replace(state, values=self.values(state.scope, state.values)) for state in states
        )
