-- One row per live application: how far it got towards a hire, and when. The unified schema has
-- no hire time, so the hire is dated by the accepted offer's resolved_at where an offer was
-- accepted, else by the application's own hire signal (the start of the stage it was hired
-- from, hire_stage_entered_at). An application is hired if its status says so, or if its latest
-- offer was accepted while it is still in process (Merge gives no hire flag at all).
with applications as (
    select * from {{ ref('ats__applications_enhanced') }}
),

offers as (
    select * from {{ ref('ats__offers_enhanced') }}
),

offered as (
    -- The first time an offer (not a draft) went out, and the latest version's state.
    select
        application_key,
        min(case when status <> 'draft' then coalesce(sent_at, created_at) end) as offered_at,
        max(case when is_latest_version then offer_id end) as latest_offer_id,
        max(case when is_latest_version then status end) as latest_offer_status,
        max(case when is_latest_version and status = 'accepted' then resolved_at end)
            as offer_accepted_at
    from offers
    where application_key is not null
    group by application_key
),

interviewed as (
    -- Applications with an interview that was not canceled (Kombo gives no status: all count).
    select distinct provider, account_id, application_id
    from {{ ref('stg_ats__interviews') }}
    where coalesce(status, '') <> 'canceled'
),

facts as (
    select
        applications.*,
        interviewed.application_id is not null as is_interviewed,
        offered.offered_at,
        offered.latest_offer_id,
        offered.latest_offer_status,
        offered.offer_accepted_at,
        applications.outcome = 'hired'
            or (applications.outcome is null and offered.latest_offer_status = 'accepted')
            as hired
    from applications
    left join offered
        on offered.application_key = applications.application_key
    left join interviewed
        on interviewed.provider = applications.provider
        and interviewed.account_id = applications.account_id
        and interviewed.application_id = applications.application_id
)

select
    application_key,
    provider,
    account_id,
    application_id,
    job_key,
    outcome,
    source_id,
    source,
    applied_at,
    is_interviewed,
    offered_at,
    latest_offer_id,
    latest_offer_status,
    coalesce(hired, false) as is_hired,
    case when hired then coalesce(offer_accepted_at, hire_stage_entered_at) end as hired_at,
    case
        when hired and offer_accepted_at is not null then 'accepted_offer'
        when hired and hire_stage_entered_at is not null then 'hire_stage'
    end as hired_at_source,
    {{ ats_days('applied_at', 'offered_at') }} as days_to_offer,
    case when hired
        then {{ ats_days('applied_at', 'coalesce(offer_accepted_at, hire_stage_entered_at)') }}
    end as days_to_hire
from facts
