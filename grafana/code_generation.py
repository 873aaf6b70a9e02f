"""Copilot code generation: what Copilot writes, by editor, language, feature and model."""

from __future__ import annotations

from dataclasses import dataclass

from grafana_foundation_sdk.models import dashboard as models

from exporter.metrics import PREFIX, MetricSpec
from grafana import panels as p
from grafana.promql import Matcher, daily, metric, ratio, share, total, unattributed, var

UID = "copilot-code-generation"

INTERACTIONS = metric("user_initiated_interactions")
GENERATIONS = metric("code_generations")
ACCEPTANCES = metric("code_acceptances")
SUGGESTED_ADD = metric("lines_suggested_to_add")
SUGGESTED_DELETE = metric("lines_suggested_to_delete")
ADDED = metric("lines_added")
DELETED = metric("lines_deleted")


def by(counter: MetricSpec, suffix: str) -> MetricSpec:
    """The breakdown metric of a counter, e.g. ``code_generations`` + ``_by_editor``."""
    return metric(counter.name.removeprefix(PREFIX) + suffix)


@dataclass(frozen=True)
class Breakdown:
    """Queries of one ``_by_*`` breakdown, filtered by the dashboard's variables of its labels
    and summed over every label but ``dimension`` (deduplicated first)."""

    suffix: str
    dimension: str

    def __call__(self, counter: MetricSpec) -> str:
        spec = by(counter, self.suffix)
        where: tuple[Matcher, ...] = tuple(var(label) for label in spec.labels)
        expr = daily(spec, *where)
        return expr if spec.labels == (self.dimension,) else total(expr, self.dimension)

    def rate(self) -> str:
        return ratio(self(ACCEPTANCES), self(GENERATIONS))

    def unattributed(self, counter: MetricSpec) -> str:
        """The scope's total of ``counter`` beyond the sum of every part of this breakdown,
        whatever the variables select."""
        return unattributed(daily(counter), daily(by(counter, self.suffix)))

    @property
    def legend(self) -> str:
        return f"{{{{scope}}}} · {{{{{self.dimension}}}}}"


UNATTRIBUTED = (
    "The unattributed series is the scope's total minus the sum of all its parts (never below "
    "0): activity GitHub counts in the total but breaks down nowhere, such as use seen only by "
    "its servers since 2026-06-12."
)
UNATTRIBUTED_LEGEND = "{{scope}} · unattributed"

EDITOR = Breakdown("_by_editor", "editor")
LANGUAGE = Breakdown("_by_language_feature", "language")
FEATURE = Breakdown("_by_feature", "feature")
MODEL = Breakdown("_by_model_feature", "model")


def newest_day() -> p.Row:
    def stat(spec: MetricSpec, title: str, what: str | None = None) -> p.Panel:
        what = what or p.about(spec).removesuffix(".")
        return p.newest_stat(title, f"{what} on the report day.", daily(spec))

    return p.Row(
        "Newest report day",
        "Totals of the newest complete report day, per scope.",
        [
            stat(
                INTERACTIONS, "Interactions", "User-initiated interactions (prompts, chat messages)"
            ),
            stat(GENERATIONS, "Code generations"),
            stat(ACCEPTANCES, "Code acceptances"),
            p.newest_stat(
                "Acceptance rate",
                "Code acceptances ÷ code generations on the report day.",
                ratio(daily(ACCEPTANCES), daily(GENERATIONS)),
                unit=p.PERCENT,
                decimals=1,
                thresholds=((None, "orange"), (0.2, "green")),
            ),
            stat(ADDED, "Lines added"),
            stat(DELETED, "Lines deleted"),
        ],
    )


def trends() -> p.Row:
    return p.Row(
        "Trends",
        "Scope totals, one point per report day.",
        [
            p.daily_chart(
                "Code generations and acceptances",
                "Code Copilot generated and code users accepted, per report day.",
                p.Target(daily(GENERATIONS), "{{scope_type}} {{scope}} generated"),
                p.Target(daily(ACCEPTANCES), "{{scope_type}} {{scope}} accepted"),
            ),
            p.daily_chart(
                "Acceptance rate",
                "Code acceptances ÷ code generations, per report day.",
                p.Target(ratio(daily(ACCEPTANCES), daily(GENERATIONS))),
                unit=p.PERCENT,
            ),
            p.metric_chart(
                INTERACTIONS,
                title="Interactions",
                description="User-initiated interactions, per report day.",
            ),
            p.daily_chart(
                "Lines to add: suggested vs added",
                "Lines Copilot suggested adding and lines actually added from accepted code, "
                "per report day.",
                p.Target(daily(SUGGESTED_ADD), "{{scope_type}} {{scope}} suggested"),
                p.Target(daily(ADDED), "{{scope_type}} {{scope}} added"),
                w=12,
            ),
            p.daily_chart(
                "Lines to delete: suggested vs deleted",
                "Lines Copilot suggested deleting and lines actually deleted by accepted edits, "
                "per report day.",
                p.Target(daily(SUGGESTED_DELETE), "{{scope_type}} {{scope}} suggested"),
                p.Target(daily(DELETED), "{{scope_type}} {{scope}} deleted"),
                w=12,
            ),
        ],
    )


def breakdown_charts(
    breakdown: Breakdown, charts: tuple[tuple[str, MetricSpec | None, str], ...]
) -> list[p.Panel]:
    """(title, counter or None for the acceptance rate, description) -> daily charts; a
    counter's parts come with the scope's unattributed rest beside them."""
    return [
        p.daily_chart(
            title, description, p.Target(breakdown.rate(), breakdown.legend), unit=p.PERCENT
        )
        if counter is None
        else p.daily_chart(
            title,
            f"{description} {UNATTRIBUTED}",
            p.Target(breakdown(counter), breakdown.legend),
            p.Target(breakdown.unattributed(counter), UNATTRIBUTED_LEGEND),
        )
        for title, counter, description in charts
    ]


def top_columns(breakdown: Breakdown) -> list[p.Column]:
    """Generations first (the ranking), then acceptances, the rate and the lines."""
    return [
        p.Column("Generations", breakdown(GENERATIONS)),
        p.Column("Acceptances", breakdown(ACCEPTANCES)),
        p.Column("Acceptance rate", breakdown.rate(), unit=p.PERCENT),
        p.Column("Lines suggested to add", breakdown(SUGGESTED_ADD)),
        p.Column("Lines added", breakdown(ADDED)),
        p.Column("Lines suggested to delete", breakdown(SUGGESTED_DELETE)),
        p.Column("Lines deleted", breakdown(DELETED)),
    ]


def rows() -> list[p.Row]:
    feature_total = daily(ADDED)
    return [
        newest_day(),
        trends(),
        p.Row(
            "By editor",
            "Breakdown by IDE (totals_by_ide). Filter with the Editor variable.",
            breakdown_charts(
                EDITOR,
                (
                    ("Code generations by editor", GENERATIONS, "Code generations per editor."),
                    (
                        "Acceptance rate by editor",
                        None,
                        "Code acceptances ÷ code generations per editor.",
                    ),
                    (
                        "Lines added by editor",
                        ADDED,
                        "Lines added from accepted Copilot code per editor.",
                    ),
                ),
            ),
        ),
        p.Row(
            "By language",
            "Breakdown by language (totals_by_language_feature, summed over the selected "
            "features). Filter with the Language and Feature variables.",
            breakdown_charts(
                LANGUAGE,
                (
                    ("Code generations by language", GENERATIONS, "Code generations per language."),
                    (
                        "Acceptance rate by language",
                        None,
                        "Code acceptances ÷ code generations per language.",
                    ),
                    (
                        "Lines added by language",
                        ADDED,
                        "Lines added from accepted Copilot code per language.",
                    ),
                ),
            ),
        ),
        p.Row(
            "By feature",
            "Breakdown by feature (totals_by_feature): code_completion, chat_inline, "
            "chat_panel_*_mode, agent_edit, copilot_cli, others. Filter with the Feature "
            "variable.",
            [
                *breakdown_charts(
                    FEATURE,
                    (
                        (
                            "Interactions by feature",
                            INTERACTIONS,
                            "User-initiated interactions per feature.",
                        ),
                        (
                            "Code generations by feature",
                            GENERATIONS,
                            "Code generations per feature: completions vs chat modes vs agent "
                            "edits.",
                        ),
                        (
                            "Lines added by feature",
                            ADDED,
                            "Lines added per feature: how much code comes from completions, "
                            "chat and agent edits.",
                        ),
                    ),
                ),
                p.table_panel(
                    "Feature mix, newest report day",
                    "Per scope and feature on the newest report day: interactions, generations, "
                    "acceptances, acceptance rate, lines suggested, added and deleted, and the "
                    "feature's share of the scope's lines added (the shares need not add up to "
                    "100%: the rest is unattributed, see the charts above).",
                    p.Column("Interactions", FEATURE(INTERACTIONS)),
                    p.Column("Generations", FEATURE(GENERATIONS)),
                    p.Column("Acceptances", FEATURE(ACCEPTANCES)),
                    p.Column("Acceptance rate", FEATURE.rate(), unit=p.PERCENT),
                    p.Column("Lines suggested to add", FEATURE(SUGGESTED_ADD)),
                    p.Column("Lines added", FEATURE(ADDED)),
                    p.Column("Lines deleted", FEATURE(DELETED)),
                    p.Column(
                        "Share of lines added", share(FEATURE(ADDED), feature_total), unit=p.PERCENT
                    ),
                    sort_by="Lines added",
                    h=9,
                ),
            ],
        ),
        p.Row(
            "By model",
            "Breakdown by model (totals_by_model_feature, summed over the selected features). "
            "Filter with the Model and Feature variables.",
            breakdown_charts(
                MODEL,
                (
                    ("Code generations by model", GENERATIONS, "Code generations per model."),
                    (
                        "Acceptance rate by model",
                        None,
                        "Code acceptances ÷ code generations per model.",
                    ),
                    (
                        "Interactions by model",
                        INTERACTIONS,
                        "User-initiated interactions per model.",
                    ),
                ),
            ),
        ),
        p.Row(
            "Top $topn",
            "The largest entries of the newest report day, per scope.",
            [
                p.top_table(
                    "Top $topn languages",
                    "Languages with the most code generations on the newest report day, per "
                    "scope (topk), with their acceptances, acceptance rate and lines suggested, "
                    "added and deleted.",
                    ("language",),
                    *top_columns(LANGUAGE),
                ),
                p.top_table(
                    "Top $topn models",
                    "Models with the most code generations on the newest report day, per scope "
                    "(topk), with acceptances, acceptance rate and lines.",
                    ("model",),
                    *top_columns(MODEL),
                ),
                p.top_table(
                    "Top $topn editors",
                    "Editors with the most code generations on the newest report day, per scope "
                    "(topk), with acceptances, acceptance rate and lines.",
                    ("editor",),
                    *top_columns(EDITOR),
                ),
                p.top_table(
                    "Top $topn language × model pairs",
                    "Language and model pairs with the most accepted code on the newest report "
                    "day, per scope (totals_by_language_model, topk).",
                    ("language", "model"),
                    p.Column(
                        "Acceptances",
                        daily(by(ACCEPTANCES, "_by_language_model"), var("language"), var("model")),
                    ),
                ),
            ],
        ),
    ]


def variables() -> list[p.Variable]:
    """Editor, Language, Model and Feature, from the code generations of each breakdown."""
    return [
        *p.scope_variables(),
        p.dimension_variable("editor", "Editor", by(GENERATIONS, "_by_editor")),
        p.dimension_variable("language", "Language", by(GENERATIONS, "_by_language_feature")),
        p.dimension_variable("model", "Model", by(GENERATIONS, "_by_model_feature")),
        p.dimension_variable("feature", "Feature", by(GENERATIONS, "_by_feature")),
        p.topn_variable(),
    ]


def dashboard() -> models.Dashboard:
    return p.build(
        UID,
        "Copilot code generation",
        "What Copilot writes: generations, acceptances, acceptance rate and lines suggested, "
        "added and deleted, by editor, language, feature and model.",
        tags=["copilot", "github", "code-generation"],
        variables=variables(),
        rows=rows(),
    )
