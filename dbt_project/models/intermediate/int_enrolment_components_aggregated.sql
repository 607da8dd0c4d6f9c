-- Components of the enrolment-based indicators (enrolment, share_small_schools, pupil_teacher_ratio)
-- by district, academic year and breakdown. See dim_indicators for definitions.
with enrolments as (

    select * from {{ ref('int_enrolments_reconciled') }}

),

school_years as (

    select * from {{ ref('int_school_years_sized') }}

),

grades as (

    select * from {{ ref('grades') }}

),

affiliations as (

    select * from {{ ref('affiliations') }}

),

enrolment_detail as (

    select
        {{ province_code_of_school('e.school_id') }} as province_code,
        sy.district_code,
        e.academic_year,
        e.school_id,
        g.level,
        e.grade,
        e.sex,
        coalesce(a.affiliation, 'other') as affiliation,
        e.students
    from enrolments as e
    inner join grades as g on e.grade = g.grade
    left join school_years as sy on e.school_id = sy.school_id and e.academic_year = sy.academic_year
    left join affiliations as a on {{ affiliation_code_of_school('e.school_id') }} = a.affiliation_code

),

school_sizes as (

    select
        sy.province_code,
        sy.district_code,
        sy.academic_year,
        coalesce(a.affiliation, 'other') as affiliation,
        case when sy.size_class = 'small' then 1 else 0 end as is_small,
        1 as is_school
    from school_years as sy
    left join affiliations as a on {{ affiliation_code_of_school('sy.school_id') }} = a.affiliation_code
    where sy.students > 0

),

-- Classroom teachers per school-year; only schools that reported teachers enter the pupil-teacher ratio.
school_teachers as (

    select school_id, academic_year, count(*) as teachers
    from {{ ref('int_teachers_joined_to_training') }}
    where position = 'teacher'
    group by school_id, academic_year

),

school_level_students as (

    select school_id, academic_year, province_code, district_code, affiliation, level,
           sum(students) as level_students
    from enrolment_detail
    group by school_id, academic_year, province_code, district_code, affiliation, level

),

school_totals as (

    select school_id, academic_year, sum(level_students) as school_students
    from school_level_students
    group by school_id, academic_year

),

-- Each school's teachers apportioned to its levels in proportion to enrolment (full-time equivalents).
teacher_fte as (

    select
        sls.province_code,
        sls.district_code,
        sls.academic_year,
        sls.affiliation,
        sls.level,
        sls.level_students,
        cast(st.teachers as float8) * sls.level_students / st2.school_students as teacher_fte
    from school_level_students as sls
    inner join school_teachers as st
        on sls.school_id = st.school_id and sls.academic_year = st.academic_year
    inner join school_totals as st2
        on sls.school_id = st2.school_id and sls.academic_year = st2.academic_year
    where st2.school_students > 0

)

{{ breakdown_components('enrolment_detail', 'enrolment', 'students', none,
                        ['level', 'grade', 'sex', 'affiliation']) }}
union all
{{ breakdown_components('school_sizes', 'share_small_schools', 'is_small', 'is_school', ['affiliation']) }}
union all
{{ breakdown_components('teacher_fte', 'pupil_teacher_ratio', 'level_students', 'teacher_fte',
                        ['level', 'affiliation']) }}
