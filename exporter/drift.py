"""API drift: which fields of GitHub's report records the exporter does not map.

GitHub adds fields to the usage reports without notice (API.md section 5). The exporter
ignores what it does not know, so without this a new surface would go unseen; with it,
``github_copilot_report_unmapped_fields{report,field}`` counts the records carrying each
unknown field, and each newly seen one is logged once.

The known fields are derived from the metric table (what the aggregation maps) plus
:data:`IGNORED`, the fields left out on purpose, each with its reason. A record is checked
against them per distinct set of keys: the answer for one key tuple of a record is worked
out once and cached (which keys are unknown, which known ones hold objects to look into), and
a breakdown entry with nothing to look into costs one subset test of its keys, done in C.
Nothing is compared field by field unless a field is unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Set
from typing import Any

from exporter import metrics as m

log = logging.getLogger(__name__)

ENTITY_KINDS = ("enterprise-1-day", "organization-1-day")
USERS_KIND = "users-1-day"
TEAMS_KIND = "user-teams-1-day"
REPORT_KINDS = (*ENTITY_KINDS, USERS_KIND, TEAMS_KIND, m.REPOS_KIND)

_VERSION = "a version string: one series per release, and nothing to add up"
_ID = "an id: the scope label names the owner"
_PARTITION = "GitHub's storage and pipeline bookkeeping, not usage"
_AVERAGE = "an average of sums the exporter exports (averages do not add up)"

#: Fields left out on purpose, by report group, with the reason (paths as in the metric:
#: ``[]`` for array elements, dots for nested objects).
IGNORED: Mapping[str, Mapping[str, str]] = {
    "all": {
        "day": "the report day; github_copilot_report_day_timestamp_seconds tells it",
        "enterprise_id": _ID,
        "organization_id": _ID,
        "etl_id": _PARTITION,
        "day_partition": _PARTITION,
        "entity_id_partition": _PARTITION,
    },
    "activity": {
        "totals_by_ide[].last_known_ide_version": _VERSION,
        "totals_by_ide[].last_known_plugin_version": _VERSION,
        "totals_by_cli.last_known_cli_version": _VERSION,
        "totals_by_cli.token_usage.avg_tokens_per_request": _AVERAGE,
        "totals_by_copilot_app.token_usage.avg_tokens_per_request": _AVERAGE,
    },
    "users": {
        "user_id": "the join key of users and user-teams; never a label",
        "user_login": "a login: no per-user labels (the join key when user_id is missing)",
        "ai_adoption_phase.version": "the cohort model's version (v1): one phase set so far",
        **{
            f"{where}{c.distinct_field}": "a user's distinct count: adding users' counts is "
            "no distinct count, so teams export none (entity reports carry their own)"
            for c in m.CLI_CUSTOMISATIONS
            for where in ("", "totals_by_cli.")
        },
    },
    "teams": {
        "user_id": "the join key of users and user-teams; never a label",
        "user_login": "a login: no per-user labels (the join key when user_id is missing)",
        "team_id": "an id: the slug names the team",
    },
    "repos": {
        "repo_id": "an id: the repository label names the repository (a repeated id is "
        "one repository)",
        **{
            f"pull_requests.{field}": "the sum over comment_type of the per-comment-type "
            "metric, which takes the plain name"
            for field in m.REPOSITORY_TOTALS_SKIPPED
        },
    },
}


def _activity_paths() -> list[str]:
    """What flatten_activity maps, in entity and user records alike."""
    paths = [c.field for c in m.COUNTERS]
    for b in m.BREAKDOWNS:
        paths += [f"{b.array}[].{field}" for field, _ in b.keys]
        paths += [f"{b.array}[].{field}" for field in b.counters]
    for obj in m.SURFACE_OBJECTS:
        paths += [f"{obj.object}." + ".".join(path) for path, _, _ in obj.fields]
    paths += [f"{m.THIRD_PARTY_ARRAY}[].{f}" for f in (m.THIRD_PARTY_KEY, m.THIRD_PARTY_NAME)]
    paths += [f"{m.THIRD_PARTY_ARRAY}[].{field}" for field, _, _ in m.THIRD_PARTY_FIELDS]
    for c in m.CLI_CUSTOMISATIONS:
        for where in ("", "totals_by_cli."):
            for field in (
                c.key,
                m.CLI_CUSTOMISATION_NAME,
                m.CLI_CUSTOMISATION_COUNT,
                m.CLI_CUSTOMISATION_COUNT_OLD,
            ):
                paths.append(f"{where}{c.array}[].{field}")
    paths.append("ai_credits_used")
    return paths


def _entity_paths() -> list[str]:
    paths = _activity_paths()
    paths += [field for field, _, _ in m.USER_COUNTS] + [m.CLI_USERS_FIELD]
    paths += [
        f"{window}_{engagement}_copilot_code_review_users"
        for window in m.CODE_REVIEW_WINDOWS
        for engagement in m.CODE_REVIEW_ENGAGEMENTS
    ]
    paths += [f"pull_requests.{field}" for field, _, _ in m.PR_FIELDS]
    paths += [f"pull_requests.{field}" for field, _ in m.PR_MEDIANS]
    paths += ["pull_requests.copilot_suggestions_by_comment_type[].comment_type"]
    paths += [
        f"pull_requests.copilot_suggestions_by_comment_type[].{field}"
        for field, _ in m.PR_BY_COMMENT_TYPE
    ]
    paths += [u.field for u in m.SURFACE_USERS]
    for c in m.CLI_CUSTOMISATIONS:
        paths += [c.distinct_field, f"totals_by_cli.{c.distinct_field}"]
    phases = m.ADOPTION_ARRAY
    paths += [f"{phases}[].phase", f"{phases}[].phase_number", f"{phases}[].{m.ADOPTION_ENGAGED}"]
    paths.append(f"{phases}[].{m.AVERAGE_PREFIX}*")  # every average, named by the field
    return paths


def _users_paths() -> list[str]:
    paths = _activity_paths()
    paths += [field for field, _, _ in m.USER_FLAGS] + [f for f, _ in m.CODE_REVIEW_FLAGS]
    paths += [flag for u in m.SURFACE_USERS for flag in u.flags]
    paths += [f"{m.ADOPTION_USER_FIELD}.phase", f"{m.ADOPTION_USER_FIELD}.phase_number"]
    return paths


_TEAMS_PATHS = ["slug", "team_slug"]


def _repos_paths() -> list[str]:
    paths = ["repo_owner_name", "repo_name", "repo_visibility"]
    paths += [f"pull_requests.{field}" for field, _, _ in m.REPOSITORY_PR_FIELDS]
    paths += [f"pull_requests.{field}" for field, _ in m.PR_MEDIANS]
    by_type = "pull_requests.copilot_suggestions_by_comment_type[]"
    paths += [f"{by_type}.comment_type"]
    paths += [f"{by_type}.{field}" for field, _ in m.REPOSITORY_BY_COMMENT_TYPE]
    for where in ("", "pull_requests."):  # beside the block, or inside it
        times = f"{where}{m.REVIEW_TIMES}[]"
        paths += [f"{times}.{field}" for field in (*m.REVIEW_ROLES, m.REVIEW_MERGED_FIELD)]
        paths += [f"{times}.{prefix}*" for prefix, _ in m.REVIEW_QUANTILES]
    return paths


class _Node:
    """The known fields of one object (or of every element of one array)."""

    __slots__ = ("children", "flat", "known", "path", "plans", "prefixes")

    def __init__(self, path: str) -> None:
        self.path = path  # "" at the top, else "totals_by_cli." or "totals_by_ide[]."
        self.children: dict[str, _Node | None] = {}  # None: known, not looked into
        self.prefixes: tuple[str, ...] = ()  # keys starting with one of these are known
        self.plans: dict[tuple[str, ...], _Plan] = {}
        self.known: frozenset[str] = frozenset()
        self.flat = False  # nothing to look into: a subset test of the keys says it all

    def seal(self) -> None:
        self.known = frozenset(self.children)
        self.flat = not self.prefixes and all(c is None for c in self.children.values())
        for child in self.children.values():
            if child is not None:
                child.seal()


class _Plan:
    """What one key tuple of a node means: the unknown keys, the known ones to look into."""

    __slots__ = ("children", "unknown")

    def __init__(self, unknown: tuple[str, ...], children: tuple[tuple[str, _Node], ...]) -> None:
        self.unknown = unknown
        self.children = children


_PLANS_PER_NODE = 4096  # distinct key tuples remembered per object kind before starting over


def _tree(paths: Iterable[str]) -> _Node:
    root = _Node("")
    for path in paths:
        node = root
        *parents, leaf = path.split(".")
        for part in parents:
            key = part.removesuffix("[]")
            child = node.children.get(key)
            if child is None:
                suffix = "[]." if part.endswith("[]") else "."
                child = node.children[key] = _Node(f"{node.path}{key}{suffix}")
            node = child
        key = leaf.removesuffix("[]")
        if key.endswith("*"):
            node.prefixes = (*node.prefixes, key[:-1])
        else:
            node.children.setdefault(key, None)
    root.seal()
    return root


class Schema:
    """The known fields of one report kind, and the cached verdict per key tuple."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._root = _tree(paths)

    def unmapped(self, record: Mapping[str, Any]) -> set[str] | None:
        """The paths of the record's unknown fields; None when there are none."""
        return self._walk(self._root, record, None)

    def _plan(self, node: _Node, keys: tuple[str, ...]) -> _Plan:
        plan = node.plans.get(keys)
        if plan is None:
            unknown = tuple(
                k for k in keys if k not in node.children and not k.startswith(node.prefixes)
            )
            children = tuple(
                (k, child) for k in keys if (child := node.children.get(k)) is not None
            )
            if len(node.plans) >= _PLANS_PER_NODE:
                node.plans.clear()
            plan = node.plans[keys] = _Plan(unknown, children)
        return plan

    def _walk(self, node: _Node, obj: Mapping[str, Any], found: set[str] | None) -> set[str] | None:
        if node.flat:
            return found if obj.keys() <= node.known else _strangers(node, obj, found)
        plan = self._plan(node, tuple(obj))
        for key in plan.unknown:
            found = _leaves(f"{node.path}{key}", obj[key], found)
        for key, child in plan.children:
            value = obj[key]
            if type(value) is list:
                if child.flat:  # the breakdown arrays: inlined, this runs per entry
                    known = child.known
                    for element in value:
                        if type(element) is dict and not element.keys() <= known:
                            found = _strangers(child, element, found)
                else:
                    for element in value:
                        if type(element) is dict:
                            found = self._walk(child, element, found)
            elif type(value) is dict:
                found = self._walk(child, value, found)
        return found


def _strangers(node: _Node, obj: Mapping[str, Any], found: set[str] | None) -> set[str] | None:
    """The unknown fields of an object of a flat node (one that has some)."""
    for key, value in obj.items():
        if key not in node.known:
            found = _leaves(f"{node.path}{key}", value, found)
    return found


def _leaves(path: str, value: object, found: set[str] | None) -> set[str]:
    """The field paths inside an unknown value: its leaves, ``[]`` for array elements."""
    if found is None:
        found = set()
    if type(value) is dict and value:
        for key, inner in value.items():
            _leaves(f"{path}.{key}", inner, found)
    elif type(value) is list and value:
        for element in value:
            _leaves(f"{path}[]", element, found)
    else:
        found.add(path)
    return found


def _schemas() -> dict[str, Schema]:
    common = IGNORED["all"]
    activity = [*common, *IGNORED["activity"]]
    entity = Schema([*_entity_paths(), *activity])
    return {
        **dict.fromkeys(ENTITY_KINDS, entity),
        USERS_KIND: Schema([*_users_paths(), *activity, *IGNORED["users"]]),
        TEAMS_KIND: Schema([*_TEAMS_PATHS, *common, *IGNORED["teams"]]),
        m.REPOS_KIND: Schema([*_repos_paths(), *common, *IGNORED["repos"]]),
    }


_PATHS_PER_READ = 1000  # distinct unknown paths tallied per file; the rest is counted as cut


class Census:
    """The unknown fields of one read of a report file: records per field path."""

    __slots__ = ("counts", "cut", "records", "schema")

    def __init__(self, schema: Schema | None) -> None:
        self.schema = schema
        self.counts: dict[str, int] = {}
        self.records = 0
        self.cut = 0

    def see(self, record: Mapping[str, Any]) -> None:
        self.records += 1
        if self.schema is None:
            return
        found = self.schema.unmapped(record)
        if found is None:
            return
        counts = self.counts
        for path in found:
            if path in counts:
                counts[path] += 1
            elif len(counts) < _PATHS_PER_READ:
                counts[path] = 1
            else:
                self.cut += 1


class Drift:
    """Unknown fields of the report files behind the current values, per report kind.

    Each owner's newest read of a kind replaces its previous one, so a day that is cached
    (not downloaded again) keeps its counts, and the metric describes what is exported.
    """

    def __init__(self, limit: int = m.UNMAPPED_LIMIT) -> None:
        self._schemas = _schemas()
        self._limit = limit
        self._latest: dict[tuple[str, str], Census] = {}
        self._logged: set[tuple[str, str]] = set()
        self._cut_logged = 0
        self._totals: dict[tuple[str, str], int] = {}

    def census(self, kind: str) -> Census:
        """A fresh tally for one read of a ``kind`` report (kinds without a schema: none)."""
        return Census(self._schemas.get(kind))

    def commit(self, owner: str, kind: str, census: Census) -> None:
        """A read finished: its tally replaces the owner's previous one of that kind."""
        self._latest[(owner, kind)] = census
        for path in sorted(census.counts):
            if (kind, path) not in self._logged and len(self._logged) < self._limit:
                self._logged.add((kind, path))
                log.info(
                    "report field not mapped by the exporter (see "
                    "github_copilot_report_unmapped_fields)",
                    extra={"report": kind, "field": path, "owner": owner},
                )
        self._total()

    def _total(self) -> None:
        totals: dict[tuple[str, str], int] = {}
        cut = 0
        for (_, kind), census in self._latest.items():
            cut += census.cut
            for path, count in census.counts.items():
                totals[(kind, path)] = totals.get((kind, path), 0) + count
        if len(totals) > self._limit:
            ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
            cut += sum(count for _, count in ranked[self._limit :])
            totals = dict(ranked[: self._limit])
        if cut and cut != self._cut_logged:
            log.warning(
                "more unmapped report fields than the exporter exports; the least frequent "
                "are left out",
                extra={"exported_series": len(totals), "records_left_out": cut},
            )
        self._cut_logged = cut
        self._totals = totals

    def unmapped_fields(self) -> dict[tuple[str, str], int]:
        """(report kind, field path) -> records carrying it, at most ``limit`` entries."""
        return dict(self._totals)

    def saved(self) -> list[dict[str, Any]]:
        """Each owner's latest tally per kind, for the state file: a restart that reads no
        file again still counts what the files behind its values carried."""
        return [
            {"owner": owner, "kind": kind, "counts": census.counts, "cut": census.cut}
            for (owner, kind), census in self._latest.items()
            if census.counts or census.cut
        ]

    def restore(self, saved: object, owners: Set[str]) -> None:
        """Tallies :meth:`saved` wrote, of the given owners; raises ValueError naming what
        is wrong when they are not what it writes."""
        if not isinstance(saved, list):
            raise ValueError("'drift' is not a list")
        for entry in saved:
            if not isinstance(entry, dict):
                raise ValueError("a 'drift' entry is not an object")
            owner, kind, counts, cut = (entry.get(k) for k in ("owner", "kind", "counts", "cut"))
            if not isinstance(owner, str) or kind not in self._schemas:
                raise ValueError(f"a 'drift' entry names no owner or an unknown kind {kind!r}")
            if not isinstance(counts, dict) or not all(
                isinstance(path, str) and _count(n) for path, n in counts.items()
            ):
                raise ValueError("a 'drift' entry's counts are not field paths and counts")
            if not _count(cut):
                raise ValueError("a 'drift' entry's cut is not a count")
            if owner in owners and len(counts) <= _PATHS_PER_READ:
                census = Census(self._schemas[kind])
                census.counts, census.cut = dict(counts), int(cut)  # type: ignore[arg-type]
                self._latest[(owner, kind)] = census
        self._total()


def _count(value: object) -> bool:
    return type(value) is int and value >= 0
