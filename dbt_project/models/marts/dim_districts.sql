-- Districts (amphoe) of the four provinces with DOPA codes and names (geothai seed).
select
    d.district_code,
    d.district_name_th,
    d.district_name_en,
    d.province_code,
    p.province,
    p.province_name_th,
    p.province_name_en
from {{ ref('geo_districts') }} as d
inner join {{ ref('geo_provinces') }} as p on d.province_code = p.province_code
