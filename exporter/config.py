"""Configuration: YAML file plus environment, validated into frozen dataclasses.

Every problem is collected and reported at once with its path (``scopes[2]: ...``), so an
operator fixes a broken file in one pass instead of one error per restart.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from apscheduler.triggers.cron import CronTrigger

from exporter.metrics import all_specs

ScopeType = Literal["enterprise", "enterprise_team", "organization", "team"]
SourceName = Literal["reports", "legacy"]
SOURCES: tuple[SourceName, ...] = ("reports", "legacy")
OwnerRoot = Literal["enterprises", "orgs"]
WILDCARD = "*"
DEFAULT_API_URL = "https://api.github.com"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_API_URL = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")


class ConfigError(Exception):
    """Invalid configuration; ``problems`` holds one line per problem, each with its path."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin = origin
        self.problems = problems
        super().__init__("\n".join(f"{origin}: {p}" for p in problems))


@dataclass(frozen=True)
class Scope:
    """A thing whose Copilot usage is exported: an enterprise, an org, or a team in either."""

    type: ScopeType
    owner: str
    team: str | None = None
    source: SourceName = "reports"

    @property
    def name(self) -> str:
        """The ``scope`` label value: ``ENT``, ``ENT/TEAM``, ``ORG`` or ``ORG/TEAM``."""
        return f"{self.owner}/{self.team}" if self.team else self.owner

    @property
    def owner_root(self) -> OwnerRoot:
        """The first segment of the owner's API paths."""
        return "enterprises" if self.type in ("enterprise", "enterprise_team") else "orgs"

    @property
    def owner_path(self) -> str:
        """``enterprises/ENT`` or ``orgs/ORG``: identifies the owner (not URL-quoted: a key,
        not a request path)."""
        return f"{self.owner_root}/{self.owner}"

    @property
    def owner_template(self) -> str:
        """The owner's API path as an endpoint template: ``/orgs/{org}`` or
        ``/enterprises/{enterprise}``; :attr:`path_params` fills it."""
        return "/enterprises/{enterprise}" if self.owner_root == "enterprises" else "/orgs/{org}"

    @property
    def path_params(self) -> dict[str, str]:
        """The values of the path template parameters (``org``/``enterprise``, ``team_slug``)."""
        params = {"enterprise" if self.owner_root == "enterprises" else "org": self.owner}
        if self.team is not None:
            params["team_slug"] = self.team
        return params

    @property
    def is_team(self) -> bool:
        return self.team is not None

    @property
    def is_wildcard(self) -> bool:
        return self.team == WILDCARD

    def with_team(self, team: str) -> Scope:
        return Scope(self.type, self.owner, team, self.source)


@dataclass(frozen=True)
class AppAuth:
    """GitHub App credentials; the installation is looked up per org when not given."""

    app_id: int
    private_key_file: Path
    installation_id: int | None = None


@dataclass(frozen=True)
class GitHubConfig:
    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    app: AppAuth | None = None
    timeout: float = 30.0
    concurrency: int = 4
    max_retries: int = 4


@dataclass(frozen=True)
class Schedule:
    """When refreshes run: at start, then every ``interval`` seconds or on a cron expression."""

    interval: float = 3600.0
    cron: str | None = None


ALL = None  # every breakdown
# Teams are many: by default they get totals plus editor and feature only.
TEAM_BREAKDOWNS = frozenset({"editor", "feature"})


@dataclass(frozen=True)
class DimensionRule:
    """What to keep of one dimension label (``model``, ``language``, ...)."""

    allow: frozenset[str] | None = None
    deny: frozenset[str] = frozenset()
    top: int | None = None

    def keeps(self, value: str, ranked: frozenset[str] | None) -> bool:
        if value in self.deny or (self.allow is not None and value not in self.allow):
            return False
        return ranked is None or value in ranked


def _default_breakdowns() -> dict[str, frozenset[str] | None]:
    return {
        "enterprise": ALL,
        "organization": ALL,
        "enterprise_team": TEAM_BREAKDOWNS,
        "team": TEAM_BREAKDOWNS,
    }


@dataclass(frozen=True)
class Cardinality:
    """Which breakdowns each scope type exports, per-dimension rules, a series budget."""

    breakdowns: Mapping[str, frozenset[str] | None] = field(default_factory=_default_breakdowns)
    dimensions: Mapping[str, DimensionRule] = field(default_factory=dict)
    max_series: int | None = None


@dataclass(frozen=True)
class Seats:
    """Seat and licence data: cheap, live endpoints on their own (slower) schedule."""

    enabled: bool = True
    interval: float = 6 * 3600.0


@dataclass(frozen=True)
class Config:
    github: GitHubConfig
    scopes: tuple[Scope, ...]
    source: SourceName = "reports"
    refresh: Schedule = Schedule()
    state_file: Path | None = None
    origin: str = "config"
    cardinality: Cardinality = Cardinality()
    seats: Seats = Seats()
    demo: bool = False  # simulated data from the built-in fake GitHub, never real


def parse_duration(value: object) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"1h"``, ``"1d"`` to seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 30s, 15m or 1h, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"expected a duration like 30s, 15m or 1h, got {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_scope_list(text: str) -> list[dict[str, str]]:
    """Parse ``COPILOT_EXPORTER_SCOPES``: ``org:octo org:octo/web enterprise:acme/platform``.

    Items are separated by spaces or commas; ``/`` adds the team slug.
    """
    items: list[dict[str, str]] = []
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        kind, _, rest = item.partition(":")
        owner, _, team = rest.partition("/")
        entry = {kind: owner}
        if team:
            entry["team"] = team
        items.append(entry)
    return items


def scope_from_text(text: str, source: SourceName = "reports") -> Scope:
    """One scope in the ``COPILOT_EXPORTER_SCOPES`` syntax (``org:octo``, ``org:octo/web``,
    ``enterprise:acme``), checked like a config entry; ValueError says what is wrong."""
    entries = parse_scope_list(text)
    if len(entries) != 1:
        raise ValueError(f"{text!r}: expected one scope such as org:octo or enterprise:acme/team")
    problems = _Problems()
    scope = _scope(entries[0], 0, source, problems)
    if scope is None:
        why = "; ".join(line.removeprefix("scopes[0]").lstrip(".: ") for line in problems.lines)
        raise ValueError(
            f"{text!r}: {why} (expected org:ORG, org:ORG/TEAM, enterprise:ENT or "
            "enterprise:ENT/TEAM)"
        )
    return scope


class _Problems:
    """Collects problems with their paths while the raw mapping is walked."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{path}: {message}" if path else message)


def _str(raw: Mapping[str, Any], key: str, path: str, problems: _Problems) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        problems.add(
            f"{path}.{key}" if path else key, f"expected a non-empty string, got {value!r}"
        )
        return None
    return str(value).strip()


def _unknown_keys(
    raw: Mapping[str, Any], allowed: set[str], path: str, problems: _Problems
) -> None:
    for key in raw:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            problems.add(where, f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _scope(
    raw: object, index: int, default_source: SourceName, problems: _Problems
) -> Scope | None:
    path = f"scopes[{index}]"
    if not isinstance(raw, Mapping):
        problems.add(path, "expected a mapping such as {org: octo} or {enterprise: acme, team: x}")
        return None
    _unknown_keys(raw, {"enterprise", "org", "team", "source"}, path, problems)
    enterprise = _str(raw, "enterprise", path, problems)
    org = _str(raw, "org", path, problems)
    team = _str(raw, "team", path, problems)
    source = _source(raw.get("source", default_source), f"{path}.source", problems)
    if enterprise and org:
        problems.add(path, "give either 'enterprise' or 'org', not both")
        return None
    if not enterprise and not org:
        if "team" in raw:
            problems.add(path, "'team' needs 'org' or 'enterprise'")
        else:
            problems.add(path, "needs 'org' or 'enterprise'")
        return None
    if team is not None and team != WILDCARD and "/" in team:
        problems.add(f"{path}.team", f"a team slug has no '/': {team!r}")
        return None
    if enterprise:
        return Scope("enterprise_team" if team else "enterprise", enterprise, team, source)
    assert org is not None
    return Scope("team" if team else "organization", org, team, source)


def _source(value: object, path: str, problems: _Problems) -> SourceName:
    if value == "legacy":
        return "legacy"
    if value != "reports":
        problems.add(path, f"must be one of {', '.join(SOURCES)}, got {value!r}")
    return "reports"


def _github(raw: object, env: Mapping[str, str], problems: _Problems) -> GitHubConfig:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.add("github", "expected a mapping")
        raw = {}
    _unknown_keys(
        raw,
        {"api_url", "token_file", "token", "app", "timeout", "concurrency", "max_retries"},
        "github",
        problems,
    )
    api_url = env.get("GITHUB_API_URL") or _str(raw, "api_url", "github", problems)
    api_url = (api_url or DEFAULT_API_URL).rstrip("/")
    if not _API_URL.match(api_url):
        problems.add(
            "github.api_url",
            f"expected https://api.github.com or https://api.SUBDOMAIN.ghe.com, got {api_url!r}",
        )
    if "token" in raw:
        problems.add(
            "github.token",
            "do not put the token in the config file: set GITHUB_TOKEN or github.token_file",
        )
    token_file_raw = env.get("GITHUB_TOKEN_FILE") or _str(raw, "token_file", "github", problems)
    token_file = Path(token_file_raw) if token_file_raw else None
    token = env.get("GITHUB_TOKEN", "").strip() or None
    if token is None and token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip() or None
            if token is None:
                problems.add("github.token_file", f"{token_file} is empty")
        except OSError as exc:
            problems.add("github.token_file", f"cannot read {token_file}: {exc.strerror}")
    app = _app(raw.get("app"), env, problems)
    timeout = _number(raw, "timeout", "github", 30.0, problems, duration=True)
    concurrency = int(_number(raw, "concurrency", "github", 4, problems, maximum=100))
    retries = int(_number(raw, "max_retries", "github", 4, problems, maximum=20, minimum=0))
    return GitHubConfig(api_url, token, token_file, app, timeout, concurrency, retries)


def _app(raw: object, env: Mapping[str, str], problems: _Problems) -> AppAuth | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.add("github.app", "expected a mapping {app_id, private_key_file, installation_id}")
        return None
    _unknown_keys(raw, {"app_id", "private_key_file", "installation_id"}, "github.app", problems)
    app_id = raw.get("app_id")
    key_file = env.get("GITHUB_APP_PRIVATE_KEY_FILE") or raw.get("private_key_file")
    installation = raw.get("installation_id")
    ok = True
    if not isinstance(app_id, int) or isinstance(app_id, bool):
        problems.add("github.app.app_id", f"expected the numeric App ID, got {app_id!r}")
        ok = False
    if not isinstance(key_file, str) or not key_file:
        problems.add("github.app.private_key_file", "expected the path of the App's PEM key")
        ok = False
    elif not Path(key_file).is_file():
        problems.add("github.app.private_key_file", f"{key_file} does not exist")
        ok = False
    if installation is not None and (
        not isinstance(installation, int) or isinstance(installation, bool)
    ):
        problems.add("github.app.installation_id", f"expected a number, got {installation!r}")
        ok = False
    if not ok:
        return None
    assert isinstance(app_id, int)
    assert isinstance(key_file, str)
    return AppAuth(app_id, Path(key_file), installation)


def _number(
    raw: Mapping[str, Any],
    key: str,
    path: str,
    default: float,
    problems: _Problems,
    *,
    duration: bool = False,
    minimum: float = 1,
    maximum: float | None = None,
) -> float:
    if key not in raw:
        return default
    value = raw[key]
    try:
        number = parse_duration(value) if duration else float(value)
    except (TypeError, ValueError) as exc:
        problems.add(f"{path}.{key}", str(exc) if duration else f"expected a number, got {value!r}")
        return default
    if number < minimum or (maximum is not None and number > maximum):
        bound = f"between {minimum:g} and {maximum:g}" if maximum is not None else f">= {minimum:g}"
        problems.add(f"{path}.{key}", f"must be {bound}, got {value!r}")
        return default
    return number


def _schedule(raw: object, env: Mapping[str, str], problems: _Problems) -> Schedule:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.add("refresh", "expected a mapping {interval: 1h} or {cron: '0 * * * *'}")
        return Schedule()
    raw = dict(raw)
    if env.get("COPILOT_EXPORTER_REFRESH_INTERVAL"):
        raw["interval"] = env["COPILOT_EXPORTER_REFRESH_INTERVAL"]
    if env.get("COPILOT_EXPORTER_REFRESH_CRON"):
        raw["cron"] = env["COPILOT_EXPORTER_REFRESH_CRON"]
    _unknown_keys(raw, {"interval", "cron"}, "refresh", problems)
    if "interval" in raw and "cron" in raw:
        problems.add("refresh", "give either 'interval' or 'cron', not both")
    interval = _number(raw, "interval", "refresh", 3600.0, problems, duration=True, minimum=10)
    cron = raw.get("cron")
    if cron is not None:
        try:
            CronTrigger.from_crontab(str(cron), timezone="UTC")
        except ValueError as exc:
            problems.add("refresh.cron", f"invalid cron expression {cron!r}: {exc}")
            cron = None
    return Schedule(interval, str(cron) if cron is not None else None)


def _seats(raw: object, env: Mapping[str, str], problems: _Problems) -> Seats:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        problems.add("seats", "expected a mapping {enabled: true, interval: 6h}")
        return Seats()
    _unknown_keys(raw, {"enabled", "interval"}, "seats", problems)
    enabled = raw.get("enabled", True)
    if env.get("COPILOT_EXPORTER_SEATS"):
        enabled = env["COPILOT_EXPORTER_SEATS"].lower() not in ("0", "false", "no", "off")
    if not isinstance(enabled, bool):
        problems.add("seats.enabled", f"expected true or false, got {enabled!r}")
        enabled = True
    return Seats(
        enabled, _number(raw, "interval", "seats", 6 * 3600.0, problems, duration=True, minimum=60)
    )


def _cardinality(raw: object, problems: _Problems) -> Cardinality:
    if raw is None:
        return Cardinality()
    if not isinstance(raw, Mapping):
        problems.add("cardinality", "expected a mapping {breakdowns, dimensions, max_series}")
        return Cardinality()
    _unknown_keys(raw, {"breakdowns", "dimensions", "max_series"}, "cardinality", problems)
    known = sorted({s.breakdown for s in all_specs() if s.breakdown})
    dims = sorted({label for s in all_specs() if s.breakdown for label in s.labels})
    breakdowns = _default_breakdowns()
    raw_breakdowns = raw.get("breakdowns") or {}
    if not isinstance(raw_breakdowns, Mapping):
        problems.add("cardinality.breakdowns", "expected a mapping of scope type to a list")
        raw_breakdowns = {}
    for scope_type, chosen in raw_breakdowns.items():
        path = f"cardinality.breakdowns.{scope_type}"
        if scope_type not in breakdowns:
            problems.add(path, f"unknown scope type (one of {', '.join(breakdowns)})")
        elif chosen == "all":
            breakdowns[scope_type] = ALL
        elif isinstance(chosen, list):
            unknown = [b for b in chosen if b not in known]
            if unknown:
                problems.add(path, f"unknown breakdowns {unknown} (known: {', '.join(known)})")
            breakdowns[scope_type] = frozenset(str(b) for b in chosen)
        else:
            problems.add(path, "expected 'all' or a list such as [editor, feature] ([] = totals)")
    rules: dict[str, DimensionRule] = {}
    raw_dims = raw.get("dimensions") or {}
    for label, rule in raw_dims.items() if isinstance(raw_dims, Mapping) else []:
        path = f"cardinality.dimensions.{label}"
        if label not in dims:
            problems.add(path, f"unknown dimension (one of {', '.join(dims)})")
            continue
        if not isinstance(rule, Mapping):
            problems.add(path, "expected {allow: [...], deny: [...], top: N}")
            continue
        _unknown_keys(rule, {"allow", "deny", "top"}, path, problems)
        top = rule.get("top")
        if top is not None and (not isinstance(top, int) or isinstance(top, bool) or top < 1):
            problems.add(f"{path}.top", f"expected a whole number >= 1, got {top!r}")
            top = None
        allow = rule.get("allow")
        rules[label] = DimensionRule(
            frozenset(str(v) for v in allow) if isinstance(allow, list) else None,
            frozenset(str(v) for v in rule.get("deny") or []),
            top,
        )
    max_series = raw.get("max_series")
    if max_series is not None and (not isinstance(max_series, int) or max_series < 1):
        problems.add("cardinality.max_series", f"expected a whole number, got {max_series!r}")
        max_series = None
    return Cardinality(breakdowns, rules, max_series)


def build(raw: object, env: Mapping[str, str], origin: str = "config") -> Config:
    """Validate a parsed YAML document (plus environment) into a :class:`Config`."""
    problems = _Problems()
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(origin, ["the top level must be a mapping (github:, source:, scopes:)"])
    _unknown_keys(
        raw,
        {"github", "source", "scopes", "refresh", "state_file", "cardinality", "seats"},
        "",
        problems,
    )
    source = _source(
        env.get("COPILOT_EXPORTER_SOURCE") or raw.get("source", "reports"), "source", problems
    )
    github = _github(raw.get("github"), env, problems)
    raw_scopes: object = raw.get("scopes")
    if env.get("COPILOT_EXPORTER_SCOPES"):
        raw_scopes = parse_scope_list(env["COPILOT_EXPORTER_SCOPES"])
    scopes: list[Scope] = []
    if raw_scopes is None or raw_scopes == []:
        problems.add(
            "scopes", "no scopes configured: add at least one, e.g. scopes: [{org: my-org}]"
        )
    elif not isinstance(raw_scopes, list):
        problems.add("scopes", "expected a list of scopes")
    else:
        seen: dict[Scope, int] = {}
        for index, item in enumerate(raw_scopes):
            scope = _scope(item, index, source, problems)
            if scope is None:
                continue
            key = Scope(scope.type, scope.owner.lower(), scope.team and scope.team.lower())
            if key in seen:
                problems.add(f"scopes[{index}]", f"duplicates scopes[{seen[key]}]")
                continue
            seen[key] = index
            scopes.append(scope)
    refresh = _schedule(raw.get("refresh"), env, problems)
    state_raw = env.get("COPILOT_EXPORTER_STATE_FILE") or raw.get("state_file")
    state_file = Path(str(state_raw)) if state_raw else None
    if state_file is not None and not state_file.parent.is_dir():
        problems.add("state_file", f"directory {state_file.parent} does not exist")
    cardinality = _cardinality(raw.get("cardinality"), problems)
    seats = _seats(raw.get("seats"), env, problems)
    if problems.lines:
        raise ConfigError(origin, problems.lines)
    return Config(github, tuple(scopes), source, refresh, state_file, origin, cardinality, seats)


def load(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file (``None``: environment only)."""
    env = os.environ if env is None else env
    if path is None:
        return build({}, env, "environment")
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(origin, [f"cannot read the file: {exc.strerror}"]) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", exc)
        raise ConfigError(origin, [f"{where}invalid YAML: {problem}"]) from None
    return build(raw, env, origin)
