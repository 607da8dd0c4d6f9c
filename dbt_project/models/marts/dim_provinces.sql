-- The four sandbox provinces: DOPA code, landing slug, Thai and English names (geothai seed).
select
    p.province,
    p.province_code,
    p.province_name_th,
    p.province_name_en,
    cast(count(d.district_code) as integer) as districts
from {{ ref('geo_provinces') }} as p
left join {{ ref('geo_districts') }} as d on p.province_code = d.province_code
group by p.province, p.province_code, p.province_name_th, p.province_name_en
