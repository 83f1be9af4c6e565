-- One row per interviewer and ISO week (weeks start on Monday): interviews sat and hours spent.
-- Canceled interviews carry no load and are left out, as are interviews without a start time.
with panel as (
    select *
    from {{ ref('ats__interviews_enhanced') }}
    where interviewer_id is not null
        and start_at is not null
        and (status is null or status <> 'canceled')
),

weekly as (
    select
        provider,
        account_id,
        interviewer_id,
        max(interviewer_name) as interviewer_name,
        cast({{ dbt.date_trunc('week', 'start_at') }} as date) as week_start,
        count(distinct interview_id) as interviews,
        sum(duration_hours) as hours
    from panel
    group by provider, account_id, interviewer_id, cast({{ dbt.date_trunc('week', 'start_at') }} as date)
)

select
    {{ ats_key('provider', 'account_id', 'interviewer_id') }}
        || '|' || cast(week_start as {{ dbt.type_string() }}) as interviewer_week_key,
    provider,
    account_id,
    interviewer_id,
    interviewer_name,
    week_start,
    cast(extract(isoyear from week_start) as integer) as iso_year,
    cast(extract(week from week_start) as integer) as iso_week,
    interviews,
    hours
from weekly
