-- One row per live offer (every version), with its application, job, departments and offices.
-- The latest version of an application's offers is flagged (int_ats__offer_versions): it is the
-- offer's current state, the earlier ones are its history.
with offers as (
    select * from {{ ref('int_ats__offer_versions') }}
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
)

select
    offers.offer_key,
    offers.provider,
    offers.account_id,
    offers.offer_id,
    offers.version,
    offers.is_latest_version,
    offers.status,
    offers.status_raw,
    offers.created_at,
    offers.sent_at,
    offers.resolved_at,
    offers.starts_at,
    applications.application_key,
    offers.application_id,
    coalesce(offers.candidate_id, applications.candidate_id) as candidate_id,
    applications.candidate_name,
    applications.job_key,
    coalesce(offers.job_id, applications.job_id) as job_id,
    applications.job_name,
    group_names.department_names,
    group_names.office_names,
    applications.applied_at,
    {{ ats_days('applications.applied_at', 'coalesce(offers.sent_at, offers.created_at)') }}
        as days_to_offer,
    case when offers.status in ('accepted', 'declined')
        then {{ ats_days('coalesce(offers.sent_at, offers.created_at)', 'offers.resolved_at') }}
    end as days_to_resolve
from offers
left join applications
    on applications.application_key = offers.application_key
left join group_names
    on group_names.job_key = applications.job_key
