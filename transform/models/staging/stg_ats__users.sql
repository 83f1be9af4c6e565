-- Live users (the hiring side: interviewers, organizers); an empty stand-in where the provider
-- offers none (ATZ CRM) or the table has not been loaded yet.
{%- set loaded = ats_optional_source('users') %}
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
where deleted_at is null
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
