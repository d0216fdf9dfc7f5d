-- int_data_as_of describes one point in time: exactly one row, and its as-of date is the
-- reporting-time-zone day after the day of its as-of instant (the CRM's clock).
select count(*) as row_count, max(as_of_at) as as_of_at, max(as_of_date) as as_of_date
from {{ ref('int_data_as_of') }}
having count(*) <> 1
   or max(as_of_date) <> cast({{ dbt.dateadd('day', 1, reporting_date('max(as_of_at)')) }} as date)
