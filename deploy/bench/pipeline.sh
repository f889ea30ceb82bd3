#!/usr/bin/env bash
# The pipeline benchmark of BENCHMARKS.md, reproducible on one machine:
# a private nats-server and a fresh PostgreSQL database, `serve residents` and
# `serve projection` from the given binary, then `civitas bench pipeline` with the
# per-stage breakdown from both processes' /metrics, and (distributed mode) its naive
# baseline first: a plain INSERT then a JetStream publish per command, same database
# and nats-server, same concurrency. Everything runs on 127.0.0.1 and
# is stopped at the end.
#
#   deploy/bench/pipeline.sh [distributed|embedded] [bench flags…]
#   CIVITAS=target/release/civitas deploy/bench/pipeline.sh distributed --rate 1000 --commands 60000
#
# Needs: PostgreSQL on 127.0.0.1:5432 (user postgres, trust) for distributed mode,
# `nats-server` on PATH (or NATS_SERVER_BIN), and `psql`.
set -euo pipefail
civitas="${CIVITAS:-target/release/civitas}"
mode="${1:-distributed}"
shift || true
[ -x "$civitas" ] || { echo "no civitas binary at $civitas (cargo build --release -p civitas)" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${db:-}" ] && psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 200); do (echo > "/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

if [ "$mode" = embedded ]; then
  grpc=$(port)
  "$civitas" up --data-dir "$work/data" --listen "127.0.0.1:$grpc" > "$work/up.log" 2>&1 &
  pids+=($!)
  wait_port "$grpc"
  "$civitas" bench pipeline --residents "http://127.0.0.1:$grpc" --projection "http://127.0.0.1:$grpc" \
    --keys-dir "$work/data" "$@"
  exit 0
fi

nats_port=$(port)
"${NATS_SERVER_BIN:-nats-server}" -js -a 127.0.0.1 -p "$nats_port" -sd "$work/nats" > "$work/nats.log" 2>&1 &
pids+=($!)
wait_port "$nats_port"
db="civitas_bench_$$"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $db" >/dev/null
url="postgres://postgres@127.0.0.1:5432/$db"
nats="nats://127.0.0.1:$nats_port"
"$civitas" keys --dir "$work/keys" > /dev/null

residents=$(port); residents_metrics=$(port); projection=$(port); projection_metrics=$(port)
"$civitas" serve residents --database-url "$url" --nats-url "$nats" --listen "127.0.0.1:$residents" \
  --keys-dir "$work/keys" --metrics-listen "127.0.0.1:$residents_metrics" > "$work/residents.log" 2>&1 &
pids+=($!)
wait_port "$residents"
"$civitas" serve projection --database-url "$url" --nats-url "$nats" --listen "127.0.0.1:$projection" \
  --keys-dir "$work/keys" --metrics-listen "127.0.0.1:$projection_metrics" \
  --event-log "residents=http://127.0.0.1:$residents" > "$work/projection.log" 2>&1 &
pids+=($!)
wait_port "$projection"

"$civitas" bench pipeline --residents "http://127.0.0.1:$residents" --projection "http://127.0.0.1:$projection" \
  --keys-dir "$work/keys" --baseline-database-url "$url" --baseline-nats-url "$nats" \
  --metrics "http://127.0.0.1:$residents_metrics/metrics" --metrics "http://127.0.0.1:$projection_metrics/metrics" "$@"
