"""Property tests: arbitrary shapes never crash a parser.

Every parser either returns a result or raises its own parse error; any other exception
would take a scope (or the process) down on an answer GitHub has not sent yet, or end the
start of the exporter in a traceback instead of a list of config problems.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from exporter import aggregate, config, drift, metrics, webconfig
from exporter.parse import ReportParseError, parse_bytes
from exporter.reports import user_key
from tests.helpers import self_signed_certificate

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
# Field names the parsers look for, so the fuzzing reaches past the first lookup.
FIELDS = sorted(
    {c.field for c in metrics.COUNTERS}
    | {b.array for b in metrics.BREAKDOWNS}
    | {k for b in metrics.BREAKDOWNS for k, _ in b.keys}
    | {f for f, _, _ in metrics.USER_COUNTS}
    | {f for f, _, _ in metrics.USER_FLAGS}
    | {u.field for u in metrics.SURFACE_USERS}
    | {flag for u in metrics.SURFACE_USERS for flag in u.flags}
    | {o.object for o in metrics.SURFACE_OBJECTS}
    | {c.array for c in metrics.CLI_CUSTOMISATIONS}
    | {c.key for c in metrics.CLI_CUSTOMISATIONS}
    | {c.distinct_field for c in metrics.CLI_CUSTOMISATIONS}
    | {
        metrics.THIRD_PARTY_ARRAY,
        metrics.THIRD_PARTY_KEY,
        metrics.THIRD_PARTY_NAME,
        metrics.ADOPTION_ARRAY,
        metrics.ADOPTION_USER_FIELD,
        metrics.ADOPTION_ENGAGED,
        "phase",
        "phase_number",
        "avg_loc_added",
        "interaction_count",
        "session_count",
        "name",
    }
    | {
        "pull_requests",
        "totals_by_cli",
        "day",
        "user_id",
        "user_login",
        "slug",
        "day_totals",
        "copilot_suggestions_by_comment_type",
        "comment_type",
        "token_usage",
        "ai_credits_used",
        "median_minutes_to_merge",
    }
)
records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), json_values, max_size=12)
nested_records = st.dictionaries(
    st.sampled_from(FIELDS), json_values | st.lists(records, max_size=3) | records, max_size=12
)


@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_report_parser_returns_records_or_its_own_error(body: bytes) -> None:
    try:
        rows = parse_bytes(body)
    except ReportParseError:
        return
    assert all(isinstance(row, dict) for row in rows)


@given(nested_records)
def test_entity_and_user_records_of_any_shape_give_values(record: dict[str, Any]) -> None:
    values = aggregate.entity_values(record)
    acc = aggregate.UsageAccumulator()
    user = user_key(record)
    if user is not None:
        acc.add(user, record, aggregate.flatten_activity(record))
    for result in (values, acc.result(), acc.result(frozenset())):
        for name, samples in result.items():
            spec = metrics.spec_index()[name]
            for labels, value in samples.items():
                assert len(labels) == len(spec.labels), name
                assert all(isinstance(label, str) for label in labels)
                assert isinstance(value, float)


# Config files: any YAML-shaped value at any position gives a valid config or a
# ConfigError, never another exception (a traceback at start, or a crash at serve time).

SECRET = "ghp_FuzzSecretThatMustNeverShow0123456789"
yaml_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63), 10**400, -(10**4000)])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
    | st.sampled_from(
        ["all", "reports", "legacy", "1h", "5s", "400d", "org:octo", "TLS13", "/dev/zero", "."]
    )
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=6) | st.integers() | st.none(), children, max_size=3)
    ),
    max_leaves=12,
)
ENV = [s.env for s in config.SETTINGS if s.env]
env_values = st.dictionaries(
    st.sampled_from(ENV),
    st.text(max_size=12) | st.sampled_from(["0", "off", "nan", "inf", "1e999", "org:a/b", " "]),
    max_size=3,
)


def _positions(value: object, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document: the root, each mapping value and each list item."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _positions(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _positions(child, (*path, index))
    return found


def _put(document: Any, path: tuple[Any, ...], value: object, extra_key: bool) -> Any:
    """A deep copy of ``document`` with ``value`` at ``path`` (or, with ``extra_key`` and a
    mapping there, under a new key beside the others)."""
    document = copy.deepcopy(document)
    if not path:
        return {**document, "junk": value} if extra_key and isinstance(document, dict) else value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    target = parent[path[-1]]
    if extra_key and isinstance(target, dict):
        target["junk"] = value
    else:
        parent[path[-1]] = value
    return document


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    document: Any = valid
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        path = draw(st.sampled_from(_positions(document)))
        extra_key = draw(st.integers(0, 4)) == 0  # mostly a replacement: it may be accepted
        document = _put(document, path, draw(yaml_scalars | yaml_values), extra_key)
    return document


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a token, an App key, a certificate and its key."""
    directory = tmp_path_factory.mktemp("config-files")
    (directory / "token").write_text(SECRET + "\n")
    (directory / "app.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    self_signed_certificate(directory)
    return directory


def valid_config(files: Path) -> dict[str, Any]:
    return {
        "github": {
            "api_url": "https://api.github.com",
            "token_file": str(files / "token"),
            "app": {"app_id": 1, "private_key_file": str(files / "app.pem"), "installation_id": 2},
            "timeout": "30s",
            "concurrency": 4,
            "max_retries": 2,
        },
        "source": "reports",
        "scopes": [{"org": "octo"}, {"enterprise": "acme", "team": "web", "source": "legacy"}],
        "refresh": {"interval": "1h"},
        "state_file": str(files / "state.json"),
        "cardinality": {
            "breakdowns": {"team": ["editor"], "organization": "all"},
            "dimensions": {"model": {"allow": ["a"], "deny": ["b"], "top": 3}},
            "max_series": 1000,
        },
        "seats": {"enabled": True, "interval": "6h"},
    }


def _floats(value: object) -> list[float]:
    if isinstance(value, float):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            f for field in dataclasses.fields(value) for f in _floats(getattr(value, field.name))
        ]
    return []


T = TypeVar("T")


def outcome(build: Callable[[], T]) -> T | config.ConfigError:
    """What ``build`` returns, or the ConfigError it raises (any other exception escapes)."""
    try:
        return build()
    except config.ConfigError as exc:
        return exc


@given(data=st.data(), env=env_values)
def test_any_value_anywhere_in_the_config_gives_a_config_or_a_config_error(
    files: Path, data: st.DataObject, env: dict[str, str]
) -> None:
    document = data.draw(
        mutated(valid_config(files))
        | st.just(_put(valid_config(files), ("github",), {"token": SECRET}, True))
    )
    built = outcome(lambda: config.build(document, env, "config.yml"))
    if isinstance(built, config.ConfigError):
        assert built.problems and all(p.strip() for p in built.problems)
        assert SECRET not in str(built)
        return
    assert all(math.isfinite(f) for f in _floats(built))  # nothing for the scheduler to choke on
    assert built.refresh.interval >= 10 and built.seats.interval >= 60
    assert built.scopes and all(s.owner for s in built.scopes)


@given(st.binary(max_size=300) | yaml_values.map(lambda v: yaml.safe_dump(v).encode()))
def test_any_bytes_as_a_config_file_give_a_config_or_a_config_error(
    files: Path, content: bytes
) -> None:
    path = files / "fuzzed.yml"
    path.write_bytes(content)
    with contextlib.suppress(config.ConfigError):
        config.load(path, {"GITHUB_TOKEN": SECRET})


def valid_web_config() -> dict[str, Any]:
    return {
        "tls_server_config": {
            "cert_file": "tls.crt",
            "key_file": "tls.key",
            "client_auth_type": "RequireAndVerifyClientCert",
            "client_ca_file": "tls.crt",
            "min_version": "TLS13",
        },
        "basic_auth_users": {"prom": "$2b$04$" + "a" * 53},
    }


@given(data=st.data())
def test_any_value_anywhere_in_the_web_config_gives_one_or_a_config_error(
    files: Path, data: st.DataObject
) -> None:
    document = data.draw(mutated(valid_web_config()))
    with contextlib.suppress(config.ConfigError):
        web = webconfig.build(document, files, "web.yml")
        assert web.check(None) is not bool(web.users)


SCHEMAS = [drift.Drift().census(kind).schema for kind in drift.REPORT_KINDS]


@given(nested_records)
def test_the_drift_census_names_fields_of_any_record(record: dict[str, Any]) -> None:
    for schema in SCHEMAS:
        assert schema is not None
        found = schema.unmapped(record)
        assert found is None or (found and all(isinstance(path, str) for path in found))
        assert schema.unmapped(record) == found  # the cached verdict is the same
