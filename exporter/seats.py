"""The seats source: the Copilot licences an organization or enterprise holds now, and how
recently, with which editor and through which team each one was used.

Per entity scope and seats refresh (its own schedule, 6 h by default; team scopes have no
seats of their own and are never passed here):

- organization: ``GET /orgs/{org}/copilot/billing`` (seat total and its parts, plan and
  policies), then the seat list ``GET /orgs/{org}/copilot/billing/seats``;
- enterprise: the seat list ``GET /enterprises/{enterprise}/copilot/billing/seats`` only.
  GitHub has no enterprise billing summary, so the total is counted from the list.

Seat lists are read with ``per_page=100`` to the last ``Link: rel="next"``. Nothing is
cached: the endpoints are live, cheap, and a seat count must not be stale.

Counting rules (the metric table's help texts say the same to users):

- One user, one seat. GitHub's enterprise list holds one entry per organization or
  enterprise team granting a user access, while its ``total_seats`` counts that user once.
  Entries are merged by assignee id (login when there is none): the entry with the most
  recent activity represents the user, and the earliest ``created_at`` dates the user's
  seat. Organization lists are merged the same way, which only matters when the list
  shifted between two page requests. The enterprise total is the merged count rather than
  ``total_seats`` itself, so the breakdowns always add up to it exactly.
- ``last_activity_at`` is null both for a seat idle more than 90 days and for one never
  used. A seat granted at most 90 days ago cannot have been idle that long, so null means
  ``never``; older (or undated) seats go to ``over_90d``, where "never used" and "idle" are
  indistinguishable.
- ``last_authenticated_at`` (newer answers) goes into the same buckets; null means no
  authentication on record (``never``). When no seat carries the field at all the metric
  is left out rather than reporting every seat as ``never``. A seat's ``plan_type`` (which
  may now be ``unknown``) is not read: plans come from the billing answer.

Example output::

    github_copilot_seats{scope="octo",scope_type="organization"} 3.0
    github_copilot_seats_by_last_activity{last_activity="1-7d",scope="octo",\
scope_type="organization"} 2.0
    github_copilot_seats_by_editor{editor="vscode",scope="octo",scope_type="organization"} 2.0
    github_copilot_seats_by_assigning_team{scope="octo",scope_type="organization",\
team="web"} 1.0
    github_copilot_seats_by_plan{plan="business",scope="octo",scope_type="organization"} 3.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from exporter import metrics as m
from exporter.aggregate import Labels, Values, label, number
from exporter.config import OwnerRoot, Scope
from exporter.github import ApiError, GitHubClient, api_path
from exporter.source import Clock, Outcome, Reason, ScopeFailure, ScopeResult, per_owner, utc_now

PER_PAGE = "100"  # the API's maximum
BILLING_ENDPOINT = "/orgs/{org}/copilot/billing"
SEATS_ENDPOINTS: Mapping[OwnerRoot, str] = {
    "orgs": "/orgs/{org}/copilot/billing/seats",
    "enterprises": "/enterprises/{enterprise}/copilot/billing/seats",
}
_DAY = timedelta(days=1)
LAST_AUTHENTICATED = "last_authenticated_at"  # since 2026 (API.md section 5); may be null
#: Every ``last_activity`` label value, in order; all are exported, zeros too, so a panel or
#: alert on one bucket never sees the series vanish.
ACTIVITY_VALUES: tuple[str, ...] = (
    *(value for value, _ in m.LAST_ACTIVITY_BUCKETS),
    m.OVER_90D,
    m.NEVER,
)

# What a token needs to read seats (GitHub's REST docs), named in failure messages.
PERMISSIONS: Mapping[OwnerRoot, str] = {
    "orgs": "a classic PAT needs manage_billing:copilot or read:org; a fine-grained PAT or "
    "GitHub App needs the 'GitHub Copilot Business' or 'Administration' organization "
    "permission (read)",
    "enterprises": "a classic PAT needs manage_billing:copilot or read:enterprise; an "
    "enterprise GitHub App needs 'Enterprise Copilot license management' "
    "(fine-grained PATs cannot read enterprise seats)",
}
# Client failure reason -> (scope failure reason, why). Own reasons, so the advice is about
# seats and not the usage-metrics policy, which seats do not depend on.
_FAILURES: Mapping[Reason, tuple[Reason, str]] = {
    "forbidden": ("seats_forbidden", "the token may not read the Copilot seats of {owner}"),
    "not_found": (
        "seats_not_found",
        "{owner} has no Copilot Business or Enterprise subscription, or the token may not see it",
    ),
}


# --- parsing one seat ---------------------------------------------------------------------


def parse_time(raw: object) -> datetime | None:
    """An ISO 8601 timestamp (``Z`` or an offset; naive means UTC); anything else is None."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def editor_name(raw: object) -> str:
    """``vscode/1.95.0/copilot/1.250.0`` -> ``vscode``: the editor without versions, which
    would make one series per release. Absent -> ``none``; ``/1.2`` -> ``unknown``."""
    text = label(raw)
    if not text:
        return m.NO_EDITOR
    return text.split("/", 1)[0].strip() or m.ODD_EDITOR


def team_name(seat: Mapping[str, Any], *, enterprise: bool) -> str | None:
    """The assigning team's label value; None for a seat assigned to its user directly.

    In an enterprise list an organization's team is ``ORG/SLUG`` (like the ``scope`` label
    of team scopes): two organizations' ``web`` teams are different teams.
    """
    team = seat.get("assigning_team")
    if not isinstance(team, Mapping):
        return None
    name = label(team.get("slug")) or label(team.get("name")) or label(team.get("id"))
    if not name:
        return None
    org = seat.get("organization")
    login = label(org.get("login")) if enterprise and isinstance(org, Mapping) else None
    return f"{login}/{name}" if login else name


def _assignee_key(seat: Mapping[str, Any], index: int) -> object:
    assignee = seat.get("assignee")
    if isinstance(assignee, Mapping):
        ident = assignee.get("id")
        if isinstance(ident, int | str) and not isinstance(ident, bool):
            return ("id", ident)
        login = label(assignee.get("login"))
        if login:
            return ("login", login)
    return ("entry", index)  # cannot tell who it is: counted on its own


# A user with seats of several plans counts under the highest (GitHub bills one seat per user).
_PLAN_RANK = {"enterprise": 2, "business": 1}


def plan_name(raw: object) -> str:
    """The ``plan`` label value of a ``plan_type``: as GitHub sends it, lower case."""
    return (label(raw) or m.UNKNOWN_PLAN).lower()


@dataclass(frozen=True)
class Seat:
    """One user's seat as counted: the fields the metrics need, parsed.

    ``authenticated`` is False when GitHub sent no ``last_authenticated_at`` field at all
    (older answers), which is not the same as a null one (no authentication on record).
    """

    created: datetime | None
    last_activity: datetime | None
    editor: str
    team: str | None
    last_authenticated: datetime | None = None
    authenticated: bool = False
    plan: str = m.UNKNOWN_PLAN

    def merged(self, other: Seat) -> Seat:
        """The same user's seat seen twice: the most recent activity wins (ties: the one
        seen first), the earliest grant dates it, the latest authentication (a user's,
        whichever seat recorded it) is the user's and the highest plan prices it."""
        newer = other if _activity_order(other) > _activity_order(self) else self
        dates = [d for d in (self.created, other.created) if d is not None]
        logins = [d for d in (self.last_authenticated, other.last_authenticated) if d is not None]
        plan = max(
            (self.plan, other.plan), key=lambda p: (_PLAN_RANK.get(p, 0), p != m.UNKNOWN_PLAN)
        )
        return Seat(
            min(dates) if dates else None,
            newer.last_activity,
            newer.editor,
            newer.team,
            max(logins) if logins else None,
            self.authenticated or other.authenticated,
            plan,
        )


def _activity_order(seat: Seat) -> tuple[bool, datetime]:
    return (seat.last_activity is not None, seat.last_activity or datetime.min.replace(tzinfo=UTC))


def parse_seat(raw: Mapping[str, Any], *, enterprise: bool) -> Seat:
    return Seat(
        parse_time(raw.get("created_at")),
        parse_time(raw.get("last_activity_at")),
        editor_name(raw.get("last_activity_editor")),
        team_name(raw, enterprise=enterprise),
        parse_time(raw.get(LAST_AUTHENTICATED)),
        LAST_AUTHENTICATED in raw,
        plan_name(raw.get("plan_type")),
    )


def merge_seats(raw_seats: Iterable[Mapping[str, Any]], *, enterprise: bool) -> list[Seat]:
    """One :class:`Seat` per user (see the module docstring), in first-seen order."""
    by_user: dict[object, Seat] = {}
    for index, raw in enumerate(raw_seats):
        key = _assignee_key(raw, index)
        seat = parse_seat(raw, enterprise=enterprise)
        seen = by_user.get(key)
        by_user[key] = seat if seen is None else seen.merged(seat)
    return list(by_user.values())


def age_bucket(moment: datetime, now: datetime) -> str:
    """The bucket of a past moment (upper-inclusive bounds; the future is the first)."""
    age = now - moment
    for value, days in m.LAST_ACTIVITY_BUCKETS:
        if age <= days * _DAY:
            return value
    return m.OVER_90D


def authentication_bucket(seat: Seat, now: datetime) -> str:
    """The ``last_authentication`` label value: the activity buckets, ``never`` for null
    (GitHub blanks no authentication after idle days, so there is no ``over_90d`` guess)."""
    if seat.last_authenticated is None:
        return m.NEVER
    return age_bucket(seat.last_authenticated, now)


def activity_bucket(seat: Seat, now: datetime) -> str:
    """The ``last_activity`` label value of a seat (buckets in ``metrics``; bounds are
    upper-inclusive, so a seat used exactly 7 days ago is ``1-7d``)."""
    if seat.last_activity is None:
        young = seat.created is not None and now - seat.created <= m.IDLE_DAYS * _DAY
        return m.NEVER if young else m.OVER_90D
    return age_bucket(seat.last_activity, now)


# --- values -------------------------------------------------------------------------------


def _count(values: Values, name: str, labels: Labels) -> None:
    samples = values.setdefault(name, {})
    samples[labels] = samples.get(labels, 0.0) + 1.0


def seat_values(seats: list[Seat], now: datetime, *, enterprise: bool) -> Values:
    """The seat-list metrics; the enterprise total too (organizations take it from billing)."""
    values: Values = {
        m.SEATS_BY_LAST_ACTIVITY: {(bucket,): 0.0 for bucket in ACTIVITY_VALUES},
        m.SEATS_BY_EDITOR: {},
        m.SEATS_BY_ASSIGNING_TEAM: {},
        m.SEATS_ASSIGNED_DIRECTLY: {(): 0.0},
    }
    for seat in seats:
        _count(values, m.SEATS_BY_LAST_ACTIVITY, (activity_bucket(seat, now),))
        _count(values, m.SEATS_BY_EDITOR, (seat.editor,))
        if seat.team is None:
            _count(values, m.SEATS_ASSIGNED_DIRECTLY, ())
        else:
            _count(values, m.SEATS_BY_ASSIGNING_TEAM, (seat.team,))
    if any(seat.authenticated for seat in seats):
        logins: dict[Labels, float] = {(bucket,): 0.0 for bucket in ACTIVITY_VALUES}
        for seat in seats:
            logins[(authentication_bucket(seat, now),)] += 1.0
        values[m.SEATS_BY_LAST_AUTHENTICATION] = logins
    if enterprise:
        values[m.SEATS_METRIC] = {(): float(len(seats))}
        values[m.SEATS_BY_PLAN] = {}
        for seat in seats:
            _count(values, m.SEATS_BY_PLAN, (seat.plan,))
    return values


def billing_values(body: Mapping[str, Any]) -> Values:
    """Seat total, its parts and the settings of ``/orgs/{org}/copilot/billing``; a missing
    or non-numeric part gives no sample (the API adds and drops fields over time)."""
    values: Values = {}
    breakdown = body.get("seat_breakdown")
    if isinstance(breakdown, Mapping):
        fields = (
            ("total", m.SEATS_METRIC),
            *((field, m.PREFIX + metric) for field, metric, _ in m.SEAT_BREAKDOWN),
        )
        for field, metric in fields:
            value = number(breakdown.get(field))
            if value is not None:
                values[metric] = {(): value}
    settings = tuple(label(body.get(field)) or "" for field in m.BILLING_SETTINGS)
    values[m.BILLING_INFO] = {settings: 1.0}
    if m.SEATS_METRIC in values:  # the organization's seats are all of its one plan
        values[m.SEATS_BY_PLAN] = {(plan_name(body.get("plan_type")),): values[m.SEATS_METRIC][()]}
    return values


# --- fetching -----------------------------------------------------------------------------


def failure(scope: Scope, exc: ApiError) -> ScopeFailure:
    """A client error as a scope failure whose message says what the token needs."""
    path = api_path(exc.endpoint, **scope.path_params) if exc.endpoint else scope.owner_path
    known = _FAILURES.get(exc.reason)
    if known is None or exc.status is None:
        return ScopeFailure(exc.reason, str(exc))
    reason, why = known
    return ScopeFailure(
        reason,
        f"{path} answered {exc.status} because {why.format(owner=scope.owner_words)} "
        f"({PERMISSIONS[scope.owner_root]})",
    )


class SeatsSource:
    """Fetches seat data of enterprise and organization scopes; one instance per exporter."""

    def __init__(self, client: GitHubClient, clock: Clock = utc_now) -> None:
        self._client = client
        self._clock = clock

    async def refresh(self, scopes: Sequence[Scope]) -> dict[Scope, Outcome]:
        """Outcome per scope; every scope is asked at once (the client bounds concurrency)."""
        now = self._clock()
        return await per_owner(scopes, lambda scope: self._scope(scope, now), "no seats")

    async def _scope(self, scope: Scope, now: datetime) -> Outcome:
        enterprise = scope.type == "enterprise"
        try:
            values = {} if enterprise else billing_values(await self._billing(scope))
            raw_seats = await self._seat_list(scope)
        except ApiError as exc:
            return failure(scope, exc)
        seats = merge_seats(raw_seats, enterprise=enterprise)
        values.update(seat_values(seats, now, enterprise=enterprise))
        return ScopeResult(values, None)

    async def _billing(self, scope: Scope) -> Mapping[str, Any]:
        path = api_path(BILLING_ENDPOINT, **scope.path_params)
        response = await self._client.get(BILLING_ENDPOINT, path)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping):
            raise self._client.invalid_answer(
                BILLING_ENDPOINT,
                f"{BILLING_ENDPOINT}: answer is not a JSON object",
                response.status,
            )
        return body

    async def _seat_list(self, scope: Scope) -> list[Mapping[str, Any]]:
        """Every seat object of every page; an answer without a ``seats`` array raises."""
        template = SEATS_ENDPOINTS[scope.owner_root]
        path = api_path(template, **scope.path_params)
        seats: list[Mapping[str, Any]] = []
        async for response in self._client.paginate(template, path, {"per_page": PER_PAGE}):
            try:
                body = response.json()
            except ValueError:
                body = None
            page = body.get("seats") if isinstance(body, Mapping) else None
            if not isinstance(page, list):
                raise self._client.invalid_answer(
                    template,
                    f"{template}: answer is not an object with a seats array",
                    response.status,
                )
            seats.extend(seat for seat in page if isinstance(seat, Mapping))
        return seats
