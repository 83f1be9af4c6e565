{#- Small helpers that keep the models one SQL text for every warehouse: what differs between
    engines goes through dbt's own cross-database macros or an adapter.dispatch macro below,
    with DuckDB and PostgreSQL implementations (the engines the tests run on) and a default. -#}

{% macro ats_key() -%}
    {#- One text key from the columns given (provider, account_id, id, ...): a single column that
        unique and relationships tests can check. '|' never occurs in a provider name. -#}
    {%- set parts = [] -%}
    {%- for column in varargs -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}

{% macro ats_days(start_at, end_at) -%}
    {#- Days between two timestamps, to the hundredth, from the exact milliseconds between them. -#}
    cast({{ dbt.datediff(start_at, end_at, 'millisecond') }} / 86400000.0 as numeric(12, 2))
{%- endmacro %}

{% macro ats_hours(start_at, end_at) -%}
    cast({{ dbt.datediff(start_at, end_at, 'millisecond') }} / 3600000.0 as numeric(12, 2))
{%- endmacro %}

{% macro ats_median(column) -%}
    {{ return(adapter.dispatch('ats_median', 'tap_ats')(column)) }}
{%- endmacro %}

{% macro default__ats_median(column) -%}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}

{% macro postgres__ats_median(column) -%}
    percentile_cont(0.5) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__ats_median(column) -%}
    median({{ column }})
{%- endmacro %}

{% macro ats_to_utc(column) -%}
    {#- A timestamp WITH time zone as the naive UTC timestamp every model computes on: the same
        instant whatever the session's time zone. -#}
    {{ return(adapter.dispatch('ats_to_utc', 'tap_ats')(column)) }}
{%- endmacro %}

{% macro default__ats_to_utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{% macro postgres__ats_to_utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{% macro duckdb__ats_to_utc(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}

{% macro ats_utc(relation, column) -%}
    {#- ``column`` of ``relation`` as naive UTC. The tap writes UTC and target-duckdb and
        target-postgres store it without a zone, taken as is; a loader that stores timestamps
        with a zone gets them converted, so week and day cuts never follow the session's zone. -#}
    {%- set zoned = [] -%}
    {%- if execute -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- set type = col.data_type | lower -%}
            {%- if col.name | lower == column
                   and ('with time zone' in type or type.endswith('tz')) -%}
                {%- do zoned.append(col) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if zoned -%}{{ ats_to_utc(column) }}{%- else -%}{{ column }}{%- endif -%}
{%- endmacro %}

{% macro ats_utc_now() -%}
    {{ ats_to_utc(dbt.current_timestamp()) }}
{%- endmacro %}

{% macro ats_string_list(column) -%}
    {#- An array-of-strings column as the warehouse's own list type, ready for unnest: target-duckdb
        stores arrays as JSON, target-postgres as text[]. -#}
    {{ return(adapter.dispatch('ats_string_list', 'tap_ats')(column)) }}
{%- endmacro %}

{% macro default__ats_string_list(column) -%}
    {{ column }}
{%- endmacro %}

{% macro postgres__ats_string_list(column) -%}
    {{ column }}
{%- endmacro %}

{% macro duckdb__ats_string_list(column) -%}
    from_json({{ column }}, '["VARCHAR"]')
{%- endmacro %}

{% macro ats_string_list_type() -%}
    {{ return(adapter.dispatch('ats_string_list_type', 'tap_ats')()) }}
{%- endmacro %}

{% macro default__ats_string_list_type() -%}
    {{ dbt.type_string() }}[]
{%- endmacro %}

{% macro postgres__ats_string_list_type() -%}
    text[]
{%- endmacro %}

{% macro duckdb__ats_string_list_type() -%}
    varchar[]
{%- endmacro %}

{% macro ats_unnest(column) -%}
    {#- One row per element of a list (from ats_string_list), as a select-list expression. -#}
    {{ return(adapter.dispatch('ats_unnest', 'tap_ats')(column)) }}
{%- endmacro %}

{% macro default__ats_unnest(column) -%}
    unnest({{ column }})
{%- endmacro %}

{% macro postgres__ats_unnest(column) -%}
    unnest({{ column }})
{%- endmacro %}

{% macro duckdb__ats_unnest(column) -%}
    unnest({{ column }})
{%- endmacro %}

{% macro ats_is_terminal(stage_name) -%}
    {#- Whether a stage is an outcome, not a step of the funnel: its name holds one of the words of
        var('tap_ats_terminal_stage_words') (ATZ CRM's Rejected and Placed talent stages; the tap
        derives an ATZ application's status from the same words). -#}
    {{ ats_names_any(stage_name, var('tap_ats_terminal_stage_words')) }}
{%- endmacro %}

{% macro ats_names_any(name, words) -%}
    {#- Whether the text ``name`` holds one of ``words``, whatever the case (false for no words). -#}
    ({% for word in words -%}
        lower(coalesce({{ name }}, '')) like '%{{ word | lower }}%'
        {%- if not loop.last %} or {% endif %}
    {%- else -%} 1 = 0 {%- endfor %})
{%- endmacro %}

{% macro ats_in(column, values) -%}
    {#- ``column in (values...)`` for a list of plain strings from a var; false for an empty list. -#}
    {%- if values -%}
        {{ column }} in ({% for value in values %}'{{ value | replace("'", "''") }}'
            {%- if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}

{% macro ats_source(table) -%}
    {#- The loaded table behind source('tap_ats', table), or none when the stream is switched off
        (var tap_ats_<table>_enabled: false) or its table does not exist: a provider that does not
        offer a stream (ATZ CRM has no interviews nor users) has no such table, and the staging
        model then selects from an empty stand-in instead. -#}
    {%- if not var('tap_ats_' ~ table ~ '_enabled', true) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set declared = source('tap_ats', table) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=declared.database, schema=declared.schema,
                                   identifier=declared.identifier)) }}
{%- endmacro %}

{% macro ats_live() -%}
    {#- Rows deleted at the source (deleted_at) or marked deleted by the loader (_sdc_deleted_at,
        e.g. target-postgres's soft delete) are in no model. -#}
    deleted_at is null and _sdc_deleted_at is null
{%- endmacro %}

{% macro ats_iso_part(part, column) -%}
    {#- The ISO 'isoyear' or 'week' of a date, as an integer (dbt has no cross-database macro). -#}
    {{ return(adapter.dispatch('ats_iso_part', 'tap_ats')(part, column)) }}
{%- endmacro %}

{% macro default__ats_iso_part(part, column) -%}
    cast(extract({{ part }} from {{ column }}) as integer)
{%- endmacro %}

{% macro postgres__ats_iso_part(part, column) -%}
    cast(date_part('{{ part }}', {{ column }}) as integer)
{%- endmacro %}

{% macro duckdb__ats_iso_part(part, column) -%}
    cast(date_part('{{ part }}', {{ column }}) as integer)
{%- endmacro %}

{% macro ats_staged(table, columns) -%}
    {#- A staging model over an optional stream: ``columns`` is a list of [name, expression, type]
        (type: string, timestamp, integer, boolean, list). Selects the expressions from the live
        rows of the loaded table, or, when the stream is switched off or its table is missing (a
        provider that cannot serve it, e.g. ATZ CRM's offers), the same columns from no rows, so
        that every model downstream builds. -#}
    {%- set loaded = ats_source(table) -%}
    {%- set types = {'string': dbt.type_string(), 'timestamp': dbt.type_timestamp(),
                     'integer': dbt.type_int(), 'boolean': dbt.type_boolean(),
                     'list': ats_string_list_type()} -%}
    {%- if loaded is not none %}
select
    {%- for name, expression, type in columns %}
    {{ expression }} as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
from {{ loaded }}
where {{ ats_live() }}
    {%- else %}
select
    {%- for name, expression, type in columns %}
    cast(null as {{ types[type] }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
where 1 = 0
    {%- endif %}
{%- endmacro %}

{% macro ats_rate(numerator, denominator) -%}
    {#- numerator / denominator to four places; null when the denominator is 0 (no base, no rate). -#}
    case when ({{ denominator }}) > 0
        then round(cast(({{ numerator }}) as {{ dbt.type_numeric() }}) / ({{ denominator }}), 4)
    end
{%- endmacro %}
