"""The unified schemas: one per stream, whichever provider fills it. The only place they live.

Every record carries the common columns (``provider``, ``account_id``, ``id``, ``remote_id``,
``created_at``, ``updated_at``, ``deleted_at``, ``_sdc_deleted_at``, ``raw``); the primary key is
``provider, account_id, id``. Timestamps are RFC 3339 UTC strings and ids are strings everywhere,
so joins work inside one provider whatever its native id type.
"""

from __future__ import annotations

from singer_sdk import typing as th

PRIMARY_KEYS = ["provider", "account_id", "id"]

STREAM_NAMES = ["applications", "application_stages", "jobs", "job_stages", "interviews",
                "candidates", "candidate_history", "users"]

_S = th.StringType
_T = th.DateTimeType
_B = th.BooleanType
_I = th.IntegerType


def _common(*columns: th.Property) -> dict:
    return th.PropertiesList(
        th.Property("provider", _S, required=True, description="greenhouse, kombo, merge, atzcrm"),
        th.Property("account_id", _S, required=True,
                    description="Kombo integration, Merge linked account, or configured label"),
        th.Property("id", _S, required=True, description="the provider's id, as a string"),
        th.Property("remote_id", _S, description="id inside the ATS behind a unified API"),
        th.Property("created_at", _T),
        th.Property("updated_at", _T),
        th.Property("deleted_at", _T, description="set when the provider reports a deletion"),
        th.Property("_sdc_deleted_at", _T, description="same as deleted_at, for hard deletes"),
        *columns,
        th.Property("raw", th.ObjectType(additional_properties=True),
                    description="the untouched source record (include_raw: false drops it)"),
    ).to_dict()


SCHEMAS: dict[str, dict] = {
    "applications": _common(
        th.Property("candidate_id", _S),
        th.Property("job_id", _S),
        th.Property("current_stage_id", _S),
        th.Property("current_stage_name", _S),
        th.Property("status", _S, description="active, hired, rejected, converted, other"),
        th.Property("status_raw", _S),
        th.Property("applied_at", _T),
        th.Property("rejected_at", _T),
        th.Property("rejection_reason", _S),
        th.Property("source", _S),
    ),
    "application_stages": _common(
        th.Property("application_id", _S),
        th.Property("job_id", _S),
        th.Property("candidate_id", _S),
        th.Property("stage_id", _S),
        th.Property("stage_name", _S),
        th.Property("entered_at", _T),
        th.Property("exited_at", _T),
        th.Property("is_current", _B),
        th.Property("origin", _S, description="native, derived or observed"),
        th.Property("observed_at", _T, description="observed rows: the application's change time"),
    ),
    "jobs": _common(
        th.Property("name", _S),
        th.Property("code", _S),
        th.Property("status", _S, description="open, closed, draft, archived, other"),
        th.Property("status_raw", _S),
        th.Property("opened_at", _T),
        th.Property("closed_at", _T),
        th.Property("stages", th.ArrayType(th.ObjectType(
            th.Property("id", _S), th.Property("name", _S), th.Property("order", _I),
            th.Property("active", _B)))),
    ),
    "job_stages": _common(
        th.Property("job_id", _S),
        th.Property("name", _S),
        th.Property("order", _I),
        th.Property("active", _B),
    ),
    "interviews": _common(
        th.Property("application_id", _S),
        th.Property("job_id", _S),
        th.Property("stage_id", _S),
        th.Property("title", _S),
        th.Property("status", _S,
                    description="scheduled, awaiting_feedback, complete, canceled, other"),
        th.Property("status_raw", _S),
        th.Property("start_at", _T),
        th.Property("end_at", _T),
        th.Property("location", _S),
        th.Property("organizer_id", _S),
        th.Property("interviewer_ids", th.ArrayType(_S)),
    ),
    "candidates": _common(
        th.Property("first_name", _S),
        th.Property("last_name", _S),
        th.Property("emails", th.ArrayType(_S)),
        th.Property("phones", th.ArrayType(_S)),
        th.Property("company", _S),
        th.Property("title", _S),
        th.Property("tags", th.ArrayType(_S)),
    ),
    "candidate_history": _common(
        th.Property("candidate_id", _S),
        th.Property("job_id", _S),
        th.Property("job_name", _S),
        th.Property("organization_id", _S),
        th.Property("organization_name", _S),
        th.Property("job_status", _S),
        th.Property("stage_id", _S),
        th.Property("stage_name", _S),
        th.Property("stage_date", th.DateType),
        th.Property("visibility", _B),
        th.Property("comment", _S),
        th.Property("updated_by_id", _S),
        th.Property("updated_by_name", _S),
        th.Property("updated_by_email", _S),
    ),
    "users": _common(
        th.Property("name", _S, description="full name"),
        th.Property("email", _S),
        th.Property("active", _B, description="false once deactivated or disabled in the ATS"),
    ),
}
