-- One row per job and stage, in the job's stage order: how many applications reached the stage,
-- went past it, were rejected in it, and how long they stayed.
with visits as (
    select * from {{ ref('ats__stage_visits') }}
),

applications as (
    select * from {{ ref('ats__applications_enhanced') }}
),

planned as (
    select provider, account_id, job_key, job_id, stage_id, stage_name, stage_order
    from {{ ref('stg_ats__job_stages') }}
    where job_id is not null
    union all
    -- A stage of no one job (ATZ CRM's talent stages, shared by every job) is in every job's plan.
    select
        stages.provider, stages.account_id, jobs.job_key, jobs.job_id, stages.stage_id,
        stages.stage_name, stages.stage_order
    from {{ ref('stg_ats__job_stages') }} as stages
    inner join {{ ref('stg_ats__jobs') }} as jobs
        on jobs.provider = stages.provider
        and jobs.account_id = stages.account_id
    where stages.job_id is null
),

seen as (
    -- Stages met in visits. Where the plan gives no order (ATZ CRM) or lacks the stage, the rank
    -- of the stage's average position in the applications' paths stands in for the order.
    select
        provider, account_id, job_key, job_id, stage_id,
        max(stage_name) as stage_name,
        dense_rank() over (partition by job_key order by avg(visit_number)) - 1 as path_rank
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
        coalesce(planned.stage_order, seen.path_rank) as stage_order
    from planned
    full outer join seen
        on seen.job_key = planned.job_key
        and seen.stage_id = planned.stage_id
),

ordered_visits as (
    select visits.*, stages.stage_order
    from visits
    inner join stages
        on stages.job_key = visits.job_key
        and stages.stage_id = visits.stage_id
),

furthest as (
    select application_key, max(stage_order) as furthest_order
    from ordered_visits
    group by application_key
),

per_stage as (
    select
        ordered_visits.job_key,
        ordered_visits.stage_id,
        count(distinct ordered_visits.application_key) as applications_reached,
        count(distinct case when furthest.furthest_order > ordered_visits.stage_order
                            then ordered_visits.application_key end) as applications_moved_on,
        percentile_cont(0.5) within group (order by ordered_visits.days_in_stage)
            as median_days_in_stage
    from ordered_visits
    inner join furthest
        on furthest.application_key = ordered_visits.application_key
    group by ordered_visits.job_key, ordered_visits.stage_id
),

rejected as (
    select job_key, current_stage_id as stage_id, count(*) as applications_rejected
    from applications
    where status = 'rejected'
    group by job_key, current_stage_id
)

select
    stages.job_key || '|' || stages.stage_id as funnel_key,
    stages.job_key,
    stages.provider,
    stages.account_id,
    stages.job_id,
    jobs.job_name,
    stages.stage_id,
    stages.stage_name,
    stages.stage_order,
    coalesce(per_stage.applications_reached, 0) as applications_reached,
    coalesce(per_stage.applications_moved_on, 0) as applications_moved_on,
    coalesce(rejected.applications_rejected, 0) as applications_rejected,
    case when per_stage.applications_reached > 0
        then round(cast(per_stage.applications_moved_on as numeric)
                   / per_stage.applications_reached, 4)
    end as conversion_rate,
    cast(per_stage.median_days_in_stage as numeric(12, 2)) as median_days_in_stage
from stages
left join per_stage
    on per_stage.job_key = stages.job_key
    and per_stage.stage_id = stages.stage_id
left join rejected
    on rejected.job_key = stages.job_key
    and rejected.stage_id = stages.stage_id
left join {{ ref('stg_ats__jobs') }} as jobs
    on jobs.job_key = stages.job_key
