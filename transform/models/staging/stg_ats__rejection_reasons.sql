-- Live rejection reasons with their type (we_rejected, candidate_withdrew, other); empty where
-- the provider offers none (ATZ CRM) or tap_ats_rejection_reasons_enabled is false.
{{ ats_staged('rejection_reasons', [
    ['rejection_reason_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['rejection_reason_id', 'id', 'string'],
    ['rejection_reason_name', 'name', 'string'],
    ['rejection_reason_type', 'type', 'string'],
    ['rejection_reason_type_raw', 'type_raw', 'string'],
]) }}
