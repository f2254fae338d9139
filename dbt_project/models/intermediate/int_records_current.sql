-- The current value of every yearbook cell: one row per table × entity (province, printed aggregate
-- or out-of-scope region) × data year × industry × indicator, the row printed by the latest edition
-- (highest vintage). Tables with one column per year (st_rd_intensity) reprint and may revise
-- earlier years in every edition; every other table has one vintage per data year. Every model
-- downstream reads this instead of stg_raw__records; the disagreements between editions are
-- int_revisions.
with records as (
    select * from {{ ref('stg_raw__records') }}
),

final as (
    select
        *,
        count(*) over (
            partition by
                table_id, entity_kind, province_code, aggregate_code, data_year, industry_code,
                indicator
        ) as n_vintages
    from records
    qualify
        row_number() over (
            partition by
                table_id, entity_kind, province_code, aggregate_code, data_year, industry_code,
                indicator
            order by vintage desc
        ) = 1
)

select * from final
