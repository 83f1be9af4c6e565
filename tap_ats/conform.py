"""Records to their schema: provider times read as RFC 3339 UTC, every value of its column's type.

:func:`ts` and :func:`day` read the times providers send; :class:`Conformer` makes a mapped record
valid against the stream's schema at a type check per column; :class:`LeanRecords` emits records
without the SDK's per-record work that such records never need.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cached_property

import pendulum
from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import RecordMessage

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class Unreadable(str):
    """A source value that was meant to be a time or date and could not be understood.

    It travels in the mapped record as a marked string until :class:`Conformer` counts it and
    loads it as null; the source value stays in ``raw``.
    """

    __slots__ = ()


def _rfc3339(when: dt.datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def ts(value: t.Any) -> str | None:
    """A provider timestamp as RFC 3339 UTC, or :class:`Unreadable` if it is none.

    Fast path: an RFC 3339 UTC string (``...T..:..:..Z`` or with a fraction) that
    ``datetime.fromisoformat`` accepts is returned as it is. Other shapes a careful reader still
    understands (a date alone, a space for ``T``, an offset, no zone: taken as UTC) are parsed by
    ``fromisoformat``, then by pendulum; what neither understands is unreadable.
    """
    if value is None or value == "":
        return None
    if value.__class__ is not str:
        return Unreadable(value)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return _slow_ts(value)
    if len(value) >= 20 and value[-1] == "Z" and value[10] == "T" and value[19] in "Z.":
        return value
    return _rfc3339(parsed)


def _slow_ts(value: str) -> str:
    try:
        parsed = pendulum.parse(value, strict=False)
    except (ValueError, TypeError, OverflowError):
        return Unreadable(value)
    if isinstance(parsed, dt.datetime):
        return _rfc3339(parsed)
    if isinstance(parsed, dt.date):
        return _rfc3339(dt.datetime(parsed.year, parsed.month, parsed.day))
    return Unreadable(value)


def day(value: t.Any) -> str | None:
    """A calendar date as ``YYYY-MM-DD``, or :class:`Unreadable` if it is none."""
    stamp = ts(value)
    if stamp is None or stamp.__class__ is Unreadable:
        return stamp
    return stamp[:10]


def utc_now() -> dt.datetime:
    """The wall clock, in UTC."""
    return dt.datetime.now(dt.UTC)


class Conformer:
    """Makes every record valid against the stream's schema, at a type check per column.

    Mappings build most values with the right type already; what a provider sends otherwise (an
    integer id in a string column, a date-time that could not be understood) is coerced where
    that is lossless (numbers to strings, ``"true"`` to a boolean) and otherwise loaded as null
    and counted, so a run never stops on one odd value and never sends a target a value that
    breaks the schema it was given.
    """

    #: Top-level columns the tap sets itself, never from a source value: no check needed.
    OWN = frozenset({"provider", "account_id", "raw"})

    def __init__(self, schema: dict, nulled: Counter[str] | None = None,
                 own: frozenset[str] = OWN) -> None:
        #: Values loaded as null (or dropped from an array), by column, for the run's warning.
        self.nulled: Counter[str] = Counter() if nulled is None else nulled
        self.checks = [(name, *self._check(name, prop))
                       for name, prop in schema["properties"].items() if name not in own]

    def conform(self, record: dict) -> dict:
        """``record`` with every value of its schema's type (changed in place)."""
        get = record.get
        for name, cls, fix in self.checks:
            value = get(name)
            if value is not None and value.__class__ is not cls:
                record[name] = fix(value)
        return record

    def _check(self, name: str, prop: dict) -> tuple[type, Callable[[t.Any], t.Any]]:
        """The class a value of ``prop`` has, and how to fix a value that has another."""
        kinds = prop.get("type", [])
        kind = next((k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null"),
                    None)
        convert: Callable[[t.Any], t.Any]
        cls: type = str
        if kind == "string":
            convert = {"date-time": _as_time, "date": _as_day}.get(prop.get("format"), _as_text)
        elif kind == "boolean":
            cls, convert = bool, _as_boolean
        elif kind == "integer":
            cls, convert = int, _as_integer
        elif kind == "array":
            item_cls, item_fix = self._check(name, prop.get("items", {}))

            def convert(value: t.Any) -> list | None:
                if not isinstance(value, list):
                    return None
                items = [v if v.__class__ is item_cls else item_fix(v) for v in value]
                return [v for v in items if v is not None]
        elif "properties" in prop:
            # An object's own values need checking too, so no value may skip the fix.
            cls, convert = _Nested, Conformer(prop, self.nulled, frozenset()).conform_object
        else:
            cls, convert = dict, _as_object

        def fix(value: t.Any) -> t.Any:
            fixed = convert(value)
            if fixed is None:  # items dropped from an array were counted by the item's fix
                self.nulled[name] += 1
            return fixed

        return cls, fix

    def conform_object(self, value: t.Any) -> dict | None:
        """A nested object (e.g. a job's stage) conformed, or None if it is not an object."""
        return self.conform(value) if isinstance(value, dict) else None


class _Nested:
    """Never the class of a value: a nested object is always conformed, key by key."""


def _as_text(value: t.Any) -> str | None:
    if isinstance(value, Unreadable) or not isinstance(value, str | int | float):
        return None
    return str(value)


def _as_time(value: t.Any) -> str | None:
    stamp = None if isinstance(value, Unreadable) else ts(value)
    return stamp if stamp.__class__ is str else None


def _as_day(value: t.Any) -> str | None:
    stamp = None if isinstance(value, Unreadable) else day(value)
    return stamp if stamp.__class__ is str else None


def _as_boolean(value: t.Any) -> bool | None:
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _as_integer(value: t.Any) -> int | None:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _as_object(value: t.Any) -> dict | None:
    return value if isinstance(value, dict) else None


class LeanRecords(Stream):
    """Record emission without the per-record work our records never need.

    Every record is built by our own mapping, and :class:`Conformer` (in the public
    ``post_process`` hook) makes every value of its schema's type, so the SDK's conformance is
    off. And the SDK drops deselected properties by walking every nested key of every record,
    including the whole ``raw`` object: about a fifth of the tap's CPU in the benchmark.
    Selection here is by top-level property (``raw`` is opaque), so dropping those keys directly
    is equivalent.
    """

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    @cached_property
    def conformer(self) -> Conformer:
        """The stream's schema checks (built once)."""
        return Conformer(self.schema)

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Every value of its schema's type: what cannot be is null (counted), ids strings."""
        return self.conformer.conform(row)

    @cached_property
    def _deselected(self) -> list[str]:
        return [name for name in self.schema["properties"] if not self.mask[("properties", name)]]

    @cached_property
    def _alias_only(self) -> str | None:
        """The stream's name in RECORDs when its one map passes records through unchanged.

        That is the SDK's map without stream maps or flattening configured: its ``transform``
        returns the record itself, so calling it per record is skipped.
        """
        maps = self.stream_maps
        if (len(maps) == 1 and maps[0].__class__ is SameRecordTransform
                and not maps[0].flattening_enabled):
            return maps[0].stream_alias
        return None

    def _generate_record_messages(self, record: dict) -> Iterator[RecordMessage]:
        for name in self._deselected:
            record.pop(name, None)
        if (alias := self._alias_only) is not None:
            yield RecordMessage(stream=alias, record=record, version=self._stream_version,
                                time_extracted=utc_now())
            return
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(stream=stream_map.stream_alias, record=mapped,
                                    version=self._stream_version, time_extracted=utc_now())
