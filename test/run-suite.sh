#!/usr/bin/env bash
# `npm test`: every test file, in two lanes that run at the same time (docs/testing.md).
#
#   brokers  test/integration/kafka and test/integration/clickhouse, one file at a time: they start
#            Kafka brokers, a librdkafka mock or a clickhouse-server, and kill or freeze processes
#            against session timeouts: two of them at once would starve each other. The lane keeps
#            about one core busy (docs/testing.md). With TICKFLOW_REAL_KAFKA set, the files that
#            need an empty broker share that one, emptied between files (D94).
#   main     the unit tests in four shard processes (test/shards, test/helpers/shard.ts) and every
#            other file (e2e, the CLI-spawning integration tests), TEST_CONCURRENCY files at a time
#            (default 1: with the brokers lane beside it that keeps this 2-core machine at about
#            two busy cores, so the timing-sensitive group tests are not starved).
#
# Every file still binds port 0 and its own temporary directory, so lanes never share a port.
# The main lane's output streams; the brokers lane's is printed after it (node's TAP reporter when
# not on a terminal: .ci/run sums both lanes' counts, test/helpers/tap-summary.ts). Exit status:
# non-zero when either lane failed.
set -uo pipefail
cd "$(dirname "$0")/.."

concurrency=${TEST_CONCURRENCY:-1}
# The brokers lane writes to a file: give it the reporter the terminal gets (spec on a terminal,
# TAP otherwise, as node chooses for the main lane).
reporter=()
[[ -t 1 ]] && reporter=(--test-reporter=spec)
mapfile -t brokers < <(find test/integration/kafka test/integration/clickhouse -name '*.test.ts' 2>/dev/null | LC_ALL=C sort)
mapfile -t main < <(
  find test/shards -name 'unit-*.ts' | LC_ALL=C sort
  find test -name '*.test.ts' -not -path 'test/unit/*' -not -path 'test/integration/kafka/*' -not -path 'test/integration/clickhouse/*' | LC_ALL=C sort
)

brokers_out=$(mktemp "${TMPDIR:-/tmp}/tickflow-brokers-lane-XXXXXX")
trap 'rm -f "$brokers_out"' EXIT
start=$SECONDS
brokers_rc=0
if ((${#brokers[@]})); then
  (
    s=$SECONDS
    # One file at a time, so the shared broker (TICKFLOW_REAL_KAFKA, .ci/run starts it) is the
    # running file's alone: a file that needs empty catalogue topics empties it rather than
    # starting a broker of its own (test/helpers/kafka-broker.ts, decisions D94).
    TICKFLOW_REAL_KAFKA_EXCLUSIVE=1 node --import tsx --test --test-concurrency=1 "${reporter[@]}" "${brokers[@]}" >"$brokers_out" 2>&1
    rc=$?
    echo "# lane brokers: ${#brokers[@]} files, $((SECONDS - s)) s, exit ${rc}" >>"$brokers_out"
    exit "$rc"
  ) &
  brokers_pid=$!
fi

node --import tsx --test --test-concurrency="$concurrency" "${main[@]}"
main_rc=$?
echo "# lane main: ${#main[@]} files, $((SECONDS - start)) s, exit ${main_rc}"

if ((${#brokers[@]})); then
  wait "$brokers_pid"
  brokers_rc=$?
  cat "$brokers_out"
fi
echo "# npm test: $((SECONDS - start)) s wall"
((main_rc == 0 && brokers_rc == 0))
