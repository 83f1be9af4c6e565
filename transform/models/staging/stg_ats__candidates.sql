-- Live candidates: the name only (emails and phones stay in the loaded table, where stream maps
-- can hash them).
select
    {{ ats_key('provider', 'account_id', 'id') }} as candidate_key,
    provider,
    account_id,
    id as candidate_id,
    nullif(trim({{ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) }}), '')
        as candidate_name
from {{ source('tap_ats', 'candidates') }}
where {{ ats_live() }}
