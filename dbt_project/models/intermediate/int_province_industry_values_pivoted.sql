-- Industry-level yearbook quantities side by side, one row per province × year × industry (T,
-- T1–T5) that has any, in standard units. Which table and indicator feeds which column is the seed
-- ref_indicator_variables: where a quantity comes from more than one table, the source with the
-- lowest source_priority that has a value wins (the by-industry High-tech Industry Yearbook tables
-- over the Science & Technology Yearbook's total-only tables); *_source_table says which was used.
with panel as (
    {{ indicator_variable_values(industry_level=true) }}
),

chosen as (
    select *
    from panel
    qualify
        row_number() over (
            partition by province_code, year, industry_code, variable
            order by source_priority
        ) = 1
),

final as (
    select
        province_code,
        year,
        industry_code,
        max(value_std) filter (where variable = 'ht_enterprises') as ht_enterprises,
        max(table_id) filter (
            where variable = 'ht_enterprises'
        ) as ht_enterprises_source_table,
        max(value_std) filter (where variable = 'invention_patents') as invention_patents,
        max(table_id) filter (
            where variable = 'invention_patents'
        ) as invention_patents_source_table,
        max(value_std) filter (
            where variable = 'new_product_sales_yuan'
        ) as new_product_sales_yuan,
        max(table_id) filter (
            where variable = 'new_product_sales_yuan'
        ) as new_product_sales_source_table
    from chosen
    where variable in ('ht_enterprises', 'invention_patents', 'new_product_sales_yuan')
    group by province_code, year, industry_code
)

select * from final
