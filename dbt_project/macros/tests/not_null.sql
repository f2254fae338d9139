{#- dbt's not_null, also on the model with `columns`: one test and one scan for every column that
    must be filled (one dbt test per column costs ~0.05 s each). Fails with one row per NULL cell,
    its message naming the column ("<column> is null"), then the row. -#}
{% test not_null(model, column_name=none, columns=none) %}
{%- set names = [column_name] if column_name is not none else columns %}
{%- set is_null = column_list(names, "{column} is null") %}
    select
        unnest(list_where([{{ column_list(names, "'{column}'") }}], [{{ is_null }}]))
        || ' is null' as failure_message,
        *
    from {{ model }}
    where list_bool_or([{{ is_null }}])
{% endtest %}
