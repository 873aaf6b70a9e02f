"""Cardinality controls: breakdown selection, allow/deny/top-N with `other`, series budget."""

from __future__ import annotations

import logging
from dataclasses import fields, replace

import pytest

from exporter import cardinality
from exporter.aggregate import Values
from exporter.config import Cardinality, ConfigError, DimensionRule, Scope, build
from exporter.fakegithub import StaticStore
from exporter.snapshot import ScopeState
from tests.fixtures import ESTATE_SCOPES, estate
from tests.helpers import ExporterFactory, samples, scrape, value, yesterday

GEN = "github_copilot_code_generations"


def _values() -> Values:
    return {
        GEN: {(): 100.0},
        f"{GEN}_by_language_model": {
            ("python", "gpt-4.1"): 50.0,
            ("go", "gpt-4.1"): 30.0,
            ("python", "o3"): 15.0,
            ("rust", "o3"): 5.0,
        },
        f"{GEN}_by_editor": {("vscode",): 90.0, ("vim",): 10.0},
        "github_copilot_ide_chat_engaged_users_by_editor_model": {
            ("vscode", "gpt-4.1"): 7.0,
            ("vscode", "o3"): 2.0,
        },
    }


def test_top_n_folds_the_rest_into_other_and_keeps_the_total() -> None:
    card = Cardinality(dimensions={"language": DimensionRule(top=2)})
    out = cardinality.apply(card, "organization", _values())
    assert out[f"{GEN}_by_language_model"] == {
        ("python", "gpt-4.1"): 50.0,
        ("go", "gpt-4.1"): 30.0,
        ("python", "o3"): 15.0,
        ("other", "o3"): 5.0,
    }
    assert sum(out[f"{GEN}_by_language_model"].values()) == 100.0


def test_allow_and_deny_lists_fold_summable_and_drop_user_counts() -> None:
    card = Cardinality(
        dimensions={
            "model": DimensionRule(allow=frozenset({"gpt-4.1"})),
            "editor": DimensionRule(deny=frozenset({"vim"})),
        }
    )
    out = cardinality.apply(card, "organization", _values())
    assert out[f"{GEN}_by_language_model"] == {
        ("python", "gpt-4.1"): 50.0,
        ("go", "gpt-4.1"): 30.0,
        ("python", "other"): 15.0,
        ("rust", "other"): 5.0,
    }
    assert out[f"{GEN}_by_editor"] == {("vscode",): 90.0, ("other",): 10.0}
    # engaged users must never be added up: what is cut is dropped, not folded
    assert out["github_copilot_ide_chat_engaged_users_by_editor_model"] == {
        ("vscode", "gpt-4.1"): 7.0
    }


def test_teams_default_to_totals_editor_and_feature() -> None:
    out = cardinality.apply(Cardinality(), "team", _values())
    assert set(out) == {GEN, f"{GEN}_by_editor"}
    assert set(cardinality.apply(Cardinality(), "organization", _values())) == set(_values())


def test_budget_drops_the_finest_breakdowns_first() -> None:
    states = [ScopeState(Scope("organization", "octo"), True, _values())]
    budget = cardinality.Budget(max_series=4)
    kept = budget.enforce(states)
    assert budget.dropped == {"language_model": 4, "editor_model": 2}
    assert set(kept[0].values) == {GEN, f"{GEN}_by_editor"}


def test_budget_keeps_unchanged_values_and_counts_changed_ones_again() -> None:
    octo, acme = Scope("organization", "octo"), Scope("enterprise", "acme")
    budget = cardinality.Budget(max_series=8)  # 2 x 9 series
    octo_values = _values()
    first = budget.enforce([ScopeState(octo, True, octo_values), ScopeState(acme, True, _values())])
    kept = {GEN, f"{GEN}_by_editor"}
    assert budget.dropped == {"language_model": 8, "editor_model": 4}
    # octo's values unchanged (the same object), acme's new: only acme's are cut again
    states = [ScopeState(octo, True, octo_values), ScopeState(acme, True, _values())]
    state = budget.enforce(states)
    assert state[0].values is first[0].values  # the same object: not rendered again
    assert state[1].values is not first[1].values and set(state[1].values) == kept
    assert budget.dropped == {"language_model": 8, "editor_model": 4}
    # octo shrinks to one series: counted anew, so less has to go
    small: Values = {GEN: {(): 100.0}}
    state = budget.enforce([ScopeState(octo, True, small), ScopeState(acme, True, _values())])
    assert budget.dropped == {"language_model": 4}
    assert state[0].values == small
    assert set(state[1].values) == {*kept, "github_copilot_ide_chat_engaged_users_by_editor_model"}


def test_a_cut_state_keeps_every_other_field() -> None:
    full = ScopeState(
        scope=Scope("organization", "octo"),
        **{f.name: object() for f in fields(ScopeState) if f.name not in ("scope", "values")},  # type: ignore[arg-type]
        values=_values(),
    )
    [cut] = cardinality.Budget(max_series=4).enforce([full])
    assert cut == replace(
        full, values={GEN: {(): 100.0}, f"{GEN}_by_editor": _values()[f"{GEN}_by_editor"]}
    )


def test_config_names_unknown_breakdowns_and_dimensions() -> None:
    with pytest.raises(ConfigError) as info:
        build(
            {
                "scopes": [{"org": "o"}],
                "cardinality": {
                    "breakdowns": {"team": ["editor", "colour"], "galaxy": "all"},
                    "dimensions": {"model": {"top": 0}, "flavour": {"top": 3}},
                    "max_series": "lots",
                },
            },
            {},
        )
    text = str(info.value)
    assert "cardinality.breakdowns.team: unknown breakdowns ['colour']" in text
    assert "cardinality.breakdowns.galaxy: unknown scope type" in text
    assert "cardinality.dimensions.model.top: expected a whole number >= 1" in text
    assert "cardinality.dimensions.flavour: unknown dimension" in text
    assert "cardinality.max_series: expected a whole number" in text


def test_series_budget_is_exported_and_logged_once(
    store: StaticStore, make_exporter: ExporterFactory, caplog: pytest.LogCaptureFixture
) -> None:
    estate(store, yesterday())
    caplog.set_level(logging.WARNING)
    exporter = make_exporter(
        ESTATE_SCOPES,
        cardinality={
            "max_series": 400,
            "breakdowns": {"team": "all"},
            "dimensions": {"language": {"top": 1}},
        },
    )
    exporter.refresh_now()
    exporter.refresh_now()
    body = scrape(exporter).text
    dropped = {
        k: v for k, v in samples(body).items() if k.startswith("github_copilot_series_dropped")
    }
    assert set(dropped) == {
        'github_copilot_series_dropped{breakdown="language_feature"}',
        'github_copilot_series_dropped{breakdown="language_model"}',
    }
    data_series = sum(
        1
        for k in samples(body)
        if k.startswith("github_copilot_") and 'scope="' in k and "_timestamp_seconds" not in k
    )
    assert data_series <= 400 + 60  # status series are not counted against the budget
    assert caplog.text.count("more series than max_series") == 1
    for breakdown in dropped:  # a dropped breakdown is gone everywhere
        name = breakdown.split('breakdown="')[1].rstrip('"}')
        assert f"_by_{name}{{" not in body
    assert (
        value(
            body,
            "github_copilot_code_generations_by_editor",
            scope="octo",
            scope_type="organization",
            editor="vscode",
        )
        == 118
    )  # coarse ones stay
