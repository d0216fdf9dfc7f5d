"""Pipeline benchmark: `make bench` (medium preset), `make bench PRESET=large`, or
`python -m orchestration.bench --preset small --skip ratelimit`.

One command measures, against the CRM sandbox on this machine:

- paging: the sandbox's own paging rate (ingestion/sandbox/bench.py);
- baseline: every listing the connector reads, fetched with plain httpx into
  newline-delimited JSON files and loaded by DuckDB's built-in read_json;
- extract: the dlt pipeline (extract, normalize, load as parquet) into a fresh DuckDB file,
  in a child process (its peak memory is its own), compared with read_json;
- nightly: the whole nightly Dagster job in this process, per step;
- incremental: the nightly job again after one simulated day (POST /_sandbox/clock);
- spark: the nightly and next-day runs again with WAREHOUSE_ENGINE=spark, on a local
  standalone cluster from the pyspark package, as ratios to the DuckDB engine's;
- ratelimit: extraction from a sandbox allowing 100 requests per 10 s, with the client
  limited to 100: how much of the limit is used, and that no request was refused.

Peak memory (max RSS) of the pipeline processes, dbt and the sandbox is sampled throughout.
A summary with targets and PASS/MISS is printed and written as markdown to
data/bench/latest.md, with dbt's output of both nightly runs beside it. Exit status 0 when
everything was measured (a MISS is a result), 1 when a section failed.

One module per section (paging, baseline, extract, nightly with incremental, spark, ratelimit),
run in order by sections.py; cli.py is the command line, report.py the summary,
processes.py the memory and CPU sampling, progress.py the progress bars, children.py the
child processes whose peak memory is their own.
"""
