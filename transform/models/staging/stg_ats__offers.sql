-- Live offers, every version (a revised offer is a new row, version + 1); empty where the
-- provider offers none (ATZ CRM) or tap_ats_offers_enabled is false.
{{ ats_staged('offers', [
    ['offer_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['offer_id', 'id', 'string'],
    ['application_key', ats_key('provider', 'account_id', 'application_id'), 'string'],
    ['application_id', 'application_id', 'string'],
    ['job_id', 'job_id', 'string'],
    ['candidate_id', 'candidate_id', 'string'],
    ['status', 'status', 'string'],
    ['status_raw', 'status_raw', 'string'],
    ['version', 'version', 'integer'],
    ['created_at', 'created_at', 'timestamp'],
    ['sent_at', 'sent_at', 'timestamp'],
    ['resolved_at', 'resolved_at', 'timestamp'],
    ['starts_at', 'starts_at', 'timestamp'],
    ['updated_at', 'updated_at', 'timestamp'],
]) }}
