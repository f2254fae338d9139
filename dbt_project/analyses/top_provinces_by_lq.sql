-- Top 5 provinces by location quotient of electronic & telecommunication equipment (T3) in 2015.
-- `dbt compile` writes the runnable SQL to target/compiled/agglo/analyses/.
select
    provinces.name_en as province,
    provinces.region,
    lq.location_quotient,
    lq.industry_output_yuan / 1e8 as output_100m_yuan
from {{ ref('fct_location_quotient') }} as lq
inner join {{ ref('dim_province') }} as provinces
    on lq.province_code = provinces.province_code
where lq.industry_code = 'T3' and lq.year = 2015
order by lq.location_quotient desc
limit 5
