"""Copilot agents: the cloud agent, the Copilot app, the VS Code Agents window and
third-party coding agents (API.md section 5)."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as models

from grafana import panels as p
from grafana.promql import daily, labelled, metric, named, ratio, total

UID = "copilot-agents"

DAU = metric("daily_active_users")
CLOUD_DAILY = metric("daily_active_cloud_agent_users")
CLOUD_WEEKLY = metric("weekly_active_cloud_agent_users")
CLOUD_MONTHLY = metric("monthly_active_cloud_agent_users")
APP_USERS = metric("daily_active_app_users")
APP_SESSIONS = metric("app_sessions")
APP_REQUESTS = metric("app_requests")
APP_PROMPTS = metric("app_prompts")
APP_PROMPT_TOKENS = metric("app_prompt_tokens")
APP_OUTPUT_TOKENS = metric("app_output_tokens")
WINDOW_USERS = metric("daily_active_vscode_agent_users")
WINDOW_SESSIONS = metric("vscode_agent_sessions")
WINDOW_MESSAGES = metric("vscode_agent_user_messages")
AGENT_JOBS = metric("third_party_agent_jobs")
AGENT_SESSIONS = metric("third_party_agent_sessions")
AGENT_INFO = metric("third_party_agent_info")

NO_DATA_GAP = (
    "A day GitHub had no data for (null in the report) is a gap, not a zero; days before "
    "GitHub launched a surface have no points."
)
JOBS = (
    "Jobs are job starts (GitHub's interaction count of the agent): they are not part of the "
    "user-initiated interactions of the other dashboards."
)


def by_agent(spec_expr: str) -> str:
    """A per-agent query with the agent's name (third_party_agent_info) as a label."""
    return named(spec_expr, daily(AGENT_INFO), "agent", "agent_name")


def newest_day() -> p.Row:
    return p.Row(
        "Newest report day",
        "The agents' figures of the newest complete report day, per scope.",
        [
            p.metric_stat(CLOUD_DAILY, title="Cloud agent users"),
            p.metric_stat(APP_USERS, title="Copilot app users"),
            p.metric_stat(WINDOW_USERS, title="Agents window users"),
            p.newest_stat(
                "Third-party agent jobs",
                f"Jobs started with third-party coding agents on the report day, all agents. "
                f"{JOBS} {p.NEWEST}",
                total(daily(AGENT_JOBS)),
                decimals=0,
            ),
            p.metric_stat(APP_SESSIONS, title="Copilot app sessions"),
            p.metric_stat(WINDOW_SESSIONS, title="Agents window sessions"),
        ],
    )


def cloud_agent() -> p.Row:
    return p.Row(
        "Cloud agent",
        "The Copilot cloud agent (formerly coding agent), which works on issues and pull "
        "requests on GitHub.",
        [
            p.daily_chart(
                "Cloud agent users",
                "Users of the cloud agent on the report day, in the 7 days and in the 28 days "
                "up to it (window). Enterprises and organizations have all three; teams the "
                f"daily count, from their members' flags. {NO_DATA_GAP}",
                p.Target(
                    labelled(
                        "window",
                        ("daily", daily(CLOUD_DAILY)),
                        ("weekly", daily(CLOUD_WEEKLY)),
                        ("monthly", daily(CLOUD_MONTHLY)),
                    ),
                    "{{scope_type}} {{scope}} {{window}}",
                ),
                w=12,
            ),
            p.daily_chart(
                "Cloud agent users ÷ daily active users",
                "The share of each day's active users who used the cloud agent. Daily active "
                "users include users seen only by GitHub's servers since 2026-06-12.",
                p.Target(ratio(daily(CLOUD_DAILY), daily(DAU))),
                unit=p.PERCENT,
                w=12,
            ),
        ],
    )


def copilot_app() -> p.Row:
    return p.Row(
        "Copilot app",
        "The GitHub Copilot app (since 2026-07-17): its users, sessions, requests, prompts and "
        "tokens (totals_by_copilot_app).",
        [
            p.metric_chart(APP_USERS, title="Copilot app users"),
            p.daily_chart(
                "Copilot app sessions, requests and prompts",
                "Sessions, requests and prompts in the Copilot app per report day (teams: "
                "their members' sums).",
                p.Target(daily(APP_SESSIONS), "{{scope_type}} {{scope}} sessions"),
                p.Target(daily(APP_REQUESTS), "{{scope_type}} {{scope}} requests"),
                p.Target(daily(APP_PROMPTS), "{{scope_type}} {{scope}} prompts"),
            ),
            p.daily_chart(
                "Copilot app tokens",
                "Prompt and output tokens of Copilot app requests per report day.",
                p.Target(daily(APP_PROMPT_TOKENS), "{{scope_type}} {{scope}} prompt"),
                p.Target(daily(APP_OUTPUT_TOKENS), "{{scope_type}} {{scope}} output"),
            ),
        ],
    )


def agents_window() -> p.Row:
    return p.Row(
        "VS Code Agents window",
        "The Agents window of VS Code (since 2026-09-11), apart from agent mode in the editor.",
        [
            p.metric_chart(WINDOW_USERS, title="Agents window users"),
            p.daily_chart(
                "Agents window sessions and messages",
                "Sessions in the VS Code Agents window and the messages users sent there, per "
                "report day (enterprises and organizations only: users rows, and so teams, "
                "carry no sums).",
                p.Target(daily(WINDOW_SESSIONS), "{{scope_type}} {{scope}} sessions"),
                p.Target(daily(WINDOW_MESSAGES), "{{scope_type}} {{scope}} messages"),
            ),
            p.daily_chart(
                "Messages per Agents window session",
                "Messages users sent in the Agents window ÷ its sessions, per report day.",
                p.Target(ratio(daily(WINDOW_MESSAGES), daily(WINDOW_SESSIONS))),
            ),
        ],
    )


def third_party() -> p.Row:
    jobs, sessions = by_agent(daily(AGENT_JOBS)), by_agent(daily(AGENT_SESSIONS))
    legend = "{{scope}} · {{agent_name}}"
    return p.Row(
        "Third-party agents",
        "Third-party coding agents (since 2026-08-07), by GitHub's agent id, named by "
        "third_party_agent_info.",
        [
            p.daily_chart(
                "Third-party agent jobs by agent",
                f"Jobs started with each third-party coding agent per report day. {JOBS}",
                p.Target(jobs, legend),
                w=12,
            ),
            p.daily_chart(
                "Third-party agent sessions by agent",
                "Sessions of each third-party coding agent per report day (enterprises and "
                "organizations only: users rows, and so teams, carry no session count).",
                p.Target(sessions, legend),
                w=12,
            ),
            p.table_panel(
                "Third-party agents, newest report day",
                f"Each third-party agent of each scope on the newest report day. {JOBS} "
                f"{p.PER_SCOPE}",
                p.Column("Jobs", jobs),
                p.Column("Sessions", sessions),
                labels={"agent": "Agent id", "agent_name": "Agent"},
                sort_by="Jobs",
            ),
        ],
    )


def dashboard() -> models.Dashboard:
    return p.build(
        UID,
        "Copilot agents",
        "Copilot's agents per enterprise, organization and team: users of the cloud agent, "
        "the Copilot app and its sessions, requests, prompts and tokens, the VS Code Agents "
        "window and its sessions and messages, and third-party coding agents' jobs and "
        "sessions by agent.",
        tags=["copilot", "github", "agents"],
        variables=p.scope_variables(),
        rows=[newest_day(), cloud_agent(), copilot_app(), agents_window(), third_party()],
    )
