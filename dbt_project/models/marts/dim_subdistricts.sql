-- Subdistricts (tambon) of the four provinces with DOPA codes and names (geothai seed).
select
    s.subdistrict_code,
    s.subdistrict_name_th,
    s.subdistrict_name_en,
    s.district_code,
    d.district_name_th,
    d.district_name_en,
    s.province_code,
    p.province
from {{ ref('geo_subdistricts') }} as s
inner join {{ ref('geo_districts') }} as d on s.district_code = d.district_code
inner join {{ ref('geo_provinces') }} as p on s.province_code = p.province_code
