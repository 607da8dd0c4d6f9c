{#- The lineage columns every raw table carries (assets/contract/entities.py): which landing folder and academic
    year the record was delivered under, by which agency, in which file (its SHA-256 and name) and at which row.
    Staging keeps them so any mart figure can be traced back to the delivered rows. -#}
{% macro delivery_lineage_columns() %}
        cast(province as {{ dbt.type_string() }}) as delivery_province,
        cast(academic_year as integer) as academic_year,
        cast(agency as {{ dbt.type_string() }}) as agency,
        cast(source_sha256 as {{ dbt.type_string() }}) as source_sha256,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_row as integer) as source_row
{%- endmacro %}
