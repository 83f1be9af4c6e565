"""What every provider's streams share: accounts as partitions, pacing, retries, bookmarks.

A provider module subclasses :class:`ATSStream` once (its base client: URL, auth, paginator,
envelope) and then declares one small class per unified stream that maps the source record.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import random
import threading
import time
import typing as t
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from functools import cached_property
from urllib.parse import urlsplit

import msgspec
import requests
from singer_sdk import Stream
from singer_sdk.exceptions import FatalAPIError, FatalSyncError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import BaseAPIPaginator
from singer_sdk.singerlib import RecordMessage
from singer_sdk.streams import RESTStream

from tap_ats.streams import PRIMARY_KEYS, SCHEMAS

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.tap import TapATS

MAX_RETRY_AFTER = 300.0
BACKOFF_CAP = 30.0
BACKOFF_TRIES = 8
PREFETCH_BYTES = 16 * 2**20


def ts(value: str | None) -> str | None:
    """Normalize a provider timestamp to RFC 3339 UTC.

    Values already in UTC with a ``Z`` pass through untouched (the common case, and the fast
    path: no parse per field per record).
    """
    if not value:
        return None
    if value.endswith("Z"):
        return value
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def utc_now() -> dt.datetime:
    """The wall clock, in UTC."""
    return dt.datetime.now(dt.UTC)


def retry_after(response: requests.Response | None) -> float | None:
    """Seconds the provider asked us to wait (``Retry-After`` as seconds or HTTP date)."""
    if response is None or not (value := response.headers.get("Retry-After")):
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max((when - utc_now()).total_seconds(), 0.0), MAX_RETRY_AFTER)


def body(response: requests.Response) -> t.Any:
    """The decoded JSON body, decoded once per response however many readers it has.

    The paginator and the record parser both need the body; msgspec decodes it several times
    faster than the standard library.
    """
    cached = response.__dict__.get("_ats_body", body)
    if cached is body:
        try:
            cached = msgspec.json.decode(response.content)
        except msgspec.DecodeError as exc:
            msg = f"unparseable JSON body ({len(response.content)} bytes)"
            raise RetriableAPIError(msg, response) from exc
        response.__dict__["_ats_body"] = cached
    return cached


class BodyCursorPaginator(BaseAPIPaginator[str | None]):
    """Follows a cursor found in the body (Kombo ``data.next``, Merge ``next``)."""

    def __init__(self, *keys: str) -> None:
        super().__init__(None)
        self.keys = keys

    def get_next(self, response: requests.Response) -> str | None:
        """The next cursor, or None on the last page."""
        value = body(response)
        for key in self.keys:
            value = (value or {}).get(key)
        return value


class AuthError(FatalAPIError):
    """A 401 or 403: a credential is wrong or lacks a permission."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _account(context: Context | None) -> str | None:
    return (context or {}).get("account_id")


class Prefetch:
    """One account's responses, read ahead by a worker thread, for the main thread to parse.

    The buffer holds at most ``PREFETCH_BYTES`` of response bodies (the worker waits when it is
    full), so memory stays flat however large the tenant is.
    """

    def __init__(self) -> None:
        self._items: deque[requests.Response] = deque()
        self._size = 0
        self._done = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()

    def fill(self, responses: t.Callable[[Context], Iterator[requests.Response]],
             context: Context, slots: threading.Semaphore) -> None:
        """Worker: read every response of the account into the buffer (in a free slot)."""
        with slots:
            try:
                for response in responses(context):
                    response.__dict__.pop("_ats_body", None)  # keep bytes, not decoded copies
                    with self._cond:
                        while self._size >= PREFETCH_BYTES and self._items:
                            self._cond.wait()
                        self._items.append(response)
                        self._size += len(response.content)
                        self._cond.notify_all()
            except BaseException as exc:
                self._error = exc
            finally:
                with self._cond:
                    self._done = True
                    self._cond.notify_all()

    def __iter__(self) -> Iterator[requests.Response]:
        """Main thread: the responses in order; a worker's error is raised here."""
        while True:
            with self._cond:
                while not self._items and not self._done:
                    self._cond.wait()
                if not self._items:
                    if self._error is not None:
                        raise self._error
                    return
                response = self._items.popleft()
                self._size -= len(response.content)
                self._cond.notify_all()
            yield response


class Pacer:
    """Spaces requests so that no more than ``per_minute`` start in any minute.

    Thread-safe: concurrent workers of one account share one pacer, so the account's budget is
    respected whatever the concurrency. A 2% margin keeps a fixed-window server from ever seeing
    one request too many when our clock and its window boundaries disagree.
    """

    def __init__(self, per_minute: float | None) -> None:
        self.interval = 60.0 / per_minute * 1.02 if per_minute else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller may send its request."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        """Push every later request back by ``seconds`` (after a 429)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


class LeanRecords(Stream):
    """Record emission without the per-record work our records never need.

    Every record is built by our own mapping with the schema's types already (strings, booleans,
    integers, lists; RFC 3339 strings for times), so type conformance is off. And the SDK drops
    deselected properties by walking every nested key of every record, including the whole
    ``raw`` object: about a fifth of the tap's CPU in the benchmark. Selection here is by
    top-level property (``raw`` is opaque), so dropping those keys directly is equivalent.
    """

    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

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
        self._prefetches: dict[str | None, Prefetch] = {}

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
        """One keep-alive session per thread: accounts may be read by worker threads."""
        if (session := getattr(self._local, "session", None)) is None:
            session = self._local.session = requests.Session()
        return session

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

    def records_from(self, payload: t.Any) -> Iterable[dict]:
        """The source records inside one decoded response body."""
        raise NotImplementedError

    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        """Decode a page and map its records."""
        page = [self.unified(raw) for raw in self.records_from(body(response))]
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
        record["provider"] = self.tap.provider.name
        record["_sdc_deleted_at"] = record.get("deleted_at")
        record["raw"] = raw if self.tap.include_raw else None
        return record

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """Read one account; only when all of it is out may its bookmark become the start time.

        An account that fails (bad credential, unknown account) is reported to the tap and its
        partial progress is dropped, so its bookmark stays where it was and the other accounts go
        on; the tap exits non-zero at the end.
        """
        if not context:  # an account_shard that holds none of the accounts: the SDK's {} stand-in
            return
        try:
            yield from super().get_records(context)
        except AuthError as exc:
            if exc.status == 401 and self.tap.provider.shared_credentials:
                raise  # the same credential would fail every account: stop at once
            self._account_failed(context, exc)
            return
        except FatalAPIError as exc:
            self._account_failed(context, exc)
            return
        except requests.RequestException as exc:
            msg = (f"{self.tap.provider.name} API at {self.url_base} unreachable after "
                   f"{BACKOFF_TRIES} attempts ({type(exc).__name__}); check setting 'api_url'")
            raise FatalSyncError(msg) from exc
        if self.replication_method == "INCREMENTAL":
            markers = self.get_context_state(context).setdefault("progress_markers", {})
            markers["replication_key"] = self.replication_key
            markers["replication_key_value"] = self._window_ends[_account(context)].isoformat()

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

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """The account's records, its pages possibly read ahead while other accounts are out.

        The SDK syncs partitions one after another. With several accounts and
        ``max_concurrency`` above 1, the first call starts a worker thread per account (at most
        ``max_concurrency`` at once, each within its own pacer's budget) that reads that account's
        pages into a byte-bounded buffer; records are still parsed and written by this thread only,
        one account after another, so the output and the state stay valid Singer.
        """
        account = _account(context)
        partitions = self.partitions or [{}]
        if account not in self._prefetches and self.tap.max_concurrency > 1 and len(
                partitions) > 1:
            slots = threading.Semaphore(self.tap.max_concurrency)
            for partition in partitions:
                # The SDK records where a partition starts only when it reaches it; the workers
                # need it now, to send each account's filter from its own bookmark.
                self._write_starting_replication_value(partition)
                prefetch = self._prefetches[_account(partition)] = Prefetch()
                threading.Thread(target=prefetch.fill, args=(self._responses, partition, slots),
                                 daemon=True).start()
        prefetch = self._prefetches.pop(account, None)
        for response in prefetch if prefetch is not None else self._responses(context):
            yield from self.parse_response(response)

    def _responses(self, context: Context | None) -> Iterator[requests.Response]:
        """Every page of one account, the request loop of the SDK's request_records."""
        self._local.window_end = self._window_ends[_account(context)] = utc_now()
        paginator = self.get_new_paginator()
        request = self.request_decorator(self._request)
        while not paginator.finished:
            response = request(self._prepare_request(context=context, page=paginator), context)
            if not self.records_from(body(response)) and not paginator.continue_if_empty(
                    response):
                return
            yield response
            paginator.advance(response)

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

    def _request(self, prepared_request: requests.PreparedRequest,
                 context: Context | None) -> requests.Response:
        """Pace, send, and decode the body inside the retry loop.

        The account's pacer is waited on before every attempt; decoding here means a truncated
        or malformed body is retried like a 5xx instead of ending the sync.
        """
        pacer = self.tap.provider.pacer(context)
        pacer.wait()
        try:
            response = super()._request(prepared_request, context)
            body(response)
        except RetriableAPIError as exc:
            if exc.response is not None and exc.response.status_code == 429:
                pacer.pause(retry_after(exc.response) or 1.0)
            raise
        return response

    def response_error_message(self, response: requests.Response) -> str:
        """One line naming provider, endpoint and status; never the URL query or credentials."""
        detail = self.tap.provider.error_detail(response)
        path = urlsplit(response.request.url).path
        return (f"{self.tap.provider.name} {response.request.method} {path} answered "
                f"{response.status_code} {response.reason}" + (f": {detail}" if detail else ""))

    def validate_response(self, response: requests.Response) -> None:
        """Give 401/403 a message that says which credential to check."""
        if response.status_code in (401, 403):
            msg = (self.response_error_message(response).rstrip(".") + ". "
                   + self.tap.provider.auth_hint(response.status_code))
            raise AuthError(msg, response.status_code)
        super().validate_response(response)

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        """Honour ``Retry-After`` when the provider sends it; else capped full-jitter backoff."""
        exc = yield 0.0
        for attempt in itertools.count():
            wait = retry_after(getattr(exc, "response", None))
            if wait is None:
                wait = random.uniform(0, min(BACKOFF_CAP, 0.5 * 2**attempt))
            exc = yield wait

    def backoff_jitter(self, value: float) -> float:
        """No extra jitter: the wait generator already jitters, and Retry-After is exact."""
        return value

    def backoff_max_tries(self) -> int:
        """Give up after this many attempts (about two minutes of backoff at most)."""
        return BACKOFF_TRIES

    def backoff_handler(self, details: t.Any) -> None:
        """Log each retry on one line, without URL or credentials."""
        exc = details.get("exception")
        self.logger.warning("Retrying %s after %s (attempt %d, waiting %.1fs)", self.path,
                            type(exc).__name__ if exc else "error", details.get("tries", 0),
                            details.get("wait", 0.0))


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
        yield from parent.take(context["batch"], self.name)


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
