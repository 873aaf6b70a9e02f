"""Copilot spend: AI credits and dollars this month, the pool used and left, the projected
month end, overage, budgets, cost per active user, cost centers and the heaviest users.

The spend metrics are month-to-date gauges refreshed hourly (not daily figures): panels read
them as they are now, and charts at Grafana's own step show each month climbing from the 1st
and starting again on the next. Credit sums leave out backfilled premium requests (counted in
requests, before June 2026); dollar sums keep them, dollars being dollars.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as models

from exporter.billing import PREMIUM_REQUEST_SKU
from grafana import panels as p
from grafana.promql import Matcher, current, daily, metric, ratio, total

UID = "copilot-spend"

CREDITS = metric("ai_credits")
INCLUDED = metric("ai_credits_included")
BILLED = metric("ai_credits_billed")
GROSS_USD = metric("ai_credits_gross_usd")
INCLUDED_USD = metric("ai_credits_included_usd")
BILLED_USD = metric("ai_credits_billed_usd")
POOL = metric("ai_credits_pool")
MONTH_START = metric("billing_month_start_timestamp_seconds")
BY_COST_CENTER = metric("ai_credits_by_cost_center")
BY_USER = metric("ai_credits_by_user")
BUDGET = metric("budget_amount_usd")
BUDGET_CONSUMED = metric("budget_consumed_usd")
MAU = metric("monthly_active_users")

AI_ONLY = Matcher("sku", PREMIUM_REQUEST_SKU, "!=")
CREDITS_NOW = total(current(CREDITS, AI_ONLY))
INCLUDED_NOW = total(current(INCLUDED, AI_ONLY))
GROSS_USD_NOW = total(current(GROSS_USD))
BILLED_USD_NOW = total(current(BILLED_USD))
POOL_NOW = current(POOL)
# The values describe this month only once the first refresh of the month has run: until
# then the exporter still shows last month's totals, which project nothing.
THIS_MONTH = f"(month({current(MONTH_START)}) == scalar(month()))"
ELAPSED = f"clamp_min(time() - {current(MONTH_START)}, 3600) / (86400 * scalar(days_in_month()))"
PROJECTED = (
    f"(\n{CREDITS_NOW}\n/ on (scope_type, scope)\n({ELAPSED})\n"
    f"and on (scope_type, scope)\n{THIS_MONTH}\n)"
)

MONTH = (
    "Month to date: the current UTC calendar month, refreshed hourly by default; it starts "
    "again on the 1st at 00:00 UTC."
)
PER_ENTITY = (
    "One value per billing entity (scope_type, scope): an enterprise's bill includes its "
    "organizations, so never add them up."
)
MODEL_LEGEND = "{{scope}} · {{model}} · {{sku}}"


def about(text: str) -> str:
    return f"{text} {MONTH} {PER_ENTITY}"


def this_month() -> p.Row:
    return p.Row(
        "This month",
        "What Copilot costs this month, per enterprise or organization billed on its own.",
        [
            p.stat_panel(
                "AI credits used",
                about(
                    "AI credits used this month, all models (grossQuantity of the billing "
                    "usage; 1 credit = USD 0.01)."
                ),
                p.Target(CREDITS_NOW, "{{scope}}"),
                unit="short",
                decimals=0,
            ),
            p.stat_panel(
                "Spend",
                about(
                    "The value of the AI credits used, in US dollars (grossAmount): what the "
                    "usage costs before the pool is taken off."
                ),
                p.Target(GROSS_USD_NOW, "{{scope}}"),
                unit="currencyUSD",
                decimals=2,
            ),
            p.stat_panel(
                "Overage billed",
                about(
                    "US dollars billed beyond the pool this month (netAmount). The "
                    "CopilotAICreditOverage alert fires when it is above 0."
                ),
                p.Target(BILLED_USD_NOW, "{{scope}}"),
                unit="currencyUSD",
                decimals=2,
                thresholds=((None, "green"), (0.01, "red")),
            ),
            p.stat_panel(
                "Pool used",
                about(
                    "The AI credits the pool covered ÷ the pool (seats by plan × credits "
                    "per seat). At 100% every further credit is billed."
                ),
                p.Target(ratio(INCLUDED_NOW, POOL_NOW), "{{scope}}"),
                unit=p.PERCENT,
                decimals=0,
                thresholds=((None, "green"), (0.8, "orange"), (1, "red")),
            ),
            p.stat_panel(
                "Projected month end",
                about(
                    "AI credits used by the end of the month at this month's rate (month "
                    "to date ÷ the elapsed share of the month), ÷ the pool. Above 100% the "
                    "pool runs out before the month ends (CopilotAICreditPoolProjectedToRunOut)."
                ),
                p.Target(ratio(PROJECTED, POOL_NOW), "{{scope}}"),
                unit=p.PERCENT,
                decimals=0,
                thresholds=((None, "green"), (0.9, "orange"), (1, "red")),
            ),
            p.stat_panel(
                "Cost per active user",
                about(
                    "Spend this month (USD) ÷ the scope's monthly active users of the newest "
                    "report day (28-day count): spend beside adoption."
                ),
                p.Target(ratio(GROSS_USD_NOW, daily(MAU)), "{{scope}}"),
                unit="currencyUSD",
                decimals=2,
            ),
        ],
    )


def pool() -> p.Row:
    return p.Row(
        "Pool",
        "The monthly pool of included AI credits: used, left, and where the month is heading.",
        [
            p.chart(
                "Pool used vs left",
                about(
                    "AI credits the pool covered this month, and what is left of it "
                    "(github_copilot_ai_credits_pool − included). The pool resets on the 1st."
                ),
                p.Target(INCLUDED_NOW, "{{scope}} used"),
                p.Target(f"clamp_min({POOL_NOW} - {INCLUDED_NOW}, 0)", "{{scope}} left"),
                unit="short",
                w=12,
            ),
            p.chart(
                "Projected month end vs pool",
                about(
                    "AI credits at the end of the month at this month's rate, beside the "
                    "pool. No projection until the month's first refresh."
                ),
                p.Target(PROJECTED, "{{scope}} projected"),
                p.Target(POOL_NOW, "{{scope}} pool"),
                unit="short",
                w=12,
            ),
            p.chart(
                "Credits per day",
                about(
                    "AI credits used per day so far this month (month to date ÷ days "
                    "elapsed), as the recording rule scope:github_copilot_ai_credits:per_day."
                ),
                p.Target(
                    f"{CREDITS_NOW}\n/ on (scope_type, scope)\n"
                    f"(clamp_min(time() - {current(MONTH_START)}, 3600) / 86400)\n"
                    f"and on (scope_type, scope)\n{THIS_MONTH}"
                ),
                unit="short",
                w=12,
            ),
            p.chart(
                "Overage (billed)",
                about("US dollars billed beyond the pool, month to date."),
                p.Target(BILLED_USD_NOW),
                unit="currencyUSD",
                w=12,
            ),
        ],
    )


def by_model() -> p.Row:
    return p.Row(
        "By model",
        "Which models the credits go to.",
        [
            p.chart(
                "AI credits by model",
                about("AI credits used this month per model and SKU, as GitHub names them."),
                p.Target(current(CREDITS), MODEL_LEGEND),
                unit="short",
                legend_table=True,
                w=12,
            ),
            p.chart(
                "Spend by model",
                about("The value of the AI credits used per model and SKU, in US dollars."),
                p.Target(current(GROSS_USD), MODEL_LEGEND),
                unit="currencyUSD",
                legend_table=True,
                w=12,
            ),
            p.table_panel(
                "This month by model",
                about(
                    "Per model and SKU: credits used, covered by the pool (included) and "
                    "billed beyond it, and the same in US dollars."
                ),
                p.Column("Credits", current(CREDITS)),
                p.Column("Included", current(INCLUDED)),
                p.Column("Billed", current(BILLED)),
                p.Column("Spend", current(GROSS_USD), unit="currencyUSD"),
                p.Column("Included (USD)", current(INCLUDED_USD), unit="currencyUSD"),
                p.Column("Billed (USD)", current(BILLED_USD), unit="currencyUSD"),
                labels={"model": "Model", "sku": "SKU"},
                sort_by="Credits",
                h=9,
            ),
        ],
    )


def budgets() -> p.Row:
    return p.Row(
        "Budgets",
        "Enterprise budgets for AI credits (billing.budgets).",
        [
            p.table_panel(
                "Budgets",
                "Each AI-credit budget of an enterprise: what it limits (budget scope and "
                "target), its monthly amount, what is consumed where GitHub reports it, and the "
                "share consumed (CopilotBudgetNearlyExhausted fires at 80%). User budgets "
                "appear only for the billing.top_users users.",
                p.Column("Amount", current(BUDGET), unit="currencyUSD"),
                p.Column("Consumed", current(BUDGET_CONSUMED), unit="currencyUSD"),
                p.Column(
                    "Consumed share",
                    ratio(current(BUDGET_CONSUMED), current(BUDGET)),
                    unit=p.PERCENT,
                ),
                labels={"budget": "Budget", "budget_scope": "Limits", "target": "Target"},
                sort_by="Amount",
            ),
        ],
    )


def who() -> p.Row:
    return p.Row(
        "Cost centers and users",
        "Opt-in breakdowns: billing.cost_centers (enterprises) and billing.top_users (per-user "
        "labels are off by default). Empty when they are off.",
        [
            p.table_panel(
                "Credits by cost center",
                about("AI credits used this month per enterprise cost center (all models)."),
                p.Column("Credits", total(current(BY_COST_CENTER, AI_ONLY), "cost_center")),
                labels={"cost_center": "Cost center"},
                sort_by="Credits",
                w=12,
                h=10,
            ),
            p.top_table(
                "Top users",
                about(
                    "The users with the most AI credits this month, among the "
                    "billing.top_users users the exporter asks about (those with the most "
                    "credits on the newest users-1-day report)."
                ),
                ("user",),
                p.Column("Credits", total(current(BY_USER, AI_ONLY), "user")),
                labels={"user": "User"},
            ),
        ],
    )


def dashboard() -> models.Dashboard:
    return p.build(
        UID,
        "Copilot spend",
        "What GitHub Copilot costs: AI credits and dollars month to date by model, the "
        "monthly pool of included credits used and left, the projected month end, overage, "
        "budgets, cost per active user, and (opt-in) cost centers and the heaviest users. "
        "From the billing endpoints (AI-credit usage), per enterprise or organization billed "
        "on its own.",
        tags=["copilot", "github", "spend", "billing"],
        variables=[*p.scope_variables(), p.topn_variable()],
        rows=[this_month(), pool(), by_model(), budgets(), who()],
        time_from="now-30d",
    )
