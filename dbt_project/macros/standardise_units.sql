{#-
    The one unit conversion of the project. Selects every column of `relation` and adds, from the
    `ref_unit_factors` seed:
      value_std     = value_printed × factor_to_base (the value in its dimension's base unit)
      unit_std      = the base unit (one per dimension, hence one per indicator)
      unit_dimension, unit_factor
      value_decimals, rounding_std: decimals printed in value_raw, and half a unit of the last printed
                    digit in the standard unit (the rounding bound used by reconciliation tests).
    `relation` must carry value_printed, unit_printed and value_raw.
-#}
{% macro standardise_units(relation) -%}
    select
        {{ relation }}.*,
        {{ relation }}.value_printed * unit_factors.factor_to_base as value_std,
        unit_factors.base_unit as unit_std,
        unit_factors.dimension as unit_dimension,
        unit_factors.factor_to_base as unit_factor,
        {{ printed_decimals(relation ~ '.value_raw') }} as value_decimals,
        0.5
        * power(10.0, -{{ printed_decimals(relation ~ '.value_raw') }})
        * unit_factors.factor_to_base as rounding_std
    from {{ relation }}
    left join {{ ref('ref_unit_factors') }} as unit_factors
        on {{ relation }}.unit_printed = unit_factors.unit
{%- endmacro %}

{#- Number of decimals printed in a value's text ('827.70' → 2, '1,234' → 0). -#}
{% macro printed_decimals(value_raw) -%}
    coalesce(length(regexp_extract(trim({{ value_raw }}), '\.(\d+)$', 1)), 0)
{%- endmacro %}
