"""Kombo's error vocabulary against the tap: each ``KomboAtsError`` code it gives a meaning,
injected by the sandbox's ``error_code`` fault, ends as the README says, whatever HTTP status
it comes with (Kombo: branch on the code, not the status)."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from conftest import last_state, records, run_tap

from tap_ats.http import Pacer, Transport
from tap_ats.providers.kombo.errors import RETRY_AS, classified

#: (code, status): each code once with the status the sandbox gives it and once with another.
NOT_OFFERED = [("INTEGRATION.MODEL_NOT_AVAILABLE", None), ("INTEGRATION.MODEL_NOT_AVAILABLE", 400),
               ("INTEGRATION.MODEL_DISABLED", None), ("INTEGRATION.MODEL_DISABLED", 503),
               ("INTEGRATION.PERMISSION_MISSING", None), ("INTEGRATION.PERMISSION_MISSING", 500)]
RETRIED = ["PLATFORM.RATE_LIMIT_EXCEEDED", "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED",
           "REMOTE.RATE_LIMIT_EXCEEDED", "REMOTE.SERVICE_UNAVAILABLE", "PLATFORM.TASK_TIMED_OUT"]
#: Each code that fails the integration, and words of what the line says to do in Kombo.
ACCOUNT = {"INTEGRATION.INACTIVE": "reactivate it in the Kombo dashboard",
           "INTEGRATION.AUTHENTICATION_INVALID": "have the customer reconnect it",
           "PLATFORM.INTEGRATION_NOT_FOUND": "check setting 'integration_ids'"}


def marks(state: dict, account: str) -> dict[str, str | None]:
    """Each stream's bookmark of ``account`` in ``state``."""
    return {stream: p.get("replication_key_value")
            for stream, entry in state["bookmarks"].items()
            for p in entry.get("partitions", []) if p["context"]["account_id"] == account}


@pytest.mark.parametrize(("code", "status"), NOT_OFFERED)
def test_a_model_the_integration_does_not_offer_skips_the_stream(sandbox, tmp_path, code,
                                                                 status):
    """As a scoped key's 403: a warning, the stream's bookmark kept, the rest read, exit 0."""
    fault = {"code": code, "paths": ["/ats/scorecards"], **({"status": status} if status else {})}
    sandbox.faults(error_code=fault)
    out = tmp_path / "report.json"
    config = sandbox.config("kombo", run_report=str(out))
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    truth = sandbox.truth("kombo")
    assert {(r["account_id"], r["id"]) for r in records(messages, "applications")} == {
        tuple(k) for k in truth["applications"]["ids"]}
    assert records(messages, "scorecards") == []
    skips = [line for line in err.splitlines() if "Skipped stream scorecards" in line]
    assert len(skips) == len(config["integration_ids"])
    scorecards = [e for e in sandbox.log("kombo") if e["path"].endswith("/scorecards")]
    assert len(scorecards) == len(config["integration_ids"]), "answered once, never retried"
    report = json.loads(out.read_text())["accounts"]
    for account in config["integration_ids"]:
        assert report[account]["streams"]["scorecards"]["status"] == "skipped"
        assert code in report[account]["streams"]["scorecards"]["reason"]
        assert marks(last_state(messages), account)["applications"]
        assert not marks(last_state(messages), account).get("scorecards")


def test_an_integration_still_in_its_first_sync_is_skipped_for_the_run(sandbox, tmp_path):
    """One WARNING, no request after the first, every bookmark kept, the others read, exit 0."""
    out = tmp_path / "report.json"
    config = sandbox.config("kombo", run_report=str(out))
    pending, ready = config["integration_ids"]
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    sandbox.advance(10, "kombo")
    sandbox.faults(error_code={"code": "INTEGRATION.SETUP_SYNC_PENDING", "account": pending})
    since = len(sandbox.log("kombo"))
    rc, second, err = run_tap(config, tmp_path, last_state(first))
    assert rc == 0, err
    warnings = [line for line in err.splitlines() if "WARNING" in line and pending in line]
    assert len(warnings) == 1 and "Skipped account" in warnings[0], warnings
    assert "first sync" in warnings[0] and "Traceback" not in err
    sent = [e for e in sandbox.log("kombo")[since:] if e["route"]["x-integration-id"] == pending]
    assert len(sent) == 1
    assert {r["account_id"] for r in records(second, "applications")} == {ready}
    state = last_state(second)
    assert marks(state, pending) == marks(last_state(first), pending)
    assert marks(state, ready)["applications"] > marks(last_state(first), ready)["applications"]
    report = json.loads(out.read_text())
    assert report["accounts"][pending]["status"] == "skipped"
    assert "SETUP_SYNC_PENDING" in report["accounts"][pending]["reason"]
    assert report["accounts"][ready]["status"] == "ok"


@pytest.mark.parametrize("code", RETRIED)
def test_rate_limits_and_outages_are_retried_whatever_the_status(sandbox, tmp_path, code):
    """Answered 400 twice, each code is retried as its 429 or 503, then every job arrives."""
    sandbox.faults(error_code={"code": code, "status": 400, "paths": ["/ats/jobs"], "times": 2},
                   retry_after=0)
    rc, messages, err = run_tap(sandbox.config("kombo"), tmp_path)
    assert rc == 0, err
    truth = sandbox.truth("kombo")
    assert {(r["account_id"], r["id"]) for r in records(messages, "jobs")} == {
        tuple(k) for k in truth["jobs"]["ids"]}
    jobs = [e["status"] for e in sandbox.log("kombo") if e["path"].endswith("/ats/jobs")]
    assert jobs.count("error_code") == 2 and jobs.count(200) == 2
    assert err.count("Retrying GET /kombo/v1/ats/jobs after 400") == 2


@pytest.mark.parametrize("code", list(ACCOUNT))
def test_a_broken_integration_fails_alone_saying_what_to_do_in_kombo(sandbox, tmp_path, code):
    config = sandbox.config("kombo")
    broken, good = config["integration_ids"]
    sandbox.faults(error_code={"code": code, "account": broken})
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 3
    line = err.strip().splitlines()[-1]
    assert broken in line and code in line and ACCOUNT[code] in line, line
    assert "Traceback" not in err
    assert {r["account_id"] for r in records(messages, "applications")} == {good}
    sent = [e for e in sandbox.log("kombo") if e["route"]["x-integration-id"] == broken]
    assert len(sent) == 1, "the integration is given up at its first answer"
    assert marks(last_state(messages), good)["applications"]
    assert not marks(last_state(messages), broken).get("applications")


@pytest.mark.parametrize("code", RETRIED)
def test_rate_limit_codes_push_the_integrations_pacer_back_and_outages_do_not(sandbox, code):
    """'As a 429' means the account's pacer waits too, not only the request being retried."""

    class Spy(Pacer):
        def __init__(self) -> None:
            super().__init__(None)
            self.paused: list[float] = []

        def pause(self, seconds: float) -> None:
            self.paused.append(seconds)

    config = sandbox.config("kombo")
    sandbox.faults(error_code={"code": code, "status": 400, "times": 1}, retry_after=0)
    pacer = Spy()

    def check(response: requests.Response) -> None:
        if response.status_code >= 400 and (exc := classified(response, code)):
            raise exc

    request = requests.Request("GET", f"{config['api_url']}/ats/users", headers={
        "Authorization": f"Bearer {config['api_key']}",
        "X-Integration-Id": config["integration_ids"][0]}).prepare()
    transport = Transport("kombo", config["api_url"], request_timeout=5,
                          logger=logging.getLogger("test"))
    answer = transport.send(request, pacer=pacer, check=check)
    assert answer.body["data"]["results"]
    assert pacer.paused == ([0.0] if RETRY_AS[code] == 429 else [])
