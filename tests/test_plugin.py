"""tap-ats as a Meltano plugin: its metadata agrees with the tap, each declared capability works,
a fresh Meltano project can add it from the plugin definition, and the demo and the tests leave
no state behind."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import socket
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pytest
import yaml
from conftest import TAP, SandboxClient, Warehouse, records, run_tap
from test_readme import README, readme_blocks, shell_env, with_sandbox_secrets

from tap_ats.provider import PROVIDERS
from tap_ats.sandbox.demo import MELTANO, ROOT, meltano_env, state_id

DEFINITION = ROOT / "tap-ats.yml"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]
KOMBO_ACCOUNT = "personio:8d1hHv8Dqs5sjPsW"

# Meltano kind for each JSON type of a setting in --about.
KIND = {"string": "string", "boolean": "boolean", "integer": "integer", "array": "array",
        "object": "object",
        # A fractional setting (a number or a string holding one) is a string to Meltano 4.4:
        # `integer` refuses "90.5", and `decimal` turns it into a Python Decimal that Meltano
        # then fails to write into the tap's JSON config ("Decimal is not JSON serializable").
        "number": "string"}
# Fields of the plugin definition that Meltano Hub lists and a project's meltano.yml has not.
HUB_ONLY = ("keywords", "maintenance_status", "usage")
# Settings only meltano.yml declares, and why.
MELTANO_ONLY = {"emit_activate_version_messages":
                "the SDK reads it (activate-version) but 0.54 leaves it out of a tap's --about"}


def extractor() -> dict[str, Any]:
    """The tap-ats extractor as this project's meltano.yml declares it."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    return next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-ats")


def loader(name: str) -> dict[str, Any]:
    """A loader's definition from meltano.yml, without this project's config."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    plugin = next(p for p in project["plugins"]["loaders"] if p["name"] == name)
    return {k: v for k, v in plugin.items() if k != "config"}


def about(tap: str = TAP) -> dict[str, Any]:
    return json.loads(subprocess.run([tap, "--about", "--format", "json"], capture_output=True,
                                     text=True, check=True).stdout)


def expected_kind(name: str, prop: dict[str, Any]) -> str:
    types = [prop["type"]] if isinstance(prop["type"], str) else prop["type"]
    if "enum" in prop:
        return "options"
    if prop.get("secret") and "string" in types:
        return "password"  # with `sensitive: true`, as Meltano Hub declares secrets
    if prop.get("format") == "date-time":
        return "date_iso8601"
    return KIND[next(t for t in types if t != "null")]


def test_about_and_meltano_yml_declare_the_same_settings():
    props = about()["settings"]["properties"]
    declared = {s["name"]: s for s in extractor()["settings"]}
    assert set(props) == set(declared) - set(MELTANO_ONLY), (
        "settings in --about but not meltano.yml (or back): "
        f"{sorted(set(props) ^ (set(declared) - set(MELTANO_ONLY)))}")
    assert set(MELTANO_ONLY) <= set(declared) - set(props), "stale exception"
    for name in set(props) & set(declared):
        prop, setting = props[name], declared[name]
        assert setting["kind"] == expected_kind(name, prop), name
        assert bool(prop.get("secret")) == bool(setting.get("sensitive")), name
        assert prop.get("default") == setting.get("value"), name
        assert setting.get("label") and setting.get("description"), name
        if "enum" in prop:
            assert [o["value"] for o in setting["options"]] == prop["enum"], name
    assert [o["value"] for o in declared["provider"]["options"]] == list(PROVIDERS)


def test_plugin_definition_matches_meltano_yml_and_pyproject():
    definition = yaml.safe_load(DEFINITION.read_text())
    project = extractor()
    for key in ("name", "namespace", "executable", "label", "description", "docs", "repo",
                "capabilities", "select", "settings_group_validation", "settings"):
        assert definition[key] == project[key], key
    urls = PYPROJECT["project"]["urls"]
    assert definition["repo"] == urls["Repository"]
    assert definition["pip_url"] == f"git+{urls['Repository']}.git"
    assert {"singer-io", "meltano"} <= set(PYPROJECT["project"]["keywords"])
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")


def test_one_version_everywhere():
    """pyproject.toml is the only source: the tap reports it and the CHANGELOG heads with it."""
    assert about()["version"] == VERSION
    heading = re.search(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert heading and heading[1] == VERSION


@pytest.mark.parametrize("provider", ["greenhouse", "kombo", "merge", "atzcrm", "ashby"])
def test_settings_group_is_what_the_tap_requires(sandbox, tmp_path, provider):
    """Meltano's settings_group_validation and the tap agree on each provider's settings.

    The provider's group is the largest one its config fills (Ashby's ``provider, api_key`` is
    inside Kombo's and Merge's groups too).
    """
    config = sandbox.config(provider)
    groups = [g for g in extractor()["settings_group_validation"] if set(g) <= set(config)]
    largest = max(map(len, groups))
    groups = [g for g in groups if len(g) == largest]
    assert len(groups) == 1, groups
    for setting in groups[0]:
        cfg = tmp_path / f"{setting}.json"
        cfg.write_text(json.dumps({k: v for k, v in config.items() if k != setting}))
        proc = subprocess.run([TAP, "--config", str(cfg), "--discover"], capture_output=True,
                              text=True, check=False)
        errors = [line for line in proc.stderr.splitlines() if line.startswith("tap-ats: error:")]
        assert proc.returncode != 0 and len(errors) == 1, (setting, proc.stderr[-500:])
        assert f"'{setting}'" in errors[0], errors


# Each capability meltano.yml declares, checked against the Kombo sandbox.


def discovered(config: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    cfg = tmp_path / "discover.json"
    cfg.write_text(json.dumps(config))
    return json.loads(subprocess.run([TAP, "--config", str(cfg), "--discover"],
                                     capture_output=True, text=True, check=True).stdout)


def root_metadata(entry: dict[str, Any]) -> dict[str, Any]:
    return next(m["metadata"] for m in entry["metadata"] if m["breadcrumb"] == [])


def schema_of(messages: list[dict], stream: str) -> dict[str, Any]:
    return next(m["schema"] for m in messages if m["type"] == "SCHEMA" and m["stream"] == stream)


def check_about(sandbox: SandboxClient, tmp_path: Path) -> None:
    info = about()
    assert info["name"] == "tap-ats"
    assert set(extractor()["capabilities"]) <= set(info["capabilities"])
    markdown = subprocess.run([TAP, "--about", "--format", "markdown"], capture_output=True,
                              text=True, check=True).stdout
    assert "provider" in markdown


def check_discover(sandbox: SandboxClient, tmp_path: Path) -> None:
    catalog = discovered(sandbox.config("kombo"), tmp_path)
    streams = {e["tap_stream_id"]: e for e in catalog["streams"]}
    assert {"applications", "candidates", "jobs"} <= set(streams)
    assert "candidate_history" not in streams  # Kombo has no history: not offered
    for entry in streams.values():
        assert entry["key_properties"] == ["provider", "account_id", "id"]
        assert {"provider", "account_id", "id"} <= set(entry["schema"]["properties"])


def check_catalog(sandbox: SandboxClient, tmp_path: Path) -> None:
    config = sandbox.config("kombo")
    catalog = discovered(config, tmp_path)
    for entry in catalog["streams"]:
        root_metadata(entry)["selected"] = entry["tap_stream_id"] == "jobs"
    rc, messages, err = run_tap(config, tmp_path, catalog=catalog)
    assert rc == 0, err
    assert {m["stream"] for m in messages if m["type"] == "RECORD"} == {"jobs"}


def check_state(sandbox: SandboxClient, tmp_path: Path) -> None:
    config = sandbox.config("kombo", lookback_window=0)
    rc, first, err = run_tap(config, tmp_path)
    assert rc == 0, err
    state = [m for m in first if m["type"] == "STATE"][-1]["value"]
    rc, unchanged, err = run_tap(config, tmp_path, state)
    assert rc == 0, err
    assert not records(unchanged, "applications")
    sandbox.advance(10, "kombo")
    rc, changed, err = run_tap(config, tmp_path, state)
    assert rc == 0, err
    assert 0 < len(records(changed, "applications")) < len(records(first, "applications"))


def personal_data_map() -> dict[str, Any]:
    """The stream map the README's "Personal data" section offers."""
    block = next(b for b in readme_blocks(README.read_text())
                 if b["heading"] == "Personal data" and b["language"] == "yaml")
    plugin = yaml.safe_load("\n".join(block["lines"]))["plugins"]["extractors"][0]
    return plugin["config"]["stream_maps"]


def check_stream_maps(sandbox: SandboxClient, tmp_path: Path) -> None:
    config = sandbox.config("kombo")
    rc, plain, err = run_tap(config, tmp_path)
    assert rc == 0, err
    rc, mapped, err = run_tap({**config, "stream_maps": personal_data_map()}, tmp_path)
    assert rc == 0, err
    emails = {(r["account_id"], r["id"]): r["emails"] for r in records(plain, "candidates")}
    assert any(emails.values())
    for record in records(mapped, "candidates"):
        original = emails[record["account_id"], record["id"]]
        expected = [hashlib.md5(e.encode()).hexdigest() for e in original]
        assert record["emails"] == (expected or None)
        assert "raw" not in record
    assert "raw" not in schema_of(mapped, "candidates")["properties"]


def check_schema_flattening(sandbox: SandboxClient, tmp_path: Path) -> None:
    """Flattened records hold no nested value and validate against their flattened SCHEMA.

    The SDK cannot flatten ``raw`` (an object without declared properties): it leaves the
    SCHEMA, and its keys arrive as undeclared ``raw__*`` values that targets may drop.
    """
    config = sandbox.config("kombo", flattening_enabled=True, flattening_max_depth=1)
    rc, messages, err = run_tap(config, tmp_path)
    assert rc == 0, err
    assert "string" in schema_of(messages, "candidates")["properties"]["emails"]["type"]
    streams = {m["stream"] for m in messages if m["type"] == "RECORD"}
    for stream in streams:
        validator = jsonschema.Draft202012Validator(schema_of(messages, stream))
        for record in records(messages, stream):
            assert not list(validator.iter_errors(record)), (stream, record)
            assert not [v for v in record.values() if isinstance(v, dict | list)], record


def check_activate_version(sandbox: SandboxClient, tmp_path: Path) -> None:
    config = sandbox.config("kombo", emit_activate_version_messages=True)
    catalog = discovered(config, tmp_path)
    for entry in catalog["streams"]:
        entry["replication_method"] = "FULL_TABLE"
        root_metadata(entry).update({"selected": True, "replication-method": "FULL_TABLE"})
    rc, messages, err = run_tap(config, tmp_path, catalog=catalog)
    assert rc == 0, err
    assert "applications" in {m["stream"] for m in messages if m["type"] == "ACTIVATE_VERSION"}


def check_batch(sandbox: SandboxClient, tmp_path: Path) -> None:
    """BATCH files carry exactly the records a plain run sends; tests/test_postgres.py loads them
    with target-postgres, full and incremental, for every provider."""
    config = sandbox.config("kombo")
    rc, plain, err = run_tap(config, tmp_path)
    assert rc == 0, err
    storage = {"root": tmp_path.as_uri(), "prefix": "batch-"}
    rc, messages, err = run_tap({**config, "batch_config": {
        "encoding": {"format": "jsonl", "compression": "gzip"}, "storage": storage}}, tmp_path)
    assert rc == 0, err
    assert not [m for m in messages if m["type"] == "RECORD"]
    batched: dict[str, list[tuple[str, str]]] = {}
    for message in (m for m in messages if m["type"] == "BATCH"):
        for url in message["manifest"]:
            with gzip.open(Path(url.removeprefix("file://"))) as lines:
                batched.setdefault(message["stream"], []).extend(
                    (r["account_id"], r["id"]) for r in map(json.loads, lines))
    sent = {m["stream"] for m in plain if m["type"] == "RECORD"}
    assert set(batched) == sent
    for stream in sent:
        assert sorted(batched[stream]) == sorted((r["account_id"], r["id"])
                                                 for r in records(plain, stream)), stream


CAPABILITIES = {"about": check_about, "discover": check_discover, "catalog": check_catalog,
                "state": check_state, "stream-maps": check_stream_maps,
                "schema-flattening": check_schema_flattening,
                "activate-version": check_activate_version, "batch": check_batch}


def test_every_declared_capability_has_a_check():
    assert set(extractor()["capabilities"]) == set(CAPABILITIES)


@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_capability(sandbox, tmp_path, capability):
    CAPABILITIES[capability](sandbox, tmp_path)


# Use from a fresh Meltano project, through the plugin definition and a wheel of this checkout.


def use_in_own_project_block(definition: Path, target: Path) -> list[str]:
    """The README's block, reading the definition and target-duckdb from local files."""
    block = next(b for b in readme_blocks(README.read_text())
                 if b["heading"] == "Use in your own Meltano project" and b["language"] == "sh")
    lines = [re.sub(r"--from-ref \S+/tap-ats\.yml", f"--from-ref {definition}", line)
             for line in block["lines"]]
    lines = [f"meltano add --from-ref {target} target-duckdb"
             if line.strip() == "meltano add target-duckdb" else line for line in lines]
    assert str(definition) in "\n".join(lines) and str(target) in "\n".join(lines), (
        "the README no longer adds tap-ats --from-ref and target-duckdb: update this test")
    return lines


def test_fresh_project_adds_tap_ats_from_the_definition_and_loads_duckdb(sandbox, tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w",
                    str(wheels), str(ROOT)], capture_output=True, check=True)
    wheel = next(wheels.glob(f"tap_ats-{VERSION}-py3-none-any.whl"))
    definition = yaml.safe_load(DEFINITION.read_text())
    definition["pip_url"] = f"{wheel} -c {ROOT / 'requirements.lock'}"
    (tmp_path / "tap-ats.yml").write_text(yaml.safe_dump(definition))
    (tmp_path / "target-duckdb.yml").write_text(yaml.safe_dump(loader("target-duckdb")))
    lines = use_in_own_project_block(tmp_path / "tap-ats.yml", tmp_path / "target-duckdb.yml")
    lines, _ = with_sandbox_secrets(lines, sandbox)
    result = subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=tmp_path,
                            env=shell_env(ROOT), capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stderr[-4000:]

    project = tmp_path / "hiring"
    installed = project / ".meltano" / "extractors" / "tap-ats" / "venv" / "bin" / "tap-ats"
    assert about(str(installed))["version"] == VERSION  # the wheel installed, and it runs
    expected = {tuple(k) for k in sandbox.truth("kombo")["applications"]["ids"]
                if k[0] == KOMBO_ACCOUNT}
    with duckdb.connect(str(project / "output" / "hiring.duckdb"), read_only=True) as con:
        got = set(con.execute("select account_id, id from tap_ats.applications").fetchall())
    assert expected and got == expected
    state = subprocess.run([MELTANO, "state", "get", "dev:tap-ats-to-target-duckdb"],
                           cwd=project, env=shell_env(ROOT), capture_output=True, text=True,
                           check=True).stdout
    assert KOMBO_ACCOUNT in state and "api_key" not in state


# Small fixes: a taken sandbox port, state ids left behind.


def test_sandbox_on_a_taken_port_says_so_in_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "tap_ats.sandbox", "--port", str(port)],
                              capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0, proc.stderr
    assert proc.stderr.startswith(f"tap-ats: error: sandbox port {port} ")
    assert "--port 0" in proc.stderr


def state_ids(pattern: str) -> set[str]:
    out = subprocess.run([MELTANO, "state", "list", "--pattern", pattern], cwd=ROOT,
                         env=meltano_env({}), capture_output=True, text=True, check=True).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


def test_warehouse_state_id_is_cleared(sandbox, tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.run(sandbox.config("kombo"))
    assert state_ids(state_id(warehouse.state_suffix)) == {state_id(warehouse.state_suffix)}
    warehouse.clear_state()
    assert not state_ids(state_id(warehouse.state_suffix))


def test_demo_leaves_no_state_id(tmp_path):
    before = state_ids("*demo*")
    proc = subprocess.run([sys.executable, "-m", "tap_ats.sandbox.demo", "--provider", "kombo"],
                          cwd=ROOT, env=meltano_env({}), capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "sandbox truth" in proc.stdout
    assert state_ids("*demo*") == before


def test_meltano_yml_needs_meltano_4_and_has_no_version():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    assert "version" not in project
    assert project["requires_meltano"].startswith(">=4")
    out = subprocess.run([MELTANO, "config", "list", "tap-ats"], cwd=ROOT, env=meltano_env({}),
                         capture_output=True, text=True, check=True)
    assert "DeprecationWarning" not in out.stdout + out.stderr


def test_meltano_yml_and_definition_fit_meltanos_own_schema():
    """Validated against the JSON Schema that the installed Meltano ships for meltano.yml."""
    schema = json.loads((resources.files("meltano") / "schemas" / "meltano.schema.json")
                        .read_text())
    validator = jsonschema.Draft202012Validator(schema)
    definition = yaml.safe_load(DEFINITION.read_text())
    hub = {key: definition.pop(key) for key in HUB_ONLY}  # Meltano Hub's listing fields
    assert "meltano_sdk" in hub["keywords"] and hub["maintenance_status"] == "active"
    assert "provider" in hub["usage"]
    for document in (yaml.safe_load((ROOT / "meltano.yml").read_text()),
                     {"plugins": {"extractors": [definition]}}):
        assert not [e.message for e in validator.iter_errors(document)]
    wrong = {**definition, "capabilities": [*definition["capabilities"], "batching"]}
    assert list(validator.iter_errors({"plugins": {"extractors": [wrong]}}))


def test_meltano_leaves_demographics_out_unless_selected(sandbox):
    """EEOC answers are sensitive: the project's select rules load every stream but that one."""
    dumped = subprocess.run([MELTANO, "invoke", "--dump=catalog", "tap-ats"], cwd=ROOT,
                            env=meltano_env(sandbox.config("merge")), capture_output=True,
                            text=True, check=True).stdout
    selected = {entry["tap_stream_id"]: next(m["metadata"].get("selected") for m in
                                             entry["metadata"] if m["breadcrumb"] == [])
                for entry in json.loads(dumped)["streams"]}
    assert selected.pop("demographics") is False
    assert selected and all(selected.values()), selected


def test_fractional_settings_reach_the_tap_unchanged(sandbox, tmp_path):
    """Meltano passes 90.5 requests a minute and a 2.5 s timeout through, and the tap reads them."""
    env = meltano_env(sandbox.config("kombo", max_requests_per_minute=90.5,
                                     request_timeout=2.5, page_size=50))
    dumped = json.loads(subprocess.run([MELTANO, "invoke", "--dump=config", "tap-ats"], cwd=ROOT,
                                       env=env, capture_output=True, text=True,
                                       check=True).stdout)
    assert float(dumped["max_requests_per_minute"]) == 90.5
    assert float(dumped["request_timeout"]) == 2.5
    rc, messages, err = run_tap(dumped, tmp_path)
    assert rc == 0, err[-2000:]
    assert records(messages, "applications")
    assert run_tap({**dumped, "request_timeout": "soon"}, tmp_path)[2].count(
        "setting 'request_timeout' must be a number, got 'soon'") == 1


def test_provider_is_required_in_about_and_discover_without_it_says_so(tmp_path):
    assert about()["settings"]["required"] == ["provider"]
    for args in (["--discover"], ["--config", str(tmp_path / "c.json"), "--discover"]):
        (tmp_path / "c.json").write_text("{}")
        result = subprocess.run([TAP, *args], capture_output=True, text=True, check=False)
        lines = [x for x in result.stderr.splitlines() if x.startswith("tap-ats: error:")]
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert lines == ["tap-ats: error: setting 'provider' is required: one of "
                         + ", ".join(PROVIDERS)]
