{#- Use the folder's schema name as is (raw, staging, marts, ref) instead of prefixing it with the
    target schema, so analysts query marts.fct_location_quotient, not main_marts.fct_…. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
