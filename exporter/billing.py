"""The billing source: what Copilot costs, month to date, per billing entity.

Since June 2026 GitHub bills Copilot in AI credits (USD 0.01 each) drawn from a monthly pool
of included credits per enterprise (or organization billed on its own), with overage beyond
it. Per enterprise or organization scope and billing refresh (its own schedule, hourly by
default; team scopes have no bill and are never passed here):

- ``GET /enterprises/{enterprise}/settings/billing/ai_credit/usage?year=&month=`` (for an
  organization ``/organizations/{org}/...``) for the current UTC month: ``usageItems`` summed
  by (model, SKU) into credits used (gross), covered by the pool (included) and billed
  (net), each in credits and in US dollars;
- enterprises, with ``billing.budgets``: the AI-credit budgets
  (``/enterprises/{enterprise}/settings/billing/budgets``);
- enterprises, with ``billing.cost_centers``: the active cost centers, then one usage request
  per cost center (``cost_center_id=``);
- with ``billing.top_users`` N: the N users with the most ``ai_credits_used`` on the newest
  users-1-day report (read with the metrics credential, once per report day), then one usage
  request per user (``user=``). 200,000 developers cost the same N requests an hour as 200.

A 403 or 404 of the usage endpoint fails the scope (``github_copilot_billing_up`` 0, its own
reason and advice) and never touches the usage metrics. The optional parts (budgets, cost
centers, users) leave their series out when they fail and log it once; a 403 on ``user=``
(organization admins of an enterprise-owned organization may not filter by user) stops the
per-user requests of that scope until a restart.

The pool is no API answer: seats by plan (the seats part) times the configured credits per
seat, recomputed by :func:`with_pools` whenever the seats or the billing part changes.

Example output::

    github_copilot_ai_credits{model="Claude Sonnet 4.5",scope="acme",scope_type="enterprise",\
sku="Copilot AI Credits"} 81234.5
    github_copilot_ai_credits_billed_usd{model="Claude Sonnet 4.5",scope="acme",\
scope_type="enterprise",sku="Copilot AI Credits"} 12.3
    github_copilot_ai_credits_pool{scope="acme",scope_type="enterprise"} 1.5e+06
    github_copilot_billing_month_start_timestamp_seconds{scope="acme",scope_type="enterprise"} \
1.7826e+09
"""

from __future__ import annotations

import asyncio
import logging
import math
from calendar import timegm
from collections.abc import Awaitable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from exporter import metrics as m
from exporter.aggregate import Labels, Values, label, number
from exporter.clients import make_client, static_token
from exporter.config import Billing, Config, OwnerRoot, Scope
from exporter.github import ApiError, ApiStats, GitHubClient, Response, api_path, next_link
from exporter.logs import register_secret
from exporter.parse import ReportParseError
from exporter.snapshot import Snapshot
from exporter.source import Clock, Outcome, Reason, ScopeFailure, ScopeResult, per_owner, utc_now

log = logging.getLogger(__name__)

USAGE_ENDPOINTS: Mapping[OwnerRoot, str] = {
    "orgs": "/organizations/{org}/settings/billing/ai_credit/usage",
    "enterprises": "/enterprises/{enterprise}/settings/billing/ai_credit/usage",
}
#: Before June 2026 the same answers lived here, in premium requests (history only).
PREMIUM_ENDPOINTS: Mapping[OwnerRoot, str] = {
    "orgs": "/organizations/{org}/settings/billing/premium_request/usage",
    "enterprises": "/enterprises/{enterprise}/settings/billing/premium_request/usage",
}
BUDGETS_ENDPOINT = "/enterprises/{enterprise}/settings/billing/budgets"
COST_CENTERS_ENDPOINT = "/enterprises/{enterprise}/settings/billing/cost-centers"
AI_CREDITS_SINCE = date(2026, 6, 1)
"""The first day billed in AI credits; earlier days are premium requests."""
PREMIUM_REQUEST_SKU = "Copilot Premium Request"
NO_MODEL = "none"  # a usage item without a model
NO_SKU = "none"
MAX_COST_CENTERS = 100
_MAX_PAGES = 100
_PER_PAGE = "100"

# What a credential needs to read spend (API.md section 6), named in failure messages.
PERMISSIONS: Mapping[OwnerRoot, str] = {
    "orgs": "the organization endpoint takes a classic PAT of an organization owner or "
    "billing manager, or a fine-grained PAT / GitHub App with the 'Administration' "
    "organization permission (read)",
    "enterprises": "enterprise billing takes classic PATs only, with manage_billing:enterprise, "
    "of an enterprise owner or billing manager (not fine-grained PATs, not GitHub Apps)",
}
# Client failure reason -> (scope failure reason, why); own reasons, so the advice is about
# billing and not about the usage-metrics policy.
_FAILURES: Mapping[Reason, tuple[Reason, str]] = {
    "forbidden": ("billing_forbidden", "the billing credential may not read the spend of {owner}"),
    "not_found": ("billing_not_found", "{owner} has no bill of its own, or the name is wrong"),
}


# --- the month ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """A UTC calendar month: what month-to-date values describe."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime | date) -> Month:
        return cls(moment.year, moment.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def start(self) -> float:
        """00:00 UTC on the 1st, as Unix seconds."""
        return float(timegm(self.first.timetuple()))

    def query(self, day: date | None = None) -> dict[str, str]:
        """The ``year``, ``month`` (and ``day``) query parameters."""
        params = {"year": str(self.year), "month": str(self.month)}
        if day is not None:
            params["day"] = str(day.day)
        return params

    def days_until(self, day: date) -> list[date]:
        """The month's days from the 1st to ``day`` (a day of this month), in order."""
        return [self.first + timedelta(days=i) for i in range(day.day)]


# --- parsing --------------------------------------------------------------------------------


def _finite(value: object) -> float | None:
    found = number(value)
    return found if found is not None and math.isfinite(found) else None


def item_key(item: Mapping[str, Any]) -> Labels:
    """The (model, sku) label values of a usage item, passed through as GitHub names them."""
    return (label(item.get("model")) or NO_MODEL, label(item.get("sku")) or NO_SKU)


def item_fields(item: Mapping[str, Any]) -> dict[str, float]:
    """A usage item's quantities and amounts; an amount GitHub leaves out is quantity x
    ``pricePerUnit`` when both are there. Fractional and unknown units pass as they are."""
    found: dict[str, float] = {}
    price = _finite(item.get("pricePerUnit"))
    for kind in ("gross", "discount", "net"):
        quantity = _finite(item.get(f"{kind}Quantity"))
        amount = _finite(item.get(f"{kind}Amount"))
        if amount is None and quantity is not None and price is not None:
            amount = quantity * price
        if quantity is not None:
            found[f"{kind}Quantity"] = quantity
        if amount is not None:
            found[f"{kind}Amount"] = amount
    return found


def usage_values(items: Iterable[Mapping[str, Any]]) -> Values:
    """The six spend metrics of some usage items, summed by (model, SKU); a metric no item
    carries gives no family."""
    values: Values = {}
    for item in items:
        key = item_key(item)
        fields = item_fields(item)
        for api_field, metric, _ in m.USAGE_FIELDS:
            amount = fields.get(api_field)
            if amount is not None:
                samples = values.setdefault(metric, {})
                samples[key] = samples.get(key, 0.0) + amount
    return values


def gross_by(items: Iterable[Mapping[str, Any]], first: str) -> dict[Labels, float]:
    """Gross credits of some items by (``first``, model, SKU): a cost center's or a user's."""
    out: dict[Labels, float] = {}
    for item in items:
        quantity = item_fields(item).get("grossQuantity")
        if quantity is not None:
            key = (first, *item_key(item))
            out[key] = out.get(key, 0.0) + quantity
    return out


def _strings(budget: Mapping[str, Any], *fields: str) -> list[str]:
    found: list[str] = []
    for name in fields:
        raw = budget.get(name)
        for value in raw if isinstance(raw, list) else [raw]:
            text = label(value)
            if text:
                found.append(text.lower())
    return found


def is_ai_credit_budget(budget: Mapping[str, Any]) -> bool:
    """Whether a budget limits Copilot spend (SKU ``ai_credits``, or a Copilot product)."""
    names = _strings(budget, "budget_product_sku", "budget_product_skus", "budget_product")
    return any("ai_credit" in name or "copilot" in name for name in names)


def budget_values(budgets: Iterable[object], users: Collection[str] = ()) -> Values:
    """Amount and consumption of the AI-credit budgets; a user budget only for ``users`` (per-
    user labels are opt-in and bounded), consumption only where GitHub reports it."""
    amounts: dict[Labels, float] = {}
    consumed: dict[Labels, float] = {}
    for budget in budgets:
        if not isinstance(budget, Mapping) or not is_ai_credit_budget(budget):
            continue
        kind = (label(budget.get("budget_scope")) or "unknown").lower()
        target = label(budget.get("budget_entity_name")) or ""
        if kind == "user":
            target = label(budget.get("user")) or target
            if target not in users:
                continue
        key = (label(budget.get("id")) or f"{kind}:{target}", kind, target)
        amount = _finite(budget.get("budget_amount"))
        if amount is not None:
            amounts[key] = amount
        spent = _finite(budget.get("consumed_amount"))
        if spent is not None:
            consumed[key] = spent
    values: Values = {}
    if amounts:
        values[m.BUDGET_AMOUNT] = amounts
    if consumed:
        values[m.BUDGET_CONSUMED] = consumed
    return values


# --- failures -------------------------------------------------------------------------------


def failure(scope: Scope, exc: ApiError) -> ScopeFailure:
    """A client error of the usage endpoint as a scope failure that says what to fix."""
    path = api_path(exc.endpoint, **scope.path_params) if exc.endpoint else scope.owner_path
    if exc.reason == "app_auth_failed" and scope.owner_root == "enterprises" and not exc.status:
        # No installation fits an enterprise path, and none would help: GitHub refuses App
        # tokens on enterprise billing. Say what does.
        return ScopeFailure(
            "billing_forbidden",
            f"a GitHub App cannot read the spend of {scope.owner_words} "
            f"({PERMISSIONS['enterprises']})",
        )
    known = _FAILURES.get(exc.reason)
    if known is None or exc.status is None:
        return ScopeFailure(exc.reason, str(exc))
    reason, why = known
    needs = f" ({PERMISSIONS[scope.owner_root]})" if reason == "billing_forbidden" else ""
    return ScopeFailure(
        reason,
        f"{path} answered {exc.status} because {why.format(owner=scope.owner_words)}{needs}",
    )


# --- the users with the most credits --------------------------------------------------------


class TopUsers(Protocol):
    """Who gets a ``user`` label: the ``n`` logins with the most AI credits of a scope, most
    first (the usage reports know them: ``exporter.reports.CreditRanking``)."""

    async def top(self, scope: Scope, n: int) -> list[str]: ...


# --- the source -----------------------------------------------------------------------------


class BillingSource:
    """Fetches the spend of enterprise and organization scopes; one instance per exporter
    (it remembers which failures it has logged and where ``user=`` is refused)."""

    def __init__(
        self,
        client: GitHubClient,
        settings: Billing | None = None,
        clock: Clock = utc_now,
        ranking: TopUsers | None = None,
    ) -> None:
        self._client = client
        self._settings = settings or Billing()
        self._clock = clock
        self._ranking = ranking
        self._users_refused: set[Scope] = set()
        self._logged: dict[tuple[Scope, str], Reason] = {}

    async def refresh(self, scopes: Sequence[Scope]) -> dict[Scope, Outcome]:
        """Outcome per scope for the current UTC month; every scope is asked at once."""
        month = Month.of(self._clock())
        return await per_owner(scopes, lambda scope: self._scope(scope, month), "no bill")

    async def _scope(self, scope: Scope, month: Month) -> Outcome:
        try:
            items = await self.usage(scope, month.query())
        except ApiError as exc:
            return failure(scope, exc)
        values = usage_values(items)
        values[m.BILLING_MONTH_START] = {(): month.start}
        users, centers = await asyncio.gather(
            self._optional(scope, "per-user spend", self._users(scope, month)),
            self._optional(scope, "cost centers", self._cost_centers(scope, month)),
        )
        logins = {user for (user, *_rest) in users.get(m.AI_CREDITS_BY_USER, {})}
        budgets = await self._optional(scope, "budgets", self._budgets(scope, logins))
        for extra in (users, centers, budgets):
            values.update(extra)
        return ScopeResult(values, None)

    async def _optional(self, scope: Scope, part: str, work: Awaitable[Values]) -> Values:
        """An optional part's values; when it fails, none, and one log line per new reason."""
        try:
            found = await work
        except (ApiError, ReportParseError) as exc:
            reason: Reason = exc.reason if isinstance(exc, ApiError) else "invalid_response"
            if self._logged.get((scope, part)) != reason:
                self._logged[(scope, part)] = reason
                log.warning(
                    "%s of %s left out: %s",
                    part,
                    scope.name,
                    exc,
                    extra={"scope_type": scope.type, "scope": scope.name, "reason": reason},
                )
            return {}
        self._logged.pop((scope, part), None)
        return found

    # -- requests -------------------------------------------------------------------------

    def _object(self, template: str, response: Response) -> Mapping[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, Mapping):
            raise self._client.invalid_answer(
                template, f"{template}: answer is not a JSON object", response.status
            )
        return body

    async def usage(
        self,
        scope: Scope,
        period: Mapping[str, str],
        *,
        premium: bool = False,
        **filters: str,
    ) -> list[Mapping[str, Any]]:
        """The usage items of one entity for ``period`` (``Month.query``), with ``filters``
        (``user``, ``cost_center_id``, ...); ``premium`` reads the premium-request history."""
        template = (PREMIUM_ENDPOINTS if premium else USAGE_ENDPOINTS)[scope.owner_root]
        path = api_path(template, **scope.path_params)
        response = await self._client.get(template, path, {**period, **filters})
        items = self._object(template, response).get("usageItems", [])
        if not isinstance(items, list):
            raise self._client.invalid_answer(
                template, f"{template}: usageItems is not a list", response.status
            )
        return [item for item in items if isinstance(item, Mapping)]

    async def _users(self, scope: Scope, month: Month) -> Values:
        top = self._settings.top_users
        if not top or self._ranking is None or scope in self._users_refused:
            return {}
        logins = await self._ranking.top(scope, top)
        try:
            answers = await asyncio.gather(
                *(self.usage(scope, month.query(), user=login) for login in logins)
            )
        except ApiError as exc:
            if exc.reason == "forbidden":  # enterprise-owned organizations: GitHub's rule
                self._users_refused.add(scope)
                log.warning(
                    "%s may not be filtered by user (%s): per-user spend of this scope is "
                    "off until a restart; read it through the enterprise scope instead",
                    scope.name,
                    exc,
                    extra={"scope_type": scope.type, "scope": scope.name, "reason": exc.reason},
                )
                return {}
            raise
        by_user: dict[Labels, float] = {}
        for login, items in zip(logins, answers, strict=True):
            by_user.update(gross_by(items, login))
        return {m.AI_CREDITS_BY_USER: by_user} if by_user else {}

    async def _cost_centers(self, scope: Scope, month: Month) -> Values:
        if not self._settings.cost_centers or scope.type != "enterprise":
            return {}
        template = COST_CENTERS_ENDPOINT
        path = api_path(template, **scope.path_params)
        response = await self._client.get(template, path, {"state": "active"})
        raw = self._object(template, response).get("costCenters", [])
        if not isinstance(raw, list):
            raise self._client.invalid_answer(
                template, f"{template}: costCenters is not a list", response.status
            )
        centers = sorted(
            (name, ident)
            for center in raw
            if isinstance(center, Mapping)
            and (label(center.get("state")) or "active").lower() == "active"
            and (ident := label(center.get("id")))
            and (name := label(center.get("name")) or ident)
        )
        if len(centers) > MAX_COST_CENTERS:
            log.warning(
                "more cost centers than the exporter asks about; the first by name are kept",
                extra={"scope": scope.name, "cost_centers": len(centers), "kept": MAX_COST_CENTERS},
            )
            centers = centers[:MAX_COST_CENTERS]
        answers = await asyncio.gather(
            *(self.usage(scope, month.query(), cost_center_id=ident) for _, ident in centers)
        )
        by_center: dict[Labels, float] = {}
        for (name, _), items in zip(centers, answers, strict=True):
            for key, credits in gross_by(items, name).items():
                by_center[key] = by_center.get(key, 0.0) + credits  # names may repeat
        return {m.AI_CREDITS_BY_COST_CENTER: by_center} if by_center else {}

    async def _budgets(self, scope: Scope, users: Collection[str]) -> Values:
        if not self._settings.budgets or scope.type != "enterprise":
            return {}
        template = BUDGETS_ENDPOINT
        path = api_path(template, **scope.path_params)
        budgets: list[object] = []
        for page in range(1, _MAX_PAGES + 1):
            response = await self._client.get(
                template, path, {"per_page": _PER_PAGE, "page": str(page)}
            )
            body = self._object(template, response)
            found = body.get("budgets", [])
            if not isinstance(found, list):
                raise self._client.invalid_answer(
                    template, f"{template}: budgets is not a list", response.status
                )
            budgets.extend(found)
            more = body.get("has_next_page") is True or next_link(response.headers.get("link", ""))
            if not found or not more:
                break
        return budget_values(budgets, users)


# --- the pool -------------------------------------------------------------------------------


def pool(seats_by_plan: Mapping[Labels, float], credits_per_seat: Mapping[str, float]) -> float:
    """Included AI credits: each plan's seats times its credits (other plans add none)."""
    return sum(
        count * credits_per_seat.get(plan, 0.0) for (plan, *_), count in seats_by_plan.items()
    )


def with_pools(snapshot: Snapshot, credits_per_seat: Mapping[str, float]) -> Snapshot:
    """The billing part with each scope's pool from the seats part: set for a scope that has
    spend and seats by plan, absent otherwise (seats off, not fetched yet)."""
    if not snapshot.billing:
        return snapshot
    seats = {state.scope: state.values.get(m.SEATS_BY_PLAN) for state in snapshot.seats}
    states = []
    for state in snapshot.billing:
        values = {k: v for k, v in state.values.items() if k != m.AI_CREDITS_POOL}
        by_plan = seats.get(state.scope)
        if by_plan and state.last_success is not None:
            values[m.AI_CREDITS_POOL] = {(): pool(by_plan, credits_per_seat)}
        states.append(replace(state, values=values))
    return replace(snapshot, billing=tuple(states))


# --- credentials ----------------------------------------------------------------------------


class SecondTokenStats(ApiStats):
    """The exporter's tallies as seen by a client with a second token: requests and failures
    count with everything else, but its rate limit is its own window, reported under
    ``PREFIX_RESOURCE`` (``billing_core``) instead of overwriting the metrics token's."""

    def __init__(self, shared: ApiStats, prefix: str) -> None:
        super().__init__()
        self._shared = shared
        self._prefix = prefix

    def downloaded(self, size: int) -> None:
        self._shared.downloaded(size)

    def request(self, endpoint: str, code: str) -> None:
        self._shared.request(endpoint, code)

    def failure(self, endpoint: str, reason: str) -> None:
        self._shared.failure(endpoint, reason)

    def rate_limit(self, resource: str, remaining: float, reset: float) -> None:
        self._shared.rate_limit(f"{self._prefix}_{resource}", remaining, reset)

    def copy(
        self,
    ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int], dict[str, Any]]:
        return self._shared.copy()


def billing_client(
    config: Config,
    stats: ApiStats,
    metrics: GitHubClient,
    options: Mapping[str, float] | None = None,
) -> GitHubClient:
    """The client of the billing endpoints: with ``github.billing_token`` its own (enterprise
    billing takes classic PATs only, while the metrics may come through a GitHub App),
    otherwise the metrics client itself."""
    token = config.github.billing_token
    if token is None:
        return metrics
    register_secret(token)
    return make_client(
        config, SecondTokenStats(stats, "billing"), options, token=static_token(token)
    )
