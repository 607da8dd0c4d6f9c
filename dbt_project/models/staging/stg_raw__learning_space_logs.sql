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
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
