"""The metric table: every metric the exporter can emit, declared once.

The collector, the report aggregation and the generated ``docs/metrics.md`` all read this
module, so a metric's name, help text, labels and the API field it comes from cannot drift
apart. Scope labels (``scope_type``, ``scope``) are implied for every scope metric and not
listed in ``labels``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType
from typing import Literal

PREFIX = "github_copilot_"
SCOPE_LABELS = ("scope_type", "scope")

Group = Literal["reports", "reports_users", "legacy", "seats", "status", "billing"]
Kind = Literal["gauge", "counter", "info"]
# What one sample measures. Dashboards pick their display unit from it.
Unit = Literal["count", "users", "seconds", "timestamp", "bytes", "usd", "ratio", "info"]
# Prometheus names carry the base unit as a suffix (``_total`` stripped first); first match wins.
_SUFFIX_UNITS: tuple[tuple[str, Unit], ...] = (
    ("_timestamp_seconds", "timestamp"),
    ("_seconds", "seconds"),
    ("_bytes", "bytes"),
    ("_usd", "usd"),
    ("_ratio", "ratio"),
)


@dataclass(frozen=True)
class MetricSpec:
    """One exported metric family."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    group: Group = "reports"
    kind: Kind = "gauge"
    scoped: bool = True
    source_field: str = ""
    breakdown_as: str | None = None  # the breakdown, where the name does not say it

    @property
    def all_labels(self) -> tuple[str, ...]:
        return (*SCOPE_LABELS, *self.labels) if self.scoped else self.labels

    @property
    def breakdown(self) -> str | None:
        """The breakdown this metric belongs to (``editor``, ``language_model``, ...), the
        unit of the cardinality controls; None for totals and non-dimension labels."""
        if self.breakdown_as is not None:
            return self.breakdown_as
        if not self.labels or self.kind == "info":
            return None
        if "_by_" in self.name:
            return self.name.rsplit("_by_", 1)[1]
        if self.group == "legacy":
            return "_".join(self.labels)
        return None

    @property
    def unit(self) -> Unit:
        """Derived from the name and kind, so a new spec never has to state it: the suffix
        (``_seconds``, ``_timestamp_seconds``, ``_bytes``, ``_usd``, ``_ratio``), else users
        for a name that counts users, else a plain count; ``info`` metrics are always 1."""
        if self.kind == "info":
            return "info"
        base = self.name.removesuffix("_total")
        for suffix, unit in _SUFFIX_UNITS:
            if base.endswith(suffix):
                return unit
        return "users" if "users" in base else "count"

    @property
    def summable(self) -> bool:
        """Whether samples may be added up (into an ``other`` bucket): user counts, medians
        and quantiles may not."""
        return (
            self.kind != "info"
            and "quantile" not in self.labels
            and not any(word in self.name for word in ("users", "median", "_info"))
        )


DAILY = "Value for the newest complete report day (a daily gauge)."


@dataclass(frozen=True)
class Counter:
    """One of the seven activity counters of the usage-metrics reports."""

    field: str
    metric: str
    what: str


COUNTERS: tuple[Counter, ...] = (
    Counter(
        "user_initiated_interaction_count",
        "user_initiated_interactions",
        "Prompts and other interactions users started",
    ),
    Counter(
        "code_generation_activity_count",
        "code_generations",
        "Code suggestions and edits Copilot generated",
    ),
    Counter("code_acceptance_activity_count", "code_acceptances", "Generated code users accepted"),
    Counter("loc_suggested_to_add_sum", "lines_suggested_to_add", "Lines Copilot suggested adding"),
    Counter(
        "loc_suggested_to_delete_sum",
        "lines_suggested_to_delete",
        "Lines Copilot suggested deleting",
    ),
    Counter("loc_added_sum", "lines_added", "Lines added from accepted Copilot code"),
    Counter("loc_deleted_sum", "lines_deleted", "Lines deleted by accepted Copilot edits"),
)
COUNTER_BY_FIELD = {c.field: c for c in COUNTERS}
_SIX = tuple(c.field for c in COUNTERS if c.field != "user_initiated_interaction_count")
_SEVEN = tuple(c.field for c in COUNTERS)


@dataclass(frozen=True)
class Breakdown:
    """A ``totals_by_*`` array: which keys become labels and which counters it carries."""

    array: str
    suffix: str
    keys: tuple[tuple[str, str], ...]  # (API field, label name)
    counters: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for _, label in self.keys)

    def metric(self, counter: Counter) -> str:
        return f"{PREFIX}{counter.metric}{self.suffix}"


BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown("totals_by_ide", "_by_editor", (("ide", "editor"),), _SEVEN),
    Breakdown("totals_by_feature", "_by_feature", (("feature", "feature"),), _SEVEN),
    Breakdown(
        "totals_by_language_feature",
        "_by_language_feature",
        (("language", "language"), ("feature", "feature")),
        _SIX,
    ),
    Breakdown(
        "totals_by_language_model",
        "_by_language_model",
        (("language", "language"), ("model", "model")),
        _SIX,
    ),
    Breakdown(
        "totals_by_model_feature",
        "_by_model_feature",
        (("model", "model"), ("feature", "feature")),
        _SEVEN,
    ),
)

# Entity user counts: (API field, metric name, help).
USER_COUNTS: tuple[tuple[str, str, str], ...] = (
    ("daily_active_users", "daily_active_users", "Users active on the report day"),
    (
        "weekly_active_users",
        "weekly_active_users",
        "Users active in the 7 days up to the report day",
    ),
    (
        "monthly_active_users",
        "monthly_active_users",
        "Users active in the 28 days up to the report day",
    ),
    (
        "monthly_active_chat_users",
        "monthly_active_chat_users",
        "Users who used chat in the 28 days up to the report day",
    ),
    (
        "monthly_active_agent_users",
        "monthly_active_agent_users",
        "Users who used agent mode in the 28 days up to the report day",
    ),
)
# daily_active_cli_users: "field absent means 0" (METRICS.md), so it is handled apart.
CLI_USERS_FIELD = "daily_active_cli_users"
CODE_REVIEW_WINDOWS = ("daily", "weekly", "monthly")
CODE_REVIEW_ENGAGEMENTS = ("active", "passive")

# totals_by_cli: (path in the object, metric name, help).
CLI_FIELDS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("session_count",), "cli_sessions", "Copilot CLI sessions"),
    (("request_count",), "cli_requests", "Copilot CLI requests"),
    (("prompt_count",), "cli_prompts", "Copilot CLI prompts"),
    (("token_usage", "output_tokens_sum"), "cli_output_tokens", "Copilot CLI output tokens"),
    (("token_usage", "prompt_tokens_sum"), "cli_prompt_tokens", "Copilot CLI prompt tokens"),
)

# pull_requests: (field, metric name, help).
PR_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("total_created", "pull_requests_created", "Pull requests created"),
    ("total_reviewed", "pull_requests_reviewed", "Pull requests reviewed"),
    ("total_merged", "pull_requests_merged", "Pull requests merged"),
    (
        "total_created_by_copilot",
        "pull_requests_created_by_copilot",
        "Pull requests created by Copilot",
    ),
    (
        "total_reviewed_by_copilot",
        "pull_requests_reviewed_by_copilot",
        "Pull requests reviewed by Copilot",
    ),
    (
        "total_merged_created_by_copilot",
        "pull_requests_merged_created_by_copilot",
        "Merged pull requests that Copilot created",
    ),
    (
        "total_merged_reviewed_by_copilot",
        "pull_requests_merged_reviewed_by_copilot",
        "Merged pull requests that Copilot reviewed",
    ),
    ("total_suggestions", "pull_request_suggestions", "Review suggestions on pull requests"),
    (
        "total_applied_suggestions",
        "pull_request_applied_suggestions",
        "Review suggestions applied on pull requests",
    ),
    (
        "total_copilot_suggestions",
        "pull_request_copilot_suggestions",
        "Copilot review suggestions on pull requests",
    ),
    (
        "total_copilot_applied_suggestions",
        "pull_request_copilot_applied_suggestions",
        "Copilot review suggestions applied on pull requests",
    ),
)
PR_BY_COMMENT_TYPE: tuple[tuple[str, str], ...] = (
    ("total_copilot_suggestions", "pull_request_copilot_suggestions_by_comment_type"),
    (
        "total_copilot_applied_suggestions",
        "pull_request_copilot_applied_suggestions_by_comment_type",
    ),
)
PR_MEDIANS: tuple[tuple[str, str], ...] = (
    ("median_minutes_to_merge", "any"),
    ("median_minutes_to_merge_copilot_authored", "copilot_authored"),
    ("median_minutes_to_merge_copilot_reviewed", "copilot_reviewed"),
)
PR_MEDIAN_METRIC = f"{PREFIX}pull_requests_median_time_to_merge_seconds"

# Per-user flags (users-1-day) counted as distinct users for teams and entities.
USER_FLAGS: tuple[tuple[str, str, str], ...] = (
    ("used_chat", "daily_active_chat_users", "Users who used chat on the report day"),
    ("used_agent", "daily_active_agent_users", "Users who used agent mode on the report day"),
    ("used_cli", CLI_USERS_FIELD, "Users who used the Copilot CLI on the report day"),
)
CODE_REVIEW_FLAGS: tuple[tuple[str, str], ...] = (
    ("used_copilot_code_review_active", "active"),
    ("used_copilot_code_review_passive", "passive"),
)
AI_CREDITS_METRIC = f"{PREFIX}ai_credits_used"
CODE_REVIEW_METRIC = f"{PREFIX}code_review_users"


def _reports_specs() -> list[MetricSpec]:
    specs: list[MetricSpec] = []
    for field, metric, what in USER_COUNTS:
        specs.append(MetricSpec(PREFIX + metric, f"{what}. {DAILY}", source_field=field))
    for field, metric, what in USER_FLAGS:
        if metric == CLI_USERS_FIELD:
            what = "Users who used the Copilot CLI on the report day (absent field means 0)"
            field = f"{CLI_USERS_FIELD} (teams: used_cli)"
        specs.append(MetricSpec(PREFIX + metric, f"{what}. {DAILY}", source_field=field))
    specs.append(
        MetricSpec(
            CODE_REVIEW_METRIC,
            "Users of Copilot code review in the window ending on the report day, by engagement "
            f"(active: requested it; passive: received it). {DAILY}",
            ("window", "engagement"),
            source_field="{window}_{engagement}_copilot_code_review_users",
        )
    )
    for counter in COUNTERS:
        specs.append(
            MetricSpec(
                PREFIX + counter.metric, f"{counter.what}. {DAILY}", source_field=counter.field
            )
        )
    for breakdown in BREAKDOWNS:
        for field in breakdown.counters:
            counter = COUNTER_BY_FIELD[field]
            dims = " and ".join(breakdown.labels)
            specs.append(
                MetricSpec(
                    breakdown.metric(counter),
                    f"{counter.what}, by {dims}. {DAILY}",
                    breakdown.labels,
                    source_field=f"{breakdown.array}[].{field}",
                )
            )
    for path, metric, what in CLI_FIELDS:
        specs.append(
            MetricSpec(
                PREFIX + metric, f"{what}. {DAILY}", source_field="totals_by_cli." + ".".join(path)
            )
        )
    for field, metric, what in PR_FIELDS:
        specs.append(
            MetricSpec(PREFIX + metric, f"{what}. {DAILY}", source_field=f"pull_requests.{field}")
        )
    for field, metric in PR_BY_COMMENT_TYPE:
        specs.append(
            MetricSpec(
                PREFIX + metric,
                f"Copilot review suggestions by comment type. {DAILY}",
                ("comment_type",),
                source_field=f"pull_requests.copilot_suggestions_by_comment_type[].{field}",
            )
        )
    specs.append(
        MetricSpec(
            PR_MEDIAN_METRIC,
            "Median time from creation to merge of pull requests merged on the report day, by "
            f"Copilot involvement. {DAILY}",
            ("author",),
            source_field="pull_requests.median_minutes_to_merge* (minutes x 60)",
        )
    )
    specs.append(
        MetricSpec(
            AI_CREDITS_METRIC,
            f"AI credits used (sum over users). {DAILY}",
            source_field="users-1-day ai_credits_used",
        )
    )
    return specs


def _status_specs() -> list[MetricSpec]:
    def status(
        name: str,
        help_: str,
        labels: tuple[str, ...] = (),
        kind: Kind = "gauge",
        scoped: bool = True,
    ) -> MetricSpec:
        return MetricSpec(PREFIX + name, help_, labels, "status", kind, scoped)

    return [
        status("up", "1 when the last refresh of this scope succeeded, else 0."),
        status(
            "report_day_timestamp_seconds",
            "00:00 UTC of the report day the exported values describe.",
        ),
        status("last_success_timestamp_seconds", "When this scope last refreshed successfully."),
        status("last_failure_timestamp_seconds", "When a refresh of this scope last failed."),
        status("refresh_duration_seconds", "How long the last refresh of this scope took."),
        status(
            "scope_failure",
            "1 while the last refresh of this scope failed; reason says why (absent when up).",
            ("reason",),
        ),
        status(
            "api_requests_total",
            "GitHub API requests made, by endpoint and HTTP status.",
            ("endpoint", "code"),
            "counter",
            scoped=False,
        ),
        status(
            "api_request_failures_total",
            "GitHub API requests that failed, by endpoint and reason.",
            ("endpoint", "reason"),
            "counter",
            scoped=False,
        ),
        status(
            "report_download_bytes_total",
            "Bytes of report files downloaded.",
            (),
            "counter",
            scoped=False,
        ),
        status(
            "rate_limit_remaining",
            "Requests left in the current GitHub rate-limit window.",
            ("resource",),
            scoped=False,
        ),
        status(
            "rate_limit_reset_timestamp_seconds",
            "When the current GitHub rate-limit window resets.",
            ("resource",),
            scoped=False,
        ),
        status("refreshes_total", "Refresh runs, by result.", ("result",), "counter", scoped=False),
        status("seats_up", "1 when the last seats refresh of this scope succeeded, else 0."),
        status(
            "seats_last_success_timestamp_seconds",
            "When the seats of this scope were last refreshed successfully.",
        ),
        status(
            "series_dropped",
            "Series left out of the last snapshot to stay under cardinality.max_series, "
            "by breakdown.",
            ("breakdown",),
            scoped=False,
        ),
        status(
            "exporter_build_info",
            "Build information; always 1. mode is demo while the exporter serves simulated "
            "data from its built-in fake GitHub, else live.",
            ("version", "mode"),
            "info",
            scoped=False,
        ),
    ]


# --- surfaces GitHub added after the first release (API.md section 5) ----------------------
# Kept in tables of their own beside the first-release ones above. Every one of these fields
# may be missing (older days) or null (no data): either gives no sample, never a 0.

SERVER_SIDE_SINCE = "2026-06-12"
UNATTRIBUTED_TOTAL = (
    f"Since {SERVER_SIDE_SINCE} it includes users seen only by GitHub's server-side telemetry, "
    "who have no editor, feature, model or language breakdown: the per-surface user counts and "
    "the breakdowns need not add up to it. The difference (this total minus the parts) is "
    "unattributed use; it is never exported as an 'other' label value."
)
UNATTRIBUTED_PART = (
    "One part of the active users: the parts need not add up to the active-user totals (users "
    f"seen only by server-side telemetry since {SERVER_SIDE_SINCE} have no breakdown; the "
    "difference is unattributed, never an 'other' label value)."
)
# The user counts whose HELP carries one of the notes above: the totals, then the parts.
USER_TOTALS = tuple(PREFIX + metric for _, metric, _ in USER_COUNTS[:3])
USER_PARTS = (
    *(PREFIX + metric for _, metric, _ in USER_COUNTS[3:]),
    *(PREFIX + metric for _, metric, _ in USER_FLAGS),
    CODE_REVIEW_METRIC,
)
TEAMS_FROM_USERS = "(teams: from the rows of their members in users-1-day)"
ENTITY_ONLY = "Enterprise and organization scopes only"


@dataclass(frozen=True)
class SurfaceUsers:
    """A user count GitHub added: the entity report's field, and the per-user flags whose
    distinct users give the count of a team (the first flag that is not null wins; none:
    the metric has no team value)."""

    field: str
    metric: str
    what: str
    flags: tuple[str, ...] = ()


SURFACE_USERS: tuple[SurfaceUsers, ...] = (
    SurfaceUsers(
        "daily_active_copilot_cloud_agent_users",
        "daily_active_cloud_agent_users",
        "Users of the Copilot cloud agent (formerly coding agent) on the report day",
        ("used_copilot_cloud_agent", "used_copilot_coding_agent"),
    ),
    SurfaceUsers(
        "weekly_active_copilot_cloud_agent_users",
        "weekly_active_cloud_agent_users",
        "Users of the Copilot cloud agent in the 7 days up to the report day",
    ),
    SurfaceUsers(
        "monthly_active_copilot_cloud_agent_users",
        "monthly_active_cloud_agent_users",
        "Users of the Copilot cloud agent in the 28 days up to the report day",
    ),
    SurfaceUsers(
        "daily_active_copilot_app_users",
        "daily_active_app_users",
        "Users of the GitHub Copilot app on the report day",
        ("used_copilot_app",),
    ),
    SurfaceUsers(
        "daily_active_vscode_agent_users",
        "daily_active_vscode_agent_users",
        "Users of the VS Code Agents window (not agent mode in the editor) on the report day",
        ("used_vscode_agent",),
    ),
)


@dataclass(frozen=True)
class SurfaceObject:
    """A ``totals_by_*`` object of sums (like ``totals_by_cli``), one metric per field.

    GitHub leaves the object out when nobody used the surface, so a team whose members did
    not use it exports 0, once the users report shows the surface exists at all: when one
    of its rows carries a field of ``zero_when`` (None: always, the CLI's old rule)."""

    object: str
    fields: tuple[tuple[tuple[str, ...], str, str], ...]  # (path in the object, metric, help)
    zero_when: tuple[str, ...] | None


SURFACE_OBJECTS: tuple[SurfaceObject, ...] = (
    SurfaceObject("totals_by_cli", CLI_FIELDS, None),
    SurfaceObject(
        "totals_by_copilot_app",
        (
            (("session_count",), "app_sessions", "Copilot app sessions"),
            (("request_count",), "app_requests", "Copilot app requests"),
            (("prompt_count",), "app_prompts", "Copilot app prompts"),
            (
                ("token_usage", "output_tokens_sum"),
                "app_output_tokens",
                "Copilot app output tokens",
            ),
            (
                ("token_usage", "prompt_tokens_sum"),
                "app_prompt_tokens",
                "Copilot app prompt tokens",
            ),
        ),
        ("used_copilot_app", "totals_by_copilot_app"),
    ),
    SurfaceObject(
        "totals_by_vscode_agent",
        (
            (("session_count",), "vscode_agent_sessions", "Sessions in the VS Code Agents window"),
            (
                ("total_user_messages",),
                "vscode_agent_user_messages",
                "Messages users sent in the VS Code Agents window",
            ),
        ),
        ("totals_by_vscode_agent",),  # users rows carry only the flag, not the object
    ),
)

THIRD_PARTY_ARRAY = "totals_by_3rd_party_agent"
THIRD_PARTY_KEY = "agent_id"
THIRD_PARTY_NAME = "agent_name"
# (field of an entry, metric, help): summed per agent_id, label ``agent``.
THIRD_PARTY_FIELDS: tuple[tuple[str, str, str], ...] = (
    (
        "user_initiated_interaction_count",
        "third_party_agent_jobs",
        "Jobs started with a third-party coding agent (GitHub's interaction count of the "
        "agent, which counts job starts: it is not part of "
        f"{PREFIX}user_initiated_interactions)",
    ),
    (
        "session_count",
        "third_party_agent_sessions",
        f"Sessions of a third-party coding agent ({ENTITY_ONLY.lower()}: users rows carry no "
        "session count)",
    ),
)
THIRD_PARTY_INFO = f"{PREFIX}third_party_agent_info"


@dataclass(frozen=True)
class CliCustomisation:
    """One ``totals_by_*`` array of Copilot CLI customisation (GitHub sends the top 5 per
    record, a name and an interaction count) and the distinct count beside it.

    GitHub's published example puts these at the top of a record, keyed by ``key``; the
    changelog describes them inside ``totals_by_cli``, keyed by ``name``: both are read."""

    array: str
    key: str
    label: str
    metric: str
    distinct_field: str
    distinct_metric: str
    plural: str
    what: str


CLI_CUSTOMISATIONS: tuple[CliCustomisation, ...] = (
    CliCustomisation(
        "totals_by_skill",
        "skill",
        "skill",
        "cli_skill_interactions",
        "distinct_skill_use_count",
        "cli_distinct_skills_used",
        "skills",
        "Copilot CLI skill invocations, by skill (plugin skills included: never add "
        f"{PREFIX}cli_plugin_interactions to these)",
    ),
    CliCustomisation(
        "totals_by_custom_agent",
        "custom_agent",
        "custom_agent",
        "cli_custom_agent_interactions",
        "distinct_custom_agent_use_count",
        "cli_distinct_custom_agents_used",
        "custom agents",
        "Copilot CLI custom agent interactions, by custom agent",
    ),
    CliCustomisation(
        "totals_by_mcp",
        "mcp",
        "mcp_server",
        "cli_mcp_connections",
        "distinct_mcp_use_count",
        "cli_distinct_mcp_servers_used",
        "MCP servers",
        "Copilot CLI MCP server connection attempts (connects and reconnects, failed ones "
        "too; not tool calls), by MCP server",
    ),
    CliCustomisation(
        "totals_by_slash_cmd",
        "slash_cmd",
        "slash_command",
        "cli_slash_command_interactions",
        "distinct_slash_cmd_use_count",
        "cli_distinct_slash_commands_used",
        "slash commands",
        "Copilot CLI slash commands run, by command",
    ),
    CliCustomisation(
        "totals_by_plugin",
        "plugin",
        "plugin",
        "cli_plugin_interactions",
        "distinct_plugin_use_count",
        "cli_distinct_plugins_used",
        "plugins",
        "Copilot CLI skill invocations that came from a plugin, by plugin (a subset of "
        f"{PREFIX}cli_skill_interactions: never add the two)",
    ),
)
CLI_CUSTOMISATION_NAME = "name"  # the changelog's spelling of every array's key
CLI_CUSTOMISATION_COUNT = "interaction_count"
CLI_CUSTOMISATION_COUNT_OLD = "user_initiated_interaction_count"  # seen in early files
TOP_5 = (
    "GitHub sends the top 5 per record, customer-defined names as 'other' (slash commands: "
    "'custom'), so a team's sum covers what its members' top 5 held."
)

ADOPTION_ARRAY = "totals_by_ai_adoption_phase"
ADOPTION_USER_FIELD = "ai_adoption_phase"
ADOPTION_USERS = f"{PREFIX}adoption_phase_users"
ADOPTION_AVERAGE = f"{PREFIX}adoption_phase_average_per_user"
ADOPTION_ENGAGED = "total_engaged_users"
AVERAGE_PREFIX = "avg_"


def adoption_measure(field: str) -> tuple[str, float] | None:
    """The ``measure`` label and the factor to base units of a per-phase ``avg_*`` field:
    ``avg_loc_added`` -> (``loc_added``, 1); minutes become seconds
    (``avg_pull_requests_median_minutes_to_merge`` ->
    (``pull_requests_median_seconds_to_merge``, 60)). None for any other field."""
    if not field.startswith(AVERAGE_PREFIX) or len(field) == len(AVERAGE_PREFIX):
        return None
    measure = field[len(AVERAGE_PREFIX) :]
    if "minutes" in measure:
        return measure.replace("minutes", "seconds"), 60.0
    return measure, 1.0


def _surface_specs() -> list[MetricSpec]:
    specs: list[MetricSpec] = []
    for users in SURFACE_USERS:
        teams = (
            f"teams: distinct users with {', else '.join(users.flags)} true"
            if users.flags
            else ENTITY_ONLY.lower()
        )
        specs.append(
            MetricSpec(
                PREFIX + users.metric,
                f"{users.what} ({teams}). {DAILY}",
                source_field=users.field,
            )
        )
    for obj in SURFACE_OBJECTS[1:]:  # the CLI's are first-release metrics
        zero = " or ".join(obj.zero_when or ())
        for path, metric, what in obj.fields:
            specs.append(
                MetricSpec(
                    PREFIX + metric,
                    f"{what} {TEAMS_FROM_USERS}; a team exports 0 once its users report "
                    f"carries {zero}. {DAILY}",
                    source_field=f"{obj.object}." + ".".join(path),
                )
            )
    for field, metric, what in THIRD_PARTY_FIELDS:
        specs.append(
            MetricSpec(
                PREFIX + metric,
                f"{what}, by agent (GitHub's agent_id). {DAILY}",
                ("agent",),
                source_field=f"{THIRD_PARTY_ARRAY}[].{field}",
            )
        )
    specs.append(
        MetricSpec(
            THIRD_PARTY_INFO,
            "Name of each third-party coding agent seen on the report day; always 1. One "
            "series per agent_id: when rows disagree on the name, the first one read wins.",
            ("agent", "agent_name"),
            kind="info",
            source_field=f"{THIRD_PARTY_ARRAY}[].{THIRD_PARTY_NAME}",
        )
    )
    for custom in CLI_CUSTOMISATIONS:
        specs.append(
            MetricSpec(
                PREFIX + custom.metric,
                f"{custom.what}. {TOP_5} {DAILY}",
                (custom.label,),
                source_field=f"{custom.array}[].{CLI_CUSTOMISATION_COUNT} (also in totals_by_cli)",
            )
        )
    for custom in CLI_CUSTOMISATIONS:
        specs.append(
            MetricSpec(
                PREFIX + custom.distinct_metric,
                f"Distinct {custom.plural} used with the Copilot CLI, top 5 "
                f"or not. {ENTITY_ONLY}: a sum of users' distinct counts is no distinct count, "
                f"so teams export none. {DAILY}",
                source_field=f"{custom.distinct_field} (also in totals_by_cli)",
            )
        )
    specs.append(
        MetricSpec(
            ADOPTION_USERS,
            "Engaged users in each AI adoption phase GitHub assigns (a user is in one phase, "
            "so phases add up; teams: their members active on the report day, by the phase "
            f"of their ai_adoption_phase). {DAILY}",
            ("phase", "phase_number"),
            source_field=f"{ADOPTION_ARRAY}[].{ADOPTION_ENGAGED}; teams: "
            f"{ADOPTION_USER_FIELD}.phase",
        )
    )
    specs.append(
        MetricSpec(
            ADOPTION_AVERAGE,
            "Average per engaged user of an AI adoption phase, by measure (the API field "
            "without avg_; minutes are converted to seconds, as in "
            "pull_requests_median_seconds_to_merge). An average: never sum it across phases "
            f"or measures. {ENTITY_ONLY}: GitHub gives no per-user values to average for "
            f"teams. {DAILY}",
            ("phase", "phase_number", "measure"),
            source_field=f"{ADOPTION_ARRAY}[].{AVERAGE_PREFIX}* (minutes x 60)",
        )
    )
    return specs


def _noted(specs: list[MetricSpec]) -> list[MetricSpec]:
    """The user counts with the note that their parts need not add up (API.md section 5)."""
    parts = {*USER_PARTS, *(PREFIX + u.metric for u in SURFACE_USERS), ADOPTION_USERS}
    out = []
    for spec in specs:
        if spec.name in USER_TOTALS:
            spec = replace(spec, help=f"{spec.help} {UNATTRIBUTED_TOTAL}")
        elif spec.name in parts:
            spec = replace(spec, help=f"{spec.help} {UNATTRIBUTED_PART}")
        out.append(spec)
    return out


# --- repositories (repos-1-day, opt-in per scope) ------------------------------------------
# One row per repository with activity on the report day, for organizations and enterprises
# whose scope says ``repositories:``. Each field of the row's pull_requests block becomes the
# entity metric of the same name under ``repository_``, labelled ``repository`` (owner/name).

REPOS_KIND = "repos-1-day"
REPOSITORY_PREFIX = "repository_"
REPOSITORY_INFO = f"{PREFIX}repository_info"
REPOSITORY_MEDIAN_METRIC = f"{PREFIX}repository_pull_requests_median_time_to_merge_seconds"
# The Copilot suggestion totals of a repository are the sums over comment_type of the
# per-comment-type metrics, which take the plain names (METRICS.md): not exported apart.
REPOSITORY_TOTALS_SKIPPED = ("total_copilot_suggestions", "total_copilot_applied_suggestions")
REPOSITORY_PR_FIELDS: tuple[tuple[str, str, str], ...] = tuple(
    (field, REPOSITORY_PREFIX + metric, what)
    for field, metric, what in PR_FIELDS
    if field not in REPOSITORY_TOTALS_SKIPPED
)
REPOSITORY_BY_COMMENT_TYPE: tuple[tuple[str, str], ...] = tuple(
    (field, REPOSITORY_PREFIX + metric.removesuffix("_by_comment_type"))
    for field, metric in PR_BY_COMMENT_TYPE
)
REVIEW_TIMES = "pull_request_review_times"
REVIEW_STAGE_METRIC = f"{PREFIX}repository_review_stage_seconds"
REVIEWED_MERGED_METRIC = f"{PREFIX}repository_reviewed_pull_requests_merged"
REVIEW_MERGED_FIELD = "total_merged"
REVIEW_ROLES = ("authored_by", "reviewed_by")
# (field prefix, quantile label): ``median_minutes_<stage>``, ``p90_minutes_<stage>``.
REVIEW_QUANTILES: tuple[tuple[str, str], ...] = (
    ("median_minutes_", "0.5"),
    ("p90_minutes_", "0.9"),
)
REVIEW_STAGES = ("ready_to_first_review", "first_to_final_review", "final_review_to_merge")
# Breakdown names for the cardinality controls (cardinality.breakdowns, max_series): the
# pull request counts, medians and info; the comment types; the review stages. The budget
# drops the last two before the first.
REPOSITORY_BREAKDOWNS = ("repository", "repository_comment_type", "repository_review_stage")
REPOSITORY_ONLY = (
    "Repositories with activity on the report day (repos-1-day; opt-in per organization or "
    "enterprise scope with repositories:); repository is owner/name."
)


def review_stage(field: str) -> tuple[str, str] | None:
    """(stage, quantile) of a ``pull_request_review_times[]`` field such as
    ``p90_minutes_first_to_final_review``; None for any other field."""
    for prefix, quantile in REVIEW_QUANTILES:
        if field.startswith(prefix) and len(field) > len(prefix):
            return field[len(prefix) :], quantile
    return None


def _repository_specs() -> list[MetricSpec]:
    counts, comments, reviews = REPOSITORY_BREAKDOWNS
    source = "repos-1-day"

    def repo(
        name: str, help_: str, labels: tuple[str, ...], breakdown: str, field: str, kind: Kind
    ) -> MetricSpec:
        return MetricSpec(
            name,
            help_,
            ("repository", *labels),
            kind=kind,
            source_field=f"{source} {field}",
            breakdown_as=breakdown,
        )

    specs = [
        repo(
            REPOSITORY_INFO,
            "A repository with activity on the report day and its visibility as GitHub gives "
            f"it (public, private, internal; empty when not given); always 1. {REPOSITORY_ONLY}",
            ("visibility",),
            counts,
            "repo_owner_name/repo_name, repo_visibility",
            "info",
        )
    ]
    for field, metric, what in REPOSITORY_PR_FIELDS:
        specs.append(
            repo(
                PREFIX + metric,
                f"{what} in the repository. {REPOSITORY_ONLY} {DAILY}",
                (),
                counts,
                f"pull_requests.{field}",
                "gauge",
            )
        )
    for field, metric in REPOSITORY_BY_COMMENT_TYPE:
        what = "applied" if "applied" in field else "made"
        specs.append(
            repo(
                PREFIX + metric,
                f"Copilot review suggestions {what} in the repository, by comment type (the "
                f"repository's total is the sum over comment_type). {REPOSITORY_ONLY} {DAILY}",
                ("comment_type",),
                comments,
                f"pull_requests.copilot_suggestions_by_comment_type[].{field}",
                "gauge",
            )
        )
    specs.append(
        repo(
            REPOSITORY_MEDIAN_METRIC,
            "Median time from creation to merge of the repository's pull requests merged on "
            "the report day, by Copilot involvement. A median: do not sum or average it "
            f"across repositories. {REPOSITORY_ONLY} {DAILY}",
            ("author",),
            counts,
            "pull_requests.median_minutes_to_merge* (minutes x 60)",
            "gauge",
        )
    )
    stages = ", ".join(REVIEW_STAGES)
    specs.append(
        repo(
            REVIEW_STAGE_METRIC,
            "Time the repository's pull requests merged on the report day spent in each review "
            f"stage ({stages}): medians (quantile 0.5) and 90th percentiles (0.9), by who "
            "authored and who reviewed them (GitHub reports human reviews only, data from "
            "2026-09-21). Medians and quantiles: do not sum or average them across "
            f"repositories, stages or author/reviewer pairs. {REPOSITORY_ONLY} {DAILY}",
            ("stage", "quantile", *REVIEW_ROLES),
            reviews,
            f"{REVIEW_TIMES}[].{{median,p90}}_minutes_<stage> (minutes x 60)",
            "gauge",
        )
    )
    specs.append(
        repo(
            REVIEWED_MERGED_METRIC,
            "Pull requests merged on the report day behind the repository's review-stage "
            f"times, by who authored and who reviewed them. {REPOSITORY_ONLY} {DAILY}",
            REVIEW_ROLES,
            reviews,
            f"{REVIEW_TIMES}[].{REVIEW_MERGED_FIELD}",
            "gauge",
        )
    )
    return specs


# --- API drift (exporter/drift.py) ----------------------------------------------------------

UNMAPPED_FIELDS = f"{PREFIX}report_unmapped_fields"
UNMAPPED_LIMIT = 200  # series at most; what is cut is logged with its count


def _drift_specs() -> list[MetricSpec]:
    return [
        MetricSpec(
            UNMAPPED_FIELDS,
            "Records carrying a field the exporter does not map, in the report files behind "
            "the current values (the newest read of each report kind per owner), by report "
            "kind and field path (array elements as [], nested objects by dots). Fields left "
            f"out on purpose (ids, partitions, versions) are not counted. At most "
            f"{UNMAPPED_LIMIT} series, the most frequent; the rest is logged.",
            ("report", "field"),
            "status",
            scoped=False,
        )
    ]


REPORT_SPECS: tuple[MetricSpec, ...] = tuple(
    _noted([*_reports_specs(), *_surface_specs(), *_repository_specs()])
)
STATUS_SPECS: tuple[MetricSpec, ...] = (*_status_specs(), *_drift_specs())


def _legacy_specs() -> list[MetricSpec]:
    def legacy(name: str, help_: str, labels: tuple[str, ...] = ()) -> MetricSpec:
        return MetricSpec(PREFIX + name, f"{help_}. {DAILY}", labels, "legacy")

    engaged = "Users engaged with"
    return [
        legacy("active_users", "Users with any Copilot activity (legacy total_active_users)"),
        legacy("engaged_users", "Users engaged with any Copilot feature (legacy)"),
        legacy("ide_code_completions_engaged_users", f"{engaged} IDE code completions"),
        legacy(
            "ide_code_completions_engaged_users_by_language",
            f"{engaged} IDE code completions, by language",
            ("language",),
        ),
        legacy(
            "ide_code_completions_engaged_users_by_editor",
            f"{engaged} IDE code completions, by editor",
            ("editor",),
        ),
        legacy(
            "ide_code_completions_engaged_users_by_editor_model",
            f"{engaged} IDE code completions, by editor and model",
            ("editor", "model"),
        ),
        legacy(
            "ide_code_completions_engaged_users_by_editor_model_language",
            f"{engaged} IDE code completions, by editor, model and language",
            ("editor", "model", "language"),
        ),
        legacy(
            "ide_code_suggestions", "IDE code suggestions shown", ("editor", "model", "language")
        ),
        legacy(
            "ide_code_acceptances", "IDE code suggestions accepted", ("editor", "model", "language")
        ),
        legacy(
            "ide_code_lines_suggested",
            "Lines of IDE code suggested",
            ("editor", "model", "language"),
        ),
        legacy(
            "ide_code_lines_accepted", "Lines of IDE code accepted", ("editor", "model", "language")
        ),
        legacy("ide_chat_engaged_users", f"{engaged} IDE chat"),
        legacy("ide_chat_engaged_users_by_editor", f"{engaged} IDE chat, by editor", ("editor",)),
        legacy(
            "ide_chat_engaged_users_by_editor_model",
            f"{engaged} IDE chat, by editor and model",
            ("editor", "model"),
        ),
        legacy("ide_chats", "IDE chat conversations", ("editor", "model")),
        legacy("ide_chat_insertion_events", "IDE chat code insertions", ("editor", "model")),
        legacy("ide_chat_copy_events", "IDE chat code copies", ("editor", "model")),
        legacy("dotcom_chat_engaged_users", f"{engaged} Copilot chat on github.com"),
        legacy(
            "dotcom_chat_engaged_users_by_model",
            f"{engaged} Copilot chat on github.com, by model",
            ("model",),
        ),
        legacy("dotcom_chats", "Copilot chats on github.com", ("model",)),
        legacy("dotcom_pull_requests_engaged_users", f"{engaged} Copilot pull request summaries"),
        legacy(
            "dotcom_pull_requests_engaged_users_by_repository",
            f"{engaged} Copilot pull request summaries, by repository",
            ("repository",),
        ),
        legacy(
            "dotcom_pull_requests_engaged_users_by_repository_model",
            f"{engaged} Copilot pull request summaries, by repository and model",
            ("repository", "model"),
        ),
        legacy(
            "dotcom_pull_request_summaries",
            "Pull request summaries Copilot created",
            ("repository", "model"),
        ),
        MetricSpec(
            PREFIX + "model_info",
            "Models seen in the legacy report; always 1.",
            ("model", "is_custom_model", "custom_model_training_date"),
            "legacy",
            "info",
        ),
    ]


LEGACY_SPECS: tuple[MetricSpec, ...] = tuple(_legacy_specs())

# --- seats and licences (exporter/seats.py) -------------------------------------------------

CURRENT = "Seats now: a current gauge, not a daily figure."
SEATS_METRIC = f"{PREFIX}seats"
BILLING_INFO = f"{PREFIX}billing_info"
# /orgs/{org}/copilot/billing fields that become labels of the info metric, in label order.
BILLING_SETTINGS: tuple[str, ...] = (
    "plan_type",
    "seat_management_setting",
    "ide_chat",
    "platform_chat",
    "cli",
    "public_code_suggestions",
)
# seat_breakdown parts: (API field, metric name sans prefix, help). Each is its own metric:
# they overlap (a seat added this cycle is also active or inactive), so none is a label value.
SEAT_BREAKDOWN: tuple[tuple[str, str, str], ...] = (
    (
        "active_this_cycle",
        "seats_active_this_cycle",
        "Seats used at least once in the current billing cycle",
    ),
    (
        "inactive_this_cycle",
        "seats_inactive_this_cycle",
        "Seats not used in the current billing cycle",
    ),
    (
        "pending_invitation",
        "seats_pending_invitation",
        "Seats waiting for the user to accept the organization invitation",
    ),
    (
        "pending_cancellation",
        "seats_pending_cancellation",
        "Seats that end at the start of the next billing cycle",
    ),
    ("added_this_cycle", "seats_added_this_cycle", "Seats added in the current billing cycle"),
)
SEATS_BY_LAST_ACTIVITY = f"{PREFIX}seats_by_last_activity"
SEATS_BY_EDITOR = f"{PREFIX}seats_by_editor"
SEATS_BY_ASSIGNING_TEAM = f"{PREFIX}seats_by_assigning_team"
SEATS_ASSIGNED_DIRECTLY = f"{PREFIX}seats_assigned_directly"
SEATS_BY_PLAN = f"{PREFIX}seats_by_plan"
UNKNOWN_PLAN = "unknown"  # no plan_type in GitHub's answer
# last_activity buckets: (label value, upper bound in days, inclusive); the lower bound is the
# previous bucket's upper bound, exclusive, so every seat falls in exactly one bucket.
LAST_ACTIVITY_BUCKETS: tuple[tuple[str, int], ...] = (
    ("0-1d", 1),
    ("1-7d", 7),
    ("7-30d", 30),
    ("30-90d", 90),
)
IDLE_DAYS = 90  # GitHub blanks last_activity_at after this many idle days
OVER_90D = "over_90d"
NEVER = "never"
NO_EDITOR = "none"  # no last_activity_editor: the seat has no recorded activity
ODD_EDITOR = "unknown"  # an editor string with nothing before its first "/"
_SEAT_LIST = "seats[] of /copilot/billing/seats"
_ONCE = (
    "In enterprises a user granted seats by several organizations or teams counts once "
    "(their most recently active seat), as in GitHub's total_seats."
)


def _bucket_help() -> str:
    parts, low = [], 0
    for value, high in LAST_ACTIVITY_BUCKETS:
        parts.append(
            f"{value} (at most {high} day ago, or in the future)"
            if low == 0
            else f"{value} (more than {low}, at most {high} days ago)"
        )
        low = high
    return ", ".join(parts)


def _seats_specs() -> list[MetricSpec]:
    def seats(
        name: str,
        help_: str,
        labels: tuple[str, ...] = (),
        source: str = _SEAT_LIST,
        kind: Kind = "gauge",
    ) -> MetricSpec:
        return MetricSpec(name, help_, labels, "seats", kind, source_field=source)

    return [
        seats(
            SEATS_METRIC,
            "Copilot seats (licences). Organizations: the billing seat total; enterprises "
            f"(GitHub has no enterprise billing summary): the users in the seat list. {_ONCE} "
            f"{CURRENT}",
            source="seat_breakdown.total (orgs); distinct seats[].assignee.id (enterprises)",
        ),
        *(
            seats(
                PREFIX + metric,
                f"{what} (organizations only). {CURRENT}",
                source=f"seat_breakdown.{field}",
            )
            for field, metric, what in SEAT_BREAKDOWN
        ),
        seats(
            BILLING_INFO,
            "Copilot plan and policies of an organization as GitHub gives them (a missing "
            "setting is an empty label); always 1.",
            BILLING_SETTINGS,
            source="/orgs/{org}/copilot/billing",
            kind="info",
        ),
        seats(
            SEATS_BY_LAST_ACTIVITY,
            "Seats by time since their last Copilot activity, in buckets that do not overlap: "
            f"{_bucket_help()}, {OVER_90D} (more than {IDLE_DAYS} days ago; also no activity "
            f"on a seat granted more than {IDLE_DAYS} days ago or of unknown age, as GitHub "
            f"blanks last_activity_at after {IDLE_DAYS} idle days), {NEVER} (no activity "
            f"on a seat granted at most {IDLE_DAYS} days ago). Every bucket is exported, "
            f"zeros too. {_ONCE} {CURRENT}",
            ("last_activity",),
            source="seats[].last_activity_at, seats[].created_at",
        ),
        seats(
            SEATS_BY_EDITOR,
            "Seats by the editor of their last Copilot activity: last_activity_editor up to "
            f"its first '/' (vscode/1.95.0/copilot/1.250.0 is vscode), {NO_EDITOR} when "
            f"absent, {ODD_EDITOR} when nothing precedes the '/'. {_ONCE} {CURRENT}",
            ("editor",),
            source="seats[].last_activity_editor",
        ),
        seats(
            SEATS_BY_ASSIGNING_TEAM,
            "Seats granted through a team, by team slug (ORG/SLUG in enterprises for an "
            "organization's team: slugs repeat across organizations). Seats assigned to "
            f"users directly are counted in {SEATS_ASSIGNED_DIRECTLY}. {_ONCE} {CURRENT}",
            ("team",),
            source="seats[].assigning_team.slug",
        ),
        seats(
            SEATS_BY_PLAN,
            "Seats by Copilot plan as GitHub names it (business, enterprise; "
            f"{UNKNOWN_PLAN} when it does not say); adds up to {SEATS_METRIC}. Organizations: "
            "the billing seat total under the organization's plan_type; enterprises: each "
            "user once, under the highest plan any of their seats has (enterprise over "
            "business). The AI-credit pool (github_copilot_ai_credits_pool) is computed from "
            "it: with seats.enabled false there is no pool. "
            f"{CURRENT}",
            ("plan",),
            source="plan_type (orgs); seats[].plan_type (enterprises)",
        ),
        seats(
            SEATS_ASSIGNED_DIRECTLY,
            "Seats assigned to users directly, not through a team; with "
            f"{SEATS_BY_ASSIGNING_TEAM} it adds up to the seat list. {_ONCE} {CURRENT}",
            source="seats[].assigning_team null",
        ),
    ]


SEATS_BY_LAST_AUTHENTICATION = f"{PREFIX}seats_by_last_authentication"


def _seat_surface_specs() -> list[MetricSpec]:
    return [
        MetricSpec(
            SEATS_BY_LAST_AUTHENTICATION,
            "Seats by time since their user last authenticated, in the buckets of "
            f"{SEATS_BY_LAST_ACTIVITY}: {_bucket_help()}, {OVER_90D} (more than {IDLE_DAYS} "
            f"days ago), {NEVER} (GitHub gives no last_authenticated_at: no authentication on "
            "record for the seat). Exported once GitHub sends the field for some seat; every "
            f"bucket then, zeros too. {_ONCE} {CURRENT}",
            ("last_authentication",),
            "seats",
            source_field="seats[].last_authenticated_at",
        )
    ]


SEATS_SPECS: tuple[MetricSpec, ...] = (*_seats_specs(), *_seat_surface_specs())

# --- spend: AI credits (exporter/billing.py) ------------------------------------------------

MONTH_TO_DATE = (
    "Month to date: the current UTC calendar month, a gauge that resets on the 1st at 00:00 UTC."
)
AI_CREDITS = f"{PREFIX}ai_credits"
AI_CREDITS_POOL = f"{PREFIX}ai_credits_pool"
AI_CREDITS_BY_COST_CENTER = f"{PREFIX}ai_credits_by_cost_center"
AI_CREDITS_BY_USER = f"{PREFIX}ai_credits_by_user"
BILLING_MONTH_START = f"{PREFIX}billing_month_start_timestamp_seconds"
BUDGET_AMOUNT = f"{PREFIX}budget_amount_usd"
BUDGET_CONSUMED = f"{PREFIX}budget_consumed_usd"
BILLING_UP = f"{PREFIX}billing_up"
BILLING_LAST_SUCCESS = f"{PREFIX}billing_last_success_timestamp_seconds"
BILLING_FAILURE = f"{PREFIX}billing_failure"
USAGE_LABELS = ("model", "sku")
BUDGET_LABELS = ("budget", "budget_scope", "target")
_SKUS = (
    "by model and SKU as GitHub names them; backfilled months before June 2026 hold premium "
    "requests (sku 'Copilot Premium Request', counted in requests at USD 0.04)"
)
# usageItems[] fields: (API field, metric name, help). Quantities are AI credits (USD 0.01).
USAGE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("grossQuantity", AI_CREDITS, "AI credits used, before the pool"),
    (
        "discountQuantity",
        f"{AI_CREDITS}_included",
        "AI credits the monthly pool covered (included in the seats)",
    ),
    ("netQuantity", f"{AI_CREDITS}_billed", "AI credits billed beyond the pool (overage)"),
    ("grossAmount", f"{AI_CREDITS}_gross_usd", "Value of the AI credits used, in US dollars"),
    (
        "discountAmount",
        f"{AI_CREDITS}_included_usd",
        "Value of the AI credits the monthly pool covered, in US dollars",
    ),
    (
        "netAmount",
        f"{AI_CREDITS}_billed_usd",
        "US dollars billed beyond the pool (overage)",
    ),
)


def _billing_specs() -> list[MetricSpec]:
    def billing(
        name: str, help_: str, labels: tuple[str, ...] = (), source: str = ""
    ) -> MetricSpec:
        return MetricSpec(name, help_, labels, "billing", source_field=source)

    def status(name: str, help_: str, labels: tuple[str, ...] = ()) -> MetricSpec:
        return MetricSpec(name, help_, labels, "status")

    usage = "/settings/billing/ai_credit/usage"
    return [
        *(
            billing(metric, f"{what}, {_SKUS}. {MONTH_TO_DATE}", USAGE_LABELS, f"usageItems[].{f}")
            for f, metric, what in USAGE_FIELDS
        ),
        billing(
            AI_CREDITS_POOL,
            "AI credits included this month: seats by plan (github_copilot_seats_by_plan) "
            "times the credits per seat of the plan (billing.business_credits_per_seat, "
            "billing.enterprise_credits_per_seat). Absent with seats.enabled false and "
            "before the first seats refresh; a failing seats refresh keeps the last count.",
            source="seats by plan x billing.*_credits_per_seat",
        ),
        billing(
            BILLING_MONTH_START,
            "00:00 UTC on the 1st of the month the spend metrics describe.",
            source="year, month asked for",
        ),
        billing(
            AI_CREDITS_BY_COST_CENTER,
            "AI credits used (gross), by enterprise cost center (its name), model and SKU; "
            f"opt-in (billing.cost_centers). {MONTH_TO_DATE}",
            ("cost_center", *USAGE_LABELS),
            source=f"{usage}?cost_center_id= usageItems[].grossQuantity",
        ),
        billing(
            AI_CREDITS_BY_USER,
            "AI credits used (gross), by user login, model and SKU, for the billing.top_users "
            "users with the most AI credits on the newest users-1-day report; opt-in (per-user "
            f"labels are off by default). {MONTH_TO_DATE}",
            ("user", *USAGE_LABELS),
            source=f"{usage}?user= usageItems[].grossQuantity",
        ),
        billing(
            BUDGET_AMOUNT,
            "Monthly budget for AI credits, in US dollars; budget_scope is what it limits "
            "(enterprise, organization, repository, cost_center, user) and target its name "
            "(user budgets only for the billing.top_users users).",
            BUDGET_LABELS,
            source="budgets[].budget_amount",
        ),
        billing(
            BUDGET_CONSUMED,
            f"US dollars of a budget consumed, where GitHub reports it. {MONTH_TO_DATE}",
            BUDGET_LABELS,
            source="budgets[].consumed_amount",
        ),
        status(BILLING_UP, "1 when the last billing refresh of this scope succeeded, else 0."),
        status(
            BILLING_LAST_SUCCESS,
            "When the spend of this scope was last refreshed successfully.",
        ),
        status(
            BILLING_FAILURE,
            "1 while the last billing refresh of this scope failed; reason says why (absent "
            "when up). The spend metrics keep their last good values.",
            ("reason",),
        ),
    ]


BILLING_SPECS: tuple[MetricSpec, ...] = tuple(_billing_specs())


def all_specs() -> tuple[MetricSpec, ...]:
    """Every metric, in the order the collector renders and the docs list them."""
    return (*STATUS_SPECS, *REPORT_SPECS, *LEGACY_SPECS, *SEATS_SPECS, *BILLING_SPECS)


@cache
def spec_index() -> Mapping[str, MetricSpec]:
    """Every metric by name (built once: the table does not change while running)."""
    return MappingProxyType({spec.name: spec for spec in all_specs()})


@cache
def breakdown_index() -> Mapping[str, str | None]:
    """Each metric's :attr:`MetricSpec.breakdown`, looked up per family of every scope."""
    return MappingProxyType({spec.name: spec.breakdown for spec in all_specs()})
