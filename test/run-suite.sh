#!/usr/bin/env bash
# `npm test`: every test file, in two lanes that run at the same time and share the tail of the
# work (docs/testing.md).
#
#   brokers  test/integration/kafka and test/integration/clickhouse, one file at a time: they start
#            Kafka brokers, a librdkafka mock or a clickhouse-server, and kill or freeze processes
#            against session timeouts: two of them at once would starve each other. The lane keeps
#            about one core busy (docs/testing.md). With TICKFLOW_REAL_KAFKA set, the files that
#            need an empty broker share that one, emptied between files (D94).
#   main     the unit tests in four shard processes (test/shards, test/helpers/shard.ts) and every
#            other file (e2e, the CLI-spawning integration tests), one at a time.
#
# The main files form one queue, longest first by test/durations.tsv (a hint for the order only:
# a file it does not list goes first, as if long). The main lane takes files from its head; the
# brokers lane, once its own files are done, takes from the same queue, so neither lane idles
# while the other still has work (D98). Each file runs in its own `node --test` and its output is
# printed whole when it ends, followed by "# file <path>: N s, lane L, exit N".
#
# Every file runs compiled: test/compile.ts writes <file>.compiled.js beside every source file
# first (esbuild's transform, the one tsx applies, done once rather than in every process's loader
# hooks) and removes them at the end (docs/testing.md, "Tests run compiled", D167). The lines
# printed still name the .ts files, and failures' stacks point into them (source maps).
#
# Every file still binds port 0 and its own temporary directory, so lanes never share a port.
# .ci/run sums every run's "# pass"/"# fail" lines (test/helpers/tap-summary.ts). Exit status:
# non-zero when any file failed.
set -uo pipefail
cd "$(dirname "$0")/.."

# Spec reporter on a terminal, TAP otherwise (what node chooses when it writes to the terminal).
reporter=()
[[ -t 1 ]] && reporter=(--test-reporter=spec)
mapfile -t brokers < <(find test/integration/kafka test/integration/clickhouse -name '*.test.ts' 2>/dev/null | LC_ALL=C sort)
mapfile -t main < <(
  {
    find test/shards -name 'unit-*.ts'
    find test -name '*.test.ts' -not -path 'test/unit/*' -not -path 'test/integration/kafka/*' -not -path 'test/integration/clickhouse/*'
  } | LC_ALL=C sort | awk -F'\t' 'NR == FNR { d[$2] = $1; next } { print ($0 in d ? d[$0] : 1e9) "\t" $0 }' test/durations.tsv - |
    LC_ALL=C sort -t$'\t' -k1,1gr -k2,2 | cut -f2
)

# Seconds one file may take; the longest takes about 110 s on a quiet machine.
FILE_LIMIT=${TICKFLOW_TEST_FILE_LIMIT:-600}
work=$(mktemp -d "${TMPDIR:-/tmp}/tickflow-suite-XXXXXX")
trap 'rm -rf "$work"; node --import tsx test/compile.ts --clean >/dev/null' EXIT
node --import tsx test/compile.ts || { echo "# npm test: compiling the tests failed"; exit 1; }
printf '%s\n' "${main[@]}" >"$work/queue"
echo 0 >"$work/next"
: >"$work/failed"

# The next main file, or nothing when the queue is empty.
claim() {
  local fd i
  exec {fd}>>"$work/lock"
  flock "$fd"
  i=$(<"$work/next")
  if ((i < ${#main[@]})); then
    echo $((i + 1)) >"$work/next"
    printf '%s' "${main[i]}"
  fi
  flock -u "$fd"
  exec {fd}>&-
}

# run_file LANE FILE [ENV=VALUE...]: run one file, print its output whole, record a failure.
run_file() {
  local lane=$1 file=$2 s=$SECONDS out rc fd
  shift 2
  out=$(mktemp "$work/out-XXXXXX")
  # A file that hangs (a test that never settles, a process left running) is killed with its
  # whole process group after FILE_LIMIT seconds and fails, named, instead of holding the suite.
  timeout --kill-after=10 "$FILE_LIMIT" env "$@" node --enable-source-maps --test "${reporter[@]}" "${file%.ts}.compiled.js" >"$out" 2>&1
  rc=$?
  ((rc == 124 || rc == 137)) && echo "# ${file}: killed after ${FILE_LIMIT} s (the file's limit): it did not end" >>"$out"
  exec {fd}>>"$work/lock"
  flock "$fd"
  cat "$out"
  echo "# file ${file}: $((SECONDS - s)) s, lane ${lane}, exit ${rc}"
  ((rc == 0)) || echo "$file" >>"$work/failed"
  flock -u "$fd"
  exec {fd}>&-
  rm -f "$out"
}

# drain LANE: run main files from the queue until it is empty.
drain() {
  local file n=0
  while file=$(claim) && [[ -n $file ]]; do
    run_file "$1" "$file"
    n=$((n + 1))
  done
  echo "$n" >"$work/drained-$1"
}

start=$SECONDS
(
  for file in "${brokers[@]}"; do
    # One broker file at a time, so the shared broker (TICKFLOW_REAL_KAFKA, .ci/run starts it) is
    # the running file's alone: a file that needs empty catalogue topics empties it rather than
    # starting a broker of its own (test/helpers/kafka-broker.ts, decisions D94).
    run_file brokers "$file" TICKFLOW_REAL_KAFKA_EXCLUSIVE=1
  done
  b=$((SECONDS - start))
  drain brokers
  echo "# lane brokers: ${#brokers[@]} broker files in ${b} s, then $(<"$work/drained-brokers") main files, $((SECONDS - start)) s"
) &
brokers_pid=$!

drain main
echo "# lane main: $(<"$work/drained-main") files, $((SECONDS - start)) s"
wait "$brokers_pid"

failed=$(wc -l <"$work/failed")
((failed == 0)) || { echo "# files that failed:"; sed 's/^/#   /' "$work/failed"; }
echo "# npm test: $((${#brokers[@]} + ${#main[@]})) files, $((SECONDS - start)) s wall"
((failed == 0))
