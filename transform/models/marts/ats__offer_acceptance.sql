-- One row per job, department and office (group_type) with an offer: how many offers went out,
-- how many were accepted or declined, and how long an offer took. Each application counts once,
-- by the latest version of its offer (a revised offer is not a second offer); drafts never went
-- out and do not count.
with hiring as (
    select * from {{ ref('int_ats__application_hiring') }}
    where latest_offer_status <> 'draft'  -- and not null: applications with an offer out
),

groups as (
    select * from {{ ref('int_ats__job_groups') }}
),

per_group as (
    select
        groups.group_key,
        groups.provider,
        groups.account_id,
        groups.group_type,
        groups.group_id,
        max(groups.group_name) as group_name,  -- one name per group: max only picks it
        count(*) as offers_extended,
        sum(case when hiring.latest_offer_status = 'accepted' then 1 else 0 end) as offers_accepted,
        sum(case when hiring.latest_offer_status = 'declined' then 1 else 0 end) as offers_declined,
        sum(case when hiring.latest_offer_status = 'sent' then 1 else 0 end) as offers_pending,
        {{ ats_median('hiring.days_to_offer') }} as median_days_to_offer
    from hiring
    inner join groups
        on groups.job_key = hiring.job_key
    group by groups.group_key, groups.provider, groups.account_id, groups.group_type,
             groups.group_id
)

select
    per_group.group_key,
    per_group.provider,
    per_group.account_id,
    per_group.group_type,
    per_group.group_id,
    per_group.group_name,
    per_group.offers_extended,
    per_group.offers_accepted,
    per_group.offers_declined,
    per_group.offers_pending,
    {{ ats_rate('per_group.offers_accepted',
                'per_group.offers_accepted + per_group.offers_declined') }} as acceptance_rate,
    cast(per_group.median_days_to_offer as numeric(12, 2)) as median_days_to_offer
from per_group
