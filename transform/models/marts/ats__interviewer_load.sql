-- One row per interviewer and ISO week (weeks start on Monday, cut in UTC: stg_ats__interviews
-- holds naive UTC times on every engine): interviews sat (status complete) and their hours, and
-- interviews still to come (starting after the build, not canceled) in their own column. Other
-- interviews (canceled, awaiting feedback, scheduled in the past) carry no load here.
with panel as (
    select
        *,
        cast({{ dbt.date_trunc('week', 'start_at') }} as date) as week_start,
        status = 'complete' as is_completed,
        start_at > {{ ats_utc_now() }} and coalesce(status, '') <> 'canceled' as is_upcoming
    from {{ ref('ats__interviews_enhanced') }}
    where interviewer_id is not null
        and start_at is not null
),

weekly as (
    select
        provider,
        account_id,
        interviewer_id,
        week_start,
        max(interviewer_name) as interviewer_name,
        count(distinct case when is_completed then interview_id end) as interviews_completed,
        coalesce(sum(case when is_completed then duration_hours end), 0) as hours_completed,
        count(distinct case when is_upcoming then interview_id end) as interviews_upcoming
    from panel
    where is_completed or is_upcoming
    group by provider, account_id, interviewer_id, week_start
)

select
    {{ ats_key('provider', 'account_id', 'interviewer_id',
               'cast(week_start as ' ~ dbt.type_string() ~ ')') }} as interviewer_week_key,
    provider,
    account_id,
    interviewer_id,
    interviewer_name,
    week_start,
    {{ ats_iso_part('isoyear', 'week_start') }} as iso_year,
    {{ ats_iso_part('week', 'week_start') }} as iso_week,
    interviews_completed,
    hours_completed,
    interviews_upcoming
from weekly
