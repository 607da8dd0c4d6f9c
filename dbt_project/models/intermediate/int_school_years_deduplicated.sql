-- One row per school and academic year from the registry deliveries. A school delivered twice in a year
-- (two agency files) keeps its first record, in file and row order.
with schools as (

    select * from {{ ref('stg_raw__schools') }}

),

ranked as (

    select
        schools.*,
        row_number() over (
            partition by school_id, academic_year
            order by source_file, source_row
        ) as registry_rank
    from schools

)

select
    school_id,
    academic_year,
    province_code,
    school_name,
    affiliation_code,
    area_code,
    district_code,
    subdistrict_code,
    levels_offered,
    is_sandbox_member
from ranked
where registry_rank = 1
