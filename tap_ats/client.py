"""What every provider's streams share: accounts as partitions, pacing, retries, bookmarks.

A provider module subclasses :class:`ATSStream` once (its base client: URL, auth, paginator,
envelope) and then declares one small class per unified stream that maps the source record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import threading
import time
import typing as t
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

import pendulum
import requests
from singer_sdk import Stream, metrics
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.singerlib import RecordMessage
from singer_sdk.streams import RESTStream
from singer_sdk.streams.rest import PageContext

from tap_ats.http import AuthError, ForeignHostError, GiveUp, Refused, body, origin, path
from tap_ats.readahead import ReadAhead
from tap_ats.streams import PRIMARY_KEYS, SCHEMAS

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.http import Pacer
    from tap_ats.tap import TapATS

#: Pages in a row with no record and a next cursor before the API is taken to be looping.
MAX_EMPTY_PAGES = 100


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


class BodyCursorPaginator(BaseAPIPaginator[str | None]):
    """Follows a cursor found in the body (Kombo ``data.next``, Merge ``next``).

    A cursor is opaque, but one shaped like a URL on another host is refused: a hostile or
    confused API must not learn that the tap follows links it did not expect.
    """

    def __init__(self, provider: str, api_url: str, *keys: str) -> None:
        super().__init__(None)
        self.provider, self.api_origin = provider, origin(api_url)
        self.keys = keys

    def get_next(self, response: requests.Response) -> str | None:
        """The next cursor, or None on the last page."""
        value = body(response)
        for key in self.keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None and not isinstance(value, str):
            value = str(value)
        if value and "://" in value and origin(value) != self.api_origin:
            msg = (f"{self.provider}: refused a next-page cursor that points to another host, "
                   f"{origin(value)} (the configured API is {self.api_origin})")
            raise ForeignHostError(msg)
        return value


class Progress:
    """What one stream has read so far, logged every ``interval`` seconds while it reads.

    A long sync (ATZ CRM's history pass takes hours) otherwise says nothing between its start
    and its end; one INFO line per stream and interval says it is alive and how fast it goes.
    """

    def __init__(self, stream: str, interval: float, logger: logging.Logger) -> None:
        self.stream, self.interval, self.logger = stream, interval, logger
        self.started = time.monotonic()
        self.due = self.started + interval
        self.records = 0
        self.requests = 0
        self._lock = threading.Lock()

    def request(self) -> None:
        """Count one request (called from worker threads too)."""
        with self._lock:
            self.requests += 1

    def page(self, records: int, detail: str = "") -> None:
        """Count a page's records; log a line if the interval has passed."""
        self.records += records
        now = time.monotonic()
        if now < self.due:
            return
        self.due = now + self.interval
        elapsed = now - self.started
        self.logger.info("Progress of %s: %d records, %d requests in %.0f s (%.0f records/s)%s",
                         self.stream, self.records, self.requests, elapsed,
                         self.records / elapsed if elapsed else 0.0, detail)


class PaginationLoop(FatalAPIError):
    """The API answered a next-page cursor it had already given: following it never ends."""


def _account(context: Context | None) -> str | None:
    return (context or {}).get("account_id")


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

    def _generate_record_messages(self, record: dict) -> Iterator[RecordMessage]:
        for name in self._deselected:
            record.pop(name, None)
        for stream_map in self.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(stream=stream_map.stream_alias, record=mapped,
                                    version=self._stream_version, time_extracted=utc_now())


class ATSStream(LeanRecords, RESTStream):
    """A unified stream read from one provider endpoint, one partition per account."""

    primary_keys: t.ClassVar[list[str]] = PRIMARY_KEYS
    replication_key = "updated_at"

    _tap: TapATS

    def __init__(self, tap: TapATS) -> None:
        super().__init__(tap=tap, schema=SCHEMAS[self.name])
        self._pending: dict[str, list[dict]] = defaultdict(list)
        self._batches: dict[int, dict[str, list[dict]]] = {}
        self._batch_ids = itertools.count()
        self._page_last: dict | None = None
        self._local = threading.local()
        self._window_ends: dict[str | None, dt.datetime] = {}
        self._readahead: ReadAhead | None = None
        #: Characters of invalid UTF-8 or lone surrogates replaced by U+FFFD in this run.
        self.repaired = 0
        self.progress = Progress(self.name, float(self.config.get("progress_interval", 30)),
                                 self.logger)

    @property
    def tap(self) -> TapATS:
        """The tap, typed."""
        return self._tap

    @property
    def window_end(self) -> dt.datetime:
        """When the read of the account in progress (in this thread) started.

        The upper end of its change window and, once the account is fully out, its bookmark.
        """
        return self._local.window_end

    @property
    def requests_session(self) -> requests.Session:
        """The transport's session of this thread (requests are prepared and sent with it)."""
        return self.tap.transport.session

    @property
    def url_base(self) -> str:
        """The provider's API root (``api_url`` overrides it, e.g. a region or the sandbox)."""
        return self.tap.provider.api_url

    @property
    def partitions(self) -> list[dict] | None:
        """One partition per account, so each account keeps its own bookmark."""
        return [{"account_id": account} for account in self.tap.provider.accounts]

    @property
    def page_size(self) -> int:
        """Records per page: the provider's maximum unless configured lower."""
        return int(self.config.get("page_size") or self.tap.provider.max_page_size)

    # Records -----------------------------------------------------------------------------------

    def map_record(self, raw: dict) -> dict:
        """Map one source record to the unified columns (provider streams override this)."""
        raise NotImplementedError

    def records_from(self, payload: t.Any) -> list[dict]:
        """The source records inside one decoded response body."""
        raise NotImplementedError

    def page(self, response: requests.Response) -> list[dict]:
        """The source records of one response; an answer without its envelope stops the account.

        A 200 whose body lacks the list the API documents (a proxy's page, an API change) would
        otherwise read as an empty page, and end the stream as if it were complete.
        """
        try:
            rows = self.records_from(body(response))
        except (KeyError, TypeError, AttributeError, IndexError):
            rows = None
        if not isinstance(rows, list):
            msg = (f"{self.tap.provider.name} {response.request.method} "
                   f"{urlsplit(response.request.url).path} answered a body without the "
                   "envelope it documents; stopping this account rather than losing its rows")
            raise FatalAPIError(msg)
        return rows

    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        """Decode a page and map its records."""
        page = [self.unified(raw) for raw in self.page(response)]
        self.repaired += response.__dict__.get("repaired", 0)
        self.progress.page(len(page))
        self._page_last = page[-1] if page else None
        yield from page

    def unified(self, raw: dict) -> dict:
        """The unified record for one source record: mapped columns plus the common ones."""
        try:
            record = self.map_record(raw)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            record = {"id": None, "error": exc}
        if record.get("id") in (None, ""):
            msg = (f"{self.tap.provider.name} {self.path} returned a record that breaks its "
                   f"expected shape ({record.get('error') or 'no id'!r}); stopping this account "
                   "rather than loading it wrong")
            raise FatalAPIError(msg)
        if record["id"].__class__ is not str:
            record["id"] = str(record["id"])
        record["provider"] = self.tap.provider.name
        record["_sdc_deleted_at"] = record.get("deleted_at")
        record["raw"] = raw if self.tap.include_raw else None
        return record

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """Read one account; only when all of it is out may its bookmark become the start time.

        Each stream of an account ends on its own: one that the credential may not read (a 403,
        or a 404 on its list path) is skipped with a warning, one that fails otherwise (a
        broken body, a pagination loop) is reported, and in both cases its bookmark stays where
        it was and the account's other streams are still read. An account whose credential is
        refused (401) or whose requests still fail after every retry is given up for the rest of
        the run. A refused shared credential, an unreachable host or a foreign link end the run.
        """
        if not context or self.tap.failed(context):  # no context: a shard without accounts
            return
        before = self.progress.records
        try:
            yield from self._read_account(context)
        finally:
            self.tap.report.stream(_account(context), self.name).records += (
                self.progress.records - before)

    def _read_account(self, context: Context) -> Iterable[dict]:
        """:meth:`get_records` of one account, each way it can end sorted out."""
        try:
            yield from super().get_records(context)
        except AuthError as exc:
            if self.tap.provider.shared_credentials:
                raise  # the same credential would fail every account: stop at once
            self._account_failed(context, exc)
            return
        except Refused as exc:
            if self.without_optional(context, exc):
                yield from self._read_account(context)
            elif exc.path == urlsplit(self.url_base + self.path).path:
                self._stream_ended(context, "skipped", exc)
            else:
                self._account_failed(context, exc)
            return
        except GiveUp as exc:
            self._account_failed(context, exc)
            return
        except FatalAPIError as exc:
            self._stream_ended(context, "failed", exc)
            return
        if self.replication_method == "INCREMENTAL":
            markers = self.get_context_state(context).setdefault("progress_markers", {})
            markers["replication_key"] = self.replication_key
            markers["replication_key_value"] = self._window_ends[_account(context)].isoformat()

    def without_optional(self, context: Context | None, exc: Refused) -> bool:
        """Whether the stream can be read again without what ``exc`` refused.

        For a request that asks for something only enriching the rows (Merge's ``expand``):
        return True once it is left out for this account, and say which columns stay null.
        """
        return False

    def _increment_stream_state(self, latest_record: dict, *,
                                context: Context | None = None) -> None:
        """Nothing per record: the bookmark is the read's start time, set by :meth:`get_records`.

        The SDK would track the largest ``updated_at`` seen on every record only for us to
        overwrite it; that was about 8% of the tap's CPU in a profile of the benchmark.
        """

    def _account_failed(self, context: Context | None, exc: Exception) -> None:
        """Drop the account's partial progress (its bookmark stays) and report it."""
        self.get_context_state(context).pop("progress_markers", None)
        self.tap.account_failed(context, self.name, exc)

    def _stream_ended(self, context: Context | None, status: str, exc: FatalAPIError) -> None:
        """Drop this stream's partial progress in the account (its bookmark stays); report it."""
        self.get_context_state(context).pop("progress_markers", None)
        self.tap.stream_ended(context, self, status, exc)

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """The account's records, its pages possibly read ahead while other accounts are out.

        The SDK syncs partitions one after another. With several accounts and
        ``max_concurrency`` above 1, a :class:`ReadAhead` reads the pages of the account being
        written and of the next ones, ``max_concurrency`` accounts at most (each within its own
        pacer's budget, each into a byte-bounded buffer); records are still parsed and written by
        this thread only, one account after another, so the output and the state stay valid
        Singer, and memory does not grow with the number of accounts.
        """
        partitions = [p for p in self.partitions or [{}] if not self.tap.failed(p)]
        if self._readahead is None and self.tap.max_concurrency > 1 and len(partitions) > 1:
            # The SDK records where a partition starts only when it reaches it; the readers
            # need it before, to send each account's filter from its own bookmark.
            self._readahead = ReadAhead(self._responses, self._write_starting_replication_value,
                                        partitions, self.tap.max_concurrency)
        responses = (self._readahead.responses(context) if self._readahead is not None
                     else self._responses(context))
        for response in responses:
            yield from self.parse_response(response)

    def _responses(self, context: Context | None) -> Iterator[requests.Response]:
        """Every page of one account, empty pages with a next cursor included.

        A cursor the API already gave for this account (a loop), or a long run of empty pages,
        stops the account instead of reading forever.
        """
        self._local.window_end = self._window_ends[_account(context)] = utc_now()
        paginator = self.get_new_paginator()
        seen: set[str] = set()
        empty = 0
        with self.get_http_request_counter() as counter:  # the SDK's http_request_count
            counter.with_context(context)
            while not paginator.finished:
                request = self.get_http_request(page=PageContext(
                    stream_context=context, next_page_token=paginator.current_value))
                prepared = self.build_prepared_request(
                    method=request.method, url=request.url, params=request.encode_params(),
                    headers=request.headers)
                response = self.send(prepared, context)
                counter.increment()
                empty = 0 if self.page(response) else empty + 1
                yield response
                try:
                    paginator.advance(response)
                except RuntimeError:  # the SDK's check: the cursor equals the one just used
                    seen.add(str(paginator.current_value))
                cursor = str(paginator.current_value)
                if not paginator.finished and (cursor in seen or empty >= MAX_EMPTY_PAGES):
                    what = ("a next-page cursor it had already given" if cursor in seen
                            else f"{empty} empty pages in a row, each with a next cursor")
                    msg = (f"{self.tap.provider.name} {self.path} answered {what} (a pagination "
                           "loop); stopping this account, its bookmark kept")
                    raise PaginationLoop(msg)
                seen.add(cursor)

    def start_time(self, context: Context | None) -> dt.datetime | None:
        """Where this account's read begins: the bookmark (or start_date) minus the lookback."""
        start = self.get_starting_timestamp(context)
        if start is None:
            return None
        return start - dt.timedelta(minutes=self.tap.lookback_minutes)

    # Derived child streams ---------------------------------------------------------------------

    def get_child_context(self, record: dict, context: Context | None) -> Context | None:
        """Unused: children are fed in page batches by :meth:`generate_child_contexts`."""
        return context

    def generate_child_contexts(self, record: dict, context: Context | None) -> Iterable[Context]:
        """Collect the derived rows of ``record``; hand them over once a page is complete.

        One child sync per page instead of one per record keeps derived streams as cheap as
        the records they come from.
        """
        for child in self.child_streams:
            if child.selected and isinstance(child, DerivedStream):
                self._pending[child.name].extend(child.derive(record))
        if record is self._page_last and self._pending:
            batch = next(self._batch_ids)
            self._batches[batch], self._pending = self._pending, defaultdict(list)
            yield {"account_id": record["account_id"], "batch": batch}

    def take(self, batch: int, name: str) -> list[dict]:
        """Hand the rows of ``batch`` for child stream ``name`` over (each only once)."""
        rows = self._batches.get(batch, {})
        taken = rows.pop(name, [])
        if not rows:
            self._batches.pop(batch, None)
        return taken

    # HTTP --------------------------------------------------------------------------------------

    def send(self, request: requests.PreparedRequest, context: Context | None) -> requests.Response:
        """Send through the run's transport, paced by the account's budget (all requests do).

        Each answer is logged as the SDK's ``http_request_duration`` METRIC, as the SDK's own
        request loop would (this tap reads pages in its own loop, for read-ahead): its path,
        never its query, which may carry cursors and filters.
        """
        self.progress.request()
        self.tap.report.request(_account(context) or "", self.name)
        response = self.tap.transport.send(request, pacer=self.pacer(context),
                                           check=self.validate_response, prepare=self.authorize)
        metrics.log(self.metrics_logger, metrics.Point(
            "timer", metrics.Metric.HTTP_REQUEST_DURATION, response.elapsed.total_seconds(), {
                metrics.Tag.STREAM: self.name,
                metrics.Tag.ENDPOINT: urlsplit(response.request.url).path,
                metrics.Tag.HTTP_STATUS_CODE: response.status_code,
                metrics.Tag.STATUS: metrics.Status.SUCCEEDED,
                metrics.Tag.CONTEXT: context}))
        return response

    def get(self, segments: Iterable[t.Any], context: Context | None,
            **params: t.Any) -> requests.Response:
        """GET the path of ``segments`` (each escaped as one) under the API root.

        requests would turn an escaped ``%2E%2E`` back into ``..``; the path is set again after
        preparing, exactly as built.
        """
        url = self.url_base + path(*segments)
        request = self.build_prepared_request(method="GET", url=url, params=params,
                                              headers=self.http_headers)
        request.url = urlunsplit(urlsplit(request.url)._replace(path=urlsplit(url).path))
        return self.send(request, context)

    def pacer(self, context: Context | None) -> Pacer:
        """The budget of the account behind ``context``."""
        return self.tap.provider.pacer(context)

    def authorize(self, request: requests.PreparedRequest) -> None:
        """Before each attempt: nothing (the authenticator set the headers once)."""

    def response_error_message(self, response: requests.Response) -> str:
        """One line naming provider, endpoint and status; never the URL query or credentials."""
        detail = self.tap.provider.error_detail(response)
        path = urlsplit(response.request.url).path
        return (f"{self.tap.provider.name} {response.request.method} {path} answered "
                f"{response.status_code} {response.reason}" + (f": {detail}" if detail else ""))

    def validate_response(self, response: requests.Response) -> None:
        """A 401 names the credential to check; a 403 or 404 is :class:`Refused` (by path).

        A 404 that the provider says means the account itself is unknown (a Kombo
        integration id that does not exist) is an ordinary failure of the account instead.
        """
        status = response.status_code
        if status == 401:
            msg = (self.response_error_message(response).rstrip(".") + ". "
                   + self.tap.provider.auth_hint(status))
            raise AuthError(msg, status)
        if status in (403, 404) and not self.tap.provider.account_unknown(response):
            raise Refused(self.response_error_message(response), status,
                          urlsplit(response.request.url).path)
        super().validate_response(response)


class DerivedStream(LeanRecords):
    """A stream whose rows come from a parent stream's records, with no request of its own.

    Examples: observed ``application_stages`` from Kombo or Merge applications, and the rows ATZ
    derives from candidate history. The parent collects rows with :meth:`derive` and hands them
    over a page at a time.
    """

    primary_keys: t.ClassVar[list[str]] = PRIMARY_KEYS
    replication_key = None
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def __init__(self, tap: TapATS) -> None:
        super().__init__(tap=tap, schema=SCHEMAS[self.name])
        self._schema_sent = False

    def _write_schema_message(self) -> None:
        """Once per run, not once per page batch as the SDK would for a child stream.

        Pipelinewise targets (target-duckdb, target-snowflake) flush every stream and re-check
        the table on each SCHEMA message, so one per page made loading crawl.
        """
        if not self._schema_sent:
            self._schema_sent = True
            super()._write_schema_message()

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never: a derived stream sees one page at a time, not the whole table."""
        return False

    def derive(self, parent_record: dict) -> list[dict]:
        """Rows of this stream that one parent record yields."""
        raise NotImplementedError

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """The rows the parent collected for this batch."""
        parent = self._tap.streams[self.parent_stream_type.name]
        rows = parent.take(context["batch"], self.name)
        self._tap.report.stream(context["account_id"], self.name).records += len(rows)
        yield from rows


def name_id(name: str) -> str:
    """A stable id for an entity the API names but does not number (a Kombo department).

    The first 16 hex digits of the SHA-256 of the name, trimmed and case-folded: the same name
    gives the same id on every run and machine, so rows derived from different records join.
    """
    return hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:16]


class DistinctDerived(DerivedStream):
    """A derived stream whose rows repeat across parent records (a department of many jobs).

    Each id is emitted once per account and run; state stays empty, the set is the run's.
    """

    def __init__(self, tap: TapATS) -> None:
        super().__init__(tap)
        self._emitted: set[tuple[str, str]] = set()

    def derive(self, parent_record: dict) -> list[dict]:
        """The rows of :meth:`derive_all` not emitted yet in this run."""
        rows = []
        for row in self.derive_all(parent_record):
            key = (row["account_id"], row["id"])
            if key not in self._emitted:
                self._emitted.add(key)
                rows.append(row)
        return rows

    def derive_all(self, parent_record: dict) -> list[dict]:
        """Every row one parent record names, repeats included."""
        raise NotImplementedError


class ObservedStages(DerivedStream):
    """``application_stages`` observed from applications (Kombo, Merge: no history endpoint).

    Each read of an application yields one row keyed by (application, stage, observed_at), where
    ``observed_at`` is the application's own change time; re-reading the same version yields the
    same row, so state stays small and re-reads are harmless upserts.
    """

    name = "application_stages"

    def derive(self, parent_record: dict) -> list[dict]:
        """One observation per application record that has a current stage."""
        app = parent_record
        if not app.get("current_stage_id") or not app.get("updated_at"):
            return []
        return [{
            "provider": app["provider"], "account_id": app["account_id"],
            "id": f"{app['id']}:{app['current_stage_id']}:{app['updated_at']}",
            "remote_id": None, "created_at": app["updated_at"], "updated_at": app["updated_at"],
            "deleted_at": app["deleted_at"], "_sdc_deleted_at": app["deleted_at"],
            "application_id": app["id"], "job_id": app["job_id"],
            "candidate_id": app["candidate_id"], "stage_id": app["current_stage_id"],
            "stage_name": app["current_stage_name"], "entered_at": None, "exited_at": None,
            "is_current": None, "origin": "observed", "observed_at": app["updated_at"],
            "raw": None,
        }]
