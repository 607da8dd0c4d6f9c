-- Each school type's size bands must tile 0..infinity without gaps or overlaps: every band starts one
-- student after the previous one ends, the first at 0, and only the last is open-ended.
with bands as (

    select
        school_type,
        size_class,
        min_students,
        max_students,
        lag(max_students) over (partition by school_type order by min_students) as previous_max,
        row_number() over (partition by school_type order by min_students) as band_number,
        count(*) over (partition by school_type) as bands
    from {{ ref('school_size_bands') }}

)

select *
from bands
where (band_number = 1 and min_students <> 0)
   or (band_number > 1 and min_students <> previous_max + 1)
   or (band_number < bands and max_students is null)
   or (band_number = bands and max_students is not null)
