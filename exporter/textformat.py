"""The snapshot written straight to exposition text, one family at a time.

What :class:`exporter.collector.SnapshotCollector` yields, rendered by prometheus-client's
``generate_latest``, byte for byte (tests compare the two on the golden estates and on hostile
values), without building a ``Sample`` and a label dict per series first: at 500,000 series
those objects were the exporter's peak memory and most of a refresh's CPU.

Every family here is a gauge with the scope labels; a gauge's sample lines are the same in
the text format and OpenMetrics (label values escaped alike, values as ``floatToGoString``
writes them), and so is its ``# HELP`` line as long as the help text holds no ``"`` (which
OpenMetrics alone escapes; a test keeps the metric table so): a family renders once for
both. A family whose values cannot render (a value that is no
number, a label count the metric does not have, a label that is not text) raises
:class:`FamilyError`; the caller leaves that family out and logs it, as before.
"""

from __future__ import annotations

from calendar import timegm
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from prometheus_client.utils import floatToGoString

from exporter import metrics as m
from exporter import sanitise
from exporter.aggregate import Labels
from exporter.snapshot import ScopeState, Snapshot

_SPEC = m.spec_index()


class FamilyError(ValueError):
    """One family's samples cannot be rendered."""


@dataclass(frozen=True)
class Family:
    """One rendered family: its ``# HELP``/``# TYPE`` header and its sample lines, the same
    in both formats (help texts hold no ``"``, the one character they escape differently;
    a test of the metric table keeps it so)."""

    name: str
    header: str
    samples: str

    @property
    def text(self) -> str:
        return self.header + self.samples


def header(name: str) -> str:
    """The ``# HELP`` and ``# TYPE`` lines of a gauge of the table."""
    doc = sanitise.text(_SPEC[name].help, None).replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {doc}\n# TYPE {name} gauge\n"


def go_float(value: object) -> str:
    """A sample value as prometheus-client writes it (``repr``, Go's exponent form for
    large numbers, ``+Inf``/``NaN``); anything ``float()`` refuses raises."""
    number = float(value)  # type: ignore[arg-type]
    text = repr(number)
    # repr is already the answer unless the value is inf/nan or has 7+ integer digits
    if len(text) > 8 or text[-1] in "fn":
        return str(floatToGoString(number))  # type: ignore[no-untyped-call]
    return text


def escape(value: object) -> str:
    """A label value escaped for both formats; a value that is not text raises."""
    if not isinstance(value, str):
        raise FamilyError(f"label value {value!r} is not text")
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


_NOTHING = object()


class _Lines:
    """Sample lines of one family: label names in sorted order, as the client sorts them,
    with the scope's labels fixed per state."""

    def __init__(self, name: str) -> None:
        self.name = name
        names = _SPEC[name].all_labels
        self.order = sorted(range(len(names)), key=lambda i: names[i])
        self.names = names

    def pieces(self, scope_values: Sequence[str]) -> tuple[list[str], list[int]]:
        """The fixed text between the dimension values of a line, and the dimension
        positions in line order (scope values are fixed, dimensions vary per sample)."""
        fixed: list[str] = [self.name + "{"]
        dims: list[int] = []
        scoped = len(scope_values)
        for n, index in enumerate(self.order):
            fixed[-1] += ("," if n else "") + f'{self.names[index]}="'
            if index < scoped:
                fixed[-1] += escape(scope_values[index]) + '"'
            else:
                dims.append(index - scoped)
                fixed.append('"')
        fixed[-1] += "} "
        return fixed, dims

    def render(self, out: list[str], scope_values: Sequence[str], samples: object) -> None:
        """The lines of ``samples`` (label values of the names after ``scope_values``)."""
        if not isinstance(samples, dict):
            raise FamilyError(f"samples are {type(samples).__name__}, not a mapping")
        fixed, dims = self.pieces(scope_values)
        width = len(self.names) - len(scope_values)
        append = out.append
        if not dims:
            head = fixed[0]
            for labels, value in samples.items():
                if len(labels) != width:
                    raise FamilyError(f"{len(labels)} label values where the metric has {width}")
                append(f"{head}{go_float(value)}\n")
        elif len(dims) == 1:
            head, tail = fixed
            for labels, value in samples.items():
                if len(labels) != width:
                    raise FamilyError(f"{len(labels)} label values where the metric has {width}")
                append(f"{head}{escape(labels[0])}{tail}{go_float(value)}\n")
        elif len(dims) == 2:  # status families (scope_type, scope) and two-way breakdowns
            head, middle, tail = fixed
            first, second = dims
            last: object = _NOTHING
            text = ""
            for labels, value in samples.items():
                if len(labels) != width:
                    raise FamilyError(f"{len(labels)} label values where the metric has {width}")
                if value is not last:  # a status family repeats one time for every scope
                    last, text = value, go_float(value)
                append(
                    f"{head}{escape(labels[first])}{middle}{escape(labels[second])}{tail}{text}\n"
                )
        else:
            for labels, value in samples.items():
                if len(labels) != width:
                    raise FamilyError(f"{len(labels)} label values where the metric has {width}")
                parts = [fixed[0]]
                for piece, dim in zip(fixed[1:], dims, strict=True):
                    parts.append(escape(labels[dim]))
                    parts.append(piece)
                parts.append(go_float(value))
                parts.append("\n")
                append("".join(parts))


def scope_family(name: str, states: Sequence[ScopeState]) -> Family:
    """One metric family of the table over every state that has it (snapshot order)."""
    lines = _Lines(name)

    def write(out: list[str]) -> None:
        for state in states:
            samples = state.values.get(name)
            if samples is not None:
                lines.render(out, (state.scope.type, sanitise.text(state.scope.name)), samples)

    return _written(name, write)


def _written(name: str, write: Callable[[list[str]], None]) -> Family:
    """The family whose lines ``write`` appends; what its values break raises
    :class:`FamilyError`."""
    out: list[str] = []
    try:
        write(out)
    except FamilyError:
        raise
    except (TypeError, ValueError, AttributeError) as exc:
        raise FamilyError(f"{type(exc).__name__}: {exc}") from exc
    return Family(name, header(name), "".join(out))


def scope_family_names(states: Sequence[ScopeState]) -> list[str]:
    """The families any state has, in table order (the order of the exposition)."""
    present: set[str] = set()
    for state in states:
        present.update(state.values)
    return [spec.name for spec in m.all_specs() if spec.name in present]


Status = Callable[[Snapshot], Iterator[tuple[Labels, object]]]


def _up(states: Sequence[ScopeState]) -> Iterator[tuple[Labels, object]]:
    for state in states:
        yield state.scope.labels, 1.0 if state.up else 0.0


def _attr(attr: str, states: Sequence[ScopeState]) -> Iterator[tuple[Labels, object]]:
    for state in states:
        value = getattr(state, attr)
        if value is not None:
            yield state.scope.labels, value


@lru_cache(maxsize=64)
def _midnight(day: date) -> int:
    return timegm(day.timetuple())


def _day(states: Sequence[ScopeState]) -> Iterator[tuple[Labels, object]]:
    for state in states:
        if state.report_day is not None:
            yield state.scope.labels, _midnight(state.report_day)


def _reason(states: Sequence[ScopeState]) -> Iterator[tuple[Labels, object]]:
    for state in states:
        if not state.up and state.reason:
            yield (*state.scope.labels, state.reason), 1.0


# The status families, in the collector's order: (metric, samples of a snapshot).
STATUS: tuple[tuple[str, Status], ...] = (
    (m.PREFIX + "up", lambda s: _up(s.scopes)),
    (m.PREFIX + "report_day_timestamp_seconds", lambda s: _day(s.scopes)),
    (m.PREFIX + "last_success_timestamp_seconds", lambda s: _attr("last_success", s.scopes)),
    (m.PREFIX + "last_failure_timestamp_seconds", lambda s: _attr("last_failure", s.scopes)),
    (m.PREFIX + "refresh_duration_seconds", lambda s: _attr("duration", s.scopes)),
    (m.PREFIX + "scope_failure", lambda s: _reason(s.scopes)),
    (m.PREFIX + "seats_up", lambda s: _up(s.seats)),
    (m.PREFIX + "seats_last_success_timestamp_seconds", lambda s: _attr("last_success", s.seats)),
    (m.PREFIX + "series_dropped", lambda s: (((k,), v) for k, v in sorted(s.dropped.items()))),
    (m.UNMAPPED_FIELDS, lambda s: (((r, p), v) for (r, p), v in sorted(s.unmapped.items()))),
    (m.BILLING_UP, lambda s: _up(s.billing)),
    (m.BILLING_LAST_SUCCESS, lambda s: _attr("last_success", s.billing)),
    (m.BILLING_FAILURE, lambda s: _reason(s.billing)),
)


def status_family(name: str, samples: Iterator[tuple[Labels, object]]) -> Family | None:
    """A status family (labels given whole, not scope + dimensions); None when empty."""
    family = _written(name, lambda out: _Lines(name).render(out, (), dict(samples)))
    return family if family.samples else None
