-- One row per screened student: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'poverty') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(student_key as uuid) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(poverty_status as {{ dbt.type_string() }}) as poverty_status,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
