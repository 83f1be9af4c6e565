-- Live hiring-team memberships: one row per person and role on a job; empty where the provider
-- gives none or tap_ats_job_hiring_team_enabled is false.
{{ ats_staged('job_hiring_team', [
    ['job_hiring_team_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['job_hiring_team_id', 'id', 'string'],
    ['job_key', ats_key('provider', 'account_id', 'job_id'), 'string'],
    ['job_id', 'job_id', 'string'],
    ['user_id', 'user_id', 'string'],
    ['role', 'role', 'string'],
    ['role_raw', 'role_raw', 'string'],
]) }}
