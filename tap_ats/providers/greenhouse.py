"""Greenhouse Harvest API v3 (``https://harvest.greenhouse.io/v3/...``).

- Auth: OAuth2 client credentials. ``POST token_url`` (default ``auth.greenhouse.io/token``)
  with HTTP Basic ``client_id:client_secret`` and ``grant_type=client_credentials&sub=<user_id>``;
  the token is fetched once per run, shared by every stream (held on the provider, under a
  lock), refreshed a minute before ``expires_at`` and once after a 401. A second 401 in a row is
  fatal, naming the settings and the Site Admin requirement. A refused client or grant (400/401
  from the token endpoint) stops the run at its first request with one line naming the settings.
  ``user_id`` must be a Site Admin: every v3 list endpoint requires it.
- Account: one per run, labelled by ``account_id`` (default ``greenhouse``).
- Pages: ``per_page`` (max 500) and the ``updated_at`` window on page 1 only; every next page
  is the ``Link: rel="next"`` URL requested exactly as given, since a ``cursor`` sent with any
  other parameter is refused (422).
- Incremental: results come id-descending, not by time, so each account reads the closed window
  ``updated_at=gte|<bookmark - lookback>|lte|<sync start>`` and the next bookmark is that sync
  start; a change made during the read falls in the next window. A FULL_TABLE stream sends no
  window at all (with ``emit_activate_version_messages`` a target purges what is gone).
- Deletes: v3 shows none (no ``deleted_at``, no deleted filter); a deleted record is simply
  absent, so ``deleted_at`` is always null. Run FULL_TABLE with activate-version to purge.
- Stage names: ``application_stages`` rows and ``jobs[].stages`` are resolved from one read of
  ``/v3/job_interview_stages`` per run, made only when a page of those streams has records
  (inactive stages are included, so old rows still resolve). ``application_stages.candidate_id``
  stays null (the row does not carry it).
- Interviews: v3 puts no panel, title or stage on an interview, only ``job_interview_id``. On
  the first page of interviews that has records, the account's panels (``/v3/interviewers``)
  and job interviews (``/v3/job_interviews``: ``name`` is the title, ``job_interview_stage_id``
  the stage) are read in full, once per run: ``ceil(interviewers / 500) + ceil(job interviews /
  500)`` requests, paced like every other. Read in full, not by window: a changed interview's
  panel rows need not have changed with it. A panel change need not touch the interview's
  ``updated_at`` either, so every incremental run also reads ``/v3/interviewers`` in the
  interviews' window (one request when little changed) and reads the interviews it names that
  were not out yet by ``ids`` (``ceil(n / 50)`` requests). The ``/v3/job_interviews`` path
  mirrors v1's job interviews and is UNCONFIRMED in the v3 reference.
- Users: ``/v3/users``, incremental like every stream; ``active`` is ``not deactivated``; ids
  are the ``organizer_id`` and ``interviewer_ids`` of interviews.
- Applications: ``status`` ``in_process`` is ``active``; ``rejection_reason`` and ``source`` are
  only ids in v3, so they stay null.
- Rate limit: header-driven. After each response the remaining requests of the window
  (``X-RateLimit-Remaining``) are spread over the time left to ``X-RateLimit-Reset``; at zero
  the next request waits for the reset. A 429 waits ``Retry-After``. ``max_requests_per_minute``
  adds a fixed cap if set.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import typing as t
from dataclasses import dataclass, field

import requests
from singer_sdk.exceptions import FatalAPIError, FatalSyncError, RetriableAPIError
from singer_sdk.pagination import HeaderLinkPaginator

from tap_ats.client import ATSStream, ts, utc_now
from tap_ats.http import Pacer, Refused, Transport, body, check_url, origin
from tap_ats.providers import Provider, SettingError

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

DEFAULT_TOKEN_URL = "https://auth.greenhouse.io/token"  # noqa: S105
#: Refresh a token this long before it expires (half its life if that is shorter).
REFRESH_MARGIN = 60.0
#: A token without a readable ``expires_at`` is assumed to live this long (Greenhouse: 1 h).
DEFAULT_TOKEN_TTL = 3600.0
#: Wait this much past ``X-RateLimit-Reset`` when a window is used up (clock disagreement).
RESET_MARGIN = 0.01
#: Most values an ``ids`` filter takes.
MAX_IDS = 50
APPLICATION_STATUS = {"in_process": "active", "rejected": "rejected", "hired": "hired",
                      "converted": "converted"}
JOB_STATUS = {"open": "open", "closed": "closed", "draft": "draft"}
INTERVIEW_STATUS = {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback",
                    "complete": "complete"}


def sid(value: t.Any) -> str | None:
    """A Greenhouse integer id as the unified string id."""
    return None if value is None else str(value)


def stamp(when: dt.datetime) -> str:
    """A window bound in UTC with milliseconds, truncated (never past ``when``)."""
    when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


class CredentialsRefused(FatalSyncError):
    """The token endpoint refused the client: every request of the run would fail."""


@dataclass
class Token:
    """An access token, when to replace it, and whether it replaced a refused one."""

    value: str
    refresh_at: float
    after_refusal: bool = False


#: The columns each optional lookup fills: null when the credential may not read it.
LOOKUP_COLUMNS = {
    "/v3/job_interview_stages": "application_stages.stage_name, application_stages.job_id, "
                                "jobs.stages",
    "/v3/interviewers": "interviews.interviewer_ids",
    "/v3/job_interviews": "interviews.title, interviews.stage_id",
}


@dataclass
class StageIndex:
    """The job interview stages of the account, by stage id and by job id.

    ``known`` is False when the credential may not read them: ``jobs.stages`` is then null,
    not an empty plan.
    """

    by_id: dict[str, dict] = field(default_factory=dict)
    by_job: dict[str, list[dict]] = field(default_factory=dict)
    known: bool = True


@dataclass
class InterviewIndex:
    """The account's interview panels (user ids by interview id) and job interviews by id.

    ``panels`` is None when the credential may not read them (no panel is then known, rather
    than every panel empty).
    """

    panels: dict[str, list[str]] | None = field(default_factory=dict)
    job_interviews: dict[str, dict] = field(default_factory=dict)


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
        self._token: Token | None = None
        self._refused = False
        self._token_lock = threading.Lock()
        self._token_pacer = Pacer(None)
        self._stages: dict[str, StageIndex] = {}
        self._interviews: dict[str, InterviewIndex] = {}
        self._stages_lock = threading.Lock()
        #: (account, path) of the optional lookups refused in this run, each warned about once.
        self._refused_lookups: set[tuple[str, str]] = set()

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return self.config.get("token_url") or DEFAULT_TOKEN_URL

    def stream_classes(self) -> list[type]:
        """Everything but candidate_history (Greenhouse's history is application_stages)."""
        return [Applications, ApplicationStages, Jobs, JobStages, Interviews, Candidates, Users]

    def validate(self) -> None:
        """The base checks, plus an https ``token_url``."""
        super().validate()
        if problem := check_url("token_url", self.token_url):
            raise SettingError(problem)

    def pacer(self, context: Context | None) -> HeaderPacer:
        """The account's pacer, driven by Greenhouse's rate-limit headers."""
        key = (context or {}).get("account_id", "")
        with self._lock:
            if key not in self._pacers:
                rpm = self.config.get("max_requests_per_minute")
                self._pacers[key] = HeaderPacer(None if rpm is None else float(rpm))
            return t.cast("HeaderPacer", self._pacers[key])

    # OAuth -------------------------------------------------------------------------------------

    def token(self, transport: Transport) -> str:
        """A valid access token, fetched when there is none or it is about to expire."""
        with self._token_lock:
            if self._token is None or time.monotonic() >= self._token.refresh_at:
                self._token = self._fetch_token(transport)
            return self._token.value

    def token_refused(self, sent: str) -> bool:
        """Note a 401 for token ``sent``; False if that token already replaced a refused one."""
        with self._token_lock:
            if self._token is None or self._token.value != sent:
                return True
            if self._token.after_refusal:
                return False
            self._token, self._refused = None, True
            return True

    def token_accepted(self, sent: str) -> None:
        """A success with ``sent``: a later 401 may be answered by a new token again."""
        current = self._token
        if current is not None and current.after_refusal and current.value == sent:
            current.after_refusal = False

    def _fetch_token(self, transport: Transport) -> Token:
        """One client-credentials grant, sent only to ``token_url``'s own host.

        The secrets travel only in the Basic header and the form, and through the transport, so
        a redirect of the token request elsewhere is refused like any other.
        """
        request = requests.Request(
            "POST", self.token_url, auth=(self.config["client_id"], self.config["client_secret"]),
            data={"grant_type": "client_credentials", "sub": str(self.config["user_id"])},
        ).prepare()
        response = transport.send(request, pacer=self._token_pacer, check=self._check_token,
                                  allowed=origin(self.token_url))
        payload = body(response)
        if not isinstance(payload, dict) or not payload.get("access_token"):
            msg = "greenhouse token endpoint answered without an access_token"
            raise RetriableAPIError(msg, response)
        ttl = DEFAULT_TOKEN_TTL
        if expires_at := payload.get("expires_at"):
            try:
                expiry = dt.datetime.fromisoformat(str(expires_at).replace("Z", "+00:00"))
                ttl = (expiry - utc_now()).total_seconds()
            except (TypeError, ValueError):
                ttl = float(payload.get("expires_in") or DEFAULT_TOKEN_TTL)
        elif payload.get("expires_in"):
            ttl = float(payload["expires_in"])
        refused, self._refused = self._refused, False
        margin = min(REFRESH_MARGIN, ttl / 2)
        return Token(payload["access_token"], time.monotonic() + ttl - margin, refused)

    def _check_token(self, response: requests.Response) -> None:
        """Retry the token endpoint's 429 and 5xx; a refusal names the settings to check."""
        status = response.status_code
        if status == 429 or status >= 500:
            msg = f"greenhouse token endpoint answered {status} {response.reason}"
            raise RetriableAPIError(msg, response)
        if status in (400, 401, 403):
            msg = (f"greenhouse token endpoint refused the credentials "
                   f"({self.error_detail(response)}): check settings 'client_id', "
                   "'client_secret' and 'user_id' (a Harvest v3 OAuth client and a Site Admin "
                   "user id)")
            raise CredentialsRefused(msg)
        if status != 200:
            msg = (f"greenhouse token endpoint answered {status} {response.reason}: "
                   f"{self.error_detail(response)}")
            raise FatalAPIError(msg)

    # Stage names -------------------------------------------------------------------------------

    def lookup(self, stream: GreenhouseStream, path: str, context: Context | None,
               params: dict[str, t.Any] | None = None) -> list[dict] | None:
        """Every row of a lookup that only enriches a stream, or None if it is refused.

        A credential without that endpoint's permission (403, or 404) still gets the stream,
        with the columns the lookup fills left null and one WARNING per account saying which.
        """
        try:
            return stream.fetch_all(path, context, params)
        except Refused as exc:
            account = (context or {}).get("account_id", "")
            with self._lock:
                first = (account, path) not in self._refused_lookups
                self._refused_lookups.add((account, path))
            if first:
                stream.tap.report.stream(account, stream.name).refused_lookups.append(path)
                stream.logger.warning(
                    "Account %s: %s answered %d, so %s stay null (the stream itself is read). "
                    "To fill them, %s", account, path, exc.status, LOOKUP_COLUMNS[path],
                    self.permission_hint(stream.name, path))
            return None

    def stages(self, stream: GreenhouseStream, context: Context | None) -> StageIndex:
        """The account's job interview stages, read once per run on first need."""
        account = (context or {}).get("account_id", "")
        with self._stages_lock:
            if account not in self._stages:
                index = StageIndex()
                rows = self.lookup(stream, "/v3/job_interview_stages", context)
                index.known = rows is not None
                for stage in rows or []:
                    index.by_id[str(stage["id"])] = stage
                    index.by_job.setdefault(str(stage.get("job_id")), []).append(stage)
                for stages in index.by_job.values():
                    stages.sort(key=lambda s: (s.get("sort_order") is None, s.get("sort_order")))
                self._stages[account] = index
            return self._stages[account]

    def interview_index(self, stream: GreenhouseStream, context: Context | None) -> InterviewIndex:
        """The account's panels and job interviews, read once per run on first need."""
        account = (context or {}).get("account_id", "")
        with self._stages_lock:
            if account not in self._interviews:
                index = InterviewIndex()
                rows = self.lookup(stream, "/v3/interviewers", context)
                if rows is None:
                    index.panels = None
                for row in sorted(rows or [], key=lambda row: row["id"]):  # order joined
                    index.panels.setdefault(str(row["interview_id"]), []).append(
                        str(row["user_id"]))
                for job_interview in self.lookup(stream, "/v3/job_interviews", context) or []:
                    index.job_interviews[str(job_interview["id"])] = job_interview
                self._interviews[account] = index
            return self._interviews[account]

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


class GreenhouseStream(ATSStream):
    """Base client: shared OAuth token, Link-header pages, closed ``updated_at`` window."""

    #: The account being read: its lookups are paced and reported as that account's.
    _account: Context | None = None

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account, remembering which it is for the lookups its pages need."""
        self._account = context
        yield from super().get_records(context)

    @property
    def provider(self) -> Greenhouse:
        """The provider, typed."""
        return t.cast("Greenhouse", self.tap.provider)

    def get_new_paginator(self) -> HeaderLinkPaginator:
        """Next page from ``Link: <...>; rel="next"``."""
        return HeaderLinkPaginator()

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """A next page is the Link URL exactly as given (its cursor must travel alone)."""
        request = super().get_http_request(page=page)
        if page.next_page_token is not None:
            request.url = page.next_page_token.geturl()
        return request

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        """Page 1 only: the page size and, when incremental, the closed change window."""
        if next_page_token is not None:
            return {}
        params: dict[str, t.Any] = {"per_page": self.page_size}
        if self.replication_method == "INCREMENTAL":
            window = f"lte|{stamp(self.window_end)}"
            start = self.start_time(context)
            params["updated_at"] = window if start is None else f"gte|{stamp(start)}|{window}"
        return params

    def records_from(self, payload: list) -> list[dict]:
        """v3 answers a bare array."""
        return payload

    def fetch_all(self, path: str, context: Context | None,
                  params: dict[str, t.Any] | None = None) -> list[dict]:
        """Every record of the fixed ``path`` (``params`` filter it), following ``Link`` pages."""
        response = self.get(path.strip("/").split("/"), context,
                            per_page=self.provider.max_page_size, **(params or {}))
        rows: list[dict] = list(self.page(response))
        self.repaired += response.__dict__.get("repaired", 0)
        while url := response.links.get("next", {}).get("url"):
            request = self.build_prepared_request(method="GET", url=url,
                                                  headers=self.http_headers)
            response = self.send(request, context)
            rows += self.page(response)
            self.repaired += response.__dict__.get("repaired", 0)
        return rows

    def authorize(self, request: requests.PreparedRequest) -> None:
        """Before each attempt, the shared token (fetched or refreshed when due)."""
        request.headers["Authorization"] = f"Bearer {self.provider.token(self.tap.transport)}"

    def validate_response(self, response: requests.Response) -> None:
        """On a first 401, drop the token and retry with a new one; a second 401 is fatal."""
        sent = (response.request.headers.get("Authorization") or "").removeprefix("Bearer ")
        if response.status_code == 401 and self.provider.token_refused(sent):
            msg = self.response_error_message(response) + "; fetching a new token"
            raise RetriableAPIError(msg, response)
        super().validate_response(response)
        self.provider.token_accepted(sent)


class Applications(GreenhouseStream):
    """``GET /v3/applications``."""

    name = "applications"
    path = "/v3/applications"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse application to the unified columns."""
        status = raw.get("status")
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "candidate_id": sid(raw.get("candidate_id")), "job_id": sid(raw.get("job_id")),
            "current_stage_id": sid(raw.get("stage_id")),
            "current_stage_name": raw.get("stage_name"),
            "status": APPLICATION_STATUS.get(status, "other"), "status_raw": status,
            "applied_at": ts(raw.get("created_at")), "rejected_at": ts(raw.get("rejected_at")),
            "rejection_reason": None, "source": None,
        }


class StageNamed(GreenhouseStream):
    """A stream whose records need the account's stage index (read on first non-empty page)."""

    _index = StageIndex()

    def parse_response(self, response: requests.Response) -> t.Iterator[dict]:
        """Load the stage index before mapping a page that has records."""
        if body(response):
            self._index = self.provider.stages(self, self._account)
        yield from super().parse_response(response)


class ApplicationStages(StageNamed):
    """``GET /v3/application_stages``: native visits, stage names from the stage index."""

    name = "application_stages"
    path = "/v3/application_stages"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse application stage row to the unified columns."""
        stage_id = sid(raw.get("job_interview_stage_id"))
        stage = self._index.by_id.get(stage_id or "", {})
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "application_id": sid(raw.get("application_id")), "job_id": sid(stage.get("job_id")),
            "candidate_id": None, "stage_id": stage_id, "stage_name": stage.get("name"),
            "entered_at": ts(raw.get("entered_at")), "exited_at": ts(raw.get("exited_at")),
            "is_current": raw.get("current"), "origin": "native", "observed_at": None,
        }


class Jobs(StageNamed):
    """``GET /v3/jobs``, with ``stages`` from the stage index."""

    name = "jobs"
    path = "/v3/jobs"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse job to the unified columns."""
        status = raw.get("status")
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "name": raw.get("name"), "code": raw.get("requisition_id"),
            "status": JOB_STATUS.get(status, "other"), "status_raw": status,
            "opened_at": ts(raw.get("opened_at")), "closed_at": ts(raw.get("closed_at")),
            "stages": [{"id": sid(s["id"]), "name": s.get("name"), "order": s.get("sort_order"),
                        "active": s.get("active")}
                       for s in self._index.by_job.get(str(raw["id"]), [])]
            if self._index.known else None,
        }


class JobStages(GreenhouseStream):
    """``GET /v3/job_interview_stages``."""

    name = "job_stages"
    path = "/v3/job_interview_stages"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse job interview stage to the unified columns."""
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "job_id": sid(raw.get("job_id")), "name": raw.get("name"),
            "order": raw.get("sort_order"), "active": raw.get("active"),
        }


class LastPageToo(HeaderLinkPaginator):
    """Link-header pages, an empty last page included (the panel catch-up runs after it)."""

    def continue_if_empty(self, response: requests.Response) -> bool:
        """Let an empty page through: it is the last, and its parse ends the read."""
        return True


class Interviews(GreenhouseStream):
    """``GET /v3/interviews``, completed from the panels and job interviews of the account.

    A panel change need not touch the interview's ``updated_at``: after the last page, one
    pass over ``/v3/interviewers`` in the same window finds interviews whose panel changed,
    and those not already out are read by id (``ids``, 50 at a time) and emitted too.
    """

    name = "interviews"
    path = "/v3/interviews"
    _index = InterviewIndex()
    #: The ids of the account's interviews already out.
    _out: t.ClassVar[set[str]] = set()

    def get_new_paginator(self) -> LastPageToo:
        """Next page from ``Link``, the last one even when empty."""
        return LastPageToo()

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account, remembering which interviews went out."""
        self._out = set()
        yield from super().get_records(context)

    def parse_response(self, response: requests.Response) -> t.Iterator[dict]:
        """Map a page (index loaded first); after the last, the interviews whose panel changed."""
        if body(response):
            self._index = self.provider.interview_index(self, self._account)
        for record in super().parse_response(response):
            self._out.add(record["id"])
            yield record
        if "next" not in response.links and self.replication_method == "INCREMENTAL":
            yield from self._panel_changes(self._account)

    def _panel_changes(self, context: Context | None) -> t.Iterator[dict]:
        """Interviews whose panel changed in this window but that did not change themselves."""
        window = self.get_url_params(context, None)["updated_at"]
        rows = self.provider.lookup(self, "/v3/interviewers", context, {"updated_at": window})
        changed = sorted({str(row["interview_id"]) for row in rows or []} - self._out)
        if not changed:
            return
        self._index = self.provider.interview_index(self, context)
        for start in range(0, len(changed), MAX_IDS):
            ids = ",".join(changed[start:start + MAX_IDS])
            for raw in self.fetch_all(self.path, context, {"ids": ids}):
                record = self.unified(raw)
                self._out.add(record["id"])
                yield record

    def map_record(self, raw: dict) -> dict:
        """Greenhouse interview to the unified columns."""
        status = raw.get("status")
        job_interview = self._index.job_interviews.get(str(raw.get("job_interview_id")), {})
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "application_id": sid(raw.get("application_id")), "job_id": sid(raw.get("job_id")),
            "stage_id": sid(job_interview.get("job_interview_stage_id")),
            "title": job_interview.get("name"),
            "status": INTERVIEW_STATUS.get(status, "other") if status else None,
            "status_raw": status, "start_at": ts(raw.get("starts_at")),
            "end_at": ts(raw.get("ends_at")), "location": raw.get("location"),
            "organizer_id": sid(raw.get("organizer_id")),
            "interviewer_ids": None if self._index.panels is None
            else self._index.panels.get(str(raw["id"]), []),
        }


class Candidates(GreenhouseStream):
    """``GET /v3/candidates``."""

    name = "candidates"
    path = "/v3/candidates"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse candidate to the unified columns."""
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "first_name": raw.get("first_name"), "last_name": raw.get("last_name"),
            "emails": [e["value"] for e in raw.get("email_addresses") or [] if e.get("value")],
            "phones": [p["value"] for p in raw.get("phone_numbers") or [] if p.get("value")],
            "company": raw.get("company"), "title": raw.get("title"),
            "tags": [str(tag) for tag in raw.get("tags") or []],
        }


class Users(GreenhouseStream):
    """``GET /v3/users``: the people behind organizer and interviewer ids."""

    name = "users"
    path = "/v3/users"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse user to the unified columns."""
        name = raw.get("name") or " ".join(
            part for part in (raw.get("first_name"), raw.get("last_name")) if part) or None
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None, "name": name,
            "email": raw.get("primary_email_address"),
            "active": None if raw.get("deactivated") is None else not raw["deactivated"],
        }
