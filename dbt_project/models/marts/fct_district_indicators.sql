-- One row per district, academic year, indicator and breakdown; same columns as fct_province_indicators
-- plus the district code and names. Components without a known district (school missing from the
-- registry) count in the province mart only.
with {{ indicator_value_ctes(['province_code', 'district_code']) }},

districts as (

    select * from {{ ref('dim_districts') }}

)

select
    d.province,
    iv.province_code,
    iv.district_code,
    d.district_name_th,
    d.district_name_en,
    iv.academic_year,
    iv.indicator_id,
    iv.breakdown_type,
    iv.breakdown_value,
    iv.value,
    iv.numerator,
    iv.denominator,
    iv.value_prev_year,
    iv.change,
    iv.suppressed_reason,
    iv.unit
from indicator_values as iv
inner join districts as d on iv.district_code = d.district_code
