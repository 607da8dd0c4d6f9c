-- One row per learning space and month: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'learning_spaces') }}

),

renamed as (

    select
        {{ province_code_of_district('district_code') }} as province_code,
        cast(space_id as {{ dbt.type_string() }}) as space_id,
        cast(space_name as {{ dbt.type_string() }}) as space_name,
        cast(district_code as {{ dbt.type_string() }}) as district_code,
        cast(month as date) as month_start,
        cast(visitors as integer) as visitors,
        cast(visitors_applying as integer) as visitors_applying,
        cast(income_baht as float8) as income_baht,
        cast(province as {{ dbt.type_string() }}) as delivery_province,
        cast(academic_year as integer) as academic_year,
        cast(agency as {{ dbt.type_string() }}) as agency,
        cast(source_sha256 as {{ dbt.type_string() }}) as source_sha256,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed
