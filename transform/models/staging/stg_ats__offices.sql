-- Live offices; empty where the provider offers none (ATZ CRM) or tap_ats_offices_enabled is
-- false.
{{ ats_staged('offices', [
    ['office_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['office_id', 'id', 'string'],
    ['office_name', 'name', 'string'],
    ['parent_id', 'parent_id', 'string'],
    ['location', 'location', 'string'],
    ['external_id', 'external_id', 'string'],
]) }}
