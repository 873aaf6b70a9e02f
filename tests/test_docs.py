"""docs/metrics.md is generated from the metric table and must be current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from exporter import docs, metrics

DOC = Path(__file__).parent.parent / "docs" / "metrics.md"


def test_metric_reference_is_current() -> None:
    assert DOC.read_text() == docs.render(), "docs/metrics.md is stale: run `make docs`"


def test_every_metric_named_in_the_contract_is_in_the_table() -> None:
    contract = Path(__file__).parent.parent.parent / "shared" / "METRICS.md"
    names = {spec.name for spec in metrics.all_specs()}
    if not contract.exists():
        pytest.skip("shared/METRICS.md is not beside this checkout")
    for name in re.findall(r"`(github_copilot_[a-z_]+)", contract.read_text()):
        if name.endswith("_"):
            continue
        assert name in names, f"{name} from METRICS.md is not exported"


def test_no_gauge_ends_in_total_and_no_counter_lacks_it() -> None:
    for spec in metrics.all_specs():
        assert spec.name.endswith("_total") == (spec.kind == "counter"), spec.name
        assert spec.name.startswith("github_copilot_")
