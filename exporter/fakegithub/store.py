"""What the fake GitHub serves, kept apart from how it is served.

A store answers in GitHub's own shapes (report file bytes, legacy day objects, seat
objects); the server adds HTTP, auth, pagination, signed links and faults on top. Tests
fill a `StaticStore` by hand; demos and benchmarks use the `SimulatedStore`.
"""

from __future__ import annotations

import json
import re
import threading
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, Protocol

from exporter.fakegithub.billing import SpendBook

ENTITY_1DAY_KINDS = ("enterprise-1-day", "organization-1-day")
ENTITY_28DAY_KINDS = ("enterprise-28-day", "organization-28-day")
ENTITY_KINDS = ENTITY_1DAY_KINDS + ENTITY_28DAY_KINDS
USER_KINDS = ("users-1-day", "user-teams-1-day")
REPOS_KIND = "repos-1-day"
#: Kinds both owner types offer: their owner is given as a path.
SHARED_KINDS = (*USER_KINDS, REPOS_KIND)
KINDS = ENTITY_KINDS + SHARED_KINDS
#: Kinds whose missing day GitHub answers with 204 ("no data"), not 404.
NO_DATA_KINDS = frozenset({"organization-1-day", REPOS_KIND})

#: Which report kinds each owner type offers, as the URL spells the owner type.
KINDS_BY_OWNER_TYPE: Mapping[str, frozenset[str]] = {
    "enterprises": frozenset({"enterprise-1-day", "enterprise-28-day", *SHARED_KINDS}),
    "orgs": frozenset({"organization-1-day", "organization-28-day", *SHARED_KINDS}),
}

Format = Literal["ndjson", "array", "object"]
LegacyStatus = Literal["enabled", "policy_disabled", "closed"]
JsonObject = Mapping[str, Any]

_OWNER_RE = re.compile(r"(orgs|enterprises)/([^/]+)(?:/team/([^/]+))?")


def split_owner(owner_path: str) -> tuple[str, str, str | None]:
    """("orgs"|"enterprises", name, team slug or None) for an owner path, or ValueError."""
    match = _OWNER_RE.fullmatch(owner_path)
    if match is None:
        raise ValueError(
            f"owner path {owner_path!r}: expected 'orgs/ORG', 'orgs/ORG/team/TEAM', "
            "'enterprises/ENT' or 'enterprises/ENT/team/TEAM'"
        )
    return match.group(1), match.group(2), match.group(3)


def report_owner(kind: str, owner: str) -> str:
    """The owner path a report of `kind` is filed under.

    Entity kinds imply their owner type, so a bare name is enough there; users, user-teams
    and repos reports exist for both owner types and need the path to be unambiguous.
    """
    if kind not in KINDS:
        raise ValueError(f"report kind {kind!r}: expected one of {', '.join(KINDS)}")
    if "/" not in owner:
        if kind in SHARED_KINDS:
            raise ValueError(
                f"{kind} exists for enterprises and orgs: give the owner as "
                f"'orgs/{owner}' or 'enterprises/{owner}'"
            )
        owner = ("enterprises/" if kind.startswith("enterprise") else "orgs/") + owner
    owner_type, _, team = split_owner(owner)
    if team is not None or kind not in KINDS_BY_OWNER_TYPE[owner_type]:
        raise ValueError(f"{owner!r} has no {kind} report")
    return owner


def stable_id(*parts: object) -> int:
    """A small id that stays the same across runs (Python's hash() is salted per process)."""
    return 100_000 + zlib.crc32("/".join(map(str, parts)).encode()) % 900_000


def as_day(day: date | str) -> date:
    return day if isinstance(day, date) else date.fromisoformat(day)


class LazyPart:
    """A report file part generated on its first download and kept afterwards.

    Big simulated files are produced as a stream of byte chunks so the first download can
    start at once, and cost memory once; a concurrent download waits for the first one.
    """

    def __init__(self, produce: Callable[[], Iterator[bytes]]) -> None:
        self._produce = produce
        self._lock = threading.Lock()
        self._data: bytes | None = None

    @property
    def cached(self) -> bytes | None:
        return self._data

    def stream(self) -> Iterator[bytes]:
        with self._lock:
            if self._data is None:
                chunks: list[bytes] = []
                for chunk in self._produce():
                    chunks.append(chunk)
                    yield chunk
                self._data = b"".join(chunks)
                return
        yield self._data

    def read(self) -> bytes:
        return b"".join(self.stream())


ReportPart = bytes | LazyPart


@dataclass(frozen=True)
class ReportFile:
    """One report as GitHub publishes it: the file parts behind its download links."""

    parts: tuple[ReportPart, ...]
    start_day: date
    end_day: date


class ReportStore(Protocol):
    """Everything the server needs to know; owners are paths like 'orgs/octo'."""

    def owners(self) -> frozenset[str]:
        """Known owner paths, teams included: unknown ones answer 404."""
        ...

    def report(self, kind: str, owner: str, day: date | None) -> ReportFile | None:
        """The report, or None when that day has no data (yet); day None means latest."""
        ...

    def legacy_status(self, owner: str) -> LegacyStatus | None:
        """How the legacy metrics endpoint behaves for owner; None for unknown."""
        ...

    def legacy_days(self, owner: str) -> Sequence[JsonObject]:
        """The legacy day objects for an owner whose status is 'enabled'."""
        ...

    def billing(self, org: str) -> JsonObject | None:
        """`/orgs/{org}/copilot/billing` body; org is the bare login."""
        ...

    def seats(self, owner: str) -> Sequence[JsonObject] | None:
        """All seat objects of 'orgs/X' or 'enterprises/X'; None for unknown."""
        ...

    def spend(self) -> SpendBook | None:
        """The bill behind the billing endpoints (AI credits, budgets, cost centers)."""
        ...


# --- file encoding ------------------------------------------------------------------------


def dumps_line(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def entity_wrapper(
    kind: str, owner: str, start: date, end: date, day_totals: Sequence[JsonObject], **extra: object
) -> dict[str, Any]:
    """The object GitHub wraps entity day records in.

    Ids are taken from the records when they carry them, so hand-written test data stays
    coherent, and derived from the owner name otherwise.
    """
    owner_type, name, _ = split_owner(owner)
    first = day_totals[0] if day_totals else {}
    wrapper: dict[str, Any] = {"day_totals": list(day_totals)}
    if owner_type == "enterprises":
        wrapper["enterprise_id"] = str(first.get("enterprise_id", stable_id("ent", name)))
    else:
        wrapper["organization_id"] = str(first.get("organization_id", stable_id("org", name)))
        if "enterprise_id" in first:
            wrapper["enterprise_id"] = str(first["enterprise_id"])
    wrapper["report_start_day"] = start.isoformat()
    wrapper["report_end_day"] = end.isoformat()
    wrapper["created_at"] = f"{end + timedelta(days=1)}T06:00:00Z"
    wrapper.update(extra)
    return wrapper


def encode_report(
    kind: str, owner: str, start: date, end: date, records: Sequence[JsonObject], fmt: Format
) -> bytes:
    """A report file in one of the three shapes real files come in."""
    if kind in ENTITY_KINDS:
        if fmt == "object":
            return _pretty(entity_wrapper(kind, owner, start, end, records))
        # GitHub's entity files hold one wrapper per day record.
        rows: Sequence[JsonObject] = [entity_wrapper(kind, owner, start, end, [r]) for r in records]
    else:
        rows = records
    if fmt == "ndjson":
        return "".join(dumps_line(r) + "\n" for r in rows).encode()
    if fmt == "array":
        return _pretty(list(rows))
    if fmt == "object":
        if len(rows) != 1:
            raise ValueError(f"fmt='object' holds exactly one {kind} record; got {len(rows)}")
        return _pretty(rows[0])
    raise ValueError(f"fmt {fmt!r}: expected 'ndjson', 'array' or 'object'")


def _pretty(obj: object) -> bytes:
    return (json.dumps(obj, indent=2) + "\n").encode()


def split_lines(body: bytes, parts: int) -> tuple[bytes, ...]:
    """`parts` consecutive chunks cut on line boundaries (some empty if lines run out)."""
    lines = body.splitlines(keepends=True)
    n = len(lines)
    return tuple(b"".join(lines[k * n // parts : (k + 1) * n // parts]) for k in range(parts))


def split_bytes(body: bytes, parts: int) -> tuple[bytes, ...]:
    n = len(body)
    return tuple(body[k * n // parts : (k + 1) * n // parts] for k in range(parts))


# --- the hand-filled store ----------------------------------------------------------------


class StaticStore:
    """A store tests fill explicitly; every owner mentioned in a setter becomes known."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owners: set[str] = set()
        self._reports: dict[tuple[str, str, date], ReportFile] = {}
        self._legacy: dict[str, list[JsonObject]] = {}
        self._legacy_status: dict[str, LegacyStatus] = {}
        self._billing: dict[str, JsonObject] = {}
        self._seats: dict[str, list[JsonObject]] = {}
        self._spend = SpendBook()

    # setters

    def add_owner(self, owner_path: str) -> None:
        """Make an owner known without data: its reports answer 404 (204 for org 1-day and
        repos)."""
        split_owner(owner_path)
        with self._lock:
            self._owners.add(owner_path)

    def set_report(
        self,
        kind: str,
        owner: str,
        day: date | str,
        records: Sequence[JsonObject],
        *,
        fmt: Format = "ndjson",
        parts: int = 1,
    ) -> None:
        """File a report; for 28-day kinds `day` is its last day.

        records are rows for user kinds and day_totals entries for entity kinds; with
        parts > 1 the file is cut on line boundaries so the parts concatenate to it.
        """
        path = report_owner(kind, owner)
        start, end = self._window(kind, as_day(day))
        body = encode_report(kind, path, start, end, records, fmt)
        self._put(kind, path, end, ReportFile(split_lines(body, _check_parts(parts)), start, end))

    def set_raw_report(
        self, kind: str, owner: str, day: date | str, body: bytes, *, parts: int = 1
    ) -> None:
        """File exact bytes, cut into `parts` consecutive byte chunks (not line-aware)."""
        path = report_owner(kind, owner)
        start, end = self._window(kind, as_day(day))
        self._put(kind, path, end, ReportFile(split_bytes(body, _check_parts(parts)), start, end))

    def set_legacy(self, owner_path: str, days: Sequence[JsonObject]) -> None:
        split_owner(owner_path)
        with self._lock:
            self._owners.add(owner_path)
            self._legacy[owner_path] = list(days)
            self._legacy_status.setdefault(owner_path, "enabled")

    def set_legacy_status(self, owner_path: str, status: LegacyStatus) -> None:
        """'policy_disabled' answers 422, 'closed' 404 (GitHub since 2026-04-02)."""
        split_owner(owner_path)
        if status not in ("enabled", "policy_disabled", "closed"):
            raise ValueError(
                f"legacy status {status!r}: expected 'enabled', 'policy_disabled' or 'closed'"
            )
        with self._lock:
            self._owners.add(owner_path)
            self._legacy_status[owner_path] = status

    def set_billing(self, org: str, billing: JsonObject) -> None:
        path = org if org.startswith("orgs/") else f"orgs/{org}"
        split_owner(path)
        with self._lock:
            self._owners.add(path)
            self._billing[path] = billing

    def set_seats(self, owner_path: str, seats: Sequence[JsonObject]) -> None:
        if split_owner(owner_path)[2] is not None:
            raise ValueError(f"{owner_path!r}: seats belong to an org or an enterprise")
        with self._lock:
            self._owners.add(owner_path)
            self._seats[owner_path] = list(seats)

    @staticmethod
    def _window(kind: str, day: date) -> tuple[date, date]:
        return (day - timedelta(days=27), day) if kind in ENTITY_28DAY_KINDS else (day, day)

    def _put(self, kind: str, owner: str, day: date, report: ReportFile) -> None:
        with self._lock:
            self._owners.add(owner)
            self._reports[(kind, owner, day)] = report

    # ReportStore

    def owners(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._owners)

    def report(self, kind: str, owner: str, day: date | None) -> ReportFile | None:
        with self._lock:
            if day is not None:
                return self._reports.get((kind, owner, day))
            days = [d for (k, o, d) in self._reports if k == kind and o == owner]
            return self._reports[(kind, owner, max(days))] if days else None

    def legacy_status(self, owner: str) -> LegacyStatus | None:
        with self._lock:
            return self._legacy_status.get(owner)

    def legacy_days(self, owner: str) -> Sequence[JsonObject]:
        with self._lock:
            return list(self._legacy.get(owner, ()))

    def billing(self, org: str) -> JsonObject | None:
        with self._lock:
            return self._billing.get(f"orgs/{org}")

    def seats(self, owner: str) -> Sequence[JsonObject] | None:
        with self._lock:
            seats = self._seats.get(owner)
            return None if seats is None else list(seats)

    def spend(self) -> SpendBook:
        """The bill; empty at first (every billing endpoint answers 404): fill it in place."""
        return self._spend


def _check_parts(parts: int) -> int:
    if parts < 1:
        raise ValueError(f"parts={parts}: a report has at least one part")
    return parts
