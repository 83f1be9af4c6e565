-- Live scorecards (one interviewer's verdict on one interview), without the per-attribute
-- ratings and notes; empty where the provider offers none (ATZ CRM) or
-- tap_ats_scorecards_enabled is false.
{{ ats_staged('scorecards', [
    ['scorecard_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['scorecard_id', 'id', 'string'],
    ['application_key', ats_key('provider', 'account_id', 'application_id'), 'string'],
    ['application_id', 'application_id', 'string'],
    ['candidate_id', 'candidate_id', 'string'],
    ['job_id', 'job_id', 'string'],
    ['interview_id', 'interview_id', 'string'],
    ['interviewer_id', 'interviewer_id', 'string'],
    ['submitted_at', 'submitted_at', 'timestamp'],
    ['overall_recommendation', 'overall_recommendation', 'string'],
    ['overall_recommendation_raw', 'overall_recommendation_raw', 'string'],
]) }}
