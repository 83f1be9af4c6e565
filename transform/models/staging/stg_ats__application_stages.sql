-- Live application_stages rows of every origin: visits (native, derived) and sightings (observed).
select
    {{ ats_key('provider', 'account_id', 'id') }} as application_stage_key,
    provider,
    account_id,
    id as application_stage_id,
    application_id,
    job_id,
    candidate_id,
    stage_id,
    stage_name,
    entered_at,
    exited_at,
    is_current,
    origin,
    observed_at
from {{ source('tap_ats', 'application_stages') }}
where {{ ats_live() }}
