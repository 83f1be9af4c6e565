"""The singer-sdk internals tap-ats still relies on, so that an SDK release that changes them fails
here, by name, instead of silently changing what the tap emits.

Each kept private override exists for a measured reason (given in its docstring):
``Stream._generate_record_messages`` (drop deselected keys at top level: ~20% of CPU),
``Stream._increment_stream_state`` (no per-record bookmark tracking: ~8% of CPU),
``Stream._write_schema_message`` on derived streams (one SCHEMA per run, not per page), and the
call of ``Stream._write_starting_replication_value`` (each account's start bookmark known before
its prefetch worker starts). pyproject pins singer-sdk to the minor range these tests prove.
"""

from __future__ import annotations

import inspect

import pytest
from singer_sdk import Stream
from singer_sdk.streams import RESTStream

from tap_ats.client import ATSStream
from tap_ats.conform import LeanRecords
from tap_ats.derived import DerivedStream
from tap_ats.tap import TapATS

CONFIG = {"provider": "kombo", "api_key": "k", "integration_ids": ["a", "b"],
          "api_url": "http://127.0.0.1:9/v1", "start_date": "2024-01-01T00:00:00Z"}


def params(func: object) -> list[str]:
    return list(inspect.signature(func).parameters)


@pytest.mark.parametrize(("ours", "sdk"), [
    (LeanRecords._generate_record_messages, Stream._generate_record_messages),
    (ATSStream._increment_stream_state, Stream._increment_stream_state),
    (DerivedStream._write_schema_message, Stream._write_schema_message),
])
def test_overridden_private_methods_keep_their_sdk_signature(ours, sdk):
    assert params(ours) == params(sdk), (
        f"singer-sdk changed the signature of {sdk.__qualname__}: {params(sdk)}; tap-ats "
        f"overrides it as {params(ours)} (see its docstring for why) and must follow")


@pytest.mark.parametrize(("caller", "call", "why"), [
    (Stream._write_record_message, "self._generate_record_messages(record)",
     "RECORD messages come from the overridden _generate_record_messages"),
    (Stream._sync_records, "self._increment_stream_state(record, context=current_context)",
     "per-record bookmark tracking is skipped by overriding _increment_stream_state"),
    (Stream._sync_records, "self.post_process(record, current_context)",
     "every record is conformed to its schema in post_process"),
    (Stream.sync, "self._write_schema_message()",
     "a derived stream sends its SCHEMA once per run by overriding _write_schema_message"),
])
def test_sdk_still_calls_what_the_overrides_replace(caller, call, why):
    assert call in inspect.getsource(caller), (
        f"singer-sdk's {caller.__qualname__} no longer calls `{call}`: {why}; re-check the "
        "override against the new SDK before upgrading")


def test_starting_replication_value_is_what_the_prefetch_workers_read():
    """request_records writes each partition's start before its worker sends the filter."""
    state = {"bookmarks": {"applications": {"partitions": [
        {"context": {"account_id": "b"}, "replication_key": "updated_at",
         "replication_key_value": "2025-05-05T05:05:05+00:00"}]}}}
    tap = TapATS(config=CONFIG, state=state, setup_mapper=False)
    stream = tap.streams["applications"]
    for account, expected in (("a", "2024-01-01T00:00:00"), ("b", "2025-05-05T05:05:05")):
        stream._write_starting_replication_value({"account_id": account})
        start = stream.get_starting_timestamp({"account_id": account})
        assert start is not None and start.isoformat().startswith(expected), (
            "singer-sdk's _write_starting_replication_value no longer makes "
            f"get_starting_timestamp see the partition's bookmark ({account}: {start})")


def test_stream_version_attribute_still_exists():
    stream = TapATS(config=CONFIG, setup_mapper=False).streams["jobs"]
    assert hasattr(stream, "_stream_version"), (
        "singer-sdk's Stream no longer has _stream_version, which RECORD messages built by "
        "LeanRecords._generate_record_messages carry (ACTIVATE_VERSION purges depend on it)")


@pytest.mark.parametrize("params", [
    {"page_size": 250, "cursor": "a b/é+&=", "ids": [3, 1], "skip": None, "flag": True},
    "page_size=250&cursor=abc%3D", None])
def test_a_request_prepared_lean_is_the_one_the_sdk_prepares(params):
    """build_prepared_request skips the session's merge step and must not change a byte."""
    stream = TapATS(config=CONFIG, setup_mapper=False).streams["applications"]
    stream.requests_session.cookies.set("lb", "sticky", domain="127.0.0.1", path="/")
    kwargs = {"method": "GET", "url": "http://127.0.0.1:9/v1/ats/applications?x=1",
              "params": params, "headers": {**stream.http_headers, "X-Integration-Id": "a"}}
    ours = stream.build_prepared_request(**kwargs)
    sdk = RESTStream.build_prepared_request(stream, **kwargs)
    assert (ours.method, ours.url, ours.body) == (sdk.method, sdk.url, sdk.body)
    assert dict(ours.headers) == dict(sdk.headers)
    assert ours.headers["Cookie"] == "lb=sticky" and "Authorization" in ours.headers
