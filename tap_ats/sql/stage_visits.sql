-- stage_visits: one row per stay of an application in a stage, from application_stages rows of
-- any origin. Native (Greenhouse) and derived (ATZ CRM) rows already are visits; observed rows
-- (Kombo, Merge) are single sightings, folded here: a visit starts at the first sighting of a
-- stage and ends when a later sighting shows another stage. Run it in the schema the target
-- loaded into (DuckDB: `SET schema = 'tap_ats'`; Postgres: `SET search_path = tap_ats`).
CREATE OR REPLACE VIEW stage_visits AS
WITH sightings AS (
    SELECT provider, account_id, application_id, job_id, candidate_id, stage_id, stage_name,
           observed_at,
           LAG(stage_id) OVER (PARTITION BY provider, account_id, application_id
                               ORDER BY observed_at) AS previous_stage_id
    FROM application_stages
    WHERE origin = 'observed'
),
starts AS (
    SELECT * FROM sightings
    WHERE previous_stage_id IS NULL OR previous_stage_id <> stage_id
),
observed_visits AS (
    SELECT provider, account_id, application_id, job_id, candidate_id, stage_id, stage_name,
           observed_at AS entered_at,
           LEAD(observed_at) OVER (PARTITION BY provider, account_id, application_id
                                   ORDER BY observed_at) AS exited_at,
           'observed' AS origin
    FROM starts
)
SELECT provider, account_id, application_id, job_id, candidate_id, stage_id, stage_name,
       entered_at, exited_at, exited_at IS NULL AS is_current, origin
FROM observed_visits
UNION ALL
SELECT provider, account_id, application_id, job_id, candidate_id, stage_id, stage_name,
       entered_at, exited_at, COALESCE(is_current, exited_at IS NULL) AS is_current, origin
FROM application_stages
WHERE origin IN ('native', 'derived');
