-- One row per teacher per academic year: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'teachers') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(teacher_key as uuid) as teacher_key,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(position as {{ dbt.type_string() }}) as position,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(academic_standing as {{ dbt.type_string() }}) as academic_standing,
        cast(sex as {{ dbt.type_string() }}) as sex,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
