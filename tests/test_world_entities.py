"""The sandbox world's analytics entities: deterministic, consistent, and harmless to the rest.

Offers, scorecards, demographics, custom fields and the reference lists draw from their own
generator, so the core tables every other test and the benchmark rely on must stay exactly what
they were before these entities existed: the digests below were taken from the code before them.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from tap_ats.sandbox import world
from tap_ats.sandbox.world import CUSTOM_FIELDS, STAGE_NAMES, World

#: The core tables' own fields, as they were before the new entities were added.
CORE_FIELDS = {
    "jobs": ["id", "name", "code", "status", "opened_at", "closed_at", "created_at", "updated_at",
             "stages", "deleted_at"],
    "stages": ["id", "job_id", "name", "order", "active", "created_at", "updated_at"],
    "candidates": ["id", "first_name", "last_name", "email", "phone", "company", "title", "tags",
                   "created_at", "updated_at", "deleted_at"],
    "applications": ["id", "candidate_id", "job_id", "status", "source", "created_at",
                     "updated_at", "visits", "rejected_at", "rejection_reason", "deleted_at"],
    "visits": ["id", "application_id", "stage_id", "entered_at", "exited_at", "updated_at",
               "created_at", "updated_by"],
    "interviews": ["id", "application_id", "job_id", "stage_id", "title", "status", "start_at",
                   "end_at", "location", "organizer_id", "interviewer_ids", "created_at",
                   "updated_at", "deleted_at"],
    "panel": ["id", "interview_id", "user_id", "created_at", "updated_at"],
    "people": ["id", "first_name", "last_name", "email", "active", "created_at", "updated_at"],
}
#: (seed, size) -> (digest after generation, digest after 3 x advance(50) at FROZEN), both
#: computed from the code before the analytics entities existed.
DIGESTS = {
    (42, 200): ("1bc02ca0000c49d55fbfc71b8e36c9b44cc6d9aeda054362a4a1dd342cb3af81",
                "abf5585b08e8c0b99da28d005a0d6fd699efd87b7905fd821bb7c9a32a5ae870"),
    (42, 5000): ("63bf642393b5fe633160ce65793329addcb196df4eb446a035a3d7673b90e13c",
                 "b6dbafbea2338ebdc09cb8ad91ef077941ae4c95afd0950d14676c2c399e7561"),
    (7, 1000): ("d445263e34e2afc6daec24976416b39420fb661884fb04ed83792e16b1f6cf0c",
                "c8d448f0bb7a9352c9372f8fe689ffec96b3938c1c187f891c726f04cd04bca2"),
}
FROZEN = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
NEW_TABLES = ["departments", "offices", "sources", "rejection_reasons", "hiring_team", "offers",
              "scorecards", "demographics", "custom_field_definitions"]


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stamp advance()'s changes with one fixed time, so two runs can be compared."""
    monkeypatch.setattr(world, "now", lambda: FROZEN)


def core_digest(w: World) -> str:
    """The core tables and the core generator's state, hashed."""
    h = hashlib.sha256()
    for table, fields in CORE_FIELDS.items():
        h.update(repr([tuple(getattr(r, f) for f in fields) for r in getattr(w, table)]).encode())
    h.update(repr(w.rng.getstate()).encode())
    return h.hexdigest()


def entities(w: World) -> str:
    """Everything the analytics entities add, as text."""
    return repr([getattr(w, t) for t in NEW_TABLES]
                + [(j.department_id, j.office_ids, j.custom_fields) for j in w.jobs]
                + [(a.source_id, a.rejection_reason_id, a.custom_fields) for a in w.applications]
                + [c.custom_fields for c in w.candidates])


@pytest.mark.parametrize(("seed", "size"), list(DIGESTS))
@pytest.mark.usefixtures("frozen")
def test_core_tables_unchanged(seed: int, size: int) -> None:
    w = World(seed, size)
    assert core_digest(w) == DIGESTS[seed, size][0]
    for _ in range(3):
        w.advance(50)
    assert core_digest(w) == DIGESTS[seed, size][1]


@pytest.mark.usefixtures("frozen")
def test_same_seed_same_entities() -> None:
    a, b = World(3, 600), World(3, 600)
    assert entities(a) == entities(b)
    a.advance(80)
    b.advance(80)
    assert entities(a) == entities(b)
    assert entities(World(4, 600)) != entities(a)


def check(w: World) -> None:
    """Every consistency rule the providers' renderings rely on."""
    for name in NEW_TABLES:
        ids = [r.id for r in getattr(w, name)]
        assert ids == sorted(set(ids)), name
    last = len(STAGE_NAMES) - 1
    fields = {(d.object_type, d.key): d for d in w.custom_field_definitions}
    panel = {(p.interview_id, p.user_id) for p in w.panel}

    def custom_ok(object_type: str, values: dict) -> None:
        for key, value in values.items():
            d = fields[object_type, key]
            assert d.active
            assert d.field_type != "single_select" or value in d.options

    for job in w.jobs:
        assert w.departments.get(job.department_id) is not None
        assert job.office_ids and all(w.offices.get(o).location for o in job.office_ids)
        custom_ok("job", job.custom_fields)
    for member in w.hiring_team:
        assert member.role in ("hiring_manager", "recruiter", "coordinator", "sourcer")
        assert w.job(member.job_id) is not None and w.user(member.user_id) is not None
    for cand in w.candidates:
        custom_ok("candidate", cand.custom_fields)
    for app in w.applications:
        assert w.sources.get(app.source_id).name == app.source
        if app.rejection_reason is None:
            assert app.rejection_reason_id is None
        else:
            assert w.rejection_reasons.get(app.rejection_reason_id).name == app.rejection_reason
        custom_ok("application", app.custom_fields)
        reached = w.stage(app.current.stage_id).order == last
        assert bool(app.offers) == reached
        if app.status == "hired":
            assert app.offers[-1].status == "accepted"
        elif app.offers:
            expected = {"active": {"draft", "sent"}, "rejected": {"declined", "deprecated"}}
            assert app.offers[-1].status in expected[app.status]
        assert [o.version for o in app.offers] == list(range(1, len(app.offers) + 1))
        assert all(o.status == "deprecated" for o in app.offers[:-1])
    for offer in w.offers:
        app = w.applications.get(offer.application_id)
        assert offer in app.offers
        assert (offer.candidate_id, offer.job_id) == (app.candidate_id, app.job_id)
        assert any(w.stage(v.stage_id).order == last for v in app.visits)
        assert (offer.resolved_at is not None) == (offer.status in ("accepted", "declined"))
        assert offer.status == "draft" or offer.sent_at is not None or offer.status == "deprecated"
        assert (offer.deleted_at is None) == (app.deleted_at is None)
        custom_ok("offer", offer.custom_fields)
    for card in w.scorecards:
        interview = w.interviews.get(card.interview_id)
        assert interview.status == "complete"
        assert (card.interview_id, card.interviewer_id) in panel
        assert card.submitted_at > interview.end_at
        assert card.application_id == interview.application_id
        assert 2 <= len(card.ratings) <= 4
        app = w.applications.get(card.application_id)
        assert (card.deleted_at is None) == (app.deleted_at is None)
    for answer in w.demographics:
        app = w.applications.get(answer.application_id)
        assert answer.candidate_id == app.candidate_id
        assert (answer.deleted_at is None) == (app.deleted_at is None)


def test_generated_world_is_consistent() -> None:
    w = World(11, 2000)
    check(w)
    statuses = {o.status for o in w.offers}
    assert statuses == {"draft", "sent", "accepted", "declined", "deprecated"}
    assert any(o.version > 1 for o in w.offers)
    assert 0.5 < len(w.demographics) / len(w.applications) < 0.7
    complete = sum(len(i.interviewer_ids) for i in w.interviews if i.status == "complete")
    assert 0 < len(w.scorecards) < complete  # some interviewers never submit
    assert len(w.custom_field_definitions) == len(CUSTOM_FIELDS)
    assert {d.field_type for d in w.custom_field_definitions} == {
        "short_text", "single_select", "number", "date", "boolean"}


def test_advance_keeps_entities_consistent() -> None:
    w = World(12, 800)
    offers = len(w.offers)
    done: dict[str, int] = {}
    for _ in range(5):
        for kind, n in w.advance(60).items():
            done[kind] = done.get(kind, 0) + n
        check(w)
    assert done["hire"] and done["reject"] and done["delete"] and done["new"]
    assert len(w.offers) > offers
