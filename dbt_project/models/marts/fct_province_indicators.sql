-- One row per province, academic year, indicator and breakdown: the long-format indicator table the
-- provincial pages render generically. Definitions: dim_indicators; arithmetic: macros/indicator_values.sql.
with {{ indicator_value_ctes(['province_code']) }},

provinces as (

    select * from {{ ref('dim_provinces') }}

)

select
    p.province,
    iv.province_code,
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
inner join provinces as p on iv.province_code = p.province_code
