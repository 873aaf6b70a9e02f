"""The panel vocabulary of the dashboards, on Grafana's typed builders (grafana-foundation-sdk).

A dashboard module lists rows of panels made here: a stat of the newest report day (or of
current seats), a daily chart, a chart at Grafana's own step (exporter health, seats), a
table of columns, a top-N table, bar gauges, a state timeline. Each sets the options every
panel of its kind shares, so the dashboards look alike and a module only says what differs.
``metric_stat`` and ``metric_chart`` make the whole panel from one metric's ``MetricSpec``
(title, unit, description and query): adding a metric to the table is most of adding its
panel.

Three things the dashboards need are not in the SDK's models; ``build`` and ``to_json`` add
them: a row's ``description`` (a RowPanel subclass), a query variable's ``definition`` (set
from its query in the JSON), and schemaVersion 39, the dashboards' version so far, read by
Grafana 10 and 11 alike (the SDK writes 11.6's 41).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from grafana_foundation_sdk.builders import (
    bargauge,
    prometheus,
    stat,
    statetimeline,
    table,
    timeseries,
)
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as models
from grafana_foundation_sdk.models import prometheus as prometheus_models

from exporter.metrics import CURRENT, DAILY, PREFIX, SCOPE_LABELS, MetricSpec, Unit
from grafana import promql

SCHEMA_VERSION = 39
DATASOURCE = models.DataSourceRef(type_val="prometheus", uid="${datasource}")
# Display units of the metric table's units. Grafana's date units read milliseconds: a panel
# of a timestamp multiplies it by 1000, or shows its age (``time() - x``, unit s).
GRAFANA_UNITS: dict[Unit, str] = {
    "count": "short",
    "users": "short",
    "seconds": "s",
    "timestamp": "dateTimeAsIso",
    "bytes": "bytes",
    "usd": "currencyUSD",
    "ratio": "percentunit",
    "info": "none",
}
PERCENT = "percentunit"

# Sentences panel descriptions end with.
DAILY_CHART = (
    "The exporter holds the value of the newest complete report day; the chart shows one "
    "point per day (last_over_time over one day)."
)
PER_SCOPE = (
    "One value per scope (scope_type, scope): an organization and its teams overlap, so the "
    "values are never added up across scopes."
)
NEWEST = "Newest complete report day."
SEATS = (
    "Seat data is current (refreshed every 6 hours by default), not a daily figure; "
    "organizations and enterprises only, teams have no seats of their own."
)
SEATS_PER_SCOPE = (
    "One value per scope (scope_type, scope): an enterprise and its organizations hold seats "
    "of the same people, so the values are never added up across scopes."
)

SCOPE_LEGEND = "{{scope_type}} {{scope}}"
Steps = tuple[tuple[float | None, str], ...]  # (from value, colour); the first from None
GREEN: Steps = ((None, "green"),)
# 1/0 gauges (up, seats_up) shown as words.
STATE_MAPPING = models.ValueMap(
    options={
        "0": models.ValueMappingResult(color="red", index=0, text="failing"),
        "1": models.ValueMappingResult(color="green", index=1, text="ok"),
    }
)
STATE_STEPS: Steps = ((None, "red"), (1, "green"))

Panel = cogbuilder.Builder[models.Panel]
Query = cogbuilder.Builder[variants.Dataquery]
Variable = cogbuilder.Builder[models.VariableModel]
_M = TypeVar("_M", covariant=True)


# --------------------------------------------------------------------------- from the metric table
def unit_of(spec: MetricSpec) -> str:
    return GRAFANA_UNITS[spec.unit]


def title_of(spec: MetricSpec) -> str:
    """``github_copilot_cli_sessions`` -> ``Cli sessions``: a default; pass a better title."""
    return spec.name.removeprefix(PREFIX).replace("_", " ").capitalize()


def about(spec: MetricSpec) -> str:
    """The metric's help text without the closing sentence about daily or current gauges
    (the panel says how it reads them)."""
    return spec.help.removesuffix(f" {DAILY}").removesuffix(f" {CURRENT}")


def _label_legend(labels: Iterable[str]) -> str:
    shown = [label for label in labels if label not in SCOPE_LABELS]
    if not shown:
        return SCOPE_LEGEND
    return " · ".join(["{{scope}}", *(f"{{{{{label}}}}}" for label in shown)])


# --------------------------------------------------------------------------- queries
@dataclass(frozen=True)
class Target:
    """One query of a panel; refIds follow the order (A, B, ...)."""

    expr: str
    legend: str = SCOPE_LEGEND


Reading = Literal["range", "instant", "table"]


def queries(targets: Sequence[Target], reading: Reading) -> list[Query]:
    if len(targets) > len(string.ascii_uppercase):
        raise ValueError(f"{len(targets)} queries in one panel: split it")
    found: list[Query] = []
    for ref, target in zip(string.ascii_uppercase, targets, strict=False):
        query = (
            prometheus.Dataquery()
            .datasource(DATASOURCE)
            .editor_mode(prometheus_models.QueryEditorMode.CODE)
            .expr(target.expr)
            .legend_format(target.legend)
            .ref_id(ref)
        )
        query = query.range() if reading == "range" else query.instant()
        if reading == "table":
            query = query.format(prometheus_models.PromQueryFormat.TABLE)
        found.append(query)
    return found


def threshold_steps(steps: Steps) -> builders.ThresholdsConfig:
    return (
        builders.ThresholdsConfig()
        .mode(models.ThresholdsMode.ABSOLUTE)
        .steps([models.Threshold(value=value, color=color) for value, color in steps])
    )


def colour(mode: models.FieldColorModeId) -> builders.FieldColor:
    return builders.FieldColor().mode(mode)


def list_legend() -> common_builders.VizLegendOptions:
    return (
        common_builders.VizLegendOptions()
        .calcs([])
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
    )


def _reduce_to_last() -> common_builders.ReduceDataOptions:
    return common_builders.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)


def hide_nothing() -> common_builders.HideSeriesConfig:
    return common_builders.HideSeriesConfig().legend(False).tooltip(False).viz(False)


# --------------------------------------------------------------------------- stats
def stat_panel(
    title: str,
    description: str,
    *targets: Target,
    unit: str,
    decimals: int | None = None,
    thresholds: Steps = GREEN,
    mappings: Sequence[models.ValueMapping] = (),
    w: int = 4,
    h: int = 5,
) -> stat.Panel:
    """A single value per series, coloured by ``thresholds``; queries are instant."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(w)
        .height(h)
        .targets(queries(targets, "instant"))
        .unit(unit)
        .color_scheme(colour(models.FieldColorModeId.THRESHOLDS))
        .mappings(list(mappings))
        .thresholds(threshold_steps(thresholds))
        .color_mode(common.BigValueColorMode.VALUE)
        .graph_mode(common.BigValueGraphMode.NONE)
        .justify_mode(common.BigValueJustifyMode.AUTO)
        .orientation(common.VizOrientation.AUTO)
        .reduce_options(_reduce_to_last())
        .show_percent_change(False)
        .text_mode(common.BigValueTextMode.VALUE_AND_NAME)
        .wide_layout(True)
    )
    return panel if decimals is None else panel.decimals(decimals)


def newest_stat(
    title: str,
    description: str,
    expr: str,
    *,
    unit: str = "short",
    decimals: int | None = None,
    thresholds: Steps = GREEN,
    w: int = 4,
) -> stat.Panel:
    """The newest report day's value of a daily query, one per scope."""
    return stat_panel(
        title,
        f"{description} {PER_SCOPE}",
        Target(expr, "{{scope}}"),
        unit=unit,
        decimals=decimals,
        thresholds=thresholds,
        w=w,
    )


def metric_stat(
    spec: MetricSpec,
    *where: promql.Matcher,
    title: str | None = None,
    description: str | None = None,
    decimals: int | None = 0,
    w: int = 4,
) -> stat.Panel:
    """``newest_stat`` of one daily metric, or ``seat_stat`` of a seat gauge (read as it is
    now), all from its spec unless told otherwise."""
    if spec.group == "seats":
        return seat_stat(
            title or title_of(spec),
            description or about(spec),
            promql.current(spec, *where),
            unit=unit_of(spec),
            decimals=decimals,
        )
    return newest_stat(
        title or title_of(spec),
        description or f"{about(spec)} {NEWEST}",
        promql.daily(spec, *where),
        unit=unit_of(spec),
        decimals=decimals,
        w=w,
    )


def seat_stat(
    title: str,
    description: str,
    expr: str,
    *,
    unit: str = "short",
    decimals: int | None = 0,
    thresholds: Steps = GREEN,
) -> stat.Panel:
    """A current seat figure per organization and enterprise."""
    return stat_panel(
        title,
        f"{description} {SEATS} {SEATS_PER_SCOPE}",
        Target(expr, "{{scope}}"),
        unit=unit,
        decimals=decimals,
        thresholds=thresholds,
    )


# --------------------------------------------------------------------------- time series
def _timeseries(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    daily: bool,
    min_: float | None,
    max_: float | None,
    thresholds: Steps | None,
    stepped: bool,
    legend_table: bool,
    no_value: str | None,
    w: int,
    h: int,
) -> timeseries.Panel:
    legend = (
        common_builders.VizLegendOptions()
        .calcs(["lastNotNull", "max"])
        .display_mode(common.LegendDisplayMode.TABLE)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
        if legend_table
        else list_legend()
    )
    threshold_style = (
        common.GraphThresholdsStyleMode.OFF
        if thresholds is None
        else common.GraphThresholdsStyleMode.DASHED
    )
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(w)
        .height(h)
        .targets(queries(targets, "range"))
        .unit(unit)
        .color_scheme(colour(models.FieldColorModeId.PALETTE_CLASSIC))
        .mappings([])
        .thresholds(threshold_steps(thresholds or GREEN))
        .axis_border_show(False)
        .axis_centered_zero(False)
        .axis_color_mode(common.AxisColorMode.TEXT)
        .axis_label("")
        .axis_placement(common.AxisPlacement.AUTO)
        .bar_alignment(common.BarAlignment.CENTER)
        .draw_style(common.GraphDrawStyle.LINE)
        .fill_opacity(0)
        .gradient_mode(common.GraphGradientMode.NONE)
        .hide_from(hide_nothing())
        .insert_nulls(False)
        .line_interpolation(
            common.LineInterpolation.STEP_AFTER if stepped else common.LineInterpolation.LINEAR
        )
        .line_width(2)
        .point_size(5)
        .scale_distribution(
            common_builders.ScaleDistributionConfig().type(common.ScaleDistribution.LINEAR)
        )
        .show_points(common.VisibilityMode.ALWAYS if daily else common.VisibilityMode.NEVER)
        .span_nulls(False)
        .stacking(common_builders.StackingConfig().group("A").mode(common.StackingMode.NONE))
        .thresholds_style(common_builders.GraphThresholdsStyleConfig().mode(threshold_style))
        .legend(legend)
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
    )
    if daily:
        panel = panel.interval("1d")
    if min_ is not None:
        panel = panel.min(min_)
    if max_ is not None:
        panel = panel.max(max_)
    return panel if no_value is None else panel.no_value(no_value)


def daily_chart(
    title: str,
    description: str,
    *targets: Target,
    unit: str = "short",
    per_scope: bool = False,
    min_: float | None = 0,
    thresholds: Steps | None = None,
    legend_table: bool = False,
    w: int = 8,
    h: int = 8,
) -> timeseries.Panel:
    """Daily gauges, one point per report day: the panel's minimum interval is one day.
    ``thresholds`` (e.g. an alert's) are drawn as dashed lines."""
    return _timeseries(
        title,
        f"{description} {DAILY_CHART}" + (f" {PER_SCOPE}" if per_scope else ""),
        targets,
        unit=unit,
        daily=True,
        min_=min_,
        max_=None,
        thresholds=thresholds,
        stepped=False,
        legend_table=legend_table,
        no_value=None,
        w=w,
        h=h,
    )


def metric_chart(
    spec: MetricSpec,
    *where: promql.Matcher,
    title: str | None = None,
    description: str | None = None,
    legend: str | None = None,
    per_scope: bool = False,
    w: int = 8,
    h: int = 8,
) -> timeseries.Panel:
    """``daily_chart`` of one daily metric, one series per scope and value of its labels
    (those not pinned by an ``eq`` matcher), all from its spec unless told otherwise."""
    pinned = {m.label for m in where if m.op == "="}
    return daily_chart(
        title or title_of(spec),
        description or f"{about(spec).removesuffix('.')} per report day.",
        Target(
            promql.daily(spec, *where),
            legend or _label_legend(label for label in spec.labels if label not in pinned),
        ),
        unit=unit_of(spec),
        per_scope=per_scope,
        w=w,
        h=h,
    )


def chart(
    title: str,
    description: str,
    *targets: Target,
    unit: str,
    min_: float | None = 0,
    max_: float | None = None,
    thresholds: Steps | None = None,
    stepped: bool = False,
    legend_table: bool = False,
    no_value: str | None = None,
    w: int = 8,
    h: int = 8,
) -> timeseries.Panel:
    """Series at Grafana's own step, for values that change more than daily (exporter
    health, seats). ``stepped`` draws each value until the next."""
    return _timeseries(
        title,
        description,
        targets,
        unit=unit,
        daily=False,
        min_=min_,
        max_=max_,
        thresholds=thresholds,
        stepped=stepped,
        legend_table=legend_table,
        no_value=no_value,
        w=w,
        h=h,
    )


# --------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    """One query of a table, shown as one column of values next to the label columns."""

    header: str
    expr: str
    unit: str | None = None  # None: the table's unit
    state: bool = False  # a 1/0 gauge shown as ok / failing on a coloured cell


_LABEL_HEADERS = {"scope_type": "Scope type", "scope": "Scope"}


def _table(
    title: str,
    description: str,
    targets: Sequence[Target],
    *,
    unit: str,
    transformations: Sequence[models.DataTransformerConfig],
    sort_by: str | None,
    no_value: str | None,
    w: int,
    h: int,
) -> table.Panel:
    panel = (
        table.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(w)
        .height(h)
        .targets(queries(targets, "table"))
        .transformations(list(transformations))
        .unit(unit)
        .color_scheme(colour(models.FieldColorModeId.THRESHOLDS))
        .mappings([])
        .thresholds(threshold_steps(GREEN))
        .align(common.FieldTextAlignment.AUTO)
        .cell_options(common.TableAutoCellOptions())
        .inspect(False)
        .cell_height(common.TableCellHeight.SM)
        .footer(common_builders.TableFooterOptions().count_rows(False).reducer(["sum"]).show(False))
        .show_header(True)
    )
    if sort_by is not None:
        panel = panel.sort_by(
            [common_builders.TableSortByFieldState().desc(True).display_name(sort_by)]
        )
    return panel if no_value is None else panel.no_value(no_value)


def _organize(
    renames: Mapping[str, str], hidden: Sequence[str] = ()
) -> models.DataTransformerConfig:
    return models.DataTransformerConfig(
        id_val="organize",
        options={
            "excludeByName": {"Time": True, **dict.fromkeys(hidden, True)},
            "indexByName": {},
            "renameByName": dict(renames),
        },
    )


def table_panel(
    title: str,
    description: str,
    *columns: Column,
    labels: Mapping[str, str] | None = None,
    unit: str = "short",
    sort_by: str | None = None,
    no_value: str | None = None,
    w: int = 24,
    h: int = 8,
) -> table.Panel:
    """One row per series (scope, plus ``labels``: label -> header), one column per query
    (merged on the labels). Queries are instant: the newest value."""
    if len(columns) == 1:
        values = {"Value": columns[0].header}
        transformations = [_organize({**values, **_LABEL_HEADERS, **(labels or {})})]
    else:
        values = {
            f"Value #{ref}": column.header
            for ref, column in zip(string.ascii_uppercase, columns, strict=False)
        }
        transformations = [
            models.DataTransformerConfig(id_val="merge", options={}),
            _organize({**values, **_LABEL_HEADERS, **(labels or {})}),
        ]
    panel = _table(
        title,
        description,
        [Target(column.expr, "__auto") for column in columns],
        unit=unit,
        transformations=transformations,
        sort_by=sort_by,
        no_value=no_value,
        w=w,
        h=h,
    )
    for column in columns:
        properties = []
        if column.state:
            properties += [
                models.DynamicConfigValue(id_val="mappings", value=[STATE_MAPPING]),
                models.DynamicConfigValue(
                    id_val="custom.cellOptions", value=common.TableColoredBackgroundCellOptions()
                ),
            ]
        if column.unit is not None:
            properties.append(models.DynamicConfigValue(id_val="unit", value=column.unit))
        if properties:
            panel = panel.override_by_name(column.header, properties)
    return panel


def top_table(
    title: str,
    description: str,
    by: Sequence[str],
    rank: Column,
    *others: Column,
    n: str = "$topn",
    labels: Mapping[str, str] | None = None,
    w: int = 12,
    h: int = 10,
) -> table.Panel:
    """The ``n`` largest rows of ``rank`` per scope, largest first, with the ``others``
    columns for the same rows. ``by``: the labels a row stands for, e.g. ``("language",)``."""
    ranking = promql.top(n, rank.expr)
    return table_panel(
        title,
        description,
        Column(rank.header, ranking, rank.unit),
        *(Column(c.header, promql.among(c.expr, ranking, *by), c.unit, c.state) for c in others),
        labels=labels,
        sort_by=rank.header,
        w=w,
        h=h,
    )


def info_table(
    title: str,
    description: str,
    expr: str,
    labels: Mapping[str, str] | None = None,
    *,
    w: int = 24,
    h: int = 8,
) -> table.Panel:
    """The labels of an info-style series (value always 1), one row per series."""
    return _table(
        title,
        description,
        [Target(expr, "__auto")],
        unit="none",
        transformations=[
            _organize({**_LABEL_HEADERS, **(labels or {})}, hidden=("Value", "__name__"))
        ],
        sort_by=None,
        no_value=None,
        w=w,
        h=h,
    )


# --------------------------------------------------------------------------- others
def bars(
    title: str,
    description: str,
    expr: str,
    *,
    legend: str = "{{scope}}",
    unit: str = "short",
    max_: float | None = None,
    w: int = 12,
    h: int = 10,
) -> bargauge.Panel:
    """One horizontal bar per series (instant), e.g. per team; sort in the query."""
    panel = (
        bargauge.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(w)
        .height(h)
        .targets(queries([Target(expr, legend)], "instant"))
        .unit(unit)
        .min(0)
        .color_scheme(colour(models.FieldColorModeId.CONTINUOUS_BL_PU))
        .mappings([])
        .thresholds(threshold_steps(GREEN))
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .max_viz_height(300)
        .min_viz_height(16)
        .min_viz_width(8)
        .name_placement(common.BarGaugeNamePlacement.AUTO)
        .orientation(common.VizOrientation.HORIZONTAL)
        .reduce_options(_reduce_to_last())
        .show_unfilled(True)
        .sizing(common.BarGaugeSizing.AUTO)
        .value_mode(common.BarGaugeValueMode.COLOR)
    )
    return panel if max_ is None else panel.max(max_)


def state_timeline(
    title: str, description: str, expr: str, *, legend: str, w: int = 24, h: int = 8
) -> statetimeline.Panel:
    """A 1/0 gauge over time as green ok / red failing bands, one per series."""
    return (
        statetimeline.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(w)
        .height(h)
        .targets(queries([Target(expr, legend)], "range"))
        .unit("none")
        .color_scheme(colour(models.FieldColorModeId.THRESHOLDS))
        .mappings([STATE_MAPPING])
        .thresholds(threshold_steps(STATE_STEPS))
        .fill_opacity(80)
        .hide_from(hide_nothing())
        .line_width(0)
        .align_value(common.TimelineValueAlignment.LEFT)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(False)
        )
        .merge_values(True)
        .row_height(0.9)
        .show_value(common.VisibilityMode.NEVER)
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.SINGLE)
            .sort(common.SortOrder.NONE)
        )
    )


# --------------------------------------------------------------------------- variables
_ALL = models.VariableOption(selected=True, text=["All"], value=["$__all"])


def _query_variable(name: str, label: str, query: str, description: str) -> builders.QueryVariable:
    return (
        builders.QueryVariable(name)
        .label(label)
        .description(description)
        .datasource(DATASOURCE)
        .query(
            {
                "qryType": 1,
                "query": query,
                "refId": "PrometheusVariableQueryEditor-VariableQuery",
            }
        )
        .current(_ALL)
        .hide(models.VariableHide.DONT_HIDE)
        .include_all(True)
        .multi(True)
        .options([])
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .regex("")
        .sort(models.VariableSort.ALPHABETICAL_ASC)
    )


def scope_variables() -> list[builders.QueryVariable]:
    """Scope type and Scope, multi-select with All: every panel filters by them."""
    return [
        _query_variable(
            "scope_type",
            "Scope type",
            "label_values(github_copilot_up, scope_type)",
            "enterprise, enterprise_team, organization or team. Panels show one series per "
            "scope: an organization and its teams overlap.",
        ),
        _query_variable(
            "scope",
            "Scope",
            'label_values(github_copilot_up{scope_type=~"$scope_type"}, scope)',
            "ENT, ENT/TEAM, ORG or ORG/TEAM",
        ),
    ]


def dimension_variable(label: str, title: str, spec: MetricSpec) -> builders.QueryVariable:
    """The values of one breakdown label (editor, model, ...) in the selected scopes, for
    ``promql.var(label)`` filters; All means any value (``.*``), not a long list."""
    if label not in spec.labels:
        raise ValueError(f"{spec.name} has no label {label!r}")
    query = f"label_values({promql.selector(spec)}, {label})"
    return _query_variable(label, title, query, "").all_value(".*")


def job_variable() -> builders.QueryVariable:
    return _query_variable(
        "job",
        "Job",
        "label_values(github_copilot_exporter_build_info, job)",
        "Prometheus scrape job of the exporter",
    )


def topn_variable() -> builders.CustomVariable:
    choices = ("5", "10", "20", "50")
    default = "10"
    return (
        builders.CustomVariable("topn")
        .label("Top N")
        .description("How many rows the top-N tables keep per scope")
        .values(",".join(choices))
        .current(models.VariableOption(selected=True, text=default, value=default))
        .options([models.VariableOption(selected=c == default, text=c, value=c) for c in choices])
        .hide(models.VariableHide.DONT_HIDE)
        .include_all(False)
        .multi(False)
    )


def _datasource_variable() -> builders.DatasourceVariable:
    return (
        builders.DatasourceVariable("datasource")
        .label("Data source")
        .type("prometheus")
        .hide(models.VariableHide.DONT_HIDE)
        .include_all(False)
        .multi(False)
        .regex("")
    )


# --------------------------------------------------------------------------- the dashboard
@dataclass(frozen=True)
class Row:
    """A row (expanded) and the panels under it, laid out left to right, wrapping at 24."""

    title: str
    description: str
    panels: Sequence[Panel]


class _DescribedRow(models.RowPanel):
    """The SDK's RowPanel has no description; Grafana shows it as the row's tooltip."""

    def __init__(self, title: str, description: str) -> None:
        super().__init__(title=title)
        self.description = description

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "description": self.description}


class _Built(cogbuilder.Builder[_M]):
    """A model made here, handed to a builder method that takes a builder."""

    def __init__(self, model: _M) -> None:
        self._model = model

    def build(self) -> _M:
        return self._model


def build(
    uid: str,
    title: str,
    description: str,
    *,
    tags: Sequence[str],
    variables: Sequence[Variable],
    rows: Sequence[Row],
    time_from: str = "now-90d",
    refresh: str = "",
) -> models.Dashboard:
    """A dashboard with what all of ours share: the data source variable first, UTC, shared
    crosshair, the Copilot dashboards links, panel ids in order."""
    board = (
        builders.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(list(tags))
        .editable()
        .tooltip(models.DashboardCursorSync.CROSSHAIR)
        .time(time_from, "now")
        .timezone("utc")
        .refresh(refresh)
        .fiscal_year_start_month(0)
        .week_start("")
        .version(1)
        .annotation(
            builders.AnnotationQuery()
            .built_in(1)
            .datasource(models.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .enable(True)
            .hide(True)
            .icon_color("rgba(0, 211, 255, 1)")
            .name("Annotations & Alerts")
            .type("dashboard")
        )
        .link(
            builders.DashboardLink("Copilot dashboards")
            .type(models.DashboardLinkType.DASHBOARDS)
            .as_dropdown(False)
            .icon("external link")
            .include_vars(True)
            .keep_time(True)
            .tags(["copilot"])
            .target_blank(False)
            .tooltip("")
            .url("")
        )
        .with_variable(_datasource_variable())
    )
    for variable in variables:
        board = board.with_variable(variable)
    for row in rows:
        board = board.with_row(_Built(_DescribedRow(row.title, row.description)))
        for panel in row.panels:
            board = board.with_panel(panel)
    model = board.build()
    model.schema_version = SCHEMA_VERSION
    for number, item in enumerate(model.panels or [], start=1):
        item.id_val = number
    return model


def to_json(board: models.Dashboard) -> str:
    """The dashboard as Grafana's JSON model, ready to import."""
    data: dict[str, Any] = json.loads(json.dumps(board, cls=JSONEncoder))
    for variable in data.get("templating", {}).get("list", []):
        # Grafana lists a query variable by its `definition`; the SDK has no field for it.
        if variable["type"] == "query":
            variable["definition"] = variable["query"]["query"]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
