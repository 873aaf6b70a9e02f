"""Copilot legacy metrics API: the data of the closed ``/copilot/metrics`` endpoint."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as models

from exporter.metrics import MetricSpec
from grafana import panels as p
from grafana.promql import Matcher, daily, metric, ratio, total, var

UID = "copilot-legacy"

ACTIVE = metric("active_users")
ENGAGED = metric("engaged_users")
SUGGESTIONS = metric("ide_code_suggestions")
ACCEPTANCES = metric("ide_code_acceptances")
LINES_SUGGESTED = metric("ide_code_lines_suggested")
LINES_ACCEPTED = metric("ide_code_lines_accepted")
CHATS = metric("ide_chats")
INSERTIONS = metric("ide_chat_insertion_events")
COPIES = metric("ide_chat_copy_events")
SUMMARIES = metric("dotcom_pull_request_summaries")
ENGAGED_NOTE = (
    "Engaged-user counts are never added up across editors, models or languages: one person "
    "using two counts in both."
)


def filtered(spec: MetricSpec) -> str:
    """Filtered by the dashboard's variables of the labels it has (repository has none)."""
    where: tuple[Matcher, ...] = tuple(
        var(label) for label in spec.labels if label in ("editor", "model", "language")
    )
    return daily(spec, *where)


def summed(spec: MetricSpec, *keep: str) -> str:
    """Counts over editors, models and languages may be added up (user counts may not)."""
    return total(filtered(spec), *keep)


def engaged_chart(title: str, what: str, short_name: str, label: str, w: int) -> p.Panel:
    return p.daily_chart(
        title,
        f"{what} {ENGAGED_NOTE}",
        p.Target(filtered(metric(short_name)), f"{{{{scope}}}} · {{{{{label}}}}}"),
        w=w,
    )


def acceptance_rate(*keep: str) -> str:
    return ratio(summed(ACCEPTANCES, *keep), summed(SUGGESTIONS, *keep))


def users() -> p.Row:
    return p.Row(
        "Users",
        "Active and engaged users of the legacy /copilot/metrics API.",
        [
            p.newest_stat(
                "Active users",
                "Users with any Copilot activity on the report day.",
                daily(ACTIVE),
                w=6,
            ),
            p.newest_stat(
                "Engaged users",
                "Users engaged with any Copilot feature on the report day.",
                daily(ENGAGED),
                w=6,
            ),
            p.newest_stat(
                "Acceptance rate",
                "IDE code acceptances ÷ suggestions on the report day (selected editors, "
                "models, languages).",
                acceptance_rate(),
                unit=p.PERCENT,
                decimals=1,
                w=6,
            ),
            p.newest_stat(
                "PR summaries",
                "Pull request summaries Copilot wrote on the report day.",
                summed(SUMMARIES),
                w=6,
            ),
            p.daily_chart(
                "Active and engaged users",
                "Active and engaged users per report day.",
                p.Target(daily(ACTIVE), "{{scope_type}} {{scope}} active"),
                p.Target(daily(ENGAGED), "{{scope_type}} {{scope}} engaged"),
                w=12,
            ),
            p.daily_chart(
                "Engaged users by feature",
                "Users engaged with IDE code completions, IDE chat, github.com chat and pull "
                "request summaries.",
                *(
                    p.Target(daily(metric(name)), f"{{{{scope_type}}}} {{{{scope}}}} {legend}")
                    for name, legend in (
                        ("ide_code_completions_engaged_users", "IDE completions"),
                        ("ide_chat_engaged_users", "IDE chat"),
                        ("dotcom_chat_engaged_users", "github.com chat"),
                        ("dotcom_pull_requests_engaged_users", "PR summaries"),
                    )
                ),
                w=12,
            ),
        ],
    )


def completions() -> p.Row:
    dims = ("editor", "model", "language")
    return p.Row(
        "IDE code completions",
        "Suggestions, acceptances and lines by editor, model and language. Filter with the "
        "Editor, Model and Language variables.",
        [
            engaged_chart(
                "Completions: engaged users by editor",
                "Users engaged with code completions per editor.",
                "ide_code_completions_engaged_users_by_editor",
                "editor",
                8,
            ),
            engaged_chart(
                "Completions: engaged users by language",
                "Users engaged with code completions per language.",
                "ide_code_completions_engaged_users_by_language",
                "language",
                8,
            ),
            p.daily_chart(
                "Suggestions and acceptances",
                "IDE code suggestions shown and accepted (selected editors, models, languages).",
                p.Target(summed(SUGGESTIONS), "{{scope_type}} {{scope}} suggested"),
                p.Target(summed(ACCEPTANCES), "{{scope_type}} {{scope}} accepted"),
            ),
            p.daily_chart(
                "Acceptance rate by editor",
                "Code acceptances ÷ suggestions per editor.",
                p.Target(acceptance_rate("editor"), "{{scope}} · {{editor}}"),
                unit=p.PERCENT,
            ),
            p.daily_chart(
                "Acceptance rate by language",
                "Code acceptances ÷ suggestions per language.",
                p.Target(acceptance_rate("language"), "{{scope}} · {{language}}"),
                unit=p.PERCENT,
            ),
            p.daily_chart(
                "Lines suggested and accepted",
                "Lines of IDE code suggested and accepted.",
                p.Target(summed(LINES_SUGGESTED), "{{scope_type}} {{scope}} suggested"),
                p.Target(summed(LINES_ACCEPTED), "{{scope_type}} {{scope}} accepted"),
            ),
            p.top_table(
                "Editor × model × language (top $topn by suggestions)",
                "The legacy report's finest breakdown on the newest report day: suggestions, "
                "acceptances, acceptance rate, lines and engaged users per editor, model and "
                "language.",
                dims,
                p.Column("Suggestions", summed(SUGGESTIONS, *dims)),
                p.Column("Acceptances", summed(ACCEPTANCES, *dims)),
                p.Column("Acceptance rate", acceptance_rate(*dims), unit=p.PERCENT),
                p.Column("Lines suggested", summed(LINES_SUGGESTED, *dims)),
                p.Column("Lines accepted", summed(LINES_ACCEPTED, *dims)),
                p.Column(
                    "Engaged users",
                    filtered(metric("ide_code_completions_engaged_users_by_editor_model_language")),
                ),
                w=24,
            ),
        ],
    )


def chat() -> p.Row:
    return p.Row(
        "IDE chat",
        "Copilot chat in the IDE, by editor and model.",
        [
            engaged_chart(
                "IDE chat: engaged users by editor",
                "Users engaged with IDE chat per editor.",
                "ide_chat_engaged_users_by_editor",
                "editor",
                8,
            ),
            p.daily_chart(
                "IDE chats",
                "IDE chat conversations per editor.",
                p.Target(summed(CHATS, "editor"), "{{scope}} · {{editor}}"),
            ),
            p.daily_chart(
                "IDE chat insertions and copies",
                "Code inserted from and copied out of IDE chat answers.",
                p.Target(summed(INSERTIONS), "{{scope_type}} {{scope}} insertions"),
                p.Target(summed(COPIES), "{{scope_type}} {{scope}} copies"),
            ),
            p.table_panel(
                "IDE chat by editor × model",
                "Chats, insertions, copies and engaged users per editor and model on the newest "
                "report day.",
                p.Column("Chats", summed(CHATS, "editor", "model")),
                p.Column("Insertions", summed(INSERTIONS, "editor", "model")),
                p.Column("Copies", summed(COPIES, "editor", "model")),
                p.Column(
                    "Engaged users", filtered(metric("ide_chat_engaged_users_by_editor_model"))
                ),
                sort_by="Chats",
            ),
        ],
    )


def dotcom_chat() -> p.Row:
    return p.Row(
        "GitHub.com chat",
        "Copilot chat on github.com, by model.",
        [
            engaged_chart(
                "github.com chat: engaged users by model",
                "Users engaged with Copilot chat on github.com per model.",
                "dotcom_chat_engaged_users_by_model",
                "model",
                12,
            ),
            p.daily_chart(
                "github.com chats",
                "Copilot chats on github.com per model.",
                p.Target(filtered(metric("dotcom_chats")), "{{scope}} · {{model}}"),
                w=12,
            ),
        ],
    )


def pull_request_summaries() -> p.Row:
    return p.Row(
        "Pull request summaries",
        "Copilot pull request summaries on github.com, by repository and model.",
        [
            p.daily_chart(
                "PR summaries",
                "Pull request summaries Copilot wrote per report day.",
                p.Target(summed(SUMMARIES)),
                w=12,
            ),
            p.daily_chart(
                "PR summaries: engaged users",
                "Users engaged with pull request summaries per report day.",
                p.Target(daily(metric("dotcom_pull_requests_engaged_users"))),
                w=12,
            ),
            p.top_table(
                "Top $topn repositories by PR summaries",
                "Repositories with the most Copilot pull request summaries on the newest report "
                "day, with their engaged users.",
                ("repository",),
                p.Column("Summaries", summed(SUMMARIES, "repository")),
                p.Column(
                    "Engaged users",
                    daily(metric("dotcom_pull_requests_engaged_users_by_repository")),
                ),
                w=24,
                h=9,
            ),
        ],
    )


def models_row() -> p.Row:
    return p.Row(
        "Models",
        "Models seen in the legacy report.",
        [
            p.info_table(
                "Models",
                "Every model of the legacy report per scope: whether it is a custom model and "
                "its training date.",
                filtered(metric("model_info")),
                h=7,
            )
        ],
    )


def variables() -> list[p.Variable]:
    """Editor, Model and Language, from the engaged users of IDE code completions."""
    return [
        *p.scope_variables(),
        p.dimension_variable(
            "editor", "Editor", metric("ide_code_completions_engaged_users_by_editor")
        ),
        p.dimension_variable(
            "model", "Model", metric("ide_code_completions_engaged_users_by_editor_model")
        ),
        p.dimension_variable(
            "language", "Language", metric("ide_code_completions_engaged_users_by_language")
        ),
        p.topn_variable(),
    ]


def dashboard() -> models.Dashboard:
    return p.build(
        UID,
        "Copilot legacy metrics API",
        "Data of the legacy /copilot/metrics API (closed by GitHub on 2026-04-02): IDE code "
        "completions by editor, model and language, IDE and github.com chat, and pull request "
        "summaries.",
        tags=["copilot", "github", "legacy"],
        variables=variables(),
        rows=[
            users(),
            completions(),
            chat(),
            dotcom_chat(),
            pull_request_summaries(),
            models_row(),
        ],
    )
