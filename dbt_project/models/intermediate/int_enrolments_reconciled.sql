-- One row per school, grade, sex and academic year with both enrolment sources side by side:
-- the OBEC EMIS 10 June count and the roster head count. `students` takes the EMIS count for every
-- school-year that EMIS covers and the roster count otherwise (non-OBEC schools are not in EMIS).
with emis as (

    select school_id, academic_year, grade, 'M' as sex, male_students as emis_students
    from {{ ref('stg_raw__enrolment_counts') }}
    union all
    select school_id, academic_year, grade, 'F' as sex, female_students as emis_students
    from {{ ref('stg_raw__enrolment_counts') }}

),

emis_summed as (

    select school_id, academic_year, grade, sex, sum(emis_students) as emis_students
    from emis
    group by school_id, academic_year, grade, sex

),

roster as (

    select school_id, academic_year, grade, sex, count(*) as roster_students
    from {{ ref('int_students_joined_to_schools') }}
    group by school_id, academic_year, grade, sex

),

emis_school_years as (

    select distinct school_id, academic_year from emis_summed

),

joined as (

    select
        coalesce(e.school_id, r.school_id) as school_id,
        coalesce(e.academic_year, r.academic_year) as academic_year,
        coalesce(e.grade, r.grade) as grade,
        coalesce(e.sex, r.sex) as sex,
        cast(e.emis_students as integer) as emis_students,
        cast(r.roster_students as integer) as roster_students
    from emis_summed as e
    full outer join roster as r
        on e.school_id = r.school_id and e.academic_year = r.academic_year
        and e.grade = r.grade and e.sex = r.sex

)

select
    j.school_id,
    j.academic_year,
    j.grade,
    j.sex,
    j.emis_students,
    j.roster_students,
    cast(case when esy.school_id is not null then coalesce(j.emis_students, 0)
              else coalesce(j.roster_students, 0) end as integer) as students,
    case when esy.school_id is not null then 'emis' else 'roster' end as enrolment_source
from joined as j
left join emis_school_years as esy
    on j.school_id = esy.school_id and j.academic_year = esy.academic_year
