"""Turn report records into metric values, following the table in :mod:`exporter.metrics`.

``Values`` maps a metric name to its samples (dimension label values -> value); scope labels
are added by the collector. A field that is missing or not a number gives no sample, never
an error: the API adds and drops fields over time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from exporter import metrics as m

Labels = tuple[str, ...]
Values = dict[str, dict[Labels, float]]
Flat = list[tuple[str, Labels, float]]
_NO_LABELS: Labels = ()


def number(value: object) -> float | None:
    """A JSON number as float; booleans, strings and nulls are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def label(value: object) -> str | None:
    """A label value: strings are trimmed, numbers kept as text, anything else dropped."""
    if type(value) is str:
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _dig(obj: Mapping[str, Any], path: Iterable[str]) -> object:
    current: object = obj
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


# The mapping tables resolved once: (field, metric name) pairs, per breakdown array.
_COUNTER_METRICS = tuple((c.field, m.PREFIX + c.metric) for c in m.COUNTERS)
_BREAKDOWN_METRICS = tuple(
    (
        b.array,
        tuple(field for field, _ in b.keys),
        tuple((field, b.metric(m.COUNTER_BY_FIELD[field])) for field in b.counters),
    )
    for b in m.BREAKDOWNS
)
_NUMBER = (int, float)


def flatten_activity(record: Mapping[str, Any]) -> Flat:
    """The summable part of an entity or user record: counters, breakdowns, CLI, credits.

    Flattened once per record so a user row can be added to several team totals cheaply.
    This is the hot loop of a refresh (once per user row), hence the inlined checks.
    """
    out: Flat = []
    for field, metric in _COUNTER_METRICS:
        value = record.get(field)
        if type(value) in _NUMBER:
            out.append((metric, _NO_LABELS, float(value)))  # type: ignore[arg-type]
    for array, key_fields, counters in _BREAKDOWN_METRICS:
        entries = record.get(array)
        if type(entries) is not list:
            continue
        for entry in entries:
            if type(entry) is not dict:
                continue
            keys = [label(entry.get(field)) for field in key_fields]
            if None in keys:
                continue
            labels: Labels = tuple(keys)  # type: ignore[arg-type]
            for field, metric in counters:
                value = entry.get(field)
                if type(value) in _NUMBER:
                    out.append((metric, labels, float(value)))  # type: ignore[arg-type]
    cli = record.get("totals_by_cli")
    if isinstance(cli, Mapping):
        for path, metric, _ in m.CLI_FIELDS:
            value = number(_dig(cli, path))
            if value is not None:
                out.append((m.PREFIX + metric, _NO_LABELS, value))
    credits_used = number(record.get("ai_credits_used"))
    if credits_used is not None:
        out.append((m.AI_CREDITS_METRIC, _NO_LABELS, credits_used))
    return out


def add_flat(values: Values, flat: Flat) -> None:
    for name, labels, value in flat:
        samples = values.setdefault(name, {})
        samples[labels] = samples.get(labels, 0.0) + value


def entity_values(record: Mapping[str, Any]) -> Values:
    """Values of one enterprise or organization day record (``day_totals[]`` entry)."""
    values: Values = {}
    add_flat(values, flatten_activity(record))
    for field, metric, _ in m.USER_COUNTS:
        value = number(record.get(field))
        if value is not None:
            values[m.PREFIX + metric] = {_NO_LABELS: value}
    cli_users = number(record.get(m.CLI_USERS_FIELD))
    values[m.PREFIX + m.CLI_USERS_FIELD] = {_NO_LABELS: cli_users or 0.0}
    review: dict[Labels, float] = {}
    for window in m.CODE_REVIEW_WINDOWS:
        for engagement in m.CODE_REVIEW_ENGAGEMENTS:
            value = number(record.get(f"{window}_{engagement}_copilot_code_review_users"))
            if value is not None:
                review[(window, engagement)] = value
    if review:
        values[m.CODE_REVIEW_METRIC] = review
    prs = record.get("pull_requests")
    if isinstance(prs, Mapping):
        _pull_request_values(prs, values)
    return values


def _pull_request_values(prs: Mapping[str, Any], values: Values) -> None:
    for field, metric, _ in m.PR_FIELDS:
        value = number(prs.get(field))
        if value is not None:
            values[m.PREFIX + metric] = {_NO_LABELS: value}
    medians: dict[Labels, float] = {}
    for field, author in m.PR_MEDIANS:
        value = number(prs.get(field))
        if value is not None:
            medians[(author,)] = value * 60.0
    if medians:
        values[m.PR_MEDIAN_METRIC] = medians
    by_type = prs.get("copilot_suggestions_by_comment_type")
    if isinstance(by_type, list):
        for entry in by_type:
            if not isinstance(entry, Mapping):
                continue
            comment_type = label(entry.get("comment_type"))
            if comment_type is None:
                continue
            for field, metric in m.PR_BY_COMMENT_TYPE:
                value = number(entry.get(field))
                if value is not None:
                    samples = values.setdefault(m.PREFIX + metric, {})
                    samples[(comment_type,)] = samples.get((comment_type,), 0.0) + value


class UsageAccumulator:
    """Sums user rows (users-1-day) into one scope's values: counters summed, users distinct."""

    __slots__ = ("_review", "_users", "flags", "values")

    def __init__(self) -> None:
        self.values: Values = {}
        self._users: set[object] = set()
        self.flags: dict[str, set[object]] = {metric: set() for _, metric, _ in m.USER_FLAGS}
        self._review: dict[str, set[object]] = {e: set() for _, e in m.CODE_REVIEW_FLAGS}

    def add(self, user: object, row: Mapping[str, Any], flat: Flat) -> None:
        self._users.add(user)
        add_flat(self.values, flat)
        for field, metric, _ in m.USER_FLAGS:
            if row.get(field) is True:
                self.flags[metric].add(user)
        for field, engagement in m.CODE_REVIEW_FLAGS:
            if row.get(field) is True:
                self._review[engagement].add(user)

    def result(self) -> Values:
        """Team values: counters always present (a team with no active member exports 0)."""
        values: Values = {name: dict(samples) for name, samples in self.values.items()}
        for counter in m.COUNTERS:
            values.setdefault(m.PREFIX + counter.metric, {_NO_LABELS: 0.0})
        values[m.PREFIX + "daily_active_users"] = {_NO_LABELS: float(len(self._users))}
        for metric, users in self.flags.items():
            values[m.PREFIX + metric] = {_NO_LABELS: float(len(users))}
        values[m.CODE_REVIEW_METRIC] = {
            ("daily", e): float(len(users)) for e, users in self._review.items()
        }
        return values


def merge_entity_and_users(entity: Values, users: Values) -> Values:
    """Entity-report values win; the users report adds what the entity report lacks."""
    merged: Values = {
        name: dict(samples) for name, samples in users.items() if name not in _USERS_ONLY_SKIP
    }
    for name, samples in entity.items():
        if name == m.CODE_REVIEW_METRIC and name in merged:
            merged[name].update(samples)
        else:
            merged[name] = dict(samples)
    return merged


# Summable activity the entity report already carries in full: never taken from users rows.
_USERS_ONLY_SKIP = frozenset(
    [m.PREFIX + c.metric for c in m.COUNTERS]
    + [b.metric(m.COUNTER_BY_FIELD[f]) for b in m.BREAKDOWNS for f in b.counters]
    + [m.PREFIX + metric for _, metric, _ in m.CLI_FIELDS]
    + [m.PREFIX + "daily_active_users"]
)
