-- One row per learning space and month: visitors, visitors applying what they learned, income.
select
    l.space_id,
    l.month_start,
    l.academic_year,
    p.province,
    l.province_code,
    l.district_code,
    l.space_name,
    l.visitors,
    l.visitors_applying,
    l.income_baht
from {{ ref('stg_raw__learning_space_logs') }} as l
left join {{ ref('geo_provinces') }} as p on l.province_code = p.province_code
