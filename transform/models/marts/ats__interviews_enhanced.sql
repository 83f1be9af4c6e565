-- One row per interview and interviewer (one row with a null interviewer for an interview without a
-- panel): names from the users table where the provider has one, the stage, and the outcome of the
-- application.
with interviews as (
    select * from {{ ref('stg_ats__interviews') }}
),

panel as (
    select distinct interview_key, interviewer_id
    from (
        select interview_key, {{ ats_unnest('interviewer_ids') }} as interviewer_id
        from interviews
    ) as members
    where interviewer_id is not null
),

users as (
    select * from {{ ref('stg_ats__users') }}
)

select
    {{ ats_key('interviews.interview_key', 'panel.interviewer_id') }} as interview_interviewer_key,
    interviews.interview_key,
    interviews.provider,
    interviews.account_id,
    interviews.interview_id,
    panel.interviewer_id,
    interviewers.user_name as interviewer_name,
    interviewers.user_email as interviewer_email,
    interviews.organizer_id,
    organizers.user_name as organizer_name,
    interviews.title,
    interviews.status,
    interviews.start_at,
    interviews.end_at,
    {{ ats_hours('interviews.start_at', 'interviews.end_at') }} as duration_hours,
    interviews.location,
    applications.application_key,
    interviews.application_id,
    applications.candidate_id,
    applications.candidate_name,
    coalesce(interviews.job_id, applications.job_id) as job_id,
    applications.job_name,
    interviews.stage_id,
    job_stages.stage_name,
    applications.status as application_status,
    applications.current_stage_name as application_current_stage_name
from interviews
left join panel  -- an interview without a panel keeps one row, with a null interviewer
    on panel.interview_key = interviews.interview_key
left join users as interviewers
    on interviewers.provider = interviews.provider
    and interviewers.account_id = interviews.account_id
    and interviewers.user_id = panel.interviewer_id
left join users as organizers
    on organizers.provider = interviews.provider
    and organizers.account_id = interviews.account_id
    and organizers.user_id = interviews.organizer_id
left join {{ ref('ats__applications_enhanced') }} as applications
    on applications.provider = interviews.provider
    and applications.account_id = interviews.account_id
    and applications.application_id = interviews.application_id
left join {{ ref('stg_ats__job_stages') }} as job_stages
    on job_stages.provider = interviews.provider
    and job_stages.account_id = interviews.account_id
    and job_stages.stage_id = interviews.stage_id
