{#- What makes a Salesforce record unusable, per raw table (see quarantine_hubspot.sql for the
    shape). Salesforce types every field, so a value is never text where a number belongs;
    what it can serve is a record pointing at what the warehouse cannot resolve: a stage no
    longer in OpportunityStage, an owner that is not a user the integration user sees, a
    negative amount, a survey score outside its scale. A lead owned by a queue (00G...) is
    valid: it has no rep yet. -#}
{% macro salesforce_quarantine(table) -%}
{%- set users = "(select u.user_id from " ~ ref('stg_salesforce__users') ~ " as u where u.crm_source = r.crm_source)" %}
{%- set owner_not_found = ('owner_not_found', "r.owner_id not in " ~ users, 'reference') %}
{%- set scales = [] %}
{%- for name, kind in var('salesforce_surveys').items() %}
    {%- do scales.append("(a.survey_developer_name = '" ~ name ~ "' and a.score not between " ~ ('1 and 5' if kind == 'CSAT' else '0 and 10') ~ ")") %}
{%- endfor %}
{%- set score_out_of_range = "exists (select 1 from " ~ ref('stg_salesforce__survey_answers') ~ " as a where a.crm_source = r.crm_source and a.answer_id = r.id and (" ~ (scales | join(' or ') or 'false') ~ "))" %}
{%- set activity = {
    'object_type': table,
    'checks': [owner_not_found],
    'reference_columns': ['owner_id'],
} %}
{%- set specs = {
    'opportunity': {
        'object_type': 'opportunity',
        'checks': [
            ('amount_negative', "r.amount < 0"),
            ('unknown_stage', "r.stage_name not in (select s.api_name from " ~ ref('stg_salesforce__opportunity_stages') ~ " as s where s.crm_source = r.crm_source)", 'reference'),
            owner_not_found,
        ],
        'reference_columns': ['stage_name', 'owner_id'],
    },
    'task': activity,
    'event': activity,
    'lead': {
        'object_type': 'lead',
        'checks': [('owner_not_found', "r.owner_id like '005%' and r.owner_id not in " ~ users, 'reference')],
        'reference_columns': ['owner_id'],
    },
    'forecasting_quota': {
        'object_type': 'forecasting_quota',
        'checks': [
            ('amount_negative', "r.quota_amount < 0"),
            ('owner_not_found', "r.quota_owner_id not in " ~ users, 'reference'),
        ],
        'reference_columns': ['quota_owner_id'],
    },
    'survey_question_response': {
        'object_type': 'survey_question_response',
        'checks': [('score_out_of_range', score_out_of_range, 'reference')],
        'reference_columns': ['number_value'],
    },
} %}
{#- ForecastingQuota has no IsDeleted: a deleted quota is gone from the API -#}
{%- set deleted_column = none if table == 'forecasting_quota' else 'is_deleted' %}
{#- the Survey* objects come with Feedback Management, which an org may not have -#}
{{ return(dict(specs[table], source_table=table, kind='salesforce', deleted_column=deleted_column, duplicates=false, optional=table == 'survey_question_response')) }}
{%- endmacro %}
