-- The groups a live job is reported under: the job itself, each of its departments and each of
-- its offices (a job in two offices counts in both, so office figures need not add up to the
-- total). Department and office names from their tables, null where those are not loaded.
with jobs as (
    select * from {{ ref('stg_ats__jobs') }}
),

job_departments as (
    select distinct job_key, provider, account_id, department_id
    from (
        select job_key, provider, account_id, {{ ats_unnest('department_ids') }} as department_id
        from jobs
    ) as listed
    where department_id is not null
),

job_offices as (
    select distinct job_key, provider, account_id, office_id
    from (
        select job_key, provider, account_id, {{ ats_unnest('office_ids') }} as office_id
        from jobs
    ) as listed
    where office_id is not null
),

groups as (
    select job_key, provider, account_id, 'job' as group_type, job_id as group_id,
           job_name as group_name
    from jobs
    union all
    select job_departments.job_key, job_departments.provider, job_departments.account_id,
           'department', job_departments.department_id, departments.department_name
    from job_departments
    left join {{ ref('stg_ats__departments') }} as departments
        on departments.provider = job_departments.provider
        and departments.account_id = job_departments.account_id
        and departments.department_id = job_departments.department_id
    union all
    select job_offices.job_key, job_offices.provider, job_offices.account_id,
           'office', job_offices.office_id, offices.office_name
    from job_offices
    left join {{ ref('stg_ats__offices') }} as offices
        on offices.provider = job_offices.provider
        and offices.account_id = job_offices.account_id
        and offices.office_id = job_offices.office_id
)

select
    {{ ats_key('job_key', 'group_type', 'group_id') }} as job_group_key,
    job_key,
    {{ ats_key('group_type', 'provider', 'account_id', 'group_id') }} as group_key,
    provider,
    account_id,
    group_type,
    group_id,
    group_name
from groups
