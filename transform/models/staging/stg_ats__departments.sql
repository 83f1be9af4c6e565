-- Live departments; empty where the provider offers none (ATZ CRM) or
-- tap_ats_departments_enabled is false.
{{ ats_staged('departments', [
    ['department_key', ats_key('provider', 'account_id', 'id'), 'string'],
    ['provider', 'provider', 'string'],
    ['account_id', 'account_id', 'string'],
    ['department_id', 'id', 'string'],
    ['department_name', 'name', 'string'],
    ['parent_id', 'parent_id', 'string'],
    ['external_id', 'external_id', 'string'],
]) }}
