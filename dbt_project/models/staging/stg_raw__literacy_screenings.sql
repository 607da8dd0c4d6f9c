-- One row per student and skill screened: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'literacy') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(student_key as uuid) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(grade as {{ dbt.type_string() }}) as grade,
        cast(skill as {{ dbt.type_string() }}) as skill,
        cast(score as float8) as score,
        cast(passed as boolean) as has_passed,
        cast(screened_on as date) as screened_on,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
