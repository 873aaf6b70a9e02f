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


# --- the surfaces GitHub added after the first release (API.md section 5) -----------------

Agent = tuple[str, str, int]  # agent_id, agent_name, jobs started


def usage_object(sessions: int, requests: int = 0, prompts: int = 0) -> Row:
    """A ``totals_by_cli`` / ``totals_by_copilot_app`` object."""
    return {
        "session_count": sessions,
        "request_count": requests,
        "prompt_count": prompts,
        "token_usage": {
            "output_tokens_sum": requests * 300,
            "prompt_tokens_sum": requests * 900,
            "avg_tokens_per_request": 1200.0 if requests else 0.0,
        },
    }


def customisation(*, in_cli: bool = False, scale: int = 1) -> Row:
    """CLI customisation arrays and distinct counts: at the top of the record keyed by kind
    (GitHub's published example) or, with ``in_cli``, keyed by ``name`` (the changelog's
    shape, to be put inside ``totals_by_cli``)."""

    def entries(kind: str, *items: tuple[str, int]) -> list[Row]:
        key = "name" if in_cli else kind
        return [{key: name, "interaction_count": n * scale} for name, n in items]

    return {
        "totals_by_skill": entries("skill", ("other", 5), ("pdf", 2)),
        "totals_by_custom_agent": entries("custom_agent", ("general-purpose", 4)),
        "totals_by_mcp": entries("mcp", ("github-mcp-server", 8), ("other", 3)),
        "totals_by_slash_cmd": entries("slash_cmd", ("/plan", 3), ("custom", 1)),
        "totals_by_plugin": entries("plugin", ("other", 2)),
        "distinct_skill_use_count": 3 * scale,
        "distinct_custom_agent_use_count": 1 * scale,
        "distinct_mcp_use_count": 2 * scale,
        "distinct_slash_cmd_use_count": 2 * scale,
        "distinct_plugin_use_count": 1 * scale,
    }


PHASES = {0: "No Cohort", 1: "Phase 1", 2: "Phase 2", 3: "Phase 3"}


def surface_user(
    uid: int,
    day: date,
    *,
    cloud: bool | None = False,
    coding: bool | None = None,
    app: bool = False,
    vscode_agent: bool = False,
    agents: tuple[Agent, ...] = (),
    phase: int | None = 1,
    custom: str | None = None,
    review: bool | None = False,
    **kw: Any,
) -> Row:
    """A users-1-day row of today's shape: :func:`user` plus every newer field.

    ``coding`` is the old cloud-agent flag (defaults to ``cloud``); ``custom`` puts CLI
    customisation "top" of the row or "in_cli"; ``review`` None makes both code review
    flags null; ``phase`` None leaves ai_adoption_phase out."""
    row = user(uid, day, review=bool(review), **kw)
    row["used_copilot_cloud_agent"] = cloud
    row["used_copilot_coding_agent"] = cloud if coding is None else coding
    row["used_copilot_app"] = app
    row["used_vscode_agent"] = vscode_agent
    if review is None:
        row["used_copilot_code_review_active"] = row["used_copilot_code_review_passive"] = None
    if app:
        row["totals_by_copilot_app"] = usage_object(1, 3, 1)
    if agents:
        row["totals_by_3rd_party_agent"] = [
            {"agent_id": agent, "agent_name": name, "user_initiated_interaction_count": jobs}
            for agent, name, jobs in agents
        ]
    if phase is not None:
        row["ai_adoption_phase"] = {"phase_number": phase, "phase": PHASES[phase], "version": "v1"}
    if custom == "top":
        row.update(customisation())
    elif custom == "in_cli":
        row.setdefault("totals_by_cli", usage_object(1, 2, 2)).update(customisation(in_cli=True))
    row.setdefault("ai_credits_used", 0.0)
    return row


def adoption_phase(number: int, engaged: int, *, merge_minutes: float | None = 30.0) -> Row:
    """A ``totals_by_ai_adoption_phase`` entry: engaged users and per-user averages."""
    return {
        "phase": PHASES[number],
        "phase_number": number,
        "total_engaged_users": engaged,
        "avg_user_initiated_interactions": 10.5 * number,
        "avg_code_generation_activities": 20.25,
        "avg_code_acceptance_activities": 8.0,
        "avg_loc_added": 120.5,
        "avg_loc_deleted": 12.0,
        "avg_pull_requests_reviewed": 0.5,
        "avg_pull_requests_created": 0.25,
        "avg_pull_requests_merged": 0.2,
        "avg_pull_requests_median_minutes_to_merge": merge_minutes,
    }


def surface_entity(
    day: date, *, dau: int, gen: int, acc: int, custom: str = "top", **extra: Any
) -> Row:
    """An entity day record of today's shape: :func:`entity` plus every newer section
    (``extra`` overrides, a None value included)."""
    fields: Row = {
        "daily_active_copilot_cloud_agent_users": 2,
        "weekly_active_copilot_cloud_agent_users": 3,
        "monthly_active_copilot_cloud_agent_users": 5,
        "daily_active_copilot_app_users": 1,
        "daily_active_vscode_agent_users": 1,
        "totals_by_copilot_app": usage_object(2, 6, 2),
        "totals_by_vscode_agent": {"session_count": 4, "total_user_messages": 17},
        "totals_by_3rd_party_agent": [
            {
                "agent_id": "2246796",
                "agent_name": "Claude (Anthropic)",
                "user_initiated_interaction_count": 3,
                "session_count": 5,
            },
            {
                "agent_id": 2250001,  # a number: the label is its text
                "agent_name": 'Jules "beta"\\ ünï 🤖',
                "user_initiated_interaction_count": 4,
                "session_count": 4,
            },
        ],
        ADOPTION: [
            adoption_phase(0, 1, merge_minutes=None),
            adoption_phase(2, 1),
            adoption_phase(3, 1, merge_minutes=12.5),
        ],
    }
    record = entity(day, dau=dau, gen=gen, acc=acc, cli_users=2, extra=fields)
    if custom == "top":
        record.update(customisation(scale=2))
    else:
        record["totals_by_cli"].update(customisation(in_cli=True, scale=2))
    record.update(extra)
    return record


ADOPTION = "totals_by_ai_adoption_phase"
CLAUDE: Agent = ("2246796", "Claude (Anthropic)", 2)
JULES: Agent = ("2250001", 'Jules "beta"\\ ünï 🤖', 4)


def surfaces_estate(store: StaticStore, day: date) -> None:
    """Today's report shapes: org nova (teams agents and idle) and enterprise nebula (team
    core). Fields are null or missing where GitHub leaves them so (see each comment)."""
    store.set_report(
        "organization-1-day",
        "nova",
        day,
        [
            surface_entity(
                day,
                dau=9,
                gen=90,
                acc=30,
                monthly_active_copilot_cloud_agent_users=None,  # null: no sample, not 0
            )
        ],
    )
    store.set_report(
        "users-1-day",
        "orgs/nova",
        day,
        [
            surface_user(
                201,
                day,
                cli=True,
                app=True,
                cloud=True,
                phase=3,
                agents=(CLAUDE,),
                custom="top",
                credits_used=3.5,
                org="9002",
            ),
            surface_user(
                202,
                day,
                agent=True,
                cloud=None,
                coding=True,
                vscode_agent=True,
                phase=2,
                agents=(("2246796", "Claude, renamed", 1), JULES),
                cli=True,
                custom="in_cli",
                review=None,
                org="9002",
            ),
            surface_user(203, day, phase=0, org="9002"),
            surface_user(204, day, phase=None, org="9002"),  # on no team
        ],
    )
    store.set_report(
        "user-teams-1-day",
        "orgs/nova",
        day,
        [
            membership(201, "agents", day, 41),
            membership(202, "agents", day, 41),
            membership(203, "agents", day, 41),
            membership(205, "idle", day, 42),  # members with no activity that day
            membership(206, "idle", day, 42),
        ],
    )
    store.set_report(
        "enterprise-1-day",
        "nebula",
        day,
        [surface_entity(day, dau=4, gen=40, acc=10, custom="in_cli", enterprise_id="5151")],
    )
    store.set_report(
        "users-1-day",
        "enterprises/nebula",
        day,
        [
            surface_user(301, day, cli=True, custom="in_cli", cloud=True, phase=3),
            surface_user(302, day, app=True, agents=(JULES,), phase=1, review=True),
        ],
    )
    store.set_report(
        "user-teams-1-day",
        "enterprises/nebula",
        day,
        [{**membership(uid, "core", day, 77), "enterprise_id": "5151"} for uid in (301, 302, 303)],
    )

    store.set_report(
        "repos-1-day",
        "orgs/nova",
        day,
        [
            repo_row(day, "nova", "api", created=4, merged=3, visibility="private"),
            # a null median and a null p90: no sample, never 0
            repo_row(day, "nova", "web", created=1, merged=1, visibility="public", nulls=True),
        ],
    )
    store.set_report(
        "repos-1-day",
        "enterprises/nebula",
        day,
        [repo_row(day, "nebula-org", "service", created=2, merged=2, enterprise_id="5151")],
    )


def repo_row(
    day: date,
    owner: str,
    name: str,
    *,
    created: int,
    merged: int,
    visibility: str = "private",
    nulls: bool = False,
    review_times: bool = True,
    **extra: Any,
) -> Row:
    """A repos-1-day row: the entity pull_requests block per repository (half of the pull
    requests by Copilot), two comment types, and human review times of human- and
    Copilot-authored pull requests; ``nulls`` makes the Copilot median and a p90 null."""
    by_copilot = created // 2
    row: Row = {
        "day": day.isoformat(),
        "repo_id": 1000 + sum(map(ord, f"{owner}/{name}")),
        "repo_owner_name": owner,
        "repo_name": name,
        "repo_visibility": visibility,
        "pull_requests": {
            "total_created": created,
            "total_reviewed": created,
            "total_merged": merged,
            "median_minutes_to_merge": 90.0,
            "total_suggestions": created * 3,
            "total_applied_suggestions": created,
            "total_created_by_copilot": by_copilot,
            "total_reviewed_by_copilot": created - by_copilot,
            "total_merged_created_by_copilot": min(by_copilot, merged),
            "total_merged_reviewed_by_copilot": merged,
            "median_minutes_to_merge_copilot_authored": None if nulls else 30.0,
            "median_minutes_to_merge_copilot_reviewed": 45.5,
            "total_copilot_suggestions": created * 2,
            "total_copilot_applied_suggestions": created,
            "copilot_suggestions_by_comment_type": [
                {
                    "comment_type": "bug_risk",
                    "total_copilot_suggestions": created,
                    "total_copilot_applied_suggestions": created,
                },
                {
                    "comment_type": "readability",
                    "total_copilot_suggestions": created,
                    "total_copilot_applied_suggestions": 0,
                },
            ],
        },
        **extra,
    }
    if review_times:
        row["pull_request_review_times"] = [
            {
                "authored_by": author,
                "reviewed_by": "human",
                "total_merged": count,
                "median_minutes_ready_to_first_review": 10.0,
                "p90_minutes_ready_to_first_review": None if nulls else 60.0,
                "median_minutes_first_to_final_review": 20.5,
                "p90_minutes_first_to_final_review": 120.0,
                "median_minutes_final_review_to_merge": 5.0,
                "p90_minutes_final_review_to_merge": 30.0,
            }
            for author, count in (("human", merged - by_copilot), ("copilot", by_copilot))
            if count > 0
        ]
    return row


SURFACES_SCOPES: list[dict[str, Any]] = [
    {"enterprise": "nebula", "repositories": True},
    {"enterprise": "nebula", "team": "core"},
    {"org": "nova", "repositories": True},
    {"org": "nova", "team": "agents"},
    {"org": "nova", "team": "idle"},
]


def github_example_user(day: date) -> Row:
    """A users-1-day row laid out like the user-level example of GitHub's "Example schema for
    Copilot usage metrics" page as of 2026-11 (every field it names, same nesting and
    spellings; values of our own), plus the fields section 5 of API.md adds beside it."""
    feature: Row = {**counters(3, 3, 1), "feature": "copilot_app"}
    return {
        "ai_adoption_phase": {"phase": "Phase 2", "phase_number": 2, "version": "v1"},
        "ai_credits_used": 12.5,
        **counters(3, 3, 1),
        "day": day.isoformat(),
        "distinct_custom_agent_use_count": 2,
        "distinct_mcp_use_count": 2,
        "distinct_plugin_use_count": 1,
        "distinct_skill_use_count": 3,
        "distinct_slash_cmd_use_count": 2,
        "enterprise_id": "1",
        "totals_by_cli": {
            "last_known_cli_version": {"cli_version": "1.0.8", "sampled_at": f"{day}T00:01:43Z"},
            **usage_object(2, 2, 2),
        },
        "totals_by_copilot_app": usage_object(1, 3, 1),
        "totals_by_3rd_party_agent": [
            {"agent_id": "2246796", "agent_name": "Claude (Anthropic)", **_jobs(2)},
            {"agent_id": "2248422", "agent_name": "Codex (OpenAI)", **_jobs(2)},
        ],
        "totals_by_custom_agent": [{"custom_agent": "general-purpose", "interaction_count": 4}],
        "totals_by_feature": [feature],
        "totals_by_ide": [
            {
                **counters(3, 3, 1),
                "ide": "vscode",
                "last_known_ide_version": {"ide_version": "1.85.0", "sampled_at": f"{day}T00Z"},
                "last_known_plugin_version": {
                    "plugin": "",
                    "plugin_version": "",
                    "sampled_at": f"{day}T00:00:02Z",
                },
            }
        ],
        "totals_by_language_feature": [
            {**_six(counters(3, 3)), "feature": "copilot_app", "language": "markdown"}
        ],
        "totals_by_language_model": [],
        "totals_by_mcp": [{"interaction_count": 8, "mcp": "github-mcp-server"}],
        "totals_by_model_feature": [],
        "totals_by_plugin": [{"interaction_count": 2, "plugin": "other"}],
        "totals_by_skill": [{"interaction_count": 5, "skill": "other"}],
        "totals_by_slash_cmd": [{"interaction_count": 3, "slash_cmd": "/plan"}],
        "used_agent": False,
        "used_chat": False,
        "used_cli": True,
        "used_copilot_app": True,
        "used_copilot_cloud_agent": True,
        "used_copilot_code_review_active": None,
        "used_copilot_code_review_passive": None,
        "used_copilot_coding_agent": True,
        "used_vscode_agent": True,
        "user_id": 1,
        "user_login": "login1",
        "etl_id": "green",
        "day_partition": day.isoformat(),
        "entity_id_partition": 1,
    }


def _jobs(n: int) -> Row:
    return {"user_initiated_interaction_count": n}


def github_example_entity(day: date) -> Row:
    """An enterprise-1-day record laid out like the enterprise-level example of GitHub's
    example schema page, with every entity field of API.md section 5 in the places GitHub
    documents them (CLI customisation inside ``totals_by_cli``, keyed by ``name``)."""
    cli = {**usage_object(3, 3, 3), **customisation(in_cli=True)}
    return {
        **counters(2, 2),
        "daily_active_cli_users": 2,
        "daily_active_users": 2,
        "day": day.isoformat(),
        "enterprise_id": "1",
        "monthly_active_agent_users": 0,
        "monthly_active_chat_users": 0,
        "monthly_active_users": 2,
        "weekly_active_users": 2,
        **{
            f"{window}_{engagement}_copilot_code_review_users": 1
            for window in ("daily", "weekly", "monthly")
            for engagement in ("active", "passive")
        },
        "daily_active_copilot_cloud_agent_users": 1,
        "weekly_active_copilot_cloud_agent_users": None,  # no data: no sample
        "monthly_active_copilot_cloud_agent_users": 0,  # a real zero
        "daily_active_copilot_app_users": 1,
        "daily_active_vscode_agent_users": 1,
        "pull_requests": {
            "median_minutes_to_merge": 2.5,
            "median_minutes_to_merge_copilot_authored": 2.5,
            "median_minutes_to_merge_copilot_reviewed": None,
            "total_applied_suggestions": 1,
            "total_copilot_applied_suggestions": 1,
            "total_copilot_suggestions": 1,
            "total_created": 2,
            "total_created_by_copilot": 1,
            "total_merged": 2,
            "total_merged_created_by_copilot": 1,
            "total_merged_reviewed_by_copilot": 1,
            "total_reviewed": 1,
            "total_reviewed_by_copilot": 1,
            "total_suggestions": 1,
            "copilot_suggestions_by_comment_type": [
                {
                    "comment_type": "security",
                    "total_copilot_suggestions": 1,
                    "total_copilot_applied_suggestions": 1,
                }
            ],
        },
        "totals_by_cli": cli,
        "totals_by_copilot_app": usage_object(1, 3, 1),
        "totals_by_vscode_agent": {"session_count": 2, "total_user_messages": 9},
        "totals_by_3rd_party_agent": [
            {
                "agent_id": "2246796",
                "agent_name": "Claude (Anthropic)",
                **_jobs(2),
                "session_count": 3,
            }
        ],
        "totals_by_ai_adoption_phase": [adoption_phase(2, 2)],
        "totals_by_feature": [{**counters(2, 2), "feature": "code_completion"}],
        "totals_by_ide": [{**counters(2, 2), "ide": "vscode"}],
        "totals_by_language_feature": [
            {**_six(counters(2, 2)), "feature": "code_completion", "language": "unknown"}
        ],
        "totals_by_language_model": [],
        "totals_by_model_feature": [],
        "etl_id": "green",
        "day_partition": day.isoformat(),
        "entity_id_partition": 1,
    }
