-- One row per student enrolled in year t, traced into year t+1 by pseudonymised key in any school of the
-- four provinces. Only years whose t+1 roster exists for the student's province are traced.
-- Outcome (exclusive): promoted (higher grade in t+1), repeated (same or lower grade), graduated (status
-- graduated in the final grade of a level, not found), dropped_out (status dropped_out, not found),
-- transferred_out_of_area (status transferred_out, not found), untraced (any other case not found, e.g.
-- status promoted but on no roster of t+1, or 'graduated' recorded in a grade that ends no level).
with students as (

    select * from {{ ref('int_students_joined_to_schools') }}

),

roster_years as (

    select distinct province_code, academic_year from students

),

traced as (

    select
        cur.student_key,
        cur.academic_year,
        cur.province_code,
        cur.district_code,
        cur.school_id,
        cur.affiliation,
        cur.grade,
        cur.level,
        cur.sex,
        cur.poverty,
        cur.status,
        nxt.school_id as next_school_id,
        nxt.district_code as next_district_code,
        nxt.province_code as next_province_code,
        nxt.grade as next_grade,
        case
            when nxt.student_key is not null and nxt.years_of_schooling > cur.years_of_schooling then 'promoted'
            when nxt.student_key is not null then 'repeated'
            when cur.status = 'graduated' and coalesce(cur.is_final_grade, false) then 'graduated'
            when cur.status = 'dropped_out' then 'dropped_out'
            when cur.status = 'transferred_out' then 'transferred_out_of_area'
            else 'untraced'
        end as outcome,
        case when nxt.student_key is not null and nxt.school_id <> cur.school_id then true else false end
            as changed_school
    from students as cur
    inner join roster_years as ry
        on cur.province_code = ry.province_code and ry.academic_year = cur.academic_year + 1
    left join students as nxt
        on cur.student_key = nxt.student_key and nxt.academic_year = cur.academic_year + 1

)

select * from traced
