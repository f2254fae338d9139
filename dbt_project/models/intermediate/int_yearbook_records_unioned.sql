-- Every staging model stacked: one row per printed entity (province or aggregate) × data year ×
-- industry × table × indicator, value as printed and in the standard unit.
{%- set staging_models = [
    'stg_csy__exchange_rate',
    'stg_csy__fie_trade',
    'stg_csy__gdp',
    'stg_csy__higher_education',
    'stg_csy__industrial_enterprises',
    'stg_csy__population',
    'stg_csy__road_area',
    'stg_dz__etdz_output',
    'stg_ht__enterprises_patents_by_industry',
    'stg_ht__new_product_sales_by_industry',
    'stg_ht__output_by_industry',
    'stg_st__hei_papers',
    'stg_st__hightech_operation',
    'stg_st__hightech_rd',
] %}

with unioned as (
    {%- for model_name in staging_models %}
        select * from {{ ref(model_name) }}
        {%- if not loop.last %}
            union all by name
        {%- endif %}
    {%- endfor %}
)

select * from unioned
