"""Kombo against the sandbox: wire details, then end to end through Meltano into DuckDB."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

from conftest import (
    assert_fields_match,
    assert_visits_match_truth,
    discovered_streams,
    last_state,
    records,
    run_tap,
)

STREAMS = ["applications", "application_stages", "jobs", "job_stages", "interviews", "candidates",
           "users", "offers", "rejection_reasons", "sources", "departments", "offices",
           "job_hiring_team", "scorecards"]
#: List endpoints read on every run, each once per integration when it fits on one page.
ENDPOINTS = 8


def list_reads(log: list[dict]) -> list[dict]:
    """The list requests of a run: the filtered reads, and the rejection reasons read whole to
    look their ids up, which serve that stream too (either is the endpoint's one read)."""
    return [e for e in log if "updated_after=" in e["query"]
            or e["path"].endswith("/rejection-reasons")]


def test_discover_lists_only_what_kombo_serves(sandbox, tmp_path):
    assert discovered_streams(sandbox.config("kombo"), tmp_path) == set(STREAMS)


def test_small_pages_repeat_filters_and_every_row_arrives(sandbox, tmp_path):
    """page_size 7 forces many pages; the sandbox refuses a cursor sent with other filters.

    Derived streams are synced once per page, yet send their SCHEMA once: target-duckdb flushes
    every stream on each SCHEMA message.
    """
    rc, messages, err = run_tap(sandbox.config("kombo", page_size=7), tmp_path)
    assert rc == 0, err
    assert sorted(m["stream"] for m in messages if m["type"] == "SCHEMA") == sorted(STREAMS)
    truth = sandbox.truth("kombo")
    for stream in STREAMS:
        got = {(r["account_id"], r["id"]) for r in records(messages, stream)}
        assert got == {tuple(k) for k in truth[stream]["ids"]}, stream
    pages = [e for e in sandbox.log("kombo") if "cursor=" in e["query"]]
    assert len(pages) > 50
    assert all("updated_after=" in e["query"] and "include_deleted=true" in e["query"]
               for e in pages)


def test_each_integration_keeps_its_own_bookmark_at_sync_start(sandbox, tmp_path):
    before = dt.datetime.now(dt.UTC)
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path)
    after = dt.datetime.now(dt.UTC)
    assert rc == 0, err
    parts = last_state(messages)["bookmarks"]["applications"]["partitions"]
    assert {p["context"]["account_id"] for p in parts} == set(
        sandbox.config("kombo")["integration_ids"])
    for p in parts:
        mark = dt.datetime.fromisoformat(p["replication_key_value"])
        assert before <= mark <= after
    assert all(r["account_id"] for r in records(messages, "applications"))


def test_incremental_asks_from_bookmark_minus_lookback(sandbox, tmp_path):
    config = sandbox.config("kombo", lookback_window=10)
    _, messages, _ = run_tap(config, tmp_path)
    state = last_state(messages)
    mark = {p["context"]["account_id"]: p["replication_key_value"]
            for p in state["bookmarks"]["applications"]["partitions"]}
    sandbox.advance(4, "kombo")
    n = len(sandbox.log("kombo"))
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 0, err
    second = list_reads(sandbox.log("kombo")[n:])
    assert len(second) == ENDPOINTS * 2  # 2 integrations, one page each
    apps = [e for e in second if e["path"].endswith("/applications")]
    sent = {dt.datetime.fromisoformat(parse_qs(e["query"])["updated_after"][0].replace(
        "Z", "+00:00")) for e in apps}
    wanted = {dt.datetime.fromisoformat(v) - dt.timedelta(minutes=10) for v in mark.values()}
    assert {s.replace(microsecond=s.microsecond // 1000 * 1000) for s in sent} == {
        w.replace(microsecond=w.microsecond // 1000 * 1000) for w in wanted}
    assert 0 < len(records(messages, "applications")) <= 4


def test_names_and_stage_ids_come_from_nested_objects(sandbox, tmp_path):
    """Stage names, job ids, panels and the stages' remote ids equal the sandbox's truth."""
    rc, messages, err = run_tap(sandbox.config("kombo", page_size=3), tmp_path)
    assert rc == 0, err
    assert_fields_match(sandbox, "kombo", messages)
    stages = records(messages, "job_stages")
    jobs = {(r["account_id"], r["id"]): r["raw"] for r in records(messages, "jobs")}
    for stage in stages:
        source = [s for s in jobs[stage["account_id"], stage["job_id"]]["stages"]
                  if s["id"] == stage["id"]]
        assert stage["raw"] == source[0]
    assert all(r["stage_name"] for r in records(messages, "application_stages"))


def test_deleted_rows_carry_deleted_at(sandbox, tmp_path):
    sandbox.advance(60, "kombo")
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 0, err
    deleted = [r for r in records(messages, "applications") if r["deleted_at"]]
    truth = sandbox.truth("kombo")["applications"]["deleted_ids"]
    assert deleted and len(deleted) == len(truth)
    assert all(r["_sdc_deleted_at"] == r["deleted_at"] for r in deleted)


def test_include_raw_false_drops_raw(sandbox, tmp_path):
    rc, messages, _ = run_tap(sandbox.config("kombo", include_raw=False), tmp_path)
    assert rc == 0
    assert all(r["raw"] is None for r in records(messages, "applications"))


def test_unknown_integration_fails_alone_and_run_exits_nonzero(sandbox, tmp_path):
    config = sandbox.config("kombo")
    good = config["integration_ids"][0]
    config["integration_ids"] = [good, "personio:doesnotexist"]
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 3
    assert "personio:doesnotexist" in err and "INTEGRATION_NOT_FOUND" in err
    assert "Traceback" not in err
    parts = last_state(messages)["bookmarks"]["applications"]["partitions"]
    marks = {p["context"]["account_id"]: p.get("replication_key_value") for p in parts}
    assert marks[good] and not marks.get("personio:doesnotexist")
    assert {r["account_id"] for r in records(messages, "applications")} == {good}


def test_rejection_reasons_are_read_once_per_integration_and_served_incrementally(
        sandbox, tmp_path):
    """The lookup that fills ``rejection_reason_id`` reads the list whole, deleted rows too; the
    ``rejection_reasons`` stream is served from it: every row on a first sync, only the rows
    changed since its bookmark after, and the bookmark is the time that read began."""
    config = sandbox.config("kombo")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    reads = [e for e in sandbox.log("kombo") if e["path"].endswith("/rejection-reasons")]
    assert len(reads) == 2 and all(parse_qs(e["query"]) == {
        "page_size": ["250"], "include_deleted": ["true"]} for e in reads), reads
    truth = sandbox.truth("kombo")
    assert {(r["account_id"], r["id"]) for r in records(messages, "rejection_reasons")} == {
        tuple(k) for k in truth["rejection_reasons"]["ids"]}
    assert any(r["rejection_reason_id"] for r in records(messages, "applications"))
    state = last_state(messages)
    before = {p["context"]["account_id"]: p["replication_key_value"]
              for p in state["bookmarks"]["rejection_reasons"]["partitions"]}
    sandbox.advance(30, "kombo")  # rejects applications: the lookup is read again
    n = len(sandbox.log("kombo"))
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 0, err
    reads = [e for e in sandbox.log("kombo")[n:] if e["path"].endswith("/rejection-reasons")]
    assert len(reads) == 2 and all("updated_after" not in e["query"] for e in reads)
    assert not records(messages, "rejection_reasons")  # none changed since the bookmark
    after = {p["context"]["account_id"]: p["replication_key_value"]
             for p in last_state(messages)["bookmarks"]["rejection_reasons"]["partitions"]}
    assert after.keys() == before.keys() and all(after[a] > before[a] for a in after)


def test_meltano_full_then_incremental_equals_truth(sandbox, warehouse):
    config = sandbox.config("kombo")
    warehouse.run(config)
    warehouse.assert_equals_truth(sandbox.truth("kombo"), STREAMS)
    first = len(sandbox.log("kombo"))
    assert len(list_reads(sandbox.log("kombo"))) == ENDPOINTS * 2  # one page per endpoint
    sandbox.advance(30, "kombo")
    warehouse.run(config)
    assert len(list_reads(sandbox.log("kombo")[first:])) == ENDPOINTS * 2
    truth = sandbox.truth("kombo")
    warehouse.assert_equals_truth(truth, STREAMS)
    assert truth["applications"]["deleted_ids"], "the advance should have deleted something"
    sandbox.advance(30, "kombo")
    warehouse.run(config)
    truth = sandbox.truth("kombo")
    warehouse.assert_equals_truth(truth, STREAMS)
    visits = assert_visits_match_truth(warehouse, truth)
    closed = [v for v in truth["stage_visits"] if v["exited_at"]]
    assert visits > 200 and closed, "two rounds of stage moves should close some visits"
