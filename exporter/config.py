"""Configuration: YAML file plus environment, validated into frozen dataclasses.

Every key is declared once in :data:`SETTINGS` (reader, default, environment variable,
help); the README's configuration reference is generated from that table (``make docs``).
Every problem is collected and reported at once with its path (``scopes[2]: ...``), so an
operator fixes a broken file in one pass instead of one error per restart. The readers and
their strictness live in :mod:`exporter.settings`, shared with the web config.

Adding a section is a few lines: its settings in :data:`SETTINGS`, its frozen dataclass
(defaults taken from the settings), a field in :class:`Config` and one ``_section``-style
function that reads it in :func:`build`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from apscheduler.triggers.cron import CronTrigger

from exporter.metrics import all_specs
from exporter.settings import (
    ANY,
    FILE_PATH,
    FLAG,
    NAME,
    STRINGS,
    Invalid,
    Problems,
    Reader,
    Section,
    Setting,
    choice,
    duration,
    join,
    load_yaml,
    mapping,
    number,
    read_text,
    shown,
    size,
    text,
    unknown_keys,
    whole,
)
from exporter.settings import ConfigError as ConfigError
from exporter.settings import parse_duration as parse_duration

ScopeType = Literal["enterprise", "enterprise_team", "organization", "team"]
SourceName = Literal["reports", "legacy"]
SOURCES: tuple[SourceName, ...] = ("reports", "legacy")
OwnerRoot = Literal["enterprises", "orgs"]
WILDCARD = "*"
DEFAULT_API_URL = "https://api.github.com"
_API_URL = re.compile(r"https?://[^\s/]+(/[^\s]*)?")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # one line of printable ASCII: it goes into a header


@dataclass(frozen=True)
class Scope:
    """A thing whose Copilot usage is exported: an enterprise, an org, or a team in either."""

    type: ScopeType
    owner: str
    team: str | None = None
    source: SourceName = "reports"
    # repos-1-day for an org or enterprise (None: off); what to keep of its repositories.
    # Not part of the scope's identity: a scope is the same scope with or without it.
    repositories: DimensionRule | None = field(default=None, compare=False)

    @cached_property
    def name(self) -> str:
        """The ``scope`` label value: ``ENT``, ``ENT/TEAM``, ``ORG`` or ``ORG/TEAM``."""
        return f"{self.owner}/{self.team}" if self.team else self.owner

    @cached_property
    def labels(self) -> tuple[str, str]:
        """``(scope_type, scope)``: the labels of every status sample of the scope."""
        return (self.type, self.name)

    @cached_property
    def _hash(self) -> int:
        return hash((self.type, self.owner, self.team, self.source))

    def __hash__(self) -> int:
        # Scopes key the per-refresh dicts of thousands of teams: hashed once, not per lookup.
        return self._hash

    @property
    def owner_root(self) -> OwnerRoot:
        """The first segment of the owner's API paths."""
        return "enterprises" if self.type in ("enterprise", "enterprise_team") else "orgs"

    @property
    def owner_words(self) -> str:
        """The owner as a sentence names it: ``organization 'octo'``, ``enterprise 'acme'``."""
        kind = "enterprise" if self.owner_root == "enterprises" else "organization"
        return f"{kind} '{self.owner}'"

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

    @property
    def dimensions(self) -> Mapping[str, DimensionRule]:
        """The scope's own dimension rules, which win over ``cardinality.dimensions``: its
        ``repositories:`` allow/deny/top, when it gives any."""
        rule = self.repositories
        return {} if rule is None or rule == DimensionRule() else {"repository": rule}


_CRON_LINE = text("a crontab line such as '15 * * * *'")


def _crontab(value: object) -> str:
    line = _CRON_LINE.check(value)
    try:
        CronTrigger.from_crontab(line, timezone="UTC")
    except (ValueError, TypeError, LookupError) as exc:
        raise Invalid(f"invalid cron expression {line!r}: {exc}") from None
    return line


def _token(value: object) -> str:
    # The value is never shown: a mistyped token is still mostly a token.
    if not isinstance(value, str) or not _TOKEN.fullmatch(value.strip()):
        raise Invalid("expected a GitHub token: one line of printable ASCII (value not shown)")
    return value.strip()


def _scope_list(text: str) -> object:
    return parse_scope_list(text)


ALL = None  # every breakdown
# The 50,000-developer benchmark estate makes ~157k series with the default breakdowns
# (README, "How many series"): the default budget leaves it whole, with headroom.
DEFAULT_MAX_SERIES = 250_000
# Teams are many: by default they get totals plus editor and feature only.
TEAM_BREAKDOWNS = frozenset({"editor", "feature"})

# Every key of the file, once. Order is the README's.
SETTINGS: tuple[Setting[Any], ...] = (
    API_URL := Setting(
        "github.api_url",
        text("https://api.github.com or https://api.SUBDOMAIN.ghe.com", _API_URL),
        DEFAULT_API_URL,
        "API base URL; `https://api.SUBDOMAIN.ghe.com` for GHE.com",
        env="GITHUB_API_URL",
    ),
    TOKEN := Setting[str | None](
        "github.token",
        Reader(_token),
        None,
        "the token; never put it in the file",
        env="GITHUB_TOKEN",
        refused="do not put the token in the config file: set GITHUB_TOKEN or github.token_file",
    ),
    TOKEN_FILE := Setting[Path | None](
        "github.token_file",
        FILE_PATH,
        None,
        "file holding the token (Docker/Kubernetes secret)",
        env="GITHUB_TOKEN_FILE",
    ),
    BILLING_TOKEN := Setting[str | None](
        "github.billing_token",
        Reader(_token),
        None,
        "a second token for the billing endpoints only (enterprise billing takes classic "
        "PATs with `manage_billing:enterprise`, not GitHub Apps); without one they use the "
        "metrics credential",
        env="GITHUB_BILLING_TOKEN",
        refused="do not put the billing token in the config file: set GITHUB_BILLING_TOKEN "
        "or github.billing_token_file",
    ),
    BILLING_TOKEN_FILE := Setting[Path | None](
        "github.billing_token_file",
        FILE_PATH,
        None,
        "file holding the billing token",
        env="GITHUB_BILLING_TOKEN_FILE",
    ),
    APP_ID := Setting[int | None](
        "github.app.app_id",
        whole(),
        None,
        "GitHub App auth instead of a token: the App's numeric ID",
    ),
    APP_KEY_FILE := Setting[Path | None](
        "github.app.private_key_file",
        FILE_PATH,
        None,
        "the App's private key (PEM), needed with `app_id`",
        env="GITHUB_APP_PRIVATE_KEY_FILE",
    ),
    APP_INSTALLATION := Setting[int | None](
        "github.app.installation_id",
        whole(),
        None,
        "the App's installation; looked up per org when omitted",
    ),
    TIMEOUT := Setting("github.timeout", duration(), 30.0, "per-request timeout"),
    CONCURRENCY := Setting(
        "github.concurrency",
        whole(1, 100),
        4,
        "requests in flight at once (GitHub asks for modest concurrency)",
    ),
    MAX_RETRIES := Setting(
        "github.max_retries",
        whole(0, 20),
        4,
        "retries on 5xx and network errors (exponential backoff with jitter)",
    ),
    SOURCE := Setting[SourceName](
        "source",
        choice(*SOURCES),
        "reports",
        "`reports` or `legacy`; a scope's own `source:` wins",
        env="COPILOT_EXPORTER_SOURCE",
    ),
    SCOPES := Setting(
        "scopes",
        Reader(ANY.check, from_env=_scope_list),
        None,
        "list of `{enterprise}`, `{enterprise, team}`, `{org}`, `{org, team}`; "
        "env form: `org:octo org:octo/web enterprise:acme/*`",
        env="COPILOT_EXPORTER_SCOPES",
    ),
    REPOSITORIES := Setting[object](
        "scopes[].repositories",
        ANY,
        None,
        "organization and enterprise scopes: `true` adds per-repository pull request and code "
        "review metrics (repos-1-day: one more report request per owner and day; about 13 "
        "series per active repository, 2 more per comment type and 7 per author/reviewer "
        "pair); or `{allow: [...], deny: [...], top: N}` (wins over "
        "`cardinality.dimensions.repository`): beyond `top` summed into `other`",
        shown="`false`",
    ),
    REFRESH_INTERVAL := Setting(
        "refresh.interval",
        duration(minimum=10),
        3600.0,
        "refresh every interval (≥ 10 s), first one at start",
        env="COPILOT_EXPORTER_REFRESH_INTERVAL",
    ),
    REFRESH_CRON := Setting[str | None](
        "refresh.cron",
        Reader(_crontab),
        None,
        "or a crontab line, UTC",
        env="COPILOT_EXPORTER_REFRESH_CRON",
    ),
    STATE_FILE := Setting[Path | None](
        "state_file",
        FILE_PATH,
        None,
        "keep the last good snapshot across restarts (written atomically after each refresh "
        "and at shutdown; a corrupt file is reported and ignored)",
        env="COPILOT_EXPORTER_STATE_FILE",
    ),
    SEATS_ENABLED := Setting(
        "seats.enabled",
        FLAG,
        True,
        "seat and licence metrics for organization and enterprise scopes",
        env="COPILOT_EXPORTER_SEATS",
    ),
    SEATS_INTERVAL := Setting(
        "seats.interval",
        duration(minimum=60),
        6 * 3600.0,
        "seats have their own schedule (fetched at start, then every interval)",
    ),
    BILLING_ENABLED := Setting(
        "billing.enabled",
        FLAG,
        True,
        "spend metrics (AI credits, the monthly pool, budgets) for organization and "
        "enterprise scopes",
        env="COPILOT_EXPORTER_BILLING",
    ),
    BILLING_INTERVAL := Setting(
        "billing.interval",
        duration(minimum=60),
        3600.0,
        "spend has its own schedule (fetched at start, then every interval; the data is "
        "month to date)",
    ),
    CREDITS_BUSINESS := Setting(
        "billing.business_credits_per_seat",
        number(minimum=0),
        1900.0,
        "AI credits each Copilot Business seat adds to the monthly pool (GitHub changes it)",
    ),
    CREDITS_ENTERPRISE := Setting(
        "billing.enterprise_credits_per_seat",
        number(minimum=0),
        3900.0,
        "AI credits each Copilot Enterprise seat adds to the monthly pool",
    ),
    BUDGETS := Setting(
        "billing.budgets",
        FLAG,
        True,
        "enterprise budgets for AI credits (one request per refresh)",
    ),
    COST_CENTERS := Setting(
        "billing.cost_centers",
        FLAG,
        False,
        "AI credits per enterprise cost center: one request per cost center and refresh "
        "(at most 100 cost centers)",
    ),
    TOP_USERS := Setting(
        "billing.top_users",
        whole(0, 1000),
        0,
        "per-user spend (`user` label) for the N users with the most AI credits on the newest "
        "users-1-day report: N requests per scope and refresh; 0 = no per-user labels",
    ),
    BREAKDOWNS := Setting(
        "cardinality.breakdowns",
        ANY,
        None,
        "per scope type: which `_by_*` breakdowns to export (`all`, or a list; `[]` = totals only)",
        shown="teams: `[editor, feature]`, others: `all`",
    ),
    DIMENSIONS := Setting(
        "cardinality.dimensions",
        ANY,
        None,
        "per label (`model`, `language`, `editor`, `feature`, `repository`, ...): "
        "`{allow: [...], deny: [...], top: N}`; what is cut is summed into `other` (user "
        "counts are dropped instead: they must not be added up)",
    ),
    MAX_SERIES := Setting[int | None](
        "cardinality.max_series",
        whole(),
        DEFAULT_MAX_SERIES,
        "series budget: over it the finest breakdowns are dropped first, "
        "`github_copilot_series_dropped{breakdown}` says how many, and one warning is logged "
        "(the default holds a 50,000-developer estate with the default breakdowns)",
    ),
    MAX_RESPONSE_BYTES := Setting(
        "limits.max_response_bytes",
        size(1 << 10),
        64 << 20,
        "largest API answer read (after decompression); a larger one fails its scope "
        "with reason `too_large`",
    ),
    MAX_DOWNLOAD_BYTES := Setting(
        "limits.max_download_bytes",
        size(1 << 10),
        1 << 30,
        "largest report file read from one download link (after decompression; a "
        "users-1-day file of 200,000 developers is ~360 MB); larger fails with `too_large`",
    ),
    MAX_RECORD_BYTES := Setting(
        "limits.max_record_bytes",
        size(1 << 10),
        16 << 20,
        "largest single record (one JSON value, or one element of a top-level array) in a "
        "report file; GitHub's biggest are a few MB; larger fails with `invalid_response`",
    ),
    DOWNLOAD_DEADLINE := Setting(
        "limits.download_deadline",
        duration(),
        15 * 60.0,
        "total time for one API answer or report download (each read also has "
        "`github.timeout`); slower fails with reason `timeout`",
    ),
    MAX_REFRESH_DURATION := Setting(
        "limits.max_refresh_duration",
        duration(minimum=10),
        30 * 60.0,
        "a refresh still running after this (or after 90% of `refresh.interval`, if "
        "shorter) is cancelled: the scopes of an owner still at work fail with reason "
        "`timeout` and keep their values",
    ),
    HTTP_READ_TIMEOUT := Setting(
        "limits.http_read_timeout",
        duration(minimum=0.1, maximum=3600),
        10.0,
        "the exporter's HTTP server: time a client has to send a whole request (and to "
        "take the answer); an idle keep-alive connection is closed after it too",
    ),
    HTTP_MAX_CONNECTIONS := Setting(
        "limits.http_max_connections",
        whole(2, 100_000),
        256,
        "open connections to the exporter's HTTP server; at the cap, the oldest connection "
        "still sending its request is closed to make room (also kept below the open-file "
        "limit)",
    ),
)


@dataclass(frozen=True)
class AppAuth:
    """GitHub App credentials; the installation is looked up per org when not given."""

    app_id: int
    private_key_file: Path
    installation_id: int | None = None


@dataclass(frozen=True)
class GitHubConfig:
    api_url: str = API_URL.default
    token: str | None = field(default=TOKEN.default, repr=False)
    token_file: Path | None = TOKEN_FILE.default
    app: AppAuth | None = None
    timeout: float = TIMEOUT.default
    concurrency: int = CONCURRENCY.default
    max_retries: int = MAX_RETRIES.default
    billing_token: str | None = field(default=BILLING_TOKEN.default, repr=False)
    billing_token_file: Path | None = BILLING_TOKEN_FILE.default


@dataclass(frozen=True)
class Schedule:
    """When refreshes run: at start, then every ``interval`` seconds or on a cron expression."""

    interval: float = REFRESH_INTERVAL.default
    cron: str | None = REFRESH_CRON.default


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
    max_series: int | None = MAX_SERIES.default


@dataclass(frozen=True)
class Seats:
    """Seat and licence data: cheap, live endpoints on their own (slower) schedule."""

    enabled: bool = SEATS_ENABLED.default
    interval: float = SEATS_INTERVAL.default


@dataclass(frozen=True)
class Billing:
    """Spend (AI credits) on its own schedule; per-user and per-cost-center are opt-in."""

    enabled: bool = BILLING_ENABLED.default
    interval: float = BILLING_INTERVAL.default
    business_credits_per_seat: float = CREDITS_BUSINESS.default
    enterprise_credits_per_seat: float = CREDITS_ENTERPRISE.default
    budgets: bool = BUDGETS.default
    cost_centers: bool = COST_CENTERS.default
    top_users: int = TOP_USERS.default

    @property
    def credits_per_seat(self) -> Mapping[str, float]:
        """AI credits per seat by plan (GitHub's plan_type); other plans add nothing."""
        return {
            "business": self.business_credits_per_seat,
            "enterprise": self.enterprise_credits_per_seat,
        }


@dataclass(frozen=True)
class Limits:
    """Bounds on what one hostile or broken answer, or client, can cost."""

    max_response_bytes: int = MAX_RESPONSE_BYTES.default
    max_download_bytes: int = MAX_DOWNLOAD_BYTES.default
    max_record_bytes: int = MAX_RECORD_BYTES.default
    download_deadline: float = DOWNLOAD_DEADLINE.default
    max_refresh_duration: float = MAX_REFRESH_DURATION.default
    http_read_timeout: float = HTTP_READ_TIMEOUT.default
    http_max_connections: int = HTTP_MAX_CONNECTIONS.default

    def refresh_deadline(self, schedule: Schedule) -> float:
        """Seconds a refresh may run: over before the next run of an interval schedule is
        due (the scheduler skips a run whose predecessor is still going)."""
        if schedule.cron is None:
            return min(self.max_refresh_duration, 0.9 * schedule.interval)
        return self.max_refresh_duration


@dataclass(frozen=True)
class Config:
    github: GitHubConfig
    scopes: tuple[Scope, ...]
    source: SourceName = SOURCE.default
    refresh: Schedule = Schedule()
    state_file: Path | None = STATE_FILE.default
    origin: str = "config"
    cardinality: Cardinality = Cardinality()
    seats: Seats = Seats()
    demo: bool = False  # simulated data from the built-in fake GitHub, never real
    billing: Billing = Billing()
    limits: Limits = Limits()


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
    problems = Problems()
    scope = _scope(entries[0], 0, source, problems)
    if scope is None:
        why = "; ".join(line.removeprefix("scopes[0]").lstrip(".: ") for line in problems.lines)
        raise ValueError(
            f"{text!r}: {why} (expected org:ORG, org:ORG/TEAM, enterprise:ENT or "
            "enterprise:ENT/TEAM)"
        )
    return scope


_SCOPE_KEYS = ("enterprise", "org", "team", "source", REPOSITORIES.name)
_SCOPE_SOURCE = choice(*SOURCES)


def _scope(raw: object, index: int, default_source: SourceName, problems: Problems) -> Scope | None:
    path = f"scopes[{index}]"
    entry = mapping(
        raw, path, problems, "a mapping such as {org: octo} or {enterprise: acme, team: x}"
    )
    if entry is None:
        return None
    unknown_keys(entry, _SCOPE_KEYS, path, problems)
    enterprise = NAME.get(entry, "enterprise", path, problems)
    org = NAME.get(entry, "org", path, problems)
    team = NAME.get(entry, "team", path, problems)
    source = _SCOPE_SOURCE.get(entry, "source", path, problems) or default_source
    if enterprise and org:
        problems.add(path, "give either 'enterprise' or 'org', not both")
        return None
    if not enterprise and not org:
        if "team" in entry:
            problems.add(path, "'team' needs 'org' or 'enterprise'")
        else:
            problems.add(path, "needs 'org' or 'enterprise'")
        return None
    if team is not None and team != WILDCARD and "/" in team:
        problems.add(f"{path}.team", f"a team slug has no '/': {team!r}")
        return None
    repositories = _repositories(entry, path, team, source, problems)
    if enterprise:
        return Scope(
            "enterprise_team" if team else "enterprise", enterprise, team, source, repositories
        )
    assert org is not None
    return Scope("team" if team else "organization", org, team, source, repositories)


def _repositories(
    entry: Mapping[Any, object],
    path: str,
    team: str | None,
    source: SourceName,
    problems: Problems,
) -> DimensionRule | None:
    """A scope's ``repositories:``: false (off), true, or the rule for its repositories."""
    raw = entry.get(REPOSITORIES.name)
    where = join(path, REPOSITORIES.name)
    if raw is None or raw is False:
        return None
    if team is not None:
        problems.add(where, "repositories belong to an org or enterprise scope, not a team")
        return None
    if source != "reports":
        problems.add(where, "repositories come from the reports source: drop it or the source")
        return None
    if raw is True:
        return DimensionRule()
    if not isinstance(raw, Mapping):
        problems.add(
            where,
            f"expected true, false or {{allow: [...], deny: [...], top: N}}, got {shown(raw)}",
        )
        return None
    return _rule(raw, where, problems)


def _scopes(raw: object, default_source: SourceName, problems: Problems) -> tuple[Scope, ...]:
    if raw is None or raw == []:
        problems.add(
            "scopes", "no scopes configured: add at least one, e.g. scopes: [{org: my-org}]"
        )
        return ()
    if not isinstance(raw, list):
        problems.add("scopes", f"expected a list of scopes, got {shown(raw)}")
        return ()
    scopes: list[Scope] = []
    seen: dict[Scope, int] = {}
    for index, item in enumerate(raw):
        scope = _scope(item, index, default_source, problems)
        if scope is None:
            continue
        key = Scope(scope.type, scope.owner.lower(), scope.team and scope.team.lower())
        if key in seen:
            problems.add(f"scopes[{index}]", f"duplicates scopes[{seen[key]}]")
            continue
        seen[key] = index
        scopes.append(scope)
    return tuple(scopes)


def _github(github: Section) -> GitHubConfig:
    token_file = github.get(TOKEN_FILE)
    token = github.get(TOKEN)
    if token is None and token_file is not None:
        token = _token_from(token_file, github.problems)
    billing_file = github.get(BILLING_TOKEN_FILE)
    billing_token = github.get(BILLING_TOKEN)
    if billing_token is None and billing_file is not None:
        billing_token = _token_from(billing_file, github.problems, BILLING_TOKEN_FILE)
    return GitHubConfig(
        github.get(API_URL).rstrip("/"),
        token,
        token_file,
        _app(github),
        github.get(TIMEOUT),
        github.get(CONCURRENCY),
        github.get(MAX_RETRIES),
        billing_token=billing_token,
        billing_token_file=billing_file,
    )


def _token_from(
    path: Path, problems: Problems, setting: Setting[Path | None] = TOKEN_FILE
) -> str | None:
    where = setting.key
    try:
        content = read_text(path).strip()
    except Invalid as exc:
        problems.add(where, str(exc))
        return None
    if not content:
        problems.add(where, f"{path} is empty")
        return None
    return TOKEN.read(content, where, problems)


def _app(github: Section) -> AppAuth | None:
    raw = github.raw.get("app")
    if raw is None:
        return None
    app = github.section("app")
    if not isinstance(raw, Mapping):
        return None  # the section has said what it expected
    app_id = app.need(APP_ID)
    key_file = app.need(APP_KEY_FILE)
    installation = app.get(APP_INSTALLATION)
    if key_file is not None and not key_file.is_file():
        app.problems.add(APP_KEY_FILE.key, f"{key_file} does not exist")
        return None
    if app_id is None or key_file is None:
        return None
    return AppAuth(app_id, key_file, installation)


def _schedule(refresh: Section) -> Schedule:
    if refresh.given(REFRESH_INTERVAL) and refresh.given(REFRESH_CRON):
        refresh.problems.add("refresh", "give either 'interval' or 'cron', not both")
    return Schedule(refresh.get(REFRESH_INTERVAL), refresh.get(REFRESH_CRON))


def _breakdowns(raw: object, problems: Problems) -> dict[str, frozenset[str] | None]:
    breakdowns = _default_breakdowns()
    if raw is None:
        return breakdowns
    expected = "a mapping of scope type to 'all' or a list of breakdowns"
    known = sorted({s.breakdown for s in all_specs() if s.breakdown})
    for scope_type, chosen in (mapping(raw, BREAKDOWNS.key, problems, expected) or {}).items():
        path = join(BREAKDOWNS.key, scope_type)
        if scope_type not in breakdowns:
            problems.add(path, f"unknown scope type (one of {', '.join(breakdowns)})")
        elif chosen == "all":
            breakdowns[scope_type] = ALL
        elif isinstance(chosen, list) and all(isinstance(b, str) for b in chosen):
            unknown = [b for b in chosen if b not in known]
            if unknown:
                problems.add(path, f"unknown breakdowns {unknown} (known: {', '.join(known)})")
            breakdowns[scope_type] = frozenset(chosen)
        else:
            problems.add(
                path,
                "expected 'all' or a list such as [editor, feature] ([] = totals), "
                f"got {shown(chosen)}",
            )
    return breakdowns


def _dimensions(raw: object, problems: Problems) -> dict[str, DimensionRule]:
    rules: dict[str, DimensionRule] = {}
    if raw is None:
        return rules
    expected = "a mapping of label to {allow: [...], deny: [...], top: N}"
    dims = sorted({label for s in all_specs() if s.breakdown for label in s.labels})
    for label, rule_raw in (mapping(raw, DIMENSIONS.key, problems, expected) or {}).items():
        path = join(DIMENSIONS.key, label)
        if label not in dims:
            problems.add(path, f"unknown dimension (one of {', '.join(dims)})")
            continue
        rule = _rule(rule_raw, path, problems)
        if rule is not None:
            rules[label] = rule
    return rules


_TOP = whole()


def _rule(raw: object, path: str, problems: Problems) -> DimensionRule | None:
    rule = mapping(raw, path, problems, "{allow: [...], deny: [...], top: N}")
    if rule is None:
        return None
    unknown_keys(rule, ("allow", "deny", "top"), path, problems)
    allow = STRINGS.get(rule, "allow", path, problems)
    deny = STRINGS.get(rule, "deny", path, problems)
    return DimensionRule(
        None if allow is None else frozenset(allow),
        frozenset(deny or ()),
        _TOP.get(rule, "top", path, problems),
    )


def _cardinality(card: Section) -> Cardinality:
    return Cardinality(
        _breakdowns(card.get(BREAKDOWNS), card.problems),
        _dimensions(card.get(DIMENSIONS), card.problems),
        card.get(MAX_SERIES),
    )


def _seats(seats: Section) -> Seats:
    return Seats(seats.get(SEATS_ENABLED), seats.get(SEATS_INTERVAL))


def _billing(billing: Section) -> Billing:
    return Billing(
        billing.get(BILLING_ENABLED),
        billing.get(BILLING_INTERVAL),
        billing.get(CREDITS_BUSINESS),
        billing.get(CREDITS_ENTERPRISE),
        billing.get(BUDGETS),
        billing.get(COST_CENTERS),
        billing.get(TOP_USERS),
    )


def _limits(limits: Section) -> Limits:
    return Limits(
        limits.get(MAX_RESPONSE_BYTES),
        limits.get(MAX_DOWNLOAD_BYTES),
        limits.get(MAX_RECORD_BYTES),
        limits.get(DOWNLOAD_DEADLINE),
        limits.get(MAX_REFRESH_DURATION),
        limits.get(HTTP_READ_TIMEOUT),
        limits.get(HTTP_MAX_CONNECTIONS),
    )


def build(raw: object, env: Mapping[str, str], origin: str = "config") -> Config:
    """Validate a parsed YAML document (plus environment) into a :class:`Config`; every
    problem at once in a :class:`ConfigError`."""
    if raw is not None and not isinstance(raw, Mapping):
        raise ConfigError(origin, ["the top level must be a mapping (github:, source:, scopes:)"])
    problems = Problems()
    root = Section(raw, "", SETTINGS, problems, env)
    source = root.get(SOURCE)
    github = _github(root.section("github"))
    scopes = _scopes(root.get(SCOPES), source, problems)
    refresh = _schedule(root.section("refresh"))
    state_file = root.get(STATE_FILE)
    if state_file is not None and not state_file.parent.is_dir():
        problems.add(STATE_FILE.key, f"directory {state_file.parent} does not exist")
    cardinality = _cardinality(root.section("cardinality"))
    seats = _seats(root.section("seats"))
    billing = _billing(root.section("billing"))
    limits = _limits(root.section("limits"))
    problems.check(origin)
    return Config(
        github,
        scopes,
        source,
        refresh,
        state_file,
        origin,
        cardinality,
        seats,
        billing=billing,
        limits=limits,
    )


def load(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the config file (``None``: environment only)."""
    env = os.environ if env is None else env
    if path is None:
        return build({}, env, "environment")
    return build(load_yaml(path), env, str(path))
