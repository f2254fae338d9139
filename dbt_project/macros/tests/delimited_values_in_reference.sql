{#- A column holding a list of codes (e.g. fct_estimation_panel.null_reason, codes joined by
    '; ') may only hold codes listed in `to`.`field` (e.g. the seed ref_null_reasons). One failing
    row per unknown code, with a message naming it and the row's key_columns. -#}
{% test delimited_values_in_reference(
    model, column_name, to, field, delimiter='; ', key_columns=['1']
) %}
{{ config(store_failures=true, schema='test_failures') }}
{%- set key = key_columns | join(", ") %}
    with codes as (
        select
            cast(row({{ key }}) as varchar) as row_key,
            unnest(string_split({{ column_name }}, '{{ delimiter }}')) as code
        from {{ model }}
        where {{ column_name }} is not null
    ),

    reference as (
        select {{ field }} as code
        from {{ to }}
        where {{ field }} is not null
    )

    select
        'unknown {{ column_name }} code ''' || codes.code || ''' at ({{ key }}) = '
        || codes.row_key || ': not in {{ to }}.{{ field }}' as failure_message,
        codes.*
    from codes
    where codes.code not in (select reference.code from reference)
{% endtest %}
