#!/usr/bin/env bash
# Benchmark of the anagrafe pipeline: metrodati against DuckDB doing the same conversion in SQL.
#
#   bench/run.sh [--scale S] [--repeat N] [--reuse-sample] [--skip-build] [--workers N] [--threads N]
#
#   --scale S        sample size, 1.0 = full size (~3.2 million residents, the default)
#   --reuse-sample   keep the sample of a previous run at the same scale (otherwise regenerated)
#   --skip-build     use the release binary already in target-bench/
#   --workers N      metrodati `run --workers` (default 2)
#   --threads N      DuckDB `SET threads` (default 2)
#   --repeat N       run the two tools N times, alternately (default 1); the summary reports the
#                    fastest run of each tool and lists every run (other work on the machine adds noise)
#
# Environment: CARGO_BUILD_JOBS (default 1, so that a shared machine stays usable),
# BENCH_DIR (default <repo>/target-bench), BENCH_DATA_DIR (default $BENCH_DIR/data).
#
# Steps (everything is written under $BENCH_DIR, ignored by git):
#   1. installs what is missing: GNU time (apt), the duckdb Python package (pip); needs Python 3.11+;
#   2. builds the release binary: CARGO_TARGET_DIR=$BENCH_DIR cargo build --release --locked;
#   3. bench/make_csv_sources.py writes CSV-only source definitions ($BENCH_DIR/bench-config/comuni:
#      Parquet/XLSX/ODS comuni get the CSV layout of a CSV comune) and a settings file;
#   4. `metrodati sample --scale S` writes the sample (timed, not part of the comparison);
#   5. `metrodati run anagrafe --force --workers N` on a fresh store and catalog, under
#      /usr/bin/time -v: wall time, rows read, rows/s, peak RSS (input files warm in the page cache);
#   6. bench/duckdb_anagrafe.py: the same conversion and checks in DuckDB SQL, threads N, default
#      memory limit, under /usr/bin/time -v (steps 5 and 6 repeated --repeat times);
#   7. bench/compare_outputs.py compares the two tools' persona/residenza/famiglia tables (not timed);
#   8. bench/report.py prints the summary table with the metrodati/DuckDB ratios and writes
#      $BENCH_DIR/results.md.
# Targets (issue #2): metrodati faster than DuckDB on this work, and peak memory under 1 GiB.
# The script reports them; it fails only if a step fails, not if a target is missed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_dir="${BENCH_DIR:-$repo/target-bench}"
data_dir="${BENCH_DATA_DIR:-$bench_dir/data}"
config_dir="$bench_dir/bench-config"
logs="$bench_dir/logs"
scale=1.0
reuse_sample=0
skip_build=0
workers=2
threads=2
repeat=1

while [[ $# -gt 0 ]]; do
  case "$1" in
    --scale) scale="$2"; shift 2 ;;
    --scale=*) scale="${1#*=}"; shift ;;
    --reuse-sample) reuse_sample=1; shift ;;
    --skip-build) skip_build=1; shift ;;
    --workers) workers="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
mkdir -p "$bench_dir" "$logs"

step "1. tools"
if [[ ! -x /usr/bin/time ]]; then
  echo "installing GNU time"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time) >/dev/null
fi
python=${PYTHON:-python3}
if ! "$python" -c 'import sys, tomllib; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  if command -v python3.11 >/dev/null; then python=python3.11; else
    echo "Python 3.11+ is needed (tomllib)" >&2; exit 1; fi
fi
if ! "$python" -c 'import duckdb' 2>/dev/null; then
  echo "installing duckdb (PyPI)"
  "$python" -m pip install --quiet duckdb
fi
"$python" -c 'import duckdb, sys; print("python", sys.version.split()[0], "duckdb", duckdb.__version__)'
/usr/bin/time --version 2>&1 | head -1

step "2. release build (CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1})"
bin="$bench_dir/release/metrodati"
if [[ $skip_build -eq 0 ]]; then
  build_start=$(date +%s)
  (cd "$repo" && CARGO_TARGET_DIR="$bench_dir" CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" \
    cargo build --release --locked 2>&1 | tail -3)
  echo "build: $(( $(date +%s) - build_start ))s"
fi
[[ -x "$bin" ]] || { echo "no binary at $bin" >&2; exit 1; }

step "3. CSV-only source definitions"
"$python" "$repo/bench/make_csv_sources.py" --repo "$repo" --out "$config_dir" --data-dir "$data_dir" \
  | tail -3
settings="$config_dir/metrodati.toml"
"$bin" --config "$settings" check >"$logs/check.log" 2>&1 || { cat "$logs/check.log"; exit 1; }
tail -1 "$logs/check.log"

step "4. sample --scale $scale (not part of the comparison)"
marker="$data_dir/.bench-sample"
want="scale=$scale definitions=$(cat "$config_dir"/comuni/*.toml | sha256sum | cut -c1-16)"
if [[ $reuse_sample -eq 1 && -f "$marker" && "$(cat "$marker")" == "$want" ]]; then
  echo "reusing the sample in $data_dir/sample ($want)"
else
  rm -rf "$data_dir/sample" "$marker"
  /usr/bin/time -v -o "$logs/sample.time" "$bin" --config "$settings" sample --scale "$scale" \
    >"$logs/sample.log" 2>&1 || { tail -20 "$logs/sample.log"; exit 1; }
  grep -E '^sample:' "$logs/sample.log" || true
  echo "$want" >"$marker"
fi
echo "input: $(du -sh --apparent-size "$data_dir/sample" | cut -f1) in $(find "$data_dir/sample" -type f | wc -l) files"

duck_out="$bench_dir/duckdb-out"
rm -f "$logs"/metrodati-*.time "$logs"/duckdb-*.time "$logs"/load-*.txt
for ((i = 1; i <= repeat; i++)); do
  step "5. metrodati run anagrafe --force --workers $workers (run $i/$repeat)"
  rm -rf "$data_dir/store" "$data_dir/quarantine" "$data_dir"/catalog.sqlite*
  cut -d' ' -f1-3 /proc/loadavg >"$logs/load-metrodati-$i.txt"
  set +e
  /usr/bin/time -v -o "$logs/metrodati-$i.time" "$bin" --config "$settings" run anagrafe --force \
    --workers "$workers" >"$logs/metrodati.log" 2>"$logs/metrodati.err"
  rc=$?
  set -e
  grep -E '^run [0-9]+ job' "$logs/metrodati.log" || true
  [[ $rc -eq 0 ]] || { echo "metrodati exited with $rc (see $logs/metrodati.log)" >&2; tail -20 "$logs/metrodati.err" >&2; exit 1; }

  step "6. DuckDB (threads $threads, default memory limit) (run $i/$repeat)"
  cut -d' ' -f1-3 /proc/loadavg >"$logs/load-duckdb-$i.txt"
  set +e
  /usr/bin/time -v -o "$logs/duckdb-$i.time" "$python" "$repo/bench/duckdb_anagrafe.py" --config "$settings" \
    --out "$duck_out" --threads "$threads" --repo "$repo" >"$logs/duckdb.log" 2>&1
  rc=$?
  set -e
  tail -2 "$logs/duckdb.log"
  [[ $rc -eq 0 ]] || { echo "duckdb_anagrafe.py exited with $rc (see $logs/duckdb.log)" >&2; exit 1; }
done

step "7. same output? (not timed)"
"$python" "$repo/bench/compare_outputs.py" "$data_dir/store/interop" "$duck_out" | tee "$logs/compare.log"

step "8. summary"
cmd="bench/run.sh --scale $scale"
[[ $repeat -eq 1 ]] || cmd+=" --repeat $repeat"
"$python" "$repo/bench/report.py" --logs "$logs" --catalog "$data_dir/catalog.sqlite" \
  --duckdb-summary "$duck_out/summary.json" --scale "$scale" --workers "$workers" --threads "$threads" \
  --command "$cmd" \
  --input "$data_dir/sample" --out "$bench_dir/results.md"
