-- The Salesforce survey_question_response records as loaded, each version checked once; quarantine_survey_question_response reads it.
{{ checked_records(**salesforce_quarantine('survey_question_response')) }}
