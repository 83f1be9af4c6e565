"""ATZ CRM against the sandbox: wire details, then end to end through Meltano into DuckDB."""

from __future__ import annotations

import datetime as dt
import math
import threading

import pytest
from conftest import (
    SandboxClient,
    _utc,
    assert_visits_match_truth,
    discovered_streams,
    last_state,
    records,
    run_tap,
)

from tap_ats.sandbox.server import Sandbox

STREAMS = ["candidates", "candidate_history", "applications", "application_stages", "job_stages",
           "jobs"]


def split(log: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(candidate list pages, history calls, job reads) from the sandbox log."""
    pages = [e for e in log if e["path"].endswith("/candidate")]
    history = [e for e in log if e["path"].endswith("/history")]
    jobs = [e for e in log if "/job/" in e["path"]]
    assert len(pages) + len(history) + len(jobs) == len(log)
    return pages, history, jobs


def latest(messages: list[dict], stream: str, into: dict | None = None) -> dict:
    """Records by key, later ones replacing earlier ones (as a target's upsert does)."""
    out = dict(into or {})
    out.update({(r["account_id"], r["id"]): r for r in records(messages, stream)})
    return out


def visits(rows: dict) -> set[tuple]:
    """Derived stage rows as (account, application, stage, entered, exited)."""
    return {(r["account_id"], r["application_id"], r["stage_id"], _utc(r["entered_at"]),
             _utc(r["exited_at"])) for r in rows.values()}


def truth_visits(truth: dict) -> set[tuple]:
    return {(v["account_id"], v["application_id"], v["stage_id"], _utc(v["entered_at"]),
             _utc(v["exited_at"])) for v in truth["stage_visits"]}


@pytest.fixture
def limited() -> SandboxClient:
    """A small world behind ATZ's 60-per-window limit, the window scaled to 1.2 s."""
    client = SandboxClient(Sandbox(seed=3, applications=60, rate_limits=True, time_scale=0.02))
    yield client
    client.server.shutdown()


def test_discover_lists_only_what_atzcrm_serves(sandbox, tmp_path):
    assert discovered_streams(sandbox.config("atzcrm"), tmp_path) == set(STREAMS)


def test_full_sync_equals_truth_with_one_call_per_candidate_and_job(sandbox, tmp_path):
    rc, messages, err = run_tap(sandbox.config("atzcrm", page_size=30), tmp_path)
    assert rc == 0, err
    truth = sandbox.truth("atzcrm")
    for stream in STREAMS:
        got = [(r["account_id"], r["id"]) for r in records(messages, stream)]
        assert len(got) == len(set(got)), f"{stream} emitted a row twice in one run"
        assert set(got) == {tuple(k) for k in truth[stream]["ids"]}, stream
    assert visits(latest(messages, "application_stages")) == truth_visits(truth)
    candidates = truth["candidates"]["count"]
    pages, history, jobs = split(sandbox.log("atzcrm"))
    assert len(pages) == math.ceil(candidates / 30)
    assert len(history) == candidates
    assert len(jobs) == truth["jobs"]["count"]
    assert all("limit=30" in e["query"] for e in pages)


def test_history_rows_keep_every_field(sandbox, tmp_path):
    rc, messages, err = run_tap(sandbox.config("atzcrm"), tmp_path)
    assert rc == 0, err
    rows = records(messages, "candidate_history")
    assert {r["visibility"] for r in rows} == {True, False}
    row = rows[0]
    assert set(row["raw"]) == {"job_slug", "job_name", "organization", "job_status",
                               "talent_stage", "stage_date", "visibility", "comment",
                               "updated_by", "updated_at"}
    assert set(row["raw"]["updated_by"]) == {"id", "email", "first_name", "last_name",
                                             "full_name", "role", "phone"}
    raw = row["raw"]
    assert row["id"] == (f"{row['candidate_id']}:{raw['job_slug']}:"
                         f"{raw['talent_stage']['id']}:{raw['updated_at']}")
    assert row["stage_date"] == raw["stage_date"]
    assert row["updated_by_name"] == raw["updated_by"]["full_name"]
    assert row["organization_id"] == raw["organization"]["slug"]
    current = [r for r in records(messages, "application_stages") if r["is_current"]]
    assert len(current) == len(records(messages, "applications"))


def test_pacing_keeps_under_the_limit(limited, tmp_path):
    config = limited.config("atzcrm")
    assert config["max_requests_per_minute"] == 3000
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    log = limited.log("atzcrm")
    assert len(log) > 60, "the sync should span more than one rate-limit window"
    assert not [e for e in log if e["status"] == 429]
    truth = limited.truth("atzcrm")
    got = {(r["account_id"], r["id"]) for r in records(messages, "candidate_history")}
    assert got == {tuple(k) for k in truth["candidate_history"]["ids"]}


def test_history_calls_overlap(sandbox, tmp_path):
    """The sandbox sees several history calls in flight at once, never more than allowed."""
    inner, lock = sandbox.sandbox.handle, threading.Lock()
    flight = {"now": 0, "max": 0}

    def counting(request, base_url):
        if not request.path.endswith("/history"):
            return inner(request, base_url)
        with lock:
            flight["now"] += 1
            flight["max"] = max(flight["max"], flight["now"])
        try:
            return inner(request, base_url)
        finally:
            with lock:
                flight["now"] -= 1

    sandbox.sandbox.handle = counting
    sandbox.faults(latency_ms=20)
    rc, _, err = run_tap(sandbox.config("atzcrm", max_concurrency=3), tmp_path)
    assert rc == 0, err
    assert flight["max"] == 3


def test_incremental_emits_only_changed_candidates_again(sandbox, tmp_path):
    config = sandbox.config("atzcrm")
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    state = last_state(first)
    before = {tuple(k) for k in sandbox.truth("atzcrm")["candidate_history"]["ids"]}
    mark = dt.datetime.fromisoformat(
        state["bookmarks"]["candidates"]["partitions"][0]["replication_key_value"])
    sandbox.advance(20, "atzcrm")
    truth = sandbox.truth("atzcrm")
    new = {tuple(k) for k in truth["candidate_history"]["ids"]} - before
    changed = {i.split(":")[0] for _, i in new}
    assert new and changed
    n = len(sandbox.log("atzcrm"))
    rc, second, err = run_tap(config, tmp_path, state)
    assert rc == 0, err
    pages, history, jobs = split(sandbox.log("atzcrm")[n:])
    assert len(pages) == math.ceil(truth["candidates"]["count"] / 100)
    assert len(history) == truth["candidates"]["count"]
    assert len(jobs) == len({i.split(":")[1] for _, i in new})
    assert {(r["account_id"], r["id"]) for r in records(second, "candidate_history")} == new
    since = mark - dt.timedelta(minutes=config.get("lookback_window", 5))
    assert all(_utc(r["updated_at"]) >= _utc(since.isoformat())
               for r in records(second, "candidate_history"))
    assert {r["candidate_id"] for r in records(second, "applications")} == changed
    assert {r["candidate_id"] for r in records(second, "application_stages")} == changed
    assert {r["id"] for r in records(second, "candidates")} == changed
    for stream in STREAMS:
        merged = latest(second, stream, latest(first, stream))
        assert set(merged) == {tuple(k) for k in truth[stream]["ids"]}, stream
    merged = latest(second, "application_stages", latest(first, "application_stages"))
    assert visits(merged) == truth_visits(truth)
    mark2 = last_state(second)["bookmarks"]["candidates"]["partitions"][0]
    assert dt.datetime.fromisoformat(mark2["replication_key_value"]) > mark


def test_bad_token_fails_fast_naming_the_setting(sandbox, tmp_path):
    config = sandbox.config("atzcrm", api_token="wrong-token-value")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 1
    assert "api_token" in err and "401" in err
    assert "wrong-token-value" not in err
    assert len(sandbox.log("atzcrm")) == 1
    assert not records(messages, "candidates")


def test_meltano_full_then_incremental_equals_truth(sandbox, warehouse):
    config = sandbox.config("atzcrm")
    warehouse.run(config)
    warehouse.assert_equals_truth(sandbox.truth("atzcrm"), STREAMS)
    sandbox.advance(30, "atzcrm")
    warehouse.run(config)
    truth = sandbox.truth("atzcrm")
    warehouse.assert_equals_truth(truth, STREAMS)
    sandbox.advance(30, "atzcrm")
    warehouse.run(config)
    truth = sandbox.truth("atzcrm")
    warehouse.assert_equals_truth(truth, STREAMS)
    assert assert_visits_match_truth(warehouse, truth) == len(truth["stage_visits"])
    current = warehouse.query("select count(*) from tap_ats.application_stages where is_current")
    assert current[0][0] == truth["applications"]["count"]
