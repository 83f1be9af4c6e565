-- One row per live offer (every version), with its application, job, departments and offices.
-- The latest version of an application's offers (highest version, then latest created) is
-- flagged: it is the offer's current state, the earlier ones are its history.
with offers as (
    select * from {{ ref('stg_ats__offers') }}
),

applications as (
    select * from {{ ref('ats__applications_enhanced') }}
),

group_names as (
    select
        job_key,
        {{ dbt.listagg("case when group_type = 'department' then group_name end", "', '",
                       "order by group_name") }} as department_names,
        {{ dbt.listagg("case when group_type = 'office' then group_name end", "', '",
                       "order by group_name") }} as office_names
    from {{ ref('int_ats__job_groups') }}
    group by job_key
),

ranked as (
    select
        offers.*,
        row_number() over (
            partition by offers.provider, offers.account_id,
                coalesce(offers.application_id, offers.offer_id)
            order by offers.version desc nulls last, offers.created_at desc nulls last,
                offers.offer_id desc
        ) = 1 as is_latest_version
    from offers
)

select
    ranked.offer_key,
    ranked.provider,
    ranked.account_id,
    ranked.offer_id,
    ranked.version,
    ranked.is_latest_version,
    ranked.status,
    ranked.status_raw,
    ranked.created_at,
    ranked.sent_at,
    ranked.resolved_at,
    ranked.starts_at,
    applications.application_key,
    ranked.application_id,
    coalesce(ranked.candidate_id, applications.candidate_id) as candidate_id,
    applications.candidate_name,
    applications.job_key,
    coalesce(ranked.job_id, applications.job_id) as job_id,
    applications.job_name,
    group_names.department_names,
    group_names.office_names,
    applications.applied_at,
    {{ ats_days('applications.applied_at', 'coalesce(ranked.sent_at, ranked.created_at)') }}
        as days_to_offer,
    case when ranked.status in ('accepted', 'declined')
        then {{ ats_days('coalesce(ranked.sent_at, ranked.created_at)', 'ranked.resolved_at') }}
    end as days_to_resolve
from ranked
left join applications
    on applications.application_key = ranked.application_key
left join group_names
    on group_names.job_key = applications.job_key
