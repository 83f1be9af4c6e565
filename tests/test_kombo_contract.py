"""Kombo's own SDK (``kombo``, generated from Kombo's OpenAPI) judges the sandbox and the tap.

Where a vendor publishes its own models, they, not our reading, decide the shape: the SDK lists
every endpoint the tap reads, every page, after changes and deletions; every raw answer holds
only keys and enum values Kombo's models declare; every query parameter the tap sends is one
the SDK's list method takes; every error the sandbox answers is a ``KomboAtsError``; and every
path of the README's Kombo column table is in Kombo's models.
"""

from __future__ import annotations

import datetime as dt
import re
import typing as t
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import kombo
import pytest
import requests
from conftest import SandboxClient, last_state, run_tap
from kombo import errors, models
from kombo.utils import FieldMetadata
from kombo_models import ENDPOINTS, declares, fields, record_model, stray

from tap_ats.sandbox.server import Sandbox
from tap_ats.tap import TapATS

README = Path(__file__).parent.parent / "README.md"
#: Small pages, so that every endpoint is read over several.
PAGE = 2
#: The codes tap-ats gives a meaning (README, Kombo provider): each one the sandbox can answer.
CODES = ["INTEGRATION.MODEL_NOT_AVAILABLE", "INTEGRATION.MODEL_DISABLED",
         "INTEGRATION.PERMISSION_MISSING", "INTEGRATION.SETUP_SYNC_PENDING",
         "PLATFORM.RATE_LIMIT_EXCEEDED", "PLATFORM.CONCURRENCY_LIMIT_EXCEEDED",
         "REMOTE.RATE_LIMIT_EXCEEDED", "REMOTE.SERVICE_UNAVAILABLE", "PLATFORM.TASK_TIMED_OUT",
         "INTEGRATION.INACTIVE", "INTEGRATION.AUTHENTICATION_INVALID",
         "PLATFORM.INTEGRATION_NOT_FOUND"]
#: The endpoint whose records each stream's README paths are relative to.
STREAM_ENDPOINT = {"applications": "applications", "application_stages": "applications",
                   "sources": "applications", "jobs": "jobs", "job_stages": "jobs",
                   "departments": "jobs", "offices": "jobs", "job_hiring_team": "jobs",
                   "interviews": "interviews", "candidates": "candidates", "users": "users",
                   "offers": "offers", "rejection_reasons": "rejection-reasons",
                   "scorecards": "scorecards"}


@pytest.fixture(scope="module")
def changed() -> t.Iterator[SandboxClient]:
    """A sandbox after two rounds of changes: moved, rejected, hired and deleted rows."""
    client = SandboxClient(Sandbox(seed=42, applications=200))
    client.advance(40, "kombo")
    client.advance(40, "kombo")
    yield client
    client.server.shutdown()


def sdk(sandbox: SandboxClient, account: str, seen: list[httpx.Response] | None = None,
        api_key: str | None = None) -> kombo.Kombo:
    """Kombo's client on the sandbox for one integration; ``seen`` collects its answers."""
    config = sandbox.config("kombo")
    hooks = {"response": [lambda r: (r.read(), seen.append(r))]} if seen is not None else {}
    return kombo.Kombo(api_key=api_key or config["api_key"], integration_id=account,
                       server_url=config["api_url"], client=httpx.Client(event_hooks=hooks))


def kombo_error(call: t.Callable[[], t.Any]) -> errors.KomboAtsError:
    """The ``KomboAtsError`` that ``call`` raises (the SDK validated its body to make it)."""
    with pytest.raises(errors.KomboAtsError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_the_sdk_lists_every_page_and_the_answers_hold_only_what_kombo_declares(changed,
                                                                               endpoint):
    method, _, answer = ENDPOINTS[endpoint]
    for account in changed.config("kombo")["integration_ids"]:
        seen: list[httpx.Response] = []
        page = getattr(sdk(changed, account, seen).ats, method)(
            page_size=PAGE, include_deleted=True, updated_after=dt.datetime(2024, 1, 1,
                                                                            tzinfo=dt.UTC))
        listed = []
        while page is not None:  # the SDK validates each page against its model as it reads
            listed += page.result.data.results
            page = page.next()
        assert len(seen) > 1, f"{endpoint} should take several pages of {PAGE}"
        assert [s for r in seen for s in stray(r.json(), answer)] == []
        raw = [row for r in seen for row in r.json()["data"]["results"]]
        assert len(listed) == len(raw) > 0
    if endpoint == "applications":
        assert any(row["remote_deleted_at"] for row in raw), "deleted rows should be listed"
        assert any(row["custom_fields"] for row in raw)
        assert any(row["interviews"] for row in raw) and any(row["offers"] for row in raw)


def test_the_walk_finds_keys_and_enum_values_kombo_lacks():
    """The walk itself can fail: a key of the old sandbox and an enum value Kombo lacks."""
    answer = {"status": "success", "data": {"next": None, "results": [{
        "id": "I1", "application": {"id": "A1", "job_id": "J1", "outcome": "WON"},
        "users": [{"id": "U1", "nickname": "x"}]}]}}
    assert sorted(p.split(":")[0] for p in stray(answer, models.GetAtsInterviewsPositiveResponse)
                  ) == ["data.results[].application.job_id", "data.results[].application.outcome",
                        "data.results[].users[].nickname"]
    job = {"status": "success", "data": {"next": None, "results": [{"status": "PAUSED"}]}}
    assert list(stray(job, models.GetAtsJobsPositiveResponse)) == [
        "data.results[].status: 'PAUSED' is not one of ['OPEN', 'CLOSED', 'DRAFT', 'ARCHIVED']"]


def query_fields(request_model: type) -> set[str]:
    """The query parameters an SDK list method takes (its request model's query fields)."""
    return {f.alias or name for name, f in request_model.model_fields.items()
            if any(isinstance(m, FieldMetadata) and m.query for m in f.metadata)}


def test_the_tap_sends_only_parameters_the_sdk_takes(sandbox, tmp_path):
    """Full and incremental runs, cursors and the rejection-reason lookup included."""
    config = sandbox.config("kombo", page_size=PAGE)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    sandbox.advance(20, "kombo")
    rc, _, err = run_tap(config, tmp_path, last_state(messages))
    assert rc == 0, err
    sent = sandbox.log("kombo")
    assert {e["path"].rsplit("/", 1)[1] for e in sent} == set(ENDPOINTS)
    assert any("cursor=" in e["query"] for e in sent)
    for entry in sent:
        _, request_model, _ = ENDPOINTS[entry["path"].rsplit("/", 1)[1]]
        query = {k: v[-1] for k, v in parse_qs(entry["query"]).items()}
        assert set(query) <= query_fields(request_model), (entry["path"], set(query))
        assert all(len(v) == 1 for v in parse_qs(entry["query"]).values())
        request_model.model_validate(query)  # each value as the SDK's request model types it
        assert 1 <= int(query["page_size"]) <= 250  # "Maximum is 250"
        assert query.get("include_deleted", "false") in ("true", "false")
        if "updated_after" in query:  # the format Kombo documents, YYYY-MM-DDTHH:mm:ss.sssZ
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", query["updated_after"])


def error_cases(sandbox: SandboxClient) -> dict[str, t.Callable[[], t.Any]]:
    """Every kind of error the sandbox answers on Kombo's list endpoints, as SDK calls."""
    good = sandbox.config("kombo")["integration_ids"][0]
    client = sdk(sandbox, good)
    first = client.ats.get_applications(page_size=PAGE)
    return {
        "PLATFORM.AUTHENTICATION_INVALID": lambda: sdk(sandbox, good, api_key="nope")
        .ats.get_jobs(),
        "PLATFORM.INTEGRATION_NOT_FOUND": lambda: sdk(sandbox, "personio:nope").ats.get_jobs(),
        "PLATFORM.INPUT_INVALID": lambda: client.ats.get_jobs(page_size=999),
        "bad cursor": lambda: client.ats.get_jobs(cursor="not-a-cursor"),
        "other filters on a cursor": lambda: client.ats.get_applications(
            page_size=PAGE + 1, cursor=first.result.data.next),
    }


def test_every_error_the_sandbox_answers_is_a_kombo_ats_error(sandbox):
    """The SDK turns each into ``KomboAtsError`` only if its body validates as one."""
    for name, call in error_cases(sandbox).items():
        caught = kombo_error(call)
        assert list(stray(caught.raw_response.json(), errors.KomboAtsErrorData)) == [], name
        assert caught.data.error.code in (name, "PLATFORM.INPUT_INVALID"), name
    config = sandbox.config("kombo")
    route = requests.get(f"{config['api_url']}/ats/nothing-here", timeout=10, headers={
        "Authorization": f"Bearer {config['api_key']}",
        "X-Integration-Id": config["integration_ids"][0]})
    assert route.status_code == 404
    assert errors.KomboAtsErrorData.model_validate_json(route.content).error.code is None
    assert list(stray(route.json(), errors.KomboAtsErrorData)) == []


@pytest.mark.parametrize(("faults", "code"), [
    ({"429": 1.0}, "PLATFORM.RATE_LIMIT_EXCEEDED"),
    ({"5xx": 1.0}, "REMOTE.SERVICE_UNAVAILABLE"),
    ({"5xx_account": "ACCOUNT"}, "REMOTE.SERVICE_UNAVAILABLE"),
    ({"forbidden": ["/ats/jobs"]}, "INTEGRATION.PERMISSION_MISSING"),
    ({"missing": ["/ats/jobs"]}, "INTEGRATION.MODEL_NOT_AVAILABLE"),
    *[({"error_code": {"code": code, "paths": ["/ats/jobs"]}}, code) for code in CODES],
], ids=lambda v: v if isinstance(v, str) else next(iter(v)))
def test_every_injected_fault_answers_a_kombo_ats_error(sandbox, faults, code):
    account = sandbox.config("kombo")["integration_ids"][0]
    sandbox.faults(**{k: account if v == "ACCOUNT" else v for k, v in faults.items()})
    caught = kombo_error(lambda: sdk(sandbox, account).ats.get_jobs())
    assert caught.data.error.code == code
    assert caught.raw_response.status_code >= 400
    assert list(stray(caught.raw_response.json(), errors.KomboAtsErrorData)) == []


def readme_table() -> list[tuple[str, str, list[str]]]:
    """(stream, column, paths) of each row of the README's ``### Kombo`` column table."""
    text = README.read_text()
    section = text.split("## Where each column comes from", 1)[1].split("\n## ", 1)[0]
    table = section.split("### Kombo\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert rows[0].replace(" ", "") == "|stream|column|Kombofield|"
    out = []
    for line in rows[1:]:
        stream, column, source = (c.strip() for c in line.strip("|").split("|"))
        out.append((stream.strip("`"), column.strip("`"), re.findall(r"`([^`]+)`", source)))
    return out


def test_every_readme_path_is_in_kombos_models():
    rows = readme_table()
    assert len(rows) > 40
    missing = [(s, c, p) for s, c, paths in rows for p in paths
               if not declares(record_model(STREAM_ENDPOINT[s]), p)]
    assert missing == []
    assert all(paths for _, _, paths in rows), "each row names the field it is read from"
    assert {s for s, _, _ in rows} == set(STREAM_ENDPOINT)


def test_the_walk_of_paths_can_fail():
    interview = record_model("interviews")
    assert declares(interview, "application.job.id") and declares(interview, "users[].id")
    assert not declares(interview, "application.job_id")
    assert not declares(interview, "users.id") and not declares(interview, "title[]")
    assert "job_id" not in fields(fields(interview)["application"].__args__[0])


def test_kombo_error_codes_the_tap_handles_are_kombos():
    code = t.get_args(fields(errors.KomboAtsErrorData)["error"].model_fields["code"].annotation)
    assert set(CODES) <= set(t.get_args(code[0]))



@pytest.fixture(scope="module")
def offline() -> t.Any:
    """A tap on Kombo that sends nothing: records are mapped and derived by hand."""
    return TapATS(config={"provider": "kombo", "api_key": "k", "integration_ids": ["a"],
                          "api_url": "http://127.0.0.1:9/v1"})


def rendered(kind: str) -> dict[str, t.Any]:
    """The first record the sandbox renders for Kombo's ``kind`` (``_job``, ``_application``)."""
    api = Sandbox(seed=7, applications=20).apis["kombo"]
    world = api.world(api.accounts[0])
    table = {"_job": world.jobs, "_application": world.applications}[kind]
    return getattr(api, kind)(world, table[0])


def test_hiring_team_ids_are_unique_and_present_with_kombos_nullable_roles_null(offline):
    """Roles without type, label or remote id, as Kombo's model allows, each keep their row."""
    job = rendered("_job")
    role = {"remote_id": None, "remote_label": None, "unified_type": None, "scope": "JOB"}
    member = {"id": "U1", "remote_id": None, "first_name": None, "last_name": None,
              "hiring_team_roles": []}
    job["hiring_team"] = [
        {**member, "job_roles": [role, {**role, "remote_id": "approver"},
                                 {**role, "remote_label": "Approver"},
                                 {**role, "unified_type": "INTERVIEWER"},
                                 {**role, "unified_type": "ADMIN"},
                                 {**role, "unified_type": "RECRUITER"}]},
        {**member, "id": "U2", "job_roles": [],
         "hiring_team_roles": ["INTERVIEWER", "RECRUITER", "HIRING_MANAGER"]},
    ]
    models.GetAtsJobsPositiveResponseResult.model_validate(job)  # an answer Kombo may give
    record = {**offline.streams["jobs"].unified(job), "account_id": "a"}
    rows = offline.streams["job_hiring_team"].derive(record)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 9
    assert all(i and "None" not in i for i in ids)
    assert {r["role"] for r in rows} == {"other", "recruiter", "hiring_manager"}


def test_an_application_without_a_current_stage_yields_no_stage_row(offline):
    """``current_stage`` and its id may be null in Kombo's model: no row, rather than a key
    built from None."""
    app = {**rendered("_application"), "current_stage_id": None, "current_stage": None,
           "rejection_reason_name": None}
    models.GetAtsApplicationsPositiveResponseResult.model_validate(app)
    record = {**offline.streams["applications"].unified(app), "account_id": "a"}
    assert offline.streams["application_stages"].derive(record) == []
    assert record["current_stage_id"] is None and record["id"] == app["id"]


def test_a_stage_without_its_own_index_takes_the_one_its_applications_report(offline):
    """``jobs[].stages[].index`` may be left out; ``current_stage.index`` is always there."""
    app = rendered("_application")
    job = rendered("_job")
    stage = job["stages"][0]
    app["current_stage"] = {**app["current_stage"], "id": stage["id"], "index": 7}
    del stage["index"]
    models.GetAtsJobsPositiveResponseResult.model_validate(job)
    offline.streams["applications"].unified({**app, "rejection_reason_name": None})
    orders = {s["id"]: s["order"] for s in offline.streams["jobs"].unified(job)["stages"]}
    assert orders[stage["id"]] == 7
