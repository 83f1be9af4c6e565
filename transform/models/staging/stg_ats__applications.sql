-- Live applications (deleted at the source left out), with one-column keys for tests and joins.
select
    {{ ats_key('provider', 'account_id', 'id') }} as application_key,
    provider,
    account_id,
    id as application_id,
    {{ ats_key('provider', 'account_id', 'job_id') }} as job_key,
    job_id,
    candidate_id,
    current_stage_id,
    current_stage_name,
    status,
    status_raw,
    coalesce(applied_at, created_at) as applied_at,
    rejected_at,
    rejection_reason,
    rejection_reason_id,
    source,
    source_id,
    updated_at
from {{ source('tap_ats', 'applications') }}
where {{ ats_live() }}
