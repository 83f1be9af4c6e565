{#- Small helpers that keep the models plain SQL that DuckDB and PostgreSQL both accept. -#}

{% macro ats_key() -%}
    {#- One text key from the columns given (provider, account_id, id, ...): a single column that
        unique and relationships tests can check. '|' never occurs in a provider name. -#}
    {%- for column in varargs -%}
        {{ "coalesce(" ~ column ~ ", '')" }}{% if not loop.last %} || '|' || {% endif %}
    {%- endfor -%}
{%- endmacro %}

{% macro ats_days(start_at, end_at) -%}
    {#- Days between two timestamps, to the hundredth; epoch arithmetic is exact in both warehouses. -#}
    cast((extract(epoch from {{ end_at }}) - extract(epoch from {{ start_at }})) / 86400.0
         as numeric(12, 2))
{%- endmacro %}

{% macro ats_hours(start_at, end_at) -%}
    cast((extract(epoch from {{ end_at }}) - extract(epoch from {{ start_at }})) / 3600.0
         as numeric(12, 2))
{%- endmacro %}

{% macro ats_string_list(column) -%}
    {#- An array-of-strings column as the warehouse's own list type, ready for unnest: target-duckdb
        stores arrays as JSON, target-postgres as text[]. -#}
    {{ return(adapter.dispatch('ats_string_list', 'tap_ats')(column)) }}
{%- endmacro %}

{% macro default__ats_string_list(column) -%}
    {{ column }}
{%- endmacro %}

{% macro duckdb__ats_string_list(column) -%}
    from_json({{ column }}, '["VARCHAR"]')
{%- endmacro %}

{% macro ats_string_list_type() -%}
    {{ return(adapter.dispatch('ats_string_list_type', 'tap_ats')()) }}
{%- endmacro %}

{% macro default__ats_string_list_type() -%}
    text[]
{%- endmacro %}

{% macro duckdb__ats_string_list_type() -%}
    varchar[]
{%- endmacro %}

{% macro ats_optional_source(table) -%}
    {#- The loaded table behind source('tap_ats', table) if it exists, else none: a provider that
        does not offer a stream (ATZ CRM has no interviews, users come later) has no such table,
        and the staging model then selects from an empty stand-in instead. -#}
    {%- set declared = source('tap_ats', table) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=declared.database, schema=declared.schema,
                                   identifier=declared.identifier)) }}
{%- endmacro %}
