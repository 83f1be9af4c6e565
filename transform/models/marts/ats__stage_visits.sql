-- One row per stay of a live application in a stage, from application_stages rows of every origin.
-- Native (Greenhouse, Lever, Ashby) and derived (ATZ CRM) rows already are visits. Observed rows
-- (Kombo, Merge) are single sightings of the current stage, folded here: a visit starts at the
-- first sighting of a stage and ends at the first sighting of another one.
--
-- Honest time in stage (entry_source): a visit's entry is known from the history (native,
-- derived), from an observed stage change (the sighting that first shows a new stage carries the
-- application's change time: Kombo's changed_at, Merge's modified_at), or, for an application
-- first seen in its job's first stage, from its applied_at (an application enters the first
-- stage when it is made). Any other first sighting shows only that the application was there by
-- then (first_seen): such a visit has no days_in_stage, so medians rest on fully observed visits.
--
-- Incremental: the sightings grow with every sync, so a build re-folds only the applications with
-- a row (of applications or application_stages, deleted ones included) loaded since the previous
-- build, and replaces all of their visits (delete+insert by application). The post-hook drops the
-- visits of applications that are no longer live: a deleted application has no visit to insert.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='application_key',
    post_hook="delete from {{ this }} where application_key not in
               (select application_key from {{ ref('stg_ats__applications') }})"
) }}

{%- set loaded_at = var('tap_ats_loaded_at_field') %}
{%- set since = "coalesce((select max(loaded_at) from " ~ this ~ "), cast('1900-01-01' as "
                ~ dbt.type_timestamp() ~ "))" %}

with applications as (
    select * from {{ ref('stg_ats__applications') }}
),

stage_rows as (
    select * from {{ ref('stg_ats__application_stages') }}
),

loaded_rows as (
    -- Every input row's load time; on an incremental build only those loaded since the newest
    -- one the table was built from, which name the applications to fold again.
    select provider, account_id, id as application_id, {{ loaded_at }} as loaded_at
    from {{ source('tap_ats', 'applications') }}
    {% if is_incremental() %}where {{ loaded_at }} >= {{ since }}{% endif %}
    union all
    select provider, account_id, application_id, {{ loaded_at }} as loaded_at
    from {{ source('tap_ats', 'application_stages') }}
    {% if is_incremental() %}where {{ loaded_at }} >= {{ since }}{% endif %}
),

loads as (
    -- Per application, the newest load time of its inputs: the next build's starting point.
    select provider, account_id, application_id, max(loaded_at) as loaded_at
    from loaded_rows
    group by provider, account_id, application_id
),

stage_rows_to_fold as (
    select stage_rows.*
    from stage_rows
    inner join loads
        on loads.provider = stage_rows.provider
        and loads.account_id = stage_rows.account_id
        and loads.application_id = stage_rows.application_id
),

sightings as (
    select
        provider, account_id, application_id, stage_id, stage_name, observed_at,
        lag(stage_id) over (
            partition by provider, account_id, application_id order by observed_at
        ) as previous_stage_id
    from stage_rows_to_fold
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
        'observed' as origin,
        case when previous_stage_id is null then 'first_seen' else 'stage_change' end
            as entry_source
    from sightings
    where previous_stage_id is null or previous_stage_id <> stage_id
),

visits as (
    select
        provider, account_id, application_id, stage_id, stage_name, entered_at, exited_at,
        exited_at is null as is_current, origin, entry_source
    from observed_visits
    union all
    select
        provider, account_id, application_id, stage_id, stage_name, entered_at, exited_at,
        coalesce(is_current, exited_at is null) as is_current, origin,
        case when entered_at is not null then 'history' end as entry_source
    from stage_rows_to_fold
    where origin in ('native', 'derived')
),

first_stages as (
    -- The first stage of each job's plan, where an application starts.
    select job_key, stage_id
    from (
        select
            job_key, stage_id,
            row_number() over (partition by job_key order by stage_order, stage_id) as place
        from {{ ref('stg_ats__job_stages') }}
        where job_id is not null and stage_order is not null
    ) as ranked
    where place = 1
),

numbered as (
    select
        visits.provider, visits.account_id, visits.application_id, visits.stage_id,
        visits.stage_name, visits.exited_at, visits.is_current, visits.origin,
        case when visits.entry_source = 'first_seen' and first_stages.stage_id is not null
                and applications.applied_at <= visits.entered_at
            then applications.applied_at else visits.entered_at
        end as entered_at,
        case when visits.entry_source = 'first_seen' and first_stages.stage_id is not null
                and applications.applied_at <= visits.entered_at
            then 'applied_at' else visits.entry_source
        end as entry_source,
        applications.application_key,
        applications.job_key,
        applications.job_id,
        applications.candidate_id,
        job_stages.stage_name as plan_stage_name,
        loads.loaded_at,
        row_number() over (
            partition by visits.provider, visits.account_id, visits.application_id
            order by visits.entered_at nulls last, visits.exited_at nulls last, visits.stage_id
        ) as visit_number
    from visits
    inner join applications
        on applications.provider = visits.provider
        and applications.account_id = visits.account_id
        and applications.application_id = visits.application_id
    inner join loads
        on loads.provider = visits.provider
        and loads.account_id = visits.account_id
        and loads.application_id = visits.application_id
    left join {{ ref('stg_ats__job_stages') }} as job_stages
        on job_stages.provider = visits.provider
        and job_stages.account_id = visits.account_id
        and job_stages.stage_id = visits.stage_id
    left join first_stages
        on first_stages.job_key = applications.job_key
        and first_stages.stage_id = visits.stage_id
)

select
    {{ dbt.concat(['application_key', "'|'", 'cast(visit_number as ' ~ dbt.type_string() ~ ')']) }}
        as visit_key,
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
    case when exited_at is not null and entry_source <> 'first_seen'
        then {{ ats_days('entered_at', 'exited_at') }}
    end as days_in_stage,
    is_current,
    origin,
    entry_source,
    loaded_at
from numbered
