"""The sandbox world's analytics entities: deterministic, consistent, and harmless to the rest.

Offers, scorecards, demographics, custom fields and the reference lists draw from their own
generator, so the core tables every other test and the benchmark rely on must stay exactly what
they were: the digests below were first taken from the code before those entities existed, and
taken again when the world moved into the present (its history now leads up to its anchor, here
FROZEN; issue "a sandbox that lives in the present").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import statistics

import pytest

from tap_ats.sandbox import world
from tap_ats.sandbox.world import CUSTOM_FIELDS, SPAN, STAGE_NAMES, World

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
#: (seed, size) -> (digest after generation, digest after 3 x advance(50)), the world anchored
#: at FROZEN and its changes stamped FROZEN.
DIGESTS = {
    (42, 200): ("25da3f0cdb13aa47819d150b5ec72f2b3afd535f1427247fe5d89dc27b318d1b",
                "024322783a94fdb73d21a97c000f223886c19f1270f4fe08e32d56aeedbfe130"),
    (42, 5000): ("a90fc7c8ea994d96cb663ee5ea9389994587bbc2d21e7d1d6fa8b6fa1777024c",
                 "92e796cf855ab507a63b2141346e6dc3f102f5fce10683473f4f3c392e3c88e8"),
    (7, 1000): ("6fafbbb7ba63f8a9658c3b0b43504498042c6e955283458a6b72f229d5b7c22f",
                "7ffa428c9a179d1e78a0e96e40f86d8cf03072160d825c748db60f2936a41a7e"),
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


def stamps(w: World) -> list[dt.datetime]:
    """Every time a generated record carries that an API reports as a change already made."""
    out = []
    for table in (w.jobs, w.stages, w.candidates, w.applications, w.visits, w.interviews,
                  w.panel, w.people, w.offers, w.scorecards, w.demographics):
        for r in table:
            out += [getattr(r, f) for f in ("created_at", "updated_at", "entered_at",
                                            "exited_at", "sent_at", "resolved_at",
                                            "submitted_at", "rejected_at", "opened_at",
                                            "closed_at") if getattr(r, f, None) is not None]
    out += [i.end_at for i in w.interviews if i.status == "complete"]
    return out


def test_history_leads_up_to_the_anchor_and_looks_like_recruiting() -> None:
    """Nothing is stamped after the anchor (a sync at the anchor sees all of it); applications
    arrive over the weeks before it and stay days, not years, in a stage."""
    anchor = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC)
    w = World(21, 1000, anchor)
    times = stamps(w)
    assert max(times) <= anchor and min(times) >= anchor - SPAN
    applied = [anchor - a.created_at for a in w.applications]
    assert dt.timedelta(days=3) < min(applied) and max(applied) < SPAN
    days = [(v.exited_at - v.entered_at).total_seconds() / 86400 for v in w.visits
            if v.exited_at is not None]
    assert 0.5 < statistics.median(days) < 14 and max(days) <= 10
    assert any(i.status == "scheduled" for i in w.interviews)  # some are still to come


def test_another_anchor_gives_the_same_world_shifted() -> None:
    anchor = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    a, b = World(22, 300, anchor), World(22, 300, anchor + dt.timedelta(days=10))
    assert len(a.applications) == len(b.applications) and len(a.visits) == len(b.visits)
    assert all(y.entered_at - x.entered_at == dt.timedelta(days=10)
               for x, y in zip(a.visits, b.visits, strict=True))
    assert [x.status for x in a.applications] == [y.status for y in b.applications]
