{#- Fails with one row per value outside [min_value, max_value] (bounds optional, inclusive by
    default); NULLs pass (test them with not_null). On a column (column_name), or on the model
    with `columns`: one test and one scan for every column sharing the bounds (one dbt test per
    column costs ~0.1 s each); the message names the column and its value either way. -#}
{% test accepted_range(
    model, column_name=none, min_value=none, max_value=none, inclusive=true, columns=none
) %}
{{ config(store_failures=true, schema='test_failures') }}
{%- set lower = ' < ' if inclusive else ' <= ' %}
{%- set upper = ' > ' if inclusive else ' >= ' %}
{%- set below = '' if min_value is none else ' or {column}' ~ lower ~ min_value %}
{%- set above = '' if max_value is none else ' or {column}' ~ upper ~ max_value %}
{%- set names = [column_name] if column_name is not none else columns %}
{%- set outside = column_list(names, "coalesce(false" ~ below ~ above ~ ", false)") %}
    select
        unnest(list_where(
            [{{ column_list(names, "'{column} = ' || cast({column} as varchar)") }}], [{{ outside }}]
        ))
        || ' is outside [{{ min_value }}, {{ max_value }}]' as failure_message,
        *
    from {{ model }}
    where list_bool_or([{{ outside }}])
{% endtest %}
