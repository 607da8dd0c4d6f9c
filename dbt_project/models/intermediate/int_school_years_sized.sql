-- One row per school and academic year (registry or enrolment), with its enrolment, school type and OBEC
-- size class. School type: secondary when the school enrols no primary grade or any upper-secondary grade
-- (M4-M6, V1-V3), primary otherwise (so K-M3 opportunity-expansion schools use the primary bands).
with enrolments as (

    select * from {{ ref('int_enrolments_reconciled') }}

),

grades as (

    select * from {{ ref('grades') }}

),

school_year_enrolment as (

    select
        e.school_id,
        e.academic_year,
        sum(e.students) as students,
        sum(case when g.level = 'primary' then e.students else 0 end) as primary_students,
        sum(case when g.level = 'upper_secondary' then e.students else 0 end) as upper_secondary_students,
        sum(case when g.level in ('lower_secondary', 'upper_secondary') then e.students else 0 end)
            as secondary_students
    from enrolments as e
    inner join grades as g on e.grade = g.grade
    group by e.school_id, e.academic_year

),

registry as (

    select * from {{ ref('int_school_years_deduplicated') }}

),

school_years as (

    select school_id, academic_year from registry
    union
    select school_id, academic_year from school_year_enrolment

),

typed as (

    select
        sy.school_id,
        sy.academic_year,
        {{ province_code_of_school('sy.school_id') }} as province_code,
        r.district_code,
        cast(coalesce(e.students, 0) as integer) as students,
        case
            when coalesce(e.upper_secondary_students, 0) > 0 then 'secondary'
            when coalesce(e.primary_students, 0) = 0 and coalesce(e.secondary_students, 0) > 0 then 'secondary'
            else 'primary'
        end as school_type
    from school_years as sy
    left join registry as r on sy.school_id = r.school_id and sy.academic_year = r.academic_year
    left join school_year_enrolment as e on sy.school_id = e.school_id and sy.academic_year = e.academic_year

),

bands as (

    select * from {{ ref('school_size_bands') }}

)

select
    t.school_id,
    t.academic_year,
    t.province_code,
    t.district_code,
    t.students,
    t.school_type,
    case when t.students > 0 then b.size_class end as size_class
from typed as t
left join bands as b
    on t.school_type = b.school_type
    and t.students >= b.min_students
    and (b.max_students is null or t.students <= b.max_students)
