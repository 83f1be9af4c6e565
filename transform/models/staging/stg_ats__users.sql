-- Live users (the hiring side: interviewers, organizers); an empty stand-in where the provider
-- offers none (ATZ CRM), the table has not been loaded yet, or tap_ats_users_enabled is false.
{%- set loaded = ats_source('users') %}
{% if loaded is not none %}
select
    {{ ats_key('provider', 'account_id', 'id') }} as user_key,
    provider,
    account_id,
    id as user_id,
    name as user_name,
    email as user_email,
    active
from {{ loaded }}
where {{ ats_live() }}
{% else %}
select
    cast(null as {{ dbt.type_string() }}) as user_key,
    cast(null as {{ dbt.type_string() }}) as provider,
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as {{ dbt.type_string() }}) as user_id,
    cast(null as {{ dbt.type_string() }}) as user_name,
    cast(null as {{ dbt.type_string() }}) as user_email,
    cast(null as {{ dbt.type_boolean() }}) as active
where 1 = 0
{% endif %}
