"""GitHub-shaped report records for the tests, built small and explicit."""

from __future__ import annotations

from datetime import date
from typing import Any

from exporter.fakegithub import StaticStore

Row = dict[str, Any]


def counters(gen: int, acc: int, interactions: int = 0) -> dict[str, int]:
    return {
        "user_initiated_interaction_count": interactions,
        "code_generation_activity_count": gen,
        "code_acceptance_activity_count": acc,
        "loc_suggested_to_add_sum": gen * 3,
        "loc_suggested_to_delete_sum": gen,
        "loc_added_sum": acc * 3,
        "loc_deleted_sum": acc,
    }


def _six(c: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in c.items() if k != "user_initiated_interaction_count"}


def user(
    uid: int,
    day: date,
    *,
    ide: str = "vscode",
    language: str = "python",
    model: str = "gpt-4.1",
    feature: str = "code_completion",
    gen: int = 10,
    acc: int = 4,
    interactions: int = 0,
    chat: bool = False,
    agent: bool = False,
    cli: bool = False,
    review: bool = False,
    credits_used: float | None = None,
    org: str | None = None,
) -> Row:
    """One users-1-day row whose breakdowns sum to its counters, like GitHub's."""
    c = counters(gen, acc, interactions)
    row: Row = {
        "user_id": uid,
        "user_login": f"user{uid}",
        "day": day.isoformat(),
        "enterprise_id": "4242",
        **c,
        "totals_by_ide": [
            {
                "ide": ide,
                **c,
                "last_known_ide_version": {
                    "ide_version": "1.95.0",
                    "sampled_at": f"{day}T10:00:00.000Z",
                },
                "last_known_plugin_version": {"plugin": "copilot", "plugin_version": "1.250.0"},
            }
        ],
        "totals_by_feature": [{"feature": feature, **c}],
        "totals_by_language_feature": [{"language": language, "feature": feature, **_six(c)}],
        "totals_by_language_model": [{"language": language, "model": model, **_six(c)}],
        "totals_by_model_feature": [{"model": model, "feature": feature, **c}],
        "used_chat": chat,
        "used_agent": agent,
        "used_cli": cli,
        "used_copilot_code_review_active": review,
        "used_copilot_code_review_passive": False,
        "etl_id": "green",
        "day_partition": day.isoformat(),
    }
    if org:
        row["organization_id"] = org
    if cli:
        row["totals_by_cli"] = {
            "session_count": 2,
            "request_count": 5,
            "prompt_count": 4,
            "token_usage": {
                "output_tokens_sum": 900,
                "prompt_tokens_sum": 1200,
                "avg_tokens_per_request": 420.0,
            },
        }
    if credits_used is not None:
        row["ai_credits_used"] = credits_used
    return row


def membership(uid: int, slug: str, day: date, team_id: int) -> Row:
    return {
        "user_id": uid,
        "user_login": f"user{uid}",
        "day": day.isoformat(),
        "organization_id": "9001",
        "team_id": team_id,
        "slug": slug,
    }


def entity(
    day: date,
    *,
    dau: int,
    gen: int,
    acc: int,
    cli_users: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Row:
    """An enterprise/organization day record with every documented section."""
    c = counters(gen, acc, interactions=gen // 2)
    record: Row = {
        "day": day.isoformat(),
        "enterprise_id": "4242",
        "daily_active_users": dau,
        "weekly_active_users": dau * 2,
        "monthly_active_users": dau * 3,
        "monthly_active_chat_users": dau,
        "monthly_active_agent_users": 1,
        "daily_active_copilot_code_review_users": 6,
        "daily_active_copilot_code_review_users_x": 1,  # unknown field: ignored
        "weekly_active_copilot_code_review_users": 2,
        "weekly_passive_copilot_code_review_users": 3,
        "monthly_active_copilot_code_review_users": 4,
        "monthly_passive_copilot_code_review_users": 5,
        "daily_passive_copilot_code_review_users": 1,
        **c,
        "totals_by_ide": [
            {"ide": "vscode", **counters(gen - 2, acc - 1, gen // 2)},
            {"ide": "jetbrains", **counters(2, 1)},
        ],
        "totals_by_feature": [
            {"feature": "code_completion", **counters(gen - 2, acc - 1)},
            {"feature": "chat_panel_agent_mode", **counters(2, 1, gen // 2)},
        ],
        "totals_by_language_feature": [
            {
                "language": " python ",
                "feature": "code_completion",
                **_six(counters(gen - 2, acc - 1)),
            },
            {"language": "c++", "feature": "chat_panel_agent_mode", **_six(counters(2, 1))},
        ],
        "totals_by_language_model": [
            {"language": "python", "model": 'my "custom"\\model', **_six(counters(gen, acc))}
        ],
        "totals_by_model_feature": [
            {"model": "claude-sonnet-4.5", "feature": "agent_edit", **counters(gen, acc)},
            {"feature": "orphan_without_model", **counters(1, 1)},
        ],
        "totals_by_cli": {
            "session_count": 7,
            "request_count": 30,
            "prompt_count": 21,
            "token_usage": {
                "output_tokens_sum": 5000,
                "prompt_tokens_sum": 3800,
                "avg_tokens_per_request": 4400.0,
            },
        },
        "pull_requests": {
            "total_created": 12,
            "total_reviewed": 9,
            "total_merged": 8,
            "median_minutes_to_merge": 95.5,
            "median_minutes_to_merge_copilot_authored": 30,
            "median_minutes_to_merge_copilot_reviewed": 61.0,
            "total_suggestions": 40,
            "total_applied_suggestions": 22,
            "total_created_by_copilot": 3,
            "total_reviewed_by_copilot": 6,
            "total_merged_created_by_copilot": 2,
            "total_merged_reviewed_by_copilot": 5,
            "total_copilot_suggestions": 18,
            "total_copilot_applied_suggestions": 11,
            "copilot_suggestions_by_comment_type": [
                {
                    "comment_type": "security",
                    "total_copilot_suggestions": 4,
                    "total_copilot_applied_suggestions": 3,
                },
                {
                    "comment_type": "style",
                    "total_copilot_suggestions": 14,
                    "total_copilot_applied_suggestions": 8,
                },
            ],
        },
        "ai_credits_used": 17.5,
        "etl_id": "green",
    }
    if cli_users is not None:
        record["daily_active_cli_users"] = cli_users
    record.update(extra or {})
    return record


def estate(store: StaticStore, day: date, *, fmt: str = "ndjson", parts: int = 1) -> None:
    """One enterprise with one enterprise team, two orgs and three teams.

    user 1 is on two teams (octo/web and octo/api); hub/infra has members but none active.
    """
    kw: dict[str, Any] = {"fmt": fmt, "parts": parts}
    store.set_report(
        "enterprise-1-day", "acme", day, [entity(day, dau=40, gen=500, acc=200, cli_users=3)], **kw
    )
    store.set_report(
        "users-1-day",
        "enterprises/acme",
        day,
        [
            user(101, day, ide="neovim", chat=True, cli=True, credits_used=2.5),
            user(102, day, language="go", agent=True, review=True, gen=20, acc=9),
            user(103, day, feature="agent_edit", gen=5, acc=5),
        ],
        **kw,
    )
    store.set_report(
        "user-teams-1-day",
        "enterprises/acme",
        day,
        [
            {**membership(101, "platform", day, 7), "enterprise_id": "4242"},
            {**membership(102, "platform", day, 7), "enterprise_id": "4242"},
        ],
        **kw,
    )
    store.set_report(
        "organization-1-day", "octo", day, [entity(day, dau=12, gen=120, acc=50)], **kw
    )
    store.set_report(
        "users-1-day",
        "orgs/octo",
        day,
        [
            user(1, day, chat=True, credits_used=1.25, interactions=3),
            user(
                2,
                day,
                ide="jetbrains",
                language="java",
                model="claude-sonnet-4.5",
                feature="chat_panel_ask_mode",
                agent=True,
                cli=True,
            ),
            user(3, day, language="typescript", review=True, gen=7, acc=7),
            user(4, day, gen=100, acc=1),
        ],
        **kw,
    )
    store.set_report(
        "user-teams-1-day",
        "orgs/octo",
        day,
        [
            membership(1, "web", day, 11),
            membership(2, "web", day, 11),
            membership(1, "api", day, 12),
            membership(3, "api", day, 12),
        ],
        **kw,
    )
    store.set_report(
        "organization-1-day", "hub", day, [entity(day, dau=5, gen=60, acc=20, cli_users=0)], **kw
    )
    store.set_report("users-1-day", "orgs/hub", day, [user(21, day)], **kw)
    store.set_report(
        "user-teams-1-day",
        "orgs/hub",
        day,
        [
            membership(22, "infra", day, 31),
            membership(23, "infra", day, 31),
        ],
        **kw,
    )


ESTATE_SCOPES = [
    {"enterprise": "acme"},
    {"enterprise": "acme", "team": "platform"},
    {"org": "octo"},
    {"org": "octo", "team": "web"},
    {"org": "octo", "team": "api"},
    {"org": "hub"},
    {"org": "hub", "team": "infra"},
]
