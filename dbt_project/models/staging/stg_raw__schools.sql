-- One row per school per delivery: contract columns renamed and cast, plus the province the record
-- belongs to (from its codes, since national deliveries are filed under province 'national').
with source as (

    select * from {{ source('raw', 'schools') }}

),

renamed as (

    select
        {{ province_code_of_school('school_id') }} as province_code,
        cast(school_id as {{ dbt.type_string() }}) as school_id,
        cast(school_name as {{ dbt.type_string() }}) as school_name,
        cast(affiliation as {{ dbt.type_string() }}) as affiliation_code,
        cast(area_code as {{ dbt.type_string() }}) as area_code,
        cast(district_code as {{ dbt.type_string() }}) as district_code,
        cast(subdistrict_code as {{ dbt.type_string() }}) as subdistrict_code,
        cast(levels_offered as {{ dbt.type_string() }}) as levels_offered,
        cast(sandbox_member as boolean) as is_sandbox_member,
        {{ delivery_lineage_columns() }}
    from source

)

select * from renamed
