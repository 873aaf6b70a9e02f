"""Copilot pull requests & CLI: pull requests with and without Copilot, per repository where
a scope opts in, and the Copilot CLI with its customisation."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as models

from exporter.metrics import CLI_CUSTOMISATIONS, REVIEW_STAGES, MetricSpec
from grafana import panels as p
from grafana.promql import daily, difference, eq, metric, ratio, top, total

UID = "copilot-pull-requests-cli"

CREATED = metric("pull_requests_created")
REVIEWED = metric("pull_requests_reviewed")
MERGED = metric("pull_requests_merged")
CREATED_BY_COPILOT = metric("pull_requests_created_by_copilot")
REVIEWED_BY_COPILOT = metric("pull_requests_reviewed_by_copilot")
MERGED_CREATED_BY_COPILOT = metric("pull_requests_merged_created_by_copilot")
MERGED_REVIEWED_BY_COPILOT = metric("pull_requests_merged_reviewed_by_copilot")
TIME_TO_MERGE = metric("pull_requests_median_time_to_merge_seconds")
SUGGESTIONS = metric("pull_request_suggestions")
APPLIED = metric("pull_request_applied_suggestions")
COPILOT_SUGGESTIONS = metric("pull_request_copilot_suggestions")
COPILOT_APPLIED = metric("pull_request_copilot_applied_suggestions")
COPILOT_SUGGESTIONS_BY_TYPE = metric("pull_request_copilot_suggestions_by_comment_type")
COPILOT_APPLIED_BY_TYPE = metric("pull_request_copilot_applied_suggestions_by_comment_type")
CLI_SESSIONS = metric("cli_sessions")
CLI_REQUESTS = metric("cli_requests")
CLI_PROMPTS = metric("cli_prompts")
CLI_PROMPT_TOKENS = metric("cli_prompt_tokens")
CLI_OUTPUT_TOKENS = metric("cli_output_tokens")
CLI_USERS = metric("daily_active_cli_users")

REPO_CREATED = metric("repository_pull_requests_created")
REPO_MERGED = metric("repository_pull_requests_merged")
REPO_BY_COPILOT = metric("repository_pull_requests_created_by_copilot")
REPO_MERGED_BY_COPILOT = metric("repository_pull_requests_merged_created_by_copilot")
REPO_REVIEWED_BY_COPILOT = metric("repository_pull_requests_reviewed_by_copilot")
REPO_TIME_TO_MERGE = metric("repository_pull_requests_median_time_to_merge_seconds")
REPO_SUGGESTIONS = metric("repository_pull_request_copilot_suggestions")
REPO_APPLIED = metric("repository_pull_request_copilot_applied_suggestions")
REPO_STAGE = metric("repository_review_stage_seconds")
REPO_REVIEWED_MERGED = metric("repository_reviewed_pull_requests_merged")
REPO_INFO = metric("repository_info")
REPOSITORIES = (
    "Repositories come from the repos-1-day report, for the organizations and enterprises "
    "whose scope says repositories: (see the README); a repository is owner/name, and one "
    "without activity on the report day is not in it. Beyond a scope's top N the rest is "
    "summed into repository other (medians and quantiles of those are left out)."
)

MERGED_SHARE = ratio(daily(MERGED_CREATED_BY_COPILOT), daily(MERGED))
COPILOT_APPLIED_SHARE = ratio(daily(COPILOT_APPLIED), daily(COPILOT_SUGGESTIONS))


def with_and_without(
    title: str, what: str, total: MetricSpec, copilot: MetricSpec, by_copilot: str
) -> p.Panel:
    """Pull requests by Copilot and the others (total minus Copilot's), per report day."""
    return p.daily_chart(
        title,
        f"Pull requests {what} per report day, split into those {by_copilot} and the others "
        "(total minus Copilot's).",
        p.Target(daily(copilot), f"{{{{scope_type}}}} {{{{scope}}}} {by_copilot}"),
        p.Target(difference(daily(total), daily(copilot)), "{{scope_type}} {{scope}} others"),
        w=12,
    )


def newest_day() -> p.Row:
    return p.Row(
        "Newest report day",
        "Pull request and CLI figures of the newest report day.",
        [
            p.newest_stat(
                "PRs created", "Pull requests created on the report day.", daily(CREATED)
            ),
            p.newest_stat("PRs merged", "Pull requests merged on the report day.", daily(MERGED)),
            p.newest_stat(
                "Merged PRs created by Copilot",
                "Share of the report day's merged pull requests that Copilot created.",
                MERGED_SHARE,
                unit=p.PERCENT,
                decimals=1,
            ),
            p.newest_stat(
                "Median time to merge",
                "Median time from creation to merge of the pull requests merged on the report "
                "day (all authors).",
                daily(TIME_TO_MERGE, eq("author", "any")),
                unit=p.unit_of(TIME_TO_MERGE),
            ),
            p.newest_stat(
                "Copilot suggestions applied",
                "Share of Copilot review suggestions that were applied on the report day.",
                COPILOT_APPLIED_SHARE,
                unit=p.PERCENT,
                decimals=1,
            ),
            p.newest_stat(
                "CLI sessions", "Copilot CLI sessions on the report day.", daily(CLI_SESSIONS)
            ),
        ],
    )


def pull_requests() -> p.Row:
    return p.Row(
        "Pull requests",
        "Pull requests created, reviewed and merged, with and without Copilot.",
        [
            with_and_without(
                "PRs created",
                "created",
                CREATED,
                CREATED_BY_COPILOT,
                "created by Copilot",
            ),
            with_and_without(
                "PRs reviewed",
                "reviewed",
                REVIEWED,
                REVIEWED_BY_COPILOT,
                "reviewed by Copilot",
            ),
            with_and_without(
                "PRs merged: Copilot-authored",
                "merged",
                MERGED,
                MERGED_CREATED_BY_COPILOT,
                "created by Copilot",
            ),
            with_and_without(
                "PRs merged: Copilot-reviewed",
                "merged",
                MERGED,
                MERGED_REVIEWED_BY_COPILOT,
                "reviewed by Copilot",
            ),
            p.metric_chart(
                TIME_TO_MERGE,
                title="Median time to merge",
                description="Median time from creation to merge of the pull requests merged on "
                "each report day: all pull requests (any), Copilot-authored and Copilot-reviewed "
                "ones.",
                legend="{{scope_type}} {{scope}} {{author}}",
                w=12,
            ),
            p.daily_chart(
                "Share of merged PRs with Copilot",
                "Merged pull requests that Copilot created, and that Copilot reviewed, as a "
                "share of all merged pull requests.",
                p.Target(MERGED_SHARE, "{{scope_type}} {{scope}} created by Copilot"),
                p.Target(
                    ratio(daily(MERGED_REVIEWED_BY_COPILOT), daily(MERGED)),
                    "{{scope_type}} {{scope}} reviewed by Copilot",
                ),
                unit=p.PERCENT,
                w=12,
            ),
        ],
    )


def review_suggestions() -> p.Row:
    by_type = (COPILOT_SUGGESTIONS_BY_TYPE, COPILOT_APPLIED_BY_TYPE)
    return p.Row(
        "Review suggestions",
        "Review suggestions on pull requests and how many were applied.",
        [
            p.daily_chart(
                "Review suggestions",
                "All review suggestions and the applied ones, per report day.",
                p.Target(daily(SUGGESTIONS), "{{scope_type}} {{scope}} suggested"),
                p.Target(daily(APPLIED), "{{scope_type}} {{scope}} applied"),
            ),
            p.daily_chart(
                "Copilot review suggestions",
                "Review suggestions Copilot made and the applied ones, per report day.",
                p.Target(daily(COPILOT_SUGGESTIONS), "{{scope_type}} {{scope}} suggested"),
                p.Target(daily(COPILOT_APPLIED), "{{scope_type}} {{scope}} applied"),
            ),
            p.daily_chart(
                "Suggestions applied",
                "Applied ÷ made, for all review suggestions and for Copilot's.",
                p.Target(ratio(daily(APPLIED), daily(SUGGESTIONS)), "{{scope_type}} {{scope}} all"),
                p.Target(COPILOT_APPLIED_SHARE, "{{scope_type}} {{scope}} Copilot"),
                unit=p.PERCENT,
            ),
            p.table_panel(
                "Copilot suggestions by comment type",
                "Copilot review suggestions of the newest report day by comment type, with the "
                "applied ones and the share applied.",
                p.Column("Suggestions", daily(by_type[0])),
                p.Column("Applied", daily(by_type[1])),
                p.Column(
                    "Applied share", ratio(daily(by_type[1]), daily(by_type[0])), unit=p.PERCENT
                ),
                sort_by="Suggestions",
            ),
        ],
    )


def cli() -> p.Row:
    return p.Row(
        "Copilot CLI",
        "Use of the Copilot CLI (totals_by_cli).",
        [
            p.metric_chart(CLI_SESSIONS, title="CLI sessions"),
            p.daily_chart(
                "CLI requests and prompts",
                "Copilot CLI requests and prompts per report day.",
                p.Target(daily(CLI_REQUESTS), "{{scope_type}} {{scope}} requests"),
                p.Target(daily(CLI_PROMPTS), "{{scope_type}} {{scope}} prompts"),
            ),
            p.metric_chart(
                CLI_USERS,
                title="CLI users",
                description="Users of the Copilot CLI per report day.",
            ),
            p.daily_chart(
                "CLI tokens",
                "Prompt and output tokens of Copilot CLI requests per report day.",
                p.Target(daily(CLI_PROMPT_TOKENS), "{{scope_type}} {{scope}} prompt"),
                p.Target(daily(CLI_OUTPUT_TOKENS), "{{scope_type}} {{scope}} output"),
                w=12,
            ),
            p.daily_chart(
                "CLI tokens per request",
                "(Prompt + output tokens) ÷ requests, per report day.",
                p.Target(
                    ratio(
                        f"(\n{daily(CLI_PROMPT_TOKENS)}\n+\n{daily(CLI_OUTPUT_TOKENS)}\n)",
                        daily(CLI_REQUESTS),
                    )
                ),
                w=12,
            ),
        ],
    )


def repositories() -> p.Row:
    by_copilot = daily(REPO_BY_COPILOT)
    suggestions, applied = daily(REPO_SUGGESTIONS), daily(REPO_APPLIED)
    stage_columns = [
        p.Column(
            f"{stage.replace('_', ' ').capitalize()} {name}",
            daily(REPO_STAGE, eq("stage", stage), eq("quantile", quantile)),
            unit=p.unit_of(REPO_STAGE),
        )
        for stage in REVIEW_STAGES
        for name, quantile in (("p50", "0.5"), ("p90", "0.9"))
    ]
    repo = {"repository": "Repository"}
    return p.Row(
        "Repositories",
        f"Pull requests and Copilot code review per repository. {REPOSITORIES}",
        [
            p.top_table(
                "Top $topn repositories by Copilot-authored pull requests",
                "The repositories where Copilot (the cloud agent) created the most pull requests "
                "on the newest report day, per scope (topk), with the merged ones, all pull "
                "requests created and merged, those Copilot reviewed and the median time to "
                f"merge. {REPOSITORIES}",
                ("repository",),
                p.Column("Created by Copilot", by_copilot),
                p.Column("Merged, created by Copilot", daily(REPO_MERGED_BY_COPILOT)),
                p.Column("Created", daily(REPO_CREATED)),
                p.Column("Merged", daily(REPO_MERGED)),
                p.Column("Reviewed by Copilot", daily(REPO_REVIEWED_BY_COPILOT)),
                p.Column(
                    "Median time to merge",
                    daily(REPO_TIME_TO_MERGE, eq("author", "any")),
                    unit=p.unit_of(REPO_TIME_TO_MERGE),
                ),
                labels=repo,
                w=16,
            ),
            p.bars(
                "Active repositories by visibility",
                "Repositories with pull request activity on the newest report day, per scope "
                f"and visibility (public, private, internal). {REPOSITORIES} {p.PER_SCOPE}",
                f"count by (scope_type, scope, visibility) ({daily(REPO_INFO)})",
                legend="{{scope}} {{visibility}}",
                w=8,
            ),
            p.daily_chart(
                "Copilot-authored pull requests, top 5 repositories",
                "Pull requests Copilot created in the five repositories of each scope with the "
                f"most of them, per report day. {REPOSITORIES}",
                p.Target(top("5", by_copilot), "{{scope}} · {{repository}}"),
                w=12,
            ),
            p.daily_chart(
                "Copilot review suggestions applied, top 5 repositories",
                "Applied ÷ made Copilot review suggestions (all comment types) in the five "
                "repositories of each scope with the most suggestions, per report day. "
                f"{REPOSITORIES}",
                p.Target(
                    ratio(
                        total(applied, "repository"),
                        top("5", total(suggestions, "repository")),
                    ),
                    "{{scope}} · {{repository}}",
                ),
                unit=p.PERCENT,
                w=12,
            ),
            p.top_table(
                "Copilot review suggestions by repository and comment type (top $topn)",
                "The repository and comment type pairs with the most Copilot review suggestions "
                "on the newest report day, per scope, with the applied ones and the share "
                f"applied. {REPOSITORIES}",
                ("repository", "comment_type"),
                p.Column("Suggestions", suggestions),
                p.Column("Applied", applied),
                p.Column("Applied share", ratio(applied, suggestions), unit=p.PERCENT),
                labels={**repo, "comment_type": "Comment type"},
                w=24,
            ),
            p.top_table(
                "Review stages of the busiest repositories (top $topn)",
                "Time the pull requests merged on the newest report day spent in each review "
                "stage (ready for review to first review, first to final review, final review "
                "to merge): the median (p50) and the 90th percentile (p90), per repository and "
                "who authored and reviewed them, for the repositories with the most such "
                "merged pull requests (GitHub reports human reviews only, from 2026-09-21). "
                "Medians and percentiles are never summed or averaged across repositories. "
                f"{REPOSITORIES}",
                ("repository", "authored_by", "reviewed_by"),
                p.Column("Merged", daily(REPO_REVIEWED_MERGED)),
                *stage_columns,
                labels={**repo, "authored_by": "Authored by", "reviewed_by": "Reviewed by"},
                w=24,
            ),
        ],
    )


def cli_customisation() -> p.Row:
    tables = [
        p.top_table(
            f"Top $topn {custom.plural} (CLI)",
            f"{p.about(metric(custom.metric))} Newest report day, per scope (topk). {p.PER_SCOPE}",
            (custom.label,),
            p.Column("Count", daily(metric(custom.metric))),
            labels={custom.label: "Name"},
            w=8,
            h=8,
        )
        for custom in CLI_CUSTOMISATIONS
    ]
    distinct = [
        p.Column(custom.plural.capitalize(), daily(metric(custom.distinct_metric)))
        for custom in CLI_CUSTOMISATIONS
    ]
    return p.Row(
        "CLI customisation",
        "Skills, custom agents, MCP servers, slash commands and plugins used with the Copilot "
        "CLI (since 2026-09-17). GitHub sends the top 5 of each per record, customer-defined "
        "names as other (slash commands: custom). Plugins are a subset of skills: never add the "
        "two. MCP counts are connection attempts (connects and reconnects, failed ones too), "
        "not tool calls.",
        [
            *tables,
            p.table_panel(
                "Distinct customisations used (CLI)",
                "How many distinct skills, custom agents, MCP servers, slash commands and "
                "plugins were used with the Copilot CLI on the newest report day, top 5 or "
                "not. Enterprises and organizations only (a sum of users' distinct counts is "
                "no distinct count). Plugins are a subset of skills: never add the two. "
                f"{p.PER_SCOPE}",
                *distinct,
                w=8,
                h=8,
            ),
        ],
    )


def dashboard() -> models.Dashboard:
    return p.build(
        UID,
        "Copilot pull requests & CLI",
        "Pull requests created, reviewed and merged with and without Copilot, time to merge, "
        "review suggestions applied, per repository for the scopes that opt in (Copilot-authored "
        "pull requests, review suggestions by comment type, review stages), and Copilot CLI "
        "sessions, requests and tokens with its skills, custom agents, MCP servers, slash "
        "commands and plugins.",
        tags=["copilot", "github", "pull-requests", "cli"],
        variables=[*p.scope_variables(), p.topn_variable()],
        rows=[
            newest_day(),
            pull_requests(),
            review_suggestions(),
            repositories(),
            cli(),
            cli_customisation(),
        ],
    )
