"""State at a cost per account flat in accounts: the index, and the live state the writer holds."""

from __future__ import annotations

import io
import json
import sys

import pytest
from singer_sdk.helpers._state import _find_in_partitions_list
from singer_sdk.singerlib import RecordMessage, StateMessage

from tap_ats.state import HeldStateWriter, IndexedStateManager
from tap_ats.writer import Writer


def manager(state: dict) -> IndexedStateManager:
    return IndexedStateManager(stream_name="applications", tap_state=state)


def test_an_account_entry_is_the_one_the_sdks_scan_finds_and_is_created_once():
    state = {"bookmarks": {"applications": {"partitions": [
        {"context": {"account_id": f"a{n}"}, "replication_key_value": str(n)}
        for n in range(500)]}}}
    states = manager(state)
    for n in (0, 499, 250):
        found = states.get_context_state({"account_id": f"a{n}"})
        assert found is _find_in_partitions_list(
            state["bookmarks"]["applications"]["partitions"], {"account_id": f"a{n}"})
    new = states.get_context_state({"account_id": "new"})
    new["replication_key_value"] = "x"
    assert states.get_context_state({"account_id": "new"}) is new
    partitions = state["bookmarks"]["applications"]["partitions"]
    assert len(partitions) == 501 and partitions[-1] == {
        "context": {"account_id": "new"}, "replication_key_value": "x"}


def test_entries_appended_elsewhere_are_found_and_a_replaced_list_is_indexed_anew():
    state: dict = {}
    states = manager(state)
    states.get_context_state({"account_id": "a"})
    partitions = state["bookmarks"]["applications"]["partitions"]
    partitions.append({"context": {"account_id": "b"}, "replication_key_value": "1"})
    assert states.get_context_state({"account_id": "b"}) is partitions[-1]
    assert len(partitions) == 2
    state["bookmarks"]["applications"]["partitions"] = [{"context": {"account_id": "a"}, "v": 2}]
    assert states.get_context_state({"account_id": "a"})["v"] == 2


def test_a_duplicate_partition_in_the_state_is_refused_as_the_sdk_refuses_it():
    state = {"bookmarks": {"applications": {"partitions": [
        {"context": {"account_id": "a"}}, {"context": {"account_id": "a"}}]}}}
    with pytest.raises(ValueError, match="duplicate"):
        manager(state).get_context_state({"account_id": "a"})


def test_no_context_is_the_stream_state():
    state: dict = {}
    assert manager(state).get_context_state(None) is state["bookmarks"]["applications"]


def written(monkeypatch, steps) -> list[dict]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    writer = Writer()
    writer.STATE_SECONDS = 3600
    held = HeldStateWriter(writer)
    for step in steps:
        step(writer, held)
    writer.flush()
    out.flush()
    return [json.loads(line) for line in out.buffer.getvalue().decode().splitlines()]


def test_the_live_state_is_written_as_it_is_then_after_the_records_before_it(monkeypatch):
    """Held by reference: a bookmark moved after the hold is in the STATE written at the end,
    which follows every record; an unchanged state is not written twice."""
    live: dict = {"bookmarks": {"jobs": {"partitions": []}}}
    record = RecordMessage(stream="jobs", record={"id": "1"})
    got = written(monkeypatch, [
        lambda _w, held: held.write_state(live),
        lambda w, _h: w.write_message(record),
        lambda _w, held: held.write_state(live),
        lambda _w, _h: live["bookmarks"]["jobs"]["partitions"].append(
            {"context": {"account_id": "a"}, "replication_key_value": "t"}),
        lambda _w, held: held.write_state(live),
    ])
    assert [m["type"] for m in got] == ["STATE", "RECORD", "STATE"]
    assert got[0]["value"] == {"bookmarks": {"jobs": {"partitions": []}}}
    assert got[2]["value"]["bookmarks"]["jobs"]["partitions"][0]["context"] == {"account_id": "a"}


def test_an_unchanged_state_is_not_written_again(monkeypatch):
    state = {"bookmarks": {"jobs": {}}}
    got = written(monkeypatch, [
        lambda w, _h: w.write_message(StateMessage(value=state)),
        lambda w, _h: w.flush(),
        lambda w, _h: w.write_message(StateMessage(value=dict(state))),
    ])
    assert [m["type"] for m in got] == ["STATE"]


def test_a_state_line_is_the_one_the_sdks_writer_formats(monkeypatch):
    state = {"bookmarks": {"jobs": {"partitions": [{"context": {"account_id": "é"},
                                                     "replication_key_value": "2026"}]}}}
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out))
    writer = Writer()
    writer.hold_state(state)
    writer.flush()
    assert out.getvalue() == bytes(Writer().format_message(StateMessage(value=state)))
