"""The report file parser: NDJSON, arrays, objects, split parts, and broken files."""

from __future__ import annotations

import json
import re
import time

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


# -- every shape, any chunking ---------------------------------------------------------------

TRICKY = {"s": 'a "quoted" }{ ][ ,: \\ back\\slash \n newline', "u": "é€😀", "e": "", "n": None}
ROWS_TRICKY = [{**row, **TRICKY} for row in ROWS]


def chunked(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(json.dumps(ROWS_TRICKY, ensure_ascii=False).encode(), id="one-line-array"),
        pytest.param(
            json.dumps(ROWS_TRICKY, indent=2, ensure_ascii=False).encode(), id="pretty-array"
        ),
        pytest.param(
            json.dumps({"day_totals": ROWS_TRICKY}, indent=4, ensure_ascii=False).encode(),
            id="pretty-day-totals-object",
        ),
        pytest.param(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS_TRICKY).encode(),
            id="ndjson",
        ),
        pytest.param(
            (
                json.dumps(ROWS_TRICKY[:2], ensure_ascii=False)
                + json.dumps(ROWS_TRICKY[2], indent=1, ensure_ascii=False)
                + "\n"
                + json.dumps(ROWS_TRICKY[3:], separators=(",", ":"), ensure_ascii=False)
            ).encode(),
            id="concatenated-parts",
        ),
    ],
)
def test_every_shape_gives_the_rows_for_every_split_of_the_bytes(body: bytes) -> None:
    """Including splits inside multi-byte characters, strings, escapes and brackets."""
    assert parse_bytes(body) == ROWS_TRICKY
    for cut in range(len(body) + 1):
        assert list(parse_chunks([body[:cut], body[cut:]])) == ROWS_TRICKY
    assert list(parse_chunks(chunked(body, 1))) == ROWS_TRICKY


def test_feed_returns_each_record_with_the_byte_that_completes_it() -> None:
    body = json.dumps(ROWS_TRICKY, indent=2).encode()
    ends = [m.end() for m in re.finditer(rb"\n  \}", body)]  # each element's closing brace
    assert len(ends) == len(ROWS_TRICKY)
    parser = StreamParser()
    for fed in range(1, len(body) + 1):
        got = parser.feed(body[fed - 1 : fed])
        assert got == ([ROWS_TRICKY[ends.index(fed)]] if fed in ends else [])
    assert parser.close() == []


SIMILAR = [json.dumps({"user_id": i, "totals": [{"user_id": i}, {"n": 1}]}) for i in range(300)]


@pytest.mark.parametrize("size", [1000, 64 * 1024, 1 << 30])
@pytest.mark.parametrize("odd", ["1", "[]", '"s"', "null", '{"user_id": NaN}'])
def test_one_odd_element_among_many_similar_ones(size: int, odd: str) -> None:
    """Runs of elements are decoded in one call: one element that is not an object still
    fails, and one the stdlib must decode (NaN) still gives its value."""
    body = ("[" + ",".join([*SIMILAR[:150], odd, *SIMILAR[150:]]) + "]").encode()
    if odd.startswith("{"):
        rows = list(parse_chunks(chunked(body, size)))
        assert repr(rows) == repr(json.loads(body))
        return
    with pytest.raises(ReportParseError, match="expected JSON objects"):
        list(parse_chunks(chunked(body, size)))


# -- what the stdlib decodes, the parser decodes the same way --------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"big": 18446744073709551616, "neg": -99999999999999999999999}', None),
        ('{"x": 123456789012345678901234567890.5e-3}', None),
        ('{"lone": "\\ud800", "low": "\\udc00x", "pair": "\\ud834\\udd1e"}', None),
        ('{"a": 1, "b": 2, "a": {"c": 3}}', {"a": {"c": 3}, "b": 2}),
        ('{"nan": NaN, "inf": Infinity, "ninf": -Infinity, "huge": 1e400}', None),
        ('{"tiny": 5e-324, "zero": -0.0, "int": -0, "e": 1E2}', None),
    ],
)
def test_values_are_the_stdlibs_where_a_fast_decoder_would_differ(text: str, value: object) -> None:
    expected = json.loads(text)
    if value is not None:
        assert expected == value
    for body in (text.encode(), f"[{text}, {text}]".encode(), f"{text}\n{text}\n".encode()):
        got = parse_bytes(body)
        assert repr(got) == repr([expected] * len(got)), body  # repr: NaN, -0.0, int vs float
        assert len(got) in (1, 2)


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": "\xff"}',
        b'[{"a": 1}, {"a": "caf\xe9"}]',
        b'{"a": "\xed\xa0\x80"}\n',  # a surrogate encoded as UTF-8
        b"\xfe\xff",
    ],
)
def test_bytes_that_are_not_utf8_give_the_parse_error(body: bytes) -> None:
    with pytest.raises(ReportParseError):
        parse_bytes(body)


def test_a_utf8_byte_order_mark_at_the_start_is_skipped_like_json_loads_does() -> None:
    body = b"\xef\xbb\xbf" + json.dumps(ROWS).encode()
    assert parse_bytes(body) == ROWS
    assert list(parse_chunks(chunked(body, 1))) == ROWS
    with pytest.raises(ReportParseError):
        parse_bytes(b"\xef\xbb")
    with pytest.raises(ReportParseError):
        parse_bytes(b"{}\xef\xbb\xbf{}")  # only at the very start


@pytest.mark.parametrize(
    "body",
    [
        b"[{}, {},]",
        b"[{} {}]",
        b"[,{}]",
        b"{},{}",
        b"{} ]",
        b'{"a": 1,}',
        b"[{}][",
        b"[{}]]",
    ],
)
def test_broken_separators_raise_the_parse_error(body: bytes) -> None:
    with pytest.raises(ReportParseError):
        parse_bytes(body)


# -- bounded: one record at most max_record_bytes, nesting of any depth -----------------------


def test_a_record_over_the_cap_fails_naming_the_limit_and_the_cap_is_per_record() -> None:
    record = json.dumps({"user_id": 1, "pad": "x" * 80}).encode()
    cap = len(record)
    for body in (
        record,
        b"[" + record + b"]",
        record + b"\n",
        b"[" + b",".join([record] * 50) + b"]",
    ):
        assert parse_bytes(body, max_record_bytes=cap)  # exactly the cap is fine
        with pytest.raises(ReportParseError, match=f"limit of {cap - 1} bytes"):
            parse_bytes(body, max_record_bytes=cap - 1)
    wrapper = json.dumps({"day_totals": [{"day": i} for i in range(100)]}).encode()
    with pytest.raises(ReportParseError, match="limit of 100 bytes"):
        parse_bytes(wrapper, max_record_bytes=100)  # one top-level object is one record


@pytest.mark.parametrize(
    "start",
    [b'{"a": "', b'[{"a": [', b'{"a": 1}\n{"b": {"c": ', b"{" + b'"k": {' * 50],
    ids=["string", "array-element", "ndjson-line", "nested"],
)
def test_a_value_that_never_ends_fails_once_past_the_cap_without_buffering_the_rest(
    start: bytes,
) -> None:
    cap, chunk = 64 * 1024, 4096
    parser = StreamParser(max_record_bytes=cap)
    parser.feed(start)
    fed = [len(start)]

    def feed_forever() -> None:
        while fed[0] < 100 * cap:
            parser.feed(b"x" * chunk)
            fed[0] += chunk

    with pytest.raises(ReportParseError, match="limit of 65,536 bytes"):
        feed_forever()
    assert fed[0] <= cap + 2 * chunk


def test_many_small_records_on_one_endless_line_are_not_held() -> None:
    parser = StreamParser(max_record_bytes=64)
    total = 0
    for _ in range(200):
        total += len(parser.feed(b'{"user_id": 1}' * 1000))
    assert total + len(parser.close()) == 200_000


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n",
        b'[{"a": ' + b'{"b": ' * 100_000 + b"1" + b"}" * 100_001 + b"]",
        b'{"a": ' + b"[" * 100_000,
    ],
    ids=["open", "closed", "in-object", "ndjson-line", "in-array-element", "truncated"],
)
def test_deep_nesting_gives_the_parse_error_not_a_recursion_error(body: bytes) -> None:
    with pytest.raises(ReportParseError):
        parse_bytes(body)
    with pytest.raises(ReportParseError):
        list(parse_chunks(chunked(body, 4096)))


def test_the_cap_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_record_bytes"):
        StreamParser(max_record_bytes=0)


# -- linear in the input, for every shape ------------------------------------------------------

USER_ROW = {
    "user_id": 1,
    "user_login": "octo-cat",
    "day": "2026-11-25",
    "user_initiated_interaction_count": 10,
    "totals_by_ide": [
        {"ide": "vscode", "loc_added_sum": 5, "last_known_ide_version": {"ide_version": "1.1"}}
    ],
    "totals_by_feature": [{"feature": f, "code_generation_activity_count": 3} for f in "abcd"],
    "note": 'escaped \\ "quotes" and é',
}


def _shape(shape: str, megabytes: int) -> bytes:
    row = json.dumps(USER_ROW)
    rows = [json.loads(row.replace('"user_id": 1', f'"user_id": {i}')) for i in range(64)]
    unit = {
        "one-line array": lambda: json.dumps(rows)[1:-1],
        "pretty array": lambda: json.dumps(rows, indent=2)[1:-1],
        "ndjson": lambda: "\n".join(json.dumps(r) for r in rows),
        "pretty object": lambda: json.dumps(rows, indent=2)[1:-1],
    }[shape]()
    copies = max(1, megabytes * 1_000_000 // len(unit))
    sep = "\n" if shape == "ndjson" else ","
    inner = sep.join([unit] * copies)
    if shape == "ndjson":
        return inner.encode()
    if shape == "pretty object":
        return ('{\n  "day_totals": [' + inner + "\n  ]\n}").encode()
    return ("[" + inner + "]").encode()


def _cpu_seconds(body: bytes, repeat: int) -> tuple[float, int]:
    """CPU seconds of the fastest of `repeat` runs in 64 KiB chunks, and the rows parsed."""
    best, rows = float("inf"), 0
    for _ in range(repeat):
        started = time.process_time()
        parser = StreamParser(max_record_bytes=64 * 1024 * 1024)
        rows = sum(len(parser.feed(chunk)) for chunk in chunked(body, 64 * 1024))
        rows += len(parser.close())
        best = min(best, time.process_time() - started)
    return best, rows


@pytest.mark.parametrize("shape", ["one-line array", "pretty array", "ndjson", "pretty object"])
def test_parse_time_grows_linearly_with_the_file(shape: str) -> None:
    """4x the bytes may cost 4x the time; quadratic would be 16x. The bound is loose (8x)
    because this machine is shared; CPU time of this process, best of a few runs."""
    (small, small_rows), (big, big_rows) = (
        _cpu_seconds(_shape(shape, 4), 3),
        _cpu_seconds(_shape(shape, 16), 2),
    )
    assert small_rows > 5_000 and big_rows >= 4 * small_rows - 64
    assert big / small < 8, f"{shape}: 4x the input took {big / small:.1f}x the time"
