"""``make fill``: how full every unified column is, per provider, beside what its API carries.

Runs a full sync of every provider against the sandbox (in this process, small world by
default), counts per stream and column the share of rows with a value (an empty array counts
as no value), and writes ``bench/results/fill.md`` (the table the README shows) and
``fill.json``. What each API carries comes from ``reference/apis.md``: a column the API cannot
fill says why (``NOT_CARRIED``); a column only some rows have by nature says which
(``SOME_ROWS``), and is shown but not held to the bar. Every other column must reach 95% of
rows, else the command exits 1 and names it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tap_ats.sandbox.demo import fetch
from tap_ats.sandbox.server import Sandbox, serve_in_thread
from tap_ats.streams import SCHEMAS

RESULTS = Path(__file__).resolve().parent / "results"
PROVIDERS = ["greenhouse", "kombo", "merge", "atzcrm", "ashby"]
#: Columns every row has by construction, left out of the table.
SKIPPED = {"provider", "account_id", "id", "raw", "_sdc_deleted_at"}
BAR = 0.95

_OBSERVED = "observed rows: the stage_visits view folds sightings into visits"
_NOT_UNIFIED = "not a unified API: `id` is the ATS's own id"
_KOMBO_NAMED = "Kombo only names it on jobs or candidates: no object, id or times"
#: (provider, stream, column) -> why the provider's API cannot fill it ("*" = every stream).
NOT_CARRIED: dict[tuple[str, str, str], str] = {
    ("greenhouse", "*", "remote_id"): _NOT_UNIFIED,
    ("greenhouse", "*", "deleted_at"): "Harvest v3 shows no deletes",
    ("greenhouse", "scorecards", "candidate_id"): "the v3 scorecard has none (join "
                                                  "applications)",
    ("greenhouse", "scorecards", "job_id"): "the v3 scorecard has none (join applications)",
    ("greenhouse", "scorecards", "notes"): "free text: left out unless include_scorecard_notes",
    ("greenhouse", "application_stages", "candidate_id"): "the v3 row has none (join "
                                                          "applications)",
    ("greenhouse", "application_stages", "observed_at"): "native rows, not observed",
    ("kombo", "application_stages", "remote_id"): "observed rows have no source object",
    ("kombo", "application_stages", "entered_at"): _OBSERVED,
    ("kombo", "application_stages", "exited_at"): _OBSERVED,
    ("kombo", "application_stages", "is_current"): _OBSERVED,
    ("kombo", "interviews", "organizer_id"): "Kombo's interview has no organizer",
    ("kombo", "interviews", "status"): "Kombo gives only `canceled` (set when true)",
    ("kombo", "interviews", "status_raw"): "Kombo gives only `canceled` (set when true)",
    ("kombo", "users", "created_at"): "Kombo's user has no creation time",
    ("kombo", "offers", "version"): "Kombo's offer has no version",
    ("kombo", "offers", "sent_at"): "Kombo's offer has no sent time",
    ("kombo", "offers", "resolved_at"): "Kombo's offer has no resolution time",
    ("kombo", "rejection_reasons", "created_at"): "Kombo's rejection reason has no times",
    ("kombo", "rejection_reasons", "type"): "Kombo's rejection reason has a name only",
    ("kombo", "rejection_reasons", "type_raw"): "Kombo's rejection reason has a name only",
    ("kombo", "sources", "type"): "Kombo gives the source as a name only",
    ("kombo", "job_hiring_team", "remote_id"): "a (job, user, role) row has no object of its own",
    ("kombo", "scorecards", "job_id"): "Kombo's scorecard has no job (join applications)",
    ("kombo", "scorecards", "notes"): "free text: left out unless include_scorecard_notes",
    ("kombo", "departments", "remote_id"): _KOMBO_NAMED,
    ("kombo", "departments", "created_at"): _KOMBO_NAMED,
    ("kombo", "departments", "updated_at"): _KOMBO_NAMED,
    ("kombo", "departments", "parent_id"): _KOMBO_NAMED,
    ("kombo", "departments", "external_id"): _KOMBO_NAMED,
    ("kombo", "offices", "remote_id"): _KOMBO_NAMED,
    ("kombo", "offices", "created_at"): _KOMBO_NAMED,
    ("kombo", "offices", "updated_at"): _KOMBO_NAMED,
    ("kombo", "offices", "parent_id"): _KOMBO_NAMED,
    ("kombo", "offices", "external_id"): _KOMBO_NAMED,
    ("kombo", "sources", "remote_id"): _KOMBO_NAMED,
    ("kombo", "sources", "created_at"): _KOMBO_NAMED,
    ("kombo", "sources", "updated_at"): _KOMBO_NAMED,
    ("merge", "applications", "status_raw"): "Merge's application has no status",
    ("merge", "application_stages", "remote_id"): "observed rows have no source object",
    ("merge", "application_stages", "entered_at"): _OBSERVED,
    ("merge", "application_stages", "exited_at"): _OBSERVED,
    ("merge", "application_stages", "is_current"): _OBSERVED,
    ("merge", "jobs", "opened_at"): "Merge's Job has no open date",
    ("merge", "jobs", "closed_at"): "Merge's Job has no close date",
    ("merge", "jobs", "stages"): "Merge serves stages apart: the job_stages stream",
    ("merge", "job_stages", "active"): "Merge's JobInterviewStage has no active flag",
    ("merge", "interviews", "title"): "Merge's ScheduledInterview has no title",
    ("merge", "offers", "version"): "Merge's Offer has no version",
    ("merge", "departments", "parent_id"): "Merge's Department has a name only",
    ("merge", "departments", "external_id"): "Merge's Department has a name only",
    ("merge", "offices", "parent_id"): "Merge's Office has a name and location only",
    ("merge", "offices", "external_id"): "Merge's Office has a name and location only",
    ("merge", "rejection_reasons", "type"): "Merge's RejectReason has a name only",
    ("merge", "rejection_reasons", "type_raw"): "Merge's RejectReason has a name only",
    ("merge", "sources", "remote_id"): "derived from application source strings: no object",
    ("merge", "sources", "created_at"): "derived from application source strings: no object",
    ("merge", "sources", "updated_at"): "derived from application source strings: no object",
    ("merge", "sources", "type"): "derived from application source strings: no object",
    ("merge", "job_hiring_team", "remote_id"): "a (job, user, role) row has no object of its own",
    ("merge", "scorecards", "ratings"): "Merge's Scorecard has no attribute ratings",
    ("merge", "scorecards", "notes"): "Merge's Scorecard has no free text",
    ("atzcrm", "*", "remote_id"): _NOT_UNIFIED,
    ("atzcrm", "*", "deleted_at"): "ATZ shows no deletes (webhooks only)",
    ("atzcrm", "applications", "rejected_at"): "ATZ has no rejection date: a rejection is a "
                                               "talent stage",
    ("atzcrm", "applications", "rejection_reason"): "ATZ has no rejection reason",
    ("atzcrm", "applications", "source"): "history rows carry no source",
    ("atzcrm", "application_stages", "observed_at"): "derived rows, not observed",
    ("atzcrm", "jobs", "code"): "ATZ's job has no requisition code",
    ("atzcrm", "jobs", "stages"): "talent stages are shared: the job_stages stream",
    ("atzcrm", "job_stages", "job_id"): "talent stages are shared by every job (null by design)",
    ("atzcrm", "job_stages", "active"): "ATZ shows no talent stage state",
    ("atzcrm", "job_stages", "created_at"): "talent stages carry no times",
    ("atzcrm", "job_stages", "updated_at"): "talent stages carry no times",
    ("atzcrm", "applications", "source_id"): "history rows carry no source",
    ("atzcrm", "applications", "rejection_reason_id"): "ATZ has no rejection reason",
    ("atzcrm", "applications", "custom_fields"): "applications are derived from history rows, "
                                                 "which carry none",
    ("atzcrm", "jobs", "department_ids"): "ATZ's job has no department (an organization only)",
    ("atzcrm", "jobs", "office_ids"): "ATZ's job has no office (a city and address only)",
    ("atzcrm", "jobs", "custom_fields"): "ATZ documents custom fields as {id, value} on writes "
                                         "only, with no definitions to key them by",
    ("atzcrm", "candidates", "custom_fields"): "ATZ's documented candidate read has no custom "
                                               "fields",
    ("atzcrm", "interviews", "stage_id"): "an ATZ activity names no talent stage",
    ("atzcrm", "interviews", "status_raw"): "ATZ's activity has no status, only mark_as_done",
    ("ashby", "*", "remote_id"): _NOT_UNIFIED,
    ("ashby", "*", "deleted_at"): "Ashby shows no deletes",
    ("ashby", "application_stages", "observed_at"): "native rows, not observed",
    ("ashby", "job_stages", "active"): "Ashby's interview stage has no active flag",
    ("ashby", "interviews", "job_id"): "Ashby's interview schedule names no job (join "
                                       "applications)",
    ("ashby", "interviews", "title"): "Ashby's interview schedule has no title",
    ("ashby", "interviews", "organizer_id"): "Ashby's interview schedule has no organizer",
    ("ashby", "candidates", "first_name"): "Ashby's candidate has one `name`, not split",
    ("ashby", "candidates", "last_name"): "Ashby's candidate has one `name`, not split",
    ("ashby", "users", "created_at"): "Ashby's user has no creation time",
    ("ashby", "offers", "updated_at"): "Ashby's offer has no change time",
    ("ashby", "offers", "job_id"): "Ashby's offer names its application only",
    ("ashby", "offers", "candidate_id"): "Ashby's offer names its application only",
    ("ashby", "offers", "version"): "Ashby's offer has no version number",
    ("ashby", "scorecards", "updated_at"): "Ashby's feedback has no change time",
    ("ashby", "scorecards", "candidate_id"): "Ashby's feedback names its application only",
    ("ashby", "scorecards", "job_id"): "Ashby's feedback names its application only",
    ("ashby", "scorecards", "notes"): "free text: left out unless include_scorecard_notes",
    ("ashby", "scorecards", "overall_recommendation_raw"): "null where the interviewer left the "
                                                          "recommendation unanswered",
    ("ashby", "departments", "external_id"): "Ashby's department has no external id",
    ("ashby", "offices", "created_at"): "Ashby's location has no times",
    ("ashby", "offices", "updated_at"): "Ashby's location has no times",
    ("ashby", "offices", "external_id"): "Ashby's location has no external id",
    ("ashby", "rejection_reasons", "created_at"): "Ashby's archive reason has no times",
    ("ashby", "rejection_reasons", "updated_at"): "Ashby's archive reason has no times",
    ("ashby", "sources", "created_at"): "Ashby's source has no times",
    ("ashby", "sources", "updated_at"): "Ashby's source has no times",
    ("ashby", "custom_field_definitions", "created_at"): "Ashby's custom field has no times",
    ("ashby", "custom_field_definitions", "updated_at"): "Ashby's custom field has no times",
}
#: (stream, column) -> the rows that have a value by nature (any provider).
SOME_ROWS: dict[tuple[str, str], str] = {
    ("*", "deleted_at"): "deleted rows",
    ("applications", "rejected_at"): "rejected applications",
    ("applications", "rejection_reason"): "rejected applications",
    ("applications", "rejection_reason_id"): "rejected applications",
    ("application_stages", "exited_at"): "past visits",
    ("jobs", "closed_at"): "closed jobs",
    ("candidates", "tags"): "tagged candidates",
    ("candidate_history", "comment"): "rows with a comment",
    ("offers", "sent_at"): "offers sent (not drafts)",
    ("offers", "resolved_at"): "accepted or declined offers",
    ("offices", "location"): "offices, not the regions above them",
    ("departments", "parent_id"): "departments below the top of the tree",
    ("offices", "parent_id"): "offices below the top of the tree",
    ("custom_field_definitions", "options"): "select fields (the others have no choices)",
}


def lookup(table: dict, *keys: str) -> str | None:
    """The entry for these keys, the stream part possibly ``*``."""
    *head, stream, column = keys
    return table.get((*head, stream, column)) or table.get((*head, "*", column))


def has_value(value: Any) -> bool:
    """A value counts unless null or an empty array."""
    return value is not None and value != []


def sync(url: str, provider: str, workdir: Path) -> dict[str, list[dict]]:
    """One full sync of ``provider`` against the sandbox; records by stream."""
    config = {**fetch(f"{url}/_sandbox/config/{provider}"), "max_concurrency": 4}
    path = workdir / f"{provider}.json"
    path.write_text(json.dumps(config))
    proc = subprocess.run([sys.executable, "-m", "tap_ats", "--config", str(path)],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        sys.exit(f"fill: {provider} sync failed: {proc.stderr.strip().splitlines()[-1:]}")
    out: dict[str, list[dict]] = {}
    for line in proc.stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "RECORD":
            out.setdefault(message["stream"], []).append(message["record"])
    return out


def measure(synced: dict[str, dict[str, list[dict]]]) -> list[dict[str, Any]]:
    """One row per stream and column: per provider its share, or why it is absent or empty."""
    rows = []
    for stream, schema in SCHEMAS.items():
        for column in schema["properties"]:
            if column in SKIPPED:
                continue
            row: dict[str, Any] = {"stream": stream, "column": column, "providers": {}}
            for provider, streams in synced.items():
                records = streams.get(stream)
                if records is None:
                    row["providers"][provider] = {"share": None, "note": "stream not offered"}
                    continue
                share = sum(has_value(r.get(column)) for r in records) / len(records)
                row["providers"][provider] = {
                    "share": share, "rows": len(records),
                    "not_carried": lookup(NOT_CARRIED, provider, stream, column),
                    "some_rows": lookup(SOME_ROWS, stream, column)}
            rows.append(row)
    return rows


def cell(entry: dict[str, Any], notes: dict[str, int]) -> str:
    """One table cell: the share, and a note number where the API cannot fill the column."""
    if entry["share"] is None:
        return "n/a"
    text = f"{entry['share']:.0%}"
    for kind in ("not_carried", "some_rows"):
        if reason := entry.get(kind):
            number = notes.setdefault(f"{'not carried' if kind == 'not_carried' else 'only'}: "
                                      f"{reason}", len(notes) + 1)
            text += f" ({number})"
    return text


def markdown(rows: list[dict[str, Any]], providers: list[str]) -> str:
    """The table, then its numbered notes."""
    notes: dict[str, int] = {}
    lines = ["| stream | column | " + " | ".join(providers) + " |",
             "|---|---|" + "---|" * len(providers)]
    for row in rows:
        cells = [cell(row["providers"][p], notes) for p in providers]
        lines.append(f"| {row['stream']} | `{row['column']}` | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"({n}) {text}" for text, n in notes.items()]
    lines.append("")
    lines.append("Share of rows with a value in a full sync of the sandbox (an empty array "
                 "counts as none); n/a: the provider does not offer the stream.")
    return "\n".join(lines) + "\n"


def short(rows: list[dict[str, Any]]) -> list[str]:
    """Columns the API carries that fall short of the bar."""
    return [f"{p} {row['stream']}.{row['column']}: {e['share']:.0%}"
            for row in rows for p, e in row["providers"].items()
            if e["share"] is not None and e["share"] < BAR and not e.get("not_carried")
            and not e.get("some_rows")]


def main(argv: list[str] | None = None) -> None:
    """Sync every provider, write the table, fail if a carried column is short."""
    parser = argparse.ArgumentParser(prog="python -m bench.fill", description=__doc__)
    parser.add_argument("--applications", type=int, default=400,
                        help="applications per provider in the sandbox world")
    parser.add_argument("--out", type=Path, default=RESULTS / "fill.md")
    args = parser.parse_args(argv)
    server = serve_in_thread(Sandbox(seed=42, applications=args.applications))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            synced = {p: sync(server.base_url, p, Path(tmp)) for p in PROVIDERS}
    finally:
        server.shutdown()
    rows = measure(synced)
    table = markdown(rows, PROVIDERS)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)
    args.out.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    print(table)
    if missing := short(rows):
        sys.exit("fill: carried columns below 95%: " + "; ".join(missing))


if __name__ == "__main__":
    main()
