"""Streaming parser for report files: NDJSON, one JSON array, or one JSON object.

GitHub documents NDJSON, but real files also come as a JSON array or a single object, and a
report split over several download links is the concatenation of its parts. The parser
reads a stream of JSON values separated by whitespace, so all of these work, and an NDJSON
file of any size is parsed line by line without holding the whole file.
Entity files wrap day records in ``{"day_totals": [...]}``: those are unwrapped here.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Iterable, Iterator
from typing import Any

Record = dict[str, Any]
_DECODER = json.JSONDecoder()
_WS = " \t\r\n"


class ReportParseError(ValueError):
    """The file is not JSON, NDJSON or a JSON array of objects."""


def _records(value: object) -> Iterator[Record]:
    """Flatten a top-level JSON value into record objects, unwrapping ``day_totals``."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            raise ReportParseError(f"expected JSON objects, found {type(item).__name__}")
        totals = item.get("day_totals")
        if isinstance(totals, list):
            for day in totals:
                if not isinstance(day, dict):
                    raise ReportParseError("day_totals holds a non-object")
                yield day
        else:
            yield item


def _too_deep() -> ReportParseError:
    return ReportParseError("JSON nested too deeply (not a report file)")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportParseError(f"file is not UTF-8 text: {exc.reason}") from None


class StreamParser:
    """Incremental parser: feed bytes, get records as soon as each JSON value is complete.

    Fast path: a complete line that is a JSON value (NDJSON). Otherwise text accumulates
    until a multi-line value (a pretty-printed array or object) decodes; decoding is retried
    only when the pending text has doubled, so a large pretty-printed file costs O(n log n).
    """

    def __init__(self) -> None:
        self._pending = ""
        self._tail = b""
        self._retry_at = 0

    def feed(self, chunk: bytes) -> list[Record]:
        data = self._tail + chunk
        cut = data.rfind(b"\n") + 1
        self._tail = data[cut:]
        if not cut:
            return []
        out: list[Record] = []
        if self._pending:
            self._pending += _text(data[:cut])
            if len(self._pending) >= self._retry_at:
                self._drain(out, final=False)
            return out
        lines = data[:cut].split(b"\n")
        for index, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                value = json.loads(line)  # bytes: no decode of the whole chunk first
            except RecursionError:
                raise _too_deep() from None
            except ValueError:  # not a whole value on one line: accumulate from here
                self._pending = _text(b"\n".join(lines[index:]))
                self._retry_at = 0
                self._drain(out, final=False)
                break
            out.extend(_records(value))
        return out

    def close(self) -> list[Record]:
        """Parse what is left; raises when the file ended in the middle of a value."""
        out: list[Record] = []
        if self._tail:
            self._pending += _text(self._tail)
            self._tail = b""
        self._drain(out, final=True)
        return out

    def _drain(self, out: list[Record], *, final: bool) -> None:
        text, pos = self._pending, 0
        while True:
            while pos < len(text) and text[pos] in _WS:
                pos += 1
            if pos >= len(text):
                self._pending = ""
                return
            try:
                value, end = _DECODER.raw_decode(text, pos)
            except RecursionError:
                raise _too_deep() from None
            except ValueError as exc:
                if final:
                    raise ReportParseError(
                        f"invalid JSON at character {exc.pos if hasattr(exc, 'pos') else pos}: "
                        f"{getattr(exc, 'msg', exc)} (truncated or not JSON)"
                    ) from None
                self._pending = text[pos:]
                self._retry_at = max(2 * len(self._pending), 1 << 16)
                return
            out.extend(_records(value))
            pos = end


def parse_bytes(data: bytes) -> list[Record]:
    """Parse a whole report file held in memory."""
    parser = StreamParser()
    return parser.feed(data) + parser.close()


def parse_chunks(chunks: Iterable[bytes]) -> Iterator[Record]:
    parser = StreamParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


async def aparse_chunks(chunks: AsyncIterable[bytes]) -> list[Record]:
    """Parse an async byte stream fully (used for small reports)."""
    parser = StreamParser()
    out: list[Record] = []
    async for chunk in chunks:
        out.extend(parser.feed(chunk))
    out.extend(parser.close())
    return out
