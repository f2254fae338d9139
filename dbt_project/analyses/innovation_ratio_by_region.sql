-- Innovation ratio of the high-tech industry (T) by region and year: the region's new-product sales
-- over its GDP (ratio of sums), and the median province.
select
    provinces.region,
    innovation.year,
    sum(innovation.new_product_sales_yuan) / sum(innovation.gdp_yuan) as innovation_ratio,
    median(innovation.innovation_ratio) as median_province_ratio
from {{ ref('fct_innovation_ratio') }} as innovation
inner join {{ ref('dim_province') }} as provinces
    on innovation.province_code = provinces.province_code
where innovation.industry_code = 'T'
group by provinces.region, innovation.year
order by provinces.region, innovation.year
