"""Greenhouse's requests, pinned per path: each list read once per run, lookups whole.

The expected count of each path comes from the sandbox's tables and the API's page sizes: a
stream's list in pages of the configured size, a lookup's (and a list that is lookup and stream
at once) in pages of 500, the rating rows whole on a first sync and by 50 scorecard ids after.
A second read of any list, or a lookup read per batch of ids, changes a count and fails.
"""

from __future__ import annotations

import math
from collections import Counter
from urllib.parse import parse_qs

from conftest import SandboxClient, assert_fields_match, last_state, records, run_tap

from tap_ats.sandbox.greenhouse import gid
from tap_ats.sandbox.world import Panelist, now

PAGE = 100
#: The lists each stream reads (the hiring team reads two).
STREAM_LISTS = ["applications", "application_stages", "jobs", "interviews", "candidates", "users",
                "offers", "departments", "offices", "job_hiring_managers", "job_owners",
                "scorecards", "custom_fields"]
#: Lists read whole at 500 a page: lookups, and the lookups that serve a stream as well.
WHOLE = ["job_interview_stages", "rejection_reasons", "sources", "interviewers", "job_interviews",
         "scorecard_candidate_attributes", "job_candidate_attributes", "custom_field_options",
         "rejection_details"]


def per_path(sandbox: SandboxClient, since: int = 0) -> Counter:
    return Counter(e["path"].removeprefix("/greenhouse") for e in sandbox.log("greenhouse")[since:])


def live_rows(sandbox: SandboxClient) -> dict[str, int]:
    """The rows each list serves now (as the API filters them: live records only)."""
    api = sandbox.sandbox.apis["greenhouse"]
    resources = api._resources(api.world("greenhouse"))
    return {name: sum(1 for r in table if live(r))
            for name, (_kind, table, _render, live) in resources.items()}


def test_a_first_sync_reads_each_list_once_and_lookups_whole(sandbox, tmp_path):
    rows = live_rows(sandbox)
    rc, messages, err = run_tap(sandbox.config("greenhouse", page_size=PAGE), tmp_path)
    assert rc == 0, err[-3000:]
    expected = Counter({"/auth/token": 1})
    expected.update({f"/v3/{name}": math.ceil(rows[name] / PAGE) for name in STREAM_LISTS})
    expected.update({f"/v3/{name}": math.ceil(rows[name] / 500) for name in WHOLE})
    assert per_path(sandbox) == expected
    assert_fields_match(sandbox, "greenhouse", messages)


def test_an_incremental_run_reads_windows_and_the_changed_scorecards_ratings(sandbox, tmp_path):
    """A scorecard changed alone (its ratings did not) and a panel changed alone: each comes
    back complete, at one page per window plus the reads that complete them."""
    config = sandbox.config("greenhouse", page_size=PAGE)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    world = sandbox.sandbox.apis["greenhouse"].world("greenhouse")
    card = next(c for c in world.scorecards if c.deleted_at is None and c.ratings)
    card.updated_at = now()
    interview = world.interviews[3]
    newcomer = next(u for u in world.users if u not in interview.interviewer_ids)
    at = now()
    world.panel.append(Panelist(world.panel[-1].id + 1, interview.id, newcomer, at, at))
    n = len(sandbox.log("greenhouse"))
    rc, again, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err[-3000:]
    # One page per window; the panel changes of the interviews' window, then the panels and
    # job interviews whole and the changed interview by id; the scorecard's ratings by its id
    # and their names.
    expected = Counter({"/auth/token": 1, "/v3/job_interview_stages": 1,
                        "/v3/rejection_reasons": 1, "/v3/sources": 1,
                        "/v3/interviewers": 2, "/v3/job_interviews": 1, "/v3/interviews": 2,
                        "/v3/scorecard_candidate_attributes": 1,
                        "/v3/job_candidate_attributes": 1})
    expected.update({f"/v3/{name}": 1 for name in STREAM_LISTS if name != "interviews"})
    assert per_path(sandbox, n) == expected
    asked = [parse_qs(e["query"]) for e in sandbox.log("greenhouse")[n:]
             if e["path"].endswith("/scorecard_candidate_attributes")]
    assert asked == [{"per_page": ["500"], "scorecard_ids": [str(gid("scorecard", card.id))]}]
    cards = records(again, "scorecards")
    assert [r["id"] for r in cards] == [str(gid("scorecard", card.id))]
    truth = {key: values for _, key, values in sandbox.sandbox.apis["greenhouse"].fields()[
        "scorecards"]}
    assert cards[0]["ratings"] == truth[cards[0]["id"]]["ratings"] and cards[0]["ratings"]
    got = records(again, "interviews")
    assert [r["id"] for r in got] == [str(gid("interview", interview.id))]
    assert got[0]["interviewer_ids"][-1] == str(gid("user", newcomer))


def test_an_application_changed_after_its_rejection_keeps_its_reason(sandbox, tmp_path):
    """Its rejection detail is older than the window: it is read by the application's id."""
    config = sandbox.config("greenhouse", page_size=PAGE)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    world = sandbox.sandbox.apis["greenhouse"].world("greenhouse")
    edited = [a for a in world.applications if a.status == "rejected"][:2]
    for app in edited:
        app.updated_at = now()  # a note or a field changed, long after the rejection
    n = len(sandbox.log("greenhouse"))
    rc, again, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err[-3000:]
    asked = [parse_qs(e["query"]) for e in sandbox.log("greenhouse")[n:]
             if e["path"].endswith("/rejection_details")]
    assert [set(q) for q in asked] == [{"per_page", "updated_at"},
                                       {"per_page", "application_ids"}]
    ids = sorted(str(gid("application", a.id)) for a in edited)
    assert sorted(asked[1]["application_ids"][0].split(",")) == ids
    got = {r["id"]: r for r in records(again, "applications")}
    assert sorted(got) == ids
    for app in edited:
        row = got[str(gid("application", app.id))]
        assert row["rejection_reason_id"] == str(gid("rejection_reason", app.rejection_reason_id))
        assert row["rejection_reason"] == app.rejection_reason
