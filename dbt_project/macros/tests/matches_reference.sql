{#- Where a row of the model has a row in `to` with the same join_columns, its column_name must
    equal that row's `field` (e.g. the unit a staging cell is converted to must be the unit the seed
    ref_indicator_variables declares for its table × indicator). Rows without a match pass. One
    failing row per key and value, with a message naming the key, both values and the reference. -#}
{% test matches_reference(model, column_name, to, field, join_columns) %}
{{ config(store_failures=true, schema='test_failures') }}
{%- set key = join_columns | join(", ") %}
{%- set model_key = "model_values." ~ (join_columns | join(", model_values.")) %}
    with model_values as (
        select distinct
            {{ key }},
            {{ column_name }} as model_value
        from {{ model }}
        where {{ column_name }} is not null
    ),

    reference as (
        select distinct
            {{ key }},
            {{ field }} as reference_value
        from {{ to }}
    )

    select
        '({{ key }}) = ' || cast(row({{ model_key }}) as varchar)
        || ': {{ column_name }} is ' || cast(model_values.model_value as varchar)
        || ' but {{ to }}.{{ field }} says ' || cast(reference.reference_value as varchar)
        as failure_message,
        model_values.*,
        reference.reference_value
    from model_values
    inner join reference using ({{ key }})
    where model_values.model_value is distinct from reference.reference_value
{% endtest %}
