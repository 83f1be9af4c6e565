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
  were not out yet by ``ids`` (``ceil(n / 50)`` requests). ``/v3/job_interviews`` mirrors v1's
  job interviews; Airbyte's v3 connector (below) now lists it with these fields.
- Users: ``/v3/users``, incremental like every stream; ``active`` is ``not deactivated``; ids
  are the ``organizer_id`` and ``interviewer_ids`` of interviews. The address is v3's
  ``primary_email`` (v1 spelled it ``primary_email_address``; either is read).
- Applications: ``status`` ``in_process`` is ``active``. v3 gives ``source_id`` and
  ``rejection_reason_id`` (both kept); the ``source`` and ``rejection_reason`` names come from one
  read of ``/v3/sources`` and of ``/v3/rejection_reasons?include_defaults=true`` per run, made on
  the first page of applications that has records (without ``include_defaults`` Greenhouse leaves
  out its own default reasons, which applications still point at).
- Custom fields: applications, candidates, jobs and offers carry ``custom_fields`` keyed by the
  field's ``name_key``, each ``{name, type, value}``; the unified ``custom_fields`` is key ->
  ``value`` (every active field of that object appears, null when unset). A value that is not
  such an object (v1's flat map) is kept as it is. ``custom_field_definitions`` is
  ``/v3/custom_fields``: ``name_key`` is ``key``, ``field_type`` (the object: job, candidate,
  application, offer, opening, ...) is ``object_type``, ``value_type`` is ``field_type``
  (``yes_no`` as ``boolean``, the rest as Greenhouse words them); ``options`` are the active
  choices of a select field from one read of ``/v3/custom_field_options`` per run (v1 listed them
  inline as ``custom_field_options``, which is used when present).
- Jobs: ``department_ids`` is v3's single ``department_id`` as a list (v1's ``departments[].id``
  when given), ``office_ids`` its ``office_ids``.
- Offers: ``/v3/offers``; every version is its own offer (``version`` counts them). Status:
  ``Created`` (v1 ``unresolved``) is ``sent`` once ``sent_on`` (v1 ``sent_at``) is set, else
  ``draft``; ``Accepted``, ``Rejected`` (declined or withdrawn) and ``Deprecated`` (superseded)
  are ``accepted``, ``declined`` and ``deprecated``; matched case-insensitively, so both
  spellings read. ``sent_at`` and ``starts_at`` are dates (``sent_on``, ``starts_on``) as
  midnight UTC.
- Departments, offices, sources, rejection reasons: ``/v3/departments`` (``parent_id``,
  ``external_id``), ``/v3/offices`` (``location`` a string in v3; v1's ``{name}`` is read too),
  ``/v3/sources`` (``type`` is the sourcing strategy's name, e.g. ``Agencies``, ``Referral``), and
  ``/v3/rejection_reasons?include_defaults=true``: ``type.key`` ``WE_REJECTED_THEM`` is
  ``we_rejected``, ``THEY_REJECTED_US`` ``candidate_withdrew``, ``NONE_SPECIFIED`` and
  ``SECURITY_CONCERN`` ``other`` (v1 gives only ``type.name``, "We rejected them", "They
  rejected us", "None specified", matched the same way); ``type_raw`` is ``type.name``. All four
  take the ``updated_at`` window in v3, so they are incremental like every stream.
- Hiring team: v3 has no ``/jobs/{id}/hiring_team``; it splits the team over
  ``/v3/job_hiring_managers`` (``job_id``, ``user_id``) and ``/v3/job_owners`` (``type``
  ``recruiter``, ``coordinator`` or ``sourcer``). ``job_hiring_team`` reads both, one after the
  other, in one window (the last page of the first list leads to page 1 of the second), so one
  bookmark covers both. Either list refused skips the stream with its bookmark kept (a team
  missing a role would otherwise stay so once the bookmark moved). ``id`` is
  ``<job_id>:<user_id>:<role>``. A member removed from a team is simply absent afterwards.
- Scorecards: ``/v3/scorecards``. ``candidate_rating`` (v1 ``overall_recommendation``) is the
  recommendation; ``definitely_not`` (v1, and v3's per-attribute scale) and ``strong_no`` are
  ``strong_no``. v3 puts no ``interview_id``, ``candidate_id`` or ``job_id`` on a scorecard:
  ``interview_id`` comes from the account's panel rows (``/v3/interviewers``, whose
  ``scorecard_id`` names it; the same one read per run that interviews use), ``candidate_id`` and
  ``job_id`` stay null (join ``application_id`` to applications). ``ratings`` are
  ``/v3/scorecard_candidate_attributes?scorecard_ids=`` (50 scorecards a request, ``ceil(n /
  50)`` requests per page of ``n`` scorecards: a rating row need not change with its scorecard,
  so it is never read by window) with names from one read of ``/v3/job_candidate_attributes``
  per run; ``rating`` is Greenhouse's word (``definitely_not``, ``no``, ``mixed``, ``yes``,
  ``strong_yes``, ``no_decision``). ``notes`` is v3's ``notes`` (key take-aways), only with
  ``include_scorecard_notes``; without it every notes field is also dropped from ``raw``.
- Demographics: ``/v3/eeoc`` (row-level EEOC answers, ``harvest:eeoc:list``), off unless
  selected. Each answer is ``{id, description}``; the column holds the description as
  Greenhouse words it ("Asian", "I don't wish to answer", ...). Windowed on ``updated_at``, which
  the v3 reference lists for ``/v3/eeoc`` (Airbyte still cursors this one on ``submitted_at``).
- Sources of the v3 shapes above: the field descriptions of Airbyte's Harvest v3 connector
  (``airbytehq/airbyte``, ``source-greenhouse/manifest.yaml``, taken from the v3 reference, and
  its ``AGENTS.md`` for which endpoints take ``updated_at``) and a field inventory of the v3
  reference (``sam-vangelos/greenhouse-mcp``, ``v3-endpoint-inventory.md``); v1 spellings from
  ``grnhse/greenhouse-api-docs``. ``/v3/job_candidate_attributes`` appears only in the
  inventory and is UNCONFIRMED; so are ``include_defaults`` on v3 (it is documented for v1) and
  the offer status ``Created`` meaning both a draft and a sent offer (only ``sent_on`` tells them
  apart).
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
from urllib.parse import urlencode, urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError, FatalSyncError, RetriableAPIError

from tap_ats.client import ATSStream
from tap_ats.conform import ts, utc_now
from tap_ats.http import Pacer, Refused, Transport, check_url, origin
from tap_ats.paging import LinkPaginator, pages
from tap_ats.provider import Provider, SettingError, number

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_ats.http import Answer

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
#: Offer statuses (lower-cased) beyond the open one, whose sending decides draft or sent.
OFFER_STATUS = {"accepted": "accepted", "rejected": "declined", "deprecated": "deprecated"}
OPEN_OFFER = ("created", "unresolved")
RECOMMENDATION = {"strong_yes": "strong_yes", "yes": "yes", "no": "no", "strong_no": "strong_no",
                  "definitely_not": "strong_no", "no_decision": "no_decision"}
#: Rejection reason types by ``type.key``, or ``type.name`` lower-cased with underscores.
REJECTION_TYPE = {"we_rejected_them": "we_rejected", "they_rejected_us": "candidate_withdrew"}
HIRING_ROLES = ("hiring_manager", "recruiter", "coordinator", "sourcer")
#: Custom field value types in the unified words, where they differ.
VALUE_TYPE = {"yes_no": "boolean"}
SELECTS = ("single_select", "multi_select")
#: The free-text fields of a scorecard, kept only with ``include_scorecard_notes``.
SCORECARD_NOTES = ("notes", "notes_with_tags", "private_notes", "private_notes_with_tags",
                   "public_notes", "public_notes_with_tags")


def sid(value: t.Any) -> str | None:
    """A Greenhouse integer id as the unified string id."""
    return None if value is None else str(value)


def ids(values: t.Any) -> list[str]:
    """A list of Greenhouse ids (or of objects with one) as strings; anything else is none."""
    if not isinstance(values, list):
        return []
    return [str(v["id"] if isinstance(v, dict) else v) for v in values
            if v is not None and (not isinstance(v, dict) or v.get("id") is not None)]


def custom_values(fields: t.Any) -> dict | None:
    """Greenhouse ``custom_fields`` as field key -> value.

    v3 keys each field by its ``name_key`` with ``{name, type, value}``; a value that is no such
    object (v1's flat map, a currency ``{value, currency}``) is kept as it is.
    """
    if not isinstance(fields, dict):
        return None
    return {key: value["value"] if isinstance(value, dict) and "value" in value
            and ("type" in value or "name" in value) else value
            for key, value in fields.items()}


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
    "/v3/interviewers": "scorecards.interview_id, interviews.interviewer_ids",
    "/v3/job_interviews": "interviews.title, interviews.stage_id",
    "/v3/sources": "applications.source",
    "/v3/rejection_reasons": "applications.rejection_reason",
    "/v3/scorecard_candidate_attributes": "scorecards.ratings",
    "/v3/job_candidate_attributes": "scorecards.ratings[].name",
    "/v3/custom_field_options": "custom_field_definitions.options",
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


@dataclass
class PanelIndex:
    """The account's panel rows (``/v3/interviewers``), read once per run for two streams.

    ``by_interview``: user ids by interview id, in the order people joined the panel;
    ``interview_of``: the interview id by scorecard id (v3 scorecards do not name it).
    """

    by_interview: dict[str, list[str]] = field(default_factory=dict)
    interview_of: dict[str, str] = field(default_factory=dict)


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
        #: Lookups read once per run and account (None: refused), and the account's panels.
        self._lookups_lock = threading.RLock()
        self._by_id: dict[tuple[str, str], dict[str, dict] | None] = {}
        self._panels: dict[str, PanelIndex | None] = {}

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint."""
        return self.config.get("token_url") or DEFAULT_TOKEN_URL

    def stream_classes(self) -> list[type]:
        """Everything but candidate_history (Greenhouse's history is application_stages)."""
        return [Applications, ApplicationStages, Jobs, JobStages, Interviews, Candidates, Users,
                Offers, Departments, Offices, RejectionReasons, Sources, JobHiringTeam,
                Scorecards, Demographics, CustomFieldDefinitions]

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
                self._pacers[key] = HeaderPacer(number(self.config, "max_requests_per_minute"))
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
        answer = transport.send(request, pacer=self._token_pacer, check=self._check_token,
                                allowed=origin(self.token_url))
        payload = answer.body
        if not isinstance(payload, dict) or not payload.get("access_token"):
            msg = "greenhouse token endpoint answered without an access_token"
            raise RetriableAPIError(msg, answer.response)
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

    def refused(self, context: Context | None, path: str) -> bool:
        """Whether lookup ``path`` was refused to this account earlier in the run."""
        with self._lock:
            return ((context or {}).get("account_id", ""), path) in self._refused_lookups

    def by_id(self, stream: GreenhouseStream, path: str, context: Context | None,
              params: dict[str, t.Any] | None = None) -> dict[str, dict] | None:
        """The rows of lookup ``path`` by id, read once per run and account (None: refused)."""
        key = ((context or {}).get("account_id", ""), path)
        with self._lookups_lock:
            if key not in self._by_id:
                rows = self.lookup(stream, path, context, params)
                self._by_id[key] = None if rows is None else {str(r["id"]): r for r in rows}
            return self._by_id[key]

    def panels(self, stream: GreenhouseStream, context: Context | None) -> PanelIndex | None:
        """The account's panel rows, read in full once per run on first need (None: refused)."""
        account = (context or {}).get("account_id", "")
        with self._lookups_lock:
            if account not in self._panels:
                rows = self.lookup(stream, "/v3/interviewers", context)
                index = None if rows is None else PanelIndex()
                for row in sorted(rows or [], key=lambda row: row["id"]):  # order joined
                    if row.get("user_id") is not None:
                        index.by_interview.setdefault(str(row["interview_id"]), []).append(
                            str(row["user_id"]))
                    if row.get("scorecard_id") is not None:
                        index.interview_of[str(row["scorecard_id"])] = str(row["interview_id"])
                self._panels[account] = index
            return self._panels[account]

    def interview_index(self, stream: GreenhouseStream, context: Context | None) -> InterviewIndex:
        """The account's panels and job interviews, read once per run on first need."""
        account = (context or {}).get("account_id", "")
        with self._stages_lock:
            if account not in self._interviews:
                index = InterviewIndex()
                panels = self.panels(stream, context)
                index.panels = None if panels is None else panels.by_interview
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

    def get_new_paginator(self) -> LinkPaginator:
        """Next page from ``Link: <...>; rel="next"``."""
        return LinkPaginator()

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

        def send(link: t.Any) -> Answer:
            if link is None:
                return self.get(path.strip("/").split("/"), context,
                                per_page=self.provider.max_page_size, **(params or {}))
            return self.send(self.build_prepared_request(method="GET", url=link.geturl(),
                                                         headers=self.http_headers), context)

        return [row for answer in pages(send, LinkPaginator(), self.page, f"greenhouse {path}")
                for row in self.page(answer)]

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


class Prepared(GreenhouseStream):
    """A stream whose pages need lookups: :meth:`prepare` runs before a page with records."""

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Prepare for the page's records, then map them."""
        rows = answer.body
        if rows and isinstance(rows, list):
            self.prepare([row for row in rows if isinstance(row, dict)])
        yield from super().parse_page(answer)

    def prepare(self, rows: list[dict]) -> None:
        """Read what mapping ``rows`` needs (a lookup refused leaves its columns null)."""


def name_of(names: dict[str, dict] | None, key: t.Any) -> str | None:
    """The ``name`` of row ``key`` of a lookup, or None (no key, no such row, lookup refused)."""
    if names is None or key is None:
        return None
    return names.get(str(key), {}).get("name")


class Applications(Prepared):
    """``GET /v3/applications``; source and rejection reason names from their lookups."""

    name = "applications"
    path = "/v3/applications"
    _sources: dict[str, dict] | None = None
    _reasons: dict[str, dict] | None = None

    def prepare(self, rows: list[dict]) -> None:
        """The account's sources and rejection reasons, read once per run."""
        self._sources = self.provider.by_id(self, "/v3/sources", self._account)
        self._reasons = self.provider.by_id(self, "/v3/rejection_reasons", self._account,
                                            {"include_defaults": "true"})

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
            "rejection_reason": name_of(self._reasons, raw.get("rejection_reason_id")),
            "source": name_of(self._sources, raw.get("source_id")),
            "source_id": sid(raw.get("source_id")),
            "rejection_reason_id": sid(raw.get("rejection_reason_id")),
            "custom_fields": custom_values(raw.get("custom_fields")),
        }


class StageNamed(GreenhouseStream):
    """A stream whose records need the account's stage index (read on first non-empty page)."""

    _index = StageIndex()

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Load the stage index before mapping a page that has records."""
        if answer.body:
            self._index = self.provider.stages(self, self._account)
        yield from super().parse_page(answer)


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
            "department_ids": ids(raw["departments"]) if "departments" in raw
            else ids([raw.get("department_id")]),
            "office_ids": ids(raw["offices"]) if "offices" in raw else ids(raw.get("office_ids")),
            "custom_fields": custom_values(raw.get("custom_fields")),
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

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account, remembering which interviews went out."""
        self._out = set()
        yield from super().get_records(context)

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Map a page (index loaded first); after the last, the interviews whose panel changed."""
        if answer.body:
            self._index = self.provider.interview_index(self, self._account)
        for record in super().parse_page(answer):
            self._out.add(record["id"])
            yield record
        if "next" not in answer.response.links and self.replication_method == "INCREMENTAL":
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
            "custom_fields": custom_values(raw.get("custom_fields")),
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
            "email": raw.get("primary_email") or raw.get("primary_email_address"),
            "active": None if raw.get("deactivated") is None else not raw["deactivated"],
        }


def common(raw: dict) -> dict:
    """The columns every Greenhouse record fills alike (v3 shows no deletes)."""
    return {"id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None}


def described(value: t.Any) -> t.Any:
    """An EEOC answer: v3's ``{id, description}`` as its description, anything else as it is."""
    return value.get("description") if isinstance(value, dict) else value


class Offers(GreenhouseStream):
    """``GET /v3/offers``: each version of an offer is its own row."""

    name = "offers"
    path = "/v3/offers"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse offer (v3, or v1's spellings) to the unified columns."""
        status = raw.get("status")
        key = str(status).lower() if status is not None else None
        sent = raw["sent_on"] if "sent_on" in raw else raw.get("sent_at")
        if key in OPEN_OFFER:
            unified = "sent" if sent else "draft"
        else:
            unified = OFFER_STATUS.get(key, "other") if key else None
        return {
            **common(raw), "application_id": sid(raw.get("application_id")),
            "job_id": sid(raw.get("job_id")), "candidate_id": sid(raw.get("candidate_id")),
            "status": unified, "status_raw": status, "version": raw.get("version"),
            "sent_at": ts(sent), "resolved_at": ts(raw.get("resolved_at")),
            "starts_at": ts(raw["starts_on"] if "starts_on" in raw else raw.get("starts_at")),
            "custom_fields": custom_values(raw.get("custom_fields")),
        }


class Departments(GreenhouseStream):
    """``GET /v3/departments``: a tree by ``parent_id``."""

    name = "departments"
    path = "/v3/departments"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse department to the unified columns."""
        return {**common(raw), "name": raw.get("name"), "parent_id": sid(raw.get("parent_id")),
                "external_id": raw.get("external_id")}


class Offices(GreenhouseStream):
    """``GET /v3/offices``: a tree by ``parent_id``."""

    name = "offices"
    path = "/v3/offices"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse office to the unified columns (v1's ``location.name`` read too)."""
        location = raw.get("location")
        return {**common(raw), "name": raw.get("name"), "parent_id": sid(raw.get("parent_id")),
                "location": location.get("name") if isinstance(location, dict) else location,
                "external_id": raw.get("external_id")}


class RejectionReasons(GreenhouseStream):
    """``GET /v3/rejection_reasons?include_defaults=true``: Greenhouse's defaults included."""

    name = "rejection_reasons"
    path = "/v3/rejection_reasons"

    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        """Page 1 also asks for Greenhouse's default reasons (applications point at them)."""
        params = super().get_url_params(context, next_page_token)
        if next_page_token is None:
            params["include_defaults"] = "true"
        return params

    def map_record(self, raw: dict) -> dict:
        """Greenhouse rejection reason to the unified columns."""
        kind = raw.get("type")
        kind = kind if isinstance(kind, dict) else {"name": kind} if kind else {}
        words = str(kind.get("key") or kind.get("name") or "").strip().lower().replace(" ", "_")
        return {**common(raw), "name": raw.get("name"),
                "type": REJECTION_TYPE.get(words, "other") if words else None,
                "type_raw": kind.get("name") or kind.get("key")}


class Sources(GreenhouseStream):
    """``GET /v3/sources``: ``type`` is the sourcing strategy's name."""

    name = "sources"
    path = "/v3/sources"

    def map_record(self, raw: dict) -> dict:
        """Greenhouse source to the unified columns."""
        kind = raw.get("type")
        return {**common(raw), "name": raw.get("name"),
                "type": kind.get("name") if isinstance(kind, dict) else kind}


class ListsInTurn(LinkPaginator):
    """Link-header pages of one list, then page 1 of the stream's next list, and so on."""

    def __init__(self, stream: JobHiringTeam) -> None:
        super().__init__()
        self.stream = stream

    def get_next_url(self, response: Answer) -> str | None:  # type: ignore[override]
        """The next page of this list, else the first of the next list, else None."""
        return super().get_next_url(response) or self.stream.next_list()


class JobHiringTeam(GreenhouseStream):
    """``/v3/job_hiring_managers`` then ``/v3/job_owners``: one row per person and role on a job.

    Both lists are read in one window, as one stream: the last page of the first leads to the
    first page of the second. ``path`` is the list being read, so that a refusal of either
    skips the stream (bookmark kept) rather than the account.
    """

    name = "job_hiring_team"
    LISTS = ("/v3/job_hiring_managers", "/v3/job_owners")
    _list = 0
    #: Whether the page being mapped is of the hiring managers' list (it carries no role).
    _managers = True

    @property
    def path(self) -> str:  # type: ignore[override]
        """The list being read."""
        return self.LISTS[self._list]

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account, from its first list."""
        self._list = 0
        yield from super().get_records(context)

    def get_new_paginator(self) -> ListsInTurn:
        """Pages of each list in turn."""
        return ListsInTurn(self)

    def next_list(self) -> str | None:
        """Page 1 of the next list (its size and the same window), or None after the last."""
        if self._list + 1 >= len(self.LISTS):
            return None
        self._list += 1
        params = self.get_url_params(self._account, None)
        return f"{self.url_base}{self.path}?{urlencode(params)}"

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Note which list the page is of, then map it."""
        self._managers = urlsplit(answer.response.request.url).path.endswith(self.LISTS[0])
        yield from super().parse_page(answer)

    def map_record(self, raw: dict) -> dict:
        """A hiring manager or job owner row to the unified columns."""
        role_raw = "hiring_manager" if self._managers else raw.get("type")
        role = role_raw if role_raw in HIRING_ROLES else "other"
        job_id, user_id = sid(raw["job_id"]), sid(raw["user_id"])
        return {**common(raw), "id": f"{job_id}:{user_id}:{role_raw if role == 'other' else role}",
                "job_id": job_id, "user_id": user_id, "role": role, "role_raw": role_raw}


class Scorecards(Prepared):
    """``GET /v3/scorecards``, with interview ids from the panels and ratings by scorecard."""

    name = "scorecards"
    path = "/v3/scorecards"
    RATINGS = "/v3/scorecard_candidate_attributes"
    _panels: PanelIndex | None = None
    _ratings: dict[str, list[dict]] | None = None

    def prepare(self, rows: list[dict]) -> None:
        """The panels (once per run), and the ratings of this page's scorecards."""
        self._panels = self.provider.panels(self, self._account)
        self._ratings = self._read_ratings([str(row["id"]) for row in rows if "id" in row])

    def _read_ratings(self, cards: list[str]) -> dict[str, list[dict]] | None:
        """``[{name, rating}]`` by scorecard id, 50 scorecards a request (None: refused)."""
        context = self._account
        if self.provider.refused(context, self.RATINGS):
            return None
        found: list[dict] = []
        for start in range(0, len(cards), MAX_IDS):
            rows = self.provider.lookup(self, self.RATINGS, context,
                                        {"scorecard_ids": ",".join(cards[start:start + MAX_IDS])})
            if rows is None:
                return None
            found += rows
        names = self.provider.by_id(self, "/v3/job_candidate_attributes", context) if found \
            else {}
        out: dict[str, list[dict]] = {}
        for row in sorted(found, key=lambda row: row["id"]):
            rating = row.get("candidate_attribute_rating", row.get("value"))
            out.setdefault(str(row.get("scorecard_id")), []).append({
                "name": name_of(names, row.get("job_candidate_attribute_id")),
                "rating": None if rating is None else str(rating)})
        return out

    def map_record(self, raw: dict) -> dict:
        """Greenhouse scorecard to the unified columns; notes only when asked for."""
        verdict = raw["candidate_rating"] if "candidate_rating" in raw \
            else raw.get("overall_recommendation")
        notes = raw.get("notes")
        if not self.tap.include_scorecard_notes:
            notes = None
            for key in SCORECARD_NOTES:
                raw.pop(key, None)
        card = str(raw["id"])
        return {
            **common(raw), "application_id": sid(raw.get("application_id")),
            "candidate_id": sid(raw.get("candidate_id")), "job_id": sid(raw.get("job_id")),
            "interview_id": sid(raw.get("interview_id")) or (
                self._panels.interview_of.get(card) if self._panels is not None else None),
            "interviewer_id": sid(raw.get("interviewer_id")),
            "submitted_at": ts(raw.get("submitted_at")),
            "overall_recommendation": None if verdict is None
            else RECOMMENDATION.get(str(verdict).lower(), "other"),
            "overall_recommendation_raw": verdict,
            "ratings": None if self._ratings is None else self._ratings.get(card, []),
            "notes": notes,
        }


class Demographics(GreenhouseStream):
    """``GET /v3/eeoc``: row-level EEOC answers, off unless selected."""

    name = "demographics"
    path = "/v3/eeoc"
    selected_by_default = False

    def map_record(self, raw: dict) -> dict:
        """Greenhouse EEOC answers to the unified columns (each answer's description)."""
        return {
            **common(raw), "application_id": sid(raw.get("application_id")),
            "candidate_id": sid(raw.get("candidate_id")), "race": described(raw.get("race")),
            "gender": described(raw.get("gender")),
            "veteran_status": described(raw.get("veteran_status")),
            "disability_status": described(raw.get("disability_status")),
            "submitted_at": ts(raw.get("submitted_at")),
        }


class CustomFieldDefinitions(Prepared):
    """``GET /v3/custom_fields``, with the choices of select fields from their options."""

    name = "custom_field_definitions"
    path = "/v3/custom_fields"
    _options: dict[str, list[str]] | None = None

    def prepare(self, rows: list[dict]) -> None:
        """The account's custom field options, read once per run, by field id."""
        if all("custom_field_options" in row for row in rows):
            return
        options = self.provider.by_id(self, "/v3/custom_field_options", self._account)
        if options is None:
            self._options = None
            return
        self._options = {}
        for option in sorted(options.values(), key=lambda o: (
                o.get("sort_order") is None, o.get("sort_order"), o["id"])):
            if option.get("active") is not False and option.get("name") is not None:
                self._options.setdefault(str(option.get("custom_field_id")), []).append(
                    str(option["name"]))

    def map_record(self, raw: dict) -> dict:
        """Greenhouse custom field definition to the unified columns."""
        value_type = raw.get("value_type")
        if "custom_field_options" in raw:  # v1 lists the choices inline
            options = [str(o["name"]) for o in raw["custom_field_options"] or []
                       if isinstance(o, dict) and o.get("name") is not None]
        elif value_type not in SELECTS:
            options = []
        else:
            options = None if self._options is None else self._options.get(str(raw["id"]), [])
        return {
            **common(raw), "name": raw.get("name"), "key": raw.get("name_key"),
            "object_type": raw.get("field_type"),
            "field_type": VALUE_TYPE.get(value_type, value_type), "options": options,
            "active": raw.get("active"),
        }
