-- One row per student per academic year as delivered: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'students') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(student_key as uuid) as student_key,
        cast(id_kind as {{ dbt.type_string() }}) as id_kind,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(grade as {{ dbt.type_string() }}) as grade,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(birth_date as date) as birth_date,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(dropout_reason as {{ dbt.type_string() }}) as dropout_reason,
        cast(home_language as {{ dbt.type_string() }}) as home_language,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
