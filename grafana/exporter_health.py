"""Copilot exporter health: is the exporter scraped, are its scopes refreshing, GitHub's API.

Its queries read the exporter's status metrics as they are (they change every refresh, not
once a day), filtered by the Job variable too.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as models

from grafana import panels as p
from grafana.promql import metric

UID = "copilot-exporter-health"

JOB = 'job=~"$job"'
SCOPED = f'scope_type=~"$scope_type", scope=~"$scope", {JOB}'
SERIES_LEGEND = "{{job}} {{scope_type}} {{scope}}"

UP = metric("up").name
REPORT_DAY = metric("report_day_timestamp_seconds").name
LAST_SUCCESS = metric("last_success_timestamp_seconds").name
DURATION = metric("refresh_duration_seconds").name
SEATS_UP = metric("seats_up").name
SEATS_LAST_SUCCESS = metric("seats_last_success_timestamp_seconds").name
BILLING_UP = metric("billing_up").name
BILLING_LAST_SUCCESS = metric("billing_last_success_timestamp_seconds").name
REQUESTS = metric("api_requests_total").name
FAILURES = metric("api_request_failures_total").name
RATE_LIMIT = metric("rate_limit_remaining").name
RATE_LIMIT_RESET = metric("rate_limit_reset_timestamp_seconds").name
BUILD_INFO = metric("exporter_build_info").name


def per_scope(expr: str) -> str:
    """One value per job and scope (an HA pair shows as two jobs or instances, not a sum)."""
    return f"max by (job, scope_type, scope) ({expr})"


def scopes_where(condition: str) -> str:
    """How many scopes per job meet ``condition``; 0, not nothing, when none do."""
    return (
        f"count by (job) ({UP}{{{SCOPED}}} {condition})\nor\n0 * count by (job) ({UP}{{{SCOPED}}})"
    )


def overview() -> p.Row:
    return p.Row(
        "Overview",
        "Is the exporter up and are its scopes refreshing?",
        [
            p.stat_panel(
                "Exporter targets up",
                "Prometheus' up metric for the exporter's scrape targets (1 = scraped fine).",
                p.Target(f"up{{{JOB}}}", "{{job}} {{instance}}"),
                unit="none",
                thresholds=p.STATE_STEPS,
                mappings=[p.STATE_MAPPING],
                w=6,
            ),
            p.stat_panel(
                "Scopes refreshing",
                f"Scopes whose last refresh succeeded ({UP} == 1), per job.",
                p.Target(scopes_where("== 1"), "{{job}}"),
                unit="none",
                thresholds=((None, "orange"), (1, "green")),
                w=6,
            ),
            p.stat_panel(
                "Scopes failing",
                f"Scopes whose last refresh failed ({UP} == 0), per job. The "
                "CopilotScopeRefreshFailing alert fires after three hours.",
                p.Target(scopes_where("== 0"), "{{job}}"),
                unit="none",
                thresholds=((None, "green"), (1, "red")),
                w=6,
            ),
            p.stat_panel(
                "Oldest report data",
                "Age of the oldest report day among the selected scopes (now − 00:00 UTC of the "
                "report day). GitHub publishes a day within two full UTC days, so 1–3 days is "
                "normal; the CopilotReportDataStale alert fires above 3 days.",
                p.Target(f"max by (job) (time() - {REPORT_DAY}{{{SCOPED}}})", "{{job}}"),
                unit="dtdurations",
                thresholds=((None, "green"), (216000.0, "orange"), (259200, "red")),
                w=6,
            ),
            p.info_table(
                "Exporter builds",
                f"Version of each exporter instance ({BUILD_INFO}).",
                f"{BUILD_INFO}{{{JOB}}}",
                w=12,
                h=5,
            ),
            p.stat_panel(
                "GitHub rate limit remaining",
                "Requests left in the current GitHub rate-limit window, per instance and "
                "resource. The CopilotGitHubRateLimitLow alert fires below 500.",
                p.Target(f"{RATE_LIMIT}{{{JOB}}}", "{{instance}} {{resource}}"),
                unit="short",
                thresholds=((None, "red"), (500, "orange"), (1000, "green")),
                w=12,
            ),
        ],
    )


def scopes() -> p.Row:
    return p.Row(
        "Scopes",
        "Per-scope refresh status.",
        [
            p.table_panel(
                "Scope status",
                "One row per exporter job and scope: refresh state, the report day the values "
                "describe, its age, time since the last successful refresh and how long the "
                "last refresh took.",
                p.Column("State", per_scope(f"{UP}{{{SCOPED}}}"), state=True),
                p.Column(
                    "Report day",
                    per_scope(f"{REPORT_DAY}{{{SCOPED}}}") + " * 1000",
                    unit="time:YYYY-MM-DD",
                ),
                p.Column(
                    "Data age",
                    per_scope(f"time() - {REPORT_DAY}{{{SCOPED}}}"),
                    unit="dtdurations",
                ),
                p.Column(
                    "Since last success",
                    per_scope(f"time() - {LAST_SUCCESS}{{{SCOPED}}}"),
                    unit="dtdurations",
                ),
                p.Column("Refresh duration", per_scope(f"{DURATION}{{{SCOPED}}}"), unit="s"),
                unit="none",
                h=9,
            ),
            p.state_timeline(
                "Scope refresh state",
                f"{UP} over time per scope: green while the last refresh succeeded, red while "
                "it failed.",
                f"{UP}{{{SCOPED}}}",
                legend=SERIES_LEGEND,
            ),
            p.chart(
                "Report data age",
                "now − 00:00 UTC of the report day each scope exports. Rises through the day "
                "and drops when a new day is fetched; above 3 days the CopilotReportDataStale "
                "alert fires.",
                p.Target(f"time() - {REPORT_DAY}{{{SCOPED}}}", SERIES_LEGEND),
                unit="s",
                thresholds=((None, "transparent"), (259200, "red")),
            ),
            p.chart(
                "Time since last successful refresh",
                "now − the last successful refresh of each scope.",
                p.Target(f"time() - {LAST_SUCCESS}{{{SCOPED}}}", SERIES_LEGEND),
                unit="s",
            ),
            p.chart(
                "Refresh duration",
                f"How long the last refresh of each scope took ({DURATION}).",
                p.Target(f"{DURATION}{{{SCOPED}}}", SERIES_LEGEND),
                unit="s",
            ),
        ],
    )


def github_api() -> p.Row:
    return p.Row(
        "GitHub API",
        "Requests the exporter made to GitHub.",
        [
            p.chart(
                "API requests by endpoint and status",
                "Request rate per endpoint (path template) and HTTP status code.",
                p.Target(
                    f"sum by (endpoint, code) (rate({REQUESTS}{{{JOB}}}[$__rate_interval]))",
                    "{{endpoint}} {{code}}",
                ),
                unit="reqps",
                legend_table=True,
                w=12,
            ),
            p.chart(
                "API failures by reason",
                "Rate of failed requests per reason (unauthorized, forbidden, not_found, "
                "rate_limited, server_error, timeout, link_expired, ...).",
                p.Target(
                    f"sum by (reason) (rate({FAILURES}{{{JOB}}}[$__rate_interval]))", "{{reason}}"
                ),
                unit="reqps",
                legend_table=True,
                no_value="no failures",
                w=12,
            ),
            p.table_panel(
                "API failures in the time range",
                "Failed requests per endpoint and reason over the dashboard's time range.",
                p.Column(
                    "Failures",
                    f"sum by (endpoint, reason) (increase({FAILURES}{{{JOB}}}[$__range]))",
                ),
                sort_by="Failures",
                no_value="no failures",
                w=12,
            ),
            p.table_panel(
                "API responses in the time range",
                "Requests per endpoint and HTTP status over the dashboard's time range.",
                p.Column(
                    "Requests", f"sum by (endpoint, code) (increase({REQUESTS}{{{JOB}}}[$__range]))"
                ),
                sort_by="Requests",
                w=12,
            ),
            p.chart(
                "Rate limit remaining",
                "Requests left in the current GitHub rate-limit window (x-ratelimit-remaining).",
                p.Target(f"{RATE_LIMIT}{{{JOB}}}", "{{instance}} {{resource}}"),
                unit="short",
                thresholds=((None, "red"), (500, "transparent")),
                w=12,
            ),
            p.chart(
                "Rate limit resets in",
                "Time until the current GitHub rate-limit window resets (x-ratelimit-reset − now).",
                p.Target(f"{RATE_LIMIT_RESET}{{{JOB}}} - time()", "{{instance}} {{resource}}"),
                unit="s",
                min_=None,
                w=12,
            ),
        ],
    )


def seat_data() -> p.Row:
    return p.Row(
        "Seat data",
        "The seats refresh of each organization and enterprise: the seat and licence metrics "
        "come from the billing endpoints on their own schedule (every 6 hours by default), "
        "separately from the daily usage reports.",
        [
            p.table_panel(
                "Seat data status",
                "One row per exporter job and organization or enterprise: whether the last "
                f"seats refresh succeeded ({SEATS_UP}), when the seat data was last refreshed "
                "and how old it is. Seats refresh every 6 hours by default; "
                "CopilotSeatDataFailing alerts after 12 hours of failures.",
                p.Column("State", per_scope(f"{SEATS_UP}{{{SCOPED}}}"), state=True),
                p.Column(
                    "Last success",
                    per_scope(f"{SEATS_LAST_SUCCESS}{{{SCOPED}}}") + " * 1000",
                    unit="dateTimeAsIso",
                ),
                p.Column(
                    "Seat data age",
                    per_scope(f"time() - {SEATS_LAST_SUCCESS}{{{SCOPED}}}"),
                    unit="dtdurations",
                ),
                unit="none",
                w=12,
            ),
            p.state_timeline(
                "Seat refresh state",
                f"{SEATS_UP} over time per organization and enterprise: green while the last "
                "seats refresh succeeded, red while it failed.",
                f"{SEATS_UP}{{{SCOPED}}}",
                legend=SERIES_LEGEND,
                w=12,
            ),
            p.chart(
                "Time since last seat refresh",
                "now − the last successful seats refresh of each organization and enterprise. "
                "A sawtooth up to the seats interval (6 hours by default) is normal; a line "
                "that keeps climbing means the refreshes fail.",
                p.Target(f"time() - {SEATS_LAST_SUCCESS}{{{SCOPED}}}", SERIES_LEGEND),
                unit="s",
                w=24,
            ),
        ],
    )


def billing_data() -> p.Row:
    return p.Row(
        "Billing data",
        "The billing refresh of each organization and enterprise: the spend metrics (AI "
        "credits, budgets) come from the billing endpoints on their own schedule (hourly by "
        "default), possibly with a credential of their own (github.billing_token).",
        [
            p.table_panel(
                "Billing data status",
                "One row per exporter job and organization or enterprise: whether the last "
                f"billing refresh succeeded ({BILLING_UP}), when the spend was last refreshed "
                "and how old it is. CopilotBillingDataFailing alerts after 3 hours of failures; "
                "github_copilot_billing_failure and the exporter log say why.",
                p.Column("State", per_scope(f"{BILLING_UP}{{{SCOPED}}}"), state=True),
                p.Column(
                    "Last success",
                    per_scope(f"{BILLING_LAST_SUCCESS}{{{SCOPED}}}") + " * 1000",
                    unit="dateTimeAsIso",
                ),
                p.Column(
                    "Spend data age",
                    per_scope(f"time() - {BILLING_LAST_SUCCESS}{{{SCOPED}}}"),
                    unit="dtdurations",
                ),
                unit="none",
                w=12,
            ),
            p.state_timeline(
                "Billing refresh state",
                f"{BILLING_UP} over time per organization and enterprise: green while the last "
                "billing refresh succeeded, red while it failed.",
                f"{BILLING_UP}{{{SCOPED}}}",
                legend=SERIES_LEGEND,
                w=12,
            ),
        ],
    )


def dashboard() -> models.Dashboard:
    return p.build(
        UID,
        "Copilot exporter health",
        "Is the GitHub Copilot exporter working: scrape targets, per-scope refresh state and "
        "data age, seat and billing data freshness, GitHub API requests, failures and rate "
        "limit.",
        tags=["copilot", "github", "exporter"],
        variables=[p.job_variable(), *p.scope_variables()],
        rows=[overview(), scopes(), github_api(), seat_data(), billing_data()],
        time_from="now-24h",
        refresh="1m",
    )
