"""Text that every exposition format takes: label values and help texts made safe.

Label values come from GitHub's data (editor, model, team names...), and JSON can carry
what no exposition can: a lone UTF-16 surrogate (``"\\ud800"``) cannot be encoded as UTF-8
at all, and control characters are not allowed or are read differently by the text and
OpenMetrics parsers. Each is replaced by U+FFFD, so one odd value is visible as such
instead of making every scrape fail. Applied as a snapshot is built (and as a state file is
read back), so the snapshot, the state file and ``/metrics`` all hold the same text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from exporter import metrics as m
from exporter.aggregate import Labels, Values

REPLACEMENT = "\ufffd"
MAX_LABEL_CHARS = 1024  # a label value is a name; a longer one is cut (see text())
# Surrogates, C0 and C1 controls and DEL, and the Unicode line and paragraph separators
# (line breaks to many line-oriented readers).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def text(value: str, limit: int | None = MAX_LABEL_CHARS) -> str:
    """``value`` with every unsafe character replaced and cut to ``limit`` characters.

    A cut value ends in ``…`` and a short hash of the whole value, so two long names that
    share their first thousand characters stay two series instead of being merged.
    """
    if limit is not None and len(value) > limit:
        digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=4)
        value = f"{value[: limit - 9]}…{digest.hexdigest()}"
    if _UNSAFE.search(value):
        value = _UNSAFE.sub(REPLACEMENT, value)
    return value


def is_safe(value: str) -> bool:
    return len(value) <= MAX_LABEL_CHARS and not _UNSAFE.search(value)


def values(raw: Values) -> Values:
    """``raw`` with safe label values. Two values that become the same (two different lone
    surrogates) are merged as the metric allows: summed, or for user counts the larger."""
    out: Values = {}
    index = m.spec_index()
    for name, samples in raw.items():
        flat = [label for labels in samples for label in labels]
        if max(map(len, flat), default=0) <= MAX_LABEL_CHARS and not _UNSAFE.search(
            "".join(flat)
        ):  # the usual case, checked at C speed
            out[name] = samples
            continue
        spec = index.get(name)
        out[name] = _merge(samples, summable=spec is None or spec.summable)
    return out


def _merge(samples: Mapping[Labels, float], *, summable: bool) -> dict[Labels, float]:
    merged: dict[Labels, float] = {}
    for labels, value in samples.items():
        key = tuple(text(label) for label in labels)
        old = merged.get(key)
        if old is None:
            merged[key] = value
        else:
            merged[key] = old + value if summable else max(old, value)
    return merged
