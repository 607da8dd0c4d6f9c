-- The DuckDB-SQL baseline: the delivered files straight to the indicator marts, hand-written, one process.
--
-- Input (created by bench/baseline.py): one view d_<entity> per contract entity over the delivered files
-- (text columns named by the landing contract's fields plus province, academic_year, source_file), the
-- label macros <field>_value(text) generated from the landing contract, the dbt seeds as seed_<name>
-- (text), and the variables min_denominator and minimum_proficiency_score from dbt_project.yml.
--
-- Definitions follow dbt_project/models (int_* and the indicator_value_ctes macro) rule for rule where a
-- rule changes a number: which record of a twice-delivered school, student or teacher counts, EMIS counts
-- over roster counts, the district of a school, the OBEC size bands, the pupil-teacher FTE apportioning,
-- the UIS flow outcomes, the netted out-of-school counts, suppression below min_denominator, rounding to
-- 4 decimals. Not computed: the parity indices and the previous-year columns. Rejection rules are not
-- replicated: compare on deliveries generated with --error-rate 0, where the pipeline quarantines nothing.
-- Person IDs are normalised as the adapters do and hashed (64-bit) on read: no raw ID is kept in a table.

-- Parsing helpers ----------------------------------------------------------------------------------------
create macro digits(x) as translate(trim(x), '๐๑๒๓๔๕๖๗๘๙', '0123456789');
create macro number_value(x) as try_cast(replace(digits(x), ',', '') as double);
create macro person_key(x) as
    hash(regexp_replace(upper(regexp_replace(digits(x), '[\s\-]', '', 'g')), '\.0$', ''));
create macro grade_text(x) as regexp_replace(regexp_replace(digits(x), '\s+', '', 'g'), '^ชั้น', '');
create macro grade_code(x) as (
    case
        when regexp_full_match(grade_text(x), '(?i)(อนุบาลปีที่|อนุบาล|อบ|อ|K)\.?[1-3]') then 'K' || right(grade_text(x), 1)
        when regexp_full_match(grade_text(x), '(?i)(ประกาศนียบัตรวิชาชีพปีที่|ประกาศนียบัตรวิชาชีพ|ปวช|V)\.?[1-3]')
            then 'V' || right(grade_text(x), 1)
        when regexp_full_match(grade_text(x), '(?i)(ประถมศึกษาปีที่|ประถมศึกษา|ประถม|ป|P)\.?[1-6]') then 'P' || right(grade_text(x), 1)
        when regexp_full_match(grade_text(x), '(?i)(มัธยมศึกษาปีที่|มัธยมศึกษา|มัธยม|ม|M)\.?[1-6]') then 'M' || right(grade_text(x), 1)
    end
);
-- Age in completed years on 16 May of the academic year, from a BE date written BBBB-mm-dd or dd/mm/BBBB.
create macro be_date_parts(x) as (
    case
        when regexp_matches(digits(x), '^\d{4}-\d{1,2}-\d{1,2}')
            then regexp_extract(digits(x), '^(\d{4})-(\d{1,2})-(\d{1,2})', ['y', 'm', 'd'])
        else regexp_extract(digits(x), '^(\d{1,2})/(\d{1,2})/(\d{4})$', ['d', 'm', 'y'])
    end
);
create macro age_at_year_start(parts, academic_year) as
    academic_year - cast(parts.y as integer)
    - case when cast(parts.m as integer) * 100 + cast(parts.d as integer) > 516 then 1 else 0 end;
create macro safe_rate(num, den, scale) as (case when den is null or den = 0 then null else scale * num / den end);
create macro round4(x) as cast(round(cast(x as numeric(24, 8)), 4) as double);

-- Reference tables (dbt seeds) ---------------------------------------------------------------------------
create table grades as
select grade, level, cast(years_of_schooling as integer) as years_of_schooling,
       cast(official_age as integer) as official_age, cast(is_final_grade as boolean) as is_final_grade
from seed_grades;
create table affiliations as select affiliation_code, affiliation from seed_affiliations;
create table size_bands as
select school_type, size_class, cast(min_students as integer) as min_students,
       cast(max_students as integer) as max_students
from seed_school_size_bands;
create table provinces as select province_code, province from seed_geo_provinces;
create table districts as
select d.district_code, d.district_name_th, d.district_name_en, d.province_code, p.province
from seed_geo_districts as d inner join provinces as p on d.province_code = p.province_code;
create table definitions as select indicator_id, unit from seed_indicator_definitions;

-- Typed deliveries: one scan of each delivered file -------------------------------------------------------
create table registry as
select school_id, academic_year, district_code
from (
    select digits(school_id) as school_id, academic_year, digits(district_code) as district_code,
           row_number() over (partition by digits(school_id), academic_year order by source_file) as registry_rank
    from d_schools
)
where registry_rank = 1;

create table latest_registry as
select school_id, arg_max(district_code, academic_year) as district_code from registry group by school_id;

create table delivered_students as
select person_key(person_id) as student_key, academic_year, digits(school_id) as school_id,
       grade_code(grade) as grade, sex_value(sex) as sex, status_value(status) as status,
       age_at_year_start(be_date_parts(birth_date), academic_year) as age, source_file
from d_students;

-- National files hold rows of every province: only the four sandbox provinces' rows are read.
create table poverty as
select student_key, academic_year,
       arg_min(poverty_status, case poverty_status when 'extremely_poor' then 1 when 'poor' then 2 else 3 end)
           as poverty_status
from (
    select person_key(person_id) as student_key, academic_year, poverty_status_value(poverty_status) as poverty_status
    from d_poverty
    where substr(digits(school_id), 3, 2) in (select province_code from provinces)
)
group by student_key, academic_year;

create table screened_schools as
select distinct digits(school_id) as school_id, academic_year
from d_poverty
where substr(digits(school_id), 3, 2) in (select province_code from provinces);

-- A student delivered twice in a year keeps the record that is not a transfer-out.
create table students as
with ranked as (
    select *, row_number() over (
        partition by student_key, academic_year
        order by case when status = 'transferred_out' then 1 else 0 end, school_id, source_file
    ) as roster_rank
    from delivered_students
)
select s.student_key, s.academic_year, substr(s.school_id, 3, 2) as province_code,
       coalesce(r.district_code, lr.district_code) as district_code, s.school_id,
       coalesce(a.affiliation, 'other') as affiliation, s.grade, g.level, g.years_of_schooling, g.is_final_grade,
       s.sex, s.age, s.status, coalesce(p.poverty_status, 'not_screened') as poverty
from ranked as s
left join registry as r on s.school_id = r.school_id and s.academic_year = r.academic_year
left join latest_registry as lr on s.school_id = lr.school_id
left join poverty as p on s.student_key = p.student_key and s.academic_year = p.academic_year
left join grades as g on s.grade = g.grade
left join affiliations as a on substr(s.school_id, 1, 2) = a.affiliation_code
where s.roster_rank = 1;

-- EMIS grade rows (subtotal rows carry no grade and are left out).
create table emis as
select digits(school_id) as school_id, academic_year, grade_code(grade_or_subtotal) as grade,
       number_value(male) as male, number_value(female) as female
from d_enrolment_counts
where grade_code(grade_or_subtotal) is not null;

-- Enrolment: the EMIS count for every school-year EMIS covers, the roster count otherwise.
create table enrolments as
with emis_summed as (
    select school_id, academic_year, grade, sex, sum(n) as emis_students
    from (
        select school_id, academic_year, grade, 'M' as sex, male as n from emis
        union all
        select school_id, academic_year, grade, 'F' as sex, female as n from emis
    )
    group by school_id, academic_year, grade, sex
),
roster as (
    select school_id, academic_year, grade, sex, count(*) as roster_students
    from students group by school_id, academic_year, grade, sex
),
emis_school_years as (select distinct school_id, academic_year from emis_summed),
joined as (
    select coalesce(e.school_id, r.school_id) as school_id, coalesce(e.academic_year, r.academic_year) as academic_year,
           coalesce(e.grade, r.grade) as grade, coalesce(e.sex, r.sex) as sex, e.emis_students, r.roster_students
    from emis_summed as e
    full outer join roster as r
        on e.school_id = r.school_id and e.academic_year = r.academic_year and e.grade = r.grade and e.sex = r.sex
)
select j.school_id, j.academic_year, j.grade, j.sex,
       case when esy.school_id is not null then coalesce(j.emis_students, 0) else coalesce(j.roster_students, 0) end
           as students
from joined as j
left join emis_school_years as esy on j.school_id = esy.school_id and j.academic_year = esy.academic_year;

-- Schools by OBEC size class: secondary when a school enrols upper-secondary grades, or no primary grade
-- but some secondary grade; primary otherwise.
create table school_years as
with by_school as (
    select e.school_id, e.academic_year, sum(e.students) as students,
           sum(case when g.level = 'primary' then e.students else 0 end) as primary_students,
           sum(case when g.level = 'upper_secondary' then e.students else 0 end) as upper_secondary_students,
           sum(case when g.level in ('lower_secondary', 'upper_secondary') then e.students else 0 end)
               as secondary_students
    from enrolments as e inner join grades as g on e.grade = g.grade
    group by e.school_id, e.academic_year
),
school_year_keys as (
    select school_id, academic_year from registry
    union
    select school_id, academic_year from by_school
),
typed as (
    select k.school_id, k.academic_year, substr(k.school_id, 3, 2) as province_code, r.district_code,
           coalesce(b.students, 0) as students,
           case when coalesce(b.upper_secondary_students, 0) > 0 then 'secondary'
                when coalesce(b.primary_students, 0) = 0 and coalesce(b.secondary_students, 0) > 0 then 'secondary'
                else 'primary' end as school_type
    from school_year_keys as k
    left join registry as r on k.school_id = r.school_id and k.academic_year = r.academic_year
    left join by_school as b on k.school_id = b.school_id and k.academic_year = b.academic_year
)
select t.*, case when t.students > 0 then sb.size_class end as size_class
from typed as t
left join size_bands as sb
    on t.school_type = sb.school_type and t.students >= sb.min_students
    and (sb.max_students is null or t.students <= sb.max_students);

create table enrolment_detail as
select substr(e.school_id, 3, 2) as province_code, sy.district_code, e.academic_year, e.school_id, g.level, e.grade,
       e.sex, coalesce(a.affiliation, 'other') as affiliation, e.students
from enrolments as e
inner join grades as g on e.grade = g.grade
left join school_years as sy on e.school_id = sy.school_id and e.academic_year = sy.academic_year
left join affiliations as a on substr(e.school_id, 1, 2) = a.affiliation_code;

-- Staff: one register record per person and year; trained when a course was completed that year.
create table teachers as
with delivered as (
    select person_key(person_id) as teacher_key, academic_year, digits(school_id) as school_id,
           position_value(position) as position, sex_value(sex) as sex, source_file
    from d_teachers
),
ranked as (
    select *, row_number() over (partition by teacher_key, academic_year order by school_id, source_file) as register_rank
    from delivered
),
trained as (select distinct person_key(person_id) as teacher_key, academic_year from d_training)
select r.teacher_key, r.academic_year, substr(r.school_id, 3, 2) as province_code, reg.district_code, r.school_id,
       coalesce(a.affiliation, 'other') as affiliation, r.position, r.sex, tr.teacher_key is not null as is_trained
from ranked as r
left join trained as tr on r.teacher_key = tr.teacher_key and r.academic_year = tr.academic_year
left join registry as reg on r.school_id = reg.school_id and r.academic_year = reg.academic_year
left join affiliations as a on substr(r.school_id, 1, 2) = a.affiliation_code
where r.register_rank = 1;

-- Indicator components at district grain, long form -------------------------------------------------------
-- Each part first sums its flags over every combination of its breakdown columns (a small table), then one
-- lateral VALUES list turns the combination into the 'total' row plus one row per breakdown.
create table components (
    province_code varchar, district_code varchar, academic_year integer, indicator_id varchar,
    breakdown_type varchar, breakdown_value varchar, numerator double, denominator double
);

-- enrolment, share_small_schools, pupil_teacher_ratio
insert into components
with combos as (
    select province_code, district_code, academic_year, level, grade, sex, affiliation, sum(students) as students
    from enrolment_detail group by all
)
select province_code, district_code, academic_year, 'enrolment', b.breakdown_type, coalesce(b.breakdown_value, 'unknown'),
       sum(students), null
from combos, lateral (values ('total', 'all'), ('level', level), ('grade', grade), ('sex', sex),
                             ('affiliation', affiliation)) as b(breakdown_type, breakdown_value)
group by all;

insert into components
with combos as (
    select sy.province_code, sy.district_code, sy.academic_year, coalesce(a.affiliation, 'other') as affiliation,
           sum(case when sy.size_class = 'small' then 1 else 0 end) as small_schools, count(*) as schools
    from school_years as sy
    left join affiliations as a on substr(sy.school_id, 1, 2) = a.affiliation_code
    where sy.students > 0
    group by all
)
select province_code, district_code, academic_year, 'share_small_schools', b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(small_schools), sum(schools)
from combos, lateral (values ('total', 'all'), ('affiliation', affiliation)) as b(breakdown_type, breakdown_value)
group by all;

-- Each school's classroom teachers apportioned to its levels in proportion to enrolment (FTE).
insert into components
with school_teachers as (
    select school_id, academic_year, count(*) as teachers
    from teachers where position = 'teacher' group by school_id, academic_year
),
school_levels as (
    select school_id, academic_year, province_code, district_code, affiliation, level, sum(students) as level_students
    from enrolment_detail group by all
),
school_totals as (
    select school_id, academic_year, sum(level_students) as school_students
    from school_levels group by school_id, academic_year
),
combos as (
    select sl.province_code, sl.district_code, sl.academic_year, sl.affiliation, sl.level,
           sum(sl.level_students) as students,
           sum(cast(st.teachers as double) * sl.level_students / tot.school_students) as teacher_fte
    from school_levels as sl
    inner join school_teachers as st on sl.school_id = st.school_id and sl.academic_year = st.academic_year
    inner join school_totals as tot on sl.school_id = tot.school_id and sl.academic_year = tot.academic_year
    where tot.school_students > 0
    group by all
)
select province_code, district_code, academic_year, 'pupil_teacher_ratio', b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(students), sum(teacher_fte)
from combos, lateral (values ('total', 'all'), ('level', level), ('affiliation', affiliation))
    as b(breakdown_type, breakdown_value)
group by all;

-- share_teachers_trained, share_directors_trained
insert into components
with combos as (
    select province_code, district_code, academic_year,
           case position when 'teacher' then 'share_teachers_trained' else 'share_directors_trained' end as indicator_id,
           sex, affiliation, sum(case when is_trained then 1 else 0 end) as trained, count(*) as staff
    from teachers where position in ('teacher', 'director') group by all
)
select province_code, district_code, academic_year, indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(trained), sum(staff)
from combos, lateral (values ('total', 'all'), ('sex', sex), ('affiliation', affiliation))
    as b(breakdown_type, breakdown_value)
group by all;

-- GER / NER per level and out-of-school, for the province-years whose DOPA population was delivered.
create table population as
select substr(digits(district_code), 1, 2) as province_code, digits(district_code) as district_code, academic_year,
       cast(number_value(age) as integer) as age, sex_value(sex) as sex, sum(number_value(population)) as persons
from d_population
where substr(digits(district_code), 1, 2) in (select province_code from provinces)
group by all;

insert into components
with population_years as (select distinct province_code, academic_year from population),
level_ages as (select level, min(official_age) as min_age, max(official_age) as max_age from grades group by level),
parts as (
    select e.province_code, e.district_code, e.academic_year, e.level, e.sex,
           e.students as enrolled_any_age, 0 as enrolled_of_age, 0 as population_of_age
    from enrolment_detail as e
    union all
    select s.province_code, s.district_code, s.academic_year, s.level, s.sex, 0, 1, 0
    from students as s inner join level_ages as la on s.level = la.level
    where s.age between la.min_age and la.max_age
    union all
    select p.province_code, p.district_code, p.academic_year, la.level, p.sex, 0, 0, p.persons
    from population as p inner join level_ages as la on p.age between la.min_age and la.max_age
),
combos as (
    select parts.province_code, parts.district_code, parts.academic_year, parts.level, parts.sex,
           sum(enrolled_any_age) as enrolled_any_age, sum(enrolled_of_age) as enrolled_of_age,
           sum(population_of_age) as population_of_age
    from parts
    inner join population_years as py
        on parts.province_code = py.province_code and parts.academic_year = py.academic_year
    group by all
)
select province_code, district_code, academic_year, i.indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(i.numerator), sum(population_of_age)
from combos,
     lateral (values ('ger_' || level, enrolled_any_age), ('ner_' || level, enrolled_of_age)) as i(indicator_id, numerator),
     lateral (values ('total', 'all'), ('sex', sex)) as b(breakdown_type, breakdown_value)
where level is not null
group by all;

-- Out of school: population of each age 6-17 minus roster students of that age, netted (floored in the marts).
insert into components
with population_years as (select distinct province_code, academic_year from population),
cells as (
    select province_code, district_code, academic_year, age, sex, persons as population_of_age,
           persons as out_of_school_net
    from population where age between 6 and 17
    union all
    select province_code, district_code, academic_year, age, sex, 0, -1
    from students where age between 6 and 17
),
combos as (
    select c.province_code, c.district_code, c.academic_year, c.sex,
           case when c.age <= 11 then '6-11' when c.age <= 14 then '12-14' else '15-17' end as age_group,
           c.age <= 14 as is_compulsory_age,
           sum(c.population_of_age) as population_of_age, sum(c.out_of_school_net) as out_of_school_net
    from cells as c
    inner join population_years as py on c.province_code = py.province_code and c.academic_year = py.academic_year
    group by all
)
select province_code, district_code, academic_year, i.indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(out_of_school_net), sum(i.denominator)
from combos,
     lateral (values ('out_of_school_children', null), ('out_of_school_rate', population_of_age))
         as i(indicator_id, denominator),
     lateral (values ('total', 'all'), ('age_group', age_group), ('sex', sex)) as b(breakdown_type, breakdown_value)
group by all
union all
select province_code, district_code, academic_year, 'out_of_school_rate_6_14', b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(out_of_school_net), sum(population_of_age)
from combos, lateral (values ('total', 'all'), ('sex', sex)) as b(breakdown_type, breakdown_value)
where is_compulsory_age
group by all;

-- Flows (UIS reconstructed cohort): students of year t traced by key into t+1, where t+1 was delivered.
insert into components
with roster_years as (select distinct province_code, academic_year from students),
traced as (
    select cur.province_code, cur.district_code, cur.academic_year, cur.level, cur.grade, cur.sex, cur.affiliation,
           cur.poverty, nxt.grade as next_grade,
           case
               when nxt.student_key is not null and nxt.years_of_schooling > cur.years_of_schooling then 'promoted'
               when nxt.student_key is not null then 'repeated'
               when cur.status = 'graduated' and coalesce(cur.is_final_grade, false) then 'graduated'
               when cur.status = 'dropped_out' then 'dropped_out'
               when cur.status = 'transferred_out' then 'transferred_out_of_area'
               else 'untraced'
           end as outcome
    from students as cur
    inner join roster_years as ry on cur.province_code = ry.province_code and ry.academic_year = cur.academic_year + 1
    left join students as nxt on cur.student_key = nxt.student_key and nxt.academic_year = cur.academic_year + 1
),
combos as (
    select province_code, district_code, academic_year, level, grade, sex, affiliation, poverty,
           count(*) as enrolled,
           sum(case when outcome in ('promoted', 'graduated') then 1 else 0 end) as promoted,
           sum(case when outcome = 'repeated' then 1 else 0 end) as repeated,
           sum(case when outcome in ('dropped_out', 'transferred_out_of_area', 'untraced') then 1 else 0 end) as left_school,
           sum(case when outcome = 'dropped_out' then 1 else 0 end) as recorded_dropout,
           sum(case when outcome = 'repeated' then 0 else 1 end) as not_repeating,
           sum(case when grade = 'P6' and next_grade = 'M1' then 1 else 0 end) as entered_m1,
           sum(case when grade = 'M3' and next_grade in ('M4', 'V1') then 1 else 0 end) as entered_m4
    from traced group by all
)
select province_code, district_code, academic_year, i.indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(i.numerator), sum(enrolled)
from combos,
     lateral (values ('promotion_rate', promoted), ('repetition_rate', repeated), ('dropout_rate', left_school),
                     ('recorded_dropout_rate', recorded_dropout)) as i(indicator_id, numerator),
     lateral (values ('total', 'all'), ('level', level), ('grade', grade), ('sex', sex), ('affiliation', affiliation),
                     ('poverty', poverty)) as b(breakdown_type, breakdown_value)
group by all
union all
select province_code, district_code, academic_year, i.indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(i.numerator), sum(not_repeating)
from combos,
     lateral (values ('transition_rate_p6_m1', 'P6', entered_m1), ('transition_rate_m3_m4', 'M3', entered_m4))
         as i(indicator_id, from_grade, numerator),
     lateral (values ('total', 'all'), ('sex', sex), ('affiliation', affiliation), ('poverty', poverty))
         as b(breakdown_type, breakdown_value)
where grade = i.from_grade
group by all;

-- Poverty shares: roster students of the schools the EEF screening covered that year.
insert into components
with combos as (
    select s.province_code, s.district_code, s.academic_year, s.level, s.sex, s.affiliation,
           sum(case when s.poverty in ('poor', 'extremely_poor') then 1 else 0 end) as poor,
           sum(case when s.poverty = 'extremely_poor' then 1 else 0 end) as extremely_poor,
           count(*) as students
    from students as s
    inner join screened_schools as ss on s.school_id = ss.school_id and s.academic_year = ss.academic_year
    group by all
)
select province_code, district_code, academic_year, i.indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(i.numerator), sum(students)
from combos,
     lateral (values ('share_poor_students', poor), ('share_extremely_poor_students', extremely_poor))
         as i(indicator_id, numerator),
     lateral (values ('total', 'all'), ('level', level), ('sex', sex), ('affiliation', affiliation))
         as b(breakdown_type, breakdown_value)
group by all;

-- Literacy screening (Yala): one screened student per key, year, school and grade.
insert into components
with by_student as (
    select person_key(person_id) as student_key, academic_year, digits(school_id) as school_id,
           grade_code(grade) as grade,
           min(case when cast(passed_value(passed) as boolean) then 1 else 0 end) as passed_all,
           max(case when skill_value(skill) = 'reading' then 1 else 0 end) as screened_reading,
           max(case when skill_value(skill) = 'reading' and cast(passed_value(passed) as boolean) then 1 else 0 end)
               as passed_reading,
           max(case when skill_value(skill) = 'writing' then 1 else 0 end) as screened_writing,
           max(case when skill_value(skill) = 'writing' and cast(passed_value(passed) as boolean) then 1 else 0 end)
               as passed_writing
    from d_literacy
    group by all
),
combos as (
    select substr(l.school_id, 3, 2) as province_code, r.district_code, l.academic_year, l.grade,
           coalesce(s.sex, 'unknown') as sex, coalesce(a.affiliation, 'other') as affiliation,
           coalesce(s.poverty, 'not_screened') as poverty,
           count(*) as screened, sum(passed_all) as passed_all,
           sum(screened_reading) as screened_reading, sum(passed_reading) as passed_reading,
           sum(screened_writing) as screened_writing, sum(passed_writing) as passed_writing
    from by_student as l
    left join students as s on l.student_key = s.student_key and l.academic_year = s.academic_year
    left join registry as r on l.school_id = r.school_id and l.academic_year = r.academic_year
    left join affiliations as a on substr(l.school_id, 1, 2) = a.affiliation_code
    group by all
)
select province_code, district_code, academic_year, i.indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(i.numerator), sum(i.denominator)
from combos,
     lateral (values ('literacy_pass_rate', passed_all, screened, true),
                     ('literacy_reading_pass_rate', passed_reading, screened_reading, screened_reading > 0),
                     ('literacy_writing_pass_rate', passed_writing, screened_writing, screened_writing > 0))
         as i(indicator_id, numerator, denominator, present),
     lateral (values ('total', 'all'), ('grade', grade), ('sex', sex), ('affiliation', affiliation),
                     ('poverty', poverty)) as b(breakdown_type, breakdown_value)
where i.present
group by all;

-- NT / O-NET results at minimum proficiency (national file, cp874).
insert into components
with results as (
    select person_key(person_id) as student_key, academic_year, digits(school_id) as school_id,
           grade_code(grade) as grade, trim(subject) as subject,
           case when number_value(score) >= getvariable('minimum_proficiency_score') then 1 else 0 end as at_minimum
    from d_assessments
    where test_value(test) in ('NT', 'ONET')
      and substr(digits(school_id), 3, 2) in (select province_code from provinces)
),
combos as (
    select substr(x.school_id, 3, 2) as province_code, r.district_code, x.academic_year, x.grade, x.subject,
           coalesce(s.sex, 'unknown') as sex, coalesce(a.affiliation, 'other') as affiliation,
           coalesce(s.poverty, 'not_screened') as poverty, sum(x.at_minimum) as at_minimum, count(*) as results
    from results as x
    left join students as s on x.student_key = s.student_key and x.academic_year = s.academic_year
    left join registry as r on x.school_id = r.school_id and x.academic_year = r.academic_year
    left join affiliations as a on substr(x.school_id, 1, 2) = a.affiliation_code
    group by all
)
select province_code, district_code, academic_year, 'minimum_proficiency_share', b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(at_minimum), sum(results)
from combos,
     lateral (values ('total', 'all'), ('grade', grade), ('subject', subject), ('sex', sex),
                     ('affiliation', affiliation), ('poverty', poverty)) as b(breakdown_type, breakdown_value)
group by all;

-- Learning spaces: monthly visitors summed over the year, and the share applying what they learned.
insert into components
with logs as (
    select substr(digits(district_code), 1, 2) as province_code, digits(district_code) as district_code, academic_year,
           sum(number_value(visitors)) as visitors, sum(number_value(visitors_applying)) as visitors_applying
    from d_learning_spaces group by all
)
select province_code, district_code, academic_year, 'learning_space_users', 'total', 'all', visitors, null from logs
union all
select province_code, district_code, academic_year, 'learning_space_applying_share', 'total', 'all',
       visitors_applying, visitors
from logs;

-- Social protection cases (Sukhothai).
insert into components
with combos as (
    select substr(digits(c.school_id), 3, 2) as province_code, r.district_code, c.academic_year,
           coalesce(s.sex, 'unknown') as sex, coalesce(a.affiliation, 'other') as affiliation,
           sum(case when follow_up_status_value(c.follow_up_status) = 'closed' then 1 else 0 end) as closed,
           count(*) as cases
    from d_protection_cases as c
    left join students as s on person_key(c.person_id) = s.student_key and c.academic_year = s.academic_year
    left join registry as r on digits(c.school_id) = r.school_id and c.academic_year = r.academic_year
    left join affiliations as a on substr(digits(c.school_id), 1, 2) = a.affiliation_code
    group by all
)
select province_code, district_code, academic_year, i.indicator_id, b.breakdown_type,
       coalesce(b.breakdown_value, 'unknown'), sum(closed_or_cases), sum(i.denominator)
from combos,
     lateral (values ('protection_cases', cases, null), ('protection_cases_closed_share', closed, cases))
         as i(indicator_id, closed_or_cases, denominator),
     lateral (values ('total', 'all'), ('sex', sex), ('affiliation', affiliation)) as b(breakdown_type, breakdown_value)
group by all;

-- Marts: components summed to the mart's grain, then valued (ratios of sums, never averages of rates) --------
create macro indicator_value(unit, num, den) as (
    case
        when unit = 'count' then num
        when unit = 'ratio' then safe_rate(num, den, 1)
        when den is null or den = 0 or den < getvariable('min_denominator') then null
        else safe_rate(num, den, 100)
    end
);

create table province_indicators as
with summed as (
    select province_code, academic_year, indicator_id, breakdown_type, breakdown_value,
           case when sum(numerator) < 0 then 0 else sum(numerator) end as numerator, sum(denominator) as denominator
    from components where province_code is not null
    group by all
)
select p.province, s.province_code, s.academic_year, s.indicator_id, s.breakdown_type, s.breakdown_value,
       round4(indicator_value(d.unit, s.numerator, s.denominator)) as value, round4(s.numerator) as numerator,
       round4(s.denominator) as denominator, d.unit
from summed as s
inner join definitions as d on s.indicator_id = d.indicator_id
inner join provinces as p on s.province_code = p.province_code;

create table district_indicators as
with summed as (
    select province_code, district_code, academic_year, indicator_id, breakdown_type, breakdown_value,
           case when sum(numerator) < 0 then 0 else sum(numerator) end as numerator, sum(denominator) as denominator
    from components where province_code is not null and district_code is not null
    group by all
)
select d.province, s.province_code, s.district_code, s.academic_year, s.indicator_id, s.breakdown_type,
       s.breakdown_value, round4(indicator_value(def.unit, s.numerator, s.denominator)) as value,
       round4(s.numerator) as numerator, round4(s.denominator) as denominator, def.unit
from summed as s
inner join definitions as def on s.indicator_id = def.indicator_id
inner join districts as d on s.district_code = d.district_code;
