-- Every live offer version, the latest of each application's flagged (highest version, then
-- latest created): the offer's current state, the earlier ones its history. One place for that
-- rule, read by the hire definition (int_ats__hires) and by ats__offers_enhanced.
select
    offers.*,
    row_number() over (
        partition by offers.provider, offers.account_id,
            coalesce(offers.application_id, offers.offer_id)
        order by offers.version desc nulls last, offers.created_at desc nulls last,
            offers.offer_id desc
    ) = 1 as is_latest_version
from {{ ref('stg_ats__offers') }} as offers
