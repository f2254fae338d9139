{#- Stop compilation with a message naming the var and its allowed values. (`exceptions` exists
    under dbt; sqlfluff's templater renders every branch and has no `exceptions`.) -#}
{% macro raise_invalid_var(name, value, allowed) -%}
    {%- if exceptions is defined -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be one of " ~ (allowed | join(", ")) ~ ", not " ~ value
        ) }}
    {%- endif -%}
{%- endmacro %}
