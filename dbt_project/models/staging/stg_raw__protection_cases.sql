-- One row per case: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'protection_cases') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(student_key as uuid) as student_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(disadvantage_type as {{ dbt.type_string() }}) as disadvantage_type,
        cast(support_given as {{ dbt.type_string() }}) as support_given,
        cast(follow_up_status as {{ dbt.type_string() }}) as follow_up_status,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
