"""Property tests: the streaming parser answers what the stdlib's json answers.

For any document in any shape the parser accepts (NDJSON, arrays on one line or
pretty-printed, single objects, day_totals wrappers, concatenated parts), split into chunks
anywhere, the records equal what ``json`` decodes value by value, unwrapped the same way;
or both fail. Documents hold what fast decoders get wrong or refuse (integers beyond 64
bits, lone surrogate escapes, duplicate keys, NaN and Infinity, numbers of any spelling),
strings full of brackets, quotes, backslashes and multi-byte characters, and, mutated, the
broken files a download can produce.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from exporter.parse import Record, ReportParseError, StreamParser


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is: a number literal in any spelling, or an escape."""

    text: str


@dataclass(frozen=True)
class Pairs:
    """An object as written, so a key may appear twice."""

    items: tuple[tuple[str, Any], ...]


def render(value: Any, indent: int | None, ascii_only: bool, level: int = 0) -> str:
    """JSON text like json.dumps, but for Raw and Pairs too."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        value = Pairs(tuple(value.items()))
    if not isinstance(value, Pairs | list):
        return json.dumps(value, ensure_ascii=ascii_only)
    items = (
        [
            f"{json.dumps(k, ensure_ascii=ascii_only)}: {render(v, indent, ascii_only, level + 1)}"
            for k, v in value.items
        ]
        if isinstance(value, Pairs)
        else [render(v, indent, ascii_only, level + 1) for v in value]
    )
    opening, closing = "{}" if isinstance(value, Pairs) else "[]"
    if indent is None or not items:
        return opening + ", ".join(items) + closing
    inner, outer = "\n" + " " * indent * (level + 1), "\n" + " " * indent * level
    return opening + inner + ("," + inner).join(items) + outer + closing


def reference(body: bytes) -> list[Record]:
    """Each top-level value as the stdlib decodes it (the stdlib decides where one ends),
    unwrapped as the parser documents; raises ValueError or RecursionError when it fails."""
    text = body.decode("utf-8").removeprefix("\ufeff")  # json.loads(bytes) skips a BOM too
    decoder, pos, out = json.JSONDecoder(), 0, list[Record]()
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos == len(text):
            return out
        value, pos = decoder.raw_decode(text, pos)
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, dict):
                raise ValueError("not an object")
            totals = item.get("day_totals")
            if not isinstance(totals, list):
                out.append(item)
            elif all(isinstance(day, dict) for day in totals):
                out.extend(totals)
            else:
                raise ValueError("day_totals holds a non-object")


def parse(chunks: list[bytes]) -> list[Record]:
    parser = StreamParser()
    out: list[Record] = []
    for chunk in chunks:
        out += parser.feed(chunk)
    return out + parser.close()


def parsed(chunks: list[bytes]) -> str:
    """repr, so NaN equals NaN and 1, 1.0, True and -0.0, 0.0 stay apart."""
    try:
        return repr(parse(chunks))
    except ReportParseError:  # and nothing else
        return "failed"


def expected(body: bytes) -> str:
    try:
        return repr(reference(body))
    except (ValueError, RecursionError):
        return "failed"


NUMBER = st.from_regex(
    r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?", fullmatch=True
)
ESCAPES = st.sampled_from(
    ["\\ud800", "\\udfff\\ud800", "\\ud834\\udd1e", "\\u0000", '\\"', "\\\\", "\\/", "\\n"]
)
TEXT = st.text(
    st.sampled_from('{}[]",:\\ \n\t') | st.characters(exclude_categories=()), max_size=12
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**200), max_value=2**200)
    | st.floats()  # json.dumps writes NaN, Infinity and -Infinity
    | TEXT
    | NUMBER.map(Raw)
    | st.lists(ESCAPES, min_size=1, max_size=3).map(lambda e: Raw('"' + "".join(e) + '"'))
)
KEYS = st.sampled_from(["user_id", "day", "totals_by_ide", "a", "day_totals"]) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(st.tuples(KEYS, children), max_size=4).map(lambda kv: Pairs(tuple(kv)))
    ),
    max_leaves=8,
)
RECORDS = st.lists(st.tuples(KEYS, VALUES), max_size=6).map(lambda kv: Pairs(tuple(kv)))
WRAPPERS = st.lists(RECORDS, max_size=3).map(
    lambda days: Pairs((("day_totals", days), ("report_end_day", "2026-11-25")))
)
# Mostly records; now and then anything at all, which must fail like the stdlib does.
TOP_VALUES = RECORDS | WRAPPERS | st.lists(RECORDS | WRAPPERS, max_size=4) | VALUES


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    ascii_only = draw(st.booleans())
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(["ndjson", "one-line array", "pretty array", "object"]))
        rows = draw(st.lists(TOP_VALUES, min_size=1, max_size=4))
        if shape == "ndjson":
            newline = draw(st.sampled_from(["\n", "\r\n", "\n\n"]))
            parts.append(newline.join(render(r, None, ascii_only) for r in rows) + newline)
        elif shape == "object":
            parts.append(render(rows[0], draw(st.sampled_from([None, 1, 2, 4])), ascii_only))
        else:
            indent = None if shape == "one-line array" else draw(st.sampled_from([1, 2, 4]))
            parts.append(render(rows, indent, ascii_only))
    joined = draw(st.sampled_from(["", "\n", " "])).join(parts)
    # Raw surrogates cannot be UTF-8: surrogatepass writes the bytes both sides must refuse.
    return joined.encode("utf-8", "surrogatepass")


@st.composite
def chunkings(draw: st.DrawFn, body: bytes) -> list[bytes]:
    if draw(st.booleans()):
        size = draw(st.integers(1, 16))
        return [body[i : i + size] for i in range(0, len(body), size)]
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=12)))
    return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]


@given(st.data())
def test_records_equal_the_stdlibs_for_any_document_and_chunking(data: st.DataObject) -> None:
    body = data.draw(documents())
    chunks = data.draw(chunkings(body))
    assert parsed(chunks) == expected(body)


@given(st.data())
def test_broken_documents_fail_like_the_stdlib_or_give_its_records(data: st.DataObject) -> None:
    body = bytearray(data.draw(documents()))
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(body)))
        action = data.draw(st.sampled_from(["delete", "insert", "cut"]))
        if action == "delete" and at < len(body):
            del body[at]
        elif action == "insert":
            body.insert(at, data.draw(st.sampled_from(list(b'{}[],:"\\ \n1e-.\xc3\xa9\xff'))))
        else:
            del body[at:]
    chunks = data.draw(chunkings(bytes(body)))
    assert parsed(chunks) == expected(bytes(body))


FLAT_RECORDS = st.lists(st.tuples(KEYS, SCALARS | st.lists(SCALARS, max_size=3)), max_size=5).map(
    lambda kv: Pairs(tuple(kv))
)
FLAT_WRAPPERS = st.lists(FLAT_RECORDS, max_size=3).map(lambda days: Pairs((("day_totals", days),)))


@given(st.lists(FLAT_RECORDS | FLAT_WRAPPERS, min_size=2, max_size=16), st.integers(1, 64))
def test_long_arrays_of_similar_records_in_any_chunks(rows: list[Pairs], size: int) -> None:
    """Many elements with the same first key, as are GitHub's, and objects inside them that
    start the same way: runs of elements decoded in one call (wrappers among them), and
    guesses where a run ends that fall inside a record or in the next part, give what the
    stdlib does."""
    inner = [Pairs((("user_id", 1),)), Pairs((("user_id", 2),))]
    prefixed = [Pairs((("user_id", i), ("inner", inner), *row.items)) for i, row in enumerate(rows)]
    for indent in (None, 2):
        part = render(prefixed, indent, ascii_only=True)
        body = (part + "\n" + part + part).encode()  # a report in parts: runs must stop at "]"
        chunks = [body[i : i + size * 97] for i in range(0, len(body), size * 97)]
        assert parsed(chunks) == expected(body)


@given(NUMBER)
def test_number_literals_decode_to_the_stdlibs_values(literal: str) -> None:
    body = f'{{"n": {literal}}}\n[{{"n": {literal}}}, {{"n": {literal}}}]'.encode()
    assert parsed([body]) == expected(body)


def test_the_reference_and_the_parser_agree_on_an_error_and_a_success() -> None:
    """The helpers above can tell: a broken file fails, a good one gives its records."""
    assert parsed([b'{"a": 1']) == "failed" == expected(b'{"a": 1')
    assert parsed([b'[{"a": 1}]']) == repr([{"a": 1}]) == expected(b'[{"a": 1}]')
