-- One row per interviewer with a live scorecard: the mix of their overall recommendations, and
-- how often the outcome agreed with them: the share of their scorecards on hired applications
-- that said yes or strong_yes, and on rejected ones that said no or strong_no. Withdrawals are
-- the candidate's decision, not a verdict on the recommendation, so they count in neither.
with scorecards as (
    select
        scorecards.*,
        hiring.is_hired,
        hiring.outcome = 'rejected' as is_rejected,
        scorecards.overall_recommendation in ('yes', 'strong_yes') as is_positive,
        scorecards.overall_recommendation in ('no', 'strong_no') as is_negative
    from {{ ref('stg_ats__scorecards') }} as scorecards
    left join {{ ref('int_ats__application_hiring') }} as hiring
        on hiring.application_key = scorecards.application_key
    where scorecards.interviewer_id is not null
),

per_interviewer as (
    select
        provider,
        account_id,
        interviewer_id,
        count(*) as scorecards,
        {% for value in ['strong_yes', 'yes', 'no', 'strong_no', 'no_decision'] -%}
        sum(case when overall_recommendation = '{{ value }}' then 1 else 0 end) as {{ value }},
        {% endfor -%}
        sum(case when overall_recommendation not in ('strong_yes', 'yes', 'no', 'strong_no',
                                                     'no_decision')
                 or overall_recommendation is null then 1 else 0 end) as other_recommendation,
        sum(case when is_hired then 1 else 0 end) as scorecards_on_hired,
        sum(case when is_hired and is_positive then 1 else 0 end) as positive_on_hired,
        sum(case when is_rejected then 1 else 0 end) as scorecards_on_rejected,
        sum(case when is_rejected and is_negative then 1 else 0 end) as negative_on_rejected
    from scorecards
    group by provider, account_id, interviewer_id
)

select
    {{ ats_key('per_interviewer.provider', 'per_interviewer.account_id',
               'per_interviewer.interviewer_id') }} as interviewer_key,
    per_interviewer.provider,
    per_interviewer.account_id,
    per_interviewer.interviewer_id,
    users.user_name as interviewer_name,
    per_interviewer.scorecards,
    per_interviewer.strong_yes,
    per_interviewer.yes,
    per_interviewer.no,
    per_interviewer.strong_no,
    per_interviewer.no_decision,
    per_interviewer.other_recommendation,
    per_interviewer.scorecards_on_hired,
    per_interviewer.positive_on_hired,
    per_interviewer.scorecards_on_rejected,
    per_interviewer.negative_on_rejected,
    {{ ats_rate('per_interviewer.positive_on_hired', 'per_interviewer.scorecards_on_hired') }}
        as hired_agreement_rate,
    {{ ats_rate('per_interviewer.negative_on_rejected',
                'per_interviewer.scorecards_on_rejected') }} as rejected_agreement_rate,
    {{ ats_rate('per_interviewer.positive_on_hired + per_interviewer.negative_on_rejected',
                'per_interviewer.scorecards_on_hired + per_interviewer.scorecards_on_rejected') }}
        as agreement_rate
from per_interviewer
left join {{ ref('stg_ats__users') }} as users
    on users.provider = per_interviewer.provider
    and users.account_id = per_interviewer.account_id
    and users.user_id = per_interviewer.interviewer_id
