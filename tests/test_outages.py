"""An outage of one endpoint costs that stream only, and retries outlast an incident.

The sandbox's ``down`` (503) and ``down_drop`` (connection closed unanswered) faults take one
path down for the whole run, or for ``down_for`` seconds. Each test states its expected outcome
first. Runs that only need the retries to run out use a short ``retry_budget`` (the outcome is
the same whatever the budget: the endpoint never comes back). Runs whose outcome depends on the
default budget against an outage's length run in-process on a :class:`VirtualClock`: every wait
the tap makes is skipped but counted, on the clock that both the tap's retry budget and the
sandbox's outage read, so "90 s" and "180 s" compare as they would in real time, in a second.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections import Counter
from typing import Any

import pytest
from conftest import SandboxClient, records, run_tap
from test_reliability import streams_of
from test_security import bookmarks, error_line

from tap_ats import http, retry
from tap_ats.outcomes import ApiDown
from tap_ats.retry import DEFAULT_RETRY_BUDGET, Retries
from tap_ats.tap import AccountsFailed, TapATS

#: A budget short enough to spend in a test; used where the endpoint never comes back.
SHORT = 2


class VirtualClock:
    """Real time plus every wait slept on it: the waits are skipped, yet seen to pass."""

    def __init__(self) -> None:
        self.skipped = 0.0
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        return time.monotonic() + self.skipped

    def time(self) -> float:
        return time.time() + self.skipped

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.skipped += max(0.0, seconds)


@pytest.fixture
def clock(monkeypatch, sandbox: SandboxClient) -> VirtualClock:
    """The tap's transport and retry budget, and the sandbox's outages, on one virtual clock."""
    virtual = VirtualClock()
    monkeypatch.setattr(http, "time", virtual)
    monkeypatch.setattr(retry, "time", virtual)
    monkeypatch.setattr(sandbox.sandbox, "monotonic", virtual.monotonic)
    return virtual


def sync_in_process(config: dict[str, Any], capfd) -> tuple[list[dict], BaseException | None]:
    """Run a sync in this process: its messages and the exception it ended with, if any.

    ``max_concurrency`` 1: one request waits at a time, so the virtual clock adds each wait
    once. The tap's signal handlers are put back as they were.
    """
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    ended = None
    try:
        TapATS(config={**config, "max_concurrency": 1}).sync_all()
    except (AccountsFailed, ApiDown) as exc:
        ended = exc
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    out = capfd.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")], ended


def keyed(messages: list[dict], stream: str) -> set[tuple[str, str]]:
    return {(r["account_id"], r["id"]) for r in records(messages, stream)}


def truth_ids(truth: dict[str, Any], stream: str) -> set[tuple[str, str]]:
    return {tuple(k) for k in truth[stream]["ids"]}


def statuses(sandbox: SandboxClient, provider: str, path: str) -> Counter:
    return Counter(e["status"] for e in sandbox.log(provider) if e["path"].endswith(path))


# The retry budget, on its own -----------------------------------------------------------------


def test_the_default_budget_outlasts_an_incident_of_minutes():
    assert DEFAULT_RETRY_BUDGET >= 120


@pytest.mark.parametrize("asked", [None, 1.0])
def test_503s_are_retried_until_the_budget_with_one_last_attempt_at_its_end(monkeypatch, asked):
    """Expected: waits follow Retry-After (or a jittered doubling backoff), never pass the
    budget, and the last attempt is made at the budget's end."""
    virtual = VirtualClock()
    monkeypatch.setattr(retry, "time", virtual)
    retries = Retries(120)
    while True:
        retries.failed("503", outage=True)
        wait = retries.wait(asked, host_reached=True)
        if wait is None:
            break
        assert wait == asked or asked is None
        virtual.sleep(wait)
    assert 119 <= retries.elapsed <= 120.5, retries.elapsed
    assert retries.attempts >= (120 if asked else 13), retries.attempts
    assert retries.outage and not retries.hung


def test_a_retry_after_past_the_budget_gives_up_at_once(monkeypatch):
    virtual = VirtualClock()
    monkeypatch.setattr(retry, "time", virtual)
    retries = Retries(120)
    virtual.sleep(100)
    retries.failed("429")
    assert retries.wait(30.0, host_reached=True) is None
    assert retries.wait(19.0, host_reached=True) == 19.0


@pytest.mark.parametrize(("failure", "limit"), [
    ({"unusable": True}, retry.MAX_UNUSABLE),
    ({"timeout": True}, retry.HUNG_TRIES),
    ({"outage": True, "connected": False}, retry.FIRST_CONTACT_TRIES),
])
def test_the_narrower_limits_end_a_request_before_its_budget(failure, limit):
    """A body cut short, a hung API and a host never reached are not outlasted by waiting."""
    retries, reached = Retries(3600), "connected" not in failure
    for _ in range(limit - 1):
        retries.failed("x", **failure)
        assert retries.wait(0.0, host_reached=reached) is not None
    retries.failed("x", **failure)
    assert retries.wait(0.0, host_reached=reached) is None
    assert retries.hung == ("timeout" in failure)


def test_a_probe_gives_up_at_its_first_outage_but_not_at_a_429():
    probe = Retries(3600, probe=True)
    probe.failed("429")
    assert probe.wait(0.0, host_reached=True) == 0.0
    probe.failed("503", outage=True)
    assert probe.wait(0.0, host_reached=True) is None


@pytest.mark.parametrize("budget", [0, 3601])
def test_a_budget_out_of_bounds_is_one_line_and_exit_2(sandbox, tmp_path, budget):
    rc, messages, err = run_tap(sandbox.config("kombo", retry_budget=budget), tmp_path)
    assert rc == 2
    assert f"setting 'retry_budget' must be 1 to 3600 seconds, got {budget}" in error_line(err)
    assert messages == [] and sandbox.requests("kombo") == 0


def test_the_outage_faults_are_checked(sandbox):
    import requests

    for body in ({"down": "/v3/jobs"}, {"down_drop": ["v3/jobs"]}, {"down_for": "90"}):
        answer = requests.post(f"{sandbox.url}/_sandbox/faults", json=body, timeout=10)
        assert answer.status_code == 400, body


def test_down_and_down_drop_take_their_paths_down_until_down_for_ends(sandbox):
    """On the wire: 503 with Retry-After on one path, a closed connection on another, the
    rest served; both end once ``down_for`` seconds have passed on the sandbox's clock."""
    import requests

    virtual = VirtualClock()
    sandbox.sandbox.monotonic = virtual.monotonic
    config = sandbox.config("kombo")
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {config['api_key']}",
                            "X-Integration-Id": config["integration_ids"][0]})

    def get(path: str) -> requests.Response:
        return session.get(f"{config['api_url']}{path}", timeout=10)

    sandbox.faults(down=["/ats/jobs"], down_drop=["/ats/candidates"], down_for=90, retry_after=7)
    jobs = get("/ats/jobs")
    assert jobs.status_code == 503 and jobs.headers["Retry-After"] == "7"
    with pytest.raises(requests.ConnectionError):
        get("/ats/candidates")
    assert get("/ats/applications").status_code == 200
    virtual.sleep(89)
    assert get("/ats/jobs").status_code == 503
    virtual.sleep(1)
    assert get("/ats/jobs").status_code == 200 and get("/ats/candidates").status_code == 200
    assert statuses(sandbox, "kombo", "/ats/jobs") == Counter({"down": 2, 200: 1})


# 1. A lookup that gives up degrades, and is refilled -------------------------------------------


def test_greenhouse_interviewers_dropped_all_run_degrade_and_the_next_run_refills(
        sandbox, tmp_path):
    """Expected: exit 3; every stream's ids equal the truth (jobs and job stages too); every
    interview lands with interviewer_ids null; one WARNING naming the path and the columns;
    interviews and scorecards are `partial` in the run report and keep their bookmarks; the
    next run, from that run's state and with the endpoint back, fills interviewer_ids for at
    least 95% of the interviews."""
    sandbox.faults(down_drop=["/v3/interviewers"])
    out = tmp_path / "report.json"
    rc, messages, err = run_tap(sandbox.config("greenhouse", retry_budget=SHORT,
                                               run_report=str(out)), tmp_path)
    assert rc == 3, err[-3000:]
    assert "Traceback" not in err
    truth = sandbox.truth("greenhouse")
    for stream in streams_of(truth):
        assert keyed(messages, stream) == truth_ids(truth, stream), stream
    assert records(messages, "jobs") and records(messages, "job_stages")
    interviews = records(messages, "interviews")
    assert interviews and all(r["interviewer_ids"] is None for r in interviews)
    assert all(r["interview_id"] is None for r in records(messages, "scorecards"))
    warned = [line for line in err.splitlines() if "WARNING" in line and "lookup" in line]
    assert len(warned) == 1, warned
    assert "/v3/interviewers" in warned[0] and "interviews.interviewer_ids" in warned[0]
    line = error_line(err)
    assert "columns left null" in line and "(interviews)" in line, line
    moved = {stream for stream, _ in bookmarks(messages)}
    assert "interviews" not in moved and "scorecards" not in moved
    assert {"jobs", "job_stages", "applications"} <= moved
    account = json.loads(out.read_text())["accounts"]["greenhouse"]
    assert account["status"] == "partial"
    assert account["streams"]["interviews"]["status"] == "partial"
    assert account["streams"]["interviews"]["failed_lookups"] == ["/v3/interviewers"]
    assert statuses(sandbox, "greenhouse", "/v3/interviewers")["down_drop"] >= 2

    sandbox.faults()
    state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    rc, again, err = run_tap(sandbox.config("greenhouse"), tmp_path, state)
    assert rc == 0, err[-3000:]
    filled = {r["id"] for r in records(again, "interviews") if r["interviewer_ids"] is not None}
    share = len(filled) / len(interviews)
    print(f"interviewer_ids refilled for {len(filled)} of {len(interviews)} ({share:.0%})")
    assert share >= 0.95


@pytest.mark.parametrize(("provider", "fault", "column", "down"), [
    ("kombo", {"down": ["/ats/rejection-reasons"]}, "rejection_reason_id", "rejection_reasons"),
    ("merge", {"down": ["/applications?expand"]}, "current_stage_name", None),
    ("greenhouse", {"down": ["/v3/rejection_details"]}, "rejection_reason_id", None),
    ("lever", {"down": ["/archive_reasons"]}, "rejection_reason", "rejection_reasons"),
])
def test_lookups_that_give_up_leave_their_columns_null(
        sandbox, tmp_path, provider, fault, column, down):
    """Expected: exit 3; applications land in full with the lookup's column null; their
    bookmarks stay; the next run fills the column. Kombo's rejection reasons and Lever's
    archive reasons are a stream of their own too: that stream fails alone."""
    sandbox.faults(**fault)
    rc, messages, err = run_tap(sandbox.config(provider, retry_budget=SHORT), tmp_path)
    assert rc == 3, err[-3000:]
    truth = sandbox.truth(provider)
    for stream in streams_of(truth):
        assert keyed(messages, stream) == (set() if stream == down else truth_ids(
            truth, stream)), stream
    apps = records(messages, "applications")
    assert all(r[column] is None for r in apps)
    assert "applications" not in {stream for stream, _ in bookmarks(messages)}
    assert "columns left null" in error_line(err)
    sandbox.faults()
    state = [m["value"] for m in messages if m["type"] == "STATE"][-1]
    rc, again, err = run_tap(sandbox.config(provider), tmp_path, state)
    assert rc == 0, err[-3000:]
    assert any(r[column] is not None for r in records(again, "applications"))


# 2. A stream that gives up fails alone ---------------------------------------------------------


def test_greenhouse_jobs_down_all_run_fails_jobs_alone(sandbox, tmp_path):
    """Expected: exit 3; the final line names jobs; every other stream equals the truth; the
    jobs bookmark stays, the others move; the run report says jobs failed."""
    sandbox.faults(down=["/v3/jobs"])
    out = tmp_path / "report.json"
    rc, messages, err = run_tap(sandbox.config("greenhouse", retry_budget=SHORT,
                                               run_report=str(out)), tmp_path)
    assert rc == 3, err[-3000:]
    line = error_line(err)
    assert "greenhouse (jobs)" in line and "/v3/jobs" in line and "503" in line, line
    truth = sandbox.truth("greenhouse")
    assert records(messages, "jobs") == []
    for stream in streams_of(truth):
        if stream != "jobs":
            assert keyed(messages, stream) == truth_ids(truth, stream), stream
    moved = {stream for stream, _ in bookmarks(messages)}
    assert "jobs" not in moved and {"job_stages", "interviews", "applications"} <= moved
    streams = json.loads(out.read_text())["accounts"]["greenhouse"]["streams"]
    assert streams["jobs"]["status"] == "failed"
    assert {s for s, o in streams.items() if o["status"] != "ok"} == {"jobs"}


def test_merge_offers_down_fails_offers_alone_in_both_accounts(sandbox, tmp_path):
    """The issue's Merge case. Expected: exit 3; offers fail in both accounts, each named; every
    other stream of both accounts equals the truth and moves its bookmark."""
    sandbox.faults(down_drop=["/offers"])
    rc, messages, err = run_tap(sandbox.config("merge", retry_budget=SHORT), tmp_path)
    assert rc == 3, err[-3000:]
    truth = sandbox.truth("merge")
    accounts = {a for a, _ in truth["applications"]["ids"]}
    line = error_line(err)
    assert all(f"{a} (offers)" in line for a in accounts), line
    for stream in streams_of(truth):
        if stream != "offers":
            assert keyed(messages, stream) == truth_ids(truth, stream), stream
    moved = bookmarks(messages)
    assert {("offers", a) for a in accounts} & set(moved) == set()
    assert {("candidates", a) for a in accounts} <= set(moved)


def test_a_whole_kombo_api_down_ends_in_one_line(sandbox, tmp_path):
    """Expected: exit 1 and one `tap-ats: error:` line saying the API is down; each account
    spends one budget and one probe, not one budget per stream."""
    sandbox.faults(**{"5xx": 1.0})
    started = time.monotonic()
    rc, messages, err = run_tap(sandbox.config("kombo", retry_budget=SHORT), tmp_path)
    elapsed = time.monotonic() - started
    assert rc == 1, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("tap-ats: error:")]
    assert len(lines) == 1 and "kombo API is down" in lines[0], lines
    assert records(messages, "applications") == [] and bookmarks(messages) == {}
    paths = Counter(e["path"] for e in sandbox.log("kombo"))
    # Per account, one budget spent on the first stream, then one probe of the next one.
    assert len(paths) == 2 and min(paths.values()) == 2, paths
    assert elapsed < 20, elapsed


# 3. Retries outlast an incident (default budget, virtual clock) --------------------------------


def test_kombo_applications_503_for_90_s_is_outlasted(sandbox, clock, capfd):
    """Expected: exit 0 and every stream equal to the truth, with the default budget (the
    outage, 90 s, is shorter); the tap did wait the outage out."""
    sandbox.faults(down=["/ats/applications"], down_for=90)
    started = clock.monotonic()
    messages, ended = sync_in_process(sandbox.config("kombo"), capfd)
    elapsed = clock.monotonic() - started  # the waits skipped and the real time spent
    assert ended is None, ended
    truth = sandbox.truth("kombo")
    for stream in streams_of(truth):
        assert keyed(messages, stream) == truth_ids(truth, stream), stream
    down = statuses(sandbox, "kombo", "/ats/applications")["down"]
    print(f"outlasted: {down} answers 503 over {elapsed:.0f} s, {clock.skipped:.0f} s waited")
    assert down >= 10 and 90 <= elapsed and clock.skipped <= DEFAULT_RETRY_BUDGET


def test_the_whole_kombo_api_down_gives_up_within_10_minutes(sandbox, clock, capfd):
    """Expected: the run ends with ApiDown (exit 1) with the default budget, within 10
    minutes: one budget for each of the two integrations, then one probe each."""
    sandbox.faults(**{"5xx": 1.0})
    started = clock.monotonic()
    messages, ended = sync_in_process(sandbox.config("kombo"), capfd)
    elapsed = clock.monotonic() - started
    print(f"whole Kombo API down: gave up after {elapsed:.0f} s")
    assert isinstance(ended, ApiDown) and "kombo API is down" in str(ended), ended
    assert elapsed < 600, elapsed
    assert records(messages, "applications") == []
