{#- Fails with one row per value outside [min_value, max_value] (bounds optional, inclusive by
    default); NULLs pass (test them with not_null). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
{{ config(store_failures=true, schema='test_failures') }}
{%- set lower = '>=' if inclusive else '>' %}
{%- set upper = '<=' if inclusive else '<' %}
{%- set min_condition = 'true' if min_value is none else column_name ~ lower ~ min_value %}
{%- set max_condition = 'true' if max_value is none else column_name ~ upper ~ max_value %}
    select
        '{{ column_name }} = ' || cast({{ column_name }} as varchar)
        || ' is outside [{{ min_value }}, {{ max_value }}]' as failure_message,
        *
    from {{ model }}
    where
        {{ column_name }} is not null
        and not ({{ min_condition }} and {{ max_condition }})
{% endtest %}
