"""The shared readers: each names the path and what it expected; sections read declared keys
only, the environment winning over the file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from exporter.settings import (
    FILE_PATH,
    FLAG,
    STRINGS,
    Invalid,
    Problems,
    Reader,
    Section,
    Setting,
    choice,
    duration,
    duration_text,
    number,
    read_text,
    whole,
)


def problems_of(reader: Reader[Any], value: object) -> list[str]:
    problems = Problems()
    assert reader(value, "a.b", problems) is None
    return problems.lines


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "a.b: expected a number >= 0, got true"),
        (math.nan, "a.b: expected a number >= 0, got nan"),
        (-math.inf, "a.b: expected a number >= 0, got -inf"),
        (10**400, "a.b: expected a number >= 0, got <a number of 1329 bits>"),
        ("3", "a.b: expected a number >= 0, got '3'"),
        (-1, "a.b: expected a number >= 0, got -1"),
    ],
)
def test_numbers_are_finite_and_never_booleans(value: object, expected: str) -> None:
    assert problems_of(number(minimum=0), value) == [expected]
    assert number(minimum=0)(2, "a.b", Problems()) == 2.0


@pytest.mark.parametrize(
    ("value", "got"),
    [(1.0, "1.0"), (2.5, "2.5"), (True, "true"), ("4", "'4'"), (11, "11"), (2**64, str(2**64))],
)
def test_whole_numbers_refuse_floats_booleans_and_text(value: object, got: str) -> None:
    assert problems_of(whole(1, 10), value) == [
        f"a.b: expected a whole number between 1 and 10, got {got}"
    ]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90), ("1.5s", 1.5), ("250ms", 0.25), ("15m", 900), (" 2h ", 7200), ("1d", 86400)],
)
def test_durations_read_and_write_back(value: object, seconds: float) -> None:
    assert duration(minimum=0.1)(value, "x", Problems()) == seconds
    assert duration(minimum=0.1)(duration_text(seconds), "x", Problems()) == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("soon", "expected a duration like 30s, 15m or 1h, got 'soon'"),
        ("1e3s", "expected a duration like 30s, 15m or 1h, got '1e3s'"),
        ("inf", "expected a duration like 30s, 15m or 1h, got 'inf'"),
        ("٣s", "expected a duration like 30s, 15m or 1h, got '٣s'"),
        (False, "expected a duration like 30s, 15m or 1h, got false"),
        ("5s", "must be >= 10s, got '5s'"),
        ("367d", "must be <= 366d, got '367d'"),
    ],
)
def test_bad_durations(value: object, expected: str) -> None:
    assert problems_of(duration(minimum=10), value) == [f"a.b: {expected}"]


def test_lists_of_strings_flags_choices_and_paths_are_not_coerced() -> None:
    assert problems_of(STRINGS, "gpt-4") == ["a.b: expected a list of strings, got 'gpt-4'"]
    assert problems_of(STRINGS, ["a", 1]) == ["a.b: expected a list of strings, got ['a', 1]"]
    assert problems_of(FLAG, "yes") == ["a.b: expected true or false, got 'yes'"]
    assert problems_of(choice("1", "2"), 1) == ["a.b: must be one of 1, 2, got 1"]
    assert problems_of(FILE_PATH, "") == ["a.b: expected a file path, got ''"]
    assert STRINGS([], "x", Problems()) == ()


def test_files_are_read_as_bounded_utf8(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match="larger than 1024 KiB"):
        read_text(Path("/dev/zero"))
    with pytest.raises(Invalid, match="No such file"):
        read_text(tmp_path / "missing")
    (tmp_path / "latin1").write_bytes("café".encode("latin-1"))
    with pytest.raises(Invalid, match=r"is not UTF-8 text \(byte 0xe9 at offset 3\)"):
        read_text(tmp_path / "latin1")


# A new section is its settings, its dataclass and one function: the shape a later
# `billing:` section takes (these keys are an illustration, not the real ones).
@dataclass(frozen=True)
class Example:
    enabled: bool
    interval: float
    credits: float
    users: bool


EXAMPLE: tuple[Setting[Any], ...] = (
    ENABLED := Setting("example.enabled", FLAG, False, "turn it on", env="EXAMPLE_ON"),
    INTERVAL := Setting("example.interval", duration(minimum=60), 86400.0, "how often"),
    CREDITS := Setting("example.credits", number(minimum=0), 1.0, "credits per seat"),
    USERS := Setting("example.users", FLAG, False, "per-user series"),
    TOKEN := Setting[str | None](
        "example.token",
        Reader(str),
        None,
        "a secret",
        env="EXAMPLE_TOKEN",
        refused="do not put the token in the file: set EXAMPLE_TOKEN",
    ),
)


def read_example(raw: object, env: dict[str, str], problems: Problems) -> Example:
    example = Section(raw, "", EXAMPLE, problems, env).section("example")
    return Example(
        example.get(ENABLED), example.get(INTERVAL), example.get(CREDITS), example.get(USERS)
    )


def test_a_section_reads_declared_keys_with_defaults_and_environment() -> None:
    problems = Problems()
    assert read_example({"example": {"credits": 2}}, {"EXAMPLE_ON": "on"}, problems) == Example(
        True, 86400.0, 2.0, False
    )
    assert problems.lines == []
    read_example(
        {"example": {"enabled": 1, "credits": math.nan, "user": True, "token": "s3cret"}},
        {"EXAMPLE_ON": "maybe"},
        problems,
    )
    assert problems.lines == [
        "example.user: unknown key (allowed: credits, enabled, interval, users)",
        "example.token: do not put the token in the file: set EXAMPLE_TOKEN",
        "example.enabled: expected true or false, got 1",  # checked although the env wins
        "example.enabled (env EXAMPLE_ON): expected true or false, got 'maybe'",
        "example.credits: expected a number >= 0, got nan",
    ]
    problems = Problems()
    read_example({"example": "on"}, {}, problems)
    assert problems.lines == [
        "example: expected a mapping of credits, enabled, interval, users, got 'on'"
    ]
