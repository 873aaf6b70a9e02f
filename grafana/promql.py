"""PromQL text for the dashboards: the few query shapes every panel is made of.

The rules they encode are in docs/dashboards.md ("How daily data is queried"): a daily gauge
is read one value per day with ``last_over_time(...[1d])``; ``max by`` the scope and the
metric's own labels drops target labels without counting an HA pair twice; anything summed
is deduplicated first; a ratio drops days without a denominator; nothing is ever added up
across scopes. Metrics are named by their ``MetricSpec``, so a name the exporter does not
declare fails when the dashboards are generated.
"""

from __future__ import annotations

from dataclasses import dataclass

from exporter.metrics import PREFIX, SCOPE_LABELS, MetricSpec, spec_index

SCOPES = 'scope_type=~"$scope_type", scope=~"$scope"'
# The teams of the selected scopes: an organization or enterprise selects its teams too.
TEAMS = 'scope_type=~"team|enterprise_team", scope=~"${scope}(/.+)?"'

_SPECS = spec_index()


def metric(short_name: str) -> MetricSpec:
    """The spec of ``github_copilot_<short_name>``; a name the exporter does not declare is
    an error here rather than an empty panel in Grafana."""
    try:
        return _SPECS[PREFIX + short_name]
    except KeyError:
        raise KeyError(
            f"{PREFIX}{short_name} is not in exporter/metrics.py: declare it there first"
        ) from None


@dataclass(frozen=True)
class Matcher:
    """One label matcher. An exact match (``=``) pins the label to one value, so the
    aggregations below leave it out of their ``by`` list."""

    label: str
    value: str
    op: str = "=~"

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'


def var(label: str) -> Matcher:
    """Filter ``label`` by the dashboard variable of the same name (``editor=~"$editor"``)."""
    return Matcher(label, f"${label}")


def eq(label: str, value: str) -> Matcher:
    return Matcher(label, value, "=")


def like(label: str, regex: str) -> Matcher:
    return Matcher(label, regex)


def _by(labels: tuple[str, ...]) -> str:
    return ", ".join(labels)


def _kept(spec: MetricSpec, where: tuple[Matcher, ...]) -> tuple[str, ...]:
    pinned = {m.label for m in where if m.op == "="}
    return (*SCOPE_LABELS, *(label for label in spec.labels if label not in pinned))


def selector(spec: MetricSpec, where: tuple[Matcher, ...] = (), scope: str = SCOPES) -> str:
    return f"{spec.name}{{{', '.join((scope, *map(str, where)))}}}"


def daily(spec: MetricSpec, *where: Matcher, scope: str = SCOPES, offset: str | None = None) -> str:
    """A daily gauge, one value per day and scope (and per value of the metric's labels):
    ``max by (scope_type, scope[, labels]) (last_over_time(METRIC{...}[1d]))``."""
    window = f"[1d] offset {offset}" if offset else "[1d]"
    kept = _by(_kept(spec, where))
    return f"max by ({kept}) (last_over_time({selector(spec, where, scope)}{window}))"


def current(spec: MetricSpec, *where: Matcher) -> str:
    """A current gauge (seats): its value now, one per scope (and label values)."""
    return f"max by ({_by(_kept(spec, where))}) ({selector(spec, where)})"


def total(expr: str, *keep: str) -> str:
    """``expr`` summed over every label but the scope and ``keep``: deduplicate first (the
    ``max by`` inside ``expr``), sum second."""
    return f"sum by ({_by((*SCOPE_LABELS, *keep))}) ({expr})"


def ratio(numerator: str, denominator: str) -> str:
    """The day's numerator ÷ denominator; days without a denominator drop out."""
    return f"{numerator}\n/\n({denominator} > 0)"


def share(part: str, whole: str) -> str:
    """A breakdown's part ÷ the scope's whole."""
    return f"{part}\n/ on (scope_type, scope) group_left ()\n({whole} > 0)"


def difference(whole: str, part: str) -> str:
    return f"{whole}\n-\n{part}"


def top(n: str, expr: str) -> str:
    """The ``n`` largest series of ``expr`` per scope (``n`` may be ``$topn``)."""
    return f"topk by (scope_type, scope) ({n}, {expr})"


def among(expr: str, ranking: str, *labels: str) -> str:
    """``expr`` for the rows of ``ranking`` only (the other columns of a top-N table)."""
    on = _by((*SCOPE_LABELS, *labels))
    return f"(\n{expr}\n)\nand on ({on})\n{ranking}"


def sort_desc(expr: str) -> str:
    return f"sort_desc({expr})"


def unattributed(whole: str, parts: str) -> str:
    """The scope's total minus the sum of its parts, never below 0: what the breakdowns do
    not attribute (since 2026-06 GitHub's totals include use seen only by its servers). A
    panel shows it as its own series, labelled "unattributed" in the legend, never as an
    ``other`` label value."""
    return f"clamp_min(\n{whole}\n-\n{total(parts)}\n, 0)"


def labelled(label: str, *series: tuple[str, str]) -> str:
    """Several daily queries as one, each with ``label`` set to its name: (value, expr)
    pairs, e.g. the daily, weekly and monthly counts of one thing as ``window``. One query
    has data as long as any of them has."""
    return "\nor\n".join(
        f'label_replace(\n{expr},\n"{label}", "{value}", "", ""\n)' for value, expr in series
    )


def named(expr: str, info: str, key: str, name: str) -> str:
    """``expr`` with the ``name`` label of the info series of the same ``key`` (one name per
    key and scope, should a name have changed within the day)."""
    on = _by((*SCOPE_LABELS, key))
    return f"{expr}\n* on ({on}) group_left ({name})\ntopk by ({on}) (1, {info})"
