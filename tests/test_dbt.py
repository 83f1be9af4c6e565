"""The dbt package in transform/: ``dbt build`` on what tap-ats loaded, compared with the truth.

For every provider the models must give the sandbox's figures: stage visits per application,
hires per job (and as the last funnel stage's conversions), and applications that reached each
stage (that stage or a later one, in the loaded plan's order), with the applications deleted at
the source left out. DuckDB always; PostgreSQL when TAP_ATS_TEST_POSTGRES is set (see .ci/run).
The models' semantics case by case: tests/test_models.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import duckdb
import pytest
from conftest import SandboxClient, Warehouse

from tap_ats.sandbox.demo import dbt, meltano_env, meltano_run, meltano_state_clear, postgres_env
from tap_ats.sandbox.server import Sandbox

PROVIDERS = ["greenhouse", "kombo", "merge", "atzcrm", "ashby", "lever"]
POSTGRES = os.environ.get("TAP_ATS_TEST_POSTGRES")

# Each figure as (key, key, number) rows from the models in schema {s}.
MODEL_FIGURES = {
    "visits_per_application": "select account_id, application_id, count(*) "
                              "from {s}.ats__stage_visits group by 1, 2",
    "hires_per_job": "select account_id, job_id, hires from {s}.ats__jobs_enhanced "
                     "where hires > 0",
    # One definition of a hire (int_ats__hires): every mart counts the same ones.
    "hired_applications_per_job": "select account_id, job_id, count(*) "
                                  "from {s}.ats__applications_enhanced "
                                  "where outcome = 'hired' group by 1, 2",
    "time_to_hire_per_job": "select account_id, group_id, hires from {s}.ats__time_to_hire "
                            "where group_type = 'job' and hires > 0",
    "hires_per_account_by_source": "select account_id, 'all', sum(hires) "
                                   "from {s}.ats__source_effectiveness group by 1 "
                                   "having sum(hires) > 0",
    "reached_per_stage": "select account_id, stage_id, sum(applications_reached) "
                         "from {s}.ats__funnel where applications_reached > 0 group by 1, 2",
    "hires_from_last_stage": "select account_id, job_id, applications_moved_on "
                             "from {s}.ats__funnel as f where applications_moved_on > 0 and "
                             "stage_order = (select max(stage_order) from {s}.ats__funnel as g "
                             "where g.job_key = f.job_key)",
    "live_applications": "select account_id, application_id, 1 "
                         "from {s}.ats__applications_enhanced",
}


# The loaded plans: (account_id, job_id, stage id, order) of every live job stage in schema {s}.
PLANS_SQL = ('select account_id, job_id, id, "order" from {s}.job_stages '
             "where deleted_at is null and _sdc_deleted_at is null")


def truth_figures(truth: dict[str, Any],
                  plans: list[tuple]) -> dict[str, dict[tuple[str, str], int]]:
    """The same figures computed from the sandbox's truth and the plans the tap loaded.

    An application reached each stage of its job's plan up to the furthest one it visited (the
    sandbox's world hires only from the last stage, so hires reach every stage anyway). A stage
    of no job (ATZ CRM's talent stages) is in every job's plan.
    """
    deleted = {tuple(k) for k in truth["applications"]["deleted_ids"]}
    live = {tuple(k) for k in truth["applications"]["ids"]} - deleted
    visits = [v for v in truth["stage_visits"] if (v["account_id"], v["application_id"]) in live]
    order = {(a, s): int(o) for a, _, s, o in plans}
    plan: dict[tuple[str, str | None], list[str]] = {}
    for a, job, s, _ in plans:
        plan.setdefault((a, job), []).append(s)
    job_of = {(a, s): job for a, job, s, _ in plans}
    furthest: dict[tuple[str, str], str] = {}
    for v in visits:
        app, stage = (v["account_id"], v["application_id"]), (v["account_id"], v["stage_id"])
        if app not in furthest or order[stage] > order[app[0], furthest[app]]:
            furthest[app] = v["stage_id"]
    reached = Counter((a, s) for (a, _), top in furthest.items()
                      for s in plan[a, job_of[a, top]] if order[a, s] <= order[a, top])
    hires = {(a, j): n for a, j, n in truth["hires"]}
    per_account = Counter()
    for (a, _), n in hires.items():
        per_account[a, "all"] += n
    return {
        "visits_per_application": dict(Counter((v["account_id"], v["application_id"])
                                               for v in visits)),
        "hires_per_job": hires,
        "hired_applications_per_job": hires,
        "time_to_hire_per_job": hires,
        "hires_per_account_by_source": dict(per_account),
        "reached_per_stage": dict(reached),
        "hires_from_last_stage": hires,
        "live_applications": dict.fromkeys(live, 1),
    }


def assert_models_match_truth(query: Callable[[str], list[tuple]], schema: str, source: str,
                              *truths: dict[str, Any], alone: bool = True) -> dict[str, int]:
    """The models' figures (in ``schema``) equal the truth's, of several providers loaded side by
    side into ``source``. ``alone``: the truths' providers are all the warehouse holds, so a row
    of any other account is wrong too; else only the truths' accounts are compared."""
    expected: dict[str, dict[tuple[str, str], int]] = {name: {} for name in MODEL_FIGURES}
    plans = query(PLANS_SQL.format(s=source))
    accounts: set[str] = set()
    for truth in truths:
        mine = {a for a, _ in truth["applications"]["ids"]}
        accounts |= mine
        for name, values in truth_figures(truth, [p for p in plans if p[0] in mine]).items():
            expected[name].update(values)
    for name, sql in MODEL_FIGURES.items():
        got = {(a, b): int(n) for a, b, n in query(sql.format(s=schema))
               if alone or a in accounts}
        diff = sorted(set(got.items()) ^ set(expected[name].items()))[:4]
        assert got == expected[name], (name, len(got), len(expected[name]), diff)
    return {name: sum(values.values()) for name, values in expected.items()}


def load(sandbox, provider: str, run: Callable[[], None]) -> dict[str, Any]:
    """A full sync, then (where deletes show) changes and an incremental one; the truth after.

    Greenhouse and Ashby show no deletes and drop a deleted application from their APIs, so
    their warehouse keeps rows the truth no longer has (see test_greenhouse): they are compared
    after the full sync alone. ATZ CRM shows no deletes either, but keeps the history, as the
    truth does.
    """
    run()
    if provider not in ("greenhouse", "ashby"):
        sandbox.advance(40, provider)
        run()
    return sandbox.truth(provider)


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory) -> Iterator[tuple[Warehouse, dict[str, dict[str, Any]]]]:
    """Every provider loaded into one DuckDB schema, each under its own Meltano state id, as
    ``load`` loads it, and the package built once over all of them; with each one's truth."""
    client = SandboxClient(Sandbox(seed=42, applications=200))
    path = tmp_path_factory.mktemp("side-by-side") / "warehouse.duckdb"
    warehouses, truths = [], {}
    try:
        for provider in PROVIDERS:
            warehouses.append(Warehouse(path))
            truths[provider] = load(client, provider,
                                    partial(warehouses[-1].run, client.config(provider)))
        out = warehouses[0].dbt("build")
        assert "ERROR=0" in out and "WARN=0" in out, out[-3000:]
        yield warehouses[0], truths
    finally:
        for warehouse in warehouses:
            warehouse.clear_state()
        client.server.shutdown()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_dbt_build_on_duckdb_matches_truth(side_by_side, provider):
    warehouse, truths = side_by_side
    truth = truths[provider]
    totals = assert_models_match_truth(warehouse.query, "analytics", "tap_ats", truth,
                                       alone=False)
    assert totals["visits_per_application"] > totals["live_applications"] > 150
    if provider in ("greenhouse", "kombo", "merge", "ashby", "lever"):  # Merge: signed offers
        assert totals["hires_per_job"] > 0, "the world hires; these providers say so"
    if provider in ("kombo", "merge", "lever"):  # the providers that show deletes
        assert truth["applications"]["deleted_ids"], "the advance should have deleted some"
    # Lever's interviews under a deleted opportunity get no delete (Lever answers 404 there):
    # they stay, their application columns null; the truth lists the live ones.
    live = " and application_key is not null" if provider == "lever" else ""
    interviews = warehouse.query(  # a row per interviewer: count the interviews
        "select count(distinct interview_key) from analytics.ats__interviews_enhanced "
        f"where provider = '{provider}'{live}")[0][0]
    assert interviews == len(truth["interviews"]["ids"]) - len(truth["interviews"]["deleted_ids"])


def test_providers_side_by_side_in_one_warehouse(side_by_side):
    """Every provider in one schema, each with its own Meltano state: the models keep them apart
    (no figure of an account no truth has) and still match every truth."""
    warehouse, truths = side_by_side
    assert_models_match_truth(warehouse.query, "analytics", "tap_ats", *truths.values())
    providers = warehouse.query("select distinct provider from analytics.ats__funnel order by 1")
    assert [p for p, in providers] == sorted(PROVIDERS)


def test_every_model_column_is_described(side_by_side):
    """What dbt docs shows: each column the warehouse holds has a description, none is stale."""
    warehouse, _ = side_by_side
    warehouse.dbt("docs", "generate")
    target = warehouse.path.parent / "dbt"
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    catalog = json.loads((target / "catalog.json").read_text())["nodes"]
    assert len(catalog) == 31  # 14 staging (demographics off), 5 intermediate, 12 ats__ models
    for uid, node in catalog.items():
        built = {name.lower() for name in node["columns"]}
        described = {name for name, col in manifest[uid]["columns"].items() if col["description"]}
        assert built == described == set(manifest[uid]["columns"]), uid


def test_interviewer_names_come_from_users_once_loaded(sandbox, warehouse):
    warehouse.run(sandbox.config("kombo"))
    with duckdb.connect(str(warehouse.path)) as con:  # a warehouse loaded before users existed
        con.execute("drop table if exists tap_ats.users")
    warehouse.dbt("build")
    rows = warehouse.query("select count(*), count(interviewer_name) "
                           "from analytics.ats__interviews_enhanced")
    assert rows[0][0] > 100 and rows[0][1] == 0  # no users table yet: no names, no failure
    with duckdb.connect(str(warehouse.path)) as con:
        ids = [r[0] for r in con.execute(
            "select distinct account_id || '|' || u.id from tap_ats.interviews, "
            "unnest(from_json(interviewer_ids, '[\"VARCHAR\"]')) as u(id) order by 1").fetchall()]
        con.execute("create table tap_ats.users (provider varchar, account_id varchar, "
                    "id varchar, name varchar, email varchar, active boolean, "
                    "deleted_at timestamp, _sdc_deleted_at timestamp)")
        gone = ids[0]
        for key in ids:
            account, user = key.split("|")
            con.execute("insert into tap_ats.users values ('kombo', ?, ?, ?, ?, true, ?, null)",
                        [account, user, f"Name {user}", f"{user}@example.com",
                         "2026-01-01" if key == gone else None])
        # Kombo gives no interview status, and the load counts only interviews marked complete.
        con.execute("update tap_ats.interviews set status = 'complete'")
    warehouse.dbt("build")
    named = warehouse.query("select account_id || '|' || interviewer_id, interviewer_name "
                            "from analytics.ats__interviews_enhanced")
    assert {k for k, name in named if name is None} == {gone}  # deleted user: left out
    assert all(name == f"Name {k.split('|')[1]}" for k, name in named if k != gone)
    load_names = warehouse.query("select count(*), count(interviewer_name) "
                                 "from analytics.ats__interviewer_load")
    assert load_names[0][0] > load_names[0][1] > 0


def test_source_freshness_reads_the_extraction_time(sandbox, warehouse):
    warehouse.run(sandbox.config("atzcrm"))  # no interviews table: its freshness is not checked
    out = warehouse.dbt("source", "freshness")
    assert out.count("PASS freshness of tap_ats.") == 5, out[-3000:]
    with duckdb.connect(str(warehouse.path)) as con:  # a week and a day without a load
        con.execute("update tap_ats.jobs set _sdc_extracted_at = now() - interval 8 day")
    out = warehouse.dbt("source", "freshness", check=False)
    assert "ERROR STALE freshness of tap_ats.jobs " in out, out[-3000:]
    assert out.count("PASS freshness of tap_ats.") == 4, out[-3000:]


def psql(sql: str) -> list[tuple]:
    """Rows of ``sql`` on the test PostgreSQL, as text."""
    out = subprocess.run(["psql", POSTGRES, "-At", "-F", "\t", "-c", sql],
                         capture_output=True, text=True, check=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def postgres_run(env: dict[str, str], suffix: str) -> None:
    """``meltano run tap-ats target-postgres`` under its own state id."""
    result = meltano_run(env, state_suffix=suffix, loader="target-postgres")
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def postgres_side_by_side(tmp_path_factory) -> Iterator[tuple[str, dict[str, dict[str, Any]]]]:
    """As ``side_by_side``, into one PostgreSQL schema by target-postgres, built by dbt-postgres:
    the models schema and each provider's truth."""
    if not POSTGRES:
        pytest.skip("TAP_ATS_TEST_POSTGRES not set (see .ci/run)")
    client = SandboxClient(Sandbox(seed=42, applications=200))
    schema = f"tap_ats_{uuid.uuid4().hex[:8]}"
    target = str(tmp_path_factory.mktemp("postgres-dbt"))
    suffixes, truths = [], {}
    try:
        for provider in PROVIDERS:
            env = postgres_env(meltano_env(client.config(provider)), POSTGRES, schema,
                               f"{schema}_models")
            env["DBT_TARGET_PATH"] = env["DBT_LOG_PATH"] = target
            suffixes.append(f"pg-dbt-{uuid.uuid4().hex[:8]}")
            truths[provider] = load(client, provider, partial(postgres_run, env, suffixes[-1]))
        result = dbt(env, "build", utility="dbt-postgres")
        assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
        yield f"{schema}_models", truths
    finally:
        for suffix in suffixes:
            meltano_state_clear(suffix, loader="target-postgres")
        psql(f"drop schema if exists {schema} cascade; "
             f"drop schema if exists {schema}_models cascade")
        client.server.shutdown()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_dbt_build_on_postgres_matches_truth(postgres_side_by_side, provider):
    models, truths = postgres_side_by_side
    assert_models_match_truth(psql, models, models.removesuffix("_models"), truths[provider],
                              alone=False)


def test_postgres_keeps_the_providers_apart(postgres_side_by_side):
    models, truths = postgres_side_by_side
    assert_models_match_truth(psql, models, models.removesuffix("_models"), *truths.values())
