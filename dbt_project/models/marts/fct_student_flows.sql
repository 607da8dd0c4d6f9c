-- One row per school, grade, sex and academic year t: what became of the grade-g students of year t in
-- year t+1 (promoted, repeated, dropped out, graduated, moved to another school of the four provinces,
-- left the area, untraced), and how many students of grade g in year t arrived from another school in t+1.
-- Aggregated: no student keys. Years without a t+1 roster have no rows.
with flows as (

    select * from {{ ref('int_student_flows_traced') }}

),

outgoing as (

    select
        school_id,
        academic_year,
        grade,
        sex,
        count(*) as students_start,
        sum(case when outcome = 'promoted' then 1 else 0 end) as promoted,
        sum(case when outcome = 'repeated' then 1 else 0 end) as repeated,
        sum(case when outcome = 'dropped_out' then 1 else 0 end) as dropped_out,
        sum(case when outcome = 'graduated' then 1 else 0 end) as graduated,
        sum(case when changed_school then 1 else 0 end) as transferred_out,
        sum(case when outcome = 'transferred_out_of_area' then 1 else 0 end) as left_area,
        sum(case when outcome = 'untraced' then 1 else 0 end) as untraced
    from flows
    group by school_id, academic_year, grade, sex

),

incoming as (

    select
        next_school_id as school_id,
        academic_year,
        grade,
        sex,
        count(*) as transferred_in
    from flows
    where changed_school
    group by next_school_id, academic_year, grade, sex

),

joined as (

    select
        coalesce(o.school_id, i.school_id) as school_id,
        coalesce(o.academic_year, i.academic_year) as academic_year,
        coalesce(o.grade, i.grade) as grade,
        coalesce(o.sex, i.sex) as sex,
        coalesce(o.students_start, 0) as students_start,
        coalesce(o.promoted, 0) as promoted,
        coalesce(o.repeated, 0) as repeated,
        coalesce(o.dropped_out, 0) as dropped_out,
        coalesce(o.graduated, 0) as graduated,
        coalesce(o.transferred_out, 0) as transferred_out,
        coalesce(i.transferred_in, 0) as transferred_in,
        coalesce(o.left_area, 0) as left_area,
        coalesce(o.untraced, 0) as untraced
    from outgoing as o
    full outer join incoming as i
        on o.school_id = i.school_id and o.academic_year = i.academic_year
        and o.grade = i.grade and o.sex = i.sex

)

select
    j.school_id,
    j.academic_year,
    j.academic_year + 1 as next_academic_year,
    j.grade,
    j.sex,
    p.province,
    {{ province_code_of_school('j.school_id') }} as province_code,
    s.district_code,
    cast(j.students_start as integer) as students_start,
    cast(j.promoted as integer) as promoted,
    cast(j.repeated as integer) as repeated,
    cast(j.dropped_out as integer) as dropped_out,
    cast(j.graduated as integer) as graduated,
    cast(j.transferred_out as integer) as transferred_out,
    cast(j.transferred_in as integer) as transferred_in,
    cast(j.left_area as integer) as left_area,
    cast(j.untraced as integer) as untraced
from joined as j
left join {{ ref('int_school_years_sized') }} as s
    on j.school_id = s.school_id and j.academic_year = s.academic_year
left join {{ ref('geo_provinces') }} as p on {{ province_code_of_school('j.school_id') }} = p.province_code
