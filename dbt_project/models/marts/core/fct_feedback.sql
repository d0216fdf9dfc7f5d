-- One row per CSAT or NPS submission, credited to the rep of its deal (the deal's
-- attributed owner) or, when it is linked only to a company, to the company owner.
-- A deal or company merged into another is replaced by the surviving record.
with merges as (
    select crm_source, object_type, merged_id, merged_into_id from {{ ref('int_merges_resolved') }}
),

submissions as (
    select
        f.crm_source,
        f.feedback_id as feedback_submission_id,
        f.survey_type,
        f.survey_name,
        f.score,
        f.submitted_at,
        coalesce(md.merged_into_id, f.deal_id) as deal_id,
        coalesce(mc.merged_into_id, f.company_id) as company_id
    from {{ ref('int_crm__feedback') }} as f
    left join merges as md
        on md.crm_source = f.crm_source and md.object_type = 'deal' and md.merged_id = f.deal_id
    left join merges as mc
        on mc.crm_source = f.crm_source and mc.object_type = 'company' and mc.merged_id = f.company_id
)

select
    s.crm_source,
    s.feedback_submission_id,
    s.survey_type,
    s.survey_name,
    s.score,
    s.submitted_at,
    {{ reporting_month('s.submitted_at') }} as submitted_month,
    s.deal_id,
    coalesce(s.company_id, d.company_id) as company_id,
    coalesce(d.owner_id, c.owner_id) as owner_id,
    case when s.survey_type = 'NPS' and s.score >= 9 then true else false end as is_promoter,
    case when s.survey_type = 'NPS' and s.score <= 6 then true else false end as is_detractor
from submissions as s
left join {{ ref('fct_deals') }} as d on d.crm_source = s.crm_source and d.deal_id = s.deal_id
left join {{ ref('int_crm__companies') }} as c
    on c.crm_source = s.crm_source and c.company_id = s.company_id
