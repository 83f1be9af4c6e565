-- One row per stay of a live application in a stage, from application_stages rows of every origin.
-- Native (Greenhouse) and derived (ATZ CRM) rows already are visits. Observed rows (Kombo, Merge)
-- are single sightings of the current stage, folded here: a visit starts at the first sighting of
-- a stage and ends at the first sighting of another one.
with applications as (
    select * from {{ ref('stg_ats__applications') }}
),

stage_rows as (
    select * from {{ ref('stg_ats__application_stages') }}
),

sightings as (
    select
        provider, account_id, application_id, stage_id, stage_name, observed_at,
        lag(stage_id) over (
            partition by provider, account_id, application_id order by observed_at
        ) as previous_stage_id
    from stage_rows
    where origin = 'observed'
),

observed_visits as (
    -- The WHERE runs before the window: LEAD sees only the sightings that start a visit.
    select
        provider, account_id, application_id, stage_id, stage_name,
        observed_at as entered_at,
        lead(observed_at) over (
            partition by provider, account_id, application_id order by observed_at
        ) as exited_at,
        'observed' as origin
    from sightings
    where previous_stage_id is null or previous_stage_id <> stage_id
),

visits as (
    select
        provider, account_id, application_id, stage_id, stage_name, entered_at, exited_at,
        exited_at is null as is_current, origin
    from observed_visits
    union all
    select
        provider, account_id, application_id, stage_id, stage_name, entered_at, exited_at,
        coalesce(is_current, exited_at is null) as is_current, origin
    from stage_rows
    where origin in ('native', 'derived')
),

numbered as (
    select
        visits.*,
        applications.application_key,
        applications.job_key,
        applications.job_id,
        applications.candidate_id,
        job_stages.stage_name as plan_stage_name,
        row_number() over (
            partition by visits.provider, visits.account_id, visits.application_id
            order by visits.entered_at nulls last, visits.exited_at nulls last, visits.stage_id
        ) as visit_number
    from visits
    inner join applications
        on applications.provider = visits.provider
        and applications.account_id = visits.account_id
        and applications.application_id = visits.application_id
    left join {{ ref('stg_ats__job_stages') }} as job_stages
        on job_stages.provider = visits.provider
        and job_stages.account_id = visits.account_id
        and job_stages.stage_id = visits.stage_id
)

select
    application_key || '|' || cast(visit_number as {{ dbt.type_string() }}) as visit_key,
    application_key,
    provider,
    account_id,
    application_id,
    job_key,
    job_id,
    candidate_id,
    stage_id,
    coalesce(stage_name, plan_stage_name) as stage_name,
    visit_number,
    entered_at,
    exited_at,
    case when exited_at is not null then {{ ats_days('entered_at', 'exited_at') }} end
        as days_in_stage,
    is_current,
    origin
from numbered
