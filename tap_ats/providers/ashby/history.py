"""Ashby's native stage history: ``application.listHistory`` of each application read this run.

What Ashby documents (its OpenAPI reference, developers.ashbyhq.com/reference/
applicationlisthistory, read in December 2026): ``POST /application.listHistory`` with
``applicationId`` (required) and the paged lists' ``cursor`` and ``limit`` (at most and by
default 100); "pagination only (not incremental sync)": no ``syncToken``; the answer is
``{success, results, moreDataAvailable, nextCursor}``; it requires the ``candidatesRead``
permission. Each event has ``id``, ``stageId``, ``title`` (the stage's), ``enteredStageAt``,
``stageNumber`` ("0 is the first event"; ``application.create`` adds "the highest number will
be the current stage") and ``allowedActions`` (all required), and ``leftStageAt`` and
``actorId`` (optional). ``application.updateHistory`` takes the whole array back, each event
named by that ``id``, and can delete events.

What is our reading, not documented (the sandbox behaves the same way):

- The list is the application's whole history on every read, so the rows of a changed
  application are all emitted again (upserts): a stay that ended gets its ``exited_at``.
- An event's ``id`` is stable across reads (``updateHistory`` names events by it): it is the
  row's ``id``. ``leftStageAt`` is absent or null on the stay the application is in now.
- An application deleted between ``application.list`` and this read answers
  ``application_not_found`` (the code ``application.changeStage`` documents): it is skipped.

Rows: ``entered_at`` (and ``created_at``) ``enteredStageAt``, ``exited_at`` ``leftStageAt``,
``is_current`` the event with the highest ``stageNumber`` (without numbers: the one not left),
``stage_id`` ``stageId``, ``stage_name`` ``title``; ``application_id``, ``job_id``,
``candidate_id`` and ``updated_at`` from the application; ``origin`` ``native``.

Cost and failures: one request per application that ``application.list`` returned in this run
(all of them on a full read, only the changed ones on an incremental one; none when nothing
changed), paced and retried as every request. With ``max_concurrency`` above 1 the reads of a
page of applications overlap (:mod:`tap_ats.overlap`): up to ``max_concurrency`` in flight,
each waiting for the account's pacer (``max_requests_per_minute``; a 429 pushes it back for
all), the account's first read alone, none while the API answers within 10 ms; the rows are
written in the applications' order, as read one after another. A key without the permission
(a 403 or a permission code) skips the stream for the account with one WARNING after that first
request and no further request this run. A read that fails otherwise (retries ran out, a broken
answer) fails the stream for the account, stops its history reads for the run (reads not
started are dropped; those already in flight, at most ``max_concurrency`` - 1, end unused) and
keeps the applications' sync token, so that the next run reads the same applications, and
their histories, again. A stay deleted in Ashby drops out of the history; its row stays loaded,
unmarked, as Ashby's deleted records do (nothing per application is kept in state).
"""

from __future__ import annotations

import typing as t
from contextlib import closing

from tap_ats.conform import ts
from tap_ats.derived import PageFed
from tap_ats.outcomes import account_of
from tap_ats.overlap import Overlap
from tap_ats.paging import pages
from tap_ats.providers.ashby.client import AshbyStream, error_code
from tap_ats.providers.ashby.streams import Applications

if t.TYPE_CHECKING:
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer

#: Ashby's code for an application that is not there (deleted since the list was read).
GONE_CODES = {"application_not_found"}


class ApplicationGone(Exception):
    """The application is gone from Ashby: it has no history to read."""


class ApplicationStages(PageFed, AshbyStream):
    """``application.listHistory`` of each application the applications read handed over."""

    name = "application_stages"
    path = "/application.listHistory"
    parent_stream_type = Applications
    replication_key = None
    sync_token = False
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def __init__(self, tap: t.Any) -> None:
        super().__init__(tap)
        #: Accounts whose history reads were refused or failed in this run: not asked again.
        self._stopped: set[str] = set()
        #: The application whose history is being mapped, and its current event's number.
        self.application: dict = {}
        self._current: int | None = None
        #: The history reads, overlapped on ``max_concurrency`` threads (one pool for the run).
        self.overlap = Overlap(self.tap.max_concurrency, "ashby-history")

    def request_records(self, context: Context | None) -> Iterator[dict]:
        """The history of every application of the batch, in the batch's order.

        Read by :attr:`overlap` (up to ``max_concurrency`` at once, when the API is slow enough
        for that to pay), mapped and written here, one application after another.
        """
        account = account_of(context) or ""
        parent = self._tap.streams[Applications.name]
        batch = parent.take(context["batch"], self.name) if context else []
        if account in self._stopped:
            return

        def read(application: dict) -> list[dict] | None:
            try:
                return self.history(application["id"], context)
            except ApplicationGone:
                return None

        with closing(self.overlap.map(read, batch, account)) as reads:
            for application in batch:
                try:
                    events = next(reads)
                except Exception:  # refused or failed: the run reads no more of them (docstring)
                    self._stopped.add(account)
                    raise
                if events is None:
                    continue
                self.for_application(application, events)
                page = [self.unified(raw) for raw in events]
                for record in page:
                    record["account_id"] = account
                self.progress.page(len(page))
                yield from page

    def history(self, application_id: str, context: Context | None) -> list[dict]:
        """Every event of the application's history, all pages."""
        body = {"applicationId": application_id, "limit": self.page_size}

        def send(cursor: str | None) -> Answer:
            answer = self.send(self.build_prepared_request(
                method="POST", url=self.url_base + self.path, headers=self.http_headers,
                json={**body, **({"cursor": cursor} if cursor else {})}), context)
            if isinstance(answer.body, dict) and answer.body.get("success") is False:
                if error_code(answer.body) in GONE_CODES:
                    raise ApplicationGone(application_id)
                raise self.refusal(answer.body, self.path)
            return answer

        return [row for answer in pages(send, self.get_new_paginator(), self.page,
                                        f"ashby {self.path}") for row in self.page(answer)]

    def for_application(self, application: dict, events: list[dict]) -> None:
        """Map the events that follow as ``application``'s history, all of them."""
        self.application = application
        numbers = [e["stageNumber"] for e in events
                   if isinstance(e, dict) and isinstance(e.get("stageNumber"), int)]
        self._current = max(numbers, default=None)

    def map_record(self, raw: dict) -> dict:
        """One event: a stay of the application in a stage."""
        app, entered = self.application, ts(raw.get("enteredStageAt"))
        number = raw.get("stageNumber")
        current = (number == self._current if self._current is not None
                   else raw.get("leftStageAt") is None)
        stage = raw.get("stageId")
        return {"id": raw["id"], "remote_id": None, "created_at": entered,
                "updated_at": app["updated_at"], "deleted_at": None,
                "application_id": app["id"], "job_id": app["job_id"],
                "candidate_id": app["candidate_id"],
                "stage_id": None if stage is None else str(stage), "stage_name": raw.get("title"),
                "entered_at": entered, "exited_at": ts(raw.get("leftStageAt")),
                "is_current": current, "origin": "native", "observed_at": None}
