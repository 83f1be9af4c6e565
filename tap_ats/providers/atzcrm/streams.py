"""ATZ CRM's candidates and the streams derived from their histories, at no request of their own.

:class:`Candidates` declares ``GET /candidate`` on :class:`~.history.HistoryReader`, which reads
the histories; :class:`AtzDerived` is the base of what derives from them: ``candidate_history``,
``applications``, ``application_stages`` and ``job_stages``. The rows from the job reads
(``jobs``, ``job_hiring_team``) are in :mod:`.entities`.
"""

from __future__ import annotations

import typing as t

from tap_ats.conform import day, ts
from tap_ats.derived import DerivedStream
from tap_ats.providers.atzcrm.client import LastPagePaginator
from tap_ats.providers.atzcrm.history import HistoryReader, median_low

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

HIRED = ("placed", "hired", "joined")
REJECTED = ("rejected", "declined", "withdrawn", "not interested")


def tag_list(tags: t.Any) -> list[str]:
    """ATZ's ``tags``: a string shaped ``[frontend, developer]`` as documented, or a list."""
    if isinstance(tags, str):
        return [tag.strip() for tag in tags.strip().strip("[]").split(",") if tag.strip()]
    return [str(tag) for tag in tags or []]


def midnight(date: str | None) -> str | None:
    """A ``YYYY-MM-DD`` date as RFC 3339 at 00:00 UTC (unreadable if it is no date)."""
    return ts(date)


class Candidates(HistoryReader):
    """``GET /candidate``, read in full; fetches the histories it must and the jobs they name.

    Children are :class:`DerivedStream` s fed from :attr:`histories`; they are written before the
    partition completes, so neither the bookmark nor the slice position ever passes rows that
    are not out.
    """

    name = "candidates"
    path = "/candidate"

    def get_new_paginator(self) -> LastPagePaginator:
        """Pages 1, 2, ... up to ``last_page``."""
        return LastPagePaginator(1)

    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        """``page`` and ``limit``; ATZ has no change filter."""
        return {"page": next_page_token or 1, "limit": self.page_size}

    def records_from(self, payload: dict) -> list[dict]:
        """Candidates in ``data``."""
        return payload["data"]

    def map_record(self, raw: dict) -> dict:
        """ATZ candidate to the unified columns; a numeric slug is read as its text, and counted."""
        slug = raw["slug"]
        if slug.__class__ is not str:
            self.numbered += 1
        return {
            "id": str(slug), "remote_id": None, "created_at": ts(raw.get("created_at")),
            "updated_at": ts(raw.get("updated_at")), "deleted_at": None,
            "first_name": raw.get("first_name"), "last_name": raw.get("last_name"),
            "emails": [raw["email"]] if raw.get("email") else [],
            "phones": [raw["phone"]] if raw.get("phone") else [],
            "company": raw.get("current_organization"), "title": raw.get("current_position"),
            "tags": tag_list(raw.get("tags")),
        }


class AtzDerived(DerivedStream):
    """A stream derived from candidate histories, with no request of its own."""

    parent_stream_type = Candidates

    @property
    def parent(self) -> Candidates:
        """The candidates stream, which holds the page's histories and the run's jobs."""
        return self._tap.streams[Candidates.name]

    def base(self, candidate: dict, row_id_: str, at: str | None) -> dict:
        """The common columns of a derived row."""
        return {"provider": candidate["provider"], "account_id": candidate["account_id"],
                "id": row_id_, "remote_id": None, "created_at": at, "updated_at": at,
                "deleted_at": None, "_sdc_deleted_at": None}

    def first_time(self, key: str) -> bool:
        """Whether ``key`` of this stream is still to be emitted in this run."""
        seen = self.parent.emitted
        if (self.name, key) in seen:
            return False
        seen.add((self.name, key))
        return True

    def raw(self, value: dict) -> dict | None:
        """The source value, unless ``include_raw`` is off."""
        return value if self._tap.include_raw else None


class CandidateHistory(AtzDerived):
    """``candidate_history``: the new rows of ``GET /candidate/:slug/history``, every field kept."""

    name = "candidate_history"

    def derive(self, parent_record: dict) -> list[dict]:
        """One row per new history row."""
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        out = []
        for row in history.new:
            org, user = row.get("organization") or {}, row.get("updated_by") or {}
            stage, visibility = row.get("talent_stage") or {}, row.get("visibility")
            out.append({
                **self.base(cand, history.row_id(row), ts(row["updated_at"])),
                "candidate_id": cand["id"], "job_id": row["job_slug"],
                "job_name": row.get("job_name"), "organization_id": org.get("slug"),
                "organization_name": org.get("name"),
                "job_status": (row.get("job_status") or {}).get("name"),
                "stage_id": str(stage["id"]), "stage_name": stage.get("name"),
                "stage_date": day(row.get("stage_date")),
                "visibility": None if visibility is None else bool(visibility),
                "comment": row.get("comment"),
                "updated_by_id": None if user.get("id") is None else str(user["id"]),
                "updated_by_name": user.get("full_name"), "updated_by_email": user.get("email"),
                "raw": self.raw(row),
            })
        return out


def application_status(stage_name: str | None) -> str:
    """The unified status an ATZ talent stage name implies."""
    name = (stage_name or "").lower()
    if any(word in name for word in HIRED):
        return "hired"
    if any(word in name for word in REJECTED):
        return "rejected"
    return "active"


class Applications(AtzDerived):
    """``applications``: one per (candidate, job) with a new history row."""

    name = "applications"

    def derive(self, parent_record: dict) -> list[dict]:
        """The application of each job the candidate has new rows on, from all its rows."""
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        out = []
        for job in history.jobs:
            rows = history.of_job(job)
            first, last = rows[0], rows[-1]
            stage = last["talent_stage"]
            out.append({
                **self.base(cand, f"{cand['id']}:{job}", ts(first["updated_at"])),
                "updated_at": max(ts(r["updated_at"]) for r in rows),
                "candidate_id": cand["id"], "job_id": job,
                "current_stage_id": str(stage["id"]), "current_stage_name": stage.get("name"),
                "status": application_status(stage.get("name")), "status_raw": stage.get("name"),
                "applied_at": midnight(first.get("stage_date")), "rejected_at": None,
                "rejection_reason": None, "source": None, "raw": None,
            })
        return out


class ApplicationStages(AtzDerived):
    """``application_stages`` (``origin=derived``): every row of each changed application."""

    name = "application_stages"

    def derive(self, parent_record: dict) -> list[dict]:
        """One visit per history row; it ends where the application's next row begins."""
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        out = []
        for job in history.jobs:
            rows = history.of_job(job)
            for i, row in enumerate(rows):
                nxt = rows[i + 1] if i + 1 < len(rows) else None
                stage = row["talent_stage"]
                out.append({
                    **self.base(cand, history.row_id(row), ts(row["updated_at"])),
                    "application_id": f"{cand['id']}:{job}", "job_id": job,
                    "candidate_id": cand["id"], "stage_id": str(stage["id"]),
                    "stage_name": stage.get("name"), "entered_at": midnight(row.get("stage_date")),
                    "exited_at": midnight(nxt.get("stage_date")) if nxt else None,
                    "is_current": nxt is None, "origin": "derived", "observed_at": None,
                    "raw": self.raw(row),
                })
        return out


class JobStages(AtzDerived):
    """``job_stages``: the account's talent stages met on a page, one row each, ``job_id`` null."""

    name = "job_stages"

    def derive(self, parent_record: dict) -> list[dict]:
        """Each talent stage of the candidate's changed applications, unless already out.

        ``order`` is the median position of the stage over every history read so far in the
        run; a row goes out again only when a later page's larger sample moves it (an upsert).
        """
        cand, history = parent_record, self.parent.histories[parent_record["id"]]
        orders, out = self.parent.orders, []
        for job in history.jobs:
            for row in history.of_job(job):
                stage = row["talent_stage"]
                key = str(stage["id"])
                positions = self.parent.positions.get(key)
                order = median_low(positions) if positions else None
                if key not in orders or orders[key] != order:
                    orders[key] = order
                    out.append({**self.base(cand, key, None), "job_id": None,
                                "name": stage.get("name"), "order": order, "active": None,
                                "raw": self.raw(stage)})
        return out
