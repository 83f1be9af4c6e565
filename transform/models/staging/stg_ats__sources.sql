-- Live sources (where candidates come from); empty where the provider offers none (ATZ CRM) or
-- tap_ats_sources_enabled is false.
{{ ats_staged('sources', [
    ['source_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['source_id', 'id', 'string'],
    ['source_name', 'name', 'string'],
    ['source_type', 'type', 'string'],
]) }}
