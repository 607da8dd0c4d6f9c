-- One row per school and academic year: size, staffing, dropout and literacy with risk flags, for the
-- provincial school monitor. No student-level data; dropout and literacy rates are suppressed (null, with
-- the reason) when fewer than var min_denominator students stand behind them. The dropout rate is the UIS
-- one of the indicator marts (students of year t neither promoted, graduated nor repeating in t+1 at any
-- school of the four provinces). Flag thresholds are vars (dbt_project.yml).
with school_years as (

    select * from {{ ref('int_school_years_sized') }}

),

registry as (

    select * from {{ ref('int_school_years_deduplicated') }}

),

schools as (

    select * from {{ ref('dim_schools') }}

),

teachers as (

    select school_id, academic_year, count(*) as teachers
    from {{ ref('int_teachers_joined_to_training') }}
    where position = 'teacher'
    group by school_id, academic_year

),

flows as (

    select
        school_id,
        academic_year,
        count(*) as flow_students,
        sum(case when outcome in ('dropped_out', 'transferred_out_of_area', 'untraced') then 1 else 0 end)
            as left_school
    from {{ ref('int_student_flows_traced') }}
    group by school_id, academic_year

),

literacy as (

    select school_id, academic_year, count(*) as screened, sum(passed_all) as passed_all
    from (
        select student_key, school_id, academic_year, min(case when has_passed then 1 else 0 end) as passed_all
        from {{ ref('stg_raw__literacy_screenings') }}
        group by student_key, school_id, academic_year
    ) as by_student
    group by school_id, academic_year

),

measured as (

    select
        sy.school_id,
        sy.academic_year,
        coalesce(r.school_name, s.school_name) as school_name,
        p.province,
        coalesce(sy.district_code, s.district_code) as district_code,
        coalesce(a.affiliation, 'other') as affiliation,
        sy.size_class,
        sy.students,
        cast(coalesce(t.teachers, 0) as integer) as teachers,
        case when t.teachers > 0 then {{ round4(safe_rate('sy.students', 't.teachers')) }} end
            as pupil_teacher_ratio,
        case when f.flow_students >= {{ var('min_denominator', 10) }}
             then {{ round4(safe_rate('f.left_school', 'f.flow_students', 100)) }} end as dropout_rate,
        case when f.flow_students is null then 'no students traced into the next year'
             else {{ suppress_small('f.flow_students', 'f.flow_students') }} end as dropout_rate_suppressed_reason,
        case when l.screened >= {{ var('min_denominator', 10) }}
             then {{ round4(safe_rate('l.passed_all', 'l.screened', 100)) }} end as literacy_pass_rate,
        case when l.screened is null then 'no literacy screening'
             else {{ suppress_small('l.screened', 'l.screened') }} end as literacy_pass_rate_suppressed_reason
    from school_years as sy
    left join registry as r on sy.school_id = r.school_id and sy.academic_year = r.academic_year
    left join schools as s on sy.school_id = s.school_id
    left join teachers as t on sy.school_id = t.school_id and sy.academic_year = t.academic_year
    left join flows as f on sy.school_id = f.school_id and sy.academic_year = f.academic_year
    left join literacy as l on sy.school_id = l.school_id and sy.academic_year = l.academic_year
    left join {{ ref('geo_provinces') }} as p on sy.province_code = p.province_code
    left join {{ ref('affiliations') }} as a on {{ affiliation_code_of_school('sy.school_id') }} = a.affiliation_code

),

flagged as (

    select
        measured.*,
        coalesce(size_class = 'small', false) as is_small_school,
        coalesce(dropout_rate > {{ var('high_dropout_rate_percent', 5) }}, false) as is_high_dropout,
        coalesce(literacy_pass_rate < {{ var('low_literacy_pass_rate_percent', 50) }}, false) as is_low_literacy,
        coalesce(pupil_teacher_ratio > {{ var('max_pupil_teacher_ratio', 25) }}, false) as is_teacher_shortage
    from measured

)

select
    school_id,
    academic_year,
    school_name,
    province,
    district_code,
    affiliation,
    size_class,
    students,
    teachers,
    pupil_teacher_ratio,
    dropout_rate,
    literacy_pass_rate,
    is_small_school,
    is_high_dropout,
    is_low_literacy,
    is_teacher_shortage,
    cast((case when is_small_school then 1 else 0 end) + (case when is_high_dropout then 1 else 0 end)
         + (case when is_low_literacy then 1 else 0 end) + (case when is_teacher_shortage then 1 else 0 end)
         as integer) as risk_flag_count,
    dropout_rate_suppressed_reason,
    literacy_pass_rate_suppressed_reason
from flagged
