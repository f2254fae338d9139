{#- `template` once per column of `names`, "{column}" replaced by the column's name, joined by
    ", ": the elements of a SQL list, so that one set-based test checks many columns in one scan
    (not_null and accepted_range on a model's `columns`). -#}
{% macro column_list(names, template) -%}
    {%- for name in names -%}
        {{ ", " if not loop.first }}{{ template | replace("{column}", name) }}
    {%- endfor -%}
{%- endmacro %}
