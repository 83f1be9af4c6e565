-- One row per department or office (group_type) and funnel stage (by name, the jobs' own stages
-- added together): the funnel's counts of its jobs summed (ats__funnel), and the pass-through
-- rate. A job in two offices counts in both. Stages are ordered by their earliest place in any
-- of the group's jobs.
with funnel as (
    select * from {{ ref('ats__funnel') }}
),

groups as (
    select * from {{ ref('int_ats__job_groups') }}
    where group_type in ('department', 'office')
),

per_stage as (
    select
        groups.group_key,
        groups.provider,
        groups.account_id,
        groups.group_type,
        groups.group_id,
        max(groups.group_name) as group_name,
        funnel.stage_name,
        min(funnel.stage_order) as stage_order,
        count(distinct funnel.job_key) as jobs,
        sum(funnel.applications_reached) as applications_reached,
        sum(funnel.applications_moved_on) as applications_moved_on,
        sum(funnel.applications_rejected) as applications_rejected,
        sum(funnel.applications_withdrawn) as applications_withdrawn
    from funnel
    inner join groups
        on groups.job_key = funnel.job_key
    group by groups.group_key, groups.provider, groups.account_id, groups.group_type,
        groups.group_id, funnel.stage_name
)

select
    {{ ats_key('group_key', 'stage_name') }} as pass_through_key,
    group_key,
    provider,
    account_id,
    group_type,
    group_id,
    group_name,
    stage_name,
    stage_order,
    jobs,
    applications_reached,
    applications_moved_on,
    applications_rejected,
    applications_withdrawn,
    {{ ats_rate('applications_moved_on', 'applications_reached') }} as pass_through_rate
from per_stage
