"""The dbt models' semantics over small hand-built fixtures, with the expected rows written out.

The fixtures are loaded into a schema of their own as a loader would load them; the
integration project in transform/integration_tests/ installs the package from its path and
builds it there, on DuckDB always and on PostgreSQL when TAP_ATS_TEST_POSTGRES is set. The
interviews' times are stored WITH a time zone and dbt runs in a New York session, so a week cut
in the session's zone instead of UTC shows.

The world: Greenhouse job J1 (native visits, plan s1 < s2 < s3 < s4), Kombo job K1 (observed
sightings, plan k1 < k2 < k3 < k4) and ATZ CRM job job-a (derived visits over the account's
talent stages t1 < t2 < t3, and the terminal Withdrawn t7, Rejected t8, Placed t9).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tap_ats.sandbox.demo import ROOT, dbt, postgres_env

POSTGRES = os.environ.get("TAP_ATS_TEST_POSTGRES")
PROJECT = ROOT / "transform" / "integration_tests"
LOADED = "2026-06-01 00:00:00"  # _sdc_extracted_at of the first load
RELOADED = "2026-06-02 00:00:00"  # ... of the rows the incremental test changes

COLUMNS = {  # table: columns (name, type); the common ones follow
    "applications": "candidate_id text, job_id text, current_stage_id text, "
                    "current_stage_name text, status text, status_raw text, applied_at timestamp, "
                    "rejected_at timestamp, rejection_reason text, source text",
    "application_stages": "application_id text, job_id text, candidate_id text, stage_id text, "
                          "stage_name text, entered_at timestamp, exited_at timestamp, "
                          "is_current boolean, origin text, observed_at timestamp",
    "jobs": "name text, code text, status text, status_raw text, opened_at timestamp, "
            "closed_at timestamp",
    "job_stages": 'job_id text, name text, "order" integer, active boolean',
    "candidates": "first_name text, last_name text",
    "interviews": "application_id text, job_id text, stage_id text, title text, status text, "
                  "start_at timestamptz, end_at timestamptz, location text, organizer_id text, "
                  "interviewer_ids {list}",
    "users": "name text, email text, active boolean",
}
COMMON = ("provider text, account_id text, id text, created_at timestamp, updated_at timestamp, "
          "deleted_at timestamp, _sdc_deleted_at timestamp, _sdc_extracted_at timestamp")

GH, KB, ATZ = ("greenhouse", "gh"), ("kombo", "kb"), ("atzcrm", "atz")
GH_STAGES = {"s1": "Screen", "s2": "Phone", "s3": "Onsite", "s4": "Offer"}
KB_STAGES = {"k1": "Applied", "k2": "Screen", "k3": "Interview", "k4": "Offer"}
ATZ_STAGES = {"t1": "Application Review", "t2": "Interview", "t3": "Offer", "t7": "Withdrawn",
              "t8": "Rejected", "t9": "Placed"}
# ATZ's order is the stages' median position in the paths: Rejected ties with Interview.
ATZ_ORDER = {"t1": 0, "t2": 1, "t3": 2, "t7": 1, "t8": 1, "t9": 3}


def row(account: tuple[str, str], id_: str, deleted: str | None = None,
        sdc_deleted: str | None = None, **values: Any) -> dict[str, Any]:
    """A row of a loaded table: ``account`` is (provider, account_id)."""
    return {"provider": account[0], "account_id": account[1], "id": id_, "created_at": None,
            "updated_at": None, "deleted_at": deleted, "_sdc_deleted_at": sdc_deleted,
            "_sdc_extracted_at": LOADED, **values}


def application(account: tuple[str, str], id_: str, job: str, stage: str, status: str,
                reason: str | None = None, **kw: Any) -> dict[str, Any]:
    names = {**GH_STAGES, **KB_STAGES, **ATZ_STAGES}
    return row(account, id_, candidate_id=f"cand-{id_}", job_id=job, current_stage_id=stage,
               current_stage_name=names[stage], status=status, status_raw=status,
               applied_at="2026-01-01 09:00:00", rejected_at=None, rejection_reason=reason,
               source="LinkedIn", **kw)


def path(account: tuple[str, str], app: str, job: str, stages: list[str], origin: str,
         deleted: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    """One visit per stage, on consecutive days from 2 Jan 2026 (index in ``deleted``: marked
    deleted by the loader)."""
    out = []
    for i, stage in enumerate(stages):
        last = i == len(stages) - 1
        out.append(row(account, f"{app}-v{i}", sdc_deleted="2026-05-01 00:00:00" if i in deleted
                       else None, application_id=app, job_id=job, candidate_id=f"cand-{app}",
                       stage_id=stage, stage_name=None, entered_at=f"2026-01-{2 + i:02d} 10:00:00",
                       exited_at=None if last else f"2026-01-{3 + i:02d} 10:00:00",
                       is_current=last, origin=origin, observed_at=None))
    return out


def interview(id_: str, sdc_deleted: str | None = None, **values: Any) -> dict[str, Any]:
    return row(GH, id_, sdc_deleted=sdc_deleted, job_id="J1", stage_id=None, title=None,
               location=None, organizer_id=None, **values)


def sightings(app: str, seen: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Kombo's observed rows: the current stage at each sync's change time."""
    return [row(KB, f"{app}:{stage}:{at}", application_id=app, job_id="K1",
                candidate_id=f"cand-{app}", stage_id=stage, stage_name=KB_STAGES[stage],
                entered_at=None, exited_at=None, is_current=None, origin="observed",
                observed_at=at) for stage, at in seen]


T1, T2, T3 = "2026-02-01 08:00:00", "2026-02-08 08:00:00", "2026-02-15 08:00:00"

FIXTURES: dict[str, list[dict[str, Any]]] = {
    "applications": [
        application(GH, "A1", "J1", "s4", "hired"),
        application(GH, "A2", "J1", "s3", "active"),  # skipped s2
        application(GH, "A3", "J1", "s1", "rejected", "Not a fit"),
        application(GH, "A4", "J1", "s2", "rejected", "Lacks experience"),
        application(GH, "A5", "J1", "s3", "rejected", "Withdrew"),
        application(GH, "A6", "J1", "s4", "rejected", "Position filled"),
        application(GH, "A7", "J1", "s2", "active", sdc_deleted="2026-05-01 00:00:00"),
        application(GH, "A8", "J1", "s1", "active", deleted="2026-05-01 00:00:00"),
        application(GH, "A9", "J1", "s2", "active"),  # its s4 row is deleted
        application(GH, "A10", "J1", "s2", "active"),  # moved back from s3
        application(KB, "B1", "K1", "k3", "active"),  # never observed at k2
        application(KB, "B2", "K1", "k4", "hired"),
        application(KB, "B3", "K1", "k2", "rejected", "Not a fit"),
        application(ATZ, "c1:job-a", "job-a", "t8", "rejected"),
        application(ATZ, "c2:job-a", "job-a", "t9", "hired"),
        application(ATZ, "c3:job-a", "job-a", "t2", "active"),  # reopened after Rejected
        application(ATZ, "c5:job-a", "job-a", "t7", "rejected"),
    ],
    "application_stages": [
        *path(GH, "A1", "J1", ["s1", "s2", "s3", "s4"], "native"),
        *path(GH, "A2", "J1", ["s1", "s3"], "native"),
        *path(GH, "A3", "J1", ["s1"], "native"),
        *path(GH, "A4", "J1", ["s1", "s2"], "native"),
        *path(GH, "A5", "J1", ["s1", "s2", "s3"], "native"),
        *path(GH, "A6", "J1", ["s1", "s2", "s3", "s4"], "native"),
        *path(GH, "A7", "J1", ["s1", "s2"], "native"),
        *path(GH, "A8", "J1", ["s1"], "native"),
        *path(GH, "A9", "J1", ["s1", "s2", "s4"], "native", deleted=(2,)),
        *path(GH, "A10", "J1", ["s1", "s3", "s2"], "native"),
        *sightings("B1", [("k1", T1), ("k1", T2), ("k3", T3)]),
        *sightings("B2", [("k1", T1), ("k4", T2)]),
        *sightings("B3", [("k2", T1), ("k2", T2)]),
        *path(ATZ, "c1:job-a", "job-a", ["t1", "t2", "t8"], "derived"),
        *path(ATZ, "c2:job-a", "job-a", ["t1", "t2", "t3", "t9"], "derived"),
        *path(ATZ, "c3:job-a", "job-a", ["t1", "t8", "t1", "t2"], "derived"),
        *path(ATZ, "c5:job-a", "job-a", ["t1", "t7"], "derived"),
    ],
    "jobs": [
        row(GH, "J1", name="Engineer", code=None, status="open", status_raw="open",
            opened_at="2025-12-01 00:00:00", closed_at=None),
        row(GH, "J9", deleted="2026-05-01 00:00:00", name="Gone", code=None, status="open",
            status_raw="open", opened_at="2025-12-01 00:00:00", closed_at=None),
        row(KB, "K1", name="Designer", code=None, status="open", status_raw="OPEN",
            opened_at="2025-12-01 00:00:00", closed_at=None),
        row(ATZ, "job-a", name="Analyst", code=None, status="open", status_raw="In Progress",
            opened_at="2025-12-01 00:00:00", closed_at=None),
    ],
    "job_stages": [
        *(row(GH, s, job_id="J1", name=n, order=i, active=True)
          for i, (s, n) in enumerate(GH_STAGES.items())),
        *(row(KB, s, job_id="K1", name=n, order=i, active=True)
          for i, (s, n) in enumerate(KB_STAGES.items())),
        *(row(ATZ, s, job_id=None, name=n, order=ATZ_ORDER[s], active=None)
          for s, n in ATZ_STAGES.items()),
    ],
    "candidates": [row(GH, "cand-A1", first_name="Ann", last_name="Lee")],
    "interviews": [  # interviewers u1, u2; u3 is deleted
        interview("I1", application_id="A1", status="complete",  # Monday 04:30 UTC
            start_at="2026-03-01 23:30:00-05:00", end_at="2026-03-02 00:30:00-05:00",
            interviewer_ids=["u1", "u2"]),
        interview("I2", application_id="A1", status="complete",
            start_at="2026-03-04 10:00:00+01:00", end_at="2026-03-04 11:30:00+01:00",
            interviewer_ids=["u1", "u3"]),
        interview("I3", application_id="A2", status="awaiting_feedback",
            start_at="2026-03-03 15:00:00+00:00", end_at="2026-03-03 16:00:00+00:00",
            interviewer_ids=["u1"]),
        interview("I4", application_id="A2", status="scheduled",
            start_at="2099-01-05 10:00:00+00:00", end_at="2099-01-05 11:00:00+00:00",
            interviewer_ids=["u2"]),
        interview("I5", application_id="A2", status="canceled",
            start_at="2026-03-05 10:00:00+00:00", end_at="2026-03-05 11:00:00+00:00",
            interviewer_ids=["u2"]),
        interview("I6", application_id="A2", status="complete", sdc_deleted="2026-05-01 00:00:00",
            start_at="2026-03-03 10:00:00+00:00", end_at="2026-03-03 11:00:00+00:00",
            interviewer_ids=["u2"]),
        interview("I7", application_id="A1", status="complete",  # Sunday 23:00 UTC
            start_at="2026-03-09 08:00:00+09:00", end_at="2026-03-09 09:00:00+09:00",
            interviewer_ids=["u2"]),
    ],
    "users": [row(GH, "u1", name="Ada", email="ada@example.com", active=True),
              row(GH, "u2", name="Grace", email="grace@example.com", active=True),
              row(GH, "u3", deleted="2026-05-01 00:00:00", name="Gone", email=None, active=False)],
}

# Changes between two builds: a sighting, a new application, a deleted application, a deleted
# stage row, a new ATZ visit.
CHANGES: dict[str, list[dict[str, Any]]] = {
    "applications": [application(GH, "A11", "J1", "s1", "active"),
                     application(KB, "B1", "K1", "k4", "active")],
    "application_stages": [*sightings("B1", [("k4", "2026-02-22 08:00:00")]),
                           *path(GH, "A11", "J1", ["s1"], "native"),
                           *path(ATZ, "c3:job-a", "job-a", ["t1", "t8", "t1", "t2", "t3"],
                                 "derived")[3:]],
}
DELETES = [("applications", "A2"), ("application_stages", "A4-v1")]


def literal(value: Any, engine: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        if engine == "duckdb":  # target-duckdb stores arrays as JSON text
            return literal(json.dumps(value), engine)
        return "array[" + ", ".join(literal(v, engine) for v in value) + "]::text[]"
    return "'" + str(value).replace("'", "''") + "'"


def insert_sql(schema: str, rows: dict[str, list[dict[str, Any]]], engine: str) -> str:
    """Upserts as a loader does them: each row replaces the one with its key."""
    out = []
    for table, values in rows.items():
        for r in values:
            cols = ", ".join(f'"{c}"' for c in r)
            out.append(f"delete from {schema}.{table} where provider = '{r['provider']}' "
                       f"and account_id = '{r['account_id']}' and id = '{r['id']}';")
            out.append(f"insert into {schema}.{table} ({cols}) values "
                       f"({', '.join(literal(v, engine) for v in r.values())});")
    return "\n".join(out)


def fixture_sql(schema: str, engine: str) -> str:
    ddl = [f"create schema {schema};"]
    for table, columns in COLUMNS.items():
        columns = columns.format(list="varchar" if engine == "duckdb" else "text[]")
        ddl.append(f"create table {schema}.{table} ({COMMON}, {columns});")
    return "\n".join(ddl) + "\n" + insert_sql(schema, FIXTURES, engine)


def changes_sql(schema: str, engine: str) -> str:
    changed = {t: [{**r, "_sdc_extracted_at": RELOADED} for r in rows]
               for t, rows in CHANGES.items()}
    deletes = [f"update {schema}.{t} set _sdc_deleted_at = '{RELOADED}', "
               f"_sdc_extracted_at = '{RELOADED}' where id = '{i}';" for t, i in DELETES]
    return insert_sql(schema, changed, engine) + "\n" + "\n".join(deletes)


class Engine:
    """One warehouse holding the fixtures, and dbt on the integration project over it."""

    def __init__(self, name: str, tmp: Path) -> None:
        self.name, self.tmp = name, tmp
        self.schema = f"fixtures_{uuid.uuid4().hex[:8]}"
        self.models = f"{self.schema}_models"
        self.path = tmp / "warehouse.duckdb"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_ATS_")}
        if name == "postgres":
            env = postgres_env(env, POSTGRES, self.schema, self.models)
            env["PGTZ"] = "America/New_York"
        else:
            env.update(DBT_DUCKDB_PATH=str(self.path), DBT_DUCKDB_SCHEMA=self.models,
                       TZ="America/New_York")
        utility = f"DBT_{name.upper()}"  # Meltano reads <utility>_<setting>
        self.env = {**env,
                    f"{utility}_PROJECT_DIR": str(PROJECT),
                    f"{utility}_PROFILES_DIR": str(ROOT / "transform" / "profiles" / name),
                    "DBT_TARGET_PATH": str(tmp / "target"), "DBT_LOG_PATH": str(tmp / "logs"),
                    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def execute(self, sql: str) -> None:
        if self.name == "duckdb":
            with duckdb.connect(str(self.path)) as con:
                con.execute(sql)
        else:
            subprocess.run(["psql", POSTGRES, "-q", "-v", "ON_ERROR_STOP=1"], input=sql,
                           capture_output=True, text=True, check=True)

    def query(self, sql: str) -> list[tuple]:
        """Rows as tuples of text (None for null), whatever the engine's types."""
        if self.name == "duckdb":
            with duckdb.connect(str(self.path), read_only=True) as con:
                rows = con.execute(sql).fetchall()
            return [tuple(None if v is None else str(v) for v in r) for r in rows]
        out = subprocess.run(["psql", POSTGRES, "-At", "-F", "\t", "-P", "null=\\N", "-c", sql],
                             capture_output=True, text=True, check=True).stdout
        return [tuple(None if v == "\\N" else v for v in line.split("\t"))
                for line in out.splitlines()]

    def dbt(self, *args: str) -> str:
        """dbt on the integration project, reading the fixtures' schema."""
        if args[0] != "deps":
            args = (*args, "--vars", json.dumps({"tap_ats_schema": self.schema}))
        result = dbt(self.env, *args, utility=f"dbt-{self.name}")
        out = result.stdout + result.stderr
        assert result.returncode == 0, out[-4000:]
        return out


ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.skipif(
    not POSTGRES, reason="TAP_ATS_TEST_POSTGRES not set (see .ci/run)"))]


@pytest.fixture(scope="module", params=ENGINES)
def built(request, tmp_path_factory) -> Iterator[Engine]:
    """The fixtures loaded and the package built over them by the integration project."""
    engine = Engine(request.param, tmp_path_factory.mktemp(request.param))
    engine.execute(fixture_sql(engine.schema, engine.name))
    engine.dbt("deps")
    out = engine.dbt("build")
    assert "ERROR=0" in out and "WARN=0" in out, out[-3000:]
    yield engine
    if engine.name == "postgres":
        engine.execute(f"drop schema {engine.schema} cascade; drop schema {engine.models} cascade;")


def test_deleted_rows_are_in_no_model(built):
    m = built.models
    apps = {r[0] for r in built.query(f"select application_id from {m}.ats__applications_enhanced")}
    assert apps == {"A1", "A2", "A3", "A4", "A5", "A6", "A9", "A10", "B1", "B2", "B3",
                    "c1:job-a", "c2:job-a", "c3:job-a", "c5:job-a"}  # not A7, A8
    visited = {r[0] for r in built.query(f"select application_id from {m}.ats__stage_visits")}
    assert visited == apps
    assert built.query(f"select stage_id from {m}.ats__stage_visits "
                       "where application_id = 'A9' order by visit_number") == [("s1",), ("s2",)]
    assert {r[0] for r in built.query(f"select job_id from {m}.ats__jobs_enhanced")} == {
        "J1", "K1", "job-a"}  # not J9
    panel = built.query(f"select interview_id, interviewer_id, interviewer_name "
                        f"from {m}.ats__interviews_enhanced order by 1, 2")
    assert panel == [("I1", "u1", "Ada"), ("I1", "u2", "Grace"), ("I2", "u1", "Ada"),
                     ("I2", "u3", None), ("I3", "u1", "Ada"), ("I4", "u2", "Grace"),
                     ("I5", "u2", "Grace"), ("I7", "u2", "Grace")]  # not I6; u3 deleted
    for model in ("ats__funnel", "ats__jobs_enhanced"):
        assert built.query(f"select count(*) from {m}.{model} where job_id = 'J9'") == [("0",)]


def test_stage_visits(built):
    rows = built.query(f"select application_id, stage_id, entered_at, exited_at, days_in_stage, "
                       f"case when is_current then 1 else 0 end from {built.models}."
                       "ats__stage_visits where provider = 'kombo' order by 1, visit_number")
    assert [(a, s, e[:16], x and x[:16], d and float(d), int(c))
            for a, s, e, x, d, c in rows] == [  # sightings folded into visits
        ("B1", "k1", "2026-02-01 08:00", "2026-02-15 08:00", 14.0, 0),
        ("B1", "k3", "2026-02-15 08:00", None, None, 1),
        ("B2", "k1", "2026-02-01 08:00", "2026-02-08 08:00", 7.0, 0),
        ("B2", "k4", "2026-02-08 08:00", None, None, 1),
        ("B3", "k2", "2026-02-01 08:00", None, None, 1),
    ]
    paths = {}
    for app, stage in built.query(f"select application_id, stage_id from {built.models}."
                                  "ats__stage_visits order by application_id, visit_number"):
        paths.setdefault(app, []).append(stage)
    assert paths == {
        "A1": ["s1", "s2", "s3", "s4"], "A2": ["s1", "s3"], "A3": ["s1"], "A4": ["s1", "s2"],
        "A5": ["s1", "s2", "s3"], "A6": ["s1", "s2", "s3", "s4"], "A9": ["s1", "s2"],
        "A10": ["s1", "s3", "s2"], "B1": ["k1", "k3"], "B2": ["k1", "k4"], "B3": ["k2"],
        "c1:job-a": ["t1", "t2", "t8"], "c2:job-a": ["t1", "t2", "t3", "t9"],
        "c3:job-a": ["t1", "t8", "t1", "t2"], "c5:job-a": ["t1", "t7"]}


def test_funnel(built):
    rows = built.query(
        f"select job_id, stage_id, stage_order, applications_reached, applications_moved_on, "
        f"applications_rejected, applications_withdrawn, conversion_rate "
        f"from {built.models}.ats__funnel order by job_id, stage_order")
    got = [(j, s, int(o), int(r), int(m), int(x), int(w), c and round(float(c), 4))
           for j, s, o, r, m, x, w, c in rows]
    assert got == [
        # job, stage, order, reached, moved on, rejected, withdrawn, conversion
        # A1 hired; A2 s1,s3 (skipped s2); A3..A6 out at s1, s2, s3 (withdrew), s4; A9 at s2
        # (its s4 row deleted); A10 back from s3 to s2.
        ("J1", "s1", 0, 8, 7, 1, 0, 0.875),
        ("J1", "s2", 1, 7, 5, 1, 0, 0.7143),
        ("J1", "s3", 2, 5, 2, 0, 1, 0.4),
        ("J1", "s4", 3, 2, 1, 1, 0, 0.5),  # the hire moved on from the last stage
        # B1 seen at k1 then k3 (k2 never observed); B2 hired from k4; B3 first seen at k2 and
        # rejected there.
        ("K1", "k1", 0, 3, 3, 0, 0, 1.0),
        ("K1", "k2", 1, 3, 2, 1, 0, 0.6667),
        ("K1", "k3", 2, 2, 1, 0, 0, 0.5),
        ("K1", "k4", 3, 1, 1, 0, 0, 1.0),
        # c1 Rejected after t2; c2 Placed after t3; c3 Rejected at t1, reopened, now at t2; c5
        # Withdrawn at t1. Rejected, Withdrawn and Placed are no steps.
        ("job-a", "t1", 0, 4, 3, 0, 1, 0.75),
        ("job-a", "t2", 1, 3, 1, 1, 0, 0.3333),
        ("job-a", "t3", 2, 1, 1, 0, 0, 1.0),
    ]


def test_outcomes(built):
    rows = built.query(f"select application_id, outcome from {built.models}."
                       "ats__applications_enhanced where outcome is not null order by 1")
    assert rows == [("A1", "hired"), ("A3", "rejected"), ("A4", "rejected"), ("A5", "withdrawn"),
                    ("A6", "rejected"), ("B2", "hired"), ("B3", "rejected"),
                    ("c1:job-a", "rejected"), ("c2:job-a", "hired"), ("c5:job-a", "withdrawn")]


def test_interviewer_load(built):
    rows = built.query(f"select interviewer_id, interviewer_name, "
                       f"cast(week_start as varchar(10)), iso_year, iso_week, "
                       f"interviews_completed, hours_completed, interviews_upcoming "
                       f"from {built.models}.ats__interviewer_load order by 1, 3")
    got = [(i, name, w, int(y), int(k), int(n), float(h), int(u))
           for i, name, w, y, k, n, h, u in rows]
    assert got == [
        # I1 starts Sunday 23:30 in New York, Monday 04:30 UTC; I2 in Paris; I3 awaits feedback.
        ("u1", "Ada", "2026-03-02", 2026, 10, 2, 2.5, 0),
        # I1 and I7 (Monday 08:00 in Tokyo, Sunday 23:00 UTC); I5 canceled; I6 deleted.
        ("u2", "Grace", "2026-03-02", 2026, 10, 2, 2.0, 0),
        ("u2", "Grace", "2099-01-05", 2099, 2, 0, 0.0, 1),  # I4, still to come
        ("u3", None, "2026-03-02", 2026, 10, 1, 1.5, 0),  # sat I2; the user row is deleted
    ]


def test_incremental_build_equals_full_refresh(built):
    """Changes loaded after a build: the incremental build of ats__stage_visits (delete+insert by
    application) gives the rows a full refresh gives."""
    columns = ("visit_key, application_key, stage_id, visit_number, entered_at, exited_at, "
               "days_in_stage, is_current, origin, loaded_at")
    sql = f"select {columns} from {built.models}.ats__stage_visits order by visit_key"
    built.execute(changes_sql(built.schema, built.name))
    built.dbt("run", "--select", "ats__stage_visits")
    incremental = built.query(sql)
    built.dbt("run", "--select", "ats__stage_visits", "--full-refresh")
    assert incremental == built.query(sql)
    apps = {}
    for key, _, stage, *_ in incremental:
        apps.setdefault(key.split("|")[2], []).append(stage)
    assert "A2" not in apps and apps["A4"] == ["s1"] and apps["A11"] == ["s1"]
    assert apps["B1"] == ["k1", "k3", "k4"] and apps["c3:job-a"] == ["t1", "t8", "t1", "t2", "t3"]
