-- Industry-level yearbook quantities side by side, one row per province × year × industry (T,
-- T1–T5) that has any, in standard units. Where a quantity comes from more than one table, the
-- by-industry High-tech Industry Yearbook table wins over the Science & Technology Yearbook's
-- total-only table (*_source_table says which was used).
with panel as (
    select
        province_code,
        year,
        -- tables with a fixed industry (st_hightech_*) describe the high-tech total T
        coalesce(
            industry_code,
            case when table_id like 'st_hightech_%' then 'T' end
        ) as industry_code,
        table_id,
        indicator,
        value_std
    from {{ ref('int_province_indicators_stacked') }}
    where
        (industry_code is not null or table_id like 'st_hightech_%')
        and value_std is not null
),

ranked as (
    select
        *,
        case
            when table_id = 'ht_enterprises_patents_by_industry' and indicator = 'enterprises'
                then 'ht_enterprises'
            when table_id = 'st_hightech_operation' and indicator = 'enterprises'
                then 'ht_enterprises'
            when
                table_id = 'ht_enterprises_patents_by_industry'
                and indicator = 'invention_patents'
                then 'invention_patents'
            when table_id = 'st_hightech_rd' and indicator = 'invention_patents_in_force'
                then 'invention_patents'
            when
                table_id in ('ht_new_product_sales_by_industry', 'st_hightech_rd')
                and indicator = 'new_product_sales'
                then 'new_product_sales_yuan'
        end as quantity,
        case when table_id like 'ht_%' then 1 else 2 end as source_priority
    from panel
),

chosen as (
    select *
    from ranked
    where quantity is not null
    qualify
        row_number() over (
            partition by province_code, year, industry_code, quantity
            order by source_priority
        ) = 1
),

final as (
    select
        province_code,
        year,
        industry_code,
        max(value_std) filter (where quantity = 'ht_enterprises') as ht_enterprises,
        max(table_id) filter (
            where quantity = 'ht_enterprises'
        ) as ht_enterprises_source_table,
        max(value_std) filter (
            where quantity = 'invention_patents'
        ) as invention_patents,
        max(table_id) filter (
            where quantity = 'invention_patents'
        ) as invention_patents_source_table,
        max(value_std) filter (
            where quantity = 'new_product_sales_yuan'
        ) as new_product_sales_yuan,
        max(table_id) filter (
            where quantity = 'new_product_sales_yuan'
        ) as new_product_sales_source_table
    from chosen
    group by province_code, year, industry_code
)

select * from final
