-- Live interviews, interviewer_ids as the warehouse's own list type and times as naive UTC (so
-- that weeks are cut in UTC on every engine); an empty stand-in where the provider offers no
-- interviews (ATZ CRM) or tap_ats_interviews_enabled is false, so every model downstream builds.
{%- set loaded = ats_source('interviews') %}
{% if loaded is not none %}
select
    {{ ats_key('provider', 'account_id', 'id') }} as interview_key,
    provider,
    account_id,
    id as interview_id,
    application_id,
    job_id,
    stage_id,
    title,
    status,
    {{ ats_utc(loaded, 'start_at') }} as start_at,
    {{ ats_utc(loaded, 'end_at') }} as end_at,
    location,
    organizer_id,
    {{ ats_string_list('interviewer_ids') }} as interviewer_ids
from {{ loaded }}
where {{ ats_live() }}
{% else %}
select
    cast(null as {{ dbt.type_string() }}) as interview_key,
    cast(null as {{ dbt.type_string() }}) as provider,
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as {{ dbt.type_string() }}) as interview_id,
    cast(null as {{ dbt.type_string() }}) as application_id,
    cast(null as {{ dbt.type_string() }}) as job_id,
    cast(null as {{ dbt.type_string() }}) as stage_id,
    cast(null as {{ dbt.type_string() }}) as title,
    cast(null as {{ dbt.type_string() }}) as status,
    cast(null as {{ dbt.type_timestamp() }}) as start_at,
    cast(null as {{ dbt.type_timestamp() }}) as end_at,
    cast(null as {{ dbt.type_string() }}) as location,
    cast(null as {{ dbt.type_string() }}) as organizer_id,
    cast(null as {{ ats_string_list_type() }}) as interviewer_ids
where 1 = 0
{% endif %}
