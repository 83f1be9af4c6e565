-- One row per job and funnel stage, in the job's stage order. An application reached a stage if it
-- reached that stage or any later one (stages are skipped, and Kombo and Merge never see the
-- stages an application passed between two syncs), so the counts only fall along the funnel. A
-- hire moved on from every stage, the last one included. Rejections and withdrawals count in the
-- stage the application was in when it left. Terminal stages (ATZ CRM's Rejected, Placed: see
-- ats_is_terminal) are outcomes, not steps: they have no row and move no application on.
with visits as (
    select * from {{ ref('ats__stage_visits') }}
),

applications as (
    select * from {{ ref('ats__applications_enhanced') }}
),

planned as (
    select * from {{ ref('int_ats__job_plans') }}
),

seen as (
    -- Stages met in visits, with their average position in the applications' paths.
    select
        provider, account_id, job_key, job_id, stage_id,
        max(stage_name) as stage_name,
        avg(visit_number) as path_position
    from visits
    group by provider, account_id, job_key, job_id, stage_id
),

stages as (
    select
        coalesce(planned.provider, seen.provider) as provider,
        coalesce(planned.account_id, seen.account_id) as account_id,
        coalesce(seen.job_key, planned.job_key) as job_key,
        coalesce(seen.job_id, planned.job_id) as job_id,
        coalesce(planned.stage_id, seen.stage_id) as stage_id,
        coalesce(planned.stage_name, seen.stage_name) as stage_name,
        planned.stage_order as plan_order,
        seen.path_position,
        coalesce(planned.is_terminal, {{ ats_is_terminal('seen.stage_name') }}) as is_terminal
    from planned
    full outer join seen
        on seen.job_key = planned.job_key
        and seen.stage_id = planned.stage_id
),

steps as (
    -- The funnel's steps, numbered from 0 without ties: by the plan's order; stages the plan
    -- lacks or leaves unordered after them, by their average position in the paths.
    select
        provider, account_id, job_key, job_id, stage_id, stage_name,
        row_number() over (
            partition by job_key order by plan_order nulls last, path_position nulls last, stage_id
        ) - 1 as stage_order
    from stages
    where not is_terminal
),

step_visits as (
    select visits.application_key, visits.visit_number, steps.stage_order
    from visits
    inner join steps
        on steps.job_key = visits.job_key
        and steps.stage_id = visits.stage_id
),

current_steps as (
    -- The step each application is in now, where its current stage is one.
    select applications.application_key, steps.stage_order
    from applications
    inner join steps
        on steps.job_key = applications.job_key
        and steps.stage_id = applications.current_stage_id
),

furthest as (
    select application_key, max(stage_order) as furthest_order
    from (
        select application_key, stage_order from step_visits
        union all
        select application_key, stage_order from current_steps
    ) as reached_steps
    group by application_key
),

last_steps as (
    -- The step of each application's latest visit to a step (before any terminal stage).
    select application_key, stage_order
    from (
        select
            application_key, stage_order,
            row_number() over (partition by application_key order by visit_number desc) as recency
        from step_visits
    ) as ranked
    where recency = 1
),

progress as (
    select
        applications.application_key,
        applications.job_key,
        applications.outcome,
        furthest.furthest_order,
        coalesce(current_steps.stage_order, last_steps.stage_order) as exit_order
    from applications
    left join furthest
        on furthest.application_key = applications.application_key
    left join current_steps
        on current_steps.application_key = applications.application_key
    left join last_steps
        on last_steps.application_key = applications.application_key
),

per_step as (
    select
        steps.job_key,
        steps.stage_id,
        sum(case when progress.outcome = 'hired' or progress.furthest_order >= steps.stage_order
            then 1 else 0 end) as applications_reached,
        sum(case when progress.outcome = 'hired' or progress.furthest_order > steps.stage_order
            then 1 else 0 end) as applications_moved_on,
        sum(case when progress.outcome = 'rejected' and progress.exit_order = steps.stage_order
            then 1 else 0 end) as applications_rejected,
        sum(case when progress.outcome = 'withdrawn' and progress.exit_order = steps.stage_order
            then 1 else 0 end) as applications_withdrawn
    from steps
    inner join progress
        on progress.job_key = steps.job_key
    group by steps.job_key, steps.stage_id
),

stage_days as (
    -- Fully observed visits only (days_in_stage is null where the entry or the exit is unknown).
    select
        job_key, stage_id, {{ ats_median('days_in_stage') }} as median_days_in_stage,
        count(*) as visits_timed
    from visits
    where days_in_stage is not null
    group by job_key, stage_id
)

select
    {{ dbt.concat(['steps.job_key', "'|'", 'steps.stage_id']) }} as funnel_key,
    steps.job_key,
    steps.provider,
    steps.account_id,
    steps.job_id,
    jobs.job_name,
    steps.stage_id,
    steps.stage_name,
    steps.stage_order,
    coalesce(per_step.applications_reached, 0) as applications_reached,
    coalesce(per_step.applications_moved_on, 0) as applications_moved_on,
    coalesce(per_step.applications_rejected, 0) as applications_rejected,
    coalesce(per_step.applications_withdrawn, 0) as applications_withdrawn,
    case when per_step.applications_reached > 0
        then round(cast(per_step.applications_moved_on as {{ dbt.type_numeric() }})
                   / per_step.applications_reached, 4)
    end as conversion_rate,
    cast(stage_days.median_days_in_stage as numeric(12, 2)) as median_days_in_stage,
    coalesce(stage_days.visits_timed, 0) as visits_timed
from steps
left join per_step
    on per_step.job_key = steps.job_key
    and per_step.stage_id = steps.stage_id
left join stage_days
    on stage_days.job_key = steps.job_key
    and stage_days.stage_id = steps.stage_id
left join {{ ref('stg_ats__jobs') }} as jobs
    on jobs.job_key = steps.job_key
