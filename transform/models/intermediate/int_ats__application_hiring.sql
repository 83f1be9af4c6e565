-- One row per live application: how far it got towards a hire, and when. Whether and when it was
-- hired is int_ats__hires's (carried by ats__applications_enhanced), the one definition every
-- mart reads.
with applications as (
    select * from {{ ref('ats__applications_enhanced') }}
),

offers as (
    select * from {{ ref('int_ats__offer_versions') }}
),

offered as (
    -- The first time an offer (not a draft) went out, and the latest version's state.
    select
        application_key,
        min(case when status <> 'draft' then coalesce(sent_at, created_at) end) as offered_at,
        max(case when is_latest_version then offer_id end) as latest_offer_id,
        max(case when is_latest_version then status end) as latest_offer_status
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
        offered.latest_offer_status
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
    hire_signal,
    coalesce(outcome, '') = 'hired' as is_hired,
    hired_at,
    hired_at_source,
    {{ ats_days('applied_at', 'offered_at') }} as days_to_offer,
    days_to_hire
from facts
