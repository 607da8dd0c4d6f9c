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
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
