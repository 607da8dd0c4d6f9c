-- One row per school, grade and academic year: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'enrolment_counts') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(grade as {{ dbt.type_string() }}) as grade,
        cast(male as integer) as male_students,
        cast(female as integer) as female_students,
        cast(total as integer) as total_students,
        cast(classrooms as integer) as classrooms,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
