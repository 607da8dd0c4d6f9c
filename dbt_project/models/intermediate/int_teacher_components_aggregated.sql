-- Components of the training indicators (share of teachers / directors trained) by district and breakdown.
with teachers as (

    select
        province_code,
        district_code,
        academic_year,
        position,
        sex,
        affiliation,
        case when is_trained then 1 else 0 end as trained,
        1 as staff
    from {{ ref('int_teachers_joined_to_training') }}

)

{{ breakdown_components('teachers', 'share_teachers_trained', 'trained', 'staff', ['sex', 'affiliation'],
                        where="position = 'teacher'") }}
union all
{{ breakdown_components('teachers', 'share_directors_trained', 'trained', 'staff', ['sex', 'affiliation'],
                        where="position = 'director'") }}
