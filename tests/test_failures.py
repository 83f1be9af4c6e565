"""Issue 12 end to end: nothing lost silently, bounded hangs, honest exits, one clear line.

Every case runs the tap CLI against the sandbox (or the ``listener`` fixture serving bodies the
sandbox would not), as a scheduler, a flaky API and a careless user would.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import TAP, SandboxClient, records, run_tap
from jsonschema import Draft7Validator, FormatChecker
from test_reliability import assert_matches, assert_resumed_loses_nothing, streams_of
from test_security import SECRET_KEYS, bookmarks, error_line

from tap_ats.sandbox.server import Sandbox

PROVIDERS = sorted(Sandbox().apis)
CURSORED = ["greenhouse", "kombo", "merge", "ashby", "lever"]

# Schema validation with the formats really checked ---------------------------------------------

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
CHECKER = FormatChecker(formats=())


@CHECKER.checks("date-time", raises=ValueError)
def _date_time(value: Any) -> bool:
    """RFC 3339: the shape, then a real instant (no month 13, no hour 99)."""
    if not isinstance(value, str):
        return True
    if not RFC3339.fullmatch(value):
        return False
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@CHECKER.checks("date", raises=ValueError)
def _date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    dt.date.fromisoformat(value)
    return len(value) == 10


def assert_valid(messages: list[dict]) -> int:
    """Every RECORD validates against the last SCHEMA of its stream; how many there were."""
    validators: dict[str, Draft7Validator] = {}
    count = 0
    for m in messages:
        if m["type"] == "SCHEMA":
            validators[m["stream"]] = Draft7Validator(m["schema"], format_checker=CHECKER)
        elif m["type"] == "RECORD":
            errors = [e.message for e in validators[m["stream"]].iter_errors(m["record"])]
            assert not errors, (m["stream"], m["record"].get("id"), errors[:3])
            count += 1
    return count


def test_the_format_checker_really_checks():
    for bad in ("yesterday", "2024-13-45T99:00:00Z", "2024-03-05", "2024-03-05 10:00:00Z",
                "2024-03-05T10:00:00"):
        assert not CHECKER.conforms(bad, "date-time"), bad
    for good in ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00.123+02:00"):
        assert CHECKER.conforms(good, "date-time"), good
    assert CHECKER.conforms("2024-03-05", "date")
    assert not CHECKER.conforms("2024-02-30", "date")
    assert not CHECKER.conforms("2024-03-05T10:00:00Z", "date")


# Helpers ---------------------------------------------------------------------------------------


def keyed(messages: list[dict]) -> dict[str, set]:
    """(account_id, id) of every RECORD, by stream."""
    out: dict[str, set] = {}
    for m in messages:
        if m["type"] == "RECORD":
            out.setdefault(m["stream"], set()).add((m["record"]["account_id"], m["record"]["id"]))
    return out


def by_key(messages: list[dict]) -> dict[tuple[str, str, str], dict]:
    """Every RECORD by (stream, account_id, id), the last one written winning."""
    return {(m["stream"], m["record"]["account_id"], m["record"]["id"]): m["record"]
            for m in messages if m["type"] == "RECORD"}


def warnings(err: str, needle: str) -> Counter:
    """WARNING lines containing ``needle``, counted by the stream they start with."""
    found: Counter = Counter()
    for line in err.splitlines():
        if "WARNING" in line and needle in line:
            found[line.split("| ")[-1].split(":")[0]] += 1
    return found


def at(record: Any, path: str) -> Any:
    """The value at a dotted path (``candidate.first_name``, ``stages.0.name``)."""
    for part in path.split("."):
        record = record[int(part)] if isinstance(record, list) else record[part]
    return record


def instant(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def run_args(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([TAP, *args], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


# 1. Empty pages and pagination loops -----------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_empty_pages_with_a_cursor_lose_nothing(sandbox, tmp_path, provider):
    sandbox.faults(empty_pages=0.3)
    rc, messages, err = run_tap(sandbox.config(provider, page_size=10), tmp_path)
    assert rc == 0, err[-3000:]
    assert sum(e["status"] == "empty" for e in sandbox.log(provider)) >= 3
    truth = sandbox.truth(provider)
    got = keyed(messages)
    assert_matches(provider, {s: got.get(s, set()) for s in streams_of(truth)}, truth)


@pytest.mark.parametrize("provider", CURSORED)
def test_a_repeating_cursor_stops_without_moving_the_bookmark(sandbox, tmp_path, provider):
    sandbox.faults(repeat_cursor=1.0)
    rc, messages, err = run_tap(sandbox.config(provider, page_size=10), tmp_path)
    assert rc == 3
    assert "pagination loop" in error_line(err)
    truth, got = sandbox.truth(provider), keyed(messages)
    moved = {stream for stream, _ in bookmarks(messages)}
    assert "applications" not in moved and "candidates" not in moved
    for stream in moved:  # only a stream of one page, read in full, moves on
        assert got[stream] == {tuple(k) for k in truth[stream]["ids"]}, stream
    assert any(e["status"] == "repeat" for e in sandbox.log(provider))


# 2. Bounded time -------------------------------------------------------------------------------


def test_a_hung_api_ends_within_90_s_naming_request_timeout(sandbox, tmp_path):
    """Concurrent and sequential reads of two accounts, both runs started at once."""
    sandbox.faults(hang=3600)
    runs = []
    for concurrency in (4, 1):
        cfg = tmp_path / f"config-{concurrency}.json"
        cfg.write_text(json.dumps(sandbox.config("kombo", request_timeout=3,
                                                 max_concurrency=concurrency)))
        err = (tmp_path / f"stderr-{concurrency}").open("w+")
        runs.append((concurrency, err, subprocess.Popen([TAP, "--config", str(cfg)],
                                                        stdout=subprocess.DEVNULL, stderr=err)))
    started = time.monotonic()
    try:
        for concurrency, err, proc in runs:
            rc = proc.wait(timeout=180)
            elapsed = time.monotonic() - started
            err.seek(0)
            text = err.read()
            assert rc == 1, text[-3000:]
            assert elapsed < 90, (concurrency, elapsed)
            line = error_line(text)
            assert "request_timeout (3 s)" in line, line
            assert "unreachable" not in line
    finally:
        for _, err, proc in runs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()


# 3. Honest exit --------------------------------------------------------------------------------


def _signalled_run(config: Path, state: Path | None, after: int, sig: int,
                   tmp_path: Path) -> tuple[list[dict], int, str]:
    """Run the tap, send ``sig`` after ``after`` lines, read what it still writes; its output.

    Reading on after the signal is what a target does; stdout must end in a whole message.
    """
    cmd = [TAP, "--config", str(config)] + (["--state", str(state)] if state else [])
    with (tmp_path / "stderr").open("w+") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err)
        out, lines = b"", 0
        for line in proc.stdout:
            out += line
            lines += 1
            if lines == after:
                proc.send_signal(sig)
                break
        out += proc.stdout.read()
        rc = proc.wait(timeout=60)
        err.seek(0)
        text = err.read()
    assert not out or out.endswith(b"\n")
    return [json.loads(line) for line in out.splitlines()], rc, text


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sigterm_and_sigint_exit_non_zero_and_resume_loses_nothing(sandbox, tmp_path, provider):
    rng = random.Random(f"signals-{provider}")
    sandbox.faults(latency_ms=15)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(sandbox.config(provider, page_size=10)))
    state_file = tmp_path / "state.json"
    loaded: dict[str, set] = {}
    stopped = Counter()
    for attempt, sig in enumerate([signal.SIGTERM, signal.SIGINT, signal.SIGTERM, None]):
        if attempt == 2:
            sandbox.advance(15, provider)
        state = state_file if state_file.exists() else None
        after = rng.randint(5, 150) if sig else 10**9
        messages, rc, err = _signalled_run(config, state, after, sig or 0, tmp_path)
        if sig is None:
            assert rc == 0, err[-3000:]
        elif rc != 0:  # the run may have finished before the signal: then it owes nothing
            assert rc == 128 + sig, (sig, rc, err[-2000:])
            assert f"stopped by {signal.Signals(sig).name}" in error_line(err)
            stopped[sig] += 1
        for stream, keys in keyed(messages).items():
            loaded.setdefault(stream, set()).update(keys)
        if states := [m["value"] for m in messages if m["type"] == "STATE"]:
            state_file.write_text(json.dumps(states[-1]))
    assert stopped[signal.SIGTERM] >= 1 and stopped[signal.SIGINT] >= 1, stopped
    assert_resumed_loses_nothing(provider, loaded, sandbox.truth(provider))


def test_a_closed_stdout_is_one_line_and_exit_1(sandbox, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(sandbox.config("kombo")))
    with (tmp_path / "stderr").open("w+") as err:
        proc = subprocess.Popen([TAP, "--config", str(cfg)], stdout=subprocess.PIPE, stderr=err)
        proc.stdout.close()
        rc = proc.wait(timeout=60)
        err.seek(0)
        text = err.read()
    assert rc == 1
    assert "stdout was closed" in error_line(text)


# 4. and 5. Bad bytes, bad records --------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_bytes_become_u_fffd_and_every_row_lands(sandbox, tmp_path, provider):
    """Each spoiled field holds U+FFFD; one WARNING per stream, all together counting each.

    A character is counted by the stream whose request read it (ATZ histories: candidates).
    """
    sandbox.faults(bad_bytes=1.0)
    rc, messages, err = run_tap(sandbox.config(provider), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth(provider)
    got = keyed(messages)
    assert_matches(provider, {s: got.get(s, set()) for s in streams_of(truth)}, truth)
    damaged = [d for d in sandbox.damaged() if d["fault"] == "bad_bytes"]
    assert {d["kind"] for d in damaged} == {"invalid_utf8", "lone_surrogate"}
    landed = by_key(messages)
    for d in damaged:
        record = landed[d["stream"], d["account"], d["id"]]
        assert "\ufffd" in d["expected"]
        assert at(record["raw"], d["field"]) == d["expected"], d
    warned = warnings(err, "U+FFFD")
    assert set(warned.values()) == {1}, warned
    counted = [int(n) for n in re.findall(r"\| \w+: (\d+) character\(s\)", err)]
    assert sum(counted) == len(damaged), (counted, len(damaged))
    assert assert_valid(messages)


def _times(schema: dict) -> set[str]:
    return {k for k, v in schema["properties"].items() if v.get("format") == "date-time"}


def _as_instant(value: Any) -> dt.datetime | None:
    return instant(value) if isinstance(value, str) and RFC3339.fullmatch(value) else None


def ts_like(value: Any) -> Any:
    """An RFC 3339 rendering of a provider time as the sandbox serves it (``Z`` or offset).

    A large integer is milliseconds since the epoch, as Lever sends every time.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value > 10**11:
        stamp = dt.datetime.fromtimestamp(value / 1000, dt.UTC)
        return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, str) and len(value) >= 19:
        try:
            return instant(value).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        except ValueError:
            return value
    return value


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_record_is_valid_and_bad_records_are_repaired(sandbox, tmp_path, provider):
    """A clean run and one where every list page's first record is spoiled, compared.

    A date-time column of a spoiled record that changed holds null or the instant of one of
    the odd shapes served in it; a column named like the spoiled field holds that instant; a
    column that held a spoiled id holds the id as a string; the nulls are counted in one
    WARNING per stream.
    """
    rc, clean_messages, err = run_tap(sandbox.config(provider), tmp_path)
    assert rc == 0, err[-3000:]
    assert assert_valid(clean_messages) > 500
    clean = by_key(clean_messages)

    sandbox.reset()
    sandbox.faults(bad_records=1.0)
    rc, messages, err = run_tap(sandbox.config(provider), tmp_path)
    assert rc == 0, err[-3000:]
    assert assert_valid(messages) > 500
    truth = sandbox.truth(provider)
    got = keyed(messages)
    assert_matches(provider, {s: got.get(s, set()) for s in streams_of(truth)}, truth)
    schemas = {m["stream"]: m["schema"] for m in messages if m["type"] == "SCHEMA"}

    damaged = sandbox.damaged()
    kinds = Counter(d["kind"] for d in damaged)
    assert kinds["odd_time"] and kinds["unreadable_time"] and kinds["integer_id"], kinds
    landed = by_key(messages)
    spoiled: dict[tuple[str, str, str], list[dict]] = {}
    for d in damaged:
        spoiled.setdefault((d["stream"], d["account"], d["id"]), []).append(d)
    nulled: Counter = Counter()
    named = 0
    for key, damage in spoiled.items():
        record, before = landed[key], clean[key]
        times = _times(schemas[key[0]])
        odd = {instant(d["expected"]) for d in damage if d["kind"] == "odd_time"}
        fields: dict[str, list[dict]] = {}
        for d in damage:  # a record read twice (a lookup and its own stream) is spoiled twice
            fields.setdefault(d["field"], []).append(d)
        for field, same in fields.items():
            assert at(record["raw"], field) in [d["served"] for d in same], same
            original = at(before["raw"], field)
            kinds = {d["kind"] for d in same}
            # The column of the same name, snake_cased where the API words it in camelCase.
            column = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", field).lower()
            if "odd_time" in kinds and column in times and (
                    _as_instant(before[column]) == _as_instant(ts_like(original))):
                allowed = {instant(d["expected"]) for d in same if d["expected"]}
                allowed |= {None} if "unreadable_time" in kinds else set()
                assert _as_instant(record[column]) in allowed, (key, column, record[column],
                                                                same)
                named += 1
            if "integer_id" in kinds:
                expected = {d["expected"] for d in same}
                for column, value in before.items():
                    if column != "raw" and value == original:
                        assert record[column] in expected, (key, column, same)
                    elif isinstance(value, list) and original in value:
                        assert expected & set(record[column]), (key, column, same)
        for column in times:
            if record[column] == before[column]:
                continue
            if record[column] is None:
                nulled[key[0]] += 1
            else:
                assert _as_instant(record[column]) in odd, (key, column, record[column], odd)
    assert named, "no spoiled time field mapped to a column of its own name"
    unreadable = Counter(d["stream"] for d in damaged if d["kind"] == "unreadable_time")
    warned = warnings(err, "could not be understood")
    assert set(warned.values()) <= {1}, warned
    assert set(nulled) <= set(warned) <= set(unreadable), (warned, nulled, unreadable)
    for stream in warned:
        n = int(re.search(rf"\| {stream}: (\d+) value\(s\)", err).group(1))
        assert nulled[stream] <= n <= unreadable[stream], (stream, n, nulled, unreadable)


# 6. and 7. User mistakes -----------------------------------------------------------------------


def _state(stream: str, account: str, value: str) -> dict:
    return {"bookmarks": {stream: {"partitions": [{
        "context": {"account_id": account}, "replication_key": "updated_at",
        "replication_key_value": value}]}}}


KOMBO_ACCOUNT = "personio:8d1hHv8Dqs5sjPsW"
FILE_MISTAKES = [
    ("config missing", None, "config file", "does not exist"),
    ("config a directory", "DIR", "config file", "is a directory"),
    ("config not JSON", "{provider: kombo", "config file", "is not valid JSON"),
    ("config a list", "[1, 2]", "config file", "must hold a JSON object, not a list"),
    ("state not JSON", "{{", "state file", "is not valid JSON"),
    ("state a list", "[]", "state file", "must hold a JSON object, not a list"),
    ("state bookmarks a list", '{"bookmarks": []}', "state file", "'bookmarks' must be an object"),
    ("bookmark not a date", json.dumps(_state("applications", KOMBO_ACCOUNT, "last week")),
     "state file", "'last week', not an RFC 3339 date-time"),
    ("catalog not JSON", "nope", "catalog file", "is not valid JSON"),
]


@pytest.mark.parametrize(("case", "content", "kind", "expected"), FILE_MISTAKES,
                         ids=[c[0] for c in FILE_MISTAKES])
def test_a_bad_file_is_one_line_and_exit_2(sandbox, tmp_path, case, content, kind, expected):
    good = tmp_path / "config.json"
    good.write_text(json.dumps(sandbox.config("kombo")))
    bad = tmp_path / "bad.json"
    if content == "DIR":
        bad = tmp_path
    elif content is not None:
        bad.write_text(content)
    option = {"config file": "--config", "state file": "--state", "catalog file": "--catalog"}
    args = ["--config", str(bad)] if kind == "config file" else [
        "--config", str(good), option[kind], str(bad)]
    rc, out, err = run_args(*args)
    assert rc == 2
    line = error_line(err)
    assert kind in line and expected in line, line
    assert out == "" and sandbox.requests("kombo") == 0


def test_a_future_bookmark_is_refused_naming_stream_partition_and_value(sandbox, tmp_path):
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path,
                                _state("applications", KOMBO_ACCOUNT, future))
    assert rc == 2
    line = error_line(err)
    assert "'applications'" in line and KOMBO_ACCOUNT in line and future in line, line
    assert records(messages, "applications") == []
    assert sandbox.requests("kombo") == 0


SETTING_MISTAKES = [
    ("kombo", {"page_size": "ten"}, "setting 'page_size' must be of type integer, got string"),
    ("kombo", {"api_key": 4815162342}, "setting 'api_key' must be of type string, got integer"),
    ("merge", {"account_tokens": "mtok_acme_8c1d0b7f"},
     "setting 'account_tokens' must be of type array, got string"),
    ("kombo", {"max_requests_per_minute": 0}, "setting 'max_requests_per_minute' must be a number"),
    ("kombo", {"max_requests_per_minute": -2.5},
     "setting 'max_requests_per_minute' must be a number above 0"),
    ("kombo", {"max_requests_per_minute": "fast"},
     "setting 'max_requests_per_minute' must be a number, got 'fast'"),
    ("kombo", {"request_timeout": 0}, "setting 'request_timeout' must be a number above 0"),
    ("kombo", {"ca_bundle": "/nonexistent/ca.pem"}, "setting 'ca_bundle'"),
    ("kombo", {"ca_bundle": "/tmp"}, "setting 'ca_bundle'"),
    ("kombo", {"include_raw": "yes"}, "setting 'include_raw' must be of type boolean"),
]


@pytest.mark.parametrize(("provider", "change", "expected"), SETTING_MISTAKES)
def test_a_bad_setting_is_one_line_and_exit_2(sandbox, tmp_path, provider, change, expected):
    rc, messages, err = run_tap(sandbox.config(provider, **change), tmp_path)
    assert rc == 2
    line = error_line(err)
    assert expected in line, line
    for key, value in change.items():
        if key in SECRET_KEYS:  # a secret setting's value is never echoed
            assert str(value) not in err
    assert messages == [] and sandbox.requests(provider) == 0


def test_an_unknown_cli_option_is_one_line_and_exit_2(sandbox, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(sandbox.config("kombo")))
    rc, _, err = run_args("--config", str(cfg), "--frobnicate")
    assert rc == 2
    assert "--frobnicate" in error_line(err)


def test_a_float_budget_is_a_rate_and_an_unknown_key_is_named(sandbox, tmp_path):
    config = sandbox.config("merge", max_requests_per_minute=12000.5, colour="blue")
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    assert records(messages, "applications")
    assert [line for line in err.splitlines() if "WARNING" in line and "colour" in line]


# Bodies the sandbox does not serve, from the listener as the configured API -------------------


def test_a_body_without_its_envelope_stops_the_account(listener, tmp_path, sandbox):
    listener.respond({"status": "success", "warnings": []})
    rc, messages, err = run_tap(sandbox.config("kombo", api_url=f"{listener.url}/v1"), tmp_path)
    assert rc == 3
    assert "without the envelope" in error_line(err)
    assert records(messages, "applications") == [] and bookmarks(messages) == {}


def _atz_candidate(sandbox: SandboxClient) -> tuple[dict, list, dict]:
    """A real ATZ candidate, its history and the job of its first row, as the sandbox serves."""
    config = sandbox.config("atzcrm")
    get = requests.Session()
    get.headers["Authorization"] = f"Bearer {config['api_token']}"
    first = get.get(f"{config['api_url']}/candidate", params={"page": 1, "limit": 1},
                    timeout=10).json()["data"][0]
    history = get.get(f"{config['api_url']}/candidate/{first['slug']}/history",
                      timeout=10).json()
    job = get.get(f"{config['api_url']}/job/{history[0]['job_slug']}", timeout=10).json()
    return first, history, job


def _serve_atz(listener, candidate: dict, history: Any, job: dict) -> None:
    listener.respond({"current_page": 1, "data": [candidate], "last_page": 1, "per_page": 100,
                      "total": 1}, path="/v1/candidate")
    listener.respond(history, path=f"/v1/candidate/{candidate['slug']}/history")
    for row in history if isinstance(history, list) else []:
        if isinstance(row, dict):
            listener.respond(job, path=f"/v1/job/{row['job_slug']}")
    listener.respond({"message": "not found"}, status=404)


def test_an_atz_history_row_that_is_not_an_object(listener, sandbox, tmp_path):
    candidate, history, job = _atz_candidate(sandbox)
    _serve_atz(listener, candidate, [*history, "a string", 7], job)
    rc, messages, err = run_tap(sandbox.config("atzcrm", api_url=f"{listener.url}/v1"), tmp_path)
    assert rc == 3
    line = error_line(err)
    assert "history" in line and candidate["slug"] in line, line
    assert bookmarks(messages) == {}


def test_an_atz_slug_that_is_a_number_lands_as_a_string(listener, sandbox, tmp_path):
    candidate, history, job = _atz_candidate(sandbox)
    _serve_atz(listener, {**candidate, "slug": 4711}, history, job)
    rc, messages, err = run_tap(sandbox.config("atzcrm", api_url=f"{listener.url}/v1"), tmp_path)
    assert rc == 0, err[-3000:]
    assert [r["id"] for r in records(messages, "candidates")] == ["4711"]
    assert {r["candidate_id"] for r in records(messages, "candidate_history")} == {"4711"}
    assert len(records(messages, "candidate_history")) == len(history)
    assert assert_valid(messages)
    assert "/v1/candidate/4711/history" in {r["path"] for r in listener.requests}


# 8. Per-account failure ------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["kombo", "merge"])
def test_one_failing_account_is_named_and_the_others_complete(sandbox, tmp_path, provider):
    config = sandbox.config(provider)
    key = "integration_ids" if provider == "kombo" else "account_tokens"
    sandbox.faults(**{"5xx_account": config[key][1], "retry_after": 0})
    # A short retry budget: the account never recovers, so any budget ends the same way.
    rc, messages, err = run_tap({**config, "retry_budget": 2}, tmp_path)
    assert rc == 3
    line = error_line(err)
    assert "unreachable" not in line and "503" in line, line
    assert f"/{provider}/" in line and "?" not in line, line
    truth = sandbox.truth(provider)
    good = {a for a, _ in truth["applications"]["ids"]} & {
        a for a, _ in keyed(messages).get("applications", set())}
    assert len(good) == 1
    (account,) = good
    failed = ({a for a, _ in truth["applications"]["ids"]} - good).pop()
    assert failed in line or "#2" in line, line
    got = keyed(messages)
    for stream in ("applications", "candidates", "interviews", "jobs"):
        expected = {tuple(k) for k in truth[stream]["ids"] if k[0] == account}
        assert got.get(stream, set()) == expected, stream
    moved = bookmarks(messages)
    assert {a for _, a in moved} == {account}
    assert {s for s, _ in moved} >= {"applications", "candidates", "interviews", "jobs"}
