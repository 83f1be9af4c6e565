"""Issue 11 end to end: credentials reach only the configured API host, over TLS.

Every case runs the tap CLI against the sandbox; the ``listener`` fixture is the foreign host a
hostile API points at, and records anything that reaches it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import TAP, SandboxClient, records, run_tap
from test_reliability import streams_of

from tap_ats.sandbox.server import Sandbox

PROVIDERS = sorted(Sandbox().apis)
CURSORED = ["greenhouse", "kombo", "merge"]
SECRET_KEYS = ("api_key", "client_secret", "api_token", "account_tokens")


def secrets_of(config: dict[str, Any]) -> list[str]:
    """Every credential value in a sandbox config."""
    values = [config.get(k) for k in SECRET_KEYS]
    flat = [v for value in values for v in (value if isinstance(value, list) else [value])]
    return [v for v in flat if v]


def error_line(err: str) -> str:
    """The one ``tap-ats: error:`` line of a run; fails on none, several, or a traceback."""
    assert "Traceback" not in err, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("tap-ats: error:")]
    assert len(lines) == 1, err[-3000:]
    return lines[0]


def bookmarks(messages: list[dict]) -> dict[tuple[str, str], str]:
    """(stream, account) -> bookmark in the last STATE written (empty when none was)."""
    states = [m["value"] for m in messages if m["type"] == "STATE"]
    out: dict[tuple[str, str], str] = {}
    for stream, entry in (states[-1].get("bookmarks", {}) if states else {}).items():
        for where in [entry, *entry.get("partitions", [])]:
            if (value := where.get("replication_key_value")) is not None:
                account = (where.get("context") or {}).get("account_id", "")
                out[stream, account] = value
    return out


def assert_refused_foreign(listener, rc: int, messages: list[dict], err: str,
                           config: dict[str, Any]) -> None:
    """Nothing reached the listener, exit 1, one line naming it and no secret, no bookmark."""
    assert listener.requests == []
    assert rc == 1, err[-3000:]
    line = error_line(err)
    assert urlsplit(listener.url).netloc in line, line
    for secret in secrets_of(config):
        assert secret not in err and secret not in line
    assert bookmarks(messages) == {}


@pytest.mark.parametrize("provider", CURSORED)
def test_foreign_next_link_is_never_followed(sandbox, listener, tmp_path, provider):
    sandbox.faults(foreign_next=listener.url)
    config = sandbox.config(provider, page_size=10)
    rc, messages, err = run_tap(config, tmp_path)
    assert_refused_foreign(listener, rc, messages, err, config)
    assert any(e["status"] == "foreign_next" for e in sandbox.log(provider))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_redirect_to_a_foreign_host_is_never_followed(sandbox, listener, tmp_path, provider):
    """A 302 elsewhere on every provider; on Greenhouse the token request is the one redirected."""
    sandbox.faults(redirect=listener.url)
    config = sandbox.config(provider)
    rc, messages, err = run_tap(config, tmp_path)
    assert_refused_foreign(listener, rc, messages, err, config)
    log = sandbox.log(provider)
    assert log and {e["status"] for e in log} == {"redirect"}
    if provider == "greenhouse":
        assert {e["path"] for e in log} == {urlsplit(config["token_url"]).path}


def test_greenhouse_api_request_redirect_is_never_followed(sandbox, listener, tmp_path):
    """The token comes from a second sandbox without faults, so the API request is redirected."""
    tokens = SandboxClient(Sandbox(seed=42, applications=200))
    try:
        sandbox.faults(redirect=listener.url)
        config = sandbox.config("greenhouse",
                                token_url=tokens.config("greenhouse")["token_url"])
        rc, messages, err = run_tap(config, tmp_path)
        assert tokens.requests("greenhouse") >= 1
    finally:
        tokens.server.shutdown()
    assert_refused_foreign(listener, rc, messages, err, config)
    assert {e["path"] for e in sandbox.log("greenhouse")} and all(
        e["path"].startswith("/greenhouse/v3/") for e in sandbox.log("greenhouse"))


def test_foreign_redirect_with_a_bookmark_keeps_it(sandbox, listener, tmp_path):
    """With a state in, the failed run's last STATE holds exactly the bookmarks it was given."""
    config = sandbox.config("kombo")
    rc, messages, _ = run_tap(config, tmp_path)
    assert rc == 0
    state = [m for m in messages if m["type"] == "STATE"][-1]["value"]
    sandbox.faults(redirect=listener.url)
    rc, messages, err = run_tap(config, tmp_path, state)
    assert rc == 1 and listener.requests == []
    assert urlsplit(listener.url).netloc in error_line(err)
    assert bookmarks(messages) in ({}, bookmarks([{"type": "STATE", "value": state}]))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_same_host_redirects_are_followed(sandbox, tmp_path, provider):
    """About one request in three is redirected on the API's own host; every row arrives.

    Each hop is rolled anew, so a chain of four (a failed attempt, retried) can occur; read
    sequentially, the seeded rolls come in one order and the run repeats exactly.
    """
    sandbox.faults(redirect_self=0.3)
    config = sandbox.config(provider, page_size=20, max_concurrency=1)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err[-3000:]
    assert sum(e["status"] == "redirect_self" for e in sandbox.log(provider)) >= 3
    truth = sandbox.truth(provider)
    for stream in streams_of(truth):
        got = {(r["account_id"], r["id"]) for r in records(messages, stream)}
        assert {tuple(k) for k in truth[stream]["ids"]} <= got, stream


def test_endless_same_host_redirects_end_in_one_line(sandbox, tmp_path):
    sandbox.faults(redirect_self=1.0)
    rc, _, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 1
    line = error_line(err)
    assert "redirected" in line and "more than 3 times" in line, line


@pytest.mark.parametrize("setting", ["api_url", "token_url"])
def test_plain_http_to_a_remote_host_is_refused_before_any_request(sandbox, tmp_path, setting):
    """``example.invalid`` never resolves: any attempt would end as "unreachable", not this."""
    config = sandbox.config("greenhouse", **{setting: "http://example.invalid/v3"})
    started = time.monotonic()
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 2
    line = error_line(err)
    assert f"setting '{setting}' must use https://" in line, line
    assert "unreachable" not in line
    assert time.monotonic() - started < 20
    assert messages == [] and sandbox.requests("greenhouse") == 0


@pytest.mark.parametrize("host", ["localhost", "127.0.0.2"])
def test_plain_http_to_loopback_is_allowed(sandbox, tmp_path, host):
    """http://localhost reaches the sandbox; 127.0.0.2 is loopback too (checked by --discover,
    which validates the settings without a request: nothing listens there).
    """
    port = urlsplit(sandbox.url).port
    config = sandbox.config("kombo", api_url=f"http://{host}:{port}/kombo/v1")
    if host == "localhost":
        rc, messages, err = run_tap(config, tmp_path)
        assert rc == 0, err[-3000:]
        assert records(messages, "applications")
    else:
        cfg = tmp_path / "config.json"
        cfg.write_text(json.dumps(config))
        proc = subprocess.run([TAP, "--config", str(cfg), "--discover"], capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert json.loads(proc.stdout)["streams"]


@pytest.mark.parametrize("setting", ["api_url", "token_url"])
def test_userinfo_in_a_url_is_refused_and_never_shown(sandbox, tmp_path, setting):
    config = sandbox.config("greenhouse")
    split = urlsplit(config[setting])
    password = "pw-9f2c7e1d-never-shown"
    config[setting] = split._replace(netloc=f"robot:{password}@{split.netloc}").geturl()
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(config))
    for level in ("INFO", "DEBUG"):
        proc = subprocess.run([TAP, "--config", str(cfg)], capture_output=True, text=True,
                              env={**os.environ, "LOGLEVEL": level}, check=False)
        assert proc.returncode == 2
        line = error_line(proc.stderr)
        assert setting in line and "user or password" in line, line
        assert password not in proc.stdout + proc.stderr
    assert sandbox.requests("greenhouse") == 0


def test_no_secret_in_any_output_at_debug_with_userinfo(sandbox, tmp_path):
    """Beside the DEBUG grep in test_reliability: a URL with a password, every CLI mode."""
    password = "pw-3b8d-userinfo"
    config = sandbox.config("kombo")
    config["api_url"] = config["api_url"].replace("://", f"://svc:{password}@")
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(config))
    env = {**os.environ, "LOGLEVEL": "DEBUG"}
    text = ""
    for args in ([], ["--discover"], ["--test"], ["--about"]):
        proc = subprocess.run([TAP, "--config", str(cfg), *args], capture_output=True,
                              text=True, env=env, check=False)
        text += proc.stdout + proc.stderr
    for secret in [password, *secrets_of(config)]:
        assert secret not in text


def test_atz_odd_slugs_are_one_escaped_segment(sandbox, tmp_path):
    """Slugs with ``/``, ``..``, ``?``, ``#``, ``%``, spaces and non-ASCII: every row, no 404."""
    sandbox.reset(odd_slugs=True)
    rc, messages, err = run_tap(sandbox.config("atzcrm"), tmp_path)
    assert rc == 0, err[-3000:]
    truth = sandbox.truth("atzcrm")
    for stream in ("candidates", "candidate_history", "applications", "jobs"):
        got = {(r["account_id"], r["id"]) for r in records(messages, stream)}
        assert got == {tuple(k) for k in truth[stream]["ids"]}, stream
    odd = [r["id"] for r in records(messages, "candidates") if not r["id"].startswith("cand")]
    assert len(odd) == len(truth["candidates"]["ids"])
    log = sandbox.log("atzcrm")
    paths = [e["path"] for e in log if "/history" in e["path"] or "/job/" in e["path"]]
    assert len(paths) > 200
    assert [e for e in log if e["status"] == 404] == []
    for path in paths:
        parts = path.split("/")
        assert len(parts) == (6 if path.endswith("/history") else 5), path
        assert "?" not in path and "#" not in path and ".." not in parts, path
