-- One row per source with a live application: how many applications it brought, and how many of
-- them were interviewed, got an offer, were hired, and those as rates of its applications. A
-- source is the application's source_id (named from the sources table), else its source text;
-- applications with neither share one row with null source_id and source_name. Hires are
-- int_ats__hires's; where the provider shows no hire at all (hire_signal null) they are null.
with hiring as (
    select
        *,
        {{ ats_key('provider', 'account_id', 'coalesce(source_id, source)') }} as source_key
    from {{ ref('int_ats__application_hiring') }}
),

per_source as (
    select
        source_key,
        provider,
        account_id,
        max(source_id) as source_id,
        max(source) as application_source,
        count(*) as applications,
        sum(case when is_interviewed then 1 else 0 end) as applications_interviewed,
        sum(case when offered_at is not null then 1 else 0 end) as applications_offered,
        max(hire_signal) as hire_signal,  -- one per account: max only picks it
        sum(case when is_hired then 1 else 0 end) as hires
    from hiring
    group by source_key, provider, account_id
)

select
    per_source.source_key,
    per_source.provider,
    per_source.account_id,
    per_source.source_id,
    coalesce(sources.source_name, per_source.application_source) as source_name,
    sources.source_type,
    per_source.applications,
    per_source.applications_interviewed,
    per_source.applications_offered,
    per_source.hire_signal,
    case when per_source.hire_signal is not null then per_source.hires end as hires,
    {{ ats_rate('per_source.applications_interviewed', 'per_source.applications') }}
        as interview_rate,
    {{ ats_rate('per_source.applications_offered', 'per_source.applications') }} as offer_rate,
    case when per_source.hire_signal is not null
        then {{ ats_rate('per_source.hires', 'per_source.applications') }}
    end as hire_rate
from per_source
left join {{ ref('stg_ats__sources') }} as sources
    on sources.provider = per_source.provider
    and sources.account_id = per_source.account_id
    and sources.source_id = per_source.source_id
