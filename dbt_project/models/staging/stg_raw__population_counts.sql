-- One row per district, age and sex: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'population') }}

),

renamed as (

    select
        {{ province_code_of_district('district_code') }} as province_code,
        cast(district_code as {{ dbt.type_string() }}) as district_code,
        cast(age as integer) as age,
        cast(sex as {{ dbt.type_string() }}) as sex,
        cast(population as integer) as persons,
        cast(province as {{ dbt.type_string() }}) as delivery_province,
        cast(academic_year as integer) as academic_year,
        cast(agency as {{ dbt.type_string() }}) as agency,
        cast(source_sha256 as {{ dbt.type_string() }}) as source_sha256,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as integer) as source_row
    from source

)

select * from renamed
