"""Property tests: arbitrary JSON shapes never crash a parser.

Every parser either returns a result or raises its own parse error; any other exception
would take a scope (or the process) down on an answer GitHub has not sent yet.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from exporter import aggregate, drift, metrics
from exporter.parse import ReportParseError, parse_bytes
from exporter.reports import user_key

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


SCHEMAS = [drift.Drift().census(kind).schema for kind in drift.REPORT_KINDS]


@given(nested_records)
def test_the_drift_census_names_fields_of_any_record(record: dict[str, Any]) -> None:
    for schema in SCHEMAS:
        assert schema is not None
        found = schema.unmapped(record)
        assert found is None or (found and all(isinstance(path, str) for path in found))
        assert schema.unmapped(record) == found  # the cached verdict is the same
