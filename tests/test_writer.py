"""The writer: records in chunks, STATE coalesced but never ahead of the records it covers."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys

from singer_sdk.singerlib import RecordMessage, SchemaMessage, StateMessage

from tap_ats.writer import Writer


def written(monkeypatch, messages: list, state_seconds: float, flush: bool = True) -> list[dict]:
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    writer = Writer()
    writer.STATE_SECONDS = state_seconds
    for message in messages:
        writer.write_message(message)
    if flush:
        writer.flush()
    out.flush()
    return [json.loads(line) for line in out.buffer.getvalue().decode().splitlines()]


def record(n: int) -> RecordMessage:
    return RecordMessage(stream="applications", record={"id": str(n)})


def state(n: int) -> StateMessage:
    return StateMessage(value={"bookmarks": {"applications": {"n": n}}})


def test_states_in_a_burst_are_one_written_after_every_record_before_them(monkeypatch):
    got = written(monkeypatch, [record(1), state(1), record(2), state(2), record(3), state(3)],
                  state_seconds=3600)
    kinds = [(m["type"], m.get("record", m.get("value"))) for m in got]
    # the first state goes out at once; the next ones are held, and the last one wins
    assert [k for k, _ in kinds] == ["RECORD", "STATE", "RECORD", "RECORD", "STATE"]
    assert kinds[2][1] == {"id": "2"} and kinds[3][1] == {"id": "3"}
    assert kinds[1][1] == {"bookmarks": {"applications": {"n": 1}}}
    assert kinds[-1][1] == {"bookmarks": {"applications": {"n": 3}}}


def test_every_state_is_written_when_none_is_due_later(monkeypatch):
    got = written(monkeypatch, [record(1), state(1), record(2), state(2)], state_seconds=0)
    assert [m["type"] for m in got] == ["RECORD", "STATE", "RECORD", "STATE"]


def test_a_held_state_goes_out_before_any_other_message(monkeypatch):
    schema = SchemaMessage(stream="jobs", schema={"type": "object"}, key_properties=["id"])
    got = written(monkeypatch, [state(1), record(1), state(2), schema], state_seconds=3600,
                  flush=False)
    assert [m["type"] for m in got] == ["STATE", "RECORD", "STATE", "SCHEMA"]
    assert got[2]["value"] == {"bookmarks": {"applications": {"n": 2}}}


def test_without_the_final_flush_every_record_is_out_and_an_earlier_state(monkeypatch):
    """The SDK's --test dry run (or a signal) ends without the final flush: no record is kept
    back, and the STATE out is an earlier one, which covers less."""
    got = written(monkeypatch, [record(1), state(1), record(2), state(2), record(3)],
                  state_seconds=3600, flush=False)
    assert [m["type"] for m in got] == ["RECORD", "STATE", "RECORD"]
    assert got[1]["value"] == {"bookmarks": {"applications": {"n": 1}}}


def test_a_record_line_is_the_one_the_sdks_writer_formats(monkeypatch):
    """Records skip format_message for speed; the bytes must stay the SDK's, to the letter."""
    message = RecordMessage(stream="jobs", record={
        "id": "1", "name": "Ingénieur \U0001f680", "n": 2.5, "tags": ["a"], "at": None},
        version=7, time_extracted=dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC))
    out = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out))
    writer = Writer()
    writer.write_message(message)
    writer.flush()
    assert out.getvalue() == bytes(Writer().format_message(message))
