#!/usr/bin/env bash
# What PostgreSQL does per message send under hippo-bench: transactions,
# rows written and WAL bytes per accepted message, and what active sessions
# wait on (sampled every 200 ms from pg_stat_activity) during the run.
#
#   bench/pg-cost.sh BIN_DIR [hippo-bench options…]
#   bench/pg-cost.sh target/release --nodes 2 --seconds 10
#
# BIN_DIR holds `hippo` and `hippo-bench` (a build of any commit). The
# counters are database-wide, so the bench's setup (users, conversations)
# is counted too; it is small next to the sends.
set -euo pipefail
bin="$1"; shift
url="${HIPPO_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
q() { psql "$url" -Atc "$1"; }
counters() {
  q "select xact_commit, tup_inserted, tup_updated, tup_deleted, pg_current_wal_lsn() - '0/0'::pg_lsn
     from pg_stat_database where datname = current_database()"
}
waits="$(mktemp)"
( while :; do
    q "select coalesce(wait_event_type || ':' || wait_event, 'cpu') from pg_stat_activity
       where datname = current_database() and state = 'active' and pid <> pg_backend_pid()" >>"$waits" || true
    sleep 0.2
  done ) &
sampler=$!
before="$(counters)"
out="$("$bin/hippo-bench" --hippo "$bin/hippo" --database-url "$url" "$@")"
after="$(counters)"
kill "$sampler" 2>/dev/null || true
echo "$out"
accepted="$(echo "$out" | sed -n 's/^accepted: \([0-9]*\) .*/\1/p' | head -1)"
python3 - "$before" "$after" "${accepted:-0}" "$waits" <<'PY'
import sys, collections
b = [int(x) for x in sys.argv[1].split('|')]
a = [int(x) for x in sys.argv[2].split('|')]
n = int(sys.argv[3]) or 1
names = ["transactions", "rows inserted", "rows updated", "rows deleted", "WAL bytes"]
print(f"per accepted message ({n}):", ", ".join(f"{k} {(a[i]-b[i])/n:.1f}" for i, k in enumerate(names)))
c = collections.Counter(l.strip() for l in open(sys.argv[4]) if l.strip())
total = sum(c.values()) or 1
print("active sessions by wait event (share of samples):",
      ", ".join(f"{k} {v/total:.0%}" for k, v in c.most_common(8)))
PY
rm -f "$waits"
