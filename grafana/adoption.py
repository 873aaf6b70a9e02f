"""Copilot adoption: who uses Copilot (user counts per scope and team, AI adoption phases)
and the licences."""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart
from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as models

from exporter.metrics import MetricSpec
from exporter.seats import ACTIVITY_VALUES
from grafana import panels as p
from grafana.promql import (
    TEAMS,
    current,
    daily,
    eq,
    like,
    metric,
    ratio,
    share,
    sort_desc,
    total,
)

UID = "copilot-adoption"

DAU = metric("daily_active_users")
WAU = metric("weekly_active_users")
MAU = metric("monthly_active_users")
MONTHLY_CHAT = metric("monthly_active_chat_users")
MONTHLY_AGENT = metric("monthly_active_agent_users")
DAILY_CHAT = metric("daily_active_chat_users")
DAILY_AGENT = metric("daily_active_agent_users")
DAILY_CLI = metric("daily_active_cli_users")
CODE_REVIEW = metric("code_review_users")
INTERACTIONS = metric("user_initiated_interactions")
ACCEPTANCES = metric("code_acceptances")
GENERATIONS = metric("code_generations")
AI_CREDITS = metric("ai_credits_used")
PHASE_USERS = metric("adoption_phase_users")
PHASE_AVERAGE = metric("adoption_phase_average_per_user")
# (column, measure) of the averages per user of a phase, in the order of GitHub's fields.
PHASE_MEASURES = (
    ("Interactions", "user_initiated_interactions"),
    ("Code generations", "code_generation_activities"),
    ("Acceptances", "code_acceptance_activities"),
    ("Lines added", "loc_added"),
    ("Lines deleted", "loc_deleted"),
    ("PRs created", "pull_requests_created"),
    ("PRs reviewed", "pull_requests_reviewed"),
    ("PRs merged", "pull_requests_merged"),
)
PHASE_MEDIAN_MEASURE = "pull_requests_median_seconds_to_merge"

SEATS = metric("seats")
SEATS_ACTIVE = metric("seats_active_this_cycle")
SEATS_INACTIVE = metric("seats_inactive_this_cycle")
SEATS_ADDED = metric("seats_added_this_cycle")
SEATS_INVITED = metric("seats_pending_invitation")
SEATS_CANCELLED = metric("seats_pending_cancellation")
BY_LAST_ACTIVITY = metric("seats_by_last_activity")
BY_LAST_AUTHENTICATION = metric("seats_by_last_authentication")
BY_EDITOR = metric("seats_by_editor")
BY_TEAM = metric("seats_by_assigning_team")
ASSIGNED_DIRECTLY = metric("seats_assigned_directly")
BY_PLAN = metric("seats_by_plan")
BILLING = metric("billing_info")
SEATS_REFRESHED = metric("seats_last_success_timestamp_seconds")

# Seats whose last activity is more than 30 days ago, as the CopilotManySeatsIdle alert counts.
UNUSED_30D = total(current(BY_LAST_ACTIVITY, like("last_activity", "30-90d|over_90d")))
# Seats whose user last authenticated more than 30 days ago, or never (no date on record).
UNAUTHENTICATED_30D = total(
    current(BY_LAST_AUTHENTICATION, like("last_authentication", "30-90d|over_90d|never"))
)
USED_THIS_CYCLE = ratio(current(SEATS_ACTIVE), current(SEATS))
BUCKET_COLOURS = {
    "0-1d": "green",
    "1-7d": "semi-dark-green",
    "7-30d": "yellow",
    "30-90d": "orange",
    "over_90d": "red",
    "never": "purple",
}


def seats(text: str) -> str:
    return f"{text} {p.SEATS} {p.SEATS_PER_SCOPE}"


def newest_day() -> p.Row:
    return p.Row(
        "Newest report day",
        "Users on the newest complete report day, per scope.",
        [
            p.metric_stat(
                DAU,
                description=f"Users with any Copilot activity on the report day. {p.NEWEST}",
            ),
            p.metric_stat(WAU),
            p.metric_stat(MAU),
            p.metric_stat(
                MONTHLY_CHAT,
                title="Monthly chat users",
                description="Users who used Copilot chat in the 28 days up to the report day. "
                f"{p.NEWEST}",
            ),
            p.metric_stat(MONTHLY_AGENT, title="Monthly agent users"),
            p.metric_stat(
                DAILY_CLI,
                title="Daily CLI users",
                description="Users of the Copilot CLI on the report day (0 when the report has "
                f"no CLI use). {p.NEWEST}",
            ),
            p.table_panel(
                "Active users per scope",
                "Every user count of the newest report day side by side, one row per scope. "
                f"{p.PER_SCOPE}",
                p.Column("Daily active", daily(DAU)),
                p.Column("Weekly active", daily(WAU)),
                p.Column("Monthly active", daily(MAU)),
                p.Column("Monthly chat", daily(MONTHLY_CHAT)),
                p.Column("Monthly agent", daily(MONTHLY_AGENT)),
                p.Column("Daily CLI", daily(DAILY_CLI)),
                p.Column("Daily ÷ monthly", ratio(daily(DAU), daily(MAU)), unit=p.PERCENT),
                sort_by="Weekly active",
            ),
        ],
    )


def trends() -> p.Row:
    return p.Row(
        "Trends",
        "Daily series, one point per report day and scope.",
        [
            p.metric_chart(
                DAU,
                description="Users with any Copilot activity, per report day.",
                per_scope=True,
            ),
            p.metric_chart(
                WAU,
                description="Users active in the 7 days up to each report day.",
                per_scope=True,
            ),
            p.metric_chart(
                MAU,
                description="Users active in the 28 days up to each report day.",
                per_scope=True,
            ),
            p.daily_chart(
                "Monthly chat and agent users",
                "Users of chat and of agent mode in the 28 days up to each report day.",
                p.Target(daily(MONTHLY_CHAT), "{{scope_type}} {{scope}} chat"),
                p.Target(daily(MONTHLY_AGENT), "{{scope_type}} {{scope}} agent"),
            ),
            p.daily_chart(
                "Daily chat and agent users",
                "Distinct users who used chat / agent mode on each report day (from the "
                "per-user report: teams always, enterprises and organizations when it is "
                "fetched).",
                p.Target(daily(DAILY_CHAT), "{{scope_type}} {{scope}} chat"),
                p.Target(daily(DAILY_AGENT), "{{scope_type}} {{scope}} agent"),
            ),
            p.metric_chart(
                DAILY_CLI,
                title="Daily CLI users",
                description="Users of the Copilot CLI on each report day.",
            ),
            p.daily_chart(
                "Engagement: daily ÷ monthly active users",
                "Daily active users divided by monthly active users: how many of the month's "
                "users come back on a given day.",
                p.Target(ratio(daily(DAU), daily(MAU))),
                unit=p.PERCENT,
            ),
            p.daily_chart(
                "Weekly active users, change vs 7 days earlier",
                "Relative change of weekly active users against the value seven days earlier "
                "(-0.3 = a 30% drop). Needs a week of history. The "
                "CopilotWeeklyActiveUsersDropped alert fires on a drop over 30%.",
                p.Target(ratio(daily(WAU), daily(WAU, offset="7d")) + " - 1"),
                unit=p.PERCENT,
                min_=None,
                thresholds=((None, "red"), (-0.3, "transparent")),
            ),
            p.daily_chart(
                "Interactions per daily active user",
                "User-initiated interactions (prompts, chat messages) divided by daily active "
                "users: depth of use.",
                p.Target(ratio(daily(INTERACTIONS), daily(DAU))),
            ),
        ],
    )


def code_review() -> p.Row:
    return p.Row(
        "Code review",
        "Users of Copilot code review, per window and engagement.",
        [
            p.metric_chart(
                CODE_REVIEW,
                eq("engagement", "active"),
                title="Active code review users",
                description="Users who requested a Copilot code review in the daily / weekly / "
                "monthly window ending on each report day.",
                legend="{{scope_type}} {{scope}} {{window}}",
                w=12,
            ),
            p.metric_chart(
                CODE_REVIEW,
                eq("engagement", "passive"),
                title="Passive code review users",
                description="Users who received a Copilot code review (on their pull requests) "
                "in the daily / weekly / monthly window ending on each report day.",
                legend="{{scope_type}} {{scope}} {{window}}",
                w=12,
            ),
        ],
    )


def ai_credits() -> p.Row:
    return p.Row(
        "AI credits",
        "Premium requests / AI credits used.",
        [
            p.metric_chart(
                AI_CREDITS,
                title="AI credits used",
                description="Sum of ai_credits_used over the users of each scope, per report "
                "day (from the per-user report).",
                w=24,
                h=7,
            )
        ],
    )


def adoption_phases() -> p.Row:
    users = daily(PHASE_USERS)
    phase = {"phase": "Phase", "phase_number": "Phase number"}
    averages = [
        p.Column(header, daily(PHASE_AVERAGE, eq("measure", measure)))
        for header, measure in PHASE_MEASURES
    ]
    median = daily(PHASE_AVERAGE, eq("measure", PHASE_MEDIAN_MEASURE))
    return p.Row(
        "Adoption phases",
        "GitHub's AI adoption phases (since 2026-05-29): No Cohort, then Phase 1 to Phase 3. "
        "A user is in one phase, so a scope's phases add up; the averages per user of a phase "
        "never do.",
        [
            p.daily_chart(
                "Users per adoption phase",
                "Engaged users in each AI adoption phase per report day (teams: their members "
                "active that day, by their phase).",
                p.Target(users, "{{scope}} · {{phase}}"),
                w=12,
            ),
            p.table_panel(
                "Adoption phases, newest report day",
                "Engaged users per phase on the newest report day and their share of the "
                f"scope's users in a phase. {p.PER_SCOPE}",
                p.Column("Users", users),
                p.Column("Share", share(users, total(users)), unit=p.PERCENT),
                labels=phase,
                sort_by="Users",
                w=12,
            ),
            p.table_panel(
                "Averages per user by adoption phase",
                "What an engaged user of each phase did on average on the newest report day, as "
                "GitHub computes it: interactions, code generations and acceptances, lines "
                "added and deleted, pull requests created, reviewed and merged, and the median "
                "time to merge. Averages: never summed or averaged across phases or scopes. "
                "Enterprises and organizations only (GitHub gives teams no averages). "
                f"{p.PER_SCOPE}",
                *averages,
                p.Column("Median time to merge", median, unit=p.unit_of(PHASE_AVERAGE)),
                labels=phase,
            ),
        ],
    )


def teams() -> p.Row:
    dau = daily(DAU, scope=TEAMS)
    acceptance = ratio(daily(ACCEPTANCES, scope=TEAMS), daily(GENERATIONS, scope=TEAMS))
    return p.Row(
        "Teams compared",
        "Teams of the selected scopes side by side (scope_type team and enterprise_team): "
        "picking an organization or enterprise in Scope lists its teams. Team figures come "
        "from the per-user report, so teams have daily user counts but no weekly or monthly "
        "ones.",
        [
            p.bars(
                "Daily active users by team",
                "Daily active users of each team on the newest report day, largest first. "
                "Lists the teams of the selected scopes; a user on two teams counts in both.",
                sort_desc(dau),
            ),
            p.bars(
                "Acceptance rate by team",
                "Code acceptances ÷ code generations of each team on the newest report day.",
                sort_desc(acceptance),
                unit=p.PERCENT,
                max_=1,
            ),
            p.table_panel(
                "Teams side by side",
                "Every team of the selected scopes on the newest report day: users of Copilot, "
                "of chat, agent mode, the CLI and code review, interactions per user and "
                "acceptance rate. Teams with fewer than five seated users that day are not in "
                "the report.",
                p.Column("Daily active", dau),
                p.Column("Chat", daily(DAILY_CHAT, scope=TEAMS)),
                p.Column("Agent", daily(DAILY_AGENT, scope=TEAMS)),
                p.Column("CLI", daily(DAILY_CLI, scope=TEAMS)),
                p.Column(
                    "Code review",
                    daily(
                        CODE_REVIEW, eq("window", "daily"), eq("engagement", "active"), scope=TEAMS
                    ),
                ),
                p.Column("Interactions per user", ratio(daily(INTERACTIONS, scope=TEAMS), dau)),
                p.Column("Acceptance rate", acceptance, unit=p.PERCENT),
                sort_by="Daily active",
                h=10,
            ),
            p.daily_chart(
                "Daily active users per team",
                "Daily active users of each team of the selected scopes, per report day.",
                p.Target(dau, "{{scope}}"),
                legend_table=True,
                w=24,
                h=9,
            ),
        ],
    )


def seats_by_last_activity() -> barchart.Panel:
    return seats_by_bucket(
        BY_LAST_ACTIVITY,
        "last_activity",
        "Seats by last activity",
        "Seats of each scope by time since their last Copilot activity, stacked: one bar "
        "per organization or enterprise, the buckets do not overlap and add up to the seat "
        "list. 0-1d: at most a day ago; over_90d: more than 90 days, or never used on a "
        "seat granted more than 90 days ago (GitHub blanks the date after 90 idle days); "
        "never: no activity on a seat granted in the last 90 days.",
    )


def seats_by_last_authentication() -> barchart.Panel:
    return seats_by_bucket(
        BY_LAST_AUTHENTICATION,
        "last_authentication",
        "Seats by last authentication",
        "Seats of each scope by time since their user last authenticated, stacked in the "
        "buckets of the last activity bars: one bar per organization or enterprise, adding up "
        "to the seat list. never: GitHub has no authentication on record for the seat. Shown "
        "once GitHub sends last_authenticated_at. A seat that authenticates but shows no "
        "Copilot activity is paid for and reachable, yet unused.",
    )


def seats_by_bucket(spec: MetricSpec, label: str, title: str, text: str) -> barchart.Panel:
    """Stacked bars per scope: needs the table of (scope, bucket) turned into a matrix."""
    scope_key = f"scope_key\\{label}"
    query = f'label_join(\n  {current(spec)},\n  "scope_key", " ", "scope_type", "scope"\n)'
    panel = (
        barchart.Panel()
        .title(title)
        .description(f"{text} {p.SEATS} Bars are per scope and never stacked across scopes.")
        .datasource(p.DATASOURCE)
        .span(12)
        .height(10)
        .targets(p.queries([p.Target(query, "__auto")], "table"))
        .transformations(
            [
                models.DataTransformerConfig(
                    id_val="groupingToMatrix",
                    options={
                        "columnField": label,
                        "rowField": "scope_key",
                        "valueField": "Value",
                        "emptyValue": "zero",
                    },
                ),
                models.DataTransformerConfig(
                    id_val="organize",
                    options={
                        "excludeByName": {},
                        "indexByName": {
                            scope_key: 0,
                            **{b: i for i, b in enumerate(ACTIVITY_VALUES, start=1)},
                        },
                        "renameByName": {scope_key: "Scope"},
                    },
                ),
            ]
        )
        .unit("short")
        .min(0)
        .color_scheme(p.colour(models.FieldColorModeId.PALETTE_CLASSIC))
        .mappings([])
        .thresholds(p.threshold_steps(p.GREEN))
        .axis_border_show(False)
        .axis_centered_zero(False)
        .axis_color_mode(common.AxisColorMode.TEXT)
        .axis_label("")
        .axis_placement(common.AxisPlacement.AUTO)
        .fill_opacity(80)
        .gradient_mode(common.GraphGradientMode.NONE)
        .hide_from(p.hide_nothing())
        .line_width(1)
        .scale_distribution(
            common_builders.ScaleDistributionConfig().type(common.ScaleDistribution.LINEAR)
        )
        .thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.OFF)
        )
        .bar_radius(0)
        .bar_width(0.8)
        .full_highlight(False)
        .group_width(0.7)
        .legend(p.list_legend())
        .orientation(common.VizOrientation.HORIZONTAL)
        .show_value(common.VisibilityMode.NEVER)
        .stacking(common.StackingMode.NORMAL)
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.NONE)
        )
        .x_field("Scope")
        .x_tick_label_rotation(0)
        .x_tick_label_spacing(0)
    )
    for bucket in ACTIVITY_VALUES:
        panel = panel.override_by_name(
            bucket,
            [
                models.DynamicConfigValue(
                    id_val="color",
                    value=models.FieldColor(
                        mode=models.FieldColorModeId.FIXED, fixed_color=BUCKET_COLOURS[bucket]
                    ),
                )
            ],
        )
    return panel


def licences() -> p.Row:
    editors = current(BY_EDITOR)
    return p.Row(
        "Licences",
        "Copilot licences (seats) of each organization and enterprise, from the billing and "
        "seat list endpoints: how many, how many were used this billing cycle and how "
        "recently, when their users last authenticated, with which editor and through which "
        "team. Seat data is current (refreshed "
        "every 6 hours by default), not a daily figure; organizations and enterprises only, "
        "teams have no seats of their own. An enterprise and its organizations count the same "
        "people: never add their seats up.",
        [
            p.metric_stat(
                SEATS,
                description="Copilot seats (licences) held now: the billing seat total of an "
                "organization, the distinct users of the seat list of an enterprise (a user "
                "seated by several organizations counts once).",
            ),
            p.seat_stat(
                "Seats used this cycle",
                "Seats used at least once in the current billing cycle ÷ seats "
                f"({SEATS_ACTIVE.name} / {SEATS.name}). Organizations only: GitHub gives "
                "enterprises no billing summary.",
                USED_THIS_CYCLE,
                unit=p.PERCENT,
                thresholds=((None, "orange"), (0.6, "yellow"), (0.8, "green")),
            ),
            p.seat_stat(
                "Seats unused for 30+ days",
                "Seats whose last Copilot activity is more than 30 days ago (last_activity "
                "30-90d and over_90d; over_90d also holds seats granted more than 90 days ago "
                "and never used, as GitHub blanks the activity date after 90 idle days). Seats "
                "granted in the last 90 days and never used (last_activity never) are not "
                "counted: they may be days old. The CopilotManySeatsIdle alert fires when these "
                "are more than 20% of the seats and at least 10.",
                UNUSED_30D,
                thresholds=((None, "green"), (10, "orange")),
            ),
            p.metric_stat(
                SEATS_INVITED,
                title="Pending invitations",
                description="Seats waiting for the user to accept the organization invitation "
                "(organizations only): paid for, not usable yet.",
            ),
            p.metric_stat(
                SEATS_CANCELLED,
                title="Pending cancellations",
                description="Seats that end at the start of the next billing cycle "
                "(organizations only).",
            ),
            p.stat_panel(
                "Seat data age",
                "now − the last successful seats refresh of each scope "
                f"({SEATS_REFRESHED.name}). Seats refresh every 6 hours by default; older "
                "than that means refreshes fail (CopilotSeatDataFailing alerts after 12 hours; "
                "see the exporter health dashboard).",
                p.Target(f"time() - {current(SEATS_REFRESHED)}", "{{scope}}"),
                unit="s",
                thresholds=((None, "green"), (23400, "orange"), (43200, "red")),
            ),
            p.table_panel(
                "Seats per scope",
                seats(
                    "Every seat figure side by side, one row per organization and enterprise. "
                    "Active, inactive, added, pending and used this cycle come from the "
                    "organization billing summary (enterprises have none); unused 30+ days, "
                    "never used and assigned directly from the seat list. The billing-cycle "
                    "parts overlap (a seat added this cycle is also active or inactive)."
                ),
                p.Column("Seats", current(SEATS)),
                p.Column("Active this cycle", current(SEATS_ACTIVE)),
                p.Column("Inactive this cycle", current(SEATS_INACTIVE)),
                p.Column("Used this cycle", USED_THIS_CYCLE, unit=p.PERCENT),
                p.Column("Added this cycle", current(SEATS_ADDED)),
                p.Column("Pending invitation", current(SEATS_INVITED)),
                p.Column("Pending cancellation", current(SEATS_CANCELLED)),
                p.Column("Unused 30+ days", UNUSED_30D),
                p.Column(
                    "Never used (granted ≤ 90 days ago)",
                    current(BY_LAST_ACTIVITY, eq("last_activity", "never")),
                ),
                p.Column("Assigned directly", current(ASSIGNED_DIRECTLY)),
                sort_by="Seats",
            ),
            seats_by_last_activity(),
            p.chart(
                "Share of seats unused for 30+ days",
                seats(
                    "Seats unused for 30+ days (last_activity 30-90d and over_90d) ÷ seats, "
                    "over time. The dashed line is the CopilotManySeatsIdle threshold (20%; the "
                    "alert also needs at least 10 such seats, for 6 hours)."
                ),
                p.Target(ratio(UNUSED_30D, current(SEATS))),
                unit=p.PERCENT,
                max_=1,
                thresholds=((None, "transparent"), (0.2, "red")),
                stepped=True,
                w=12,
                h=10,
            ),
            seats_by_last_authentication(),
            p.chart(
                "Share of seats without authentication for 30+ days",
                seats(
                    "Seats whose user last authenticated more than 30 days ago, or never "
                    "(last_authentication 30-90d, over_90d and never) ÷ seats, over time: "
                    "licences nobody signs in with."
                ),
                p.Target(ratio(UNAUTHENTICATED_30D, current(SEATS))),
                unit=p.PERCENT,
                max_=1,
                stepped=True,
                w=12,
                h=10,
            ),
            p.top_table(
                "Editors of seats (top 10 per scope)",
                seats(
                    "The editor of each seat's last Copilot activity (versions dropped; none = "
                    "no recorded activity), the ten most common per scope, with their share of "
                    "the scope's seat list. A seat counts once, under the editor it used last."
                ),
                ("editor",),
                p.Column("Seats", editors),
                p.Column("Share of seats", share(editors, total(editors)), unit=p.PERCENT),
                n="10",
                labels={"editor": "Editor"},
            ),
            p.info_table(
                "Plan and policies",
                "Copilot plan and policy settings of each organization as GitHub reports them "
                f"({BILLING.name}; enterprises have no billing summary). An empty cell is a "
                f"setting GitHub did not return. {p.SEATS}",
                current(BILLING),
                {
                    "plan_type": "Plan",
                    "seat_management_setting": "Seat management",
                    "ide_chat": "IDE chat",
                    "platform_chat": "github.com chat",
                    "cli": "CLI",
                    "public_code_suggestions": "Public code suggestions",
                },
                w=12,
                h=10,
            ),
            p.table_panel(
                "Seats by assigning team",
                seats(
                    "Seats granted through a team, per team (ORG/SLUG in enterprises), largest "
                    "first; seats assigned to users directly are beside. A user seated by two "
                    "teams counts once, under the team of their most recently active seat, so "
                    "the teams and the directly assigned seats add up to the seat list."
                ),
                p.Column("Seats", sort_desc(current(BY_TEAM))),
                labels={"team": "Team"},
                sort_by="Seats",
                w=16,
                h=10,
            ),
            p.bars(
                "Seats assigned directly",
                seats(
                    "Seats assigned to users directly, not through a team, per scope. With the "
                    "team seats beside they add up to the seat list."
                ),
                sort_desc(current(ASSIGNED_DIRECTLY)),
                legend="{{scope_type}} {{scope}}",
                w=8,
            ),
            p.table_panel(
                "Seats by plan",
                seats(
                    "Seats per Copilot plan (business, enterprise; unknown when GitHub does not "
                    "say). An enterprise user with seats of both plans counts once, under "
                    "enterprise. The monthly pool of AI credits is these seats times the "
                    "credits each plan includes (the Copilot spend dashboard)."
                ),
                p.Column("Seats", current(BY_PLAN)),
                labels={"plan": "Plan"},
                sort_by="Seats",
                h=6,
            ),
        ],
    )


def dashboard() -> models.Dashboard:
    return p.build(
        UID,
        "Copilot adoption",
        "Who uses GitHub Copilot: daily, weekly and monthly active users, chat, agent, CLI and "
        "code review users per enterprise, organization and team, AI adoption phases, and the "
        "Copilot licences "
        "(seats) of organizations and enterprises: how many, used and signed in to how "
        "recently, with which editor and through which team.",
        tags=["copilot", "github", "adoption", "licences"],
        variables=p.scope_variables(),
        rows=[
            newest_day(),
            trends(),
            code_review(),
            ai_credits(),
            adoption_phases(),
            teams(),
            licences(),
        ],
    )
