-- The one definition of a hire, which every model reads: one row per live application, hired or
-- not, by the signal its provider's API gives (README, "Hires"):
--   application_status: the application's own status says hired (Ashby status Hired, Greenhouse
--     status hired, Kombo outcome HIRED, ATZ CRM a talent stage named like Placed, see var
--     tap_ats_hire_stage_words);
--   signed_offer (providers in var tap_ats_offer_hire_providers, Merge: its application has no
--     hire status): the latest version of its offer is signed (unified status accepted) and the
--     application was not rejected;
--   archive_reason (providers in var tap_ats_archive_hire_providers, Lever): the application was
--     archived with a reason of type hired (Lever's "Hired", which every account has).
-- An account whose provider has neither (ATZ CRM with no hire-named talent stage, no hired
-- application) has hire_signal null: its hires are unknown, which the marts show as null, not 0.
-- The hire is dated by the accepted offer's resolved_at, else by the start of the visit the
-- application is in now (the stage it was hired from): the unified schema has no hire time.
{%- set offer_providers = var('tap_ats_offer_hire_providers') %}
{%- set status_providers = var('tap_ats_status_hire_providers') %}
{%- set archive_providers = var('tap_ats_archive_hire_providers') %}

with applications as (
    select * from {{ ref('stg_ats__applications') }}
),

latest_offers as (
    select application_key, status, resolved_at
    from {{ ref('int_ats__offer_versions') }}
    where is_latest_version and application_key is not null
),

hire_reasons as (
    -- Archive reasons that are a hire (Lever's "Hired", of type hired).
    select provider, account_id, rejection_reason_id
    from {{ ref('stg_ats__rejection_reasons') }}
    where rejection_reason_type_raw = 'hired'
),

hire_stages as (
    -- Accounts whose plans hold a stage that names a hire (ATZ CRM's Placed talent stage).
    select distinct provider, account_id
    from {{ ref('stg_ats__job_stages') }}
    where {{ ats_names_any('stage_name', var('tap_ats_hire_stage_words')) }}
),

signals as (
    select
        applications.provider,
        applications.account_id,
        case
            when {{ ats_in('applications.provider', offer_providers) }}
                then 'signed_offer'
            when {{ ats_in('applications.provider', archive_providers) }}
                then 'archive_reason'
            when {{ ats_in('applications.provider', status_providers) }}
                or max(case when applications.status = 'hired' then 1 else 0 end) = 1
                or max(case when hire_stages.account_id is not null then 1 else 0 end) = 1
                then 'application_status'
        end as hire_signal
    from applications
    left join hire_stages
        on hire_stages.provider = applications.provider
        and hire_stages.account_id = applications.account_id
    group by applications.provider, applications.account_id
),

current_visits as (
    -- The visit each application is in now (the latest one if none is flagged current).
    select application_key, entered_at
    from (
        select
            application_key, entered_at,
            row_number() over (
                partition by application_key
                order by case when is_current then 0 else 1 end, visit_number desc
            ) as recency
        from {{ ref('ats__stage_visits') }}
    ) as ranked
    where recency = 1
),

judged as (
    select
        applications.application_key,
        applications.provider,
        applications.account_id,
        applications.application_id,
        signals.hire_signal,
        case signals.hire_signal
            when 'signed_offer' then latest_offers.status = 'accepted'
                and coalesce(applications.status, '') <> 'rejected'
            when 'application_status' then applications.status = 'hired'
            when 'archive_reason' then hire_reasons.rejection_reason_id is not null
            else false
        end as is_hired,
        case when latest_offers.status = 'accepted' then latest_offers.resolved_at end
            as offer_accepted_at,
        current_visits.entered_at as current_stage_entered_at
    from applications
    inner join signals
        on signals.provider = applications.provider
        and signals.account_id = applications.account_id
    left join latest_offers
        on latest_offers.application_key = applications.application_key
    left join hire_reasons
        on hire_reasons.provider = applications.provider
        and hire_reasons.account_id = applications.account_id
        and hire_reasons.rejection_reason_id = applications.rejection_reason_id
    left join current_visits
        on current_visits.application_key = applications.application_key
)

select
    application_key,
    provider,
    account_id,
    application_id,
    hire_signal,
    coalesce(is_hired, false) as is_hired,
    case when is_hired then coalesce(offer_accepted_at, current_stage_entered_at) end as hired_at,
    case
        when is_hired and offer_accepted_at is not null then 'accepted_offer'
        when is_hired and current_stage_entered_at is not null then 'hire_stage'
    end as hired_at_source
from judged
