-- Live jobs, their departments and offices as the warehouse's own list type.
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
    closed_at,
    {{ ats_string_list('department_ids') }} as department_ids,
    {{ ats_string_list('office_ids') }} as office_ids
from {{ source('tap_ats', 'jobs') }}
where {{ ats_live() }}
