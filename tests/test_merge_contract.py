"""Merge's own SDK (``mergepythonclient``, package ``merge``) judges the sandbox and the tap.

Merge publishes its models; where they and our reading differ, they win. Its generated models
accept extra keys and its client builds them without validating, so this module checks what
the SDK would let through: every record validates against the vendor's model (strictly), no
key the model lacks, every value of an enum field in the vendor's enum; every query parameter
the tap sends is one the SDK's list method takes, with a value of the type it declares; every
error the sandbox answers has Merge's shape; every id the tap builds is present and unique for
any record the model allows; and README's ``### Merge`` column table names only fields the
models have. The SDK is a test-only dependency: the tap never imports it.
"""

from __future__ import annotations

import enum
import inspect
import json
import re
import subprocess
import types
import typing as t
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pydantic
import pytest
from conftest import TAP, SandboxClient, records, run_tap
from merge import Merge as MergeSDK
from merge.core.api_error import ApiError
from merge.resources.ats import types as T

from tap_ats.providers.merge.client import MODELS, MergeStream
from tap_ats.sandbox.merge import API_KEY, REVOKED_TOKEN, TOKENS
from tap_ats.sandbox.server import Sandbox
from tap_ats.streams import SCHEMAS
from tap_ats.tap import TapATS

README = Path(__file__).resolve().parents[1] / "README.md"
#: Every list endpoint the tap reads: its path segment, the SDK's resource and model.
ENDPOINTS = {"applications": ("applications", T.Application), "jobs": ("jobs", T.Job),
             "job-interview-stages": ("job_interview_stages", T.JobInterviewStage),
             "interviews": ("interviews", T.ScheduledInterview),
             "candidates": ("candidates", T.Candidate), "users": ("users", T.RemoteUser),
             "offers": ("offers", T.Offer), "departments": ("departments", T.Department),
             "offices": ("offices", T.Office), "reject-reasons": ("reject_reasons", T.RejectReason),
             "scorecards": ("scorecards", T.Scorecard), "eeocs": ("eeocs", T.Eeoc)}
#: Merge's model names (as the provider's MODELS and the README name them) to SDK models.
SDK_MODELS = {"Application": T.Application, "Job": T.Job, "JobInterviewStage": T.JobInterviewStage,
              "ScheduledInterview": T.ScheduledInterview, "Candidate": T.Candidate,
              "RemoteUser": T.RemoteUser, "Offer": T.Offer, "Department": T.Department,
              "Office": T.Office, "RejectReason": T.RejectReason, "Scorecard": T.Scorecard,
              "EEOC": T.Eeoc}


# Walking a raw answer against the vendor's model ---------------------------------------------


def _resolve(annotation: t.Any) -> t.Any:
    """A forward reference of the SDK's types, resolved in its types package."""
    if isinstance(annotation, t.ForwardRef):
        return getattr(T, annotation.__forward_arg__)
    return annotation


def _options(annotation: t.Any) -> list[t.Any]:
    """The alternatives of a Union or Optional (the annotation itself otherwise), None dropped."""
    annotation = _resolve(annotation)
    if t.get_origin(annotation) in (t.Union, types.UnionType):
        return [_resolve(a) for a in t.get_args(annotation) if a is not type(None)]
    return [annotation]


def _is(kind: type, option: t.Any) -> bool:
    return isinstance(option, type) and issubclass(option, kind)


def walk(annotation: t.Any, value: t.Any, path: str, problems: list[str]) -> None:
    """Every key the vendor's model lacks and every enum value outside its enum, under ``path``.

    A Union of an enum and ``str`` (Merge's "or the value passed through") is held to the enum:
    the sandbox serves only values Merge maps. A free-form ``Dict[str, Any]`` is not entered.
    """
    if value is None:
        return
    options = _options(annotation)
    if isinstance(value, dict):
        models = [o for o in options if _is(pydantic.BaseModel, o)]
        if not models:
            if not any(t.get_origin(o) is dict or o is dict or o is t.Any for o in options):
                problems.append(f"{path}: an object where the model has {annotation}")
            return
        fields = models[0].model_fields
        for key, item in value.items():
            if key not in fields:
                problems.append(f"{path}.{key}: not in {models[0].__name__}")
            else:
                walk(fields[key].annotation, item, f"{path}.{key}", problems)
    elif isinstance(value, list):
        lists = [o for o in options if t.get_origin(o) is list]
        for item in value if lists else []:
            walk(t.get_args(lists[0])[0], item, f"{path}[]", problems)
    elif enums := [o for o in options if _is(enum.Enum, o)]:
        if value not in {e.value for e in enums[0]}:
            problems.append(f"{path}: {value!r} not in {enums[0].__name__}")


def check_record(model: type[pydantic.BaseModel], raw: dict, where: str) -> list[str]:
    """Problems of one raw record: a strict validation error, unknown keys, foreign enum values."""
    problems: list[str] = []
    try:
        model.model_validate_json(json.dumps(raw), strict=True)
    except pydantic.ValidationError as exc:
        problems.append(f"{where}: {exc.errors()[0]}")
    walk(model, raw, where, problems)
    return problems


# The sandbox, read by the SDK ------------------------------------------------------------------


@pytest.fixture(scope="module")
def changed() -> t.Iterator[SandboxClient]:
    """A sandbox after two ``advance`` calls: deleted, changed and custom-field rows are in it."""
    client = SandboxClient(Sandbox(seed=7, applications=200))
    client.advance(60, "merge")
    client.advance(60, "merge")
    yield client
    client.server.shutdown()


def sdk(sandbox: SandboxClient, token: str, bodies: list | None = None,
        api_key: str = API_KEY) -> MergeSDK:
    """Merge's client on the sandbox; ``bodies`` collects every raw JSON answer."""

    def keep(response: httpx.Response) -> None:
        response.read()
        bodies.append(response.json())

    hooks = {"response": [keep]} if bodies is not None else {}
    return MergeSDK(base_url=sandbox.config("merge")["api_url"], api_key=api_key,
                    account_token=token, httpx_client=httpx.Client(event_hooks=hooks, timeout=30))


def tap_expand() -> dict[str, list[str]]:
    """The ``expand`` values each list endpoint is asked for by the tap's streams."""
    tap = TapATS(config={"provider": "merge", "api_key": "k", "account_tokens": ["t"],
                         "api_url": "http://127.0.0.1:9/api"}, setup_mapper=False)
    return {stream.path.rsplit("/", 1)[1]: stream.expand.split(",")
            for stream in tap.streams.values() if getattr(stream, "expand", None)}


def test_the_sdk_lists_every_endpoint_every_page_with_no_problem(changed):
    """Both accounts, all 12 endpoints, 25 a page, deleted rows in: every record is clean."""
    truth = changed.truth("merge")
    streams = {"job-interview-stages": "job_stages", "reject-reasons": "rejection_reasons",
               "eeocs": "demographics"}
    expand = tap_expand()
    problems: list[str] = []
    pages: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for token in TOKENS:
        bodies: list[dict] = []
        client = sdk(changed, token, bodies)
        details = client.ats.account_details.retrieve()
        problems += check_record(T.AccountDetails, bodies[-1], "account-details")
        assert details.status in {e.value for e in T.AccountDetailsAndActionsStatusEnum}
        for path, (resource, model) in ENDPOINTS.items():
            cursor = None
            while True:
                asked = {"expand": expand[path]} if path in expand else {}
                listed = getattr(client.ats, resource).list(
                    page_size=25, include_deleted_data=True, cursor=cursor, **asked)
                pages[path] += 1
                for n, raw in enumerate(bodies[-1]["results"]):
                    problems += check_record(model, raw, f"{path}[{n}]")
                seen[streams.get(path, path)] += len(listed.results or [])
                if not (cursor := listed.next):
                    break
        assert all(isinstance(r.current_stage, T.JobInterviewStage)
                   for r in client.ats.applications.list(expand=expand["applications"]).results)
    assert problems == []
    assert pages["applications"] >= 8  # every page, cursors included
    for stream, count in seen.items():
        assert count == truth[stream]["count"], stream
    assert truth["applications"]["deleted_ids"]


def sdk_expand(resource: str) -> list[str]:
    """Every relation the SDK's list of ``resource`` may expand (empty: it takes no ``expand``)."""
    method = getattr(MergeSDK(api_key="k").ats, resource).list
    parameter = inspect.signature(method).parameters.get("expand")
    found: list[str] = []

    def dig(annotation: t.Any) -> None:
        if _is(enum.Enum, annotation):
            found.extend(e.value for e in annotation)
        elif t.get_origin(annotation) is t.Literal:
            found.extend(t.get_args(annotation))
        for inner in t.get_args(annotation):
            dig(inner)

    dig(parameter.annotation if parameter else None)
    return sorted(set(found))


def test_every_relation_the_sdk_can_expand_is_served_in_merges_shape(changed):
    """All of each endpoint's ``expand`` at once: the related objects are walked too."""
    token = next(iter(TOKENS))
    bodies: list[dict] = []
    client = sdk(changed, token, bodies)
    problems: list[str] = []
    expanded: Counter[str] = Counter()
    for path, (resource, model) in ENDPOINTS.items():
        if not (relations := sdk_expand(resource)):
            continue
        listed = getattr(client.ats, resource).list(page_size=100, include_deleted_data=True,
                                                    expand=relations)
        assert listed.results, path
        for n, raw in enumerate(bodies[-1]["results"]):
            problems += check_record(model, raw, f"{path}[{n}]")
            expanded.update(f"{path}.{r}" for r in relations
                            if isinstance(raw.get(r), dict) or
                            (isinstance(raw.get(r), list) and raw[r] and
                             all(isinstance(v, dict) for v in raw[r])))
    assert problems == []
    assert set(expanded) >= {
        "applications.candidate", "applications.job", "applications.current_stage",
        "applications.reject_reason", "applications.offers", "jobs.departments", "jobs.offices",
        "jobs.hiring_managers", "jobs.recruiters", "job-interview-stages.job",
        "interviews.application", "interviews.job_interview_stage", "interviews.organizer",
        "interviews.interviewers", "offers.application", "scorecards.application",
        "scorecards.interview", "scorecards.interviewer", "eeocs.candidate"}


def test_every_custom_field_and_deletion_is_in_what_the_sdk_read(changed):
    """The rows the walk above judged include the shapes a fresh world lacks."""
    bodies: list[dict] = []
    listed = sdk(changed, next(iter(TOKENS)), bodies).ats.applications.list(
        page_size=100, include_deleted_data=True)
    assert any(r.remote_was_deleted for r in listed.results)
    mappings = [r.field_mappings for r in listed.results if r.field_mappings]
    assert mappings and all(set(m) == {"organization_defined_targets",
                                       "linked_account_defined_targets"} for m in mappings)


# What the tap sends ------------------------------------------------------------------------------


def every_stream_selected(config: dict, tmp_path: Path) -> dict:
    """The discovered catalog with every stream selected (demographics is opt-in)."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    catalog = json.loads(subprocess.run([TAP, "--config", str(path), "--discover"],
                                        capture_output=True, text=True, check=True).stdout)
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = True
    return catalog


def test_every_parameter_the_tap_sends_is_one_the_sdk_takes(changed, tmp_path):
    """Names and values (each ``expand`` relation too), checked against the list methods."""
    config = changed.config("merge", page_size=30)
    n = len(changed.log("merge"))
    rc, messages, err = run_tap(config, tmp_path, None, catalog=every_stream_selected(
        config, tmp_path))
    assert rc == 0, err[-3000:]
    assert records(messages, "demographics")
    client = sdk(changed, next(iter(TOKENS)))
    problems, asked = [], Counter()
    for entry in changed.log("merge")[n:]:
        segment = entry["path"].rsplit("/", 1)[1]
        if segment == "account-details":
            assert entry["query"] == ""
            continue
        method = getattr(client.ats, ENDPOINTS[segment][0]).list
        signature = inspect.signature(method).parameters
        for name, value in parse_qsl(entry["query"], keep_blank_values=True):
            asked[segment, name] += 1
            if name not in signature:
                problems.append(f"{segment}: {name} is not a parameter of the SDK's list")
                continue
            adapter = pydantic.TypeAdapter(signature[name].annotation)
            for part in value.split(",") if name == "expand" else [value]:
                try:
                    adapter.validate_python(part)
                except pydantic.ValidationError:
                    problems.append(f"{segment}: {name}={part!r} is not a value the SDK allows")
    assert problems == []
    assert {segment for segment, _ in asked} == set(ENDPOINTS)
    assert {name for _, name in asked} == {"page_size", "include_deleted_data", "modified_after",
                                           "expand", "cursor"}


def test_every_expand_of_the_tap_is_in_the_sdks_enum():
    """Statically too: a stream's ``expand`` names only relations the SDK's list enumerates."""
    for segment, relations in tap_expand().items():
        method = getattr(MergeSDK(api_key="k").ats, ENDPOINTS[segment][0]).list
        adapter = pydantic.TypeAdapter(inspect.signature(method).parameters["expand"].annotation)
        for relation in relations:
            adapter.validate_python(relation)


# Errors ----------------------------------------------------------------------------------------


def test_merges_sdk_has_no_error_model_for_reads():
    """Only write answers carry a modelled error (ErrorValidationProblem, in ``errors[]``); a
    failed read is ``ApiError`` with the body as given. So the sandbox's errors are held to the
    shape Merge's API answers them in (Django REST framework's ``{"detail": ...}``) below.
    """
    errors = sorted(name for name in dir(T) if "Error" in name or "Problem" in name)
    assert errors == ["ErrorValidationProblem", "ValidationProblemSource",
                      "WarningValidationProblem"]
    assert "errors" in T.ApplicationResponse.model_fields


def _error(call: t.Callable[[], object]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def test_every_error_the_sandbox_answers_is_merges_shape(sandbox):
    """401 key and token, 400 page size, cursor, filters and expand, 404, 403 disabled model."""
    token = next(iter(TOKENS))
    apps = sdk(sandbox, token).ats.applications
    first = apps.list(page_size=5)
    sandbox.faults(disabled_models=["/offers"])
    errors = {
        "api key": _error(lambda: sdk(sandbox, token, api_key="nope").ats.jobs.list()),
        "token": _error(lambda: sdk(sandbox, REVOKED_TOKEN).ats.jobs.list()),
        "page size": _error(lambda: apps.list(page_size=101)),
        "cursor": _error(lambda: apps.list(cursor="not-a-cursor")),
        "filters": _error(lambda: apps.list(page_size=6, cursor=first.next)),
        "expand": _error(lambda: apps.list(expand=["nonsense"])),
        "modified_after": _error(lambda: sdk(sandbox, token).ats.jobs.list(
            request_options={"additional_query_parameters": {"modified_after": "soon"}})),
        "disabled model": _error(lambda: sdk(sandbox, token).ats.offers.list()),
    }
    statuses = {why: e.status_code for why, e in errors.items()}
    assert statuses == {"api key": 401, "token": 401, "page size": 400, "cursor": 400,
                        "filters": 400, "expand": 400, "modified_after": 400,
                        "disabled model": 403}
    assert all(set(e.body) == {"detail"} and isinstance(e.body["detail"], str) and e.body["detail"]
               for e in errors.values()), {why: e.body for why, e in errors.items()}
    assert "Offer Common Model" in errors["disabled model"].body["detail"]
    missing = httpx.get(f"{sandbox.config('merge')['api_url']}/ats/v1/nothing-here",
                        headers={"Authorization": f"Bearer {API_KEY}", "X-Account-Token": token})
    assert missing.status_code == 404 and set(missing.json()) == {"detail"}


@pytest.mark.parametrize(("fault", "status"), [
    ({"429": 1}, 429), ({"5xx": 1}, 503), ({"forbidden": ["/jobs"]}, 403),
    ({"missing": ["/jobs"]}, 404), ({"error_code": {"code": "ANY", "status": 400}}, 400)])
def test_the_sandboxs_injected_errors_are_merges_shape_too(sandbox, fault, status):
    sandbox.faults(**fault)
    error = _error(lambda: sdk(sandbox, next(iter(TOKENS))).ats.jobs.list(
        request_options={"max_retries": 0}))
    assert error.status_code == status
    assert set(error.body) == {"detail"} and isinstance(error.body["detail"], str)


# Ids ---------------------------------------------------------------------------------------------


def _nulls(model: type[pydantic.BaseModel], **values: t.Any) -> dict:
    """A record of ``model`` with every field null but ``values``, and it validates."""
    raw = {name: None for name in model.model_fields} | values
    model.model_validate(raw)
    return raw


@pytest.fixture
def merge_tap() -> TapATS:
    return TapATS(config={"provider": "merge", "api_key": "k", "account_tokens": ["t"],
                          "api_url": "http://127.0.0.1:9/api"}, setup_mapper=False)


def derived(tap: TapATS, stream: str, raw: dict) -> dict[str, list[str]]:
    """The ids each child of ``stream`` derives from one raw record, as the tap builds them."""
    parent = tap.streams[stream]
    record = {**parent.unified(raw), "account_id": "acct"}
    return {child.name: [row["id"] for row in child.derive(record)]
            for child in parent.child_streams}


def test_every_stream_keeps_its_id_when_every_nullable_field_is_null(merge_tap):
    """Any record the vendor's model allows with an id maps, and keeps that id."""
    read = [s for s in merge_tap.streams.values() if isinstance(s, MergeStream)]
    assert len(read) == 12
    for stream in read:
        model = SDK_MODELS[MODELS[stream.name]]
        assert stream.unified(_nulls(model, id="x-1"))["id"] == "x-1", stream.name
    assert derived(merge_tap, "applications", _nulls(T.Application, id="a")) == {
        "application_stages": [], "sources": []}


def test_job_hiring_team_ids_are_unique_and_whole_for_every_input_the_model_allows(merge_tap):
    """Null and repeated users, a person in both roles, expanded users with and without ids."""
    job = _nulls(T.Job, id="j", hiring_managers=[None, "u1", {"id": None}, {"id": "u2"}, "u1"],
                 recruiters=["u1", None, {"id": "u2", "first_name": None}])
    assert sorted(derived(merge_tap, "jobs", job)["job_hiring_team"]) == [
        "j:u1:hiring_manager", "j:u1:recruiter", "j:u2:hiring_manager", "j:u2:recruiter"]
    assert derived(merge_tap, "jobs", _nulls(T.Job, id="j", hiring_managers=None,
                                             recruiters=[None])) == {"job_hiring_team": []}


def test_observed_stage_and_source_ids_need_the_values_they_are_built_from(merge_tap):
    """No observed row without a current stage or a change time; no source without a name."""
    full = _nulls(T.Application, id="a", current_stage="s", modified_at="2026-01-02T03:04:05Z",
                  source="Referral")
    rows = derived(merge_tap, "applications", full)
    assert rows["application_stages"] == ["a:s:2026-01-02T03:04:05Z"]
    assert len(rows["sources"]) == 1 and "None" not in rows["sources"][0]
    for missing in ("current_stage", "modified_at", "source"):
        rows = derived(merge_tap, "applications", {**full, "source": "Other", missing: None})
        assert all("None" not in key for ids in rows.values() for key in ids), missing
        assert len(rows["application_stages"]) == (missing == "source"), missing


# README ------------------------------------------------------------------------------------------


def readme_table() -> list[tuple[str, str, list[str]]]:
    """(stream, column, Merge field paths) of README's ``### Merge`` column-source table."""
    text = README.read_text()
    section = text.split("## Where each column comes from", 1)[1].split("\n## ", 1)[0]
    merge = section.split("### Merge\n", 1)[1].split("\n### ", 1)[0]
    rows = []
    for line in merge.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows.append((cells[0].strip("`"), cells[1].strip("`"),
                         re.findall(r"`([^`]+)`", cells[2])))
    return rows


def resolve_path(model: type[pydantic.BaseModel], path: str) -> str | None:
    """Why ``path`` is not in ``model`` (``a.b`` nested, ``a[].b`` in list elements), or None."""
    annotation: t.Any = model
    for segment in path.split("."):
        name = segment.removesuffix("[]")
        models = [o for o in _options(annotation) if _is(pydantic.BaseModel, o)]
        if not models:
            if any(t.get_origin(o) is dict for o in _options(annotation)):
                return None  # a free-form object (field_mappings): its keys are Merge's docs'
            return f"{segment}: {annotation} has no fields"
        if name not in models[0].model_fields:
            return f"{models[0].__name__} has no {name}"
        annotation = models[0].model_fields[name].annotation
        if segment.endswith("[]"):
            lists = [o for o in _options(annotation) if t.get_origin(o) is list]
            if not lists:
                return f"{name} is not a list"
            annotation = t.get_args(lists[0])[0]
    return None


def test_readme_merge_column_table_names_only_fields_merges_models_have():
    models = {**MODELS, "application_stages": "Application"}  # observed from applications
    rows = readme_table()
    assert len(rows) > 60
    problems = []
    for stream, column, paths in rows:
        if column not in SCHEMAS[stream]["properties"]:
            problems.append(f"{stream}.{column}: not a column of the stream")
        model = SDK_MODELS[models[stream]]
        problems += [f"{stream}.{column} <- {p}: {why}" for p in paths
                     if (why := resolve_path(model, p))]
        if not paths:
            problems.append(f"{stream}.{column}: no Merge field named")
    assert problems == []
    assert {stream for stream, _, _ in rows} == set(models)


def test_the_path_check_catches_a_wrong_path():
    assert resolve_path(T.ScheduledInterview, "application.job") is None
    assert resolve_path(T.Candidate, "email_addresses[].value") is None
    assert resolve_path(T.Candidate, "email_addresses.value") is not None
    assert resolve_path(T.Job, "hiring_managers[]") is None
    assert resolve_path(T.Job, "opened_at") == "Job has no opened_at"
