{#- Codes embedded in identifiers, per the raw contract: school_id = affiliation (2) + province (2) + 6 digits;
    district codes start with the 2-digit province code. Used to place national deliveries (province
    'national') in a province. -#}
{% macro province_code_of_school(school_id) -%}
    substr({{ school_id }}, 3, 2)
{%- endmacro %}

{% macro affiliation_code_of_school(school_id) -%}
    substr({{ school_id }}, 1, 2)
{%- endmacro %}

{% macro province_code_of_district(district_code) -%}
    substr({{ district_code }}, 1, 2)
{%- endmacro %}

{#- Age in completed years on 16 May of the academic year (the Thai school year starts mid-May);
    academic_year is Buddhist Era, so the CE year is academic_year - 543. -#}
{% macro age_at_school_year_start(birth_date, academic_year) -%}
    cast(({{ academic_year }} - 543) - cast(extract(year from {{ birth_date }}) as integer)
         - case when cast(extract(month from {{ birth_date }}) as integer) * 100
                     + cast(extract(day from {{ birth_date }}) as integer) > 516 then 1 else 0 end as integer)
{%- endmacro %}
