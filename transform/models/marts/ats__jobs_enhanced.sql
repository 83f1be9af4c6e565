-- One row per live job: its applications by status, its hires (int_ats__hires, through
-- ats__applications_enhanced), how fast the first came, and how long applications sit in its
-- stages (fully observed visits only: visits_timed says how many).
with jobs as (
    select * from {{ ref('stg_ats__jobs') }}
),

applications as (
    select * from {{ ref('ats__applications_enhanced') }}
),

by_job as (
    select
        job_key,
        count(*) as applications,
        sum(case when status = 'active' then 1 else 0 end) as active_applications,
        sum(case when outcome = 'hired' then 1 else 0 end) as hires,
        sum(case when status = 'rejected' then 1 else 0 end) as rejected_applications,
        sum(case when status not in ('active', 'hired', 'rejected') or status is null
            then 1 else 0 end) as other_applications,
        min(hired_at) as first_hire_at
    from applications
    group by job_key
),

stage_days as (
    select
        job_key,
        {{ ats_median('days_in_stage') }} as median_days_in_stage,
        count(*) as visits_timed
    from {{ ref('ats__stage_visits') }}
    where days_in_stage is not null
    group by job_key
),

plans as (
    -- Its steps: terminal stages (ATZ CRM's Withdrawn, Rejected, Placed) are outcomes, not steps,
    -- and have no row in ats__funnel either.
    select job_key, count(*) as stages
    from {{ ref('int_ats__job_plans') }}
    where not is_terminal
    group by job_key
)

select
    jobs.job_key,
    jobs.provider,
    jobs.account_id,
    jobs.job_id,
    jobs.job_name,
    jobs.code,
    jobs.status,
    jobs.status_raw,
    jobs.opened_at,
    jobs.closed_at,
    coalesce(plans.stages, 0) as stages,
    coalesce(by_job.applications, 0) as applications,
    coalesce(by_job.active_applications, 0) as active_applications,
    coalesce(by_job.hires, 0) as hires,
    coalesce(by_job.rejected_applications, 0) as rejected_applications,
    coalesce(by_job.other_applications, 0) as other_applications,
    by_job.first_hire_at,
    {{ ats_days('jobs.opened_at', 'by_job.first_hire_at') }} as days_to_first_hire,
    cast(stage_days.median_days_in_stage as numeric(12, 2)) as median_days_in_stage,
    coalesce(stage_days.visits_timed, 0) as visits_timed
from jobs
left join by_job
    on by_job.job_key = jobs.job_key
left join stage_days
    on stage_days.job_key = jobs.job_key
left join plans
    on plans.job_key = jobs.job_key
