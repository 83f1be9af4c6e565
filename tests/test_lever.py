"""Lever against the sandbox: wire details, first and incremental syncs, deletes, scopes."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
from urllib.parse import parse_qs

import pytest
import requests
from conftest import assert_fields_match, discovered_streams, last_state, records, run_tap
from test_ashby import in_flight, resumed_after_kills
from test_reliability import UNDELETED, assert_resumed_loses_nothing

from tap_ats import overlap
from tap_ats.sandbox.lever import API_KEY, PUBLIC_KEY

STREAMS = ["applications", "application_stages", "candidates", "jobs", "job_stages", "users",
           "offers", "interviews", "scorecards", "rejection_reasons", "sources"]
#: Lists read in full on every run, one page each in the test world.
FULL = ["/stages", "/postings", "/archive_reasons", "/sources", "/users"]
PER_OPPORTUNITY = ("/offers", "/interviews", "/feedback")


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def keys(messages: list[dict], stream: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in records(messages, stream)}


def truth_keys(truth: dict, stream: str) -> set[tuple[str, str]]:
    return {tuple(k) for k in truth[stream]["ids"]}


def test_discover_lists_only_what_lever_serves(sandbox, tmp_path):
    assert discovered_streams(sandbox.config("lever"), tmp_path) == set(STREAMS)


def test_sandbox_speaks_levers_wire_format(sandbox):
    """Basic auth, limit bounds, offset tokens pinned to their query, confidentiality, deletes."""
    url = f"{sandbox.url}/lever/v1"

    def get(path: str, key: str = API_KEY, **params: str) -> requests.Response:
        return requests.get(url + path, params=params, headers=basic(key), timeout=10)

    assert get("/opportunities", key="nope").status_code == 401
    assert get("/opportunities", key="nope").json()["code"] == "UnauthorizedError"
    assert get("/opportunities", limit="101").status_code == 400
    first = get("/opportunities", limit="10").json()
    assert len(first["data"]) == 10 and first["hasNext"] and first["next"]
    assert get("/opportunities", limit="11", offset=first["next"]).status_code == 400
    assert get("/opportunities", limit="10", offset=first["next"]).status_code == 200
    shown = {o["confidentiality"] for o in get("/opportunities", confidentiality="all").json()[
        "data"]}
    assert shown == {"confidential", "non-confidential"}
    assert {o["confidentiality"] for o in get("/opportunities").json()["data"]} == {
        "non-confidential"}
    public = get("/opportunities", key=PUBLIC_KEY, confidentiality="all").json()["data"]
    assert {o["confidentiality"] for o in public} == {"non-confidential"}
    opportunity = first["data"][0]
    assert opportunity["stageChanges"] and isinstance(opportunity["updatedAt"], int)
    later = get("/opportunities", updated_at_start=str(opportunity["updatedAt"] + 1)).json()
    assert opportunity["id"] not in {o["id"] for o in later["data"]}
    assert get("/opportunities/deleted").json() == {"data": [], "hasNext": False}
    sandbox.advance(80, "lever")
    deleted = get("/opportunities/deleted").json()["data"]
    assert deleted and set(deleted[0]) == {"id", "deletedAt"}
    assert get(f"/opportunities/{deleted[0]['id']}/offers").status_code == 404
    hired = [r for r in get("/archive_reasons").json()["data"] if r["type"] == "hired"]
    assert [r["text"] for r in hired] == ["Hired"]


def test_first_sync_equals_truth_with_basic_auth_and_names(sandbox, tmp_path):
    config = sandbox.config("lever", page_size=25)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("lever")
    for stream in STREAMS:
        assert keys(messages, stream) == truth_keys(truth, stream), stream
    assert_fields_match(sandbox, "lever", messages)
    assert API_KEY not in json.dumps(messages) + err
    assert all(API_KEY not in e["query"] for e in sandbox.log("lever"))
    apps = records(messages, "applications")
    assert {r["status"] for r in apps} == {"active", "hired", "rejected"}
    assert all(r["status_raw"] == "hired" and r["rejected_at"] is None
               for r in apps if r["status"] == "hired")
    stages = records(messages, "application_stages")
    assert all(r["origin"] == "native" for r in stages)
    current = [r for r in stages if r["is_current"]]
    assert len(current) == len(apps) and all(r["exited_at"] is None for r in current)
    order = {r["id"]: r["order"] for r in records(messages, "job_stages")}
    assert sorted(order.values()) == [0, 1, 2, 3, 4]
    # One page per full list; one read per opportunity and per-opportunity list; the archive
    # reasons read once, by the lookup, which serves their stream too.
    log = sandbox.log("lever")
    per = [e for e in log if e["path"].endswith(PER_OPPORTUNITY)]
    assert len(per) == 3 * truth["applications"]["count"]
    assert len([e for e in log if e["path"].endswith("/archive_reasons")]) == 1


def test_incremental_reads_changed_opportunities_only(sandbox, tmp_path):
    config = sandbox.config("lever", lookback_window=10)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    loaded = {s: keys(messages, s) for s in STREAMS}
    mark = dt.datetime.fromisoformat(last_state(messages)["bookmarks"]["applications"][
        "partitions"][0]["replication_key_value"])
    done = sandbox.advance(30, "lever")["lever"]
    assert done["delete"], done
    n = len(sandbox.log("lever"))
    rc, messages, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err
    second = sandbox.log("lever")[n:]
    start = {parse_qs(e["query"]).get("updated_at_start", [None])[0] for e in second
             if e["path"].endswith("/v1/opportunities")}
    expected = int((mark - dt.timedelta(minutes=10)).timestamp() * 1000)
    assert start == {str(expected)}
    deleted_start = {parse_qs(e["query"])["deleted_at_start"][0] for e in second
                     if e["path"].endswith("/opportunities/deleted")}
    assert deleted_start == {str(expected)}
    changed = [r for r in records(messages, "applications") if r["deleted_at"] is None]
    assert 0 < len(changed) <= 30
    per = [e for e in second if e["path"].endswith(PER_OPPORTUNITY)]
    assert len(per) == 3 * len(changed)
    deleted = [r for r in records(messages, "applications") if r["deleted_at"]]
    assert len(deleted) == done["delete"]
    assert all(r["_sdc_deleted_at"] == r["deleted_at"] for r in deleted)
    for stream in STREAMS:
        loaded[stream] |= keys(messages, stream)
    truth = sandbox.truth("lever")
    for stream in STREAMS:
        expected_keys = truth_keys(truth, stream)
        if stream in UNDELETED["lever"]:
            assert expected_keys <= loaded[stream], stream
        else:
            assert loaded[stream] == expected_keys, stream
    assert {tuple(k) for k in truth["applications"]["deleted_ids"]} == {
        (r["account_id"], r["id"]) for r in deleted}


def test_a_run_with_no_change_asks_only_what_lever_needs(sandbox, tmp_path):
    """Two opportunity lists that say nothing changed, and the five lists Lever cannot filter."""
    config = sandbox.config("lever")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    n = len(sandbox.log("lever"))
    rc, again, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err
    paths = sorted(e["path"].removeprefix("/lever/v1") for e in sandbox.log("lever")[n:])
    assert paths == sorted(["/opportunities", "/opportunities/deleted", *FULL])
    assert not records(again, "applications") and not records(again, "offers")


def test_a_key_without_a_scope_skips_that_stream_with_one_line(sandbox, tmp_path):
    sandbox.faults(forbidden=["/feedback"])
    rc, messages, err = run_tap(sandbox.config("lever"), tmp_path)
    assert rc == 0, err[-3000:]
    assert not records(messages, "scorecards")
    truth = sandbox.truth("lever")
    for stream in ("applications", "offers", "interviews"):
        assert keys(messages, stream) == truth_keys(truth, stream), stream
    lines = [x for x in err.splitlines() if "WARNING" in x and "/feedback" in x]
    assert len(lines) == 1, lines
    assert sum(e["path"].endswith("/feedback") for e in sandbox.log("lever")) == 1
    parts = last_state(messages)["bookmarks"]["applications"]["partitions"]
    assert parts[0]["replication_key_value"]


def test_a_key_without_the_deleted_list_reads_the_rest_with_one_line(sandbox, tmp_path):
    sandbox.advance(40, "lever")
    sandbox.faults(forbidden=["/opportunities/deleted"])
    rc, messages, err = run_tap(sandbox.config("lever"), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("lever")
    deleted = {tuple(k) for k in truth["applications"]["deleted_ids"]}
    assert deleted and keys(messages, "applications") == truth_keys(truth, "applications") - deleted
    lines = [x for x in err.splitlines() if "WARNING" in x and "/opportunities/deleted" in x]
    assert len(lines) == 1 and "deleted_at" in lines[0], lines


@pytest.mark.parametrize("workers", [1, 3])
def test_per_opportunity_reads_overlap_up_to_max_concurrency(sandbox, tmp_path, workers):
    """With latency, up to ``max_concurrency`` reads under opportunities are in flight at once
    (the log shows it), the rows are the same, and ``max_concurrency: 1`` reads in turn."""
    sandbox.faults(latency_ms=30)
    rc, messages, err = run_tap(sandbox.config("lever", max_concurrency=workers), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("lever")
    for stream in STREAMS:
        assert keys(messages, stream) == truth_keys(truth, stream), stream
    log = sandbox.log("lever")
    assert len([e for e in log if e["path"].endswith(PER_OPPORTUNITY)]) == 3 * len(
        records(messages, "applications"))
    for resource in PER_OPPORTUNITY:
        at_once = in_flight(log, (resource,), 30)
        assert (1 < at_once <= workers) if workers > 1 else at_once == 1, (resource, at_once)
    # Written in the opportunities' order, whatever order the reads answered in.
    apps = [a["id"] for a in records(messages, "applications")]
    for stream in ("offers", "interviews", "scorecards"):
        order = list(dict.fromkeys(r["application_id"] for r in records(messages, stream)))
        assert order == [a for a in apps if a in set(order)], stream


def test_killed_mid_per_opportunity_reads_and_resumed_loses_nothing(sandbox, tmp_path):
    """SIGKILL while interviews are read (overlapped, mid-page), a full sync and an incremental
    one, each resumed from the last STATE written: every key of the truth lands."""
    sandbox.faults(latency_ms=10)
    loaded, killed = resumed_after_kills(sandbox, tmp_path, "lever", "interviews", [1, 3, 25])
    assert killed >= 4
    assert_resumed_loses_nothing("lever", loaded, sandbox.truth("lever"))


def test_overlap_keeps_order_reads_first_alone_and_skips_the_pool_when_quick(monkeypatch):
    """The helper both providers read through: answers in the items' order; an account's first
    read alone in the caller, then the pool (three reads meet at a barrier, so they overlapped);
    the caller again once reads prove quicker than QUICK_ANSWER; a failure raised in order."""
    caller = threading.current_thread()
    barrier = threading.Barrier(3, timeout=10)
    threads: list[bool] = []

    def read(n: int) -> int:
        threads.append(threading.current_thread() is caller)
        if not threads[-1]:
            barrier.wait()  # breaks (an error) unless three reads are in flight at once
        return n * 10

    reads = overlap.Overlap(3, "test")
    monkeypatch.setattr(overlap, "QUICK_ANSWER", 0.0)  # never quick
    assert list(reads.map(read, range(7), "a")) == [n * 10 for n in range(7)]
    assert threads == [True] + [False] * 6
    threads.clear()
    monkeypatch.setattr(overlap, "QUICK_ANSWER", 1e9)  # learnt after this batch
    assert list(reads.map(read, range(3), "a")) == [0, 10, 20]
    assert threads == [False] * 3
    threads.clear()
    assert list(reads.map(read, range(3), "a")) == [0, 10, 20]
    assert threads == [True] * 3
    threads.clear()
    assert list(reads.map(read, range(2), "b")) == [0, 10]  # another account: first alone
    assert threads == [True, True]

    def failing(n: int) -> int:
        if n == 2:
            raise ValueError(n)
        return n

    monkeypatch.setattr(overlap, "QUICK_ANSWER", 0.0)
    slow = overlap.Overlap(3, "test")
    got: list[int] = []
    with pytest.raises(ValueError, match="2"):
        got.extend(slow.map(failing, range(50), "a"))
    assert got == [0, 1]
    assert list(overlap.Overlap(1, "test").map(read, range(3), "a")) == [0, 10, 20]
