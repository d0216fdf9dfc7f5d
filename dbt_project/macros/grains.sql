{#- The rep, team and company grains of the marts that credit reps (pipeline waterfall,
    forecast calls). rep_grains(): their names, in the marts' row order.
    grain_rows_union(suffix): `select * from rep_<suffix> union all ...` over them.
    rep_identities(): every identity (crm_source, owner_id) of a rep, with
    the person's rep_key and team, as a relation to join owners to. rep_group_key(grain,
    alias): the group an identity of that relation counts for: its rep_key, its team_key
    (NULL without a team), or 'company'; NULL for an owner who is no rep. -#}
{% macro rep_grains() -%}
    {{ return(['rep', 'team', 'company']) }}
{%- endmacro %}

{% macro grain_rows_union(suffix) -%}
    {%- for grain in rep_grains() %}
    select * from {{ grain }}_{{ suffix }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro rep_identities() -%}
    (
        select i.crm_source, i.owner_id, i.rep_key, d.team_id, d.team_key
        from {{ ref('int_rep_identities') }} as i
        inner join {{ ref('dim_reps') }} as d on d.rep_key = i.rep_key
    )
{%- endmacro %}

{% macro rep_group_key(grain, alias) -%}
    {%- if grain == 'rep' -%}
        {{ alias }}.rep_key
    {%- elif grain == 'team' -%}
        case when {{ alias }}.team_id is not null then {{ alias }}.team_key end
    {%- else -%}
        case when {{ alias }}.rep_key is not null then 'company' end
    {%- endif -%}
{%- endmacro %}

{#- The grains' rows' descriptive columns: rep_key, crm_source, owner_id, rep_name, team_key,
    team_id, team_name from the group (alias.aggregation_level, alias.group_id). -#}
{% macro rep_group_columns(alias) -%}
    case when {{ alias }}.aggregation_level = 'rep' then {{ alias }}.group_id end as rep_key,
    coalesce(grain_rep.crm_source, grain_team.crm_source) as crm_source,
    grain_rep.owner_id,
    grain_rep.rep_name,
    coalesce(grain_rep.team_key, grain_team.team_key) as team_key,
    coalesce(grain_rep.team_id, grain_team.team_id) as team_id,
    coalesce(grain_rep.team_name, grain_team.team_name) as team_name
{%- endmacro %}

{% macro rep_group_joins(alias) -%}
    left join {{ ref('dim_reps') }} as grain_rep
        on {{ alias }}.aggregation_level = 'rep' and grain_rep.rep_key = {{ alias }}.group_id
    left join {{ ref('dim_teams') }} as grain_team
        on {{ alias }}.aggregation_level = 'team' and grain_team.team_key = {{ alias }}.group_id
{%- endmacro %}
