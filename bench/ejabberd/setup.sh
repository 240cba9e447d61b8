#!/bin/bash
# Provision ejabberd (Debian's package, 23.01) as a performance peer for
# hippo-bench: installs the packages, creates the PostgreSQL database with
# ejabberd's schema, starts ejabberd with bench/ejabberd/ejabberd.yml pinned
# to the CPUs in $EJABBERD_CPUS (default 0), registers the bench users and
# creates the persistent MUC rooms. Idempotent: run it again and it only
# does what is missing (and empties the message archive, so every run starts
# from the same state).
#
# LOOPBACK BENCH ONLY: plain c2s on 127.0.0.1:5222, SASL PLAIN without TLS,
# plain-text password storage, no shaping. See ejabberd.yml.
#
#   bench/ejabberd/setup.sh                 # 100 users, 10 rooms of 10 members
#   EJABBERD_CPUS=0 bench/ejabberd/setup.sh
#   bench/ejabberd/stop.sh
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
USERS="${BENCH_USERS:-100}"
ROOMS="${BENCH_ROOMS:-10}"
MEMBERS="${BENCH_MEMBERS:-10}"
PASSWORD="${BENCH_PASSWORD:-bench-password-long-enough}"
CPUS="${EJABBERD_CPUS:-0}"
DB="ejabberd_bench"
PG=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres)
DOMAIN="localhost"
MUC="conference.localhost"
CONFIG="/etc/ejabberd/ejabberd-bench.yml"
CTL_CONFIG="/etc/ejabberd/ejabberdctl-bench.cfg"
ctl() { ejabberdctl --ctl-config "$CTL_CONFIG" "$@"; }

if (( ROOMS * MEMBERS > USERS )); then
    echo "rooms × members ($ROOMS × $MEMBERS) exceeds users ($USERS)" >&2
    exit 2
fi

# 1. Packages (Debian bookworm: ejabberd 23.01; the PostgreSQL driver is a
#    separate package). The package's own service is not used.
if [ "$(dpkg-query -W -f='${Status}\n' ejabberd erlang-p1-pgsql 2>/dev/null \
        | grep -c '^install ok installed$')" != 2 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y ejabberd erlang-p1-pgsql
fi

# 2. PostgreSQL: the database and ejabberd's schema.
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2
    exit 1
fi
if [ -z "$("${PG[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    "${PG[@]}" -d postgres -c "CREATE DATABASE $DB"
fi
if [ -z "$("${PG[@]}" -d "$DB" -tAc "SELECT to_regclass('public.archive')")" ]; then
    SCHEMA=/usr/share/ejabberd/sql/pg.sql
    [ -f "$SCHEMA" ] || SCHEMA="$(ls /usr/lib/ejabberd*/priv/sql/pg.sql | head -n 1)"
    "${PG[@]}" -d "$DB" -f "$SCHEMA"
fi
# Every run starts from an empty archive.
"${PG[@]}" -d "$DB" -c "TRUNCATE archive"

# 3. The configuration, readable by the ejabberd user (and ejabberdctl's own
#    settings: Debian's would point it back at /etc/ejabberd/ejabberd.yml).
install -m 0644 "$HERE/ejabberd.yml" "$CONFIG"
install -m 0644 "$HERE/ejabberdctl.cfg" "$CTL_CONFIG"
mkdir -p /run/ejabberd && chown ejabberd:ejabberd /run/ejabberd

# 4. ejabberd, with this configuration, on $CPUS. A node that is already up
#    is stopped first, so the pinning and the configuration are always ours.
if ctl status >/dev/null 2>&1; then
    ctl stop >/dev/null
    ctl stopped >/dev/null || true
fi
taskset -c "$CPUS" ejabberdctl --ctl-config "$CTL_CONFIG" start
ctl started

# 5. Users bench0 … bench{USERS-1}.
registered="$(ctl registered_users "$DOMAIN")"
for ((u = 0; u < USERS; u++)); do
    if ! grep -qx "bench$u" <<<"$registered"; then
        ctl register "bench$u" "$DOMAIN" "$PASSWORD" >/dev/null
    fi
done

# 6. Rooms room0 … room{ROOMS-1}, persistent, archived (MAM), each with its
#    MEMBERS users as members: room r holds bench{r*MEMBERS} … bench{r*MEMBERS+MEMBERS-1}.
rooms="$(ctl muc_online_rooms global)"
for ((r = 0; r < ROOMS; r++)); do
    room="room$r"
    if ! grep -qx "$room@$MUC" <<<"$rooms"; then
        ctl create_room "$room" "$MUC" "$DOMAIN"
    fi
    ctl change_room_option "$room" "$MUC" persistent true
    ctl change_room_option "$room" "$MUC" mam true
    affiliations="$(ctl get_room_affiliations "$room" "$MUC")"
    for ((m = 0; m < MEMBERS; m++)); do
        u="bench$((r * MEMBERS + m))"
        if ! grep -q "^$u[[:space:]]$DOMAIN[[:space:]]member" <<<"$affiliations"; then
            ctl set_room_affiliation "$room" "$MUC" "$u@$DOMAIN" member
        fi
    done
done

pid="$(pgrep -u ejabberd -x beam.smp | head -n 1)"
echo "ejabberd up: beam.smp pid $pid on CPUs $(taskset -cp "$pid" | sed 's/.*: //'), $USERS users, $ROOMS rooms × $MEMBERS members"
