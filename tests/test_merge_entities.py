"""Merge's analytics streams against the sandbox: offers, departments, offices, reject reasons,
sources, hiring teams, scorecards and (opt-in) demographics, plus the columns that join them.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from urllib.parse import parse_qs

from conftest import TAP, assert_fields_match, last_state, records, run_tap

NEW = ["offers", "departments", "offices", "rejection_reasons", "sources", "job_hiring_team",
       "scorecards"]
#: The list endpoint of each new stream that has one (sources and job_hiring_team are derived).
ENDPOINTS = {"offers": "/offers", "departments": "/departments", "offices": "/offices",
             "rejection_reasons": "/reject-reasons", "scorecards": "/scorecards",
             "demographics": "/eeocs"}


def keys(messages: list[dict], stream: str) -> dict[tuple[str, str], dict]:
    """The stream's records by (account_id, id), the last one written winning."""
    return {(r["account_id"], r["id"]): r for r in records(messages, stream)}


def truth_of(truth: dict, stream: str) -> tuple[set, set]:
    return ({tuple(k) for k in truth[stream]["ids"]},
            {tuple(k) for k in truth[stream]["deleted_ids"]})


def selecting(config_path: str, *streams: str) -> dict:
    """The discovered catalog with ``streams`` selected explicitly (and the rest as discovered)."""
    out = subprocess.run([TAP, "--config", config_path, "--discover"], capture_output=True,
                         text=True, check=True).stdout
    catalog = json.loads(out)
    for entry in catalog["streams"]:
        if entry["tap_stream_id"] in streams:
            for meta in entry["metadata"]:
                if meta["breadcrumb"] == []:
                    meta["metadata"]["selected"] = True
    return catalog


def test_new_streams_equal_truth_first_then_incrementally(sandbox, tmp_path):
    config = sandbox.config("merge")
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("merge")
    for stream in NEW:
        assert set(keys(first, stream)) == truth_of(truth, stream)[0], stream
    assert_fields_match(sandbox, "merge", first)

    sandbox.advance(40, "merge")
    n = len(sandbox.log("merge"))
    rc, second, err = run_tap(config, tmp_path, last_state(first))
    assert rc == 0, err[-3000:]
    later = sandbox.truth("merge")
    assert truth_of(later, "offers")[0] > truth_of(truth, "offers")[0]
    assert truth_of(later, "scorecards")[1]  # deleted with their applications
    for stream in NEW:
        loaded = {**keys(first, stream), **keys(second, stream)}
        expected, deleted = truth_of(later, stream)
        assert set(loaded) == expected, stream
        assert {k for k, r in loaded.items() if r["deleted_at"]} == deleted, stream
    # Incremental: every new endpoint was asked only for what changed since the first run.
    log = sandbox.log("merge")[n:]
    for stream, path in ENDPOINTS.items():
        if stream == "demographics":
            continue
        asked = [e for e in log if e["path"].endswith(path)]
        assert asked and all("modified_after" in parse_qs(e["query"]) and
                             parse_qs(e["query"])["include_deleted_data"] == ["true"]
                             for e in asked), stream
    assert 0 < len(records(second, "offers")) < len(keys(first, "offers"))


def test_new_columns_join_the_new_streams(sandbox, tmp_path):
    """source_id, rejection_reason_id, department_ids, office_ids and the offers' and
    scorecards' references all point at rows the same run loaded.
    """
    rc, messages, err = run_tap(sandbox.config("merge"), tmp_path)
    assert rc == 0, err[-3000:]
    ids = {s: set(keys(messages, s)) for s in
           ("sources", "rejection_reasons", "departments", "offices", "applications", "jobs",
            "interviews", "users", "candidates")}
    apps = records(messages, "applications")
    assert {(a["account_id"], a["source_id"]) for a in apps} == ids["sources"]
    rejected = [a for a in apps if a["rejection_reason_id"]]
    assert rejected and all(a["rejection_reason"] for a in rejected)
    assert {(a["account_id"], a["rejection_reason_id"]) for a in rejected} <= \
        ids["rejection_reasons"]
    for job in records(messages, "jobs"):
        assert len(job["department_ids"]) == 1 and job["office_ids"]
        assert {(job["account_id"], d) for d in job["department_ids"]} <= ids["departments"]
        assert {(job["account_id"], o) for o in job["office_ids"]} <= ids["offices"]
    for offer in records(messages, "offers"):
        account = offer["account_id"]
        assert (account, offer["application_id"]) in ids["applications"]
        assert (account, offer["job_id"]) in ids["jobs"]
    for card in records(messages, "scorecards"):
        account = card["account_id"]
        assert (account, card["interview_id"]) in ids["interviews"]
        assert (account, card["interviewer_id"]) in ids["users"]
        assert (account, card["candidate_id"]) in ids["candidates"]
    for member in records(messages, "job_hiring_team"):
        assert (member["account_id"], member["user_id"]) in ids["users"]
        assert member["role"] in ("hiring_manager", "recruiter")
    statuses = Counter((o["status"], o["status_raw"]) for o in records(messages, "offers"))
    raws = {raw for _, raw in statuses}
    assert raws >= {"SENT", "OPENED", "SIGNED", "DENIED", "DEPRECATED"} and "DRAFT" in raws
    assert all(status == {"DRAFT": "draft", "APPROVED": "draft", "SENT": "sent",
                          "SENT-MANUALLY": "sent", "OPENED": "sent", "SIGNED": "accepted",
                          "DENIED": "declined", "DEPRECATED": "deprecated"}[raw]
               for status, raw in statuses)
    mapped = {(c["overall_recommendation"], c["overall_recommendation_raw"])
              for c in records(messages, "scorecards")}
    assert ("strong_no", "DEFINITELY_NO") in mapped and len(mapped) == 5
    # One request per new endpoint and account in a world this small (under one page each).
    calls = Counter(e["path"].rsplit("/", 1)[1] for e in sandbox.log("merge"))
    assert all(calls[path.lstrip("/")] == 2 for path in ENDPOINTS.values()
               if path != "/eeocs")
    assert calls["eeocs"] == 0


def test_demographics_are_read_only_when_selected_and_never_logged(sandbox, tmp_path,
                                                                    monkeypatch):
    config = sandbox.config("merge")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    assert not records(messages, "demographics")
    assert not [e for e in sandbox.log("merge") if e["path"].endswith("/eeocs")]
    assert "demographics" not in {m["stream"] for m in messages if m["type"] == "SCHEMA"}

    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    catalog = selecting(str(path), "demographics")
    monkeypatch.setenv("LOGLEVEL", "DEBUG")
    rc, messages, err = run_tap(config, tmp_path, None, catalog=catalog)
    assert rc == 0, err[-3000:]
    answers = sandbox.sandbox.apis["merge"].answers()
    got = keys(messages, "demographics")
    assert len(got) == len(answers) > 0
    for account, key, expected in answers:
        assert {k: got[account, key][k] for k in expected} == expected
    assert "DEBUG" in err
    values = {v for _, _, row in answers for k, v in row.items()
              if k in ("race", "gender", "veteran_status", "disability_status")}
    assert not [v for v in values if v in err]


def test_scorecards_carry_no_notes_or_ratings_with_or_without_the_setting(sandbox, tmp_path):
    """Merge's Scorecard has neither: nothing is invented, and turning notes on changes nothing."""
    for setting in (False, True):
        config = sandbox.config("merge", include_scorecard_notes=setting)
        rc, messages, err = run_tap(config, tmp_path)
        assert rc == 0, err[-3000:]
        cards = records(messages, "scorecards")
        assert cards and all(c["notes"] is None and c["ratings"] is None for c in cards)
        assert all(c["raw"]["remote_data"] is None for c in cards)


def test_a_refused_application_expand_leaves_offer_and_scorecard_jobs_null(sandbox, tmp_path):
    """An account whose scopes refuse ``expand=application`` still gets every offer and
    scorecard, their own ids filled and the job and candidate null, with one warning each.
    """
    sandbox.faults(forbidden=["/offers?expand", "/scorecards?expand"])
    rc, messages, err = run_tap(sandbox.config("merge"), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("merge")
    for stream in ("offers", "scorecards"):
        rows = records(messages, stream)
        assert set(keys(messages, stream)) == truth_of(truth, stream)[0], stream
        assert all(r["application_id"] and r["job_id"] is None and r["candidate_id"] is None
                   for r in rows), stream
        lines = [x for x in err.splitlines() if "WARNING" in x and f"{stream}.job_id" in x]
        assert len(lines) == 2, (stream, lines)  # one per account
    assert all(r["interviewer_id"] for r in records(messages, "scorecards"))
