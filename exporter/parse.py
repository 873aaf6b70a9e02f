"""Streaming parser for report files: NDJSON, JSON arrays, single objects, and their parts.

GitHub documents NDJSON, but real files also come as one JSON array (on one line or
pretty-printed) or a single JSON object, and a report split over several download links is
the concatenation of its parts. So a file is read as a stream of JSON values separated by
optional whitespace, each an object or an array of objects. A *record* is one top-level
object or one element of a top-level array; entity files wrap day records in
``{"day_totals": [...]}``, and those are unwrapped here.

Framing and decoding are separate, which keeps the parser linear for every shape and bounded
per record. A small state machine walks the bytes between records; a record's extent is found
by a scanner that resumes where the previous chunk left it, so a record is held only until it
is complete, and one larger than ``max_record_bytes`` fails as soon as that many of its bytes
have arrived. Neither the file nor a list of all its rows is built: ``feed()`` returns the
records that chunk completed. Two shortcuts skip the scanner for GitHub's usual files, and
neither can change a result, since the decoder checks each guess:

- NDJSON: a whole line that decodes is one object.
- Arrays: the bytes between the first two elements (``},{"user_id":``, or the same with the
  file's indentation) usually recur only between elements; the run of elements up to the
  last recurrence in reach is decoded in one call, as ``[`` + run + ``]``, which decodes only
  if the run is whole elements. A guess that misses (inside a record, or past the end of the
  array) hands those bytes to the scanner; when misses outnumber hits, guessing stops.

The scanner's inner loop is one regular expression that consumes strings and brackets
nested a few levels deep per call; Python code runs per record, per deeper bracket and per
backslash (escapes are rare in GitHub's files), not per byte. Stdlib ``re`` has no
recursion, so this is as close to C speed as framing gets without an extension of our own.

Decoding uses msgspec (``msgspec.json.Decoder``), chosen over orjson and the stdlib:

- It keeps the stdlib's values: integers of any size stay exact integers (orjson silently
  turns those beyond 64 bits into floats, which would need a scan of every record to catch),
  duplicate keys keep the last value, and where it disagrees with the stdlib it refuses
  instead of answering differently: lone surrogate escapes (``"\\ud800"``), the NaN and
  Infinity literals, numbers beyond a double's range. Such a record is decoded again with
  the stdlib, so results equal ``json.loads``, which accepts NaN and Infinity: GitHub never
  sends them, and accepting them keeps the old behaviour.
- As fast as orjson on GitHub's user rows (about 3x the stdlib, straight from bytes);
  BSD-3-Clause; developed since 2021 and widely used; binary wheels for CPython 3.10 to 3.14
  on manylinux and musllinux, x86_64 and aarch64 (and macOS, Windows), so no compiler is
  needed where the exporter is installed. The lower bound, 0.18.6, has wheels for CPython
  3.11 and 3.12 on both architectures and passes this project's parser tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from typing import Any, Final, cast

import msgspec

Record = dict[str, Any]

MAX_RECORD_BYTES: Final = 16 * 1024 * 1024
"""Default cap on one record. GitHub's largest single values are an enterprise's 28-day file
(one ``day_totals`` object for all days, a few MB) and user rows (a few hundred KB at most):
16 MiB leaves room for growth while bounding what one download can hold (the cap plus one
chunk) against a file that never closes a value."""

_FAST: Final = msgspec.json.Decoder()
_BOM: Final = b"\xef\xbb\xbf"

# The framing patterns all match the empty string, so their match() never answers None.
_Span = Callable[[bytes | bytearray, int, int], "re.Match[bytes]"]


def _span(pattern: bytes) -> _Span:
    return cast(_Span, re.compile(pattern).match)


_skip_ws: Final = _span(rb"[ \t\r\n]*+")


def _balanced(levels: int) -> bytes:
    """A run of JSON text whose brackets close within it, nested at most `levels` deep.

    Strings hold no backslash: the scanner never lets the pattern see one (it stops at each
    backslash and steps over the escape itself), which keeps the string pattern a single
    character-class loop, the fast case of ``re``.
    """
    atom, string = rb'[^"\[\]{}]++', rb'"[^"]*+"'
    run = rb"(?:" + atom + rb"|" + string + rb")*+"
    for _ in range(levels):
        run = rb"(?:" + atom + rb"|" + string + rb"|[\[{]" + run + rb"[\]}])*+"
    return run


_skip_run: Final = _span(_balanced(6))  # user rows nest 4 deep; deeper is handled in Python
_string_rest: Final = _span(rb'[^"]*+')

_QUOTE, _OPEN_OBJECT, _OPEN_ARRAY = ord('"'), ord("{"), ord("[")
_CLOSE_ARRAY, _COMMA = ord("]"), ord(",")
_SEPARATOR_TAIL = 12  # bytes of the next element in a separator: its first key, usually
_RUN_BYTES = 1 << 20  # at most this much in one run: what a miss can waste, and its garbage
_MAX_MISSES = 8

# Where the top-level state machine is: between values, or inside a top-level array.
_TOP, _FIRST, _NEXT, _ELEMENT = range(4)  # _FIRST: after '['; _NEXT: after an element
_EXPECTED = {
    _TOP: "an object or an array of objects",
    _FIRST: "an object or ']'",
    _NEXT: "',' or ']' after an array element",
    _ELEMENT: "an object after ','",
}
_KINDS = {ord('"'): "a string", ord("["): "an array", ord("t"): "true", ord("f"): "false"}
_KINDS |= {ord("n"): "null", ord("-"): "a number"} | {c: "a number" for c in b"0123456789"}


class ReportParseError(ValueError):
    """The file is not JSON, NDJSON or a JSON array of objects."""


def _decode(data: bytes | bytearray, offset: int) -> Any:
    """One record's value; the stdlib decides where msgspec refuses (see the module doc)."""
    try:
        return _FAST.decode(data)
    except (msgspec.DecodeError, ValueError, RecursionError):
        pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportParseError(
            f"file is not UTF-8 text (byte {data[exc.start]:#04x} at offset {offset + exc.start})"
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ReportParseError(
            f"invalid JSON: the record at byte {offset} is nested too deeply"
        ) from None
    except json.JSONDecodeError as exc:
        where = offset + len(text[: exc.pos].encode("utf-8"))
        raise ReportParseError(f"invalid JSON at byte {where}: {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer beyond the interpreter's digit limit
        raise ReportParseError(f"invalid JSON in the record at byte {offset}: {exc}") from None


def _unwrap(value: Record, out: list[Record]) -> None:
    totals = value.get("day_totals")
    if not isinstance(totals, list):
        out.append(value)
        return
    for day in totals:
        if not isinstance(day, dict):
            raise ReportParseError("day_totals holds a non-object")
        out.append(day)


class StreamParser:
    """Incremental parser: feed bytes, get each record as soon as it is complete.

    Between chunks it holds at most the start of one record, never more than
    ``max_record_bytes`` of it (the caller's setting; the default says why 16 MiB).
    """

    def __init__(self, max_record_bytes: int = MAX_RECORD_BYTES) -> None:
        if max_record_bytes < 1:
            raise ValueError(f"max_record_bytes must be positive, not {max_record_bytes}")
        self._limit = max_record_bytes
        self._buf = bytearray()  # what the last chunk left unconsumed
        self._base = 0  # stream offset of _buf[0], for messages
        self._state = _TOP
        # The record being scanned (_start >= 0): where it starts and where scanning resumes.
        self._start = -1
        self._scan = 0
        self._depth = 0
        self._in_string = False
        self._backslash = -1  # next backslash at or after the scan, for the current buffer
        self._newline = -1  # next newline at or after the current line, for the current buffer
        # Array elements decoded in runs (see _elements): what separates two of them, b""
        # until seen, None once guessing has missed too often; where the last one ended.
        self._separator: bytes | None = b""
        self._runs = self._misses = 0
        self._last_end = -1
        self._no_guess_before = -1  # after a miss, the scanner takes the elements up to here

    def feed(self, chunk: bytes) -> list[Record]:
        """The records this chunk completed."""
        if self._buf:
            self._buf += chunk
            buf: bytes | bytearray = self._buf
        else:
            buf = chunk  # the usual case: nothing left over, no copy
        self._backslash = self._newline = self._last_end = self._no_guess_before = -1
        out: list[Record] = []
        keep = self._consume(buf, out)
        if buf is self._buf:
            del self._buf[:keep]  # CPython drops a bytearray's head without moving the rest
        else:
            self._buf = bytearray(buf[keep:])
        self._base += keep
        if self._start >= 0:
            self._start -= keep
            self._scan -= keep
        return out

    def close(self) -> list[Record]:
        """Check that the file ended between values (raises when it was cut off); every
        record has come out of ``feed`` already, so this returns an empty list."""
        if self._start >= 0:
            raise ReportParseError(
                f"invalid JSON: the file ends inside the record that starts at byte "
                f"{self._base + self._start} (truncated or not JSON)"
            )
        if self._state != _TOP:
            raise ReportParseError("invalid JSON: the file ends inside an array (truncated)")
        if self._buf:  # only the start of a byte order mark can be left
            raise ReportParseError("invalid JSON: the file ends after a partial byte order mark")
        return []

    # -- the state machine between records ---------------------------------------------------

    def _consume(self, buf: bytes | bytearray, out: list[Record]) -> int:
        """Consume what `buf` completes; returns how many of its bytes are done with."""
        pos = 0
        if self._start >= 0:  # a record left open by the previous chunk
            pos = self._finish(buf, out)
            if pos < 0:
                return self._start
        state, end = self._state, len(buf)
        while True:
            pos = _skip_ws(buf, pos, end).end()
            if pos >= end:
                break
            c = buf[pos]
            if c == _OPEN_OBJECT and state != _NEXT:
                self._state = state
                pos = self._record(buf, pos, out)
                if pos < 0:
                    return self._start
                state = self._state
            elif c == _OPEN_ARRAY and state == _TOP:
                state, pos = _FIRST, pos + 1
            elif c == _CLOSE_ARRAY and state in (_FIRST, _NEXT):
                state, pos = _TOP, pos + 1
            elif c == _COMMA and state == _NEXT:
                state, pos = _ELEMENT, pos + 1
            elif c == _BOM[0] and self._base + pos == 0 and _BOM.startswith(buf[:3]):
                if end < 3:
                    break  # the rest of the mark is in the next chunk
                pos = 3  # as json.loads does for bytes
            else:
                raise self._unexpected(c, pos, state)
        self._state = state
        return pos

    def _record(self, buf: bytes | bytearray, pos: int, out: list[Record]) -> int:
        """Consume the object at `pos`: a whole NDJSON line, a run of array elements, or one
        record through the scanner. Returns the position after it, -1 while it goes on."""
        state = self._state
        if state == _TOP:
            after = self._line(buf, pos, out)
        else:
            self._state = _NEXT
            after = self._elements(buf, pos, out, second=state == _ELEMENT)
        if after:
            return after
        self._start, self._scan, self._depth, self._in_string = pos, pos + 1, 1, False
        return self._finish(buf, out)

    def _line(self, buf: bytes | bytearray, pos: int, out: list[Record]) -> int:
        """NDJSON: a whole line that decodes is one object, so it needs no scan."""
        newline = self._newline
        if newline < pos:
            newline = buf.find(b"\n", pos)
            self._newline = newline = len(buf) if newline < 0 else newline
        if newline == len(buf) or newline - pos > self._limit:
            return 0
        try:
            value = _FAST.decode(buf[pos:newline])
        except (msgspec.DecodeError, ValueError, RecursionError):
            return 0  # not one whole object on this line: the scanner decides
        _unwrap(value, out)
        return newline + 1

    def _elements(
        self, buf: bytes | bytearray, pos: int, out: list[Record], *, second: bool
    ) -> int:
        """A run of array elements in one decoder call, up to the last place in reach where
        the bytes between the first two elements recur (``},{"user_id":``, or the same with
        the file's indentation). That is a guess, but a safe one: the run decodes as an
        array only if it is whole elements. A miss hands the run to the scanner; when misses
        outnumber hits, the guessing stops."""
        sep = self._separator
        if sep is None or pos < self._no_guess_before:
            return 0
        if not sep:
            if second and self._last_end > 0 and pos + _SEPARATOR_TAIL <= len(buf):
                self._separator = bytes(buf[self._last_end - 1 : pos + _SEPARATOR_TAIL])
            return 0
        reach = pos + min(self._limit, _RUN_BYTES) + len(sep) - 1
        cut = buf.rfind(sep, pos, reach) + 1
        if cut <= pos:
            return 0
        try:
            values = _FAST.decode(b"[" + buf[pos:cut] + b"]")
        except (msgspec.DecodeError, ValueError, RecursionError):
            # Say the array ended and the next part began before the cut: the scanner takes
            # the elements up to it, so a miss costs one wasted decode of bytes scanned anyway.
            self._no_guess_before = cut
            self._misses += 1
            if self._misses > _MAX_MISSES and self._misses > self._runs:
                self._separator = None  # the separator recurs inside records: stop guessing
            return 0
        if not all(type(value) is dict for value in values):
            return 0  # the scanner names the element that is not an object
        self._runs += 1
        for value in values:
            _unwrap(value, out)
        self._last_end = cut
        return cut

    def _unexpected(self, c: int, pos: int, state: int) -> ReportParseError:
        where = self._base + pos
        kind = _KINDS.get(c)
        if kind is not None and state in (_TOP, _FIRST, _ELEMENT):
            return ReportParseError(f"expected JSON objects at byte {where}, found {kind}")
        shown = repr(chr(c)) if 0x20 < c < 0x7F else f"byte {c:#04x}"
        if c == _CLOSE_ARRAY and state == _ELEMENT:
            shown += " (a trailing comma)"
        return ReportParseError(
            f"invalid JSON at byte {where}: expected {_EXPECTED[state]}, found {shown}"
        )

    # -- one record ----------------------------------------------------------------------------

    def _finish(self, buf: bytes | bytearray, out: list[Record]) -> int:
        """Scan the open record on; decode it if it ends in `buf` (returns the position
        after it), else keep its scan state (returns -1) or fail when it is over the cap."""
        start = self._start
        stop = min(len(buf), start + self._limit + 1)
        end = self._scan_record(buf, stop)
        if end < 0 or end - start > self._limit:
            if stop - start > self._limit:
                raise ReportParseError(
                    f"the record at byte {self._base + start} is larger than the limit of "
                    f"{self._limit:,} bytes (max_record_bytes): not a GitHub report, or "
                    "raise the limit"
                )
            return -1
        self._start = -1
        if self._state != _TOP:
            self._last_end = end
        _unwrap(_decode(buf[start:end], self._base + start), out)
        return end

    def _next_backslash(self, buf: bytes | bytearray, pos: int) -> int:
        found = self._backslash
        if found < pos:
            found = buf.find(b"\\", pos)
            self._backslash = found = len(buf) if found < 0 else found
        return found

    def _scan_record(self, buf: bytes | bytearray, stop: int) -> int:
        """The end of the open record if it ends before `stop`, else -1 with the state kept.

        Only framing: any text whose brackets and quotes add up passes, and the decoder
        rejects what is not JSON. Windows end at each backslash, so the patterns never see one.
        """
        pos, depth, in_string = self._scan, self._depth, self._in_string
        while True:
            window = min(self._next_backslash(buf, pos), stop)
            if in_string:
                pos = _string_rest(buf, pos, window).end()
                if pos < window:  # the closing quote
                    pos += 1
                    in_string = False
                elif window == stop or pos + 2 > stop:
                    break  # the string (or the byte a backslash escapes) goes on
                else:
                    pos += 2  # an escape: a backslash and the byte after it
                    continue
            pos = _skip_run(buf, pos, window).end()
            if pos >= window:
                if window == stop:
                    break
                pos += 1  # a backslash outside a string: the decoder will reject the record
                continue
            c = buf[pos]
            pos += 1
            if c == _QUOTE:
                in_string = True
            elif c in (_OPEN_OBJECT, _OPEN_ARRAY):
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return pos
        self._scan, self._depth, self._in_string = pos, depth, in_string
        return -1


def parse_bytes(data: bytes, max_record_bytes: int = MAX_RECORD_BYTES) -> list[Record]:
    """Parse a whole report file held in memory."""
    parser = StreamParser(max_record_bytes)
    return parser.feed(data) + parser.close()


def parse_chunks(
    chunks: Iterable[bytes], max_record_bytes: int = MAX_RECORD_BYTES
) -> Iterator[Record]:
    parser = StreamParser(max_record_bytes)
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


async def aparse_chunks(
    chunks: AsyncIterable[bytes], max_record_bytes: int = MAX_RECORD_BYTES
) -> list[Record]:
    """Parse an async byte stream fully (used for small reports)."""
    parser = StreamParser(max_record_bytes)
    out: list[Record] = []
    async for chunk in chunks:
        out.extend(parser.feed(chunk))
    out.extend(parser.close())
    return out
