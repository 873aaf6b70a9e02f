"""docs/metrics.md and the README's configuration reference are generated and must be current."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter import config, docs, metrics

DOC = Path(__file__).parent.parent / "docs" / "metrics.md"
README = Path(__file__).parent.parent / "README.md"


def test_metric_reference_is_current() -> None:
    assert DOC.read_text() == docs.render(), "docs/metrics.md is stale: run `make docs`"


def test_readme_configuration_reference_is_current() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme == docs.with_config_reference(readme), "README.md is stale: run `make docs`"


def test_each_documented_default_written_in_the_file_gives_the_default() -> None:
    for setting in config.SETTINGS:
        if setting.default is None or setting.refused:
            continue
        section, _, name = setting.key.rpartition(".")
        written = yaml.safe_load(setting.read.show(setting.default))  # as the README shows it
        raw: dict[str, Any] = {"scopes": [{"org": "octo"}]}
        if section:
            raw[section] = {name: written}
        else:
            raw[name] = written
        built = config.build(raw, {})
        value = built if not section else getattr(built, section)
        assert getattr(value, name) == setting.default, setting.key


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
