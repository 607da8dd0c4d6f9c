-- EEF poverty screening aggregated to school, academic year and status (screened students), next to the
-- roster-linked count used by the poverty indicators. No student keys.
with screenings as (

    select school_id, academic_year, province_code, poverty_status, count(*) as students_screened
    from {{ ref('stg_raw__poverty_screenings') }}
    group by school_id, academic_year, province_code, poverty_status

),

on_roster as (

    select school_id, academic_year, poverty as poverty_status, count(*) as roster_students
    from {{ ref('int_students_joined_to_schools') }}
    group by school_id, academic_year, poverty

)

select
    coalesce(s.school_id, r.school_id) as school_id,
    coalesce(s.academic_year, r.academic_year) as academic_year,
    coalesce(s.poverty_status, r.poverty_status) as poverty_status,
    p.province,
    {{ province_code_of_school('coalesce(s.school_id, r.school_id)') }} as province_code,
    cast(coalesce(s.students_screened, 0) as integer) as students_screened,
    cast(coalesce(r.roster_students, 0) as integer) as roster_students
from screenings as s
full outer join on_roster as r
    on s.school_id = r.school_id and s.academic_year = r.academic_year and s.poverty_status = r.poverty_status
left join {{ ref('geo_provinces') }} as p
    on {{ province_code_of_school('coalesce(s.school_id, r.school_id)') }} = p.province_code
