"""Streams derived from another stream's records, at no request of their own.

The parent collects a page's derived rows and hands them over a page at a time: observed
``application_stages`` from Kombo and Merge applications, Kombo's job stages, departments and
sources named in other records (:class:`DistinctDerived`, ids from :func:`name_id`), ATZ CRM's
rows from candidate history.
"""

from __future__ import annotations

import hashlib
import typing as t

from tap_ats.conform import LeanRecords
from tap_ats.streams import PRIMARY_KEYS, SCHEMAS

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from singer_sdk.helpers.types import Context

    from tap_ats.tap import TapATS


class PageFed:
    """A child stream its parent feeds a page at a time: derived rows, or reads per parent record.

    One SCHEMA message per run, not one per page batch as the SDK would write for a child
    stream: pipelinewise targets (target-duckdb, target-snowflake) flush every stream and
    re-check the table on each SCHEMA message, so one per page made loading crawl. No
    ACTIVATE_VERSION: the stream sees one page at a time, never the whole table.
    """

    _schema_sent = False

    def _write_schema_message(self) -> None:
        """Once per run."""
        if not self._schema_sent:
            self._schema_sent = True
            super()._write_schema_message()  # type: ignore[misc]

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never: one page at a time is no full table."""
        return False


class DerivedStream(PageFed, LeanRecords):
    """A stream whose rows come from a parent stream's records, with no request of its own.

    Examples: observed ``application_stages`` from Kombo or Merge applications, and the rows ATZ
    derives from candidate history. The parent collects rows with :meth:`derive` and hands them
    over a page at a time.
    """

    primary_keys: t.ClassVar[list[str]] = PRIMARY_KEYS
    replication_key = None
    state_partitioning_keys: t.ClassVar[list[str]] = []

    def __init__(self, tap: TapATS) -> None:
        super().__init__(tap=tap, schema=SCHEMAS[self.name])

    def derive(self, parent_record: dict) -> list[dict]:
        """Rows of this stream that one parent record yields."""
        raise NotImplementedError

    def get_records(self, context: Context | None) -> Iterable[dict]:
        """The rows the parent collected for this batch."""
        parent = self._tap.streams[self.parent_stream_type.name]
        rows = parent.take(context["batch"], self.name)
        self._tap.report.stream(context["account_id"], self.name).records += len(rows)
        yield from rows


def name_id(name: str) -> str:
    """A stable id for an entity the API names but does not number (a Kombo department).

    The first 16 hex digits of the SHA-256 of the name, trimmed and case-folded: the same name
    gives the same id on every run and machine, so rows derived from different records join.
    """
    return hashlib.sha256(name.strip().casefold().encode()).hexdigest()[:16]


class DistinctDerived(DerivedStream):
    """A derived stream whose rows repeat across parent records (a department of many jobs).

    Each id is emitted once per account and run; state stays empty, the set is the run's.
    """

    def __init__(self, tap: TapATS) -> None:
        super().__init__(tap)
        self._emitted: set[tuple[str, str]] = set()

    def derive(self, parent_record: dict) -> list[dict]:
        """The rows of :meth:`derive_all` not emitted yet in this run."""
        rows = []
        for row in self.derive_all(parent_record):
            key = (row["account_id"], row["id"])
            if key not in self._emitted:
                self._emitted.add(key)
                rows.append(row)
        return rows

    def derive_all(self, parent_record: dict) -> list[dict]:
        """Every row one parent record names, repeats included."""
        raise NotImplementedError


class ObservedStages(DerivedStream):
    """``application_stages`` observed from applications (Kombo, Merge: no history endpoint).

    Each read of an application yields one row keyed by (application, stage, observed_at), where
    ``observed_at`` is the application's own change time; re-reading the same version yields the
    same row, so state stays small and re-reads are harmless upserts.
    """

    name = "application_stages"

    def derive(self, parent_record: dict) -> list[dict]:
        """One observation per application record that has a current stage."""
        app = parent_record
        if not app.get("current_stage_id") or not app.get("updated_at"):
            return []
        return [{
            "provider": app["provider"], "account_id": app["account_id"],
            "id": f"{app['id']}:{app['current_stage_id']}:{app['updated_at']}",
            "remote_id": None, "created_at": app["updated_at"], "updated_at": app["updated_at"],
            "deleted_at": app["deleted_at"], "_sdc_deleted_at": app["deleted_at"],
            "application_id": app["id"], "job_id": app["job_id"],
            "candidate_id": app["candidate_id"], "stage_id": app["current_stage_id"],
            "stage_name": app["current_stage_name"], "entered_at": None, "exited_at": None,
            "is_current": None, "origin": "observed", "observed_at": app["updated_at"],
            "raw": None,
        }]
