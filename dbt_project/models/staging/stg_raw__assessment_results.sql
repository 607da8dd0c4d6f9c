-- One row per student, test and subject: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'assessments') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(student_key as uuid) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(test as {{ dbt.type_string() }}) as test,
        cast(grade as {{ dbt.type_string() }}) as grade,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(score as float8) as score,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
