-- Counts, sums and medians per company x reporting month; the mart derives every rate from these.
{{ month_totals('company') }}
