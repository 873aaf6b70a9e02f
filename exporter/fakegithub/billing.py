"""The fake GitHub's bill: AI-credit usage, the monthly pool, budgets and cost centers.

A :class:`SpendBook` holds charges (one user's use of one model on one day) and the billing
entities they belong to (an enterprise with its organizations, or an organization billed on
its own). Every answer of the billing endpoints is computed from it, in GitHub's shapes
(API.md section 6): the pool covers a month's charges in the order they happened, so the
included (``discount*``) and billed (``net*``) parts of any filter (a day, a user, a model, an
organization, a cost center) add up to the whole, and a pool that runs out on day D shows
``net* > 0`` from then on.

GitHub's rules the book keeps: days before June 2026 are premium requests (``sku`` "Copilot
Premium Request", ``unitType`` requests, USD 0.04) served by the ``premium_request`` endpoint;
organization admins of an enterprise-owned organization get 403 when filtering by ``user``;
an organization marked as billed through its enterprise answers 404.

Tests fill a book by hand (``StaticStore.spend()``); :func:`simulated_book` builds one from the
``SimulatedStore``'s users for the demo.
"""

from __future__ import annotations

import calendar
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

if TYPE_CHECKING:
    from exporter.fakegithub.simulate import SimulatedStore

AI_CREDITS_SKU = "Copilot AI Credits"
PREMIUM_REQUEST_SKU = "Copilot Premium Request"
AI_CREDITS_SINCE = date(2026, 6, 1)
#: Included per seat and month: AI credits since June 2026, premium requests before.
CREDITS_PER_SEAT = {"business": 1900.0, "enterprise": 3900.0}
REQUESTS_PER_SEAT = {"business": 300.0, "enterprise": 1000.0}
#: Model names as the bill spells them, for the simulation's short names.
BILLED_MODEL_NAMES = {
    "gpt-4.1": "GPT-4.1",
    "claude-sonnet-4.5": "Claude Sonnet 4.5",
    "gpt-5-mini": "GPT-5 mini",
    "gemini-2.5-pro": "Gemini 2.5 Pro",
    "auto": "Auto: Claude Haiku 4.5",
}

Kind = Literal["enterprise", "organization"]
Answer = tuple[int, object]
"""An HTTP status and the JSON body (a GitHub-style error for 4xx)."""

_USAGE_RE = re.compile(
    r"/(organizations|enterprises)/([^/]+)/settings/billing/(ai_credit|premium_request)/usage"
)
_BUDGETS_RE = re.compile(r"/enterprises/([^/]+)/settings/billing/budgets")
_COST_CENTERS_RE = re.compile(r"/enterprises/([^/]+)/settings/billing/cost-centers")
_DOCS = "https://docs.github.com/rest/billing"


@dataclass(frozen=True)
class Charge:
    """One user's use of one model on one day; SKU, unit and price follow the day's era
    unless given (tests give odd ones: unknown SKUs, ``unitType: credits``)."""

    day: date
    user: str
    org: str
    model: str
    quantity: float
    sku: str | None = None
    unit_type: str | None = None
    price: float | None = None
    product: str = "Copilot"

    @property
    def premium(self) -> bool:
        return self.day < AI_CREDITS_SINCE

    def priced(self) -> tuple[str, str, float]:
        """(sku, unitType, pricePerUnit)."""
        sku = self.sku or (PREMIUM_REQUEST_SKU if self.premium else AI_CREDITS_SKU)
        unit = self.unit_type or ("requests" if self.premium else "ai-credits")
        price = self.price if self.price is not None else 0.04 if self.premium else 0.01
        return sku, unit, price


Pool = Callable[[int, int], float]
"""Included quantity of a month (year, month), in that month's unit."""


def _pool(pool: float | Pool) -> Pool:
    if callable(pool):
        return pool
    return lambda _year, _month: float(pool)


@dataclass
class _Entity:
    kind: Kind
    name: str
    pool: Pool
    enterprise: str | None = None  # an organization's enterprise: it shares that pool
    billed_through_enterprise: bool = False  # its own endpoint answers 404
    orgs: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _CostCenter:
    ident: str
    name: str
    users: frozenset[str]
    orgs: frozenset[str]
    state: str = "active"

    def holds(self, charge: Charge) -> bool:
        return charge.user in self.users or charge.org in self.orgs


@dataclass(frozen=True)
class _Budget:
    raw: Mapping[str, Any]
    consumed_by: Callable[[Charge], bool] | None  # None: GitHub reports no consumption


@dataclass(frozen=True)
class _Filters:
    year: int
    month: int
    day: int | None = None
    user: str | None = None
    model: str | None = None
    product: str | None = None
    organization: str | None = None
    cost_center: _CostCenter | None = None

    def keeps(self, charge: Charge) -> bool:
        return (
            (self.day is None or charge.day.day == self.day)
            and (self.user is None or charge.user == self.user)
            and (self.model is None or charge.model == self.model)
            and (self.product is None or charge.product.lower() == self.product.lower())
            and (self.organization is None or charge.org == self.organization)
            and (self.cost_center is None or self.cost_center.holds(charge))
        )


def _error(status: int, message: str) -> Answer:
    return status, {"message": message, "documentation_url": _DOCS, "status": str(status)}


class SpendBook:
    """Charges and billing entities; answers the billing endpoints from them."""

    def __init__(
        self,
        today: Callable[[], date] | None = None,
        monthly: Callable[[int, int], Iterable[Charge]] | None = None,
    ) -> None:
        """``monthly`` adds generated charges per (year, month) to the ones given by hand."""
        #: What "now" is for defaults (year, month) and budget consumption; tests set it.
        self.today = today or (lambda: datetime.now(UTC).date())
        self._monthly = monthly
        self._lock = threading.RLock()
        self._entities: dict[tuple[Kind, str], _Entity] = {}
        self._charges: list[Charge] = []
        self._cost_centers: dict[str, list[_CostCenter]] = {}
        self._budgets: dict[str, list[_Budget]] = {}
        self._allocated: dict[tuple[str, int, int], list[tuple[Charge, float]]] = {}

    # -- filling ------------------------------------------------------------------------------

    def add_enterprise(self, name: str, pool: float | Pool = 0.0) -> None:
        with self._lock:
            self._entities[("enterprise", name)] = _Entity("enterprise", name, _pool(pool))
            self._allocated.clear()

    def add_organization(
        self,
        name: str,
        pool: float | Pool = 0.0,
        *,
        enterprise: str | None = None,
        billed_through_enterprise: bool = False,
    ) -> None:
        """An organization billed on its own (its ``pool``), or one of ``enterprise``'s
        (sharing the enterprise's pool; its endpoint answers its share, or 404)."""
        with self._lock:
            if enterprise is not None:
                self._entities[("enterprise", enterprise)].orgs.add(name)
            self._entities[("organization", name)] = _Entity(
                "organization", name, _pool(pool), enterprise, billed_through_enterprise
            )
            self._allocated.clear()

    def charge(self, *charges: Charge) -> None:
        with self._lock:
            self._charges.extend(charges)
            self._allocated.clear()

    def add_cost_center(
        self,
        enterprise: str,
        ident: str,
        name: str,
        *,
        users: Iterable[str] = (),
        orgs: Iterable[str] = (),
        state: str = "active",
    ) -> None:
        center = _CostCenter(ident, name, frozenset(users), frozenset(orgs), state)
        with self._lock:
            self._cost_centers.setdefault(enterprise, []).append(center)

    def add_budget(
        self,
        enterprise: str,
        *,
        amount: float,
        scope: str,
        target: str = "",
        ident: str | None = None,
        sku: str = "ai_credits",
        report_consumed: bool = True,
    ) -> None:
        """A budget as GitHub lists it; its ``consumed_amount`` is the month's billed USD of
        its target (the whole enterprise, an organization, a cost center or a user)."""
        raw: dict[str, Any] = {
            "id": ident or f"{scope}-{target or enterprise}".replace(" ", "-").lower(),
            "budget_type": "SkuPricing",
            "budget_product_sku": sku,
            "budget_scope": scope,
            "budget_entity_name": "" if scope == "user" else target or enterprise,
            "budget_amount": amount,
            "prevent_further_usage": True,
            "budget_alerting": {"will_alert": True, "alert_recipients": ["billing-admin"]},
        }
        if scope == "user":
            raw["user"] = target
        consumed_by = self._target(enterprise, scope, target) if report_consumed else None
        with self._lock:
            self._budgets.setdefault(enterprise, []).append(_Budget(raw, consumed_by))

    def add_raw_budget(self, enterprise: str, raw: Mapping[str, Any]) -> None:
        """A budget object exactly as given (odd shapes, other products)."""
        with self._lock:
            self._budgets.setdefault(enterprise, []).append(_Budget(raw, None))

    def _target(self, enterprise: str, scope: str, target: str) -> Callable[[Charge], bool]:
        if scope == "organization":
            return lambda c: c.org == target
        if scope == "user":
            return lambda c: c.user == target
        if scope in ("cost_center", "cost-center"):

            def in_center(c: Charge) -> bool:
                centers = self._cost_centers.get(enterprise, [])
                return any(cc.holds(c) for cc in centers if target in (cc.name, cc.ident))

            return in_center
        return lambda _c: True

    # -- the pool ------------------------------------------------------------------------------

    def _entity_charges(self, entity: _Entity, year: int, month: int) -> list[Charge]:
        generated = list(self._monthly(year, month)) if self._monthly is not None else []
        orgs = entity.orgs if entity.kind == "enterprise" else {entity.name}
        return [
            c
            for c in (*self._charges, *generated)
            if c.org in orgs and (c.day.year, c.day.month) == (year, month)
        ]

    def allocated(self, entity_name: str, year: int, month: int) -> list[tuple[Charge, float]]:
        """The billing entity's charges of a month, each with the quantity the pool covered:
        the pool is used up in the order the charges happened."""
        with self._lock:
            key = (entity_name, year, month)
            if key not in self._allocated:
                entity = self._billing_entity(entity_name)
                charges = sorted(
                    enumerate(self._entity_charges(entity, year, month)),
                    key=lambda pair: (pair[1].day, pair[0]),
                )
                left = entity.pool(year, month)
                out: list[tuple[Charge, float]] = []
                for _, charge in charges:
                    covered = max(0.0, min(left, charge.quantity))
                    left -= covered
                    out.append((charge, covered))
                self._allocated[key] = out
            return self._allocated[key]

    def _billing_entity(self, name: str) -> _Entity:
        """The entity whose pool pays: an enterprise, or an organization billed alone."""
        entity = self._entities.get(("enterprise", name)) or self._entities[("organization", name)]
        if entity.kind == "organization" and entity.enterprise is not None:
            return self._entities[("enterprise", entity.enterprise)]
        return entity

    # -- answers -------------------------------------------------------------------------------

    def answer(self, path: str, query: Mapping[str, str]) -> Answer | None:
        """The answer to a billing endpoint; None for any other path."""
        if m := _USAGE_RE.fullmatch(path):
            kind: Kind = "enterprise" if m.group(1) == "enterprises" else "organization"
            return self._usage(kind, unquote(m.group(2)), m.group(3) == "premium_request", query)
        if m := _BUDGETS_RE.fullmatch(path):
            return self._budget_page(unquote(m.group(1)), query)
        if m := _COST_CENTERS_RE.fullmatch(path):
            return self._cost_center_list(unquote(m.group(1)), query)
        return None

    def _usage(self, kind: Kind, name: str, premium: bool, query: Mapping[str, str]) -> Answer:
        with self._lock:
            entity = self._entities.get((kind, name))
            if entity is None or entity.billed_through_enterprise:
                return _error(404, "Not Found")
            if kind == "organization" and entity.enterprise is not None and "user" in query:
                return _error(
                    403,
                    "Organization admins of an enterprise-owned organization cannot filter "
                    "usage by user",
                )
            filters = self._filters(kind, name, query)
            if isinstance(filters, tuple):
                return filters
            billing_name = entity.enterprise or name
            rows = [
                (charge, covered)
                for charge, covered in self.allocated(billing_name, filters.year, filters.month)
                if (kind == "enterprise" or charge.org == name)
                and charge.premium == premium
                and filters.keeps(charge)
            ]
        body: dict[str, Any] = {
            "timePeriod": {"year": filters.year, "month": filters.month}
            | ({"day": filters.day} if filters.day else {}),
            kind: name,
        }
        for key in ("user", "model", "product"):
            if query.get(key):
                body[key] = query[key]
        if filters.cost_center is not None:
            body["costCenter"] = {"id": filters.cost_center.ident, "name": filters.cost_center.name}
        body["usageItems"] = _items(rows)
        return 200, body

    def _filters(self, kind: Kind, name: str, query: Mapping[str, str]) -> _Filters | Answer:
        today = self.today()
        try:
            year = int(query.get("year") or today.year)
            month = int(query.get("month") or today.month)
            day = int(query["day"]) if query.get("day") else None
            if not 1 <= month <= 12 or not 2000 <= year <= 9999:
                raise ValueError
            if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
                raise ValueError
        except ValueError:
            return _error(400, "Invalid year, month or day")
        center = None
        if kind == "enterprise" and query.get("cost_center_id"):
            center = next(
                (c for c in self._cost_centers.get(name, []) if c.ident == query["cost_center_id"]),
                None,
            )
            if center is None:
                return _error(404, "Cost center not found")
        return _Filters(
            year,
            month,
            day,
            query.get("user") or None,
            query.get("model") or None,
            query.get("product") or None,
            query.get("organization") or None if kind == "enterprise" else None,
            center,
        )

    def _budget_page(self, enterprise: str, query: Mapping[str, str]) -> Answer:
        with self._lock:
            if ("enterprise", enterprise) not in self._entities:
                return _error(404, "Not Found")
            budgets = list(self._budgets.get(enterprise, []))
        try:
            page = max(1, int(query.get("page") or 1))
            per_page = min(100, max(1, int(query.get("per_page") or 10)))
        except ValueError:
            return _error(400, "Invalid page")
        chunk = budgets[(page - 1) * per_page : page * per_page]
        today = self.today()
        listed = []
        for budget in chunk:
            raw = dict(budget.raw)
            if budget.consumed_by is not None:
                rows = self.allocated(enterprise, today.year, today.month)
                raw["consumed_amount"] = round(
                    sum(_net(c, covered)[1] for c, covered in rows if budget.consumed_by(c)), 6
                )
            listed.append(raw)
        return 200, {
            "budgets": listed,
            "has_next_page": page * per_page < len(budgets),
            "total_count": len(budgets),
        }

    def _cost_center_list(self, enterprise: str, query: Mapping[str, str]) -> Answer:
        with self._lock:
            if ("enterprise", enterprise) not in self._entities:
                return _error(404, "Not Found")
            centers = list(self._cost_centers.get(enterprise, []))
        state = query.get("state")
        return 200, {
            "costCenters": [
                {
                    "id": c.ident,
                    "name": c.name,
                    "state": c.state,
                    "resources": [
                        *({"type": "User", "name": u} for u in sorted(c.users)),
                        *({"type": "Organization", "name": o} for o in sorted(c.orgs)),
                    ],
                }
                for c in centers
                if state is None or c.state == state
            ]
        }


def _net(charge: Charge, covered: float) -> tuple[float, float]:
    """(net quantity, net amount) of a charge."""
    net = charge.quantity - covered
    return net, net * charge.priced()[2]


def _items(rows: Sequence[tuple[Charge, float]]) -> list[dict[str, Any]]:
    """``usageItems``: one per (product, sku, model, unit, price), sorted by model."""
    sums: dict[tuple[str, str, str, str, float], list[float]] = {}
    for charge, covered in rows:
        sku, unit, price = charge.priced()
        key = (charge.product, sku, charge.model, unit, price)
        acc = sums.setdefault(key, [0.0, 0.0])
        acc[0] += charge.quantity
        acc[1] += covered
    items = []
    for (product, sku, model, unit, price), (gross, covered) in sorted(
        sums.items(), key=lambda kv: (kv[0][2], kv[0][1])
    ):
        net = gross - covered
        items.append(
            {
                "product": product,
                "sku": sku,
                "model": model,
                "unitType": unit,
                "pricePerUnit": price,
                "grossQuantity": round(gross, 6),
                "grossAmount": round(gross * price, 6),
                "discountQuantity": round(covered, 6),
                "discountAmount": round(covered * price, 6),
                "netQuantity": round(net, 6),
                "netAmount": round(net * price, 6),
            }
        )
    return items


# --- the simulation's bill ------------------------------------------------------------------


def _month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def simulated_book(store: SimulatedStore, *, pool_runs_out_day: int = 18) -> SpendBook:
    """The demo's bill: the simulation's enterprise and organizations, each user's AI use
    (chat, agent, CLI; completions are not billed) priced so that the enterprise's pool runs
    out at the end of ``pool_runs_out_day`` of every month (net > 0 from the next day), two
    cost centers and a few budgets. Days up to today, back to a year ago, have charges."""
    plans = {org.login: (org.plan, len(org.members)) for org in store.orgs}

    def pool(year: int, month: int) -> float:
        per_seat = (
            REQUESTS_PER_SEAT if date(year, month, 1) < AI_CREDITS_SINCE else CREDITS_PER_SEAT
        )
        return sum(per_seat.get(plan, 0.0) * seats for plan, seats in plans.values())

    def day_use(day: date) -> list[tuple[str, str, str, float]]:
        return [
            (login, org, BILLED_MODEL_NAMES.get(model, model), weight)
            for login, org, model, weight in store.credit_use(day)
        ]

    months: dict[tuple[int, int], list[Charge]] = {}
    lock = threading.Lock()

    def monthly(year: int, month: int) -> list[Charge]:
        with lock:
            if (year, month) in months:
                return months[(year, month)]
            days = _month_days(year, month)
            runs_out = days[: min(pool_runs_out_day, len(days))]
            base = sum(w for d in runs_out for *_, w in day_use(d))
            scale = pool(year, month) / base if base else 0.0
            first = store.today - timedelta(days=365)
            charges = [
                Charge(d, login, org, model, round(weight * scale, 4))
                for d in days
                if first <= d <= store.today
                for login, org, model, weight in day_use(d)
            ]
            months[(year, month)] = charges
            return charges

    book = SpendBook(lambda: store.today, monthly)
    enterprise = store.enterprise
    book.add_enterprise(enterprise, pool)
    logins = [org.login for org in store.orgs]
    for login in logins:
        book.add_organization(login, enterprise=enterprise)
    book.add_cost_center(enterprise, "cc-platform", "Platform Engineering", orgs=logins[0::2])
    book.add_cost_center(enterprise, "cc-product", "Product & Data", orgs=logins[1::2])
    book.add_cost_center(enterprise, "cc-retired", "Retired", orgs=(), state="deleted")
    month_value = pool(store.today.year, store.today.month) * 0.01
    book.add_budget(enterprise, amount=round(month_value * 0.6, 2), scope="enterprise")
    book.add_budget(enterprise, amount=500.0, scope="organization", target=logins[-1])
    book.add_budget(enterprise, amount=2000.0, scope="cost_center", target="Product & Data")
    book.add_budget(enterprise, amount=30.0, scope="user", target=store.users[0].login)
    book.add_raw_budget(
        enterprise,
        {
            "id": "actions-enterprise",
            "budget_type": "ProductPricing",
            "budget_product_sku": "actions",
            "budget_scope": "enterprise",
            "budget_entity_name": enterprise,
            "budget_amount": 100,
        },
    )
    return book
