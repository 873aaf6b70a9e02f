"""The report file parser: NDJSON, arrays, objects, split parts, and broken files."""

from __future__ import annotations

import json

import pytest

from exporter.parse import ReportParseError, StreamParser, parse_bytes, parse_chunks

ROWS = [{"user_id": i, "day": "2026-11-25", "nested": {"a": [1, 2, {"b": "}{"}]}} for i in range(5)]


def test_ndjson_array_and_pretty_object_give_the_same_records() -> None:
    ndjson = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    array = json.dumps(ROWS, indent=2).encode()
    assert parse_bytes(ndjson) == ROWS
    assert parse_bytes(array) == ROWS
    assert parse_bytes(json.dumps(ROWS[0], indent=4).encode()) == [ROWS[0]]


def test_day_totals_wrappers_are_unwrapped_in_every_shape() -> None:
    wrapper = {"day_totals": ROWS[:2], "enterprise_id": "1", "report_end_day": "2026-11-25"}
    assert parse_bytes(json.dumps(wrapper).encode()) == ROWS[:2]
    assert parse_bytes(json.dumps([wrapper, wrapper], indent=1).encode()) == ROWS[:2] * 2
    assert parse_bytes((json.dumps(wrapper) + "\n" + json.dumps(wrapper)).encode()) == ROWS[:2] * 2


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_any_chunking_of_the_stream_gives_the_same_records(size: int) -> None:
    for body in (
        "".join(json.dumps(r) + "\n" for r in ROWS).encode(),
        json.dumps(ROWS, indent=2).encode(),
        # two parts of one report, each a whole array, concatenated
        (json.dumps(ROWS[:2]) + json.dumps(ROWS[2:])).encode(),
    ):
        chunks = [body[i : i + size] for i in range(0, len(body), size)]
        assert list(parse_chunks(chunks)) == ROWS


def test_crlf_blank_lines_and_missing_final_newline() -> None:
    body = ("\r\n".join(json.dumps(r) for r in ROWS) + "\r\n\r\n").encode()
    assert parse_bytes(body) == ROWS
    assert parse_bytes(body.rstrip()) == ROWS


@pytest.mark.parametrize(
    "body",
    [
        b"<html>502 Bad Gateway</html>",
        b'{"user_id": 1}\n{"user_id": 2, "day": "2026-',  # half-written NDJSON
        b'[{"user_id": 1}, {"user_id": 2}',  # truncated array
        b"[1, 2, 3]",
        b'"just a string"',
        b'{"day_totals": [1]}',
        b"\xff\xfe{}",
    ],
)
def test_broken_files_raise_the_parse_error_only(body: bytes) -> None:
    with pytest.raises(ReportParseError):
        parse_bytes(body)


def test_ndjson_is_parsed_line_by_line_without_buffering_the_file() -> None:
    parser = StreamParser()
    first = parser.feed(json.dumps(ROWS[0]).encode() + b"\n" + json.dumps(ROWS[1]).encode()[:5])
    assert first == [ROWS[0]]
    assert parser.feed(json.dumps(ROWS[1]).encode()[5:] + b"\n") == [ROWS[1]]
    assert parser.close() == []
