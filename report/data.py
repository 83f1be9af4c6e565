"""What the report shows, read from the marts the dbt package built (by default in ``analytics``).

The same SQL runs on DuckDB and PostgreSQL (both know ``percentile_cont(0.5) within group``);
every figure comes from a mart or from the tables the marts' own figures rest on, grouped by
provider (the accounts of a provider added up), so that a number on the page can be checked
against the warehouse with one query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

#: A query runner: SQL in, rows out.
Query = Callable[[str], list[tuple]]

# Per provider: applications, whether any account shows a hire at all, and the hires.
HIRES_SQL = """
select provider, count(*), max(hire_signal),
       sum(case when is_hired then 1 else 0 end)
from {s}.int_ats__hires group by provider
"""

# The funnel of all jobs together: stages by name, in their earliest place in any job's plan.
FUNNEL_SQL = """
select provider, stage_name, min(stage_order), sum(applications_reached),
       sum(applications_moved_on), sum(applications_rejected), sum(applications_withdrawn)
from {s}.ats__funnel group by provider, stage_name
"""

# Time in stage over fully observed visits only (days_in_stage is null for the others).
STAGE_DAYS_SQL = """
select provider, stage_name, percentile_cont(0.5) within group (order by days_in_stage),
       count(*)
from {s}.ats__stage_visits where days_in_stage is not null group by provider, stage_name
"""

# ats__time_to_hire's job rows added up, and the medians over the applications they rest on.
TIME_TO_HIRE_SQL = """
select provider, sum(applications), sum(applications_offered), sum(hires),
       sum(hires_dated_by_offer)
from {s}.ats__time_to_hire where group_type = 'job' group by provider
"""
DAYS_TO_HIRE_SQL = """
select provider, percentile_cont(0.5) within group (order by days_to_offer),
       percentile_cont(0.5) within group (order by days_to_hire)
from {s}.int_ats__application_hiring group by provider
"""

OFFERS_SQL = """
select provider, sum(offers_extended), sum(offers_accepted), sum(offers_declined),
       sum(offers_pending)
from {s}.ats__offer_acceptance where group_type = 'job' group by provider
"""

SOURCES_SQL = """
select provider, coalesce(source_name, '(none)'), sum(applications),
       sum(applications_interviewed), sum(applications_offered), sum(hires)
from {s}.ats__source_effectiveness group by provider, coalesce(source_name, '(none)')
"""

LOAD_SQL = """
select provider, coalesce(max(interviewer_name), interviewer_id), sum(interviews_completed),
       sum(hours_completed), sum(interviews_upcoming)
from {s}.ats__interviewer_load group by provider, account_id, interviewer_id
"""


def number(value: Any) -> float | int | None:
    """A warehouse number as a Python one: counts stay ints, the rest floats."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def rate(part: float | None, whole: float | None) -> float | None:
    """The share ``part`` is of ``whole``, or None without a base."""
    return part / whole if part is not None and whole else None


@dataclass
class Stage:
    """One funnel stage of a provider, all jobs together."""

    name: str
    reached: int
    moved_on: int
    rejected: int
    withdrawn: int
    median_days: float | None = None
    visits_timed: int = 0

    @property
    def conversion(self) -> float | None:
        """Moved on / reached."""
        return rate(self.moved_on, self.reached)


@dataclass
class Source:
    """One source of a provider's applications."""

    name: str
    applications: int
    interviewed: int
    offered: int
    hires: int | None

    @property
    def hire_rate(self) -> float | None:
        """Hires / applications (None without a hire signal)."""
        return rate(self.hires, self.applications)


@dataclass
class Interviewer:
    """One interviewer's load, every week together."""

    name: str
    completed: int
    hours: float
    upcoming: int


@dataclass
class Provider:
    """Everything the report shows of one provider."""

    name: str
    applications: int = 0
    hire_signal: str | None = None
    hires: int | None = None
    stages: list[Stage] = field(default_factory=list)
    offered: int = 0
    hires_dated_by_offer: int = 0
    median_days_to_offer: float | None = None
    median_days_to_hire: float | None = None
    offers_extended: int = 0
    offers_accepted: int = 0
    offers_declined: int = 0
    offers_pending: int = 0
    sources: list[Source] = field(default_factory=list)
    interviewers: list[Interviewer] = field(default_factory=list)

    @property
    def acceptance_rate(self) -> float | None:
        """Accepted / (accepted + declined), as ats__offer_acceptance computes it."""
        return rate(self.offers_accepted, self.offers_accepted + self.offers_declined)


def load(query: Query, schema: str = "analytics") -> list[Provider]:
    """Every provider in the marts of ``schema``, in name order."""

    def rows(sql: str) -> Iterable[tuple]:
        for r in query(sql.format(s=schema)):
            yield tuple(number(v) for v in r)

    providers: dict[str, Provider] = {}
    for name, apps, signal, hires in rows(HIRES_SQL):
        providers[name] = Provider(name, apps, signal, hires if signal else None)
    days = {(p, s): (d, n) for p, s, d, n in rows(STAGE_DAYS_SQL)}
    funnel = sorted(rows(FUNNEL_SQL), key=lambda r: (r[0], r[2], r[1]))
    for p, stage, _, reached, moved, rejected, withdrawn in funnel:
        median, timed = days.get((p, stage), (None, 0))
        providers[p].stages.append(Stage(stage, reached, moved, rejected, withdrawn, median,
                                         timed))
    for p, _, offered, _, by_offer in rows(TIME_TO_HIRE_SQL):
        providers[p].offered, providers[p].hires_dated_by_offer = offered, by_offer
    for p, to_offer, to_hire in rows(DAYS_TO_HIRE_SQL):
        providers[p].median_days_to_offer, providers[p].median_days_to_hire = to_offer, to_hire
    for p, extended, accepted, declined, pending in rows(OFFERS_SQL):
        prov = providers[p]
        prov.offers_extended, prov.offers_accepted = extended, accepted
        prov.offers_declined, prov.offers_pending = declined, pending
    for p, name, apps, interviewed, offered, hires in rows(SOURCES_SQL):
        hired = hires if providers[p].hire_signal else None
        providers[p].sources.append(Source(name, apps, interviewed, offered, hired))
    for p, name, completed, hours, upcoming in rows(LOAD_SQL):
        providers[p].interviewers.append(Interviewer(str(name), completed, float(hours),
                                                     upcoming))
    for prov in providers.values():
        prov.sources.sort(key=lambda s: (-s.applications, s.name))
        prov.interviewers.sort(key=lambda i: (-i.completed, -i.upcoming, i.name))
    return [providers[p] for p in sorted(providers)]


def duckdb_query(path: Path) -> Query:
    """Queries on a DuckDB file, read only."""
    import duckdb

    def run(sql: str) -> list[tuple]:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(sql).fetchall()

    return run


def postgres_query(url: str) -> Query:
    """Queries on a PostgreSQL database (psycopg, which the dev environment has through Meltano)."""
    import psycopg

    def run(sql: str) -> list[tuple]:
        with psycopg.connect(url) as con:
            return con.execute(sql).fetchall()

    return run
