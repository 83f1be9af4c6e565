"""The Greenhouse streams of the hiring flow, each a small class on :class:`GreenhouseStream`.

Applications, their stage visits, jobs and job stages, interviews, candidates, and the users
behind interviews. Several are completed from the provider's per-run lookups: stage names,
interview panels and job interviews, source and rejection reason names.
"""

from __future__ import annotations

import typing as t

from tap_ats.conform import ts
from tap_ats.providers.greenhouse.client import (
    GreenhouseStream,
    Prepared,
    Served,
    batches,
    custom_values,
    ids,
    name_of,
    sid,
)
from tap_ats.providers.greenhouse.provider import StageIndex

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_ats.http import Answer
    from tap_ats.tap import TapATS

APPLICATION_STATUS = {"in_process": "active", "rejected": "rejected", "hired": "hired",
                      "converted": "converted"}
JOB_STATUS = {"open": "open", "closed": "closed", "draft": "draft"}
#: v3's interview statuses: a skipped interview is not held (canceled); one collecting feedback
#: is held and awaits it. Not yet scheduled, and a take-home test's to_be_sent, sent and
#: received, are none of the unified words: ``other``.
INTERVIEW_STATUS = {"scheduled": "scheduled", "awaiting_feedback": "awaiting_feedback",
                    "collect_feedback": "awaiting_feedback", "complete": "complete",
                    "skipped": "canceled"}


#: One row per rejected application, with its reason: v3's application names none.
REJECTION_DETAILS = "/v3/rejection_details"


def stage_ids(index: StageIndex) -> dict[tuple[str | None, str | None], str | None]:
    """A job interview stage's id by its job and name: how v3 names an application's stage.

    The application's ``stage_id`` is the id of its stage visit, not of the stage. A name two
    stages of one job share names the active one, or none if both are active.
    """
    found: dict[tuple[str | None, str | None], list[dict]] = {}
    for stage in index.by_id.values():
        found.setdefault((sid(stage.get("job_id")), stage.get("name")), []).append(stage)
    named = {}
    for key, stages in found.items():
        pick = stages if len(stages) == 1 else [s for s in stages if s.get("active")]
        named[key] = sid(pick[0]["id"]) if len(pick) == 1 else None
    return named


class Applications(Prepared):
    """``GET /v3/applications``, completed from lookups.

    Source and rejection reason names by id; each rejected application's reason from its
    rejection detail; the job interview stage it is in by the job's stage of that name.
    """

    name = "applications"
    path = "/v3/applications"
    _sources: dict[str, dict] | None = None
    _reasons: dict[str, dict] | None = None
    _stages: StageIndex | None = None
    _stage_ids: dict[tuple[str | None, str | None], str | None] = {}

    def __init__(self, tap: TapATS) -> None:
        super().__init__(tap)
        #: Per account: rejection reason id by application id, from the rejection details read
        #: in this run (None: refused or gave up, and every reason stays null).
        self._rejections: dict[str, dict[str, str | None] | None] = {}
        #: The account's of those, while its pages are mapped.
        self._reason_ids: dict[str, str | None] = {}

    def prepare(self, rows: list[dict]) -> None:
        """The account's lookups (read once per run), and the rejections of the page."""
        context = self._account
        self._sources = self.provider.by_id(self, "/v3/sources", context)
        self._reasons = self.provider.by_id(self, "/v3/rejection_reasons", context,
                                            {"include_defaults": "true"})
        if (index := self.provider.stages(self, context)) is not self._stages:
            self._stages, self._stage_ids = index, stage_ids(index) if index.known else {}
        self._rejected(rows)

    def _rejected(self, rows: list[dict]) -> None:
        """The rejection details of the page's rejected applications.

        The account's first page reads those changed in the applications' window, once (on a
        first sync, all). An application rejected before the window and changed in it is not
        among them: the details of such are read by id, 50 a request.
        """
        account = (self._account or {}).get("account_id", "")
        if account not in self._rejections:
            window = self.get_url_params(self._account, None).get("updated_at")
            self._rejections[account] = self._details(window and {"updated_at": window})
        known = self._rejections[account]
        if known is None:
            self._reason_ids = {}
            return
        self._reason_ids = known
        missing = [str(row["id"]) for row in rows
                   if row.get("status") == "rejected" and str(row["id"]) not in known]
        for batch in batches(missing):
            known.update(dict.fromkeys(batch))
            known.update(self._details({"application_ids": ",".join(batch)}) or {})

    def _details(self, params: dict[str, str] | None) -> dict[str, str | None] | None:
        """Rejection reason id by application id, of the details ``params`` select."""
        return self.provider.lookup(
            self, REJECTION_DETAILS, self._account, params,
            fold=lambda rows: {str(r["application_id"]): sid(r.get("rejection_reason_id"))
                               for r in rows if r.get("application_id") is not None})

    def map_record(self, raw: dict) -> dict:
        """Greenhouse application to the unified columns."""
        status = raw.get("status")
        reason_id = self._reason_ids.get(str(raw["id"])) if status == "rejected" else None
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "candidate_id": sid(raw.get("candidate_id")), "job_id": sid(raw.get("job_id")),
            "current_stage_id": self._stage_ids.get((sid(raw.get("job_id")),
                                                     raw.get("stage_name"))),
            "current_stage_name": raw.get("stage_name"),
            "status": APPLICATION_STATUS.get(status, "other"), "status_raw": status,
            "applied_at": ts(raw.get("created_at")), "rejected_at": ts(raw.get("rejected_at")),
            "rejection_reason": name_of(self._reasons, reason_id),
            "source": name_of(self._sources, raw.get("source_id")),
            "source_id": sid(raw.get("source_id")), "rejection_reason_id": reason_id,
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


class JobStages(Served):
    """``GET /v3/job_interview_stages``, from the stage index when it was read in this run."""

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


class Interviews(Prepared):
    """``GET /v3/interviews``, completed from the panels and job interviews of the account.

    A panel change need not touch the interview's ``updated_at``: after the last page, the
    interviews whose panel rows changed in the window are found, and those not already out are
    read by id (``ids``, 50 at a time) and emitted too. They are found in the panel rows read
    whole in this run when that read started after the window's end (as it does when a page of
    interviews had records), else by one read of ``/v3/interviewers`` in the same window. The
    ids already out are noted in the provider's scratch database, not held in memory.
    """

    name = "interviews"
    path = "/v3/interviews"
    #: The user ids on the panels of the page being mapped (None: panels refused or gave up).
    _people: dict[str, list[str]] | None = None
    #: (title, stage id) of the page's job interviews by id (None: refused or gave up).
    _job_interviews: dict[str, tuple[t.Any, str | None]] | None = None

    def get_records(self, context: Context | None) -> t.Iterable[dict]:
        """Read one account: none of its interviews is out yet."""
        self.provider.scratch.forget_out((context or {}).get("account_id", ""))
        yield from super().get_records(context)

    def prepare(self, rows: list[dict]) -> None:
        """The panels and job interviews of this page's interviews (each list read once)."""
        panels = self.provider.panels(self, self._account)
        self._people = None if panels is None else panels.people(
            [str(row["id"]) for row in rows if "id" in row])
        self._job_interviews = self.provider.named(
            self, "/v3/job_interviews", self._account,
            [str(row.get("job_interview_id")) for row in rows], "job_interview_stage_id")

    def parse_page(self, answer: Answer) -> t.Iterator[dict]:
        """Map a page, noting what went out; after the last, the interviews whose panel changed."""
        page = list(super().parse_page(answer))
        account = (self._account or {}).get("account_id", "")
        self.provider.scratch.went_out(account, (record["id"] for record in page))
        yield from page
        if "next" not in answer.response.links and self.replication_method == "INCREMENTAL":
            yield from self._panel_changes(self._account)

    def _panel_changes(self, context: Context | None) -> t.Iterator[dict]:
        """Interviews whose panel changed in this window but that did not change themselves."""
        account = (context or {}).get("account_id", "")
        panels, start = self.provider.panels_read(context), self.start_time(context)
        if panels is not None and panels.read_at >= self.window_end:
            changed = panels.changed_not_out(start)
        else:
            window = self.get_url_params(context, None)["updated_at"]
            rows = self.provider.lookup(self, "/v3/interviewers", context,
                                        {"updated_at": window})
            changed = self.provider.scratch.not_out(
                account, (str(row["interview_id"]) for row in rows or []))
        for batch in batches(changed):
            raws = self.fetch_all(self.path, context, {"ids": ",".join(batch)})
            self.prepare(raws)
            records = [self.unified(raw) for raw in raws]
            self.provider.scratch.went_out(account, (record["id"] for record in records))
            yield from records

    def map_record(self, raw: dict) -> dict:
        """Greenhouse interview to the unified columns."""
        status = raw.get("status")
        title, stage = (self._job_interviews or {}).get(str(raw.get("job_interview_id")),
                                                        (None, None))
        return {
            "id": sid(raw["id"]), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "application_id": sid(raw.get("application_id")), "job_id": sid(raw.get("job_id")),
            "stage_id": stage, "title": title,
            "status": INTERVIEW_STATUS.get(status, "other") if status else None,
            "status_raw": status, "start_at": ts(raw.get("starts_at")),
            "end_at": ts(raw.get("ends_at")), "location": raw.get("location"),
            "organizer_id": sid(raw.get("organizer_id")),
            "interviewer_ids": None if self._people is None
            else self._people.get(str(raw["id"]), []),
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
