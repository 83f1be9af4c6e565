"""ATZ CRM records rendered from the world: candidates, jobs, users, history rows, activities.

:class:`Renderer` is a mixin of :class:`~.api.AtzCrmAPI`, which names the slugs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from tap_ats.sandbox.base import iso
from tap_ats.sandbox.world import Application, Candidate, Interview, Job, Stage, Visit, World

INTERVIEW_TYPE = {"id": 5, "label": "Interview"}
CURRENCY = {"id": 2, "country": "germany", "code": "EUR", "currency": "euro", "symbol": "\u20ac"}
JOB_STATUS = {"open": (1, "In Progress"), "closed": (2, "Won"), "draft": (3, "On Hold")}
ORGANIZATIONS = ["Acme Corp", "Beta Solutions", "Globex", "Initech", "Umbrella Staffing"]
USER_NAMES = [("John", "Doe"), ("Jane", "Smith"), ("Ravi", "Patel"), ("Mia", "Wong"),
              ("Lars", "Holm")]
#: Slug starts under ``odd_slugs``. Sent raw, ``/``, ``..``, ``?``, ``#``, ``%2e%2e`` and ``%41``
#: miss the candidate (404); the space and non-ASCII ones only prove the encoding round-trips.
ODD_SLUGS = ["../job/x", "a?b=c", "50% off", "#frag", "zoë garcía", "x/y", "%2e%2e", "100%41"]
#: What the ``bad_bytes`` and ``bad_records`` faults may spoil: a candidate list page's first
#: candidate (``phone`` served as an integer) and a history's first row.


def slug(kind: str, n: int | str, odd: bool = False) -> str:
    """An ATZ-style slug (``candidate_<20 hex>``), stable per kind and number.

    ``odd`` puts one of ``ODD_SLUGS`` in front, in order from number 1 (the first five cover
    every kind: the small world has five jobs).
    """
    plain = f"{kind}_{hashlib.blake2b(f'{kind}:{n}'.encode(), digest_size=10).hexdigest()}"
    return f"{ODD_SLUGS[(int(n) - 1) % len(ODD_SLUGS)]}-{plain}" if odd else plain


def listed(values: list[str]) -> str:
    """A list as ATZ types ``tags`` and ``skill``: one string, ``[a, b]``."""
    return f"[{', '.join(values)}]"


def talent_id(stage: Stage) -> int:
    """The talent stage a job stage is: its place in the funnel every job shares."""
    return stage.order + 1


def day(t: dt.datetime) -> str:
    """The UTC date of ``t`` as ATZ prints ``stage_date``."""
    return t.astimezone(dt.UTC).date().isoformat()


def midnight(date: str) -> str:
    """A ``stage_date`` as the timestamp the tap uses for ``entered_at``/``exited_at``."""
    return f"{date}T00:00:00.000Z"




class Renderer:
    """The ATZ shape of each world record (a mixin: the API knows the slugs)."""

    #: The API's slug of a world record (odd under ``odd_slugs``).
    slug: Callable[[str, int], str]

    def _candidate(self, c: Candidate, apps: list[Application]) -> dict[str, Any]:
        updated = c.updated_at
        if c.id % 4:
            updated = max([updated, *(a.updated_at for a in apps)])
        name = self.slug("candidate", c.id)
        return {
            "id": c.id, "slug": int(name) if name.isdigit() else name,
            "first_name": c.first_name, "last_name": c.last_name,
            "full_name": f"{c.first_name} {c.last_name}", "email": c.email, "phone": c.phone,
            "resume": None, "profile_picture": None, "education_specialization": None,
            "university": None, "current_position": c.title, "current_organization": c.company,
            "last_organization": None, "willing_to_relocate": c.id % 2, "available_from": None,
            "tags": listed(c.tags), "skill": "[]", "experience": c.id % 15,
            "graduation_date": None, "created_at": iso(c.created_at), "updated_at": iso(updated),
        }

    @staticmethod
    def _organization(j: Job) -> dict[str, Any]:
        name = ORGANIZATIONS[j.id % len(ORGANIZATIONS)]
        return {"slug": slug("organization", name), "name": name}

    def _job(self, w: World, j: Job, maximize: set[str]) -> dict[str, Any]:
        owner = self._owner(w, j.id)
        return {
            "id": j.id, "slug": self.slug("job", j.id), "position_name": j.name, "headcount": 1,
            "tags": "[]", "description": f"{j.name} ({j.code})", "currency": dict(CURRENCY),
            "talent_funnel_id": 1, "contract_details_id": 1, "minimum_salary": 0,
            "maximum_salary": 0, "country": "Germany", "frequency_type": 1, "category": None,
            "qualification": None, "specialization": None, "industry": None,
            "open_date": day(j.opened_at), "close_date": day(j.closed_at) if j.closed_at else None,
            "city": "Berlin", "state": None, "address": None,
            "owner": self._user_ref(owner) if maximize & {"owner", "all"} else owner,
            "created_at": iso(j.created_at), "updated_at": iso(j.updated_at),
        }

    @staticmethod
    def _owner(w: World, job_id: int) -> int:
        """The job's owner: its recruiter, else its first hiring-team member, else the admin."""
        team = [m for m in w.hiring_team if m.job_id == job_id]
        return next((m.user_id for m in team if m.role == "recruiter"),
                    team[0].user_id if team else 1)

    def _user_ref(self, user_id: int) -> dict[str, Any]:
        """A user as ATZ expands one (``maximize``): id, slug, full name, email."""
        user = self._user(user_id)
        return {"id": user_id, "slug": self.slug("user", user_id), "full_name": user["full_name"],
                "email": user["email"]}

    def _activity(self, w: World, i: Interview, maximize: set[str]) -> dict[str, Any]:
        """One interview as an ATZ activity related to its job."""
        app = w.applications.get(i.application_id)
        cand = w.candidates.get(app.candidate_id)
        job = self.slug("job", i.job_id)
        every = "all" in maximize
        creator = (self._user_ref(i.organizer_id) if every or "created_by" in maximize
                   else i.organizer_id)
        return {
            "id": i.id, "title": i.title, "activity_type": dict(INTERVIEW_TYPE),
            "related_to": job, "related_to_type": "job",
            **({"related_record": {"slug": job}} if every or "related_record" in maximize
               else {}),
            "collaborators": [],
            "start_date": day(i.start_at), "start_time": f"{i.start_at:%H:%M}",
            "end_time": f"{i.end_at:%H:%M}",
            "attendees": {
                "candidates": [{"slug": self.slug("candidate", cand.id),
                                "full_name": f"{cand.first_name} {cand.last_name}"}],
                "contacts": [],
                "users": [{k: v for k, v in self._user_ref(u).items() if k != "slug"}
                          for u in i.interviewer_ids]},
            "meeting_link": None, "importance": "normal", "location": i.location,
            "description": None, "do_not_send_calendar_invite": False,
            "mark_as_done": i.status == "complete", "attachment": None,
            "created_by": creator,
            "updated_by": self._user_ref(i.organizer_id) if every or "updated_by" in maximize
            else i.organizer_id,
            "created_at": iso(i.created_at), "updated_at": iso(i.updated_at),
        }

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        first, last = USER_NAMES[user_id % len(USER_NAMES)]
        return {"id": user_id, "email": f"{first.lower()}.{last.lower()}.{user_id}@example.com",
                "first_name": first, "last_name": last, "full_name": f"{first} {last}",
                "role": "Admin" if user_id == 1 else "Recruiter", "phone": f"+1555{user_id:07d}"}

    def _history_row(self, w: World, a: Application, v: Visit) -> dict[str, Any]:
        job, stage = w.job(a.job_id), w.stage(v.stage_id)
        status_id, status_name = JOB_STATUS[job.status]
        return {
            "job_slug": self.slug("job", job.id), "job_name": job.name,
            "organization": self._organization(job),
            "job_status": {"id": status_id, "name": status_name},
            "talent_stage": {"id": talent_id(stage), "name": stage.name},
            "stage_date": day(v.entered_at), "visibility": 0 if v.id % 7 == 0 else 1,
            "comment": None if v.id % 3 else f"Moved to {stage.name}",
            "updated_by": self._user(v.updated_by), "updated_at": iso(v.entered_at),
        }
