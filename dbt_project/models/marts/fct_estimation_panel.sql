-- The estimation panel read by estimation/ (marts.fct_estimation_panel): one row per province ×
-- year × industry (31 × 10 × 6), every model variable in levels and natural logs (ln_*), and the
-- lagged logs of the two endogenous variables (estimation/ centres each sample itself). A variable
-- that is missing or not positive has NULL level and log, and null_reason lists its code
-- (<variable>_missing, <variable>_not_positive; the seed ref_null_reasons) joined by '; '; no row
-- is dropped.
{%- set variables = [
    'vocal', 'innov', 'size', 'pgdp', 'open', 'infr', 'educ', 'deve', 'know', 'tech', 'dim',
] %}

with spine as (
    select * from {{ ref('int_panel_spine') }}
),

provinces as (
    select
        province_code,
        region
    from {{ ref('dim_province') }}
),

location_quotient as (
    select
        province_code,
        year,
        industry_code,
        location_quotient as vocal,
        output_measure as vocal_output_measure
    from {{ ref('fct_location_quotient') }}
),

innovation as (
    select
        province_code,
        year,
        industry_code,
        innovation_ratio as innov
    from {{ ref('fct_innovation_ratio') }}
),

controls as (
    select * from {{ ref('int_control_variables_computed') }}
),

mechanisms as (
    select * from {{ ref('fct_mechanism_variables') }}
),

levels as (
    select
        spine.province_code,
        spine.year,
        spine.industry_code,
        provinces.region,
        location_quotient.vocal_output_measure,
        location_quotient.vocal as vocal_raw,
        innovation.innov as innov_raw,
        controls.size as size_raw,
        controls.pgdp as pgdp_raw,
        controls.open as open_raw,
        controls.infr as infr_raw,
        controls.educ as educ_raw,
        mechanisms.deve as deve_raw,
        mechanisms.know as know_raw,
        mechanisms.tech as tech_raw,
        mechanisms.dim as dim_raw
    from spine
    inner join provinces on spine.province_code = provinces.province_code
    left join location_quotient
        on
            spine.province_code = location_quotient.province_code
            and spine.year = location_quotient.year
            and spine.industry_code = location_quotient.industry_code
    left join innovation
        on
            spine.province_code = innovation.province_code
            and spine.year = innovation.year
            and spine.industry_code = innovation.industry_code
    left join controls
        on
            spine.province_code = controls.province_code
            and spine.year = controls.year
            and spine.industry_code = controls.industry_code
    left join mechanisms
        on
            spine.province_code = mechanisms.province_code
            and spine.year = mechanisms.year
            and spine.industry_code = mechanisms.industry_code
),

logged as (
    select
        province_code,
        year,
        industry_code,
        region,
        vocal_output_measure,
        {%- for v in variables %}
            case when {{ v }}_raw > 0 then {{ v }}_raw end as {{ v }},
        {%- endfor %}
        {%- for v in variables %}
            case when {{ v }}_raw > 0 then ln({{ v }}_raw) end as ln_{{ v }},
        {%- endfor %}
        nullif(concat_ws(
            '; ',
            {%- for v in variables %}
                case
                    when {{ v }}_raw is null then '{{ v }}_missing'
                    when {{ v }}_raw <= 0 then '{{ v }}_not_positive'
                end{{ "," if not loop.last }}
            {%- endfor %}
        ), '') as null_reason
    from levels
),

final as (
    select
        province_code,
        year,
        industry_code,
        region,
        {%- for v in variables %}
            {{ v }},
        {%- endfor %}
        {%- for v in variables %}
            ln_{{ v }},
        {%- endfor %}
        lag(ln_vocal) over (
            partition by province_code, industry_code order by year
        ) as lag_ln_vocal,
        lag(ln_innov) over (
            partition by province_code, industry_code order by year
        ) as lag_ln_innov,
        vocal_output_measure,
        null_reason
    from logged
)

select * from final
