"""The dbt models' semantics over small hand-built fixtures, with the expected rows written out.

The fixtures are loaded into a schema of their own as a loader would load them; the
integration project in transform/integration_tests/ installs the package from its path and
builds it there, on DuckDB always and on PostgreSQL when TAP_ATS_TEST_POSTGRES is set. The
interviews' times are stored WITH a time zone and dbt runs in a New York session, so a week cut
in the session's zone instead of UTC shows.

The world: Greenhouse job J1 (native visits, plan s1 < s2 < s3 < s4), Kombo job K1 and Merge job
M1 (observed sightings, plans k1 < k2 < k3 < k4 and m1 < m2 < m3 < m4), ATZ CRM job job-a
(derived visits over the account's talent stages t1 < t2 < t3, and the terminal Withdrawn t7,
Rejected t8, Placed t9), a second ATZ CRM account whose talent stages name no hire (job-b),
Ashby job Y1 (observed, y1 < y2 < y3 < y4) and Lever posting L1 (native visits from its
stageChanges, over the account's pipeline l1 < l2 < l3 < l4, which belongs to no posting).
Each provider's hire is its own signal (int_ats__hires): Greenhouse, Kombo and Ashby the status,
Merge a signed offer (unified accepted), ATZ CRM the Placed stage, Lever an archive reason of
type hired (its "Hired"); the second ATZ account has none.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from test_report import CHROMIUM, console_errors, in_chromium, metrics

from report.data import duckdb_query, load, postgres_query
from report.html import render
from tap_ats.derived import name_id
from tap_ats.sandbox.demo import ROOT, dbt, postgres_env

POSTGRES = os.environ.get("TAP_ATS_TEST_POSTGRES")
PROJECT = ROOT / "transform" / "integration_tests"
LOADED = "2026-06-01 00:00:00"  # _sdc_extracted_at of the first load
RELOADED = "2026-06-02 00:00:00"  # ... of the rows the incremental test changes

COLUMNS = {  # table: columns (name, type); the common ones follow
    "applications": "candidate_id text, job_id text, current_stage_id text, "
                    "current_stage_name text, status text, status_raw text, applied_at timestamp, "
                    "rejected_at timestamp, rejection_reason text, source text, source_id text, "
                    "rejection_reason_id text",
    "application_stages": "application_id text, job_id text, candidate_id text, stage_id text, "
                          "stage_name text, entered_at timestamp, exited_at timestamp, "
                          "is_current boolean, origin text, observed_at timestamp",
    "jobs": "name text, code text, status text, status_raw text, opened_at timestamp, "
            "closed_at timestamp, department_ids {list}, office_ids {list}",
    "job_stages": 'job_id text, name text, "order" integer, active boolean',
    "candidates": "first_name text, last_name text",
    "interviews": "application_id text, job_id text, stage_id text, title text, status text, "
                  "start_at timestamptz, end_at timestamptz, location text, organizer_id text, "
                  "interviewer_ids {list}",
    "users": "name text, email text, active boolean",
    "offers": "application_id text, job_id text, candidate_id text, status text, "
              "status_raw text, version integer, sent_at timestamp, resolved_at timestamp, "
              "starts_at timestamp",
    "departments": "name text, parent_id text, external_id text",
    "offices": "name text, parent_id text, location text, external_id text",
    "rejection_reasons": "name text, type text, type_raw text",
    "sources": "name text, type text",
    "job_hiring_team": "job_id text, user_id text, role text, role_raw text",
    "scorecards": "application_id text, candidate_id text, job_id text, interview_id text, "
                  "interviewer_id text, submitted_at timestamp, overall_recommendation text, "
                  "overall_recommendation_raw text",
}
COMMON = ("provider text, account_id text, id text, created_at timestamp, updated_at timestamp, "
          "deleted_at timestamp, _sdc_deleted_at timestamp, _sdc_extracted_at timestamp")

GH, KB, ATZ = ("greenhouse", "gh"), ("kombo", "kb"), ("atzcrm", "atz")
MG, ATZ2, AB, LV = ("merge", "mg"), ("atzcrm", "atz2"), ("ashby", "ab"), ("lever", "lv")
GH_STAGES = {"s1": "Screen", "s2": "Phone", "s3": "Onsite", "s4": "Offer"}
KB_STAGES = {"k1": "Applied", "k2": "Screen", "k3": "Interview", "k4": "Offer"}
MG_STAGES = {"m1": "Applied", "m2": "Screen", "m3": "Interview", "m4": "Offer"}
AB_STAGES = {"y1": "Applied", "y2": "Screen", "y3": "Interview", "y4": "Offer"}
LV_STAGES = {"l1": "New applicant", "l2": "Recruiter screen", "l3": "On-site interview",
             "l4": "Offer"}
# Lever's archive reasons, id: (text, type). Only the type (type_raw) says hire.
LV_REASONS = {"ar-hired": ("Hired", "hired"), "ar-exp": ("Lacks experience", "non-hired"),
              "ar-wd": ("Withdrew", "non-hired")}
LV_SOURCE = name_id("LinkedIn")  # Lever's sources have no id: the tap hashes the text
ATZ_STAGES = {"t1": "Application Review", "t2": "Interview", "t3": "Offer", "t7": "Withdrawn",
              "t8": "Rejected", "t9": "Placed"}
# ATZ's order is the stages' median position in the paths: Rejected ties with Interview.
ATZ_ORDER = {"t1": 0, "t2": 1, "t3": 2, "t7": 1, "t8": 1, "t9": 3}


def row(account: tuple[str, str], id_: str, deleted: str | None = None,
        sdc_deleted: str | None = None, **values: Any) -> dict[str, Any]:
    """A row of a loaded table: ``account`` is (provider, account_id)."""
    return {"provider": account[0], "account_id": account[1], "id": id_, "created_at": None,
            "updated_at": None, "deleted_at": deleted, "_sdc_deleted_at": sdc_deleted,
            "_sdc_extracted_at": LOADED, **values}


def application(account: tuple[str, str], id_: str, job: str, stage: str, status: str,
                reason: str | None = None, **kw: Any) -> dict[str, Any]:
    names = {**GH_STAGES, **KB_STAGES, **MG_STAGES, **ATZ_STAGES, **AB_STAGES, **LV_STAGES,
             "j2s1": "Screen"}
    return row(account, id_, candidate_id=f"cand-{id_}", job_id=job, current_stage_id=stage,
               current_stage_name=names[stage], status=status, status_raw=status,
               applied_at="2026-01-01 09:00:00", rejected_at=None, rejection_reason=reason,
               **{"source": "LinkedIn", "source_id": "src-li" if account == GH else None,
                  "rejection_reason_id": None, **kw})


def path(account: tuple[str, str], app: str, job: str, stages: list[str], origin: str,
         deleted: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """One visit per stage, on consecutive days from 2 Jan 2026 (index in ``deleted``: marked
    deleted by the loader)."""
    out = []
    for i, stage in enumerate(stages):
        last = i == len(stages) - 1
        out.append(row(account, f"{app}-v{i}", sdc_deleted="2026-05-01 00:00:00" if i in deleted
                       else None, application_id=app, job_id=job, candidate_id=f"cand-{app}",
                       stage_id=stage, stage_name=None, entered_at=f"2026-01-{2 + i:02d} 10:00:00",
                       exited_at=None if last else f"2026-01-{3 + i:02d} 10:00:00",
                       is_current=last, origin=origin, observed_at=None))
    return out


def opportunity(id_: str, stage: str, reason: str | None = None,
                archived: str | None = None) -> dict[str, Any]:
    """A Lever opportunity of L1 as the tap maps it: archived for a reason of type hired it is
    hired, for any other rejected (the reason's text and the archive time kept), else active;
    status_raw is the reason's type."""
    text, kind = LV_REASONS[reason] if reason else (None, None)
    lost = kind == "non-hired"
    status = "hired" if kind == "hired" else "rejected" if lost else "active"
    return {**application(LV, id_, "L1", stage, status, text if lost else None,
                          source_id=LV_SOURCE, rejection_reason_id=reason),
            "status_raw": kind, "rejected_at": archived if lost else None,
            "created_at": "2026-01-01 09:00:00"}


def stage_changes(app: str, stages: list[str]) -> list[dict[str, Any]]:
    """Lever's native history as the tap writes it (on path's days): the n-th stageChange is row
    <opportunity>:<n>, created when entered; only the last one names its (the current) stage."""
    return [{**r, "id": f"{app}:{n}", "created_at": r["entered_at"],
             "stage_name": LV_STAGES[r["stage_id"]] if r["is_current"] else None}
            for n, r in enumerate(path(LV, app, "L1", stages, "native"))]


def interview(id_: str, sdc_deleted: str | None = None, **values: Any) -> dict[str, Any]:
    return row(GH, id_, sdc_deleted=sdc_deleted, job_id="J1", stage_id=None, title=None,
               location=None, organizer_id=None, **values)


def sightings(app: str, seen: list[tuple[str, str]], account: tuple[str, str] = KB,
              job: str = "K1") -> list[dict[str, Any]]:
    """Kombo's (Merge's, Ashby's) observed rows: the current stage at each sync's change time."""
    names = {**KB_STAGES, **MG_STAGES, **AB_STAGES}
    return [row(account, f"{app}:{stage}:{at}", application_id=app, job_id=job,
                candidate_id=f"cand-{app}", stage_id=stage, stage_name=names[stage],
                entered_at=None, exited_at=None, is_current=None, origin="observed",
                observed_at=at) for stage, at in seen]


def offer(account: tuple[str, str], id_: str, app: str, status: str, version: int,
          sent: str | None = None, resolved: str | None = None, created: str | None = None,
          sdc_deleted: str | None = None) -> dict[str, Any]:
    return {**row(account, id_, sdc_deleted=sdc_deleted, application_id=app, job_id=None,
                  candidate_id=None, status=status, status_raw=status, version=version,
                  sent_at=sent, resolved_at=resolved, starts_at=None),
            "created_at": created or sent}


def lever_offer(id_: str, app: str, raw: str, created: str, sent: str,
                resolved: str | None = None) -> dict[str, Any]:
    """Lever's offer: no version, the opportunity's job and candidate; signed is accepted (at
    the signed document's upload), opened is sent."""
    status = {"signed": "accepted", "opened": "sent"}[raw]
    return {**offer(LV, id_, app, status, 1, sent, resolved, created), "version": None,
            "status_raw": raw, "job_id": "L1", "candidate_id": f"cand-{app}",
            "updated_at": created}


def scorecard(account: tuple[str, str], id_: str, app: str, interviewer: str | None,
              recommendation: str, sdc_deleted: str | None = None) -> dict[str, Any]:
    return row(account, id_, sdc_deleted=sdc_deleted, application_id=app, candidate_id=None,
               job_id=None, interview_id=None, interviewer_id=interviewer, submitted_at=None,
               overall_recommendation=recommendation, overall_recommendation_raw=recommendation)


T1, T2, T3 = "2026-02-01 08:00:00", "2026-02-08 08:00:00", "2026-02-15 08:00:00"

FIXTURES: dict[str, list[dict[str, Any]]] = {
    "applications": [
        application(GH, "A1", "J1", "s4", "hired"),
        application(GH, "A2", "J1", "s3", "active"),  # skipped s2
        application(GH, "A3", "J1", "s1", "rejected", "Not a fit", source="Referral",
                    source_id="src-ref"),
        # A4's reason is of type candidate_withdrew, A6's of type we_rejected (whatever its name).
        application(GH, "A4", "J1", "s2", "rejected", rejection_reason_id="r2"),
        application(GH, "A5", "J1", "s3", "rejected", "Withdrew"),
        application(GH, "A6", "J1", "s4", "rejected", "Withdrawn position",
                    rejection_reason_id="r1"),
        application(GH, "A7", "J1", "s2", "active", sdc_deleted="2026-05-01 00:00:00"),
        application(GH, "A8", "J1", "s1", "active", deleted="2026-05-01 00:00:00"),
        application(GH, "A9", "J1", "s2", "active"),  # its s4 row is deleted
        application(GH, "A10", "J1", "s2", "active"),  # moved back from s3
        application(GH, "A12", "J2", "j2s1", "active"),  # J2: a second job of D1, in New York
        application(KB, "B1", "K1", "k3", "active"),  # never observed at k2
        application(KB, "B2", "K1", "k4", "hired"),
        application(KB, "B3", "K1", "k2", "rejected", "Not a fit"),
        application(ATZ, "c1:job-a", "job-a", "t8", "rejected"),
        application(ATZ, "c2:job-a", "job-a", "t9", "hired"),
        application(ATZ, "c3:job-a", "job-a", "t2", "active"),  # reopened after Rejected
        application(ATZ, "c5:job-a", "job-a", "t7", "rejected"),
        # Merge: C1 hired by its signed offer (Merge has no hire status), C2 declined, C3 in
        # process, C4 rejected although its offer was signed (rejected: not a hire).
        application(MG, "C1", "M1", "m4", "active"),
        application(MG, "C2", "M1", "m4", "rejected"),
        application(MG, "C3", "M1", "m2", "active"),
        application(MG, "C4", "M1", "m4", "rejected"),
        application(ATZ2, "d1:job-b", "job-b", "t2", "active"),
        # Ashby: E1 Hired (its status says), E2 Archived (rejected) at y3, E3 in process.
        application(AB, "E1", "Y1", "y4", "hired"),
        application(AB, "E2", "Y1", "y3", "rejected", "Not a fit"),
        application(AB, "E3", "Y1", "y2", "active"),
        # Lever: F1 archived as Hired (the reason's type says so), F2 for Lacks experience at l3
        # (rejected), F3 for Withdrew at l2 (withdrawn: the text; Lever types only hired and
        # non-hired), F4 in process at l4, having skipped l2.
        opportunity("F1", "l4", "ar-hired"),  # no rejected_at
        opportunity("F2", "l3", "ar-exp", "2026-01-06 10:00:00"),
        opportunity("F3", "l2", "ar-wd", "2026-01-05 10:00:00"),
        opportunity("F4", "l4"),
    ],
    "application_stages": [
        *path(GH, "A1", "J1", ["s1", "s2", "s3", "s4"], "native"),
        *path(GH, "A2", "J1", ["s1", "s3"], "native"),
        *path(GH, "A3", "J1", ["s1"], "native"),
        *path(GH, "A4", "J1", ["s1", "s2"], "native"),
        *path(GH, "A5", "J1", ["s1", "s2", "s3"], "native"),
        *path(GH, "A6", "J1", ["s1", "s2", "s3", "s4"], "native"),
        *path(GH, "A7", "J1", ["s1", "s2"], "native"),
        *path(GH, "A8", "J1", ["s1"], "native"),
        *path(GH, "A9", "J1", ["s1", "s2", "s4"], "native", deleted=(2,)),
        *path(GH, "A10", "J1", ["s1", "s3", "s2"], "native"),
        *path(GH, "A12", "J2", ["j2s1"], "native"),
        *sightings("B1", [("k1", T1), ("k1", T2), ("k3", T3)]),
        *sightings("B2", [("k1", T1), ("k4", T2)]),
        *sightings("B3", [("k2", T1), ("k2", T2)]),
        *path(ATZ, "c1:job-a", "job-a", ["t1", "t2", "t8"], "derived"),
        *path(ATZ, "c2:job-a", "job-a", ["t1", "t2", "t3", "t9"], "derived"),
        *path(ATZ, "c3:job-a", "job-a", ["t1", "t8", "t1", "t2"], "derived"),
        *path(ATZ, "c5:job-a", "job-a", ["t1", "t7"], "derived"),
        # C1 first seen in M1's first stage (entered when it applied), C2 first seen in m3 (its
        # entry unknown), both seen again in m4.
        *sightings("C1", [("m1", T1), ("m4", T2)], MG, "M1"),
        *sightings("C2", [("m3", T1), ("m4", T2)], MG, "M1"),
        *sightings("C3", [("m2", T1), ("m2", T2)], MG, "M1"),
        *sightings("C4", [("m4", T1)], MG, "M1"),
        *path(ATZ2, "d1:job-b", "job-b", ["t1", "t2"], "derived"),
        *sightings("E1", [("y1", T1), ("y4", T2)], AB, "Y1"),
        *sightings("E2", [("y2", T1), ("y3", T2)], AB, "Y1"),
        *sightings("E3", [("y2", T1)], AB, "Y1"),
        *stage_changes("F1", ["l1", "l2", "l3", "l4"]),
        *stage_changes("F2", ["l1", "l2", "l3"]),
        *stage_changes("F3", ["l1", "l2"]),
        *stage_changes("F4", ["l1", "l3", "l4"]),
    ],
    "jobs": [
        row(GH, "J1", name="Engineer", code=None, status="open", status_raw="open",
            opened_at="2025-12-01 00:00:00", closed_at=None, department_ids=["D1"],
            office_ids=["O-NY", "O-LDN"]),
        row(GH, "J2", name="Tester", code=None, status="open", status_raw="open",
            opened_at="2025-12-01 00:00:00", closed_at=None, department_ids=["D1"],
            office_ids=["O-NY"]),
        row(GH, "J9", deleted="2026-05-01 00:00:00", name="Gone", code=None, status="open",
            status_raw="open", opened_at="2025-12-01 00:00:00", closed_at=None),
        row(KB, "K1", name="Designer", code=None, status="open", status_raw="OPEN",
            opened_at="2025-12-01 00:00:00", closed_at=None, department_ids=["KD"],
            office_ids=[]),
        row(ATZ, "job-a", name="Analyst", code=None, status="open", status_raw="In Progress",
            opened_at="2025-12-01 00:00:00", closed_at=None),
        row(MG, "M1", name="Writer", code=None, status="open", status_raw="OPEN",
            opened_at="2025-12-01 00:00:00", closed_at=None, department_ids=[], office_ids=[]),
        row(ATZ2, "job-b", name="Clerk", code=None, status="open", status_raw="In Progress",
            opened_at="2025-12-01 00:00:00", closed_at=None),
        row(AB, "Y1", name="Editor", code=None, status="open", status_raw="Open",
            opened_at="2025-12-01 00:00:00", closed_at=None, department_ids=[], office_ids=[]),
        # A Lever posting: no open or close time, departments or offices.
        row(LV, "L1", name="Translator", code=None, status="open", status_raw="published",
            opened_at=None, closed_at=None, created_at="2025-12-01 00:00:00"),
    ],
    "job_stages": [
        *(row(GH, s, job_id="J1", name=n, order=i, active=True)
          for i, (s, n) in enumerate(GH_STAGES.items())),
        row(GH, "j2s1", job_id="J2", name="Screen", order=0, active=True),
        *(row(KB, s, job_id="K1", name=n, order=i, active=True)
          for i, (s, n) in enumerate(KB_STAGES.items())),
        *(row(ATZ, s, job_id=None, name=n, order=ATZ_ORDER[s], active=None)
          for s, n in ATZ_STAGES.items()),
        *(row(MG, s, job_id="M1", name=n, order=i, active=True)
          for i, (s, n) in enumerate(MG_STAGES.items())),
        row(ATZ2, "t1", job_id=None, name="Application Review", order=0, active=None),
        row(ATZ2, "t2", job_id=None, name="Interview", order=1, active=None),
        *(row(AB, s, job_id="Y1", name=n, order=i, active=None)
          for i, (s, n) in enumerate(AB_STAGES.items())),
        *(row(LV, s, job_id=None, name=n, order=i, active=True)  # /stages, in pipeline order
          for i, (s, n) in enumerate(LV_STAGES.items())),
    ],
    "candidates": [row(GH, "cand-A1", first_name="Ann", last_name="Lee")],
    "interviews": [  # interviewers u1, u2; u3 is deleted
        interview("I1", application_id="A1", status="complete",  # Monday 04:30 UTC
            start_at="2026-03-01 23:30:00-05:00", end_at="2026-03-02 00:30:00-05:00",
            interviewer_ids=["u1", "u2"]),
        interview("I2", application_id="A1", status="complete",
            start_at="2026-03-04 10:00:00+01:00", end_at="2026-03-04 11:30:00+01:00",
            interviewer_ids=["u1", "u3"]),
        interview("I3", application_id="A2", status="awaiting_feedback",
            start_at="2026-03-03 15:00:00+00:00", end_at="2026-03-03 16:00:00+00:00",
            interviewer_ids=["u1"]),
        interview("I4", application_id="A2", status="scheduled",
            start_at="2099-01-05 10:00:00+00:00", end_at="2099-01-05 11:00:00+00:00",
            interviewer_ids=["u2"]),
        interview("I5", application_id="A2", status="canceled",
            start_at="2026-03-05 10:00:00+00:00", end_at="2026-03-05 11:00:00+00:00",
            interviewer_ids=["u2"]),
        interview("I6", application_id="A2", status="complete", sdc_deleted="2026-05-01 00:00:00",
            start_at="2026-03-03 10:00:00+00:00", end_at="2026-03-03 11:00:00+00:00",
            interviewer_ids=["u2"]),
        interview("I7", application_id="A1", status="complete",  # Sunday 23:00 UTC
            start_at="2026-03-09 08:00:00+09:00", end_at="2026-03-09 09:00:00+09:00",
            interviewer_ids=["u2"]),
    ],
    "users": [row(GH, "u1", name="Ada", email="ada@example.com", active=True),
              row(GH, "u2", name="Grace", email="grace@example.com", active=True),
              row(GH, "u3", deleted="2026-05-01 00:00:00", name="Gone", email=None, active=False)],
    "offers": [  # A1 hired on its revised offer; A2's is a draft; O6 is deleted; B1 accepted
        offer(GH, "O1", "A1", "deprecated", 1, sent="2026-01-10 09:00:00"),
        offer(GH, "O2", "A1", "accepted", 2, sent="2026-01-12 09:00:00",
              resolved="2026-01-15 09:00:00"),
        offer(GH, "O3", "A6", "declined", 1, sent="2026-01-20 09:00:00",
              resolved="2026-01-22 09:00:00"),
        offer(GH, "O4", "A2", "draft", 1, created="2026-01-25 09:00:00"),
        offer(GH, "O5", "A9", "sent", 1, sent="2026-01-31 09:00:00"),
        offer(GH, "O6", "A9", "accepted", 2, sent="2026-02-01 09:00:00",
              resolved="2026-02-02 09:00:00", sdc_deleted="2026-05-01 00:00:00"),
        offer(KB, "O7", "B1", "accepted", 1, sent="2026-02-16 09:00:00",
              resolved="2026-02-18 09:00:00"),
        # Merge's SIGNED and DENIED, as the tap unifies them (accepted, declined).
        offer(MG, "O8", "C1", "accepted", 1, sent="2026-02-10 09:00:00",
              resolved="2026-02-12 09:00:00"),
        offer(MG, "O9", "C2", "declined", 1, sent="2026-02-11 09:00:00",
              resolved="2026-02-13 09:00:00"),
        offer(MG, "O10", "C4", "accepted", 1, sent="2026-02-09 09:00:00",
              resolved="2026-02-10 09:00:00"),
        # Ashby's offer: no version or sent time; created_at is its latest version's.
        {**offer(AB, "O11", "E1", "accepted", 1, created="2026-02-10 09:00:00",
                 resolved="2026-02-12 09:00:00"), "version": None},
        lever_offer("O12", "F1", "signed", "2026-01-08 09:00:00", "2026-01-09 09:00:00",
                    "2026-01-13 09:00:00"),
        lever_offer("O13", "F4", "opened", "2026-01-14 09:00:00", "2026-01-15 09:00:00"),
    ],
    "departments": [row(GH, "D1", name="Engineering", parent_id=None, external_id=None),
                    row(KB, "KD", name="Design", parent_id=None, external_id=None),
                    row(GH, "D9", deleted="2026-05-01 00:00:00", name="Gone", parent_id=None,
                        external_id=None)],
    "offices": [row(GH, "O-NY", name="New York", parent_id=None, location="NY", external_id=None),
                row(GH, "O-LDN", name="London", parent_id=None, location="UK", external_id=None)],
    "rejection_reasons": [
        row(GH, "r1", name="Withdrawn position", type="we_rejected", type_raw="We rejected them"),
        row(GH, "r2", name="Took another offer", type="candidate_withdrew",
            type_raw="They rejected us"),
        *(row(LV, r, name=n, type="other" if k == "hired" else None, type_raw=k)
          for r, (n, k) in LV_REASONS.items())],
    "sources": [row(GH, "src-li", name="LinkedIn", type="job_board"),
                row(GH, "src-ref", name="Employee referral", type="referral"),
                row(LV, LV_SOURCE, name="LinkedIn", type=None)],
    "job_hiring_team": [row(GH, "J1:u1:recruiter", job_id="J1", user_id="u1", role="recruiter",
                            role_raw="Recruiter")],
    "scorecards": [  # A1, B1, B2 hired; A3, A6, B3 rejected; A4, A5 withdrawn; A2 in process
        scorecard(GH, "SC1", "A1", "u1", "strong_yes"),
        scorecard(GH, "SC2", "A1", "u2", "no"),
        scorecard(GH, "SC3", "A3", "u1", "no"),
        scorecard(GH, "SC4", "A5", "u1", "strong_no"),
        scorecard(GH, "SC5", "A6", "u2", "strong_no"),
        scorecard(GH, "SC6", "A2", "u2", "yes"),
        scorecard(GH, "SC7", "A4", "u1", "yes"),
        scorecard(GH, "SC8", "A1", "u2", "strong_yes", sdc_deleted="2026-05-01 00:00:00"),
        scorecard(GH, "SC9", "A1", None, "yes"),
        scorecard(KB, "SC10", "B1", "u9", "yes"),
        scorecard(KB, "SC11", "B3", "u9", "no_decision"),
        scorecard(KB, "SC12", "B2", "u9", "other"),
    ],
}

# Changes between two builds: a sighting, a new application, a deleted application, a deleted
# stage row, a new ATZ visit.
CHANGES: dict[str, list[dict[str, Any]]] = {
    "applications": [application(GH, "A11", "J1", "s1", "active"),
                     application(KB, "B1", "K1", "k4", "active")],
    "application_stages": [*sightings("B1", [("k4", "2026-02-22 08:00:00")]),
                           *path(GH, "A11", "J1", ["s1"], "native"),
                           *path(ATZ, "c3:job-a", "job-a", ["t1", "t8", "t1", "t2", "t3"],
                                 "derived")[3:]],
}
DELETES = [("applications", "A2"), ("application_stages", "A4-v1")]


def literal(value: Any, engine: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        if engine == "duckdb":  # target-duckdb stores arrays as JSON text
            return literal(json.dumps(value), engine)
        return "array[" + ", ".join(literal(v, engine) for v in value) + "]::text[]"
    return "'" + str(value).replace("'", "''") + "'"


def insert_sql(schema: str, rows: dict[str, list[dict[str, Any]]], engine: str) -> str:
    """Upserts as a loader does them: each row replaces the one with its key."""
    out = []
    for table, values in rows.items():
        for r in values:
            cols = ", ".join(f'"{c}"' for c in r)
            out.append(f"delete from {schema}.{table} where provider = '{r['provider']}' "
                       f"and account_id = '{r['account_id']}' and id = '{r['id']}';")
            out.append(f"insert into {schema}.{table} ({cols}) values "
                       f"({', '.join(literal(v, engine) for v in r.values())});")
    return "\n".join(out)


def fixture_sql(schema: str, engine: str) -> str:
    ddl = [f"create schema {schema};"]
    for table, columns in COLUMNS.items():
        columns = columns.format(list="varchar" if engine == "duckdb" else "text[]")
        ddl.append(f"create table {schema}.{table} ({COMMON}, {columns});")
    return "\n".join(ddl) + "\n" + insert_sql(schema, FIXTURES, engine)


def changes_sql(schema: str, engine: str) -> str:
    changed = {t: [{**r, "_sdc_extracted_at": RELOADED} for r in rows]
               for t, rows in CHANGES.items()}
    deletes = [f"update {schema}.{t} set _sdc_deleted_at = '{RELOADED}', "
               f"_sdc_extracted_at = '{RELOADED}' where id = '{i}';" for t, i in DELETES]
    return insert_sql(schema, changed, engine) + "\n" + "\n".join(deletes)


class Engine:
    """One warehouse holding the fixtures, and dbt on the integration project over it."""

    def __init__(self, name: str, tmp: Path) -> None:
        self.name, self.tmp = name, tmp
        self.schema = f"fixtures_{uuid.uuid4().hex[:8]}"
        self.models = f"{self.schema}_models"
        self.path = tmp / "warehouse.duckdb"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_ATS_")}
        if name == "postgres":
            env = postgres_env(env, POSTGRES, self.schema, self.models)
            env["PGTZ"] = "America/New_York"
        else:
            env.update(DBT_DUCKDB_PATH=str(self.path), DBT_DUCKDB_SCHEMA=self.models,
                       TZ="America/New_York")
        utility = f"DBT_{name.upper()}"  # Meltano reads <utility>_<setting>
        self.env = {**env,
                    f"{utility}_PROJECT_DIR": str(PROJECT),
                    f"{utility}_PROFILES_DIR": str(ROOT / "transform" / "profiles" / name),
                    "DBT_TARGET_PATH": str(tmp / "target"), "DBT_LOG_PATH": str(tmp / "logs"),
                    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def execute(self, sql: str) -> None:
        if self.name == "duckdb":
            with duckdb.connect(str(self.path)) as con:
                con.execute(sql)
        else:
            subprocess.run(["psql", POSTGRES, "-q", "-v", "ON_ERROR_STOP=1"], input=sql,
                           capture_output=True, text=True, check=True)

    def query(self, sql: str) -> list[tuple]:
        """Rows as tuples of text (None for null), whatever the engine's types."""
        if self.name == "duckdb":
            with duckdb.connect(str(self.path), read_only=True) as con:
                rows = con.execute(sql).fetchall()
            return [tuple(None if v is None else str(v) for v in r) for r in rows]
        out = subprocess.run(["psql", POSTGRES, "-At", "-F", "\t", "-P", "null=\\N", "-c", sql],
                             capture_output=True, text=True, check=True).stdout
        return [tuple(None if v == "\\N" else v for v in line.split("\t"))
                for line in out.splitlines()]

    def dbt(self, *args: str) -> str:
        """dbt on the integration project, reading the fixtures' schema."""
        if args[0] != "deps":
            args = (*args, "--vars", json.dumps({"tap_ats_schema": self.schema}))
        result = dbt(self.env, *args, utility=f"dbt-{self.name}")
        out = result.stdout + result.stderr
        assert result.returncode == 0, out[-4000:]
        return out


ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.skipif(
    not POSTGRES, reason="TAP_ATS_TEST_POSTGRES not set (see .ci/run)"))]


@pytest.fixture(scope="module", params=ENGINES)
def built(request, tmp_path_factory) -> Iterator[Engine]:
    """The fixtures loaded and the package built over them by the integration project."""
    engine = Engine(request.param, tmp_path_factory.mktemp(request.param))
    engine.execute(fixture_sql(engine.schema, engine.name))
    engine.dbt("deps")
    out = engine.dbt("build")
    assert "ERROR=0" in out and "WARN=0" in out, out[-3000:]
    yield engine
    if engine.name == "postgres":
        engine.execute(f"drop schema {engine.schema} cascade; drop schema {engine.models} cascade;")


def test_deleted_rows_are_in_no_model(built):
    m = built.models
    apps = {r[0] for r in built.query(f"select application_id from {m}.ats__applications_enhanced")}
    assert apps == {"A1", "A2", "A3", "A4", "A5", "A6", "A9", "A10", "A12", "B1", "B2", "B3",
                    "C1", "C2", "C3", "C4", "E1", "E2", "E3", "F1", "F2", "F3", "F4",
                    "c1:job-a", "c2:job-a", "c3:job-a", "c5:job-a", "d1:job-b"}  # not A7, A8
    visited = {r[0] for r in built.query(f"select application_id from {m}.ats__stage_visits")}
    assert visited == apps
    assert built.query(f"select stage_id from {m}.ats__stage_visits "
                       "where application_id = 'A9' order by visit_number") == [("s1",), ("s2",)]
    assert {r[0] for r in built.query(f"select job_id from {m}.ats__jobs_enhanced")} == {
        "J1", "J2", "K1", "L1", "M1", "Y1", "job-a", "job-b"}  # not J9
    panel = built.query(f"select interview_id, interviewer_id, interviewer_name "
                        f"from {m}.ats__interviews_enhanced order by 1, 2")
    assert panel == [("I1", "u1", "Ada"), ("I1", "u2", "Grace"), ("I2", "u1", "Ada"),
                     ("I2", "u3", None), ("I3", "u1", "Ada"), ("I4", "u2", "Grace"),
                     ("I5", "u2", "Grace"), ("I7", "u2", "Grace")]  # not I6; u3 deleted
    for model in ("ats__funnel", "ats__jobs_enhanced"):
        assert built.query(f"select count(*) from {m}.{model} where job_id = 'J9'") == [("0",)]


def test_stage_visits(built):
    rows = built.query(f"select application_id, stage_id, entered_at, exited_at, days_in_stage, "
                       f"case when is_current then 1 else 0 end, entry_source from {built.models}."
                       "ats__stage_visits where provider in ('kombo', 'merge') "
                       "order by 1, visit_number")
    assert [(a, s, e[:16], x and x[:16], d and float(d), int(c), src)
            for a, s, e, x, d, c, src in rows] == [  # sightings folded into visits
        # First seen in the first stage: entered when it applied (1 Jan 09:00), a full visit.
        ("B1", "k1", "2026-01-01 09:00", "2026-02-15 08:00", 44.96, 0, "applied_at"),
        ("B1", "k3", "2026-02-15 08:00", None, None, 1, "stage_change"),
        ("B2", "k1", "2026-01-01 09:00", "2026-02-08 08:00", 37.96, 0, "applied_at"),
        ("B2", "k4", "2026-02-08 08:00", None, None, 1, "stage_change"),
        # First seen in a later stage: when it entered is unknown, so it has no duration.
        ("B3", "k2", "2026-02-01 08:00", None, None, 1, "first_seen"),
        ("C1", "m1", "2026-01-01 09:00", "2026-02-08 08:00", 37.96, 0, "applied_at"),
        ("C1", "m4", "2026-02-08 08:00", None, None, 1, "stage_change"),
        ("C2", "m3", "2026-02-01 08:00", "2026-02-08 08:00", None, 0, "first_seen"),
        ("C2", "m4", "2026-02-08 08:00", None, None, 1, "stage_change"),
        ("C3", "m2", "2026-02-01 08:00", None, None, 1, "first_seen"),
        ("C4", "m4", "2026-02-01 08:00", None, None, 1, "first_seen"),
    ]
    sources = built.query(f"select distinct provider, entry_source from {built.models}."
                          "ats__stage_visits where provider in ('greenhouse', 'atzcrm', 'lever')")
    assert sorted(sources) == [("atzcrm", "history"), ("greenhouse", "history"),
                               ("lever", "history")]
    paths = {}
    for app, stage in built.query(f"select application_id, stage_id from {built.models}."
                                  "ats__stage_visits order by application_id, visit_number"):
        paths.setdefault(app, []).append(stage)
    assert paths == {
        "A1": ["s1", "s2", "s3", "s4"], "A2": ["s1", "s3"], "A3": ["s1"], "A4": ["s1", "s2"],
        "A5": ["s1", "s2", "s3"], "A6": ["s1", "s2", "s3", "s4"], "A9": ["s1", "s2"],
        "A10": ["s1", "s3", "s2"], "A12": ["j2s1"], "B1": ["k1", "k3"], "B2": ["k1", "k4"],
        "B3": ["k2"], "C1": ["m1", "m4"], "C2": ["m3", "m4"], "C3": ["m2"], "C4": ["m4"],
        "E1": ["y1", "y4"], "E2": ["y2", "y3"], "E3": ["y2"],
        "F1": ["l1", "l2", "l3", "l4"], "F2": ["l1", "l2", "l3"], "F3": ["l1", "l2"],
        "F4": ["l1", "l3", "l4"],
        "d1:job-b": ["t1", "t2"],
        "c1:job-a": ["t1", "t2", "t8"], "c2:job-a": ["t1", "t2", "t3", "t9"],
        "c3:job-a": ["t1", "t8", "t1", "t2"], "c5:job-a": ["t1", "t7"]}


def test_funnel(built):
    rows = built.query(
        f"select job_id, stage_id, stage_order, applications_reached, applications_moved_on, "
        f"applications_rejected, applications_withdrawn, conversion_rate "
        f"from {built.models}.ats__funnel order by job_id, stage_order")
    got = [(j, s, int(o), int(r), int(m), int(x), int(w), c and round(float(c), 4))
           for j, s, o, r, m, x, w, c in rows]
    assert got == [
        # job, stage, order, reached, moved on, rejected, withdrawn, conversion
        # A1 hired; A2 s1,s3 (skipped s2); A3..A6 out at s1, s2 (withdrew: the reason's type),
        # s3 (withdrew: the reason's name), s4 (rejected: the type, whatever the name); A9 at s2
        # (its s4 row deleted); A10 back from s3 to s2.
        ("J1", "s1", 0, 8, 7, 1, 0, 0.875),
        ("J1", "s2", 1, 7, 5, 0, 1, 0.7143),
        ("J1", "s3", 2, 5, 2, 0, 1, 0.4),
        ("J1", "s4", 3, 2, 1, 1, 0, 0.5),  # the hire moved on from the last stage
        ("J2", "j2s1", 0, 1, 0, 0, 0, 0.0),
        # B1 seen at k1 then k3 (k2 never observed); B2 hired from k4; B3 first seen at k2 and
        # rejected there.
        ("K1", "k1", 0, 3, 3, 0, 0, 1.0),
        ("K1", "k2", 1, 3, 2, 1, 0, 0.6667),
        ("K1", "k3", 2, 2, 1, 0, 0, 0.5),
        ("K1", "k4", 3, 1, 1, 0, 0, 1.0),
        # Lever's account-wide stages are L1's plan. F1 hired moved on from all four; F2
        # rejected at l3; F3 withdrew at l2; F4 reached l4, so l2 (skipped) too, and sits there.
        ("L1", "l1", 0, 4, 4, 0, 0, 1.0),
        ("L1", "l2", 1, 4, 3, 0, 1, 0.75),
        ("L1", "l3", 2, 3, 2, 1, 0, 0.6667),
        ("L1", "l4", 3, 2, 1, 0, 0, 0.5),
        # C1 hired (its signed offer) from m4; C2 and C4 rejected there (C4's signed offer is no
        # hire: the application was rejected); C3 at m2.
        ("M1", "m1", 0, 4, 4, 0, 0, 1.0),
        ("M1", "m2", 1, 4, 3, 0, 0, 0.75),
        ("M1", "m3", 2, 3, 3, 0, 0, 1.0),
        ("M1", "m4", 3, 3, 1, 2, 0, 0.3333),
        # Ashby: E1 seen at y1, then hired from y4; E2 at y2 then y3, archived there; E3 at y2.
        ("Y1", "y1", 0, 3, 3, 0, 0, 1.0),
        ("Y1", "y2", 1, 3, 2, 0, 0, 0.6667),
        ("Y1", "y3", 2, 2, 1, 1, 0, 0.5),
        ("Y1", "y4", 3, 1, 1, 0, 0, 1.0),
        # c1 Rejected after t2; c2 Placed after t3; c3 Rejected at t1, reopened, now at t2; c5
        # Withdrawn at t1. Rejected, Withdrawn and Placed are no steps.
        ("job-a", "t1", 0, 4, 3, 0, 1, 0.75),
        ("job-a", "t2", 1, 3, 1, 1, 0, 0.3333),
        ("job-a", "t3", 2, 1, 1, 0, 0, 1.0),
        ("job-b", "t1", 0, 1, 1, 0, 0, 1.0),
        ("job-b", "t2", 1, 1, 0, 0, 0, 0.0),
    ]


def test_outcomes(built):
    rows = built.query(f"select application_id, outcome from {built.models}."
                       "ats__applications_enhanced where outcome is not null order by 1")
    assert rows == [("A1", "hired"), ("A3", "rejected"), ("A4", "withdrawn"), ("A5", "withdrawn"),
                    ("A6", "rejected"), ("B2", "hired"), ("B3", "rejected"), ("C1", "hired"),
                    ("C2", "rejected"), ("C4", "rejected"), ("E1", "hired"), ("E2", "rejected"),
                    ("F1", "hired"), ("F2", "rejected"), ("F3", "withdrawn"),
                    ("c1:job-a", "rejected"), ("c2:job-a", "hired"), ("c5:job-a", "withdrawn")]


def test_rejection_reasons(built):
    rows = built.query(f"select application_id, outcome, rejection_reason, rejection_reason_type "
                       f"from {built.models}.ats__applications_enhanced "
                       "where outcome is not null order by 1")
    assert rows == [
        # Hires have no rejection reason: F1 is archived with Lever's "Hired" (type_raw hired,
        # typed other), which is its hire signal, not a rejection.
        ("A1", "hired", None, None),
        ("A3", "rejected", "Not a fit", None),  # the ATS's text, no reason row
        ("A4", "withdrawn", "Took another offer", "candidate_withdrew"),  # the name from r2
        ("A5", "withdrawn", "Withdrew", None),
        ("A6", "rejected", "Withdrawn position", "we_rejected"),  # r1's type
        ("B2", "hired", None, None), ("B3", "rejected", "Not a fit", None),
        ("C1", "hired", None, None), ("C2", "rejected", None, None),
        ("C4", "rejected", None, None),
        ("E1", "hired", None, None), ("E2", "rejected", "Not a fit", None),
        ("F1", "hired", None, None),
        # Lever's non-hired reasons: the tap's text, no type (Lever does not say who ended it).
        ("F2", "rejected", "Lacks experience", None), ("F3", "withdrawn", "Withdrew", None),
        ("c1:job-a", "rejected", None, None), ("c2:job-a", "hired", None, None),
        ("c5:job-a", "withdrawn", None, None),
    ]
    # F1 still names its archive reason by id: it is the hire signal (int_ats__hires).
    assert built.query(f"select rejection_reason_id from {built.models}."
                       "ats__applications_enhanced where application_id = 'F1'") == [
        ("ar-hired",)]


def test_job_stages(built):
    m = built.models
    rows = built.query(f"select job_id, stages from {m}.ats__jobs_enhanced order by 1")
    assert [(j, int(n)) for j, n in rows] == [
        ("J1", 4), ("J2", 1), ("K1", 4),  # their own plans: s1..s4, j2s1, k1..k4
        ("L1", 4),  # Lever's account-wide pipeline l1..l4 (job_id null) is every posting's plan
        ("M1", 4), ("Y1", 4),
        # ATZ CRM's talent stages belong to the account: t1, t2, t3; Withdrawn t7, Rejected t8
        # and Placed t9 are outcomes, not steps (no funnel row either).
        ("job-a", 3),
        ("job-b", 2),  # the second account's t1, t2
    ]
    # Every stage visited here is planned: the jobs' stages are their funnels' rows.
    steps = built.query(f"select job_id, count(*) from {m}.ats__funnel group by 1 order by 1")
    assert rows == steps


def test_interviewer_load(built):
    rows = built.query(f"select interviewer_id, interviewer_name, "
                       f"cast(week_start as varchar(10)), iso_year, iso_week, "
                       f"interviews_completed, hours_completed, interviews_upcoming "
                       f"from {built.models}.ats__interviewer_load order by 1, 3")
    got = [(i, name, w, int(y), int(k), int(n), float(h), int(u))
           for i, name, w, y, k, n, h, u in rows]
    assert got == [
        # I1 starts Sunday 23:30 in New York, Monday 04:30 UTC; I2 in Paris; I3 awaits feedback.
        ("u1", "Ada", "2026-03-02", 2026, 10, 2, 2.5, 0),
        # I1 and I7 (Monday 08:00 in Tokyo, Sunday 23:00 UTC); I5 canceled; I6 deleted.
        ("u2", "Grace", "2026-03-02", 2026, 10, 2, 2.0, 0),
        ("u2", "Grace", "2099-01-05", 2099, 2, 0, 0.0, 1),  # I4, still to come
        ("u3", None, "2026-03-02", 2026, 10, 1, 1.5, 0),  # sat I2; the user row is deleted
    ]


def numbers(rows: list[tuple], text: int) -> list[tuple]:
    """Rows with their first ``text`` columns as text and the rest as numbers (None kept)."""
    return [(*r[:text], *(None if v is None else round(float(v), 4) for v in r[text:]))
            for r in rows]


def test_offers_enhanced(built):
    rows = built.query(
        f"select offer_id, application_id, job_name, department_names, office_names, "
        f"case when is_latest_version then 1 else 0 end, days_to_offer, days_to_resolve "
        f"from {built.models}.ats__offers_enhanced order by 1")
    assert numbers(rows, 5) == [  # O6 is deleted; O4 is a draft created on 25 Jan
        ("O1", "A1", "Engineer", "Engineering", "London, New York", 0, 9.0, None),
        ("O10", "C4", "Writer", None, None, 1, 39.0, 1.0),
        ("O11", "E1", "Editor", None, None, 1, 40.0, 2.0),
        # Lever's (no version: each the latest): F1's sent 9 Jan, 8 days after applying, signed
        # 4 days later; F4's opened (sent) 15 Jan, unanswered.
        ("O12", "F1", "Translator", None, None, 1, 8.0, 4.0),
        ("O13", "F4", "Translator", None, None, 1, 14.0, None),
        ("O2", "A1", "Engineer", "Engineering", "London, New York", 1, 11.0, 3.0),
        ("O3", "A6", "Engineer", "Engineering", "London, New York", 1, 19.0, 2.0),
        ("O4", "A2", "Engineer", "Engineering", "London, New York", 1, 24.0, None),
        ("O5", "A9", "Engineer", "Engineering", "London, New York", 1, 30.0, None),
        ("O7", "B1", "Designer", "Design", None, 1, 46.0, 2.0),
        ("O8", "C1", "Writer", None, None, 1, 40.0, 2.0),
        ("O9", "C2", "Writer", None, None, 1, 41.0, 2.0),
    ]


def test_offer_acceptance(built):
    rows = built.query(
        f"select group_type, group_id, group_name, offers_extended, offers_accepted, "
        f"offers_declined, offers_pending, acceptance_rate, median_days_to_offer "
        f"from {built.models}.ats__offer_acceptance order by 1, 2")
    # Latest offers out: A1 accepted (first sent on day 9), A6 declined (19), A9 sent (30; its
    # accepted v2 is deleted), B1 accepted (46); A2's draft never went out. J2 made no offer.
    j1 = (3, 1, 1, 1, 0.5, 19.0)
    k1 = (1, 1, 0, 0, 1.0, 46.0)
    assert numbers(rows, 3) == [
        ("department", "D1", "Engineering", *j1), ("department", "KD", "Design", *k1),
        ("job", "J1", "Engineer", *j1), ("job", "K1", "Designer", *k1),
        # Lever: F1's signed, F4's opened (pending); offers out on days 8 and 14.
        ("job", "L1", "Translator", 2, 1, 0, 1, 1.0, 11.0),
        # Merge: C1's and C4's signed offers and C2's denied one all count as answered offers.
        ("job", "M1", "Writer", 3, 2, 1, 0, 0.6667, 40.0),
        # Ashby: E1's offer, accepted; made (its version created) 40 days after applying.
        ("job", "Y1", "Editor", 1, 1, 0, 0, 1.0, 40.0),
        ("office", "O-LDN", "London", *j1), ("office", "O-NY", "New York", *j1),
    ]


def test_time_to_hire(built):
    rows = built.query(
        f"select group_type, group_id, hire_signal, applications, applications_offered, hires, "
        f"hires_dated_by_offer, median_days_to_offer, median_days_to_hire, average_days_to_hire "
        f"from {built.models}.ats__time_to_hire order by 1, 2")
    # A1 hired by the offer accepted on 15 Jan (14 days); B1's offer was accepted on 18 Feb but
    # Kombo's outcome says it is still in process: no hire; B2 hired without an offer, dated by
    # the start of its last stage, 8 Feb 08:00 (37.96 days); C1 hired by its offer signed on
    # 12 Feb (42 days); c2 Placed, from t9 entered 5 Jan 10:00 (4.04 days). job-b's account
    # shows no hire at all: its hires are unknown (null), not 0.
    status = "application_status"
    j1 = (status, 8, 3, 1, 1, 19.0, 14.0, 14.0)
    d1 = (status, 9, 3, 1, 1, 19.0, 14.0, 14.0)  # J1 and J2 (A12)
    k1 = (status, 3, 1, 1, 0, 46.0, 37.96, 37.96)
    assert numbers(rows, 3) == [
        ("department", "D1", *d1), ("department", "KD", *k1),
        ("job", "J1", *j1), ("job", "J2", status, 1, 0, 0, 0, None, None, None),
        ("job", "K1", *k1),
        # Lever: F1 hired by its Hired archive reason, dated by its offer signed on 13 Jan
        # (12 days); F4's offer is out (offers on days 8 and 14), F2 and F3 archived.
        ("job", "L1", "archive_reason", 4, 2, 1, 1, 11.0, 12.0, 12.0),
        ("job", "M1", "signed_offer", 4, 3, 1, 1, 40.0, 42.0, 42.0),
        # Ashby: E1 Hired by its status, dated by its offer accepted on 12 Feb (42 days).
        ("job", "Y1", status, 3, 1, 1, 1, 40.0, 42.0, 42.0),
        ("job", "job-a", status, 4, 0, 1, 0, None, 4.04, 4.04),
        ("job", "job-b", None, 1, 0, None, 0, None, None, None),
        ("office", "O-LDN", *j1), ("office", "O-NY", *d1),
    ]


def test_source_effectiveness(built):
    rows = built.query(
        f"select provider, account_id, source_id, source_name, source_type, hire_signal, "
        f"applications, applications_interviewed, applications_offered, hires, interview_rate, "
        f"offer_rate, hire_rate from {built.models}.ats__source_effectiveness order by 1, 2, 3")
    status = "application_status"
    assert numbers(rows, 6) == [
        # Ashby: E1 offered and hired of three, none interviewed.
        ("ashby", "ab", None, "LinkedIn", None, status, 3, 0, 1, 1, 0.0, 0.3333, 0.3333),
        ("atzcrm", "atz", None, "LinkedIn", None, status, 4, 0, 0, 1, 0.0, 0.0, 0.25),
        # No hire signal on this account: hires and hire rate unknown, not 0.
        ("atzcrm", "atz2", None, "LinkedIn", None, None, 1, 0, 0, None, 0.0, 0.0, None),
        # Greenhouse names sources by id; A3 came by referral. A1 and A2 were interviewed (I5
        # canceled, I6 deleted), A1, A6, A9 offered (A2's draft never went out), A1 hired.
        ("greenhouse", "gh", "src-li", "LinkedIn", "job_board", status, 8, 2, 3, 1, 0.25, 0.375,
         0.125),
        ("greenhouse", "gh", "src-ref", "Employee referral", "referral", status, 1, 0, 0, 0, 0.0,
         0.0, 0.0),
        # Kombo by the applications' text: B2 hired by its outcome (B1's accepted offer is not
        # Kombo's hire signal).
        ("kombo", "kb", None, "LinkedIn", None, status, 3, 0, 1, 1, 0.0, 0.3333, 0.3333),
        # Lever names sources by the hash of their text: F1 and F4 offered, F1 hired, of four.
        ("lever", "lv", LV_SOURCE, "LinkedIn", None, "archive_reason", 4, 0, 2, 1, 0.0, 0.5,
         0.25),
        # Merge: C1 hired by its signed offer; C4's signed offer is no hire (rejected).
        ("merge", "mg", None, "LinkedIn", None, "signed_offer", 4, 0, 3, 1, 0.0, 0.75, 0.25),
    ]


def test_interviewer_calibration(built):
    rows = built.query(
        f"select interviewer_id, interviewer_name, scorecards, strong_yes, yes, no, strong_no, "
        f"no_decision, other_recommendation, scorecards_on_hired, positive_on_hired, "
        f"scorecards_on_rejected, negative_on_rejected, hired_agreement_rate, "
        f"rejected_agreement_rate, agreement_rate "
        f"from {built.models}.ats__interviewer_calibration order by 1")
    assert numbers(rows, 2) == [
        # u1: strong_yes on hired A1, no on rejected A3; A5, A4 withdrew: neither.
        ("u1", "Ada", 4, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1.0, 1.0, 1.0),
        # u2: no on hired A1, strong_no on rejected A6, yes on A2 in process; SC8 deleted.
        ("u2", "Grace", 3, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0.0, 1.0, 0.5),
        # u9 (Kombo, no users): yes on B1 (in process: its accepted offer is no Kombo hire),
        # other on hired B2, no_decision on rejected B3.
        ("u9", None, 3, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0.0, 0.0, 0.0),
    ]


def test_pass_through(built):
    rows = built.query(
        f"select group_id, stage_name, stage_order, jobs, applications_reached, "
        f"applications_moved_on, applications_rejected, applications_withdrawn, "
        f"pass_through_rate from {built.models}.ats__pass_through order by 1, 3, 2")
    got = [(g, s, *(round(float(v), 4) for v in rest)) for g, s, *rest in numbers(rows, 2)]
    # J1's funnel (test_funnel), plus J2's Screen (A12 there, in D1 and New York); K1's in KD.
    engineering = [("Screen", 0, 2, 9, 7, 1, 0, 0.7778), ("Phone", 1, 1, 7, 5, 0, 1, 0.7143),
                   ("Onsite", 2, 1, 5, 2, 0, 1, 0.4), ("Offer", 3, 1, 2, 1, 1, 0, 0.5)]
    london = [("Screen", 0, 1, 8, 7, 1, 0, 0.875), *engineering[1:]]
    assert got == [
        *(("D1", *r) for r in engineering),
        ("KD", "Applied", 0, 1, 3, 3, 0, 0, 1.0), ("KD", "Screen", 1, 1, 3, 2, 1, 0, 0.6667),
        ("KD", "Interview", 2, 1, 2, 1, 0, 0, 0.5), ("KD", "Offer", 3, 1, 1, 1, 0, 0, 1.0),
        *(("O-LDN", *r) for r in london),
        *(("O-NY", *r) for r in engineering),
    ]


def test_incremental_build_equals_full_refresh(built):
    """Changes loaded after a build: the incremental build of ats__stage_visits (delete+insert by
    application) gives the rows a full refresh gives."""
    columns = ("visit_key, application_key, stage_id, visit_number, entered_at, exited_at, "
               "days_in_stage, is_current, origin, loaded_at")
    sql = f"select {columns} from {built.models}.ats__stage_visits order by visit_key"
    built.execute(changes_sql(built.schema, built.name))
    built.dbt("run", "--select", "ats__stage_visits")
    incremental = built.query(sql)
    built.dbt("run", "--select", "ats__stage_visits", "--full-refresh")
    assert incremental == built.query(sql)
    apps = {}
    for key, _, stage, *_ in incremental:
        apps.setdefault(key.split("|")[2], []).append(stage)
    assert "A2" not in apps and apps["A4"] == ["s1"] and apps["A11"] == ["s1"]
    assert apps["B1"] == ["k1", "k3", "k4"] and apps["c3:job-a"] == ["t1", "t8", "t1", "t2", "t3"]


def report_page(built) -> str:
    """``python -m report``'s page over the built marts, read as the report reads any warehouse."""
    query = duckdb_query(built.path) if built.name == "duckdb" else postgres_query(POSTGRES)
    return render(load(query, built.models))


def test_report_shows_the_marts(built):
    found = metrics(report_page(built)).found
    # One definition of a hire: Greenhouse A1 and Kombo B2 by status, Merge C1 by its signed
    # offer, ATZ CRM c2 Placed (its second account has no hire signal and adds none), Ashby E1
    # by its status, Lever F1 by its Hired archive reason.
    for provider in ("ashby", "atzcrm", "greenhouse", "kombo", "lever", "merge"):
        assert found[provider, "hires", "all"] == ("1", "1"), provider
        assert found[provider, "time_to_hire_hires", "all"] == ("1", "1"), provider
    assert found["merge", "funnel_moved_on", "Offer"] == ("1", "1")
    assert found["merge", "acceptance_rate", "all"][1] == "67%"  # 2 signed of 3 answered
    assert found["merge", "source_hire_rate", "LinkedIn"] == ("0.25", "25%")
    # Kombo's Applied: B1 and B2, first seen there, entered when they applied.
    days, text = found["kombo", "stage_median_days", "Applied"]
    assert (round(float(days), 2), text) == (41.46, "41.5")
    assert found["kombo", "stage_visits_timed", "Applied"] == ("2", "2")
    assert found["kombo", "stage_median_days", "Screen"] == ("", "-")  # none fully observed
    # Every funnel figure is ats__funnel's, the jobs' stages added up by name.
    funnel = built.query(f"select provider, stage_name, sum(applications_reached), "
                         f"sum(applications_moved_on) from {built.models}.ats__funnel "
                         "group by 1, 2")
    assert len(funnel) == 23  # four stages each, three on ATZ CRM (Placed &c. are outcomes)
    for provider, stage, reached, moved_on in funnel:
        assert found[provider, "funnel_reached", stage][0] == str(int(float(reached)))
        assert found[provider, "funnel_moved_on", stage][0] == str(int(float(moved_on)))


def test_report_renders_in_chromium(built, tmp_path):
    if built.name != "duckdb":
        pytest.skip("one engine is enough for the browser: the page is the same")
    if CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install chromium; .ci/run installs it)")
    page = tmp_path / "report.html"
    page.write_text(report_page(built), encoding="utf-8")
    dom, log = in_chromium(page, tmp_path / "report.png")
    assert console_errors(log) == [], log[-3000:]
    rendered, written = metrics(dom), metrics(page.read_text())
    assert rendered.sections == ["ashby", "atzcrm", "greenhouse", "kombo", "lever", "merge"]
    assert rendered.found == written.found and len(rendered.found) > 100
    assert (tmp_path / "report.png").stat().st_size > 20_000  # a page was painted
