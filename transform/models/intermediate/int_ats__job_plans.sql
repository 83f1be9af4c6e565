-- Each job's hiring plan, one row per job and stage: the job's own stages, and its account's
-- stages of no one job (ATZ CRM's talent stages, Lever's pipeline), which are in every job's
-- plan. ats__funnel numbers its steps from it and ats__jobs_enhanced counts them, so the two
-- cannot disagree on what a job's plan is.
with job_stages as (
    select * from {{ ref('stg_ats__job_stages') }}
)

select provider, account_id, job_key, job_id, stage_id, stage_name, stage_order, is_terminal
from job_stages
where job_id is not null
union all
select
    stages.provider, stages.account_id, jobs.job_key, jobs.job_id, stages.stage_id,
    stages.stage_name, stages.stage_order, stages.is_terminal
from job_stages as stages
inner join {{ ref('stg_ats__jobs') }} as jobs
    on jobs.provider = stages.provider
    and jobs.account_id = stages.account_id
where stages.job_id is null
