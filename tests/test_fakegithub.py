"""The fake GitHub through real loopback HTTP: what the exporter's client will meet."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from exporter.fakegithub import FakeGitHub, Fault, SimulatedStore, StaticStore
from exporter.fakegithub.simulate import COUNTERS, COUNTERS_6

TOKEN = "t0ken"
DAY = date(2026, 3, 9)
TODAY = date(2026, 3, 10)
REPORTS = "/copilot/metrics/reports"


def _user(user_id: int, login: str, generations: int = 10) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "user_login": login,
        "day": DAY.isoformat(),
        "code_generation_activity_count": generations,
    }


def _entity(day: date = DAY, users: int = 3) -> dict[str, Any]:
    return {"day": day.isoformat(), "organization_id": "77", "daily_active_users": users}


@pytest.fixture
def store() -> StaticStore:
    store = StaticStore()
    store.set_report("organization-1-day", "octo", DAY, [_entity()])
    store.set_report(
        "users-1-day", "orgs/octo", DAY, [_user(1, "ann"), _user(2, "bob"), _user(3, "cy")]
    )
    return store


@pytest.fixture
def gh(store: StaticStore) -> Iterator[FakeGitHub]:
    with FakeGitHub(store, token=TOKEN) as fake:
        yield fake


@pytest.fixture
def api(gh: FakeGitHub) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=gh.api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ) as client:
        yield client


def _download(api: httpx.Client, path: str, **params: str) -> list[bytes]:
    """The two steps: ask the API for links, then fetch each without credentials."""
    answer = api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return [
        httpx.get(link, timeout=5).raise_for_status().content
        for link in answer.json()["download_links"]
    ]


def _ndjson(body: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in body.splitlines() if line.strip()]


# --- auth and headers ---------------------------------------------------------------------


def test_api_refuses_missing_or_wrong_credentials(gh: FakeGitHub) -> None:
    url = f"{gh.api_url}/orgs/octo{REPORTS}/organization-1-day?day={DAY}"
    assert httpx.get(url).status_code == 401
    wrong = httpx.get(url, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Bad credentials"
    assert httpx.get(url, headers={"Authorization": f"token {TOKEN}"}).status_code == 200


def test_any_credentials_pass_when_no_token_is_set(store: StaticStore) -> None:
    with FakeGitHub(store, token=None) as fake:
        answer = httpx.get(
            f"{fake.api_url}/orgs/octo{REPORTS}/organization-1-day", params={"day": DAY.isoformat()}
        )
    assert answer.status_code == 200


def test_every_api_answer_carries_rate_limit_headers(api: httpx.Client) -> None:
    first = api.get("/orgs/nobody/copilot/billing")
    second = api.get(f"/orgs/octo{REPORTS}/organization-1-day", params={"day": str(DAY)})
    assert first.status_code == 404
    assert first.headers["x-ratelimit-limit"] == "5000"
    assert first.headers["x-ratelimit-resource"] == "core"
    assert (
        int(second.headers["x-ratelimit-remaining"])
        == int(first.headers["x-ratelimit-remaining"]) - 1
    )
    assert second.headers["x-ratelimit-used"] == "2"
    assert int(second.headers["x-ratelimit-reset"]) > time.time()
    assert first.headers["x-github-request-id"] != second.headers["x-github-request-id"]
    assert second.headers["content-type"] == "application/json; charset=utf-8"


def test_requests_are_recorded_with_lower_case_headers(gh: FakeGitHub, api: httpx.Client) -> None:
    api.get(
        f"/orgs/octo{REPORTS}/users-1-day",
        params={"day": str(DAY)},
        headers={"X-GitHub-Api-Version": "2026-03-10"},
    )
    [seen] = gh.requests
    assert (seen.host, seen.method, seen.path, seen.status) == (
        "api",
        "GET",
        f"/orgs/octo{REPORTS}/users-1-day",
        200,
    )
    assert seen.query == {"day": str(DAY)}
    assert seen.headers["x-github-api-version"] == "2026-03-10"


def test_unchanged_answer_is_304_and_costs_no_rate_limit(
    api: httpx.Client, store: StaticStore
) -> None:
    store.set_billing("octo", {"seat_breakdown": {"total": 3}})
    first = api.get("/orgs/octo/copilot/billing")
    again = api.get("/orgs/octo/copilot/billing", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["x-ratelimit-used"] == first.headers["x-ratelimit-used"]


# --- usage-metrics reports ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["ndjson", "array", "object"])
def test_entity_report_downloads_in_each_format(
    fmt: str, api: httpx.Client, store: StaticStore
) -> None:
    store.set_report("enterprise-1-day", "acme", DAY, [_entity()], fmt=fmt)  # type: ignore[arg-type]
    [body] = _download(api, f"/enterprises/acme{REPORTS}/enterprise-1-day", day=str(DAY))
    if fmt == "ndjson":
        [wrapper] = _ndjson(body)
    elif fmt == "array":
        assert body.count(b"\n") > 5  # pretty-printed over many lines
        [wrapper] = json.loads(body)
    else:
        wrapper = json.loads(body)
    assert wrapper["day_totals"] == [_entity()]
    assert wrapper["report_start_day"] == wrapper["report_end_day"] == str(DAY)
    assert "enterprise_id" in wrapper


@pytest.mark.parametrize("fmt", ["ndjson", "array", "object"])
def test_users_report_downloads_in_each_format(
    fmt: str, api: httpx.Client, store: StaticStore
) -> None:
    rows = [_user(9, "solo")]
    store.set_report("users-1-day", "enterprises/acme", DAY, rows, fmt=fmt)  # type: ignore[arg-type]
    [body] = _download(api, f"/enterprises/acme{REPORTS}/users-1-day", day=str(DAY))
    parsed = _ndjson(body) if fmt == "ndjson" else json.loads(body)
    assert parsed == (rows[0] if fmt == "object" else rows)


def test_object_format_refuses_several_user_rows(store: StaticStore) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        store.set_report(
            "users-1-day", "orgs/octo", DAY, [_user(1, "a"), _user(2, "b")], fmt="object"
        )


def test_user_reports_need_an_owner_path(store: StaticStore) -> None:
    with pytest.raises(ValueError, match="orgs/octo"):
        store.set_report("users-1-day", "octo", DAY, [])


@pytest.mark.parametrize("fmt", ["ndjson", "array"])
def test_report_parts_concatenate_to_the_whole_file(
    fmt: str, api: httpx.Client, store: StaticStore
) -> None:
    rows = [_user(i, f"user{i}", i) for i in range(10)]
    store.set_report("users-1-day", "orgs/octo", DAY, rows, fmt=fmt, parts=3)  # type: ignore[arg-type]
    parts = _download(api, f"/orgs/octo{REPORTS}/users-1-day", day=str(DAY))
    assert len(parts) == 3
    assert all(part.endswith(b"\n") for part in parts)
    whole = b"".join(parts)
    assert (_ndjson(whole) if fmt == "ndjson" else json.loads(whole)) == rows
    if fmt == "ndjson":
        assert [row for part in parts for row in _ndjson(part)] == rows


def test_raw_report_parts_are_exact_byte_chunks(api: httpx.Client, store: StaticStore) -> None:
    body = b'{"user_id": 1}\n{"user_id": 2}\n{"user_id"'
    store.set_raw_report("users-1-day", "orgs/octo", DAY, body, parts=3)
    parts = _download(api, f"/orgs/octo{REPORTS}/users-1-day", day=str(DAY))
    assert len(parts) == 3
    assert b"".join(parts) == body


def test_latest_28_day_report_gives_its_window(api: httpx.Client, store: StaticStore) -> None:
    days = [DAY - timedelta(days=n) for n in range(27, -1, -1)]
    store.set_report("organization-28-day", "octo", DAY, [_entity(d) for d in days])
    answer = api.get(f"/orgs/octo{REPORTS}/organization-28-day/latest")
    assert answer.json()["report_start_day"] == str(days[0])
    assert answer.json()["report_end_day"] == str(DAY)
    [body] = _download(api, f"/orgs/octo{REPORTS}/organization-28-day/latest")
    assert [w["day_totals"][0]["day"] for w in _ndjson(body)] == [str(d) for d in days]


def test_known_org_without_the_day_answers_204(api: httpx.Client) -> None:
    answer = api.get(f"/orgs/octo{REPORTS}/organization-1-day", params={"day": "2026-03-08"})
    assert answer.status_code == 204
    assert answer.content == b""


def test_missing_reports_answer_404(api: httpx.Client) -> None:
    def status(path: str, day: str = str(DAY)) -> int:
        return api.get(path, params={"day": day}).status_code

    assert status(f"/orgs/ghost{REPORTS}/organization-1-day") == 404
    assert status(f"/orgs/octo{REPORTS}/users-1-day", "2026-03-08") == 404
    assert status(f"/orgs/octo{REPORTS}/user-teams-1-day") == 404
    assert status(f"/orgs/octo{REPORTS}/enterprise-1-day") == 404
    assert status(f"/enterprises/acme{REPORTS}/enterprise-1-day") == 404


@pytest.mark.parametrize("query", [{}, {"day": "yesterday"}, {"day": "2026-02-30"}])
def test_bad_day_answers_422(query: dict[str, str], api: httpx.Client) -> None:
    answer = api.get(f"/orgs/octo{REPORTS}/organization-1-day", params=query)
    assert answer.status_code == 422


def test_expired_or_tampered_links_answer_403(gh: FakeGitHub, api: httpx.Client) -> None:
    [link] = api.get(f"/orgs/octo{REPORTS}/users-1-day", params={"day": str(DAY)}).json()[
        "download_links"
    ]
    assert link.startswith(f"{gh.download_url}/reports/")
    assert httpx.get(link.replace("sig=", "sig=0")).status_code == 403
    assert httpx.get(link.replace("&se=", "&se=9")).status_code == 403
    assert httpx.get(link).status_code == 200
    gh.expire_links()
    expired = httpx.get(link)
    assert expired.status_code == 403
    assert b"AuthenticationFailed" in expired.content
    [fresh] = api.get(f"/orgs/octo{REPORTS}/users-1-day", params={"day": str(DAY)}).json()[
        "download_links"
    ]
    assert httpx.get(fresh).status_code == 200


def test_links_stop_working_after_their_lifetime(store: StaticStore) -> None:
    with FakeGitHub(store, link_ttl=-1) as fake:
        [link] = httpx.get(
            f"{fake.api_url}/orgs/octo{REPORTS}/users-1-day", params={"day": str(DAY)}
        ).json()["download_links"]
        assert httpx.get(link).status_code == 403


def test_download_host_refuses_and_records_an_authorization_header(
    gh: FakeGitHub, api: httpx.Client
) -> None:
    [link] = api.get(f"/orgs/octo{REPORTS}/users-1-day", params={"day": str(DAY)}).json()[
        "download_links"
    ]
    leaked = httpx.get(link, headers={"Authorization": f"Bearer {TOKEN}"})
    assert leaked.status_code == 400
    assert leaked.json()["message"] == "Authorization header not allowed on signed URLs"
    [download] = [r for r in gh.requests if r.host == "download"]
    assert download.headers["authorization"] == f"Bearer {TOKEN}"
    assert download.status == 400
    assert "x-ratelimit-limit" not in leaked.headers


# --- legacy metrics -----------------------------------------------------------------------


def _legacy_days(n: int) -> list[dict[str, Any]]:
    return [
        {"date": str(DAY - timedelta(days=k)), "total_active_users": k}
        for k in range(n - 1, -1, -1)
    ]


def test_legacy_link_headers_lead_through_every_page(api: httpx.Client, store: StaticStore) -> None:
    store.set_legacy("orgs/octo/team/web", _legacy_days(40))
    url: str | None = "/orgs/octo/team/web/copilot/metrics?per_page=7&since=2026-01-01T00:00:00Z"
    seen: list[dict[str, Any]] = []
    pages = 0
    while url:
        answer = api.get(url)
        assert answer.status_code == 200
        seen += answer.json()
        pages += 1
        url = answer.links.get("next", {}).get("url")
        if url:
            assert url.startswith(str(api.base_url).rstrip("/"))
            assert "since=2026-01-01T00%3A00%3A00Z" in url and "per_page=7" in url
    assert pages == 6
    assert seen == _legacy_days(40)
    last = api.get("/orgs/octo/team/web/copilot/metrics?per_page=7&page=6")
    assert set(last.links) == {"prev", "first"}


def test_legacy_filters_on_since_and_until(api: httpx.Client, store: StaticStore) -> None:
    store.set_legacy("enterprises/acme", _legacy_days(10))
    answer = api.get(
        "/enterprises/acme/copilot/metrics",
        params={"since": "2026-03-05T00:00:00Z", "until": "2026-03-07"},
    )
    assert [d["date"] for d in answer.json()] == ["2026-03-05", "2026-03-06", "2026-03-07"]
    assert "link" not in answer.headers


def test_legacy_status_and_limits(api: httpx.Client, store: StaticStore) -> None:
    store.set_legacy("orgs/octo", _legacy_days(3))
    assert len(api.get("/orgs/octo/copilot/metrics").json()) == 3
    assert api.get("/orgs/octo/copilot/metrics", params={"per_page": 101}).status_code == 422
    assert api.get("/orgs/octo/team/nope/copilot/metrics").status_code == 404
    store.set_legacy_status("orgs/octo", "policy_disabled")
    disabled = api.get("/orgs/octo/copilot/metrics")
    assert disabled.status_code == 422
    assert "disabled" in disabled.json()["message"]
    store.set_legacy_status("orgs/octo", "closed")
    closed = api.get("/orgs/octo/copilot/metrics")
    assert closed.status_code == 404
    assert closed.json()["documentation_url"].startswith("https://docs.github.com/")


# --- seats --------------------------------------------------------------------------------


def test_seats_paginate_and_billing_answers(api: httpx.Client, store: StaticStore) -> None:
    seats = [{"assignee": {"login": f"u{i}", "id": i, "type": "User"}} for i in range(120)]
    store.set_seats("enterprises/acme", seats)
    store.set_billing("octo", {"seat_breakdown": {"total": 120}})
    first = api.get("/enterprises/acme/copilot/billing/seats")
    assert first.json()["total_seats"] == 120
    assert len(first.json()["seats"]) == 50
    assert first.links["last"]["url"].endswith("page=3")
    collected = []
    url: str | None = "/enterprises/acme/copilot/billing/seats?per_page=100"
    while url:
        answer = api.get(url)
        collected += answer.json()["seats"]
        url = answer.links.get("next", {}).get("url")
    assert collected == seats
    assert api.get("/orgs/octo/copilot/billing").json() == {"seat_breakdown": {"total": 120}}
    assert api.get("/orgs/octo/copilot/billing/seats").status_code == 404


# --- faults -------------------------------------------------------------------------------


def test_status_fault_applies_the_given_number_of_times(gh: FakeGitHub, api: httpx.Client) -> None:
    gh.add_fault(
        Fault(path_regex=r"/orgs/octo/.*", status=502, times=2, headers={"Retry-After": "1"})
    )
    path = f"/orgs/octo{REPORTS}/organization-1-day?day={DAY}"
    first, second, third = (api.get(path) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (502, 502, 200)
    assert first.headers["retry-after"] == "1"
    assert "x-ratelimit-remaining" in first.headers


def test_rate_limit_fault_overrides_the_headers(gh: FakeGitHub, api: httpx.Client) -> None:
    gh.add_fault(
        Fault(
            path_regex="billing",
            status=403,
            times=1,
            headers={"x-ratelimit-remaining": "0"},
            body=b'{"message":"API rate limit exceeded"}',
        )
    )
    answer = api.get("/orgs/octo/copilot/billing")
    assert (answer.status_code, answer.headers["x-ratelimit-remaining"]) == (403, "0")
    assert answer.json()["message"] == "API rate limit exceeded"


def test_reset_fault_drops_the_connection(gh: FakeGitHub, api: httpx.Client) -> None:
    gh.add_fault(Fault(path_regex="organization-1-day", action="reset", times=1))
    with pytest.raises(httpx.TransportError):
        api.get(f"/orgs/octo{REPORTS}/organization-1-day", params={"day": str(DAY)})
    assert gh.requests[-1].status == 0
    assert (
        api.get(f"/orgs/octo{REPORTS}/organization-1-day", params={"day": str(DAY)}).status_code
        == 200
    )


def test_truncate_fault_cuts_the_download_short(gh: FakeGitHub, api: httpx.Client) -> None:
    [link] = api.get(f"/orgs/octo{REPORTS}/users-1-day", params={"day": str(DAY)}).json()[
        "download_links"
    ]
    gh.add_fault(Fault(path_regex=r"^/reports/", host="download", action="truncate", times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(link)
    assert len(_ndjson(httpx.get(link).content)) == 3


def test_slow_fault_trips_a_read_timeout(gh: FakeGitHub, api: httpx.Client) -> None:
    gh.add_fault(Fault(path_regex="users-1-day", action="slow", delay=0.3, times=1))
    with pytest.raises(httpx.ReadTimeout):
        api.get(
            f"/orgs/octo{REPORTS}/users-1-day",
            params={"day": str(DAY)},
            timeout=httpx.Timeout(5, read=0.1),
        )
    gh.add_fault(Fault(path_regex="users-1-day", action="slow", delay=0.01, times=1))
    slow = api.get(f"/orgs/octo{REPORTS}/users-1-day", params={"day": str(DAY)})
    assert len(slow.json()["download_links"]) == 1


def test_invalid_json_fault_answers_200_with_html(gh: FakeGitHub, api: httpx.Client) -> None:
    gh.add_fault(Fault(path_regex="users-1-day", action="invalid_json", times=1))
    answer = api.get(f"/orgs/octo{REPORTS}/users-1-day", params={"day": str(DAY)})
    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_fault_delay_is_slept_before_answering(gh: FakeGitHub, api: httpx.Client) -> None:
    gh.add_fault(Fault(path_regex="billing", status=503, delay=0.2, times=1))
    started = time.perf_counter()
    assert api.get("/orgs/octo/copilot/billing").status_code == 503
    assert time.perf_counter() - started >= 0.2


# --- GitHub App ---------------------------------------------------------------------------


def test_github_app_jwt_buys_an_installation_token(store: StaticStore) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    now = int(time.time())
    app_jwt = jwt.encode({"iat": now - 60, "exp": now + 540, "iss": "4242"}, key, algorithm="RS256")
    # GitHub also takes the app id as a number (PyJWT only encodes string issuers).
    numeric_iss = jwt.api_jws.encode(
        json.dumps({"iat": now - 60, "exp": now + 540, "iss": 4242}).encode(),
        key,
        algorithm="RS256",
    )
    long_jwt = jwt.encode(
        {"iat": now - 60, "exp": now + 3600, "iss": "4242"}, key, algorithm="RS256"
    )
    other_app = jwt.encode({"iat": now - 60, "exp": now + 540, "iss": "7"}, key, algorithm="RS256")
    with FakeGitHub(store, token=TOKEN, app_public_key_pem=public, app_id=4242) as fake:
        app = httpx.Client(base_url=fake.api_url, headers={"Authorization": f"Bearer {app_jwt}"})
        assert (
            httpx.get(
                f"{fake.api_url}/orgs/octo/installation",
                headers={"Authorization": f"Bearer {long_jwt}"},
            ).status_code
            == 401
        )
        for bad in (TOKEN, other_app):
            assert (
                httpx.get(
                    f"{fake.api_url}/orgs/octo/installation",
                    headers={"Authorization": f"Bearer {bad}"},
                ).status_code
                == 401
            )
        assert (
            httpx.get(
                f"{fake.api_url}/orgs/octo/installation",
                headers={"Authorization": f"Bearer {numeric_iss}"},
            ).status_code
            == 200
        )
        installation = app.get("/orgs/octo/installation").json()
        assert installation["account"]["login"] == "octo"
        minted = app.post(f"/app/installations/{installation['id']}/access_tokens")
        assert minted.status_code == 201
        token = minted.json()["token"]
        assert token.startswith("ghs_")
        assert minted.json()["expires_at"].endswith("Z")
        assert fake.installation_tokens == [token]
        assert app.get("/orgs/octo/copilot/billing").status_code == 401
        answer = httpx.get(
            f"{fake.api_url}/orgs/octo{REPORTS}/organization-1-day",
            params={"day": str(DAY)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200
        assert app.post("/app/installations/1/access_tokens").status_code == 404


# --- simulated data -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim() -> SimulatedStore:
    return SimulatedStore(
        seed=7, orgs=2, teams_per_org=3, enterprise_teams=2, users=90, today=TODAY
    )


def _read(sim: SimulatedStore, kind: str, owner: str, day: date | None = DAY) -> bytes:
    report = sim.report(kind, owner, day)
    assert report is not None
    return b"".join(p if isinstance(p, bytes) else p.read() for p in report.parts)


def test_simulated_names(sim: SimulatedStore) -> None:
    owners = sim.owners()
    assert {
        "enterprises/acme",
        "orgs/acme-web",
        "orgs/acme-data",
        "orgs/acme-web/team/frontend",
        "orgs/acme-data/team/sre",
        "enterprises/acme/team/platform-eng",
        "enterprises/acme/team/data-science",
    } <= owners
    big = SimulatedStore(orgs=6, teams_per_org=10, enterprise_teams=5, users=30, today=TODAY)
    assert "orgs/acme-org-6" in big.owners()
    assert "orgs/acme-infra/team/team-10" in big.owners()
    assert "enterprises/acme/team/ent-team-5" in big.owners()


def test_simulation_is_deterministic_per_seed(sim: SimulatedStore) -> None:
    twin = SimulatedStore(
        seed=7, orgs=2, teams_per_org=3, enterprise_teams=2, users=90, today=TODAY
    )
    other = SimulatedStore(
        seed=8, orgs=2, teams_per_org=3, enterprise_teams=2, users=90, today=TODAY
    )
    for kind, owner in (
        ("users-1-day", "enterprises/acme"),
        ("enterprise-1-day", "enterprises/acme"),
        ("user-teams-1-day", "orgs/acme-web"),
    ):
        assert _read(sim, kind, owner) == _read(twin, kind, owner)
    assert _read(sim, "users-1-day", "enterprises/acme") != _read(
        other, "users-1-day", "enterprises/acme"
    )
    assert sim.seats("orgs/acme-web") == twin.seats("orgs/acme-web")
    assert sim.legacy_days("orgs/acme-web") == twin.legacy_days("orgs/acme-web")


def _sum_entries(entries: list[dict[str, Any]], counters: tuple[str, ...]) -> list[int]:
    return [sum(e[c] for e in entries) for c in counters]


def test_simulated_user_breakdowns_add_up(sim: SimulatedStore) -> None:
    rows = _ndjson(_read(sim, "users-1-day", "orgs/acme-web"))
    assert rows
    for row in rows:
        totals = [row[c] for c in COUNTERS]
        assert _sum_entries(row["totals_by_ide"], COUNTERS) == totals
        assert _sum_entries(row["totals_by_feature"], COUNTERS) == totals
        assert _sum_entries(row["totals_by_model_feature"], COUNTERS) == totals
        for name in ("totals_by_language_feature", "totals_by_language_model"):
            assert _sum_entries(row[name], COUNTERS_6) == totals[1:]
            assert all("user_initiated_interaction_count" not in e for e in row[name])
        entries = [
            row,
            *row["totals_by_ide"],
            *row["totals_by_feature"],
            *row["totals_by_language_feature"],
        ]
        for e in entries:
            assert e["code_acceptance_activity_count"] <= e["code_generation_activity_count"]
            assert e["loc_added_sum"] <= e["loc_suggested_to_add_sum"]
        assert row["organization_id"] and row["etl_id"]
        assert ("totals_by_cli" in row) == row["used_cli"]
    assert any(row["used_agent"] for row in rows)


def test_simulated_entity_totals_are_the_sum_of_users(sim: SimulatedStore) -> None:
    for kind, owner in (
        ("organization-1-day", "orgs/acme-data"),
        ("enterprise-1-day", "enterprises/acme"),
    ):
        [wrapper] = _ndjson(_read(sim, kind, owner))
        [record] = wrapper["day_totals"]
        rows = _ndjson(_read(sim, "users-1-day", owner))
        assert record["daily_active_users"] == len(rows)
        assert record["weekly_active_users"] <= record["monthly_active_users"]
        assert record["daily_active_users"] <= record["weekly_active_users"]
        for counter in COUNTERS:
            assert record[counter] == sum(r[counter] for r in rows), counter
        by_ide: dict[str, int] = {}
        for row in rows:
            for entry in row["totals_by_ide"]:
                by_ide[entry["ide"]] = by_ide.get(entry["ide"], 0) + entry["loc_added_sum"]
        assert {e["ide"]: e["loc_added_sum"] for e in record["totals_by_ide"]} == by_ide
        assert record.get("daily_active_cli_users", 0) == sum(r["used_cli"] for r in rows)
        assert record["daily_active_copilot_code_review_users"] == sum(
            r["used_copilot_code_review_active"] for r in rows
        )
        prs = record["pull_requests"]
        assert prs["total_copilot_suggestions"] == sum(
            t["total_copilot_suggestions"] for t in prs["copilot_suggestions_by_comment_type"]
        )


def test_simulated_team_rows_skip_small_teams(sim: SimulatedStore) -> None:
    rows = _ndjson(_read(sim, "user-teams-1-day", "orgs/acme-web"))
    sizes: dict[str, int] = {}
    for row in rows:
        sizes[row["slug"]] = sizes.get(row["slug"], 0) + 1
        assert set(row) == {"user_id", "user_login", "day", "organization_id", "team_id", "slug"}
    assert sizes and min(sizes.values()) >= 5
    ent_rows = _ndjson(_read(sim, "user-teams-1-day", "enterprises/acme"))
    assert {r["slug"] for r in ent_rows} <= {"platform-eng", "data-science"}
    assert all("enterprise_id" in r for r in ent_rows)


def test_simulated_days_end_at_the_lag(sim: SimulatedStore) -> None:
    assert sim.report("users-1-day", "orgs/acme-web", TODAY) is None
    assert sim.report("users-1-day", "orgs/acme-web", TODAY - timedelta(days=366)) is None
    lagged = SimulatedStore(users=20, orgs=1, today=TODAY, lag_days=2)
    assert lagged.report("organization-1-day", "orgs/acme-web", DAY) is None
    [wrapper, *_] = _ndjson(_read(sim, "organization-28-day", "orgs/acme-web", None))
    assert (wrapper["report_start_day"], wrapper["report_end_day"]) == ("2026-02-10", str(DAY))


def test_simulated_store_served_over_http(sim: SimulatedStore) -> None:
    with FakeGitHub(sim, token=None) as fake, httpx.Client(base_url=fake.api_url) as api:
        users = b"".join(_download(api, f"/enterprises/acme{REPORTS}/users-1-day", day=str(DAY)))
        assert users == _read(sim, "users-1-day", "enterprises/acme")
        assert (
            api.get(
                f"/orgs/acme-web{REPORTS}/organization-1-day", params={"day": str(TODAY)}
            ).status_code
            == 204
        )
        legacy = api.get("/orgs/acme-web/copilot/metrics", params={"per_page": 100}).json()
        assert len(legacy) == 28
        assert legacy[-1]["date"] == str(DAY)
        day = legacy[-1]
        completions = day["copilot_ide_code_completions"]
        assert (
            completions["total_engaged_users"]
            <= day["total_engaged_users"]
            <= day["total_active_users"]
        )
        seats = api.get("/orgs/acme-web/copilot/billing/seats").json()
        billing = api.get("/orgs/acme-web/copilot/billing").json()
        assert seats["total_seats"] == billing["seat_breakdown"]["total"]
        assert any(s["last_activity_at"] is None for s in sim.seats("enterprises/acme") or [])


# --- the surfaces GitHub added later, in the simulation -----------------------------------

LATE_TODAY = date(2026, 11, 27)
LATE_DAY = date(2026, 11, 26)
NEW_USER_FIELDS = {
    "used_copilot_cloud_agent",
    "used_copilot_coding_agent",
    "used_copilot_app",
    "used_vscode_agent",
    "ai_adoption_phase",
    "ai_credits_used",
}
NEW_ENTITY_FIELDS = {
    "daily_active_copilot_cloud_agent_users",
    "weekly_active_copilot_cloud_agent_users",
    "monthly_active_copilot_cloud_agent_users",
    "daily_active_copilot_app_users",
    "daily_active_vscode_agent_users",
    "totals_by_copilot_app",
    "totals_by_vscode_agent",
    "totals_by_3rd_party_agent",
    "totals_by_ai_adoption_phase",
}


@pytest.fixture(scope="module")
def late() -> SimulatedStore:
    return SimulatedStore(seed=5, orgs=2, teams_per_org=2, users=300, today=LATE_TODAY)


def _entity_record(sim: SimulatedStore, owner: str, day: date) -> dict[str, Any]:
    kind = "enterprise-1-day" if owner.startswith("enterprises/") else "organization-1-day"
    [wrapper] = _ndjson(_read(sim, kind, owner, day))
    record: dict[str, Any] = wrapper["day_totals"][0]
    return record


def test_simulated_days_before_each_launch_lack_the_newer_fields(late: SimulatedStore) -> None:
    early = date(2026, 4, 1)
    rows = _ndjson(_read(late, "users-1-day", "orgs/acme-web", early))
    assert rows
    assert not any(NEW_USER_FIELDS & set(row) for row in rows)
    assert not NEW_ENTITY_FIELDS & set(_entity_record(late, "enterprises/acme", early))
    between = date(2026, 7, 1)  # cloud agent and adoption phases, not yet the app
    row = _ndjson(_read(late, "users-1-day", "orgs/acme-web", between))[0]
    assert {"used_copilot_cloud_agent", "ai_adoption_phase", "ai_credits_used"} <= set(row)
    assert "used_copilot_app" not in row and "used_vscode_agent" not in row
    # the older fields of a day are drawn before the newer ones: unchanged by them
    twin = SimulatedStore(seed=5, orgs=2, teams_per_org=2, users=300, today=LATE_TODAY)
    assert _read(twin, "users-1-day", "orgs/acme-web", early) == _read(
        late, "users-1-day", "orgs/acme-web", early
    )


def test_simulated_recent_days_carry_every_newer_field(late: SimulatedStore) -> None:
    rows = _ndjson(_read(late, "users-1-day", "enterprises/acme", LATE_DAY))
    fields = set().union(*rows)
    assert NEW_USER_FIELDS | {"totals_by_copilot_app", "totals_by_3rd_party_agent"} <= fields
    assert {"totals_by_skill", "totals_by_mcp", "distinct_plugin_use_count"} <= fields
    assert any(row["used_copilot_code_review_active"] is None for row in rows)  # null, some
    assert all(row["used_copilot_cloud_agent"] == row["used_copilot_coding_agent"] for row in rows)
    assert all(("totals_by_copilot_app" in row) == row["used_copilot_app"] for row in rows)
    for row in rows:  # plugins are a subset of skills
        plugins = sum(e["interaction_count"] for e in row.get("totals_by_plugin", []))
        skills = sum(e["interaction_count"] for e in row.get("totals_by_skill", []))
        assert plugins <= skills
    names = {e["agent_name"] for row in rows for e in row.get("totals_by_3rd_party_agent", [])}
    assert any('"' in n for n in names) and any(not n.isascii() for n in names)
    record = _entity_record(late, "enterprises/acme", LATE_DAY)
    assert NEW_ENTITY_FIELDS - {
        f"{w}_active_copilot_cloud_agent_users" for w in ("daily", "weekly", "monthly")
    } <= set(record)
    assert record["daily_active_copilot_app_users"] == sum(r["used_copilot_app"] for r in rows)
    phases = record["totals_by_ai_adoption_phase"]
    assert sum(p["total_engaged_users"] for p in phases) == len(rows)
    assert "totals_by_skill" in record["totals_by_cli"]  # entity: inside totals_by_cli
    jobs = {
        e["agent_id"]: e["user_initiated_interaction_count"]
        for e in record["totals_by_3rd_party_agent"]
    }
    for agent_id, count in jobs.items():
        assert count == sum(
            e["user_initiated_interaction_count"]
            for row in rows
            for e in row.get("totals_by_3rd_party_agent", [])
            if e["agent_id"] == agent_id
        )


def test_simulated_cloud_agent_counts_are_null_on_some_days(late: SimulatedStore) -> None:
    counts = [
        _entity_record(late, "orgs/acme-web", LATE_DAY - timedelta(days=back)).get(
            "daily_active_copilot_cloud_agent_users"
        )
        for back in range(21)
    ]
    assert None in counts
    assert any(isinstance(c, int) for c in counts)


def test_simulated_seats_carry_their_last_authentication(late: SimulatedStore) -> None:
    seats = late.seats("enterprises/acme") or []
    assert seats and all("last_authenticated_at" in s for s in seats)
    assert any(s["last_authenticated_at"] is None for s in seats)
    assert any(s["plan_type"] == "unknown" for s in seats)
    for seat in seats:
        if seat["last_activity_at"] and seat["last_authenticated_at"]:
            assert seat["last_authenticated_at"][:10] >= seat["last_activity_at"][:10]
