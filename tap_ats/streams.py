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
                "candidates", "candidate_history", "users", "offers", "departments", "offices",
                "rejection_reasons", "sources", "job_hiring_team", "scorecards", "demographics",
                "custom_field_definitions"]

_S = th.StringType
_T = th.DateTimeType
_B = th.BooleanType
_I = th.IntegerType


def _custom_fields() -> th.Property:
    """The customer's own fields: one column, so that a new field never changes the schema."""
    return th.Property("custom_fields", th.ObjectType(additional_properties=True),
                       description="field key -> value, typed as the API types it")


def _common(*columns: th.Property, id_description: str = "the provider's id, as a string") -> dict:
    return th.PropertiesList(
        th.Property("provider", _S, required=True, description="greenhouse, kombo, merge, atzcrm"),
        th.Property("account_id", _S, required=True,
                    description="Kombo integration, Merge linked account, or configured label"),
        th.Property("id", _S, required=True, description=id_description),
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
        th.Property("source_id", _S, description="joins sources.id"),
        th.Property("rejection_reason_id", _S, description="joins rejection_reasons.id"),
        _custom_fields(),
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
        th.Property("department_ids", th.ArrayType(_S), description="joins departments.id"),
        th.Property("office_ids", th.ArrayType(_S), description="joins offices.id"),
        _custom_fields(),
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
        _custom_fields(),
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
    "offers": _common(
        th.Property("application_id", _S),
        th.Property("job_id", _S),
        th.Property("candidate_id", _S),
        th.Property("status", _S,
                    description="draft, sent, accepted, declined, deprecated, other"),
        th.Property("status_raw", _S),
        th.Property("version", _I, description="a revised offer is a new row, version + 1"),
        th.Property("sent_at", _T),
        th.Property("resolved_at", _T, description="when accepted or declined"),
        th.Property("starts_at", _T, description="the agreed start date (midnight UTC if a date)"),
        _custom_fields(),
    ),
    "departments": _common(
        th.Property("name", _S),
        th.Property("parent_id", _S, description="joins departments.id; null at the top"),
        th.Property("external_id", _S, description="the customer's own id for it"),
    ),
    "offices": _common(
        th.Property("name", _S),
        th.Property("parent_id", _S, description="joins offices.id; null at the top"),
        th.Property("location", _S),
        th.Property("external_id", _S, description="the customer's own id for it"),
    ),
    "rejection_reasons": _common(
        th.Property("name", _S),
        th.Property("type", _S, description="we_rejected, candidate_withdrew, other"),
        th.Property("type_raw", _S),
    ),
    "sources": _common(
        th.Property("name", _S),
        th.Property("type", _S, description="the provider's source type, e.g. referral, agency"),
    ),
    "job_hiring_team": _common(
        th.Property("job_id", _S),
        th.Property("user_id", _S, description="joins users.id"),
        th.Property("role", _S,
                    description="hiring_manager, recruiter, coordinator, sourcer, other"),
        th.Property("role_raw", _S),
        id_description="<job_id>:<user_id>:<role>: one row per person and role on a job",
    ),
    "scorecards": _common(
        th.Property("application_id", _S),
        th.Property("candidate_id", _S),
        th.Property("job_id", _S),
        th.Property("interview_id", _S),
        th.Property("interviewer_id", _S, description="joins users.id"),
        th.Property("submitted_at", _T),
        th.Property("overall_recommendation", _S,
                    description="strong_yes, yes, no, strong_no, no_decision, other"),
        th.Property("overall_recommendation_raw", _S),
        th.Property("ratings", th.ArrayType(th.ObjectType(
            th.Property("name", _S), th.Property("rating", _S))),
            description="one per scored attribute, rating as the provider words it"),
        th.Property("notes", _S,
                    description="free text, left null unless a setting turns scorecard notes on"),
    ),
    "demographics": _common(
        th.Property("application_id", _S),
        th.Property("candidate_id", _S),
        th.Property("race", _S),
        th.Property("gender", _S),
        th.Property("veteran_status", _S),
        th.Property("disability_status", _S),
        th.Property("submitted_at", _T),
    ),
    "custom_field_definitions": _common(
        th.Property("name", _S),
        th.Property("key", _S, description="the key custom_fields uses for this field"),
        th.Property("object_type", _S, description="application, candidate, job, offer"),
        th.Property("field_type", _S, description="short_text, single_select, number, date, ..."),
        th.Property("options", th.ArrayType(_S), description="the choices of a select field"),
        th.Property("active", _B),
    ),
}
