"""ATZ CRM against the sandbox: wire details, then end to end through Meltano into DuckDB."""

from __future__ import annotations

import datetime as dt
import math
import random
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

from tap_ats.sandbox.demo import fetch
from tap_ats.sandbox.server import Sandbox

STREAMS = ["candidates", "candidate_history", "applications", "application_stages", "job_stages",
           "jobs", "job_hiring_team", "interviews"]


def split(log: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """(candidate list pages, history calls, job reads) from the sandbox log.

    The rest must be activity list pages (the interviews stream).
    """
    pages = [e for e in log if e["path"].endswith("/candidate")]
    history = [e for e in log if e["path"].endswith("/history")]
    jobs = [e for e in log if "/job/" in e["path"]]
    activity = [e for e in log if e["path"].endswith("/activity")]
    assert len(pages) + len(history) + len(jobs) + len(activity) == len(log)
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


def fetch_fields(sandbox: SandboxClient) -> dict[str, dict]:
    """The sandbox's per-row field truth, by stream and key."""
    return {stream: {(a, i): v for a, i, v in rows}
            for stream, rows in fetch(f"{sandbox.url}/_sandbox/fields/atzcrm").items()}


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
    assert row["id"].startswith(f"{row['candidate_id']}:{raw['job_slug']}:"
                                f"{raw['talent_stage']['id']}:")
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


def daily(state: dict) -> dict:
    """The state as a run one day later would find it: the slice planned one day earlier.

    Changes are stamped by the wall clock and the bookmark stays real, so what the list shows
    as changed is exactly what changed since the previous run.
    """
    part = state["bookmarks"]["candidates"]["partitions"][0]
    at = dt.datetime.fromisoformat(part["history_slice_at"])
    part["history_slice_at"] = (at - dt.timedelta(days=1)).isoformat()
    return state


def slice_of(state: dict) -> int:
    return state["bookmarks"]["candidates"]["partitions"][0]["history_slice"]


def read_slugs(entries: list[dict]) -> list[str]:
    """Candidate slugs whose history a run read, in order."""
    return [e["path"].split("/")[-2] for e in entries if e["path"].endswith("/history")]


def test_incremental_reads_changed_candidates_and_a_slice(sandbox, tmp_path):
    config = sandbox.config("atzcrm", atzcrm_full_refresh_days=7)
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    state = last_state(first)
    assert slice_of(state) == 0
    listed = [c["id"] for c in records(first, "candidates")]
    before = {tuple(k) for k in sandbox.truth("atzcrm")["candidate_history"]["ids"]}
    sandbox.advance(20, "atzcrm")
    truth = sandbox.truth("atzcrm")
    total = truth["candidates"]["count"]
    n = len(sandbox.log("atzcrm"))
    rc, second, err = run_tap(config, tmp_path, daily(state))
    assert rc == 0, err
    pages, history, jobs = split(sandbox.log("atzcrm")[n:])
    share = math.ceil(total / 7)
    assert len(pages) == math.ceil(total / 100)
    read = read_slugs(history)
    assert len(read) == len(set(read))
    changed = set(read) - set(listed[:share])
    assert set(listed[:share]) <= set(read)
    assert len(read) <= share + len(changed) and len(changed) < 20
    # The slice is a day's share plus the seconds between the two runs: one more candidate
    # when total / 7 is (nearly) whole.
    assert share <= slice_of(last_state(second)) <= share + 1
    new = {tuple(k) for k in truth["candidate_history"]["ids"]} - before
    got = {(r["account_id"], r["id"]) for r in records(second, "candidate_history")}
    visible = {k for k in new if k[1].split(":")[0] in set(read)}
    assert visible and visible <= got
    assert {r["id"] for r in records(second, "candidates")} == set(read)
    assert len(jobs) <= truth["jobs"]["count"]


def test_full_refresh_days_zero_reads_every_history(sandbox, tmp_path):
    config = sandbox.config("atzcrm")
    assert config["atzcrm_full_refresh_days"] == 0
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    sandbox.advance(10, "atzcrm")
    n = len(sandbox.log("atzcrm"))
    rc, second, err = run_tap(config, tmp_path, last_state(first))
    assert rc == 0, err
    _, history, _ = split(sandbox.log("atzcrm")[n:])
    truth = sandbox.truth("atzcrm")
    assert len(history) == truth["candidates"]["count"]
    for stream in STREAMS:
        got = {(r["account_id"], r["id"]) for r in records(second, stream)}
        expected = {tuple(k) for k in truth[stream]["ids"]}
        if stream == "interviews":  # incremental from its own list, not from the histories
            expected -= {(r["account_id"], r["id"]) for r in records(first, stream)}
        assert got == expected, stream


def test_seven_daily_runs_catch_every_hidden_change(tmp_path):
    """1% changed a day: each run reads at most changed + ceil(N/7) histories, and a week after
    the last change the loaded rows equal the truth, changes the list never showed included."""
    client = SandboxClient(Sandbox(seed=5, applications=700))
    try:
        # Simulated days are seconds apart: a lookback would re-read the previous day's changes.
        config = client.config("atzcrm", atzcrm_full_refresh_days=7, lookback_window=0)
        rc, messages, err = run_tap(config, tmp_path)
        assert rc == 0, err
        loaded = {s: latest(messages, s) for s in STREAMS}
        state, n, slices = last_state(messages), len(client.log("atzcrm")), []
        for day in range(14):
            changes = 7 if day < 7 else 0
            if changes:
                client.advance(changes, "atzcrm")
            total = client.truth("atzcrm")["candidates"]["count"]
            rc, messages, err = run_tap(config, tmp_path, daily(state))
            assert rc == 0, err
            log = client.log("atzcrm")[n:]
            n += len(log)
            pages, history, _ = split(log)
            assert len(pages) == math.ceil(total / 100)
            assert len(history) <= changes + math.ceil(total / 7), (day, len(history))
            for stream in STREAMS:
                loaded[stream] = latest(messages, stream, loaded[stream])
            state = last_state(messages)
            slices.append(slice_of(state))
            if day == 6:  # changes the list never showed are still missing on the last day
                truth = client.truth("atzcrm")
                late = {tuple(k) for k in truth["candidate_history"]["ids"]}
                assert late - set(loaded["candidate_history"])
        assert len(set(slices)) > 7  # the slice went round
        truth = client.truth("atzcrm")
        for stream in STREAMS:
            assert set(loaded[stream]) == {tuple(k) for k in truth[stream]["ids"]}, stream
        assert visits(loaded["application_stages"]) == truth_visits(truth)
    finally:
        client.server.shutdown()


def test_job_stages_and_job_status_hold_still_over_runs(sandbox, tmp_path):
    config = sandbox.config("atzcrm", atzcrm_full_refresh_days=7)
    fields = fetch_fields(sandbox)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    state, seen = last_state(messages), []
    for _ in range(3):
        stages = {(r["account_id"], r["id"]): {k: r[k] for k in ("job_id", "name", "order")}
                  for r in records(messages, "job_stages")}
        assert stages == fields["job_stages"]
        seen.append(stages)
        jobs = {(r["account_id"], r["id"]): r for r in records(messages, "jobs")}
        assert jobs and all(fields["jobs"][k]["status_raw"] == r["status_raw"]
                            for k, r in jobs.items())
        assert {r["status"] for r in jobs.values()} >= {"open", "closed"}
        sandbox.advance(15, "atzcrm")
        rc, messages, err = run_tap(config, tmp_path, daily(state))
        assert rc == 0, err
        state = last_state(messages)
    rows = records(messages, "application_stages")
    assert {r["stage_id"] for r in rows} <= {k[1] for k in seen[0]}


def test_sigkill_during_slice_runs_loses_nothing(sandbox, tmp_path):
    """Killed mid-run, the bookmark and the slice position stay; later runs catch up in full."""
    import json
    import os
    import signal
    import subprocess

    from conftest import TAP

    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(sandbox.config("atzcrm", atzcrm_full_refresh_days=2,
                                             page_size=20)))
    rc, messages, err = run_tap(json.loads(cfg.read_text()), tmp_path)
    assert rc == 0, err
    loaded = {s: latest(messages, s) for s in STREAMS}
    state = last_state(messages)
    sandbox.advance(20, "atzcrm")
    rng = random.Random(13)
    for attempt in range(8):
        path = tmp_path / "state.json"
        path.write_text(json.dumps(daily(json.loads(json.dumps(state)))))
        proc = subprocess.Popen([TAP, "--config", str(cfg), "--state", str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out, kill_at = [], rng.randint(5, 120) if attempt % 2 == 0 else None
        for line in proc.stdout:
            out.append(json.loads(line))
            if kill_at is not None and len(out) >= kill_at:
                os.kill(proc.pid, signal.SIGKILL)
                break
        proc.wait()
        for stream in STREAMS:
            loaded[stream] = latest(out, stream, loaded[stream])
        states = [m["value"] for m in out if m["type"] == "STATE"]
        if states:
            new = states[-1]
            if proc.returncode != 0:  # killed: nothing of this run may have moved on
                assert slice_of(new) == slice_of(state)
            state = new
    truth = sandbox.truth("atzcrm")
    for stream in STREAMS:
        assert set(loaded[stream]) == {tuple(k) for k in truth[stream]["ids"]}, stream


def test_bad_full_refresh_days_is_one_line(sandbox, tmp_path):
    rc, _, err = run_tap(sandbox.config("atzcrm", atzcrm_full_refresh_days=-1), tmp_path)
    assert rc != 0 and "Traceback" not in err
    lines = [x for x in err.splitlines() if x.startswith("tap-ats: error:")]
    assert len(lines) == 1 and "'atzcrm_full_refresh_days'" in lines[0]


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
    fields = fetch_fields(sandbox)
    jobs = {(a, i): s for a, i, s in warehouse.query(
        "select account_id, id, status_raw from tap_ats.jobs")}
    assert jobs == {k: v["status_raw"] for k, v in fields["jobs"].items()}
    stages = {(a, i): {"job_id": j, "name": n, "order": o} for a, i, j, n, o in warehouse.query(
        'select account_id, id, job_id, name, "order" from tap_ats.job_stages')}
    assert stages == fields["job_stages"]
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


def test_retry_warning_names_the_history_path_retried(sandbox, tmp_path):
    sandbox.faults(**{"5xx": 0.3, "retry_after": 0})
    rc, _, err = run_tap(sandbox.config("atzcrm", max_concurrency=1), tmp_path)
    assert rc == 0, err[-2000:]
    retries = [line for line in err.splitlines() if "Retrying " in line]
    assert any("/candidate/candidate_" in line and "/history after" in line for line in retries)
    assert all("api_token" not in line and "?" not in line for line in retries)


def test_median_of_a_position_histogram_is_the_low_median_of_the_positions():
    import statistics
    from collections import Counter

    from tap_ats.providers.atzcrm.history import median_low

    rng = random.Random(7)
    for _ in range(500):
        positions = [rng.randint(0, 6) for _ in range(rng.randint(1, 40))]
        assert median_low(Counter(positions)) == statistics.median_low(positions)


def test_an_edited_history_row_keeps_its_id():
    """A recruiter edits a row's comment and ATZ moves its updated_at: the next run emits the row
    under the same id, so the warehouse upserts it instead of keeping both versions (two visits
    for one stay). A second stay in a stage has an id of its own."""
    from tap_ats.providers.atzcrm.history import History

    def history(comment: str | None, updated_at: str, since: dt.datetime | None) -> History:
        return History("ann", [
            {"job_slug": "job-a", "talent_stage": {"id": 1}, "stage_date": "2026-01-02",
             "updated_at": "2026-01-02T10:00:00Z", "comment": None},
            {"job_slug": "job-a", "talent_stage": {"id": 2}, "stage_date": "2026-01-05",
             "updated_at": updated_at, "comment": comment},
            {"job_slug": "job-a", "talent_stage": {"id": 1}, "stage_date": "2026-01-09",
             "updated_at": "2026-01-09T10:00:00Z", "comment": None},
        ], since)

    before = history(None, "2026-01-05T10:00:00Z", None)
    assert [before.row_id(r) for r in before.new] == [
        "ann:job-a:1:1", "ann:job-a:2:1", "ann:job-a:1:2"]
    after = history("Strong", "2026-03-01T12:00:00Z", dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert [(after.row_id(r), r["comment"]) for r in after.new] == [("ann:job-a:2:1", "Strong")]


def test_history_and_job_reads_go_through_the_shared_overlap(sandbox, monkeypatch):
    """ATZ reads through :mod:`tap_ats.overlap`: bodies in order, None for a 404; the account's
    first read alone in the calling thread, then the pool (three reads meet at a barrier, so they
    overlapped), the job reads' params passed; once reads prove quick, here again, and a failure
    raised in order with the reads after it never made."""
    from types import SimpleNamespace

    from singer_sdk.exceptions import FatalAPIError

    from tap_ats import overlap
    from tap_ats.http import Answer
    from tap_ats.providers.atzcrm.history import NotFound
    from tap_ats.tap import TapATS

    stream = TapATS(config=sandbox.config("atzcrm", max_concurrency=3),
                    setup_mapper=False).streams["candidates"]
    stream._context = {"account_id": "atzcrm"}
    caller, barrier = threading.current_thread(), threading.Barrier(3, timeout=10)
    calls: list[tuple[str, dict, bool]] = []

    def get(segments: tuple[str, ...], context: object, **params: str) -> Answer:
        here = threading.current_thread() is caller
        calls.append((segments[1], params, here))
        if not here:
            barrier.wait()  # breaks (an error) unless three reads are in flight at once
        if segments[1] == "gone":
            raise NotFound("404")
        if segments[1] == "bad":
            raise FatalAPIError("broken")
        return Answer(SimpleNamespace(), {"slug": segments[1]})

    stream.get = get
    monkeypatch.setattr(overlap, "QUICK_ANSWER", 0.0)  # never quick
    slugs = ["0", "gone", "2", "3", "4", "5", "6"]
    assert stream._fetch_all([("candidate", s, "history") for s in slugs]) == [
        None if s == "gone" else {"slug": s} for s in slugs]
    assert calls[0] == ("0", {}, True)
    assert sorted(calls[1:]) == [(s, {}, False) for s in sorted(slugs[1:])]
    calls.clear()
    assert stream._fetch_all([("job", j) for j in "abc"], maximize="owner") == [
        {"slug": j} for j in "abc"]
    assert sorted(calls) == [(j, {"maximize": "owner"}, False) for j in "abc"]
    calls.clear()
    monkeypatch.setattr(overlap, "QUICK_ANSWER", 1e9)  # learnt after this batch
    assert stream._fetch_all([("job", j) for j in "def"]) == [{"slug": j} for j in "def"]
    assert [here for _, _, here in calls] == [False] * 3
    calls.clear()
    with pytest.raises(FatalAPIError, match="broken"):
        stream._fetch_all([("candidate", s, "history") for s in ("7", "bad", "9")])
    assert calls == [("7", {}, True), ("bad", {}, True)]
