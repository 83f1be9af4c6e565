"""The Greenhouse provider: settings, pacing, error wording, and the lookups streams share.

One :class:`Greenhouse` serves a run. It checks the settings, paces each account by
Greenhouse's rate-limit headers, words errors and permission hints, holds the OAuth token
(:mod:`.auth`), and reads each lookup that only enriches streams (stage names, panels, job
interviews, names by id, attribute ratings) once per run and account, for every stream that
needs it; those that grow with the tenant are kept on disk (:mod:`.scratch`), and each page
asks for its own rows. A lookup that is also a stream (stages, sources, rejection reasons) is
kept whole for the run with the time its read started (:meth:`Greenhouse.listed`), so that its
stream is served from that one read instead of reading the same list again.

The streams (:mod:`.streams`, :mod:`.entities`) import this module for the index types, so it
names them only inside :meth:`Greenhouse.stream_classes`; of the base stream's module
(:mod:`.client`) it uses the stream class for typing only.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import typing as t
from dataclasses import dataclass, field

import requests

from tap_ats.conform import utc_now
from tap_ats.http import Pacer, check_url
from tap_ats.outcomes import Lookups
from tap_ats.provider import Provider, SettingError, number
from tap_ats.providers.greenhouse.auth import GreenhouseAuthenticator
from tap_ats.providers.greenhouse.scratch import (
    PanelIndex,
    Rating,
    Scratch,
    named_rows,
    panel_rows,
    rating_rows,
)

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.providers.greenhouse.client import GreenhouseStream

#: Wait this much past ``X-RateLimit-Reset`` when a window is used up (clock disagreement).
RESET_MARGIN = 0.01

#: The columns each optional lookup fills: null when the credential may not read it, or when the
#: lookup gave up (then only in this run).
LOOKUP_COLUMNS = {
    "/v3/job_interview_stages": "application_stages.stage_name, application_stages.job_id, "
                                "jobs.stages, applications.current_stage_id",
    "/v3/interviewers": "scorecards.interview_id, interviews.interviewer_ids",
    "/v3/job_interviews": "interviews.title, interviews.stage_id",
    "/v3/sources": "applications.source",
    "/v3/rejection_reasons": "applications.rejection_reason",
    "/v3/rejection_details": "applications.rejection_reason, applications.rejection_reason_id",
    "/v3/scorecard_candidate_attributes": "scorecards.ratings",
    "/v3/job_candidate_attributes": "scorecards.ratings[].name",
    "/v3/custom_field_options": "custom_field_definitions.options",
}


@dataclass
class StageIndex:
    """The job interview stages of the account, by stage id and by job id.

    ``known`` is False when the credential may not read them: ``jobs.stages`` is then null,
    not an empty plan. ``read_at``: when their read started (None: not read in this run).
    """

    by_id: dict[str, dict] = field(default_factory=dict)
    by_job: dict[str, list[dict]] = field(default_factory=dict)
    known: bool = True
    read_at: dt.datetime | None = None


def rated(rows: t.Iterable[dict]) -> dict[str, list[Rating]]:
    """A few scorecards' rating rows as (attribute id, rating) pairs by scorecard id.

    Each card's in the order of their row ids. A whole account's ratings are kept on disk
    instead (:meth:`Greenhouse.ratings`).
    """
    found: dict[str, list[tuple[t.Any, t.Any, str | None]]] = {}
    for row in rows:
        rating = row.get("candidate_attribute_rating")
        found.setdefault(str(row.get("scorecard_id")), []).append(
            (row["id"], row.get("job_candidate_attribute_id"),
             None if rating is None else str(rating)))
    return {card: [(attribute, word) for _, attribute, word in sorted(rows_of)]
            for card, rows_of in found.items()}


class HeaderPacer(Pacer):
    """Spaces requests by the ``X-RateLimit-*`` headers of the latest response.

    The remaining requests of the window are spread evenly over the time left to its reset, so
    a long sync runs at the limit without a 429; the optional fixed cap of the base still holds.
    """

    def observe(self, response: requests.Response) -> None:
        """Schedule the next request from the rate-limit headers of ``response``."""
        try:
            remaining = int(response.headers["X-RateLimit-Remaining"])
            reset = float(response.headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            return
        left = reset - time.time() if reset > 1e9 else reset  # epoch, or seconds if small
        if not 0 < left <= 3600:
            return
        delay = left + RESET_MARGIN if remaining <= 0 else left / (remaining + 1)
        with self._lock:
            self._next = max(self._next, time.monotonic() + delay)


class Greenhouse(Provider):
    """Greenhouse Harvest v3: one account, one OAuth token shared by every stream."""

    name = "greenhouse"
    default_url = "https://harvest.greenhouse.io"
    max_page_size = 500
    required = ("client_id", "client_secret", "user_id")

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        super().__init__(config)
        self.authenticator = GreenhouseAuthenticator(config, self.error_detail)
        self._stages: dict[str, StageIndex] = {}
        self._stages_lock = threading.Lock()
        #: What became of the lookups that only fill columns, refused or gave up.
        self.lookups = Lookups()
        #: Lookups read once per run and account (None: refused), and the account's panels.
        self._lookups_lock = threading.RLock()
        self._by_id: dict[tuple[str, str], dict[str, dict] | None] = {}
        self._read_at: dict[tuple[str, str], dt.datetime] = {}
        self._panels: dict[str, PanelIndex | None] = {}
        #: Whether each (account, path) kept on disk was read whole (False: refused, gave up).
        self._loaded: dict[tuple[str, str], bool] = {}
        self._scratch: Scratch | None = None

    def stream_classes(self) -> list[type]:
        """Everything but candidate_history (Greenhouse's history is application_stages).

        Imported here, not at the top: the stream modules import this one.
        """
        from tap_ats.providers.greenhouse import entities, streams

        return [streams.Applications, streams.ApplicationStages, streams.Jobs, streams.JobStages,
                streams.Interviews, streams.Candidates, streams.Users, entities.Offers,
                entities.Departments, entities.Offices, entities.RejectionReasons,
                entities.Sources, entities.JobHiringTeam, entities.Scorecards,
                entities.Demographics, entities.CustomFieldDefinitions]

    def validate(self) -> None:
        """The base checks, plus an https ``token_url``."""
        super().validate()
        if problem := check_url("token_url", self.authenticator.token_url):
            raise SettingError(problem)

    def pacer(self, context: Context | None) -> HeaderPacer:
        """The account's pacer, driven by Greenhouse's rate-limit headers."""
        key = (context or {}).get("account_id", "")
        with self._lock:
            if key not in self._pacers:
                self._pacers[key] = HeaderPacer(number(self.config, "max_requests_per_minute"))
            return t.cast("HeaderPacer", self._pacers[key])

    # Stage names -------------------------------------------------------------------------------

    def lookup(self, stream: GreenhouseStream, path: str, context: Context | None,
               params: dict[str, t.Any] | None = None,
               fold: t.Callable[[t.Iterable[dict]], t.Any] = list) -> t.Any:
        """Every row of a lookup that only enriches a stream, or None if it is refused or failed.

        ``fold`` takes the rows as they arrive, a page at a time (by default into a list).
        A refusal or an outage leaves the columns null as :class:`~tap_ats.outcomes.Lookups`
        says; each stream that used the lookup is told by :meth:`note`.
        """
        return self.lookups.read(stream, context, path, LOOKUP_COLUMNS[path],
                                 lambda: fold(stream.fetch_each(path, context, params)))

    def note(self, stream: GreenhouseStream, context: Context | None, *paths: str) -> None:
        """Tell ``stream`` which of the lookups ``paths`` it used gave up for this account.

        A lookup is read once per run and account; every stream that maps rows with one that
        gave up leaves its columns null, so each of them must keep its bookmark.
        """
        for path in paths:
            self.lookups.note(stream, context, path, LOOKUP_COLUMNS[path])

    def stages(self, stream: GreenhouseStream, context: Context | None) -> StageIndex:
        """The account's job interview stages, read once per run on first need."""
        account = (context or {}).get("account_id", "")
        self.note(stream, context, "/v3/job_interview_stages")
        with self._stages_lock:
            if account not in self._stages:
                index = StageIndex(read_at=utc_now())
                rows = self.lookup(stream, "/v3/job_interview_stages", context)
                index.known = rows is not None
                for stage in rows or []:
                    index.by_id[str(stage["id"])] = stage
                    index.by_job.setdefault(str(stage.get("job_id")), []).append(stage)
                for stages in index.by_job.values():
                    stages.sort(key=lambda s: (s.get("sort_order") is None, s.get("sort_order")))
                self._stages[account] = index
            return self._stages[account]

    def refused(self, context: Context | None, path: str) -> bool:
        """Whether lookup ``path`` was refused to this account earlier in the run."""
        return self.lookups.refused(context, path)

    def by_id(self, stream: GreenhouseStream, path: str, context: Context | None,
              params: dict[str, t.Any] | None = None) -> dict[str, dict] | None:
        """The rows of lookup ``path`` by id, read once per run and account (None: refused)."""
        key = ((context or {}).get("account_id", ""), path)
        self.note(stream, context, path)
        with self._lookups_lock:
            if key not in self._by_id:
                self._read_at[key] = utc_now()
                rows = self.lookup(stream, path, context, params)
                self._by_id[key] = None if rows is None else {str(r["id"]): r for r in rows}
            return self._by_id[key]

    def listed(self, context: Context | None,
               path: str) -> tuple[t.Iterable[dict], dt.datetime] | None:
        """Every row of lookup ``path`` read in this run, and when that read started.

        None when it was not read (yet) in this run, or was refused or gave up: the stream of
        the same list then reads it itself.
        """
        account = (context or {}).get("account_id", "")
        with self._stages_lock, self._lookups_lock:
            if path == "/v3/job_interview_stages":
                index = self._stages.get(account)
                if index is None or not index.known or index.read_at is None:
                    return None
                return index.by_id.values(), index.read_at
            rows = self._by_id.get((account, path))
            if rows is None:
                return None
            return rows.values(), self._read_at[account, path]

    @property
    def scratch(self) -> Scratch:
        """The run's temporary database of the lookups that grow with the tenant."""
        with self._lock:
            if self._scratch is None:
                self._scratch = Scratch()
            return self._scratch

    def panels(self, stream: GreenhouseStream, context: Context | None) -> PanelIndex | None:
        """The account's panel rows, read in full once per run on first need (None: refused).

        The rows go to :attr:`scratch` as they arrive; pages ask for their own panels.
        """
        account = (context or {}).get("account_id", "")
        self.note(stream, context, "/v3/interviewers")
        with self._lookups_lock:
            if account not in self._panels:
                index = PanelIndex(self.scratch, account, utc_now())

                def fold(rows: t.Iterable[dict]) -> PanelIndex:
                    index.scratch.load("panel", 6, panel_rows(account, rows))
                    return index

                self._panels[account] = self.lookup(stream, "/v3/interviewers", context,
                                                    fold=fold)
            return self._panels[account]

    def panels_read(self, context: Context | None) -> PanelIndex | None:
        """The account's panel rows if they were read in this run (None: not read, refused)."""
        with self._lookups_lock:
            return self._panels.get((context or {}).get("account_id", ""))

    def _on_disk(self, stream: GreenhouseStream, path: str, context: Context | None,
                 table: str, columns: int,
                 rows_of: t.Callable[[str, t.Iterable[dict]], t.Iterable[tuple]]) -> bool:
        """Whether lookup ``path`` of the account is in :attr:`scratch`'s ``table``.

        Read whole into it (``rows_of`` the table's rows) once per run and account, on first
        need; False when the list is refused or gave up.
        """
        account = (context or {}).get("account_id", "")
        self.note(stream, context, path)
        with self._lookups_lock:
            if (account, path) not in self._loaded:

                def fold(rows: t.Iterable[dict]) -> bool:
                    self.scratch.load(table, columns, rows_of(account, rows))
                    return True

                self._loaded[account, path] = bool(
                    self.lookup(stream, path, context, fold=fold))
            return self._loaded[account, path]

    def ratings(self, stream: GreenhouseStream, context: Context | None,
                cards: t.Sequence[str]) -> dict[str, list[Rating]] | None:
        """The attribute ratings of ``cards`` by scorecard id, from one whole read per run.

        The whole list goes to :attr:`scratch` as it arrives, (attribute id, rating) pairs
        only: the rest of each row is not needed. None when the list is refused or gave up.
        """
        if not self._on_disk(stream, "/v3/scorecard_candidate_attributes", context, "rating", 5,
                             rating_rows):
            return None
        return self.scratch.ratings((context or {}).get("account_id", ""), cards)

    def named(self, stream: GreenhouseStream, path: str, context: Context | None,
              ids: t.Sequence[str], extra: str | None = None,
              ) -> dict[str, tuple[t.Any, str | None]] | None:
        """(``name``, ``extra`` column) of the rows ``ids`` of lookup ``path`` by id.

        The list is read whole into :attr:`scratch` once per run and account, on first need;
        each page then asks for its own ids. None when the list is refused or gave up.
        """
        if not self._on_disk(stream, path, context, "named", 5,
                             lambda account, rows: named_rows(account, path, rows, extra)):
            return None
        return self.scratch.named((context or {}).get("account_id", ""), path, ids)

    # Errors ------------------------------------------------------------------------------------

    def error_detail(self, response: requests.Response) -> str:
        """Greenhouse's ``message``, ``errors`` or OAuth ``error`` text."""
        try:
            payload = response.json()
        except ValueError:
            return super().error_detail(response)
        if isinstance(payload, dict):
            if "error" in payload:
                return str(payload["error"])
            if "message" in payload:
                return str(payload["message"])[:300]
            if isinstance(payload.get("errors"), list):
                return "; ".join(map(str, payload["errors"]))[:300]
        return super().error_detail(response)

    def auth_hint(self, status: int) -> str:
        """Which Greenhouse settings or permissions to check."""
        if status == 401:
            return ("A fresh token was refused too: check settings 'client_id', 'client_secret' "
                    "and 'user_id' (the user must be a Site Admin)")
        return "Check the credential"

    def permission_hint(self, stream: str, path: str) -> str:
        """Harvest v3 grants each endpoint to the OAuth client on its own."""
        resource = path.rstrip("/").rsplit("/", 1)[-1]
        return (f"grant the Harvest API credential the harvest:{resource}:list permission "
                "(Dev Center, API credential management) and check that setting 'user_id' is a "
                "Site Admin")
