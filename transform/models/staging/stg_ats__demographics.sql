-- Live EEOC answers (sensitive: opt-in). The model exists only with var
-- tap_ats_demographics_enabled: true, as the tap loads the stream only when it is selected.
{{ config(enabled=var('tap_ats_demographics_enabled', false)) }}
{{ ats_staged('demographics', [
    ['demographic_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['demographic_id', 'id', 'string'],
    ['application_key', ats_key('provider', 'account_id', 'application_id'), 'string'],
    ['application_id', 'application_id', 'string'],
    ['candidate_id', 'candidate_id', 'string'],
    ['race', 'race', 'string'],
    ['gender', 'gender', 'string'],
    ['veteran_status', 'veteran_status', 'string'],
    ['disability_status', 'disability_status', 'string'],
    ['submitted_at', 'submitted_at', 'timestamp'],
]) }}
