{#- Materialise into the schema named in the config (staging, intermediate, marts) as is, with no
    target-name prefix: the warehouse layout must be the same on DuckDB and PostgreSQL. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
