#!/bin/bash
# Stop the ejabberd node started by bench/ejabberd/setup.sh (data stays in
# the ejabberd_bench database; setup.sh starts it again).
set -euo pipefail
if ejabberdctl --ctl-config /etc/ejabberd/ejabberdctl-bench.cfg status >/dev/null 2>&1; then
    ejabberdctl --ctl-config /etc/ejabberd/ejabberdctl-bench.cfg stop
    ejabberdctl --ctl-config /etc/ejabberd/ejabberdctl-bench.cfg stopped
else
    echo "ejabberd is not running"
fi
