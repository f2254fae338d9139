{#- Fails with one row per duplicated key: a message, the key values and the number of rows. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
{{ config(store_failures=true, schema='test_failures') }}
{%- set columns = combination_of_columns | join(", ") %}
    select
        'duplicate key ({{ columns }}) = '
        || cast(row({{ columns }}) as varchar)
        || ': ' || cast(count(*) as varchar) || ' rows' as failure_message,
        {{ columns }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
