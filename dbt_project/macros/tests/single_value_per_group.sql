{#- Fails when a group (e.g. an indicator) carries more than one distinct value of column_name
    (e.g. more than one standard unit). -#}
{% test single_value_per_group(model, column_name, group_by) %}
{{ config(store_failures=true, schema='test_failures') }}
{%- set columns = group_by | join(", ") %}
    select
        cast(row({{ columns }}) as varchar)
        || ': ' || cast(count(distinct {{ column_name }}) as varchar)
        || ' distinct {{ column_name }} values: '
        || string_agg(distinct cast({{ column_name }} as varchar), ', ') as failure_message,
        {{ columns }},
        count(distinct {{ column_name }}) as n_values
    from {{ model }}
    group by {{ columns }}
    having count(distinct {{ column_name }}) > 1
{% endtest %}
