#!/usr/bin/env bash
# `civitas rebuild` end to end, reproducible on one machine: a private nats-server and a
# fresh PostgreSQL database, `serve residents` and `serve projection`, COMMANDS
# RegisterHousehold commands through `civitas bench pipeline`, then the projection is
# stopped and `civitas rebuild --no-swap` reads the residents event log over gRPC into a
# fresh schema; it prints its own events/s and the wall time.
#
#   CIVITAS=target/release/civitas COMMANDS=100000 deploy/bench/rebuild.sh
set -euo pipefail
civitas="${CIVITAS:-target/release/civitas}"
commands="${COMMANDS:-100000}"
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null || true; psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; exit 1; }
np=$(port); "${NATS_SERVER_BIN:-nats-server}" -js -a 127.0.0.1 -p $np -sd $work/nats > $work/nats.log 2>&1 & pids+=($!); wait_port $np
db="civitas_rb_$$"; psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db"
url="postgres://postgres@127.0.0.1:5432/$db"; nats="nats://127.0.0.1:$np"
$civitas keys --dir $work/keys > /dev/null
r=$(port); p=$(port)
$civitas serve residents --database-url $url --nats-url $nats --listen 127.0.0.1:$r --keys-dir $work/keys > $work/r.log 2>&1 & pids+=($!); wait_port $r
$civitas serve projection --database-url $url --nats-url $nats --listen 127.0.0.1:$p --keys-dir $work/keys --event-log residents=http://127.0.0.1:$r > $work/p.log 2>&1 & pids+=($!); wait_port $p
$civitas bench pipeline --residents http://127.0.0.1:$r --projection http://127.0.0.1:$p --keys-dir $work/keys --commands "$commands" --concurrency 64 | head -3
kill ${pids[2]}; sleep 1
for i in 1 2; do
  start=$(date +%s.%N)
  $civitas rebuild --database-url $url --event-log residents=http://127.0.0.1:$r --keys-dir $work/keys --no-swap 2>&1 | tail -2
  end=$(date +%s.%N); echo "wall $(echo "$end - $start" | bc) s"
done
