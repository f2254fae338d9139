-- Where two editions (vintages) of a table print different values for the same cell: one row per
-- table × entity × data year × industry × indicator × pair of vintages whose standardised values
-- differ (a value printed by one edition and blank in the other counts). difference_std = later −
-- earlier; is_beyond_rounding says whether the two printed values differ by more than their
-- rounding (half a unit of the last printed digit of each), i.e. a revision rather than a change
-- in the printed precision. int_records_current keeps the later one.
with records as (
    select * from {{ ref('stg_raw__records') }}
),

pairs as (
    select
        later.table_id,
        later.entity_kind,
        later.province_code,
        later.aggregate_code,
        later.data_year,
        later.industry_code,
        later.indicator,
        later.unit_std,
        earlier.vintage as earlier_vintage,
        later.vintage as later_vintage,
        earlier.value_std as earlier_value_std,
        later.value_std as later_value_std,
        later.value_std - earlier.value_std as difference_std,
        coalesce(earlier.rounding_std, 0)
        + coalesce(later.rounding_std, 0) as rounding_std,
        earlier.value_raw as earlier_value_raw,
        later.value_raw as later_value_raw,
        earlier.source_file as earlier_source_file,
        earlier.source_cell as earlier_source_cell,
        later.source_file as later_source_file,
        later.source_cell as later_source_cell
    from records as later
    inner join records as earlier
        on
            later.table_id = earlier.table_id
            and later.entity_kind = earlier.entity_kind
            and later.province_code is not distinct from earlier.province_code
            and later.aggregate_code is not distinct from earlier.aggregate_code
            and later.data_year = earlier.data_year
            and later.industry_code is not distinct from earlier.industry_code
            and later.indicator = earlier.indicator
            and later.vintage > earlier.vintage
    where later.value_std is distinct from earlier.value_std
),

final as (
    select
        *,
        coalesce(abs(difference_std) > rounding_std, true) as is_beyond_rounding
    from pairs
)

select * from final
