-- One row per job, department and office (group_type) with an application: how long from
-- application to the first offer and to the hire. What a hire is and when it happened is
-- int_ats__hires's: the accepted offer's resolved_at, else the start of the stage it was hired
-- from. Where the provider shows no hire at all (hire_signal null) hires are null, not 0.
with hiring as (
    select * from {{ ref('int_ats__application_hiring') }}
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
        count(*) as applications,
        sum(case when hiring.offered_at is not null then 1 else 0 end) as applications_offered,
        max(hiring.hire_signal) as hire_signal,  -- one per account: max only picks it
        sum(case when hiring.is_hired then 1 else 0 end) as hires,
        sum(case when hiring.hired_at_source = 'accepted_offer' then 1 else 0 end)
            as hires_dated_by_offer,
        {{ ats_median('hiring.days_to_offer') }} as median_days_to_offer,
        {{ ats_median('hiring.days_to_hire') }} as median_days_to_hire,
        avg(hiring.days_to_hire) as average_days_to_hire
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
    per_group.applications,
    per_group.applications_offered,
    per_group.hire_signal,
    case when per_group.hire_signal is not null then per_group.hires end as hires,
    per_group.hires_dated_by_offer,
    cast(per_group.median_days_to_offer as numeric(12, 2)) as median_days_to_offer,
    cast(per_group.median_days_to_hire as numeric(12, 2)) as median_days_to_hire,
    cast(per_group.average_days_to_hire as numeric(12, 2)) as average_days_to_hire
from per_group
