"""Deterministic simulated Copilot usage of a whole enterprise, for demos and benchmarks.

Everything derives from `seed` through hash-free seeds (blake2b of the inputs), never the
global random state or Python's salted hash(), so the same seed gives the same bytes in
any process. Per user and day there is one set of "activity atoms" (editor, feature,
language, model, seven counters); every breakdown array, entity total and legacy object is
a projection of those atoms, which keeps all the numbers consistent with one another.

Which users are active on a day (and use chat, agent, CLI, code review, the cloud agent) is
drawn for the whole population at once into one byte per user, so trailing 7/28-day
distinct counts are a few big-integer operations even for 50,000 users. Report files are
built lazily, part by part, when first downloaded, and kept.

The parts of the reports GitHub added later (API.md section 5) appear from the day GitHub
launched each of them (``*_FROM`` below), with the nulls and absences real files have; their
draws come after all others, so days before a launch come out exactly as they always did.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from operator import lt
from random import Random
from typing import Any, Generic, TypeVar

from exporter.fakegithub.billing import SpendBook, simulated_book
from exporter.fakegithub.store import (
    ENTITY_28DAY_KINDS,
    KINDS_BY_OWNER_TYPE,
    REPOS_KIND,
    JsonObject,
    LazyPart,
    LegacyStatus,
    ReportFile,
    dumps_line,
    entity_wrapper,
    split_owner,
    stable_id,
)

COUNTERS = (
    "user_initiated_interaction_count",
    "code_generation_activity_count",
    "code_acceptance_activity_count",
    "loc_suggested_to_add_sum",
    "loc_suggested_to_delete_sum",
    "loc_added_sum",
    "loc_deleted_sum",
)
#: The language breakdowns carry no user_initiated_interaction_count.
COUNTERS_6 = COUNTERS[1:]

ORG_SUFFIXES = ("web", "data", "mobile", "infra")
ORG_TEAMS = ("frontend", "backend", "sre", "platform", "qa", "security", "ml", "devex")
ENTERPRISE_TEAMS = ("platform-eng", "data-science", "security-champions", "dev-productivity")
IDES = ("vscode", "jetbrains", "visualstudio", "neovim", "xcode", "eclipse")
_IDE_WEIGHTS = (62, 20, 9, 4, 3, 2)
LANGUAGES = (
    "python",
    "typescript",
    "javascript",
    "go",
    "java",
    "rust",
    "csharp",
    "ruby",
    "others",
    "unknown",
)
_LANGUAGE_WEIGHTS = (22, 20, 14, 10, 10, 5, 8, 5, 4, 2)
CHAT_MODELS = ("gpt-4.1", "claude-sonnet-4.5", "gpt-5-mini", "gemini-2.5-pro", "auto")
COMPLETION_MODEL = "default"
CHAT_FEATURES = ("chat_panel_ask_mode", "chat_inline", "chat_panel_edit_mode")
FEATURES = (
    "code_completion",
    "agent_edit",
    "chat_inline",
    "chat_panel_ask_mode",
    "chat_panel_agent_mode",
    "chat_panel_edit_mode",
    "copilot_cli",
    "others",
)
COMMENT_TYPES = ("bug_risk", "security", "performance", "maintainability", "readability")
REPOSITORIES = ("api", "web", "infra", "mobile-app", "data-pipeline")
VISIBILITY = {"web": "public", "infra": "internal", "data-pipeline": "internal"}  # else private
_FIRST = (
    "alex",
    "sam",
    "maria",
    "li",
    "noah",
    "emma",
    "omar",
    "yuki",
    "lena",
    "ravi",
    "sofia",
    "jonas",
    "amara",
    "diego",
    "chen",
    "fatima",
    "lucas",
    "ingrid",
    "kofi",
    "mei",
    "pavel",
    "nina",
    "tomas",
    "aisha",
    "felix",
    "hana",
    "ivan",
    "julia",
)
_LAST = (
    "smith",
    "garcia",
    "kim",
    "mueller",
    "rossi",
    "nguyen",
    "okafor",
    "silva",
    "tanaka",
    "novak",
    "larsen",
    "dubois",
    "khan",
    "cohen",
    "berg",
    "moreau",
    "costa",
    "singh",
)
#: ide -> (ide version, plugin, plugin version); seats say "ide/version/copilot/plugin".
_VERSIONS = {
    "vscode": ("1.105.1", "copilot-chat", "0.32.4"),
    "jetbrains": ("2025.2.3", "copilot-intellij", "1.5.58"),
    "visualstudio": ("17.14.15", "copilot-vs", "17.14.1091"),
    "neovim": ("0.11.4", "copilot.vim", "1.56.0"),
    "xcode": ("26.0.1", "copilot-xcode", "0.43.0"),
    "eclipse": ("4.37.0", "copilot-eclipse", "0.12.0"),
}

_ACTIVE, _CHAT, _AGENT, _CLI, _CR_ACTIVE, _CR_PASSIVE, _CLOUD = range(7)

# When GitHub began sending each newer part of the reports (API.md section 5).
NULLABLE_REVIEW_FROM = date(2026, 4, 6)  # code review flags may be null
CLOUD_AGENT_FROM = date(2026, 4, 10)
ADOPTION_FROM = date(2026, 5, 29)
CREDITS_FROM = date(2026, 6, 19)
APP_FROM = date(2026, 7, 17)
THIRD_PARTY_FROM = date(2026, 8, 7)
VSCODE_AGENT_FROM = date(2026, 9, 11)
CLI_CUSTOMISATION_FROM = date(2026, 9, 17)
REPOS_FROM = date(2026, 7, 17)  # repos-1-day: earlier days answer 204
REVIEW_TIMES_FROM = date(2026, 9, 21)  # pull_request_review_times (sent from 2026-09-25)

PHASES = ("No Cohort", "Phase 1", "Phase 2", "Phase 3")
#: agent_id -> names: a second name shows up on some rows (GitHub renaming an agent), and
#: the names carry what label escaping must survive.
THIRD_PARTY_AGENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("2246796", ("Claude (Anthropic)",)),
    ("2248422", ("Codex (OpenAI)", "OpenAI Codex")),
    ("2250001", ('Jules "beta"',)),
    ("2250417", ("Agent ünïcödé 🤖",)),
    ("2251234", ("  spaced   name \\ back  ",)),
)
#: CLI customisation: (kind, array, distinct field, names); customer-defined names arrive
#: as "other" ("custom" for slash commands), as GitHub sends them.
CUSTOMISATIONS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("skill", "totals_by_skill", "distinct_skill_use_count",
     ("other", "pdf", "xlsx", "webapp-testing", "frontend-design", "mcp-builder")),
    ("custom_agent", "totals_by_custom_agent", "distinct_custom_agent_use_count",
     ("general-purpose", "other", "explore", "code-reviewer")),
    ("mcp", "totals_by_mcp", "distinct_mcp_use_count",
     ("github-mcp-server", "playwright", "other", "azure-mcp", "context7")),
    ("slash_cmd", "totals_by_slash_cmd", "distinct_slash_cmd_use_count",
     ("/plan", "/review", "/model", "/compact", "custom", "/delegate")),
)  # fmt: skip
PLUGIN = ("plugin", "totals_by_plugin", "distinct_plugin_use_count")
#: Skills that come from a plugin, and which: plugin use is a subset of skill use.
PLUGIN_SKILLS = {"pdf": "document-skills", "xlsx": "document-skills", "other": "other"}
_ROWS_PER_PART = 5_000
_BATCH = 200

_K = TypeVar("_K")
_V = TypeVar("_V")


def _derive(*parts: object) -> int:
    """A 64-bit seed from the parts, identical in every process."""
    data = "\x1f".join(map(str, parts)).encode()
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class _Lru(Generic[_K, _V]):
    """A small thread-safe LRU: simulated data is cheap to rebuild, memory is not free."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.RLock()

    def get_or_make(self, key: _K, make: Callable[[], _V]) -> _V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            value = make()
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            return value


class _User:
    __slots__ = (
        "ent_team",
        "id",
        "ide",
        "ide2",
        "index",
        "intensity",
        "langs",
        "login",
        "models",
        "org",
        "pending",
        "seat_created",
        "seat_team",
        "teams",
    )

    def __init__(self, index: int, login: str, org: int) -> None:
        self.index = index
        self.id = 10_000_000 + index * 7 + 3
        self.login = login
        self.org = org
        self.teams: tuple[int, ...] = ()
        self.ent_team: int | None = None
        self.ide = "vscode"
        self.ide2: str | None = None
        self.langs: tuple[str, ...] = ("python",)
        self.models: tuple[str, str] = (CHAT_MODELS[0], CHAT_MODELS[1])
        self.intensity = 1.0
        self.seat_created = 0  # days before today
        self.seat_team: int | None = None
        self.pending = False


class _Team:
    __slots__ = ("id", "members", "name", "org", "slug")

    def __init__(self, team_id: int, slug: str, org: int | None) -> None:
        self.id = team_id
        self.slug = slug
        self.name = slug.replace("-", " ").title()
        self.org = org  # None for enterprise teams
        self.members: list[int] = []


class _Org:
    __slots__ = ("id", "index", "login", "members", "plan", "teams")

    def __init__(self, index: int, login: str) -> None:
        self.index = index
        self.login = login
        self.id = 150_000_000 + index * 7919
        self.plan = "enterprise" if index % 3 == 0 else "business"
        self.teams: list[_Team] = []
        self.members: list[int] = []


class _Day:
    """One day's per-user flags, one byte per user (bit k = flag k), all users at once."""

    __slots__ = ("bits", "masks")

    def __init__(self, bits: bytes, ones: int) -> None:
        self.bits = bits
        packed = int.from_bytes(bits, "little")
        #: Per flag, a byte-stride bitmask: AND with a scope mask, then bit_count().
        self.masks = tuple((packed >> flag) & ones for flag in range(7))


Usage = tuple[int, int, int, int, int]  # sessions, requests, prompts, output, prompt tokens


class _UserDay:
    """One user's activity on one day; every report shape is derived from it."""

    __slots__ = (
        "agents",
        "app",
        "atoms",
        "cli",
        "credits",
        "custom",
        "dotcom",
        "phase",
        "pr",
        "seconds",
        "vscode",
    )

    def __init__(self) -> None:
        self.atoms: list[tuple[str, str, str, str, list[int]]] = []
        self.cli: Usage | None = None
        self.credits = 0.0
        self.dotcom: tuple[str, int] | None = None
        self.pr: tuple[str, int] | None = None
        self.seconds = 0
        self.app: Usage | None = None
        self.vscode: tuple[int, int] | None = None  # sessions, user messages
        self.agents: list[tuple[str, str, int, int]] = []  # id, name, jobs, sessions
        self.custom: dict[str, dict[str, int]] | None = None  # kind -> name -> count
        self.phase: int | None = None


def _add_to(into: list[int], values: Sequence[int]) -> None:
    for k, v in enumerate(values):
        into[k] += v


Acc = dict[tuple[str, str, str, str], list[int]]


class _Agg:
    """Summed atoms and CLI totals of a set of users for one day, and the sums of the
    newer surfaces (app, VS Code Agents window, third-party agents, CLI customisation,
    users and activity per adoption phase)."""

    __slots__ = ("acc", "agents", "app", "cli", "custom", "phases", "vscode")

    def __init__(self) -> None:
        self.acc: Acc = {}
        self.cli = [0, 0, 0, 0, 0]
        self.app = [0, 0, 0, 0, 0, 0]  # the five sums, then users
        self.vscode = [0, 0, 0]  # sessions, messages, users
        self.agents: dict[str, list[Any]] = {}  # id -> [first name, jobs, sessions]
        self.custom: dict[str, dict[str, int]] = {}
        #: phase -> [users, interactions, generations, acceptances, lines added, deleted]
        self.phases: dict[int, list[int]] = {}

    def add(self, ud: _UserDay) -> None:
        _add_atoms(self.acc, ud.atoms)
        if ud.cli is not None:
            _add_to(self.cli, ud.cli)
        if ud.app is not None:
            _add_to(self.app, (*ud.app, 1))
        if ud.vscode is not None:
            _add_to(self.vscode, (*ud.vscode, 1))
        for agent, name, jobs, sessions in ud.agents:
            self._add_agent(agent, name, jobs, sessions)
        self._add_custom(ud.custom or {})
        if ud.phase is not None:
            totals = [1, 0, 0, 0, 0, 0]
            for *_, c in ud.atoms:
                _add_to(totals, (0, c[0], c[1], c[2], c[5], c[6]))
            _add_to(self.phases.setdefault(ud.phase, [0] * 6), totals)

    def merge(self, other: _Agg) -> None:
        for key, counts in other.acc.items():
            mine = self.acc.get(key)
            if mine is None:
                self.acc[key] = list(counts)
            else:
                for k, v in enumerate(counts):
                    mine[k] += v
        _add_to(self.cli, other.cli)
        _add_to(self.app, other.app)
        _add_to(self.vscode, other.vscode)
        for agent, (name, jobs, sessions) in other.agents.items():
            self._add_agent(agent, name, jobs, sessions)
        self._add_custom(other.custom)
        for phase, sums in other.phases.items():
            _add_to(self.phases.setdefault(phase, [0] * 6), sums)

    def _add_agent(self, agent: str, name: str, jobs: int, sessions: int) -> None:
        mine = self.agents.setdefault(agent, [name, 0, 0])  # the first name seen stays
        mine[1] += jobs
        mine[2] += sessions

    def _add_custom(self, custom: dict[str, dict[str, int]]) -> None:
        for kind, names in custom.items():
            used = self.custom.setdefault(kind, {})
            for name, count in names.items():
                used[name] = used.get(name, 0) + count


def _add_counts(into: dict[Any, list[int]], key: Any, counts: Sequence[int]) -> None:
    """Add the seven counters of `counts` to those kept under `key`."""
    mine = into.get(key)
    if mine is None:
        into[key] = list(counts)
    else:
        for k in range(7):
            mine[k] += counts[k]


def _add_atoms(acc: Acc, atoms: Sequence[tuple[str, str, str, str, list[int]]]) -> None:
    for ide, feature, language, model, counts in atoms:
        _add_counts(acc, (ide, feature, language, model), counts)


def _project(
    acc: Acc, dims: tuple[int, ...], names: tuple[str, ...], counters: tuple[str, ...]
) -> list[dict[str, Any]]:
    """A breakdown array: the atoms summed over every dimension not in `dims`."""
    grouped: dict[tuple[str, ...], list[int]] = {}
    skip = 7 - len(counters)
    for key, counts in acc.items():
        _add_counts(grouped, tuple(key[d] for d in dims), counts)
    out: list[dict[str, Any]] = []
    for sub, counts in grouped.items():
        entry: dict[str, Any] = dict(zip(names, sub, strict=True))
        entry.update(zip(counters, counts[skip:], strict=True))
        out.append(entry)
    return out


def _breakdowns(acc: Acc) -> dict[str, Any]:
    totals = [0] * 7
    for counts in acc.values():
        for k in range(7):
            totals[k] += counts[k]
    out: dict[str, Any] = dict(zip(COUNTERS, totals, strict=True))
    out["totals_by_ide"] = _project(acc, (0,), ("ide",), COUNTERS)
    out["totals_by_feature"] = _project(acc, (1,), ("feature",), COUNTERS)
    out["totals_by_language_feature"] = _project(acc, (2, 1), ("language", "feature"), COUNTERS_6)
    out["totals_by_language_model"] = _project(acc, (2, 3), ("language", "model"), COUNTERS_6)
    out["totals_by_model_feature"] = _project(acc, (3, 1), ("model", "feature"), COUNTERS)
    return out


def _adoption_entry(phase: int, sums: Sequence[int]) -> dict[str, Any]:
    """A ``totals_by_ai_adoption_phase`` entry: engaged users and averages per user (pull
    requests are not simulated per user: their averages follow the phase)."""
    users = sums[0]
    return {
        "phase": PHASES[phase],
        "phase_number": phase,
        "total_engaged_users": users,
        "avg_user_initiated_interactions": round(sums[1] / users, 2),
        "avg_code_generation_activities": round(sums[2] / users, 2),
        "avg_code_acceptance_activities": round(sums[3] / users, 2),
        "avg_loc_added": round(sums[4] / users, 2),
        "avg_loc_deleted": round(sums[5] / users, 2),
        "avg_pull_requests_reviewed": round(0.15 * phase, 2),
        "avg_pull_requests_created": round(0.05 + 0.1 * phase, 2),
        "avg_pull_requests_merged": round(0.04 + 0.08 * phase, 2),
        # null where no one in the phase merged anything: GitHub has no median then
        "avg_pull_requests_median_minutes_to_merge": round(900 / phase, 1) if phase else None,
    }


def _top(names: dict[str, int], key: str) -> list[dict[str, Any]]:
    """GitHub's top 5 of a customisation breakdown, most used first."""
    ranked = sorted(names.items(), key=lambda item: (-item[1], item[0]))[:5]
    return [{key: name, "interaction_count": count} for name, count in ranked]


def _cli_object(cli: Sequence[int]) -> dict[str, Any]:
    sessions, requests, prompts, output, prompt_tokens = cli
    return {
        "session_count": sessions,
        "request_count": requests,
        "prompt_count": prompts,
        "token_usage": {
            "output_tokens_sum": output,
            "prompt_tokens_sum": prompt_tokens,
            "avg_tokens_per_request": round((output + prompt_tokens) / requests, 1)
            if requests
            else 0.0,
        },
    }


def _ri(rnd: Callable[[], float], low: int, high: int) -> int:
    """An int in [low, high] from one random() call."""
    return low + int(rnd() * (high - low + 1))


def _sessions(
    rnd: Callable[[], float],
    most: tuple[int, int, int],
    output: tuple[int, int],
    prompt: tuple[int, int],
) -> Usage:
    """A CLI or app day as :data:`Usage`: up to ``most`` sessions, prompts per session and
    requests per prompt; output and prompt tokens per request drawn from their ranges."""
    sessions = _ri(rnd, 1, most[0])
    prompts = sessions * _ri(rnd, 1, most[1])
    requests = prompts * _ri(rnd, 1, most[2])
    return (
        sessions,
        requests,
        prompts,
        requests * _ri(rnd, *output),
        requests * _ri(rnd, *prompt),
    )


def _pick(rnd: Callable[[], float], items: Sequence[str]) -> str:
    return items[int(rnd() * len(items))]


def _split(total: int, parts: int, rng: Random) -> list[int]:
    weights = [rng.random() + 0.1 for _ in range(parts)]
    scale = sum(weights)
    out = [int(total * w / scale) for w in weights]
    out[0] += total - sum(out)
    return out


class SimulatedStore:
    """An enterprise with orgs, teams and users whose Copilot use varies by day.

    Names: the enterprise `enterprise`; orgs "<enterprise>-web", "-data", "-mobile",
    "-infra", then "<enterprise>-org-5"...; org teams "frontend", "backend", "sre",
    "platform", "qa", "security", "ml", "devex", then "team-9"...; enterprise teams
    "platform-eng", "data-science", "security-champions", "dev-productivity", then
    "ent-team-5".... Days up to today - lag_days have data, back to 365 days ago.
    """

    def __init__(
        self,
        seed: int = 1,
        enterprise: str = "acme",
        orgs: int = 4,
        teams_per_org: int = 3,
        enterprise_teams: int = 2,
        users: int = 400,
        today: date | None = None,
        *,
        lag_days: int = 1,
        legacy: LegacyStatus = "enabled",
        cache_reports: int = 128,
        pool_runs_out_day: int = 18,
    ) -> None:
        if orgs < 1 or users < 1 or teams_per_org < 0 or enterprise_teams < 0:
            raise ValueError("SimulatedStore needs at least one org and one user")
        self.seed = seed
        self.enterprise = enterprise
        self.enterprise_id = str(100_000 + _derive(seed, "enterprise", enterprise) % 900_000)
        self.lag_days = lag_days
        self._today = today
        self._legacy = legacy
        self._n = users
        self._ones = int.from_bytes(b"\x01" * users, "little")
        self._lock = threading.Lock()
        self._days: _Lru[int, _Day] = _Lru(512)
        self._aggs: _Lru[tuple[int, int], _Agg] = _Lru(2048)
        self._reports: _Lru[tuple[str, str, int], ReportFile] = _Lru(cache_reports)
        self._legacy_days: _Lru[int, dict[str, dict[str, Any]]] = _Lru(64)
        self._seat_cache: _Lru[tuple[str, int], list[dict[str, Any]]] = _Lru(64)
        self._spend: SpendBook | None = None
        #: The enterprise's AI-credit pool is used up at the end of this day of each month.
        self.pool_runs_out_day = pool_runs_out_day
        self._build(orgs, teams_per_org, enterprise_teams)

    # --- population ------------------------------------------------------------------------

    def _build(self, n_orgs: int, teams_per_org: int, n_ent_teams: int) -> None:
        e = self.enterprise
        self.orgs = [
            _Org(i, f"{e}-{ORG_SUFFIXES[i]}" if i < len(ORG_SUFFIXES) else f"{e}-org-{i + 1}")
            for i in range(n_orgs)
        ]
        for org in self.orgs:
            org.teams = [
                _Team(
                    40_000_000 + org.index * 10_000 + j,
                    ORG_TEAMS[j] if j < len(ORG_TEAMS) else f"team-{j + 1}",
                    org.index,
                )
                for j in range(teams_per_org)
            ]
        self.enterprise_teams = [
            _Team(
                30_000_000 + j,
                ENTERPRISE_TEAMS[j] if j < len(ENTERPRISE_TEAMS) else f"ent-team-{j + 1}",
                None,
            )
            for j in range(n_ent_teams)
        ]
        rng = Random(_derive(self.seed, "population", self.enterprise))
        org_weights = [1 / (1 + 0.3 * i) for i in range(n_orgs)]
        seen: dict[str, int] = {}
        self.users: list[_User] = []
        # Thresholds out of 256 per user and day type; columns so a day is one map() call.
        weekday, weekend, chat, agent, cli, cr_active, cr_passive = (bytearray() for _ in "1234567")
        for i, org_index in enumerate(rng.choices(range(n_orgs), org_weights, k=self._n)):
            base = f"{rng.choice(_FIRST)}-{rng.choice(_LAST)}"
            seen[base] = seen.get(base, 0) + 1
            user = _User(i, base if seen[base] == 1 else f"{base}{seen[base]}", org_index)
            org = self.orgs[org_index]
            org.members.append(i)
            roll = rng.random()
            n_teams = 0 if roll < 0.05 or not org.teams else 1 if roll < 0.7 else 2
            team_weights = [1 / (1 + j) for j in range(len(org.teams))]
            picked: list[int] = []
            for _ in range(n_teams):
                j = rng.choices(range(len(org.teams)), team_weights)[0]
                if j not in picked:
                    picked.append(j)
                    org.teams[j].members.append(i)
            user.teams = tuple(picked)
            if self.enterprise_teams and rng.random() < 0.3:
                user.ent_team = rng.randrange(len(self.enterprise_teams))
                self.enterprise_teams[user.ent_team].members.append(i)
            user.ide = rng.choices(IDES, _IDE_WEIGHTS)[0]
            user.ide2 = rng.choices(IDES, _IDE_WEIGHTS)[0] if rng.random() < 0.2 else None
            if user.ide2 == user.ide:
                user.ide2 = None
            langs = rng.choices(LANGUAGES[:8], _LANGUAGE_WEIGHTS[:8], k=3)
            user.langs = tuple(dict.fromkeys(langs[: 1 + int(rng.random() * 3)]))
            first, second = rng.sample(CHAT_MODELS, 2)
            user.models = (first, second)
            user.intensity = rng.lognormvariate(0, 0.5)
            user.seat_created = (
                rng.randrange(5, 30) if rng.random() < 0.04 else rng.randrange(30, 700)
            )
            user.seat_team = picked[0] if picked and rng.random() < 0.6 else None
            user.pending = rng.random() < 0.02
            kind = rng.random()
            if kind < 0.05:  # never uses the seat
                p = 0.0
            elif kind < 0.25:
                p = rng.uniform(0.05, 0.3)
            elif kind < 0.75:
                p = rng.uniform(0.5, 0.8)
            else:
                p = rng.uniform(0.85, 0.98)
            weekday.append(int(p * 256))
            weekend.append(int(p * 256 * rng.uniform(0.05, 0.3)))
            chat.append(int(rng.uniform(0.1, 0.8) * 256))
            agent.append(int(rng.uniform(0.0, 0.5) * 256))
            cli.append(int(rng.uniform(0, 0.5) * 256) if rng.random() < 0.25 else 0)
            cr_active.append(int(rng.uniform(0, 0.25) * 256))
            cr_passive.append(int(rng.uniform(0, 0.3) * 256))
            self.users.append(user)
        self._thresholds = (bytes(weekday), bytes(weekend))
        # Drawn apart, after everyone else's draws: a later surface leaves the older ones be.
        later = Random(_derive(self.seed, "population-surfaces", self.enterprise))
        cloud = bytes(
            int(later.uniform(0, 0.4) * 256) if later.random() < 0.3 else 0 for _ in range(self._n)
        )
        self._flag_thresholds = (
            bytes(chat),
            bytes(agent),
            bytes(cli),
            bytes(cr_active),
            bytes(cr_passive),
            cloud,
        )
        self._org_masks = [self._mask(org.members) for org in self.orgs]
        self._owner_paths = frozenset(
            [f"enterprises/{e}"]
            + [f"enterprises/{e}/team/{t.slug}" for t in self.enterprise_teams]
            + [f"orgs/{o.login}" for o in self.orgs]
            + [f"orgs/{o.login}/team/{t.slug}" for o in self.orgs for t in o.teams]
        )
        self._orgs_by_login = {o.login: o for o in self.orgs}

    def _mask(self, members: Sequence[int]) -> int:
        mask = bytearray(self._n)
        for i in members:
            mask[i] = 1
        return int.from_bytes(mask, "little")

    # --- days ----------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return self._today or datetime.now(UTC).date()

    @property
    def last_day(self) -> date:
        """The newest day with data."""
        return self.today - timedelta(days=self.lag_days)

    def has_day(self, day: date) -> bool:
        return self.today - timedelta(days=365) <= day <= self.last_day

    def _day(self, day: date) -> _Day:
        return self._days.get_or_make(day.toordinal(), partial(self._draw_day, day))

    def _draw_day(self, day: date) -> _Day:
        rng = Random(_derive(self.seed, "day", day.toordinal()))
        n, ones = self._n, self._ones
        thresholds = self._thresholds[1 if day.weekday() >= 5 else 0]
        active = int.from_bytes(bytes(map(lt, rng.randbytes(n), thresholds)), "little")
        flags = [
            int.from_bytes(bytes(map(lt, rng.randbytes(n), t)), "little") & active
            for t in self._flag_thresholds
        ]
        chat, agent, cli, cr_active, cr_passive, cloud = flags
        cr_passive &= ~cr_active & ones
        packed = (
            active
            | chat << _CHAT
            | agent << _AGENT
            | cli << _CLI
            | cr_active << _CR_ACTIVE
            | cr_passive << _CR_PASSIVE
            | cloud << _CLOUD
        )
        return _Day(packed.to_bytes(n, "little"), ones)

    def _window(self, day: date, days: int, flag: int) -> int:
        """Users with the flag on any of the `days` days ending with `day`."""
        union = 0
        for back in range(days):
            union |= self._day(day - timedelta(days=back)).masks[flag]
        return union

    def _user_day(self, user: _User, day: date, bits: int) -> _UserDay:
        """One user's atoms for a day they are active (same draws whatever the report).

        Draws use random() only: randint() and choice() cost ten times more, and this runs
        once per active user and day in every report.
        """
        rnd = Random(_derive(self.seed, "user-day", day.toordinal(), user.index)).random
        ud = _UserDay()
        ud.seconds = _ri(rnd, 7 * 3600, 20 * 3600)
        chat, agent, cli = bits >> _CHAT & 1, bits >> _AGENT & 1, bits >> _CLI & 1
        level = user.intensity * (0.5 + rnd())
        atoms = ud.atoms
        ide2 = user.ide2
        if not (chat or agent or cli) and rnd() < 0.06:
            if day >= ADOPTION_FROM:
                ud.phase = 0
            return ud  # counted active, but nothing attributable: an all-zero row
        if rnd() < 0.92:
            for language in user.langs[: 1 + (rnd() < 0.5)]:
                gen = 1 + int(level * _ri(rnd, 4, 60))
                acc = int(gen * (0.15 + 0.3 * rnd()))
                sug = gen * _ri(rnd, 1, 4)
                added = min(sug, acc * _ri(rnd, 1, 4))
                ide = ide2 if ide2 and rnd() < 0.2 else user.ide
                atoms.append(
                    (
                        ide,
                        "code_completion",
                        language,
                        COMPLETION_MODEL,
                        [0, gen, acc, sug, 0, added, 0],
                    )
                )
        if chat:
            first = _pick(rnd, CHAT_FEATURES)
            atoms.append(self._interactive(rnd, user, first, level))
            if rnd() < 0.4:
                second = _pick(rnd, CHAT_FEATURES)
                if second != first:
                    atoms.append(self._interactive(rnd, user, second, level))
        if agent:
            atoms.append(self._interactive(rnd, user, "chat_panel_agent_mode", level))
            gen = 1 + int(level * _ri(rnd, 1, 15))
            sug = gen * _ri(rnd, 3, 30)
            sdel = _ri(rnd, 0, sug // 2)
            model = "claude-sonnet-4.5" if rnd() < 0.5 else user.models[0]
            atoms.append(
                (
                    user.ide,
                    "agent_edit",
                    _pick(rnd, user.langs),
                    model,
                    [
                        0,
                        gen,
                        _ri(rnd, 0, gen),
                        sug,
                        sdel,
                        _ri(rnd, sug // 2, sug),
                        _ri(rnd, 0, sdel),
                    ],
                )
            )
        if cli:
            if rnd() < 0.3:
                atoms.append(self._interactive(rnd, user, "copilot_cli", level))
            ud.cli = _sessions(rnd, (4, 6, 4), (200, 1500), (800, 5000))
        if rnd() < 0.03:
            atoms.append(self._interactive(rnd, user, "others", level))
        ud.credits = round((0.2 + 1.8 * rnd()) * (1 + chat + 3 * agent + 2 * cli), 2)
        if chat and rnd() < 0.25:
            ud.dotcom = (_pick(rnd, CHAT_MODELS), _ri(rnd, 1, 8))
        if rnd() < 0.08:
            ud.pr = (f"{self.orgs[user.org].login}/{_pick(rnd, REPOSITORIES)}", _ri(rnd, 1, 3))
        if day >= ADOPTION_FROM:  # the newer surfaces draw last: older fields stay as they were
            self._later_surfaces(rnd, user, day, bits, ud, level)
        return ud

    def _later_surfaces(
        self,
        rnd: Callable[[], float],
        user: _User,
        day: date,
        bits: int,
        ud: _UserDay,
        level: float,
    ) -> None:
        """The surfaces GitHub added to the reports, each from its launch day on."""
        agent, cli, cloud = bits >> _AGENT & 1, bits >> _CLI & 1, bits >> _CLOUD & 1
        if day >= APP_FROM and rnd() < 0.1 + 0.2 * agent:
            ud.app = _sessions(rnd, (3, 4, 3), (200, 1200), (600, 4000))
            ud.atoms.append(self._interactive(rnd, user, "copilot_app", level))
        if day >= VSCODE_AGENT_FROM and user.ide == "vscode" and rnd() < 0.05 + 0.25 * agent:
            sessions = _ri(rnd, 1, 3)
            ud.vscode = (sessions, sessions * _ri(rnd, 2, 9))
        if day >= THIRD_PARTY_FROM and rnd() < 0.1 + 0.15 * agent:
            for _ in range(1 + (rnd() < 0.3)):
                agent_id, names = THIRD_PARTY_AGENTS[int(rnd() * len(THIRD_PARTY_AGENTS))]
                name = names[-1] if rnd() < 0.3 else names[0]
                jobs = _ri(rnd, 1, 5)
                ud.agents.append((agent_id, name, jobs, jobs + _ri(rnd, 0, 2)))
        if day >= CLI_CUSTOMISATION_FROM and cli:
            ud.custom = self._customisation(rnd)
        completions = any(atom[1] == "code_completion" for atom in ud.atoms)
        ud.phase = 3 if agent and (cli or cloud) else 2 if agent or cloud else int(completions)

    @staticmethod
    def _customisation(rnd: Callable[[], float]) -> dict[str, dict[str, int]]:
        """One CLI user's skills, custom agents, MCP servers, slash commands and plugins."""
        out: dict[str, dict[str, int]] = {}
        for kind, _, _, names in CUSTOMISATIONS:
            used = out[kind] = {}
            for _ in range(_ri(rnd, 0, 3)):
                name = _pick(rnd, names)
                used[name] = used.get(name, 0) + _ri(rnd, 1, 6)
        plugins = out[PLUGIN[0]] = {}
        for skill, count in out["skill"].items():
            plugin = PLUGIN_SKILLS.get(skill)
            if plugin is not None and (skill != "other" or rnd() < 0.5):
                plugins[plugin] = plugins.get(plugin, 0) + count  # a subset of skill use
        return out

    @staticmethod
    def _interactive(
        rnd: Callable[[], float], user: _User, feature: str, level: float
    ) -> tuple[str, str, str, str, list[int]]:
        prompts = 1 + int(level * _ri(rnd, 1, 10))
        gen = prompts * _ri(rnd, 1, 3)
        sug = gen * _ri(rnd, 2, 12)
        sdel = _ri(rnd, 0, sug // 3)
        language = user.langs[0] if rnd() < 0.6 else _pick(rnd, ("others", "unknown", *user.langs))
        model = user.models[0] if rnd() < 0.7 else user.models[1]
        return (
            user.ide,
            feature,
            language,
            model,
            [prompts, gen, _ri(rnd, 0, gen), sug, sdel, _ri(rnd, 0, sug), _ri(rnd, 0, sdel)],
        )

    # --- users-1-day and user-teams-1-day --------------------------------------------------

    def _user_record(
        self, user: _User, day: date, bits: int, ud: _UserDay, org_scope: bool
    ) -> dict[str, Any]:
        iso = day.isoformat()
        rec: dict[str, Any] = {
            "user_id": user.id,
            "user_login": user.login,
            "day": iso,
            "enterprise_id": self.enterprise_id,
        }
        if org_scope:
            rec["organization_id"] = str(self.orgs[user.org].id)
        acc: Acc = {}
        _add_atoms(acc, ud.atoms)
        rec.update(_breakdowns(acc))
        sampled = (
            f"{iso}T{ud.seconds // 3600:02d}:{ud.seconds // 60 % 60:02d}:{ud.seconds % 60:02d}.000Z"
        )
        for entry in rec["totals_by_ide"]:
            version, plugin, plugin_version = _VERSIONS[entry["ide"]]
            entry["last_known_ide_version"] = {"ide_version": version, "sampled_at": sampled}
            entry["last_known_plugin_version"] = {
                "plugin": plugin,
                "plugin_version": plugin_version,
                "sampled_at": sampled,
            }
        if ud.cli is not None:
            cli = _cli_object(ud.cli)
            cli["last_known_cli_version"] = {"cli_version": "0.0.354", "sampled_at": sampled}
            rec["totals_by_cli"] = cli
        rec["used_agent"] = bool(bits >> _AGENT & 1)
        rec["used_chat"] = bool(bits >> _CHAT & 1)
        rec["used_cli"] = bool(bits >> _CLI & 1)
        rec["used_copilot_code_review_active"] = bool(bits >> _CR_ACTIVE & 1)
        rec["used_copilot_code_review_passive"] = bool(bits >> _CR_PASSIVE & 1)
        if day >= CREDITS_FROM:
            rec["ai_credits_used"] = ud.credits
        rec["etl_id"] = "green"  # unknown fields appear in real files: parsers must ignore them
        rec["day_partition"] = iso
        self._later_user_fields(rec, user, day, bits, ud)
        return rec

    @staticmethod
    def _later_user_fields(
        rec: dict[str, Any], user: _User, day: date, bits: int, ud: _UserDay
    ) -> None:
        """The fields GitHub added to users rows, from each one's launch day on."""
        reviewed = rec["used_copilot_code_review_active"] or rec["used_copilot_code_review_passive"]
        if (
            day >= NULLABLE_REVIEW_FROM
            and not reviewed
            and (user.index + day.toordinal()) % 13 == 0
        ):
            # GitHub could not tell: null, not false (and no user the entity counted)
            rec["used_copilot_code_review_active"] = rec["used_copilot_code_review_passive"] = None
        if day >= CLOUD_AGENT_FROM:
            rec["used_copilot_cloud_agent"] = rec["used_copilot_coding_agent"] = bool(
                bits >> _CLOUD & 1
            )
        if ud.phase is not None:
            rec["ai_adoption_phase"] = {
                "phase_number": ud.phase,
                "phase": PHASES[ud.phase],
                "version": "v1",
            }
        if day >= APP_FROM:
            rec["used_copilot_app"] = ud.app is not None
        if ud.app is not None:
            rec["totals_by_copilot_app"] = _cli_object(ud.app)
        if day >= VSCODE_AGENT_FROM:
            rec["used_vscode_agent"] = ud.vscode is not None
        if ud.agents:
            rec["totals_by_3rd_party_agent"] = [
                {"agent_id": agent, "agent_name": name, "user_initiated_interaction_count": jobs}
                for agent, name, jobs, _ in ud.agents
            ]
        if ud.custom is not None:  # at the top of the row, as in GitHub's published example
            for kind, array, distinct, _ in (*CUSTOMISATIONS, (*PLUGIN, ())):
                names = ud.custom[kind]
                rec[array] = _top(names, kind)
                rec[distinct] = len(names)

    def _users_lines(self, day: date, rows: Sequence[int], org_scope: bool) -> Iterator[bytes]:
        bits = self._day(day).bits
        batch: list[str] = []
        for i in rows:
            user = self.users[i]
            ud = self._user_day(user, day, bits[i])
            batch.append(dumps_line(self._user_record(user, day, bits[i], ud, org_scope)))
            if len(batch) >= _BATCH:
                yield ("\n".join(batch) + "\n").encode()
                batch = []
        if batch:
            yield ("\n".join(batch) + "\n").encode()

    def _team_lines(
        self, day: date, rows: Sequence[tuple[int, _Team]], owner_field: str, owner_id: str
    ) -> Iterator[bytes]:
        iso = day.isoformat()
        for start in range(0, len(rows), _BATCH * 5):
            yield "".join(
                dumps_line(
                    {
                        "user_id": self.users[i].id,
                        "user_login": self.users[i].login,
                        "day": iso,
                        owner_field: owner_id,
                        "team_id": team.id,
                        "slug": team.slug,
                    }
                )
                + "\n"
                for i, team in rows[start : start + _BATCH * 5]
            ).encode()

    # --- entity reports -------------------------------------------------------------------

    def _agg(self, org: int, day: date) -> _Agg:
        return self._aggs.get_or_make((org, day.toordinal()), partial(self._aggregate, org, day))

    def _aggregate(self, org: int, day: date) -> _Agg:
        agg = _Agg()
        bits = self._day(day).bits
        for i in self.orgs[org].members:
            if bits[i] & 1:
                agg.add(self._user_day(self.users[i], day, bits[i]))
        return agg

    def _entity_record(self, org: _Org | None, day: date) -> dict[str, Any]:
        if org is None:
            agg = _Agg()
            for o in self.orgs:
                agg.merge(self._agg(o.index, day))
            mask = self._ones
        else:
            agg = self._agg(org.index, day)
            mask = self._org_masks[org.index]
        rec: dict[str, Any] = {"day": day.isoformat(), "enterprise_id": self.enterprise_id}
        if org is not None:
            rec["organization_id"] = str(org.id)

        def users(days: int, flag: int) -> int:
            return (self._window(day, days, flag) & mask).bit_count()

        rec["daily_active_users"] = users(1, _ACTIVE)
        rec["weekly_active_users"] = users(7, _ACTIVE)
        rec["monthly_active_users"] = users(28, _ACTIVE)
        rec["monthly_active_chat_users"] = users(28, _CHAT)
        rec["monthly_active_agent_users"] = users(28, _AGENT)
        cli_users = users(1, _CLI)
        if cli_users:
            rec["daily_active_cli_users"] = cli_users
        for window, days in (("daily", 1), ("weekly", 7), ("monthly", 28)):
            active = self._window(day, days, _CR_ACTIVE) & mask
            passive = self._window(day, days, _CR_PASSIVE) & mask & ~active
            rec[f"{window}_active_copilot_code_review_users"] = active.bit_count()
            rec[f"{window}_passive_copilot_code_review_users"] = passive.bit_count()
        rec.update(_breakdowns(agg.acc))
        if agg.cli[1]:
            rec["totals_by_cli"] = _cli_object(agg.cli)
        orgs = self.orgs if org is None else [org]
        rec["pull_requests"] = self._pull_requests(orgs, day)
        if day >= CLOUD_AGENT_FROM:
            # GitHub had no cloud agent data on some days: null, not 0
            known = _derive(self.seed, "cloud-agent-null", day.toordinal()) % 7 != 0
            for window, days in (("daily", 1), ("weekly", 7), ("monthly", 28)):
                field = f"{window}_active_copilot_cloud_agent_users"
                rec[field] = users(days, _CLOUD) if known else None
        self._later_entity_fields(rec, agg, day)
        return rec

    @staticmethod
    def _later_entity_fields(rec: dict[str, Any], agg: _Agg, day: date) -> None:
        """The sections GitHub added to entity records, from each one's launch day on."""
        if day >= APP_FROM:
            rec["daily_active_copilot_app_users"] = agg.app[5]
            if agg.app[5]:
                rec["totals_by_copilot_app"] = _cli_object(agg.app[:5])
        if day >= VSCODE_AGENT_FROM:
            sessions, messages, vscode_users = agg.vscode
            rec["daily_active_vscode_agent_users"] = vscode_users
            if vscode_users:
                rec["totals_by_vscode_agent"] = {
                    "session_count": sessions,
                    "total_user_messages": messages,
                }
        if agg.agents:
            rec["totals_by_3rd_party_agent"] = [
                {
                    "agent_id": agent,
                    "agent_name": name,
                    "user_initiated_interaction_count": jobs,
                    "session_count": sessions,
                }
                for agent, (name, jobs, sessions) in sorted(agg.agents.items())
            ]
        cli = rec.get("totals_by_cli")
        if agg.custom and cli is not None:  # inside totals_by_cli, as the changelog says
            for kind, array, distinct, _ in (*CUSTOMISATIONS, (*PLUGIN, ())):
                names = agg.custom.get(kind, {})
                cli[array] = _top(names, "name")
                cli[distinct] = len(names)
        if agg.phases:
            rec["totals_by_ai_adoption_phase"] = [
                _adoption_entry(phase, sums) for phase, sums in sorted(agg.phases.items())
            ]

    def _org_pull_requests(self, org: _Org, day: date) -> dict[str, Any]:
        rng = Random(_derive(self.seed, "pull-requests", org.index, day.toordinal()))
        dau = (self._day(day).masks[_ACTIVE] & self._org_masks[org.index]).bit_count()
        created = int(dau * rng.uniform(0.3, 0.8))
        merged = int(created * rng.uniform(0.5, 0.95))
        reviewed = int(created * rng.uniform(0.6, 1.2))
        by_copilot = int(created * rng.uniform(0.02, 0.15))
        reviewed_by_copilot = int(reviewed * rng.uniform(0.1, 0.5))
        suggestions = int(reviewed * rng.uniform(0.5, 3))
        copilot_suggestions = int(reviewed_by_copilot * rng.uniform(1, 4))
        by_type = [
            (t, n, int(n * rng.uniform(0.2, 0.5)))
            for t, n in zip(
                COMMENT_TYPES, _split(copilot_suggestions, len(COMMENT_TYPES), rng), strict=True
            )
        ]
        return {
            "total_created": created,
            "total_reviewed": reviewed,
            "total_merged": merged,
            "median_minutes_to_merge": round(rng.uniform(60, 2400), 1),
            "total_suggestions": suggestions,
            "total_applied_suggestions": int(suggestions * rng.uniform(0.2, 0.6)),
            "total_created_by_copilot": by_copilot,
            "total_reviewed_by_copilot": reviewed_by_copilot,
            "total_merged_created_by_copilot": min(merged, int(by_copilot * rng.uniform(0.3, 0.9))),
            "total_merged_reviewed_by_copilot": min(
                merged, int(reviewed_by_copilot * rng.uniform(0.4, 0.9))
            ),
            "median_minutes_to_merge_copilot_authored": round(rng.uniform(30, 1400), 1),
            "median_minutes_to_merge_copilot_reviewed": round(rng.uniform(45, 1800), 1),
            "total_copilot_suggestions": copilot_suggestions,
            "total_copilot_applied_suggestions": sum(applied for _, _, applied in by_type),
            "copilot_suggestions_by_comment_type": [
                {
                    "comment_type": t,
                    "total_copilot_suggestions": n,
                    "total_copilot_applied_suggestions": applied,
                }
                for t, n, applied in by_type
            ],
        }

    def _pull_requests(self, orgs: Sequence[_Org], day: date) -> dict[str, Any]:
        """Per org from its own draws; an enterprise sums its orgs (medians weighted)."""
        parts = [self._org_pull_requests(o, day) for o in orgs]
        out: dict[str, Any] = {}
        for key, value in parts[0].items():
            if isinstance(value, int):
                out[key] = sum(p[key] for p in parts)
        by_type: dict[str, list[int]] = {}
        for p in parts:
            for entry in p["copilot_suggestions_by_comment_type"]:
                mine = by_type.setdefault(entry["comment_type"], [0, 0])
                mine[0] += entry["total_copilot_suggestions"]
                mine[1] += entry["total_copilot_applied_suggestions"]
        for key, weight in (
            ("median_minutes_to_merge", "total_merged"),
            ("median_minutes_to_merge_copilot_authored", "total_merged_created_by_copilot"),
            ("median_minutes_to_merge_copilot_reviewed", "total_merged_reviewed_by_copilot"),
        ):
            total = sum(p[weight] for p in parts)
            if total:  # GitHub leaves a median out when nothing was merged
                out[key] = round(sum(p[key] * p[weight] for p in parts) / total, 1)
        out["copilot_suggestions_by_comment_type"] = [
            {
                "comment_type": t,
                "total_copilot_suggestions": v[0],
                "total_copilot_applied_suggestions": v[1],
            }
            for t, v in by_type.items()
        ]
        return out

    def _entity_lines(
        self, kind: str, owner: str, org: _Org | None, start: date, end: date
    ) -> Iterator[bytes]:
        day = start
        while day <= end:
            record = self._entity_record(org, day)
            yield (
                dumps_line(entity_wrapper(kind, owner, start, end, [record], etl_id="green")) + "\n"
            ).encode()
            day += timedelta(days=1)

    # --- ReportStore ----------------------------------------------------------------------

    def owners(self) -> frozenset[str]:
        return self._owner_paths

    def report(self, kind: str, owner: str, day: date | None) -> ReportFile | None:
        if owner not in self._owner_paths:
            return None
        owner_type, _name, team = split_owner(owner)
        if team is not None or kind not in KINDS_BY_OWNER_TYPE[owner_type]:
            return None
        if kind in ENTITY_28DAY_KINDS:
            day = day or self.last_day
        if day is None or not self.has_day(day):
            return None
        if kind == REPOS_KIND:
            return self._repos_report(owner, day)
        return self._reports.get_or_make(
            (kind, owner, day.toordinal()), partial(self._make_report, kind, owner, day)
        )

    def _make_report(self, kind: str, owner: str, day: date) -> ReportFile:
        owner_type, name, _ = split_owner(owner)
        org = self._orgs_by_login.get(name) if owner_type == "orgs" else None
        members = org.members if org is not None else range(self._n)
        if kind in ENTITY_28DAY_KINDS:
            start = day - timedelta(days=27)
            part = LazyPart(partial(self._entity_lines, kind, owner, org, start, day))
            return ReportFile((part,), start, day)
        if kind.endswith("-1-day") and kind not in ("users-1-day", "user-teams-1-day"):
            part = LazyPart(partial(self._entity_lines, kind, owner, org, day, day))
            return ReportFile((part,), day, day)
        if kind == "users-1-day":
            bits = self._day(day).bits
            rows = [i for i in members if bits[i] & 1]
            chunks = [rows[k : k + _ROWS_PER_PART] for k in range(0, len(rows), _ROWS_PER_PART)]
            return ReportFile(
                tuple(
                    LazyPart(partial(self._users_lines, day, chunk, org is not None))
                    for chunk in chunks or [[]]
                ),
                day,
                day,
            )
        # user-teams-1-day: every seated member of a team with at least 5 of them
        teams = org.teams if org is not None else self.enterprise_teams
        pairs = [(i, t) for t in teams if len(t.members) >= 5 for i in t.members]
        field, owner_id = (
            ("organization_id", str(org.id))
            if org is not None
            else ("enterprise_id", self.enterprise_id)
        )
        chunks_t = [
            pairs[k : k + _ROWS_PER_PART * 4] for k in range(0, len(pairs), _ROWS_PER_PART * 4)
        ]
        return ReportFile(
            tuple(
                LazyPart(partial(self._team_lines, day, chunk, field, owner_id))
                for chunk in chunks_t or [[]]
            ),
            day,
            day,
        )

    # --- repository reports -------------------------------------------------------------

    def _repos_report(self, owner: str, day: date) -> ReportFile | None:
        """repos-1-day: the repositories with pull request activity that day (an
        enterprise's are its organizations'); None, a 204, when there are none."""
        owner_type, name, _ = split_owner(owner)
        if day < REPOS_FROM:
            return None
        orgs = self.orgs if owner_type == "enterprises" else [self._orgs_by_login[name]]
        owner_id = (
            {"enterprise_id": self.enterprise_id}
            if owner_type == "enterprises"
            else {"organization_id": str(orgs[0].id)}
        )
        rows = [
            {"day": day.isoformat(), **owner_id, **row}
            for org in orgs
            for row in self._repo_rows(org, day)
        ]
        if not rows:
            return None
        body = "".join(dumps_line(row) + "\n" for row in rows).encode()
        return ReportFile((body,), day, day)

    def _repo_rows(self, org: _Org, day: date) -> list[dict[str, Any]]:
        """The org's pull requests of the day shared out over its repositories, so the
        repositories add up to the org's counts; medians and review times drawn per
        repository, left out (or null) where nothing was merged."""
        rng = Random(_derive(self.seed, "repos", org.index, day.toordinal()))
        prs = self._org_pull_requests(org, day)
        weights = [rng.random() + 0.05 for _ in REPOSITORIES]
        scale = sum(weights)

        def share(total: int) -> list[int]:
            out = [int(total * w / scale) for w in weights]
            out[0] += total - sum(out)
            return out

        counts = {k: share(v) for k, v in prs.items() if isinstance(v, int)}
        by_type = [
            (e["comment_type"], share(e["total_copilot_suggestions"]),
             share(e["total_copilot_applied_suggestions"]))
            for e in prs["copilot_suggestions_by_comment_type"]
        ]  # fmt: skip
        rows = []
        for k, repo in enumerate(REPOSITORIES):
            mine = {key: values[k] for key, values in counts.items()}
            if not any(mine.values()):
                continue  # no activity: GitHub sends no row
            block: dict[str, Any] = dict(mine)
            for field, weight in (
                ("median_minutes_to_merge", "total_merged"),
                ("median_minutes_to_merge_copilot_authored", "total_merged_created_by_copilot"),
                ("median_minutes_to_merge_copilot_reviewed", "total_merged_reviewed_by_copilot"),
            ):
                if mine[weight]:
                    block[field] = round(rng.uniform(30, 2400), 1)
            block["copilot_suggestions_by_comment_type"] = [
                {
                    "comment_type": t,
                    "total_copilot_suggestions": made[k],
                    "total_copilot_applied_suggestions": applied[k],
                }
                for t, made, applied in by_type
                if made[k]
            ]
            row: dict[str, Any] = {
                "repo_id": stable_id("repo", org.login, repo),
                "repo_owner_name": org.login,
                "repo_name": repo,
                "repo_visibility": VISIBILITY.get(repo, "private"),
                "pull_requests": block,
            }
            if day >= REVIEW_TIMES_FROM:
                row["pull_request_review_times"] = self._review_times(rng, mine)
            rows.append(row)
        return rows

    @staticmethod
    def _review_times(rng: Random, prs: dict[str, int]) -> list[dict[str, Any]]:
        """Human reviews of pull requests people and the cloud agent authored (GitHub
        reports human reviews only); a p90 of fewer than two pull requests is null."""
        by_copilot = prs["total_merged_created_by_copilot"]
        entries = []
        for author, merged in (
            ("human", prs["total_merged"] - by_copilot),
            ("copilot", by_copilot),
        ):
            if merged <= 0:
                continue
            entry: dict[str, Any] = {
                "authored_by": author,
                "reviewed_by": "human",
                "total_merged": merged,
            }
            for stage, low, high in (
                ("ready_to_first_review", 5, 600),
                ("first_to_final_review", 10, 1800),
                ("final_review_to_merge", 1, 900),
            ):
                median = round(rng.uniform(low, high), 1)
                entry[f"median_minutes_{stage}"] = median
                entry[f"p90_minutes_{stage}"] = (
                    round(median * rng.uniform(1.5, 4), 1) if merged > 1 else None
                )
            entries.append(entry)
        return entries

    def warm(self, day: date | None = None, *, legacy: bool = False) -> None:
        """Compute a day's entity aggregates (and the legacy 28 days) ahead of requests.

        A benchmark calls this before timing, so the first request does not pay for the
        simulation (at 50,000 users: ~1 s aggregates, ~35 s legacy for every owner).
        """
        day = day or self.last_day
        for org in self.orgs:
            self._agg(org.index, day)
        if legacy:
            self.legacy_days(f"enterprises/{self.enterprise}")

    # --- legacy metrics -------------------------------------------------------------------

    def legacy_status(self, owner: str) -> LegacyStatus | None:
        return self._legacy if owner in self._owner_paths else None

    def legacy_days(self, owner: str) -> Sequence[JsonObject]:
        if owner not in self._owner_paths:
            return []
        members = self._members(owner)
        if len(members) < 5:
            return []  # GitHub's answer for fewer than five licensed members
        out: list[JsonObject] = []
        for back in range(27, -1, -1):
            day = self.last_day - timedelta(days=back)
            out.append(
                self._legacy_days.get_or_make(day.toordinal(), partial(self._legacy_day_all, day))[
                    owner
                ]
            )
        return out

    def _members(self, owner: str) -> Sequence[int]:
        owner_type, name, team = split_owner(owner)
        if owner_type == "enterprises":
            if team is None:
                return range(self._n)
            return next(t.members for t in self.enterprise_teams if t.slug == team)
        org = self._orgs_by_login[name]
        return org.members if team is None else next(t.members for t in org.teams if t.slug == team)

    def _legacy_day_all(self, day: date) -> dict[str, dict[str, Any]]:
        """Every owner's legacy object for a day, from one pass over the users."""
        e = self.enterprise
        accs = {path: _LegacyAcc() for path in self._owner_paths}
        owner_accs: list[list[_LegacyAcc]] = []
        for user in self.users:
            org = self.orgs[user.org]
            mine = [accs[f"enterprises/{e}"], accs[f"orgs/{org.login}"]]
            mine += [accs[f"orgs/{org.login}/team/{org.teams[j].slug}"] for j in user.teams]
            if user.ent_team is not None:
                mine.append(
                    accs[f"enterprises/{e}/team/{self.enterprise_teams[user.ent_team].slug}"]
                )
            owner_accs.append(mine)
        bits = self._day(day).bits
        for user in self.users:
            if not bits[user.index] & 1:
                continue
            contribution = _LegacyUser(self._user_day(user, day, bits[user.index]))
            for acc in owner_accs[user.index]:
                acc.add(contribution)
        return {path: acc.render(day) for path, acc in accs.items()}

    # --- seats and billing ----------------------------------------------------------------

    def _last_active(self) -> list[date | None]:
        """Each user's last active day within 90 days (GitHub nulls it after that)."""
        result: list[date | None] = [None] * self._n
        remaining = set(range(self._n))
        for back in range(1, 91):
            day = self.today - timedelta(days=back)
            bits = self._day(day).bits
            found = [i for i in remaining if bits[i] & 1]
            for i in found:
                result[i] = day
            remaining.difference_update(found)
            if not remaining:
                break
        return result

    def seats(self, owner: str) -> Sequence[JsonObject] | None:
        if owner not in self._owner_paths or split_owner(owner)[2] is not None:
            return None
        return self._seat_cache.get_or_make(
            (owner, self.today.toordinal()), partial(self._make_seats, owner)
        )

    def _make_seats(self, owner: str) -> list[dict[str, Any]]:
        today = self.today
        enterprise_list = owner.startswith("enterprises/")
        last_active = self._last_active()
        next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        out: list[dict[str, Any]] = []
        for i in self._members(owner):
            user = self.users[i]
            org = self.orgs[user.org]
            # One derived number gives the clock times: a Random per seat costs more.
            h = _derive(self.seed, "seat", i, today.toordinal())
            created = today - timedelta(days=user.seat_created)
            last = last_active[i]
            version, _, plugin_version = _VERSIONS[user.ide]
            team = org.teams[user.seat_team] if user.seat_team is not None else None
            authenticated = self._authenticated(h, created, last)
            seat: dict[str, Any] = {
                "created_at": f"{created}T09:{h % 60:02d}:00Z",
                "updated_at": f"{created}T09:30:00Z",
                "pending_cancellation_date": next_month.isoformat() if user.pending else None,
                "last_activity_at": None
                if last is None
                else f"{last}T{8 + (h >> 8) % 11:02d}:{(h >> 16) % 60:02d}:{(h >> 24) % 60:02d}Z",
                "last_activity_editor": None
                if last is None
                else f"{user.ide}/{version}/copilot/{plugin_version}",
                "last_authenticated_at": None
                if authenticated is None
                else f"{authenticated}T{7 + (h >> 8) % 11:02d}:{(h >> 44) % 60:02d}:00Z",
                "plan_type": "unknown" if (h >> 56) % 29 == 0 else org.plan,
                "assignee": {
                    "login": user.login,
                    "id": user.id,
                    "node_id": f"U_kgDO{user.id:08d}",
                    "type": "User",
                    "site_admin": False,
                },
                "assigning_team": None
                if team is None
                else {"id": team.id, "slug": team.slug, "name": team.name},
            }
            if enterprise_list:
                seat["organization"] = {"login": org.login, "id": org.id}
            out.append(seat)
        return out

    def _authenticated(self, h: int, created: date, last: date | None) -> date | None:
        """A seat's last authentication: on or after its last activity; for an idle seat
        long ago, or never (null) for a third of them."""
        if last is not None:
            return min(self.today, last + timedelta(days=(h >> 40) % 4))
        if (h >> 32) % 3 == 0:
            return None
        return max(created, self.today - timedelta(days=91 + (h >> 48) % 300))

    def billing(self, org: str) -> JsonObject | None:
        found = self._orgs_by_login.get(org)
        if found is None:
            return None
        seats = self.seats(f"orgs/{org}") or []
        month_ago = (self.today - timedelta(days=30)).isoformat()
        total = len(seats)
        active = sum(1 for s in seats if (s["last_activity_at"] or "") >= month_ago)
        return {
            "seat_breakdown": {
                "total": total,
                "added_this_cycle": sum(1 for s in seats if s["created_at"] >= month_ago),
                "pending_cancellation": sum(1 for s in seats if s["pending_cancellation_date"]),
                "pending_invitation": 0,
                "active_this_cycle": active,
                "inactive_this_cycle": total - active,
            },
            "plan_type": found.plan,
            "seat_management_setting": "assign_selected",
            "ide_chat": "enabled",
            "platform_chat": "enabled",
            "cli": "enabled",
            "public_code_suggestions": "block",
        }

    # --- the bill (exporter/fakegithub/billing.py) ---------------------------------------

    def credit_use(self, day: date) -> Iterator[tuple[str, str, str, float]]:
        """(login, org login, model, weight) of each active user's billed AI use on `day`:
        chat, agent and CLI (code completions are not billed), split 70/30 over the user's
        two models. The simulated bill spreads its credits by these weights."""
        bits = self._day(day).bits
        for user in self.users:
            flags = bits[user.index]
            if not flags & 1:
                continue
            weight = user.intensity * (
                (flags >> _CHAT & 1) + 3 * (flags >> _AGENT & 1) + 2 * (flags >> _CLI & 1)
            )
            if weight > 0:
                org = self.orgs[user.org].login
                yield user.login, org, user.models[0], round(weight * 0.7, 4)
                yield user.login, org, user.models[1], round(weight * 0.3, 4)

    def spend(self) -> SpendBook:
        with self._lock:
            if self._spend is None:
                self._spend = simulated_book(self, pool_runs_out_day=self.pool_runs_out_day)
            return self._spend


class _LegacyUser:
    """What one user-day contributes to the legacy shapes: sums plus the keys they touch."""

    __slots__ = (
        "chat",
        "chat_editors",
        "completions",
        "dotcom",
        "editor_models",
        "editors",
        "languages",
        "pr",
    )

    def __init__(self, ud: _UserDay) -> None:
        self.completions: dict[tuple[str, str, str], list[int]] = {}
        self.chat: dict[tuple[str, str], list[int]] = {}
        for ide, feature, language, model, c in ud.atoms:
            if feature == "code_completion":
                mine = self.completions.setdefault((ide, model, language), [0, 0, 0, 0])
                for k, v in enumerate((c[1], c[2], c[3], c[5])):
                    mine[k] += v
            elif feature.startswith("chat_"):
                mine = self.chat.setdefault((ide, model), [0, 0, 0])
                for k, v in enumerate((c[0], c[2], max(0, c[1] - c[2]) // 2)):
                    mine[k] += v
        self.dotcom = ud.dotcom
        self.pr = ud.pr
        # Engaged users count once per key: the distinct keys, computed once per user-day.
        # dict.fromkeys, not sets: set order follows the per-process string hash salt.
        self.languages = tuple(dict.fromkeys(k[2] for k in self.completions))
        self.editors = tuple(dict.fromkeys(k[0] for k in self.completions))
        self.editor_models = tuple(dict.fromkeys((k[0], k[1]) for k in self.completions))
        self.chat_editors = tuple(dict.fromkeys(k[0] for k in self.chat))


class _LegacyAcc:
    """One owner's legacy day: engaged users counted once per key, activity summed."""

    def __init__(self) -> None:
        self.active = 0
        self.engaged = 0
        self.cc_users = 0
        self.cc_lang: dict[str, int] = {}
        self.cc_editor: dict[str, int] = {}
        self.cc_em: dict[tuple[str, str], int] = {}
        self.cc: dict[tuple[str, str, str], list[int]] = {}
        self.chat_users = 0
        self.chat_editor: dict[str, int] = {}
        self.chat: dict[tuple[str, str], list[int]] = {}
        self.dotcom: dict[str, list[int]] = {}
        self.pr: dict[str, list[int]] = {}

    def add(self, u: _LegacyUser) -> None:
        self.active += 1
        if u.completions or u.chat or u.dotcom or u.pr:
            self.engaged += 1
        if u.completions:
            self.cc_users += 1
            for lang in u.languages:
                self.cc_lang[lang] = self.cc_lang.get(lang, 0) + 1
            for ed in u.editors:
                self.cc_editor[ed] = self.cc_editor.get(ed, 0) + 1
            for em in u.editor_models:
                self.cc_em[em] = self.cc_em.get(em, 0) + 1
            for eml, sums in u.completions.items():
                mine = self.cc.setdefault(eml, [0, 0, 0, 0, 0])
                mine[0] += 1
                for k, v in enumerate(sums):
                    mine[k + 1] += v
        if u.chat:
            self.chat_users += 1
            for ed in u.chat_editors:
                self.chat_editor[ed] = self.chat_editor.get(ed, 0) + 1
            for em_key, sums in u.chat.items():
                mine = self.chat.setdefault(em_key, [0, 0, 0, 0])
                mine[0] += 1
                for k, v in enumerate(sums):
                    mine[k + 1] += v
        if u.dotcom:
            model, chats = u.dotcom
            mine = self.dotcom.setdefault(model, [0, 0])
            mine[0] += 1
            mine[1] += chats
        if u.pr:
            repo, summaries = u.pr
            mine = self.pr.setdefault(repo, [0, 0])
            mine[0] += 1
            mine[1] += summaries

    def render(self, day: date) -> dict[str, Any]:
        def model(name: str) -> dict[str, Any]:
            return {"name": name, "is_custom_model": False, "custom_model_training_date": None}

        editors = []
        for editor, engaged in self.cc_editor.items():
            models = []
            for (ed, m), m_engaged in self.cc_em.items():
                if ed != editor:
                    continue
                languages = [
                    {
                        "name": lang,
                        "total_engaged_users": v[0],
                        "total_code_suggestions": v[1],
                        "total_code_acceptances": v[2],
                        "total_code_lines_suggested": v[3],
                        "total_code_lines_accepted": v[4],
                    }
                    for (e2, m2, lang), v in self.cc.items()
                    if e2 == editor and m2 == m
                ]
                models.append(
                    {**model(m), "total_engaged_users": m_engaged, "languages": languages}
                )
            editors.append({"name": editor, "total_engaged_users": engaged, "models": models})
        chat_editors = [
            {
                "name": editor,
                "total_engaged_users": engaged,
                "models": [
                    {
                        **model(m),
                        "total_engaged_users": v[0],
                        "total_chats": v[1],
                        "total_chat_insertion_events": v[2],
                        "total_chat_copy_events": v[3],
                    }
                    for (e2, m), v in self.chat.items()
                    if e2 == editor
                ],
            }
            for editor, engaged in self.chat_editor.items()
        ]
        return {
            "date": day.isoformat(),
            "total_active_users": self.active,
            "total_engaged_users": self.engaged,
            "copilot_ide_code_completions": {
                "total_engaged_users": self.cc_users,
                "languages": [
                    {"name": k, "total_engaged_users": v} for k, v in self.cc_lang.items()
                ],
                "editors": editors,
            },
            "copilot_ide_chat": {"total_engaged_users": self.chat_users, "editors": chat_editors},
            "copilot_dotcom_chat": {
                "total_engaged_users": sum(v[0] for v in self.dotcom.values()),
                "models": [
                    {**model(m), "total_engaged_users": v[0], "total_chats": v[1]}
                    for m, v in self.dotcom.items()
                ],
            },
            "copilot_dotcom_pull_requests": {
                "total_engaged_users": sum(v[0] for v in self.pr.values()),
                "repositories": [
                    {
                        "name": repo,
                        "total_engaged_users": v[0],
                        "models": [
                            {
                                **model("default"),
                                "total_pr_summaries_created": v[1],
                                "total_engaged_users": v[0],
                            }
                        ],
                    }
                    for repo, v in self.pr.items()
                ],
            },
        }
