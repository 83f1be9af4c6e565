"""Shared fixtures: a sandbox per test that needs a clean world, and helpers to run the tap."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from tap_ats.sandbox.demo import dbt, fetch, meltano_env, meltano_run, meltano_state_clear
from tap_ats.sandbox.server import Sandbox, serve_in_thread

TAP = str(Path(sys.executable).with_name("tap-ats"))


class SandboxClient:
    """A running sandbox and the control calls tests make on it."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.server = serve_in_thread(sandbox)
        self.sandbox = sandbox
        self.url = self.server.base_url

    def config(self, provider: str, **overrides: Any) -> dict[str, Any]:
        return {**fetch(f"{self.url}/_sandbox/config/{provider}"), **overrides}

    def truth(self, provider: str) -> dict[str, Any]:
        return fetch(f"{self.url}/_sandbox/truth/{provider}")

    def advance(self, changes: int, provider: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"changes": changes}
        if provider:
            body["provider"] = provider
        return fetch(f"{self.url}/_sandbox/advance", body)

    def faults(self, **rates: float | str) -> None:
        fetch(f"{self.url}/_sandbox/faults", {str(k).lstrip("_"): v for k, v in rates.items()})

    def damaged(self) -> list[dict[str, Any]]:
        """Every field the ``bad_bytes``/``bad_records`` faults spoiled so far."""
        return fetch(f"{self.url}/_sandbox/damaged")["damaged"]

    def reset(self, **options: bool) -> None:
        """A fresh world (``odd_slugs=True``: ATZ slugs that need encoding), faults off."""
        fetch(f"{self.url}/_sandbox/reset", options)

    def requests(self, provider: str) -> int:
        return fetch(f"{self.url}/_sandbox/requests")["counts"].get(provider, 0)

    def log(self, provider: str) -> list[dict[str, Any]]:
        return [e for e in fetch(f"{self.url}/_sandbox/requests")["log"]
                if e["provider"] == provider]


@pytest.fixture
def sandbox() -> SandboxClient:
    """A fresh sandbox (small world, seed 42) on its own port."""
    client = SandboxClient(Sandbox(seed=42, applications=200))
    yield client
    client.server.shutdown()


class Listener:
    """A foreign host on 127.0.0.1: records every request that reaches it, answers ``body``.

    ``requests`` holds one dict per request: ``method``, ``path``, ``query`` (parsed),
    ``raw_query``, ``headers`` (every header, names lower-cased) and ``body`` (bytes).
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status, self.body = 200, b"[]"
        #: Answers for single paths, ``path -> (status, body)``, before the default one.
        self.routes: dict[str, tuple[int, bytes]] = {}
        listener = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                listener.requests.append({
                    "method": self.command, "path": split.path, "raw_query": split.query,
                    "query": parse_qs(split.query, keep_blank_values=True),
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": self.rfile.read(length) if length else b""})
                status, body = listener.routes.get(split.path, (listener.status, listener.body))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def respond(self, body: Any, status: int = 200, path: str | None = None) -> None:
        """Answer later requests (only those to ``path`` if given) with ``body`` and ``status``.

        ``body`` is sent as JSON unless it is bytes.
        """
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        if path is None:
            self.status, self.body = status, payload
        else:
            self.routes[path] = (status, payload)


@pytest.fixture
def listener() -> Listener:
    """A recording HTTP server on its own port: the foreign host of the security tests."""
    foreign = Listener()
    yield foreign
    foreign.server.shutdown()
    foreign.server.server_close()


def run_tap(config: dict[str, Any], tmp_path: Path, state: dict | None = None,
            *args: str, catalog: dict | None = None) -> tuple[int, list[dict], str]:
    """Run the tap CLI; return its exit code, Singer messages and stderr."""
    tag = uuid.uuid4().hex[:8]
    cfg = tmp_path / f"config-{tag}.json"
    cfg.write_text(json.dumps(config))
    cmd = [TAP, "--config", str(cfg), *args]
    if state is not None:
        path = tmp_path / f"state-{tag}.json"
        path.write_text(json.dumps(state))
        cmd += ["--state", str(path)]
    if catalog is not None:
        path = tmp_path / f"catalog-{tag}.json"
        path.write_text(json.dumps(catalog))
        cmd += ["--catalog", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    messages = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, messages, proc.stderr


def killed_run(config: Path, state: Path | None, kill_at: int,
               stream: str | None = None) -> tuple[list[dict], bool]:
    """Run the tap and SIGKILL it once it wrote ``kill_at`` lines (or, with ``stream``, that
    many RECORDs of it); what it wrote, and whether it was killed before it ended."""
    cmd = [TAP, "--config", str(config)] + (["--state", str(state)] if state else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    messages, seen = [], 0
    for line in proc.stdout:
        messages.append(json.loads(line))
        seen += stream is None or (messages[-1]["type"] == "RECORD"
                                   and messages[-1]["stream"] == stream)
        if seen >= kill_at:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait()
    return messages, proc.returncode == -signal.SIGKILL


def discovered_streams(config: dict[str, Any], tmp_path: Path) -> set[str]:
    """Stream ids in the tap's --discover catalog."""
    cfg = tmp_path / f"discover-{uuid.uuid4().hex[:8]}.json"
    cfg.write_text(json.dumps(config))
    out = subprocess.run([TAP, "--config", str(cfg), "--discover"], capture_output=True,
                         text=True, check=True).stdout
    return {s["tap_stream_id"] for s in json.loads(out)["streams"]}


def records(messages: list[dict], stream: str) -> list[dict]:
    return [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == stream]


def last_state(messages: list[dict]) -> dict:
    return [m for m in messages if m["type"] == "STATE"][-1]["value"]


def assert_fields_match(sandbox: SandboxClient, provider: str, messages: list[dict]) -> dict:
    """Each stream's record keys are the rows listed under ``/_sandbox/fields``, with their values.

    Returns the fields, by stream, as the sandbox lists them.
    """
    fields = fetch(f"{sandbox.url}/_sandbox/fields/{provider}")
    for stream, rows in fields.items():
        got = {(r["account_id"], r["id"]): r for r in records(messages, stream)}
        assert len(got) == len(rows), stream
        for account, key, expected in rows:
            assert {k: got[account, key][k] for k in expected} == expected, (stream, key)
    return fields


class Warehouse:
    """A DuckDB file loaded by ``meltano run tap-ats target-duckdb`` with its own state id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.state_suffix = f"test-{uuid.uuid4().hex[:12]}"

    def run(self, config: dict[str, Any], *args: str) -> None:
        result = meltano_run(meltano_env(config, self.path), *args, state_suffix=self.state_suffix)
        assert result.returncode == 0, result.stderr[-4000:]

    def clear_state(self) -> None:
        """Drop this warehouse's state id from the project's state store."""
        meltano_state_clear(self.state_suffix)

    def keys(self, table: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """(all keys, keys marked deleted) in ``table``."""
        with duckdb.connect(str(self.path), read_only=True) as con:
            rows = con.execute(
                f'select account_id, id, _sdc_deleted_at is not null from tap_ats."{table}"'
            ).fetchall()
        return {(a, i) for a, i, _ in rows}, {(a, i) for a, i, d in rows if d}

    def dbt(self, *args: str, check: bool = True) -> str:
        """Run dbt (the dbt-duckdb utility) on this file and return its output; its artifacts
        stay beside the file. ``check``: the run must succeed.
        """
        env = meltano_env({}, self.path)
        env["DBT_TARGET_PATH"] = env["DBT_LOG_PATH"] = str(self.path.parent / "dbt")
        result = dbt(env, *args)
        out = result.stdout + result.stderr
        assert result.returncode == 0 or not check, out[-4000:]
        return out

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def assert_equals_truth(self, truth: dict[str, Any], streams: list[str]) -> None:
        for stream in streams:
            expected = {tuple(k) for k in truth[stream]["ids"]}
            deleted = {tuple(k) for k in truth[stream]["deleted_ids"]}
            got, got_deleted = self.keys(stream)
            assert got == expected, (stream, len(got), len(expected),
                                     sorted(expected - got)[:3], sorted(got - expected)[:3])
            assert got_deleted == deleted, (stream, sorted(deleted ^ got_deleted)[:3])


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    """A warehouse whose state id is cleared after the test, whatever its outcome."""
    warehouse = Warehouse(tmp_path / "warehouse.duckdb")
    yield warehouse
    warehouse.clear_state()


def _utc(value: Any) -> dt.datetime | None:
    """A timestamp from DuckDB or from truth JSON, as naive UTC to the millisecond."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def assert_visits_match_truth(warehouse: Warehouse, truth: dict[str, Any]) -> int:
    """Build the ats__stage_visits model in the warehouse and compare it with the truth.

    Visits of applications deleted at the source are left out of the model, so out of the truth.
    The truth's visits begin at the sighting that showed them; where the model knows better (an
    application first seen in its job's first stage entered it when it applied), the model's
    entry must be the application's applied_at, and the sighting is compared.
    """
    warehouse.dbt("run", "--select", "+ats__stage_visits")
    rows = warehouse.query(
        "select v.account_id, v.application_id, v.stage_id, case when v.entry_source = "
        "'applied_at' then (select min(s.observed_at) from tap_ats.application_stages as s "
        "where s.account_id = v.account_id and s.application_id = v.application_id) "
        "else v.entered_at end, v.exited_at from analytics.ats__stage_visits as v")
    got = {(a, app, s, _utc(e), _utc(x)) for a, app, s, e, x in rows}
    assert not warehouse.query(
        "select v.visit_key from analytics.ats__stage_visits as v join tap_ats.applications as a "
        "on a.account_id = v.account_id and a.id = v.application_id "
        "where v.entry_source = 'applied_at' and (v.entered_at <> a.applied_at "
        "or v.visit_number <> 1)")
    deleted = {tuple(k) for k in truth.get("applications", {}).get("deleted_ids", [])}
    expected = {(v["account_id"], v["application_id"], v["stage_id"], _utc(v["entered_at"]),
                 _utc(v["exited_at"])) for v in truth["stage_visits"]
                if (v["account_id"], v["application_id"]) not in deleted}
    assert got == expected, (len(got), len(expected), sorted(expected - got)[:3],
                             sorted(got - expected)[:3])
    return len(got)
