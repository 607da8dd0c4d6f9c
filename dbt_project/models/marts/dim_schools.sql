-- One row per school: latest registry record, affiliation, area office, district and subdistrict names,
-- sandbox membership, and school type and OBEC size class of its latest academic year.
with registry as (

    select *
    from (
        select
            r.*,
            row_number() over (partition by school_id order by academic_year desc) as recency_rank
        from {{ ref('int_school_years_deduplicated') }} as r
    ) as ranked
    where recency_rank = 1

),

sizes as (

    select *
    from (
        select
            s.*,
            row_number() over (partition by school_id order by academic_year desc) as recency_rank
        from {{ ref('int_school_years_sized') }} as s
    ) as ranked
    where recency_rank = 1

)

select
    r.school_id,
    r.school_name,
    p.province,
    r.province_code,
    r.district_code,
    d.district_name_th,
    d.district_name_en,
    r.subdistrict_code,
    sd.subdistrict_name_th,
    r.affiliation_code,
    coalesce(a.affiliation, 'other') as affiliation,
    a.affiliation_name_th,
    a.affiliation_name_en,
    r.area_code,
    r.levels_offered,
    r.is_sandbox_member,
    r.academic_year as registry_academic_year,
    s.academic_year as size_academic_year,
    s.students,
    s.school_type,
    s.size_class
from registry as r
left join sizes as s on r.school_id = s.school_id
left join {{ ref('geo_provinces') }} as p on r.province_code = p.province_code
left join {{ ref('geo_districts') }} as d on r.district_code = d.district_code
left join {{ ref('geo_subdistricts') }} as sd on r.subdistrict_code = sd.subdistrict_code
left join {{ ref('affiliations') }} as a on r.affiliation_code = a.affiliation_code
