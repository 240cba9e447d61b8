#!/bin/bash
# `hippo` pinned to the CPUs in $HIPPO_CPUS (default 0), for
# `hippo-bench --hippo bench/ejabberd/hippo-pinned.sh`: hippo-bench spawns
# the server (and its admin CLI) through this, so the server runs on core 0
# while `taskset -c 1 hippo-bench` keeps the load generator on core 1, the
# same split as ejabberd vs xmpp-bench. `exec` keeps the pid, so
# hippo-bench's CPU and RSS figures are still the server's.
HERE="$(cd "$(dirname "$0")" && pwd)"
exec taskset -c "${HIPPO_CPUS:-0}" "${HIPPO_BIN:-$HERE/../../target/release/hippo}" "$@"
