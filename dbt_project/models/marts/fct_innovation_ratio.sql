-- Innovation ratio: one row per province × year × industry with new-product sales revenue.
-- innovation_ratio = new-product sales revenue of the industry / GDP of the province (both 元).
-- Where the year's GDP is not loaded (or zero), innovation_ratio is NULL and null_reason says so.
with industry_values as (
    select * from {{ ref('int_province_industry_values_pivoted') }}
    where new_product_sales_yuan is not null
),

province_values as (
    select
        province_code,
        year,
        gdp_yuan
    from {{ ref('int_province_year_values_pivoted') }}
),

final as (
    select
        industry_values.province_code,
        industry_values.year,
        industry_values.industry_code,
        industry_values.new_product_sales_yuan,
        industry_values.new_product_sales_source_table,
        province_values.gdp_yuan,
        industry_values.new_product_sales_yuan
        / nullif(province_values.gdp_yuan, 0) as innovation_ratio
    from industry_values
    left join province_values
        on
            industry_values.province_code = province_values.province_code
            and industry_values.year = province_values.year
)

select
    *,
    case when innovation_ratio is null then 'innovation_ratio_missing' end as null_reason
from final
