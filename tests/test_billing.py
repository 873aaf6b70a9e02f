"""Spend: AI credits month to date, the pool, budgets, cost centers, per-user spend and the
second credential, through the fake GitHub's billing endpoints over real HTTP."""

from __future__ import annotations

import argparse
import io
import logging
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.openmetrics import parser as openmetrics

from exporter import backfill
from exporter import config as config_mod
from exporter import metrics as m
from exporter.app import Exporter
from exporter.billing import budget_values, usage_values
from exporter.fakegithub import FakeGitHub, Fault, StaticStore
from exporter.fakegithub.billing import Charge, SpendBook
from exporter.logs import LogfmtFormatter
from tests import prom
from tests.helpers import TOKEN, AppKey, ExporterFactory, samples, scrape, value

NOW = datetime(2026, 7, 20, 12, 0, tzinfo=UTC)
JULY = datetime(2026, 7, 1, tzinfo=UTC).timestamp()
USAGE = "/settings/billing/ai_credit/usage"
SONNET, GPT, HAIKU = "Claude Sonnet 4.5", "GPT-4.1", "Auto: Claude Haiku 4.5"
SKU = "Copilot AI Credits"
BILLING_TOKEN = "ghp_BillingTokenThatMustNeverLeak987654321"


def clock() -> datetime:
    return NOW


def book(store: StaticStore) -> SpendBook:
    """The store's bill, with "today" at NOW (budget consumption is this month's)."""
    spend = store.spend()
    spend.today = lambda: NOW.date()
    return spend


def july(day: int) -> date:
    return date(2026, 7, day)


def acme(store: StaticStore, pool: float = 100.0) -> SpendBook:
    """Enterprise acme (orgs octo, hub) whose pool of ``pool`` credits runs out on July 5:
    Sonnet 50.5 (40.5 included, 10 billed), GPT-4.1 30.25 (all included), Haiku 50 (29.25
    included, 20.75 billed). June's charge is another month."""
    spend = book(store)
    spend.add_enterprise("acme", pool)
    spend.add_organization("octo", enterprise="acme")
    spend.add_organization("hub", enterprise="acme")
    spend.charge(
        Charge(date(2026, 6, 30), "alice", "octo", SONNET, 99.0),
        Charge(july(1), "alice", "octo", SONNET, 40.5),
        Charge(july(2), "bob", "hub", GPT, 30.25),
        Charge(july(5), "alice", "octo", HAIKU, 50.0),
        Charge(july(10), "carol", "octo", SONNET, 10.0),
    )
    return spend


def billing_requests(github: FakeGitHub, fragment: str = "/settings/billing/") -> list[Any]:
    return [r for r in github.requests if fragment in r.path]


def spend_of(body: str, name: str, **labels: str) -> float | None:
    return value(body, name, **labels)


# --------------------------------------------------------------------------- parsing
def test_usage_items_sum_by_model_and_sku_and_pass_odd_values_through() -> None:
    items: list[dict[str, Any]] = [
        {"model": SONNET, "sku": SKU, "grossQuantity": 1.25, "grossAmount": 0.0125},
        {"model": SONNET, "sku": SKU, "grossQuantity": 2.5, "pricePerUnit": 0.01},
        {"sku": "Copilot Spark", "unitType": "credits", "netQuantity": 3, "netAmount": 0.03},
        {"model": "x", "sku": SKU, "grossQuantity": float("nan"), "grossAmount": "1"},
        {"model": " padded ", "sku": SKU, "discountQuantity": 7.0},
    ]
    values = usage_values(items)
    assert values[m.AI_CREDITS] == {(SONNET, SKU): 3.75}
    # The amount GitHub left out is quantity x pricePerUnit.
    assert values[f"{m.AI_CREDITS}_gross_usd"] == {(SONNET, SKU): pytest.approx(0.0375)}
    assert values[f"{m.AI_CREDITS}_billed"] == {("none", "Copilot Spark"): 3.0}
    assert values[f"{m.AI_CREDITS}_included"] == {("padded", SKU): 7.0}
    assert ("x", SKU) not in values[m.AI_CREDITS], "NaN and strings are no quantities"


def test_budgets_for_ai_credits_only_and_user_budgets_only_for_the_ranked_users() -> None:
    budgets: list[object] = [
        {"id": "b1", "budget_product_sku": "ai_credits", "budget_scope": "enterprise",
         "budget_entity_name": "acme", "budget_amount": 500, "consumed_amount": 410.5},
        {"id": "b2", "budget_product_skus": ["copilot_premium_request"],
         "budget_scope": "organization", "budget_entity_name": "octo", "budget_amount": 50},
        {"id": "b3", "budget_product_sku": "actions", "budget_scope": "enterprise",
         "budget_amount": 9},
        {"id": "b4", "budget_product_sku": "ai_credits", "budget_scope": "user",
         "budget_entity_name": "", "user": "alice", "budget_amount": 30, "consumed_amount": 3},
        {"id": "b5", "budget_product_sku": "ai_credits", "budget_scope": "user",
         "budget_entity_name": "", "user": "zed", "budget_amount": 0},
        "not a budget",
    ]  # fmt: skip
    values = budget_values(budgets, users={"alice"})
    assert values[m.BUDGET_AMOUNT] == {
        ("b1", "enterprise", "acme"): 500.0,
        ("b2", "organization", "octo"): 50.0,
        ("b4", "user", "alice"): 30.0,
    }
    # Consumption only where GitHub reports it.
    assert values[m.BUDGET_CONSUMED] == {
        ("b1", "enterprise", "acme"): 410.5,
        ("b4", "user", "alice"): 3.0,
    }
    assert budget_values(budgets)[m.BUDGET_AMOUNT].keys() == {
        ("b1", "enterprise", "acme"),
        ("b2", "organization", "octo"),
    }, "no user budget without per-user spend"


# --------------------------------------------------------------------------- the fake's bill
def test_the_fake_splits_each_filter_into_included_and_billed_parts_that_add_up(
    store: StaticStore, github: FakeGitHub
) -> None:
    acme(store)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def usage(path: str, **query: str) -> dict[str, Any]:
        answer = httpx.get(f"{github.api_url}{path}", params=query, headers=headers, timeout=5)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    whole = usage(f"/enterprises/acme{USAGE}", year="2026", month="7")
    assert whole["timePeriod"] == {"year": 2026, "month": 7}
    assert whole["enterprise"] == "acme"
    by_model = {i["model"]: i for i in whole["usageItems"]}
    assert by_model[HAIKU] | {"grossQuantity": 0} == {
        "product": "Copilot",
        "sku": SKU,
        "model": HAIKU,
        "unitType": "ai-credits",
        "pricePerUnit": 0.01,
        "grossQuantity": 0,
        "grossAmount": 0.5,
        "discountQuantity": 29.25,
        "discountAmount": 0.2925,
        "netQuantity": 20.75,
        "netAmount": 0.2075,
    }
    # The net part starts on the day the pool runs out (July 5) and never before.
    days = [usage(f"/enterprises/acme{USAGE}", year="2026", month="7", day=str(d)) for d in (2, 5)]
    assert sum(i["netQuantity"] for i in days[0]["usageItems"]) == 0
    assert sum(i["netQuantity"] for i in days[1]["usageItems"]) == 20.75
    # A user's and an organization's share are parts of the same allocation.
    users = [
        usage(f"/enterprises/acme{USAGE}", year="2026", month="7", user=login)
        for login in ("alice", "bob", "carol")
    ]
    for field in ("grossQuantity", "discountQuantity", "netQuantity"):
        assert sum(i[field] for u in users for i in u["usageItems"]) == pytest.approx(
            sum(i[field] for i in whole["usageItems"])
        )
    assert users[0]["user"] == "alice"
    octo = usage(f"/organizations/octo{USAGE}", year="2026", month="7")
    assert octo["organization"] == "octo"
    assert {i["model"] for i in octo["usageItems"]} == {SONNET, HAIKU}
    # Organization admins of an enterprise-owned organization may not filter by user.
    refused = httpx.get(
        f"{github.api_url}/organizations/octo{USAGE}", params={"user": "alice"}, headers=headers
    )
    assert refused.status_code == 403
    # Before June 2026: premium requests, on their own endpoint.
    book(store).charge(Charge(date(2026, 5, 3), "alice", "octo", SONNET, 12))
    may = usage("/enterprises/acme/settings/billing/premium_request/usage", year="2026", month="5")
    priced = [
        (i["sku"], i["unitType"], i["pricePerUnit"], i["grossAmount"]) for i in may["usageItems"]
    ]
    assert priced == [("Copilot Premium Request", "requests", 0.04, 0.48)]
    assert usage(f"/enterprises/acme{USAGE}", year="2026", month="5")["usageItems"] == []


# --------------------------------------------------------------------------- the exporter
def test_month_to_date_spend_by_model_and_sku(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    acme(store)
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock)
    exporter.refresh_billing_now()
    body = scrape(exporter).text
    asked = billing_requests(github, USAGE)
    assert [(r.path, r.query) for r in asked] == [
        ("/enterprises/acme" + USAGE, {"year": "2026", "month": "7"})
    ]
    expected = {
        "": {SONNET: 50.5, GPT: 30.25, HAIKU: 50.0},
        "_included": {SONNET: 40.5, GPT: 30.25, HAIKU: 29.25},
        "_billed": {SONNET: 10.0, GPT: 0.0, HAIKU: 20.75},
    }
    for suffix, by_model in expected.items():
        for model, credits in by_model.items():
            labels = {"scope": "acme", "model": model, "sku": SKU}
            assert spend_of(body, m.AI_CREDITS + suffix, **labels) == pytest.approx(credits)
            usd = m.AI_CREDITS + (suffix or "_gross") + "_usd"
            assert spend_of(body, usd, **labels) == pytest.approx(credits * 0.01)
    assert spend_of(body, m.BILLING_MONTH_START, scope="acme") == JULY
    assert spend_of(body, m.BILLING_UP, scope="acme", scope_type="enterprise") == 1
    assert spend_of(body, m.BILLING_LAST_SUCCESS, scope="acme") == NOW.timestamp()
    assert m.BILLING_FAILURE not in body
    # Month to date: gauges, never _total, and HELP says when they reset.
    assert f"# TYPE {m.AI_CREDITS} gauge" in body
    assert "resets on the 1st at 00:00 UTC" in body.split(f"# HELP {m.AI_CREDITS} ", 1)[1]


def test_unknown_skus_models_units_and_fractions_pass_through_as_label_values(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    spend = book(store)
    spend.add_organization("octo", 0.5)
    odd = 'Model "X" \\ ünïcode'
    spend.charge(
        Charge(july(3), "alice", "octo", odd, 0.123456, sku="Copilot Spark Credits",
               unit_type="credits", price=0.02),
        Charge(july(4), "alice", "octo", "brand-new-model", 1e-6),
    )  # fmt: skip
    exporter = make_exporter([{"org": "octo"}], clock=clock)
    exporter.refresh_billing_now()
    body = scrape(exporter).text
    escaped = 'model="Model \\"X\\" \\\\ ünïcode"'
    [line] = [ln for ln in body.splitlines() if ln.startswith(m.AI_CREDITS + "{") and escaped in ln]
    assert 'sku="Copilot Spark Credits"' in line
    assert float(line.rsplit(" ", 1)[1]) == pytest.approx(0.123456)
    gross_usd = [ln for ln in body.splitlines() if ln.startswith(f"{m.AI_CREDITS}_gross_usd{{")]
    [usd] = [float(ln.rsplit(" ", 1)[1]) for ln in gross_usd if escaped in ln]
    assert usd == pytest.approx(0.123456 * 0.02, abs=1e-6), "its own price per unit"
    assert spend_of(body, m.AI_CREDITS_BY_USER) is None, "per-user labels are off by default"
    exposed = samples(body)
    assert any("brand-new-model" in key and v == pytest.approx(1e-6) for key, v in exposed.items())


def seat(user: int, plan: str, org: str) -> dict[str, Any]:
    return {
        "assignee": {"login": f"user{user}", "id": user},
        "organization": {"login": org},
        "plan_type": plan,
        "created_at": "2026-01-01T00:00:00Z",
        "last_activity_at": "2026-07-19T10:00:00Z",
        "last_activity_editor": "vscode/1.0/copilot/1.0",
    }


@pytest.mark.parametrize("seats_first", [True, False], ids=["seats-first", "billing-first"])
def test_the_pool_is_seats_by_plan_times_the_configured_credits(
    store: StaticStore, make_exporter: ExporterFactory, seats_first: bool
) -> None:
    acme(store)
    # user 3 has a Business seat from hub and an Enterprise seat from octo: one Enterprise seat.
    store.set_seats(
        "enterprises/acme",
        [seat(1, "business", "hub"), seat(2, "enterprise", "octo"),
         seat(3, "business", "hub"), seat(3, "enterprise", "octo"), seat(4, "", "hub")],
    )  # fmt: skip
    exporter = make_exporter(
        [{"enterprise": "acme"}], clock=clock, billing={"business_credits_per_seat": 2500}
    )
    first, second = (
        (exporter.refresh_seats_now, exporter.refresh_billing_now)
        if seats_first
        else (exporter.refresh_billing_now, exporter.refresh_seats_now)
    )
    first()
    second()
    body = scrape(exporter).text
    assert spend_of(body, m.SEATS_BY_PLAN, scope="acme", plan="business") == 1
    assert spend_of(body, m.SEATS_BY_PLAN, scope="acme", plan="enterprise") == 2
    assert spend_of(body, m.SEATS_BY_PLAN, scope="acme", plan="unknown") == 1
    assert spend_of(body, m.SEATS_METRIC, scope="acme") == 4, "by plan adds up to the seats"
    assert spend_of(body, m.AI_CREDITS_POOL, scope="acme") == 1 * 2500 + 2 * 3900


def test_without_seat_data_there_is_no_pool(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    acme(store)
    store.set_seats("enterprises/acme", [seat(1, "business", "hub")])
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock, seats={"enabled": False})
    exporter.refresh_billing_now()
    body = scrape(exporter).text
    assert spend_of(body, m.AI_CREDITS, scope="acme", model=GPT) == 30.25
    assert spend_of(body, m.AI_CREDITS_POOL) is None


def test_a_403_fails_the_spend_only_logged_once_with_its_fix(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    acme(store)
    day = NOW.date() - timedelta(days=1)
    store.set_report("enterprise-1-day", "acme", day, [{"day": str(day), "daily_active_users": 7}])
    github.add_fault(Fault(USAGE, status=403))
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock)
    caplog.set_level(logging.WARNING)
    exporter.refresh_now()
    for _ in range(2):
        exporter.refresh_billing_now()
    body = scrape(exporter).text
    assert spend_of(body, m.BILLING_UP, scope="acme") == 0
    assert spend_of(body, m.BILLING_FAILURE, scope="acme", reason="billing_forbidden") == 1
    assert spend_of(body, m.AI_CREDITS) is None
    # The usage metrics never notice.
    assert value(body, "github_copilot_up", scope="acme") == 1
    assert value(body, "github_copilot_daily_active_users", scope="acme") == 7
    warned = [r for r in caplog.records if getattr(r, "reason", None) == "billing_forbidden"]
    assert len(warned) == 1, "logged when it starts, not every refresh"
    text = warned[0].getMessage()
    assert "classic PATs only" in text and "GITHUB_BILLING_TOKEN" in text
    assert "billing.enabled: false" in text
    assert "down (billing_forbidden)" in scrape(exporter, "/").text


def test_an_organization_billed_through_its_enterprise_answers_404(
    store: StaticStore, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    acme(store)
    book(store).add_organization("sub", enterprise="acme", billed_through_enterprise=True)
    exporter = make_exporter([{"org": "sub"}, {"enterprise": "acme"}], clock=clock)
    caplog.set_level(logging.WARNING)
    exporter.refresh_billing_now()
    body = scrape(exporter).text
    assert spend_of(body, m.BILLING_FAILURE, scope="sub", reason="billing_not_found") == 1
    assert spend_of(body, m.BILLING_UP, scope="acme") == 1
    [warning] = [r for r in caplog.records if getattr(r, "reason", None) == "billing_not_found"]
    assert "configure the enterprise as a scope" in warning.getMessage()


def test_billing_disabled_asks_no_billing_endpoint(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    acme(store)
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock, billing={"enabled": False})
    exporter.refresh_billing_now()
    exporter.refresh_now()
    assert exporter.billing is None
    assert billing_requests(github) == []
    assert m.BILLING_UP not in scrape(exporter).text


def test_a_month_boundary_starts_the_month_to_date_values_again(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    acme(store)
    now = [datetime(2026, 7, 31, 23, 30, tzinfo=UTC)]
    exporter = make_exporter([{"enterprise": "acme"}], clock=lambda: now[0])
    exporter.refresh_billing_now()
    before = scrape(exporter).text
    assert spend_of(before, f"{m.AI_CREDITS}_billed_usd", scope="acme", model=HAIKU) == 0.2075
    now[0] = datetime(2026, 8, 1, 0, 30, tzinfo=UTC)
    exporter.refresh_billing_now()
    after = scrape(exporter).text
    assert (
        spend_of(after, m.BILLING_MONTH_START, scope="acme")
        == datetime(2026, 8, 1, tzinfo=UTC).timestamp()
    )
    assert spend_of(after, m.AI_CREDITS) is None, "nothing used in August yet"
    assert spend_of(after, m.BILLING_UP, scope="acme") == 1


def users_report(store: StaticStore, owner: str, credits: dict[str, float]) -> None:
    day = NOW.date() - timedelta(days=1)
    rows = [
        {"user_id": i, "user_login": login, "day": str(day), "ai_credits_used": used}
        for i, (login, used) in enumerate(credits.items(), start=1)
    ]
    store.set_report("users-1-day", owner, day, rows)


def test_per_user_spend_is_bounded_by_top_users_ranked_by_the_usage_reports(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    acme(store)
    users_report(store, "enterprises/acme", {"alice": 9.5, "bob": 1.0, "carol": 4.0, "dan": 0})
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock, billing={"top_users": 2})
    exporter.refresh_billing_now()
    exporter.refresh_billing_now()  # the ranking is read once per report day
    body = scrape(exporter).text
    per_user = [r.query.get("user") for r in billing_requests(github, USAGE) if "user" in r.query]
    # the two with the most credits, one request each per refresh (asked at once: any order)
    assert sorted(per_user) == ["alice", "alice", "carol", "carol"]
    ranking = [r for r in github.requests if r.path.endswith("/users-1-day")]
    assert len(ranking) == 1
    by_user = m.AI_CREDITS_BY_USER
    assert spend_of(body, by_user, user="alice", model=SONNET) == 40.5
    assert spend_of(body, by_user, user="alice", model=HAIKU) == 50.0
    assert spend_of(body, by_user, user="carol", model=SONNET) == 10.0
    assert spend_of(body, by_user, user="bob") is None, "not among the top 2"


def test_a_403_on_the_user_filter_stops_per_user_requests_of_that_scope(
    store: StaticStore,
    github: FakeGitHub,
    make_exporter: ExporterFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    acme(store)
    users_report(store, "orgs/octo", {"alice": 3.0})
    exporter = make_exporter([{"org": "octo"}], clock=clock, billing={"top_users": 5})
    caplog.set_level(logging.WARNING)
    exporter.refresh_billing_now()
    exporter.refresh_billing_now()
    body = scrape(exporter).text
    asked = [r for r in billing_requests(github, USAGE) if "user" in r.query]
    assert [r.status for r in asked] == [403], "asked once, never again until a restart"
    assert spend_of(body, m.BILLING_UP, scope="octo") == 1, "the organization's spend is fine"
    assert spend_of(body, m.AI_CREDITS, scope="octo", model=HAIKU) == 50.0
    assert spend_of(body, m.AI_CREDITS_BY_USER) is None
    [warning] = [r for r in caplog.records if "filtered by user" in r.getMessage()]
    assert "through the enterprise scope" in warning.getMessage()


def test_cost_centers_one_request_each_active_ones_only(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    spend = acme(store)
    spend.add_cost_center("acme", "cc-1", "Platform", orgs=["octo"])
    spend.add_cost_center("acme", "cc-2", "Data & ML", users=["bob"])
    spend.add_cost_center("acme", "cc-3", "Gone", users=["alice"], state="deleted")
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock, billing={"cost_centers": True})
    exporter.refresh_billing_now()
    body = scrape(exporter).text
    asked = sorted(r.query.get("cost_center_id", "") for r in billing_requests(github, USAGE))
    assert asked == ["", "cc-1", "cc-2"], "the whole, then each active cost center"
    centers = m.AI_CREDITS_BY_COST_CENTER
    assert spend_of(body, centers, cost_center="Platform", model=SONNET) == 50.5
    assert spend_of(body, centers, cost_center="Platform", model=HAIKU) == 50.0
    assert spend_of(body, centers, cost_center="Data & ML", model=GPT) == 30.25
    assert spend_of(body, centers, cost_center="Gone") is None


def test_budgets_with_consumption_where_github_reports_it(
    store: StaticStore, github: FakeGitHub, make_exporter: ExporterFactory
) -> None:
    spend = acme(store)
    spend.add_budget("acme", amount=0.25, scope="enterprise", ident="ent")
    spend.add_budget("acme", amount=5.0, scope="organization", target="hub", ident="hub")
    spend.add_budget("acme", amount=1.0, scope="user", target="alice", ident="alice")
    spend.add_budget("acme", amount=7.0, scope="repository", target="octo/api",
                     ident="repo", report_consumed=False)  # fmt: skip
    for n in range(120):  # more than a page
        spend.add_raw_budget("acme", {"id": f"actions-{n}", "budget_product_sku": "actions"})
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock)
    exporter.refresh_billing_now()
    body = scrape(exporter).text
    pages = [r.query.get("page") for r in github.requests if r.path.endswith("/budgets")]
    assert pages == ["1", "2"]
    amount, consumed = m.BUDGET_AMOUNT, m.BUDGET_CONSUMED
    assert spend_of(body, amount, budget="ent", budget_scope="enterprise", target="acme") == 0.25
    # Consumed: the billed (net) dollars of the target this month.
    assert spend_of(body, consumed, budget="ent") == pytest.approx(0.3075)
    assert spend_of(body, consumed, budget="hub", target="hub") == 0
    assert spend_of(body, amount, budget="repo", budget_scope="repository") == 7.0
    assert spend_of(body, consumed, budget="repo") is None, "not reported, not invented"
    assert spend_of(body, amount, budget="alice") is None, "no user label by default"
    assert "actions-" not in body


def test_the_landing_page_has_a_billing_column(
    store: StaticStore, make_exporter: ExporterFactory
) -> None:
    acme(store)
    exporter = make_exporter([{"enterprise": "acme"}], clock=clock)
    exporter.refresh_now()
    exporter.refresh_billing_now()
    page = scrape(exporter, "/").text
    assert "<th>Billing</th>" in page
    row = next(line for line in page.splitlines() if "<td>acme</td>" in line)
    assert row.endswith("<td>up</td></tr>")


# --------------------------------------------------------------------------- credentials
@pytest.fixture
def open_github(store: StaticStore) -> Iterator[FakeGitHub]:
    """A fake that takes any credentials, so the test sees which one each request used."""
    with FakeGitHub(store) as fake:
        yield fake


def exporter_with(
    github: FakeGitHub, raw: dict[str, Any], env: dict[str, str], **options: Any
) -> Exporter:
    cfg = config_mod.build(
        {"github": {"api_url": github.api_url, "max_retries": 1}, **raw}, env, "test-config"
    )
    exporter = Exporter(
        cfg, listen=("127.0.0.1", 0), client_options={"backoff": 0.01}, clock=clock, **options
    )
    exporter.serve()
    return exporter


def test_the_billing_endpoints_see_the_billing_token_and_the_rest_the_metrics_token(
    store: StaticStore,
    open_github: FakeGitHub,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    spend = acme(store)
    spend.add_cost_center("acme", "cc-1", "Platform", orgs=["octo"])
    users_report(store, "enterprises/acme", {"alice": 2.0})
    store.set_seats("enterprises/acme", [seat(1, "business", "hub")])
    day = NOW.date() - timedelta(days=1)
    store.set_report("enterprise-1-day", "acme", day, [{"day": str(day), "daily_active_users": 3}])
    # GitHub may echo what it was sent: an error quoting the billing token.
    echo = f'{{"message": "token {BILLING_TOKEN} lacks manage_billing:enterprise"}}'.encode()
    open_github.add_fault(Fault("/budgets", status=403, body=echo))
    token_file = tmp_path / "billing-token"
    token_file.write_text(BILLING_TOKEN + "\n")
    caplog.set_level(logging.DEBUG)
    exporter = exporter_with(
        open_github,
        {
            "scopes": [{"enterprise": "acme"}],
            "github": {"api_url": open_github.api_url, "billing_token_file": str(token_file)},
            "billing": {"top_users": 1, "cost_centers": True},
        },
        {"GITHUB_TOKEN": TOKEN},
    )
    try:
        exporter.refresh_now()
        exporter.refresh_seats_now()
        exporter.refresh_billing_now()
        metrics, page = scrape(exporter).text, scrape(exporter, "/").text
    finally:
        exporter.stop()
    used: dict[str, set[str]] = {"billing": set(), "metrics": set()}
    for request in open_github.requests:
        if request.host == "api":
            kind = "billing" if "/settings/billing/" in request.path else "metrics"
            used[kind].add(request.headers.get("authorization", ""))
    assert used == {"billing": {f"Bearer {BILLING_TOKEN}"}, "metrics": {f"Bearer {TOKEN}"}}
    assert value(metrics, m.AI_CREDITS_BY_USER, user="alice", model=SONNET) == 40.5
    assert value(metrics, m.BUDGET_AMOUNT) is None, "the budgets part failed"
    # Each token's rate limit is its own window.
    assert value(metrics, "github_copilot_rate_limit_remaining", resource="billing_core")
    assert value(metrics, "github_copilot_rate_limit_remaining", resource="core")
    logs = "\n".join(LogfmtFormatter().format(r) for r in caplog.records)
    assert "budgets of acme left out" in logs
    for secret in (TOKEN, BILLING_TOKEN):
        for where, text in (("logs", logs), ("metrics", metrics), ("page", page)):
            assert secret not in text, f"a token in the {where}"
    assert "token <redacted>" in logs or "<redacted>" in logs


def test_without_a_billing_token_the_billing_endpoints_use_the_metrics_token(
    store: StaticStore, open_github: FakeGitHub
) -> None:
    acme(store)
    exporter = exporter_with(
        open_github, {"scopes": [{"enterprise": "acme"}]}, {"GITHUB_TOKEN": TOKEN}
    )
    try:
        assert exporter.billing_client is exporter.client
        exporter.refresh_billing_now()
    finally:
        exporter.stop()
    billed = billing_requests(open_github)
    assert billed and {r.headers["authorization"] for r in billed} == {f"Bearer {TOKEN}"}


def test_a_github_app_reads_organization_billing_with_its_installation_token(
    store: StaticStore, app_key: AppKey, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    key_file = tmp_path / "app.pem"
    key_file.write_bytes(app_key.pem)
    spend = book(store)
    spend.add_organization("octo", 10.0)
    spend.add_enterprise("acme", 10.0)
    spend.charge(Charge(july(2), "alice", "octo", GPT, 12.5))
    store.add_owner("orgs/octo")  # the App is installed on it
    with FakeGitHub(store, token=TOKEN, app_public_key_pem=app_key.public, app_id=77) as fake:
        exporter = exporter_with(
            fake,
            {
                "scopes": [{"org": "octo"}, {"enterprise": "acme"}],
                "github": {
                    "api_url": fake.api_url,
                    "app": {"app_id": 77, "private_key_file": str(key_file)},
                },
            },
            {},
        )
        try:
            exporter.refresh_billing_now()
            body = scrape(exporter).text
        finally:
            exporter.stop()
        tokens = fake.installation_tokens
    assert value(body, f"{m.AI_CREDITS}_billed", scope="octo", model=GPT) == 2.5
    assert value(body, m.BILLING_UP, scope="octo") == 1
    assert len(tokens) == 1
    # Enterprise billing takes no App token: the failure says what does.
    assert value(body, m.BILLING_FAILURE, scope="acme", reason="billing_forbidden") == 1
    [warning] = [r for r in caplog.records if getattr(r, "reason", None) == "billing_forbidden"]
    assert "a GitHub App cannot read the spend of enterprise 'acme'" in warning.getMessage()
    assert "set GITHUB_BILLING_TOKEN" in warning.getMessage()


# --------------------------------------------------------------------------- backfill
RUN_DAY = date(2026, 7, 1)


def backfill_run(argv: list[str]) -> tuple[int, str, str]:
    """``copilot-exporter backfill ARGV`` on RUN_DAY: exit status, summary, stderr."""
    parser = argparse.ArgumentParser(prog="copilot-exporter")
    backfill.add_parser(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    args = parser.parse_args(["backfill", *argv])
    status = backfill.run(
        args, stdout=out, stderr=err, client_options={"backoff": 0.01}, today=RUN_DAY
    )
    return status, out.getvalue(), err.getvalue()


def day_samples(path: Path) -> dict[tuple[str, frozenset[tuple[str, str]]], tuple[float, float]]:
    found = {}
    text = path.read_text(encoding="utf-8")
    for family in openmetrics.text_string_to_metric_families(text):  # type: ignore[no-untyped-call]
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            found[key] = (sample.value, float(sample.timestamp))
    return found


def spend_config(tmp_path: Path, api_url: str, scopes: list[dict[str, str]]) -> Path:
    path = tmp_path / "config.yml"
    raw = {"github": {"api_url": api_url, "max_retries": 0}, "scopes": scopes}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture
def backfill_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    for name in ("COPILOT_EXPORTER_CONFIG", "COPILOT_EXPORTER_SCOPES", "GITHUB_BILLING_TOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("backfill_env")
def test_backfill_writes_month_to_date_spend_as_of_each_day_across_the_switch_to_credits(
    store: StaticStore, github: FakeGitHub, tmp_path: Path
) -> None:
    spend = book(store)
    spend.add_enterprise("acme", lambda year, month: 10.0 if month == 5 else 100.0)
    spend.add_organization("octo", enterprise="acme")
    spend.add_organization("sub", enterprise="acme", billed_through_enterprise=True)
    spend.charge(
        Charge(date(2026, 5, 3), "alice", "octo", SONNET, 8),  # before --from, same month
        Charge(date(2026, 5, 31), "alice", "octo", SONNET, 4),
        Charge(date(2026, 6, 1), "bob", "octo", GPT, 60.5),
        Charge(date(2026, 6, 2), "bob", "octo", GPT, 50),
    )
    config = spend_config(tmp_path, github.api_url, [{"enterprise": "acme"}, {"org": "sub"}])
    out = tmp_path / "out"
    argv = ["--config.file", str(config), "--from", "2026-05-31", "--to", "2026-06-02"]
    argv += ["--output", str(out), "--label", "job=copilot", "--label", "instance=e:9185"]
    status, summary, err = backfill_run([*argv, "--billing", "only"])
    assert status == 0, summary + err
    assert sorted(p.name for p in out.iterdir()) == [
        "2026-05-31.billing.om",
        "2026-06-01.billing.om",
        "2026-06-02.billing.om",
    ], "spend only: no report day files"
    assert "spend: 3 days asked, 3 written" in summary
    assert "no bill of its own" in summary, "the organization billed through its enterprise"
    asked = [r for r in github.requests if r.path.startswith("/enterprises/acme/settings/billing")]
    assert not [r for r in github.requests if "/copilot/metrics/" in r.path]
    premium = sorted(int(r.query["day"]) for r in asked if "premium_request" in r.path)
    assert premium == list(range(1, 32)), "May's days up to the 31st, each asked once"
    credits = sorted(
        int(r.query["day"]) for r in asked if "ai_credit" in r.path and r.status == 200
    )
    assert credits == [1, 2], "June 1 is asked once for both June days"
    base = {
        ("job", "copilot"),
        ("instance", "e:9185"),
        ("scope_type", "enterprise"),
        ("scope", "acme"),
    }

    def at(day: str, name: str, **labels: str) -> tuple[float, float]:
        return day_samples(out / f"{day}.billing.om")[(name, frozenset(base | set(labels.items())))]

    may = {"model": SONNET, "sku": "Copilot Premium Request"}
    stamp = datetime(2026, 6, 1, 0, 0, 1, tzinfo=UTC).timestamp()
    assert at("2026-05-31", m.AI_CREDITS, **may) == (12.0, stamp), "stamped like usage days"
    assert at("2026-05-31", f"{m.AI_CREDITS}_included", **may)[0] == 10.0
    assert at("2026-05-31", f"{m.AI_CREDITS}_billed_usd", **may)[0] == pytest.approx(0.08)
    assert (
        at("2026-05-31", m.BILLING_MONTH_START)[0] == datetime(2026, 5, 1, tzinfo=UTC).timestamp()
    )
    assert at("2026-05-31", m.BILLING_UP)[0] == 1
    june = {"model": GPT, "sku": SKU}
    assert at("2026-06-01", m.AI_CREDITS, **june)[0] == 60.5
    assert at("2026-06-02", m.AI_CREDITS, **june)[0] == 110.5, "month to date as of the day"
    assert at("2026-06-02", f"{m.AI_CREDITS}_billed", **june)[0] == 10.5
    assert (
        at("2026-06-02", m.BILLING_MONTH_START)[0] == datetime(2026, 6, 1, tzinfo=UTC).timestamp()
    )
    names = {name for name, _ in day_samples(out / "2026-06-02.billing.om")}
    assert m.BILLING_LAST_SUCCESS not in names and "github_copilot_up" not in names
    # A second run finds every day written and asks nothing.
    github.clear_requests()
    status, summary, _ = backfill_run([*argv, "--billing", "only"])
    assert status == 0 and "3 already there" in summary
    assert not [r for r in github.requests if "/settings/billing/" in r.path]


@pytest.mark.usefixtures("backfill_env")
def test_backfill_billing_refuses_days_github_no_longer_keeps(
    github: FakeGitHub, tmp_path: Path
) -> None:
    config = spend_config(tmp_path, github.api_url, [{"enterprise": "acme"}])
    status, _, err = backfill_run(
        ["--config.file", str(config), "--from", "2024-06-30", "--to", "2024-07-02",
         "--output", str(tmp_path / "out"), "--label", "job=c", "--label", "instance=i",
         "--billing"]
    )  # fmt: skip
    assert status == 2
    assert "keeps 24 months of billing usage; the earliest day is 2024-07-01" in err


@pytest.mark.usefixtures("backfill_env")
def test_backfill_billing_failures_make_the_day_partial_and_the_exit_status_1(
    store: StaticStore, github: FakeGitHub, tmp_path: Path
) -> None:
    acme(store)
    book(store).add_organization("solo", 5.0)
    book(store).charge(Charge(july(1), "zoe", "solo", GPT, 1.0))
    github.add_fault(Fault("/enterprises/acme/settings/billing/", status=403))
    config = spend_config(tmp_path, github.api_url, [{"enterprise": "acme"}, {"org": "solo"}])
    out = tmp_path / "out"
    status, summary, _ = backfill_run(
        ["--config.file", str(config), "--from", "2026-06-29", "--to", "2026-06-30",
         "--output", str(out), "--label", "job=c", "--label", "instance=i", "--billing", "only"]
    )  # fmt: skip
    assert status == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "2026-06-29.billing.partial.om",
        "2026-06-30.billing.partial.om",
    ]
    assert "billing_forbidden" in summary and "GITHUB_BILLING_TOKEN" in summary


@pytest.mark.integration
@pytest.mark.usefixtures("backfill_env")
def test_promtool_turns_backfilled_spend_into_blocks(
    store: StaticStore, github: FakeGitHub, tmp_path: Path
) -> None:
    promtool = prom.require_promtool()
    acme(store)
    config = spend_config(tmp_path, github.api_url, [{"enterprise": "acme"}])
    merged = tmp_path / "all.om"
    status, summary, err = backfill_run(
        ["--config.file", str(config), "--from", "2026-06-28", "--to", "2026-06-30",
         "--output", str(tmp_path / "out"), "--label", "job=c", "--label", "instance=i",
         "--billing", "only", "--merge", str(merged)]
    )  # fmt: skip
    assert status == 0, summary + err
    blocks = subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(merged), str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert blocks.returncode == 0, blocks.stdout + blocks.stderr
    assert list((tmp_path / "b").iterdir()), "no block written"


def test_check_config_says_how_spend_is_read_without_showing_the_token() -> None:
    from exporter.cli import describe

    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_BILLING_TOKEN": BILLING_TOKEN}
    raw: dict[str, Any] = {"scopes": [{"enterprise": "acme"}], "billing": {"top_users": 20}}
    text = describe(config_mod.build(raw, env))
    assert "spend: every 3600s with its own token, with budgets, top 20 users" in text
    assert BILLING_TOKEN not in text and TOKEN not in text
    off = describe(
        config_mod.build({**raw, "billing": {"enabled": False}}, {"GITHUB_TOKEN": TOKEN})
    )
    assert "spend: off (billing.enabled: false)" in off
