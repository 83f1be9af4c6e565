"""The stream base every provider's streams share: accounts as partitions, pacing, bookmarks.

A provider module subclasses :class:`ATSStream` once (its base client: URL, auth, paginator,
envelope) and then declares one small class per unified stream that maps the source record.
Each account is a state partition; each stream of an account ends on its own (read, skipped for
want of permission, or failed), and only a stream read in full moves its bookmark.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import typing as t
from collections import defaultdict
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from singer_sdk import metrics
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.streams import RESTStream
from singer_sdk.streams.rest import PageContext

from tap_ats.conform import LeanRecords, utc_now
from tap_ats.derived import DerivedStream
from tap_ats.http import AccountUnreadable, AuthError, GiveUp, ProbeFailed, Refused, path
from tap_ats.outcomes import AccountEndings, account_of
from tap_ats.paging import pages
from tap_ats.readahead import ReadAhead
from tap_ats.report import Progress
from tap_ats.state import IndexedState
from tap_ats.streams import PRIMARY_KEYS, SCHEMAS

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer, Pacer
    from tap_ats.tap import TapATS


class ATSStream(AccountEndings, IndexedState, LeanRecords, RESTStream):
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
        self._lock = threading.Lock()
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

    def page(self, answer: Answer) -> list[dict]:
        """The source records of one answer; one without its envelope stops the account.

        A 200 whose body lacks the list the API documents (a proxy's page, an API change) would
        otherwise read as an empty page, and end the stream as if it were complete.
        """
        try:
            rows = self.records_from(answer.body)
        except (KeyError, TypeError, AttributeError, IndexError):
            rows = None
        if not isinstance(rows, list):
            request = answer.response.request
            msg = (f"{self.tap.provider.name} {request.method} "
                   f"{urlsplit(request.url).path} answered a body without the "
                   "envelope it documents; stopping this account rather than losing its rows")
            raise FatalAPIError(msg)
        return rows

    def parse_page(self, answer: Answer) -> Iterator[dict]:
        """Map the records of a page."""
        page = [self.unified(raw) for raw in self.page(answer)]
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
        broken body, a pagination loop, retries run out) is reported, and in both cases its
        bookmark stays where it was and the account's other streams are still read. An account
        whose credential is refused (401), or whose API is down (:mod:`tap_ats.outcomes`), is
        given up for the rest of the run. A refused shared credential, an unreachable host or a
        foreign link end the run.
        """
        if not context or self.tap.failed(context):  # no context: a shard without accounts
            return
        before = self.progress.records
        try:
            yield from self._read_account(context)
        finally:
            self.tap.report.stream(account_of(context), self.name).records += (
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
            if self.without_optional(context, exc):
                yield from self._read_account(context)
            else:
                self.gave_up(context, exc)
            return
        except ProbeFailed as exc:
            self.gave_up(context, exc)
            return
        except AccountUnreadable as exc:  # not yet (AccountNotReady): skipped, not failed
            self._account_failed(context, exc)
            return
        except FatalAPIError as exc:
            self._stream_ended(context, "failed", exc)
            return
        self.ended(context)

    def _increment_stream_state(self, latest_record: dict, *,
                                context: Context | None = None) -> None:
        """Nothing per record: the bookmark is the read's start time, set by :meth:`get_records`.

        The SDK would track the largest ``updated_at`` seen on every record only for us to
        overwrite it; that was about 8% of the tap's CPU in a profile of the benchmark.
        """

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """The account's records, its pages possibly read ahead while other accounts are out.

        The SDK syncs partitions one after another. With several accounts and
        ``max_concurrency`` above 1 and an API slow enough to wait for, a :class:`ReadAhead`
        reads the pages of the account being written and of the next ones, ``max_concurrency``
        accounts at most (each within its own pacer's budget, each into a byte-bounded buffer);
        records are still parsed and written by this thread only, one account after another,
        so the output and the state stay valid Singer, and memory does not grow with the number
        of accounts.
        """
        if self._readahead is None and self.tap.max_concurrency > 1:
            # Listed once per stream, not once per account: with many accounts that was a scan
            # of them all for each one.
            partitions = self.ahead()
            if len(partitions) > 1:
                # The SDK records where a partition starts only when it reaches it; the readers
                # need it before, to send each account's filter from its own bookmark.
                self._readahead = ReadAhead(self._answers,
                                            self._write_starting_replication_value, partitions,
                                            self.tap.max_concurrency,
                                            waits=self.tap.page_waits, logger=self.logger)
        answers = (self._readahead.answers(context) if self._readahead is not None
                   else self._answers(context))
        for answer in answers:
            yield from self.parse_page(answer)

    def ahead(self) -> list[dict]:
        """The accounts whose pages may be read ahead: those not given up."""
        return [p for p in self.partitions or [{}] if not self.tap.failed(p)]

    def _answers(self, context: Context | None) -> Iterator[Answer]:
        """Every page of one account, through the one pagination loop (:func:`pages`)."""
        self._local.window_end = self._window_ends[account_of(context)] = utc_now()
        with self.get_http_request_counter() as counter:  # the SDK's http_request_count
            counter.with_context(context)

            def send(token: t.Any) -> Answer:
                request = self.get_http_request(page=PageContext(stream_context=context,
                                                                 next_page_token=token))
                prepared = self.build_prepared_request(
                    method=request.method, url=request.url, params=request.encode_params(),
                    headers=request.headers, json=request.data)
                counter.increment()
                return self.send(prepared, context)

            yield from pages(send, self.get_new_paginator(), self.page,
                             f"{self.tap.provider.name} {self.path}")

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

    def send(self, request: requests.PreparedRequest, context: Context | None) -> Answer:
        """Send through the run's transport, paced by the account's budget (all requests do).

        Each answer is logged as the SDK's ``http_request_duration`` METRIC, as the SDK's own
        request loop would (this tap reads pages in its own loop, for read-ahead): its path,
        never its query, which may carry cursors and filters. A request of an account on
        probation (:mod:`tap_ats.outcomes`) is a probe; its answer ends the probation, and an
        outage met on the way (Greenhouse's token request gave up too) fails it.
        """
        account = account_of(context) or ""
        self.progress.request()
        self.tap.report.request(account, self.name)
        probe = self.tap.probation.on(account)
        try:
            answer = self.tap.transport.send(request, pacer=self.pacer(context), probe=probe,
                                             check=self.validate_response,
                                             prepare=self.authorize)
        except GiveUp as exc:
            if probe and exc.outage:
                raise ProbeFailed(str(exc)) from exc
            raise
        if probe:
            self.tap.probation.end(account)
        if answer.repaired:
            with self._lock:
                self.repaired += answer.repaired
        response = answer.response
        metrics.log(self.metrics_logger, metrics.Point(
            "timer", metrics.Metric.HTTP_REQUEST_DURATION, response.elapsed.total_seconds(), {
                metrics.Tag.STREAM: self.name,
                metrics.Tag.ENDPOINT: urlsplit(response.request.url).path,
                metrics.Tag.HTTP_STATUS_CODE: response.status_code,
                metrics.Tag.STATUS: metrics.Status.SUCCEEDED,
                metrics.Tag.CONTEXT: context}))
        return answer

    def build_prepared_request(self, *, method: str, url: str,
                               params: dict | str | None = None,
                               headers: dict | None = None,
                               json: t.Any = None) -> requests.PreparedRequest:
        """The SDK's request (its auth, its User-Agent), prepared without the session's merge.

        ``json``: a body sent as JSON (Ashby's lists are POSTs with their filters in the body).

        ``Session.prepare_request`` builds a cookie jar and runs requests' runtime Protocol checks
        for every request: 60 of the 100 µs preparing one took, and ATZ CRM sends a request per
        candidate. The tap's sessions hold nothing to merge but their default headers and their
        cookies, and both are kept.
        """
        if isinstance(params, dict):
            params = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
        session = self.requests_session
        request = requests.PreparedRequest()
        request.prepare(method=method, url=url, params=params, auth=self.authenticator,
                        headers={**session.headers, "User-Agent": self.user_agent,
                                 **(headers or {})}, cookies=session.cookies, json=json)
        return request

    def get(self, segments: Iterable[t.Any], context: Context | None,
            **params: t.Any) -> Answer:
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

        A provider whose errors carry codes classifies them first (Kombo, by overriding this).
        """
        status = response.status_code
        if status == 401:
            msg = (self.response_error_message(response).rstrip(".") + ". "
                   + self.tap.provider.auth_hint(status))
            raise AuthError(msg, status)
        if status in (403, 404):
            raise Refused(self.response_error_message(response), status,
                          urlsplit(response.request.url).path)
        super().validate_response(response)
