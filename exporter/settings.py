"""Typed readers for configuration files, shared by ``config.py`` and ``webconfig.py``.

A reader checks one raw value (from YAML or from an environment variable) and either returns
it typed or records ``path: expected ..., got ...`` in a :class:`Problems` collector; the
caller raises one :class:`ConfigError` at the end, so an operator fixes a file in one pass.
A :class:`Setting` declares a key once (reader, default, environment variable, help) and a
:class:`Section` reads a mapping through the settings declared under its path. The README's
configuration reference is generated from those declarations.

The rules are strict on purpose: a string where a list belongs is an error (YAML would
otherwise hand over ``"gpt-4"`` as the characters g, p, t, -, 4), booleans are never numbers,
NaN and infinities are not numbers, counts are whole numbers, and YAML aliases are refused
(an alias bomb expands to gigabytes; a config never needs them).
"""

from __future__ import annotations

import math
import re
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeGuard, TypeVar

import yaml

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

MAX_FILE_BYTES = 1 << 20  # a config or token file is small; /dev/zero is not
MAX_DURATION = 366 * 86400.0  # beyond a year no schedule makes sense (and timedelta overflows)
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d)?\s*")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}
_FLAG_WORDS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}


class ConfigError(Exception):
    """Invalid configuration; ``problems`` holds one line per problem, each with its path."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin = origin
        self.problems = problems
        super().__init__("\n".join(f"{origin}: {p}" for p in problems))


class Invalid(ValueError):
    """One value's verdict: what was expected and what was found."""


class Problems:
    """Collects ``path: problem`` lines while a raw document is walked."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{path}: {message}" if path else message)

    def check(self, origin: str) -> None:
        """Raise every problem found so far as one :class:`ConfigError`."""
        if self.lines:
            raise ConfigError(origin, self.lines)


class _Short(reprlib.Repr):
    """``repr`` cut to a line; a number too long to print (Python refuses over 4300 digits)
    is described instead."""

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:
            return f"<a number of {x.bit_length()} bits>"
        return super().repr_int(x, level)

    # As YAML spells them, since that is what the operator wrote.
    def repr_bool(self, x: bool, level: int) -> str:
        return "true" if x else "false"

    def repr_NoneType(self, x: None, level: int) -> str:
        return "null"


_SHORT = _Short()
_SHORT.maxstring = _SHORT.maxother = 60
_SHORT.maxlevel = 2


def shown(value: object) -> str:
    """``value`` as an error message shows it: short, and safe for any YAML value."""
    return _SHORT.repr(value)


def join(path: str, key: object) -> str:
    """``github`` + ``timeout`` -> ``github.timeout``; a non-string key is shown as a value."""
    name = key if isinstance(key, str) else shown(key)
    return f"{path}.{name}" if path else name


def _keep(text: str) -> object:
    return text


def _as_yaml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Reader(Generic[T_co]):
    """Checks one raw value: ``check`` returns it typed or raises :class:`Invalid`.

    ``from_env`` turns an environment variable's text into what the file would hold;
    ``show`` writes a value back as the file would (the docs' default column).
    """

    check: Callable[[object], T_co]
    show: Callable[[Any], str] = _as_yaml
    from_env: Callable[[str], object] = _keep

    def __call__(self, value: object, path: str, problems: Problems) -> T_co | None:
        try:
            return self.check(value)
        except Invalid as exc:
            problems.add(path, str(exc))
            return None

    def get(
        self, raw: Mapping[Any, object], key: str, path: str, problems: Problems
    ) -> T_co | None:
        """``raw[key]`` checked; None when absent or null (YAML's empty value)."""
        value = raw.get(key)
        return None if value is None else self(value, join(path, key), problems)


def _expected(what: str, value: object) -> Invalid:
    return Invalid(f"expected {what}, got {shown(value)}")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: int | float) -> float | None:
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        return None
    return number if math.isfinite(number) else None


def _bounds(minimum: float | None, maximum: float | None, show: Callable[[float], str]) -> str:
    if minimum is not None and maximum is not None:
        return f" between {show(minimum)} and {show(maximum)}"
    if minimum is not None:
        return f" >= {show(minimum)}"
    return f" <= {show(maximum)}" if maximum is not None else ""


def text(
    expected: str = "a non-empty string", pattern: re.Pattern[str] | None = None
) -> Reader[str]:
    """A non-empty string (stripped); with ``pattern``, one that matches it."""

    def check(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _expected(expected, value)
        if pattern is not None and not pattern.fullmatch(value.strip()):
            raise _expected(expected, value)
        return value.strip()

    return Reader(check)


def _name(value: object) -> str:
    # YAML reads `org: 1234` as a number; an owner or team called 1234 is still a name.
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() < 64:
        return str(value)
    return TEXT.check(value)


TEXT = text()
NAME = Reader(_name)
"""A non-empty string, or a whole number YAML read from a name such as ``1234``."""


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _expected("a list of strings", value)
    return tuple(value)


STRINGS = Reader(_strings, show=lambda v: f"[{', '.join(v)}]")
"""A list of strings; a bare string is refused rather than read as its characters."""


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _expected("true or false", value)
    return value


FLAG = Reader(_flag, from_env=lambda text: _FLAG_WORDS.get(text.strip().lower(), text))
"""true or false; in the environment also 1/0, yes/no, on/off."""


def _int_text(text: str) -> object:
    return int(text) if re.fullmatch(r"\s*[+-]?[0-9]{1,18}\s*", text) else text


def whole(minimum: int | None = 1, maximum: int | None = None) -> Reader[int]:
    """A whole number (a count): floats and booleans are refused."""
    expected = "a whole number" + _bounds(minimum, maximum, lambda v: str(int(v)))

    def check(value: object) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value.bit_length() > 63:
            raise _expected(expected, value)  # beyond 64 bits is no count, and cannot be logged
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise _expected(expected, value)
        return value

    return Reader(check, from_env=_int_text)


def _float_text(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def number(minimum: float | None = None, maximum: float | None = None) -> Reader[float]:
    """A finite number (int or float); booleans, NaN and infinities are refused."""
    expected = "a number" + _bounds(minimum, maximum, lambda v: f"{v:g}")

    def check(value: object) -> float:
        if not _is_number(value):
            raise _expected(expected, value)
        found = _finite(value)
        if found is None or not _within(found, minimum, maximum):
            raise _expected(expected, value)
        return found

    return Reader(check, show=lambda v: f"{v:g}", from_env=_float_text)


def _within(value: float, minimum: float | None, maximum: float | None) -> bool:
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def parse_duration(value: object) -> float:
    """``90``, ``"90s"``, ``"15m"``, ``"1h"``, ``"1d"`` to seconds; ValueError for anything
    else, booleans, NaN and infinities included."""
    seconds: float | None = None
    if _is_number(value):
        seconds = _finite(value)
    elif isinstance(value, str) and (match := _DURATION.fullmatch(value)):
        seconds = _finite(float(match.group(1)) * _UNITS[match.group(2)])
    if seconds is None:
        raise _expected("a duration like 30s, 15m or 1h", value)
    return seconds


def duration_text(seconds: float) -> str:
    """Seconds as the file would say it: 3600 -> ``1h``, 90 -> ``90s``."""
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds * 1000:g}ms" if 0 < seconds < 1 else f"{seconds:g}s"


def duration(minimum: float = 1, maximum: float = MAX_DURATION) -> Reader[float]:
    """A duration in seconds (``30s``, ``15m``, ``1h``, ``1d`` or a number of seconds)."""

    def check(value: object) -> float:
        seconds = parse_duration(value)
        if seconds < minimum:
            raise Invalid(f"must be >= {duration_text(minimum)}, got {shown(value)}")
        if seconds > maximum:
            raise Invalid(f"must be <= {duration_text(maximum)}, got {shown(value)}")
        return seconds

    return Reader(check, show=duration_text)


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*")
_SIZE_UNITS = {
    None: 1,
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1 << 10,
    "MiB": 1 << 20,
    "GiB": 1 << 30,
}


def size_text(size: int) -> str:
    """Bytes as the file would say it: 67108864 -> ``64MiB``."""
    for unit in ("GiB", "MiB", "KiB"):
        if size >= _SIZE_UNITS[unit] and size % _SIZE_UNITS[unit] == 0:
            return f"{size // _SIZE_UNITS[unit]}{unit}"
    return f"{size}B"


def size(minimum: int = 1) -> Reader[int]:
    """A number of bytes: a whole number, or ``512MiB``, ``1GiB``, ``100MB`` (B, KB, MB,
    GB are powers of 1000; KiB, MiB, GiB of 1024)."""

    def check(value: object) -> int:
        found: float | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            found = float(value)
        elif isinstance(value, str) and (match := _SIZE.fullmatch(value)):
            found = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
        if found is None or not math.isfinite(found) or not minimum <= found < 2**63:
            raise Invalid(
                f"expected a size such as 64MiB or 1GiB (at least {size_text(minimum)}), "
                f"got {shown(value)}"
            )
        return int(found)

    return Reader(check, show=size_text, from_env=_int_text)


def choice(*options: T) -> Reader[T]:
    """One of a fixed set of values."""

    def check(value: object) -> T:
        for option in options:
            if type(value) is type(option) and value == option:
                return option
        raise Invalid(f"must be one of {', '.join(map(str, options))}, got {shown(value)}")

    return Reader(check)


def _file_path(value: object) -> Path:
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise _expected("a file path", value)
    return Path(value.strip())


FILE_PATH = Reader(_file_path)
"""A file's path (not checked for existence: what the file must be depends on the key)."""

ANY: Reader[object] = Reader(lambda value: value)
"""Any value, for a key whose shape its own code checks (``scopes``, breakdowns)."""


def mapping(
    value: object, path: str, problems: Problems, expected: str = "a mapping"
) -> Mapping[Any, object] | None:
    """``value`` when it is a mapping; otherwise a problem naming what was expected."""
    if isinstance(value, Mapping):
        return value
    problems.add(path, str(_expected(expected, value)))
    return None


def unknown_keys(
    raw: Mapping[Any, object],
    allowed: Iterable[str],
    path: str,
    problems: Problems,
    refused: Mapping[str, str] | None = None,
) -> None:
    """One problem per key that is not ``allowed`` (listing the allowed ones); a key in
    ``refused`` gets its own message instead."""
    known = sorted(allowed)
    for key in raw:
        if refused and key in refused:
            problems.add(join(path, key), refused[key])
        elif key not in known:
            problems.add(join(path, key), f"unknown key (allowed: {', '.join(known)})")


def read_text(path: Path, what: str | None = None) -> str:
    """A config-sized UTF-8 file's text; :class:`Invalid` says why it cannot be had."""
    what = what or str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise Invalid(f"cannot read {what}: {exc.strerror or exc}") from None
    except ValueError as exc:  # an embedded NUL
        raise Invalid(f"cannot read {what}: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"{what} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"{what} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})"
        ) from None


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases: each node is read once, so the document is as big as the
    file (an alias bomb, "billion laughs", is refused at its first ``*alias``)."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not supported: write the value out",
                self.peek_event().start_mark,  # type: ignore[no-untyped-call]
            )
        return super().compose_node(parent, index)


def parse_yaml(text: str) -> object:
    """One YAML document, aliases refused; :class:`Invalid` says where it is broken."""
    try:
        loader = _Loader(text)  # checks the characters already
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:
        raise Invalid(
            f"invalid YAML: character U+{exc.character:04X} at offset {exc.position} is not allowed"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise Invalid(f"{where}invalid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:
        raise Invalid("invalid YAML: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # a constructor's: a 5000-digit int, 2024-13-45
        raise Invalid(f"invalid YAML: {exc}") from None


def load_yaml(path: Path) -> object:
    """The document in a config file; :class:`ConfigError` (origin: the file) otherwise."""
    try:
        return parse_yaml(read_text(path, "the file"))
    except Invalid as exc:
        raise ConfigError(str(path), [str(exc)]) from None


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One key, declared once: where it sits, how it is read, its default, its environment
    variable and its help (the README's reference table is generated from these)."""

    key: str  # dotted path in the file: ``refresh.interval``; ``scopes[].x``: in each entry
    read: Reader[T]
    default: T
    help: str  # Markdown, one line
    env: str | None = None
    shown: str | None = None  # the docs' default column when the default alone says too little
    refused: str | None = None  # set for an environment-only key: the problem if it is in a file

    @property
    def name(self) -> str:
        return self.key.rpartition(".")[2]

    @property
    def section(self) -> str:
        return self.key.rpartition(".")[0]

    def default_text(self) -> str:
        """The default as the docs show it (Markdown)."""
        if self.shown is not None:
            return self.shown
        return "–" if self.default is None else f"`{self.read.show(self.default)}`"


class Section:
    """One mapping of a document (``github``, ``refresh``, ...), read through the settings
    declared under its path; a key no setting declares is a problem, and so is a mapping
    that is not one. An environment variable, when set, wins over the file's value (both
    are checked)."""

    def __init__(
        self,
        raw: object,
        path: str,
        settings: Sequence[Setting[Any]],
        problems: Problems,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.path = path
        self.problems = problems
        self.env: Mapping[str, str] = env or {}
        self._all = settings
        prefix = f"{path}." if path else ""
        # ``list[].key`` settings describe the entries of a list its own code reads (the docs
        # list them); a section has no such key.
        below = [s for s in settings if s.key.startswith(prefix) and "[]" not in s.key]
        self.settings = {s.name: s for s in below if s.section == path}
        children = {s.key.removeprefix(prefix).split(".")[0] for s in below}
        refused = {n: s.refused for n, s in self.settings.items() if s.refused}
        allowed = sorted(children - set(refused))
        expected = f"a mapping of {', '.join(allowed)}"
        found = {} if raw is None else mapping(raw, path, problems, expected)
        self.raw: Mapping[Any, object] = found or {}
        unknown_keys(self.raw, allowed, path, problems, refused)

    def section(self, name: str) -> Section:
        return Section(
            self.raw.get(name), join(self.path, name), self._all, self.problems, self.env
        )

    def given(self, setting: Setting[Any]) -> bool:
        """Whether the file or the environment gives a value (valid or not)."""
        return self.raw.get(setting.name) is not None or bool(self._env_text(setting))

    def get(self, setting: Setting[T]) -> T:
        """The value (the environment's, else the file's), or the default when absent or
        invalid (an invalid one is a problem)."""
        value = self._read(setting)
        return setting.default if value is None else value

    def need(self, setting: Setting[T]) -> T | None:
        """Like :meth:`get` for a key the section cannot do without: absent is a problem."""
        if not self.given(setting):
            self.problems.add(join(self.path, setting.name), f"missing: {setting.help}")
            return None
        return self._read(setting)

    def _env_text(self, setting: Setting[Any]) -> str:
        # An empty (or blank) variable counts as unset, as docker compose leaves them.
        text = self.env.get(setting.env, "") if setting.env else ""
        return text if text.strip() else ""

    def _read(self, setting: Setting[T]) -> T | None:
        assert setting.name in self.settings, f"{setting.key} is not declared under {self.path!r}"
        path = join(self.path, setting.name)
        value = None
        if not setting.refused:
            value = setting.read.get(self.raw, setting.name, self.path, self.problems)
        text = self._env_text(setting)
        if text:
            where = f"{path} (env {setting.env})"
            value = setting.read(setting.read.from_env(text), where, self.problems)
        return value
