-- One row per live application: who, for which job, where it stands, and how long it took.
with applications as (
    select * from {{ ref('stg_ats__applications') }}
),

visits as (
    select * from {{ ref('ats__stage_visits') }}
),

visit_counts as (
    select
        application_key,
        count(*) as stage_visits,
        count(distinct stage_id) as stages_visited,
        max(case when is_current then visit_number end) as current_visit_number,
        max(visit_number) as last_visit_number
    from visits
    group by application_key
),

last_visits as (
    -- The visit the application is in now (the latest one if none is flagged current).
    select visits.*
    from visits
    inner join visit_counts
        on visit_counts.application_key = visits.application_key
        and visits.visit_number = coalesce(visit_counts.current_visit_number,
                                           visit_counts.last_visit_number)
),

hires as (
    select * from {{ ref('int_ats__hires') }}
),

interview_counts as (
    select provider, account_id, application_id, count(*) as interviews
    from {{ ref('stg_ats__interviews') }}
    group by provider, account_id, application_id
)

select
    applications.application_key,
    applications.provider,
    applications.account_id,
    applications.application_id,
    applications.candidate_id,
    candidates.candidate_name,
    applications.job_key,
    applications.job_id,
    jobs.job_name,
    applications.status,
    applications.status_raw,
    -- Hired: the one definition of a hire, int_ats__hires (Merge: a signed offer).
    -- Withdrawals are rejections the candidate chose: Greenhouse and the unified APIs record them
    -- as rejections with a reason of type candidate_withdrew; where the reason is not loaded or
    -- not typed (Kombo's reasons carry no type), its name says so, and ATZ CRM has a Withdrawn
    -- talent stage.
    case
        when hires.is_hired then 'hired'
        when applications.status = 'rejected'
            and reasons.rejection_reason_type in ('we_rejected', 'candidate_withdrew') then
            case when reasons.rejection_reason_type = 'candidate_withdrew' then 'withdrawn'
                else 'rejected' end
        when applications.status = 'rejected'
            and (lower(coalesce(applications.rejection_reason, '')) like '%withdr%'
                 or lower(coalesce(applications.current_stage_name, '')) like '%withdr%')
            then 'withdrawn'
        when applications.status = 'rejected' then 'rejected'
    end as outcome,
    coalesce(applications.current_stage_id, last_visits.stage_id) as current_stage_id,
    coalesce(applications.current_stage_name, job_stages.stage_name, last_visits.stage_name)
        as current_stage_name,
    applications.applied_at,
    applications.rejected_at,
    applications.rejection_reason_id,
    -- A hire has no rejection reason, even where the provider records one (Lever archives a hire
    -- with its "Hired" reason; the reasons join leaves such reasons out too).
    case when not hires.is_hired
        then coalesce(applications.rejection_reason, reasons.rejection_reason_name)
    end as rejection_reason,
    case when not hires.is_hired then reasons.rejection_reason_type end as rejection_reason_type,
    applications.source_id,
    applications.source,
    coalesce(interview_counts.interviews, 0) as interviews,
    coalesce(visit_counts.stages_visited, 0) as stages_visited,
    coalesce(visit_counts.stage_visits, 0) as stage_visits,
    hires.hire_signal,
    hires.hired_at,
    hires.hired_at_source,
    {{ ats_days('applications.applied_at', 'hires.hired_at') }} as days_to_hire,
    case when applications.status = 'rejected'
        then {{ ats_days('applications.applied_at', 'applications.rejected_at') }}
    end as days_to_reject,
    applications.updated_at
from applications
inner join hires
    on hires.application_key = applications.application_key
left join visit_counts
    on visit_counts.application_key = applications.application_key
left join last_visits
    on last_visits.application_key = applications.application_key
left join {{ ref('stg_ats__candidates') }} as candidates
    on candidates.provider = applications.provider
    and candidates.account_id = applications.account_id
    and candidates.candidate_id = applications.candidate_id
left join {{ ref('stg_ats__jobs') }} as jobs
    on jobs.job_key = applications.job_key
left join {{ ref('stg_ats__job_stages') }} as job_stages
    on job_stages.provider = applications.provider
    and job_stages.account_id = applications.account_id
    and job_stages.stage_id = coalesce(applications.current_stage_id, last_visits.stage_id)
left join {{ ref('stg_ats__rejection_reasons') }} as reasons
    on reasons.provider = applications.provider
    and reasons.account_id = applications.account_id
    and reasons.rejection_reason_id = applications.rejection_reason_id
    -- A reason that is a hire (Lever's "Hired", type_raw hired: int_ats__hires) is no rejection.
    and coalesce(reasons.rejection_reason_type_raw, '') <> 'hired'
left join interview_counts
    on interview_counts.provider = applications.provider
    and interview_counts.account_id = applications.account_id
    and interview_counts.application_id = applications.application_id
