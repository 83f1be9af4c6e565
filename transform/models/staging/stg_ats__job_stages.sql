-- Live stages of the jobs' hiring plans.
select
    {{ ats_key('provider', 'account_id', 'id') }} as job_stage_key,
    provider,
    account_id,
    id as stage_id,
    job_id,
    {{ ats_key('provider', 'account_id', 'job_id') }} as job_key,
    name as stage_name,
    {{ adapter.quote('order') }} as stage_order,
    active,
    {{ ats_is_terminal('name') }} as is_terminal
from {{ source('tap_ats', 'job_stages') }}
where {{ ats_live() }}
