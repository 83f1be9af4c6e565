-- Live jobs.
select
    {{ ats_key('provider', 'account_id', 'id') }} as job_key,
    provider,
    account_id,
    id as job_id,
    name as job_name,
    code,
    status,
    status_raw,
    coalesce(opened_at, created_at) as opened_at,
    closed_at
from {{ source('tap_ats', 'jobs') }}
where {{ ats_live() }}
