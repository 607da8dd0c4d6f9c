-- One row per completed course: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'training') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(teacher_key as uuid) as teacher_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(course_name as {{ dbt.type_string() }}) as course_name,
        cast(skill_area as {{ dbt.type_string() }}) as skill_area,
        cast(hours as float8) as course_hours,
        cast(completed_on as date) as completed_on,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
