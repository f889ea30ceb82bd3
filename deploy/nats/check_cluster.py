#!/usr/bin/env python3
"""Runs the shipped NATS configs as a real 3-node cluster on 127.0.0.1 and checks them.

Called by check.sh (which picks the nats-server binary, sets the password variables
and bounds the run with `timeout`). Only the listen addresses, ports and store
directories are overridden (flags -a/-p/-m/--cluster and the variables NATS_ROUTES and
NATS_STORE_DIR, which compose sets too); accounts, users, permissions,
JetStream settings and the cluster's route authorization come from the files.

Exit status 0 when every check passed, 1 otherwise. Needs nats-py.
"""

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import nats
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import BadRequestError, ServiceUnavailableError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

STREAM = "CIVITAS_EVENTS"
WRITERS = ["residents", "activities", "volunteering", "safety"]
ANALYST = "analyst_gulou"
ANALYST_INBOX = "_INBOX.analyst_gulou"
OPERATIONS = "operations"
OPERATIONS_INBOX = "_INBOX.operations"

failures: list[str] = []
passes = 0


def ok(what: str) -> None:
    global passes
    passes += 1
    print(f"  ok    {what}", flush=True)


def fail(what: str) -> None:
    failures.append(what)
    print(f"  FAIL  {what}", flush=True)


def check(cond: bool, what: str) -> None:
    ok(what) if cond else fail(what)


def password(user: str) -> str:
    """The password of `user`: <USER>_NATS_PASSWORD holds it in double quotes, the
    form the server needs (see cluster.conf); a client sends it without them."""
    value = os.environ[f"{user.upper()}_NATS_PASSWORD"]
    if not (len(value) >= 2 and value[0] == value[-1] == '"'):
        raise SystemExit(f"{user.upper()}_NATS_PASSWORD must be in double quotes, as compose passes it")
    return value[1:-1]


async def retry_unavailable(make, attempts: int = 30):
    """Runs `make()` again while clustered JetStream is still settling, as real clients
    must: 503 (temporarily unavailable, e.g. a consumer or stream leader not elected
    yet) and 10005 "no suitable peers for placement" (the meta layer does not yet see
    enough current peers for 3 replicas)."""
    for i in range(attempts):
        try:
            return await make()
        except (ServiceUnavailableError, BadRequestError) as e:
            settling = isinstance(e, ServiceUnavailableError) or getattr(e, "err_code", None) == 10005
            if not settling or i == attempts - 1:
                raise
            await asyncio.sleep(0.5)


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Cluster:
    def __init__(self, server: str, conf_dir: str, work: str, pidfile: str | None = None):
        self.server, self.conf_dir, self.work, self.pidfile = server, conf_dir, work, pidfile
        p = free_ports(9)
        self.client = p[0:3]
        self.route = p[3:6]
        self.http = p[6:9]
        self.procs: list[subprocess.Popen] = []
        self.logs: list[str] = []

    def start(self) -> None:
        route_pw = password("ROUTE")
        routes = "[" + ", ".join(f'"nats://route:{route_pw}@127.0.0.1:{p}"' for p in self.route) + "]"
        for i in range(3):
            store = os.path.join(self.work, f"nats-{i + 1}")
            log = os.path.join(self.work, f"nats-{i + 1}.log")
            self.logs.append(log)
            cmd = [
                self.server,
                "-c", os.path.join(self.conf_dir, f"nats-{i + 1}.conf"),
                "-a", "127.0.0.1",
                "-p", str(self.client[i]),
                "-m", str(self.http[i]),
                # --cluster replaces the config's listen address and, when it carries
                # no credentials, also clears the route authorization: pass the same
                # user and password the config sets.
                "--cluster", f"nats://route:{route_pw}@127.0.0.1:{self.route[i]}",
                "-l", log,
            ]
            env = {**os.environ, "NATS_STORE_DIR": store, "NATS_ROUTES": routes}
            self.procs.append(subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                               stdout=subprocess.DEVNULL,
                                               stderr=subprocess.STDOUT,
                                               start_new_session=True))
            if self.pidfile:
                with open(self.pidfile, "a", encoding="ascii") as f:
                    f.write(f"{self.procs[-1].pid}\n")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        deadline = time.time() + 10
        for p in self.procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def url(self, i: int = 0) -> str:
        return f"nats://127.0.0.1:{self.client[i]}"

    def monitor(self, i: int, path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http[i]}{path}", timeout=2) as r:
            return r.status, json.loads(r.read() or b"{}")

    def healthy(self, i: int) -> bool:
        try:
            status, _ = self.monitor(i, "/healthz")
            return status == 200
        except Exception:
            return False

    def meta_ready(self) -> bool:
        """Every node knows the same meta leader, and the leader sees both other peers
        as current."""
        try:
            metas = [self.monitor(i, "/jsz")[1].get("meta_cluster") or {} for i in range(3)]
        except Exception:
            return False
        leaders = {m.get("leader") for m in metas}
        if len(leaders) != 1 or not all(leaders):
            return False
        # The leader's view is the one that does not list the leader (2.15 followers
        # report replicas too, including the leader, with their own idea of "current").
        leader = leaders.pop()
        views = [m.get("replicas") or [] for m in metas]
        peers = next((v for v in views if v and leader not in {p.get("name") for p in v}), [])
        return len(peers) == 2 and all(p.get("current") for p in peers)

    def dead(self) -> list[int]:
        return [i for i, p in enumerate(self.procs) if p.poll() is not None]

    def tail_logs(self) -> None:
        for log in self.logs:
            print(f"---- {log} (last 15 lines)")
            try:
                with open(log, encoding="utf-8", errors="replace") as f:
                    for line in f.readlines()[-15:]:
                        print("    " + line.rstrip())
            except OSError as e:
                print(f"    (unreadable: {e})")


class Conn:
    """A client connection that records the server's permission errors."""

    def __init__(self, user: str):
        self.user = user
        self.errors: list[str] = []
        self.nc = None

    async def open(self, cluster: Cluster, node: int = 0, inbox_prefix: str | None = None):
        async def error_cb(e):
            self.errors.append(str(e))

        kwargs = {}
        if inbox_prefix:
            kwargs["inbox_prefix"] = inbox_prefix
        self.nc = await nats.connect(
            servers=[cluster.url(node)],
            user=self.user,
            password=password(self.user),
            error_cb=error_cb,
            allow_reconnect=False,
            connect_timeout=5,
            name=f"check-{self.user}",
            **kwargs,
        )
        return self

    async def violation_for(self, subject: str, kind: str) -> bool:
        """True when the server reported a permissions violation for `subject`."""
        await self.nc.flush(timeout=5)
        for _ in range(20):
            for e in self.errors:
                low = e.lower()
                # nats-py lower-cases the server's -ERR text.
                if "permissions violation" in low and kind in low and f'"{subject.lower()}"' in low:
                    return True
            await asyncio.sleep(0.05)
        return False

    async def publish_denied(self, subject: str, what: str) -> None:
        await self.nc.publish(subject, b"x")
        check(await self.violation_for(subject, "publish"), what)

    async def subscribe_denied(self, subject: str, what: str) -> None:
        sub = await self.nc.subscribe(subject)
        check(await self.violation_for(subject, "subscription"), what)
        try:
            await sub.unsubscribe()
        except Exception:
            pass

    async def request(self, subject: str, body: dict | bytes = b"", timeout: float = 3):
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        for _ in range(10):
            msg = await self.nc.request(subject, payload, timeout=timeout)
            resp = json.loads(msg.data) if msg.data else {}
            # 503: clustered JetStream temporarily unavailable; clients retry.
            if resp.get("error", {}).get("code") != 503:
                break
            await asyncio.sleep(0.5)
        return resp

    async def api_denied(self, subject: str, body, what: str) -> None:
        try:
            resp = await self.request(subject, body, timeout=1.5)
            fail(f"{what} (got a reply: {resp})")
            return
        except (NatsTimeout, asyncio.TimeoutError):
            pass
        except NatsError as e:
            if "no responders" not in str(e).lower():
                fail(f"{what} (unexpected error {e!r})")
                return
        check(await self.violation_for(subject, "publish"), what)

    async def close(self):
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()


async def expect_connect_refused(cluster: Cluster, what: str, **kwargs) -> None:
    async def quiet(_e):
        pass

    try:
        nc = await nats.connect(servers=[cluster.url(1)], allow_reconnect=False, error_cb=quiet,
                                connect_timeout=3, max_reconnect_attempts=0, **kwargs)
    except Exception as e:  # authorization violation, or the connection closed on us
        ok(f"{what} ({type(e).__name__})")
        return
    await nc.close()
    fail(what)


async def run_checks(cluster: Cluster) -> None:
    print("[cluster]")
    for i in range(3):
        _, routez = cluster.monitor(i, "/routez")
        peers = {r.get("remote_name") or r.get("remote_id") for r in routez.get("routes", [])}
        check(len(peers) == 2, f"nats-{i + 1} has routes to both other nodes ({len(peers)} peers)")
    _, varz = cluster.monitor(0, "/varz")
    check(varz.get("server_name") == "nats-1", f"server_name from nats-1.conf ({varz.get('server_name')})")
    check(varz.get("max_payload") == 1024 * 1024, f"max_payload 1MiB ({varz.get('max_payload')})")
    js_cfg = varz.get("jetstream", {}).get("config", {})
    store_dir = js_cfg.get("store_dir", "")
    check(store_dir.startswith(cluster.work), f"JetStream store dir overridden to the temp dir ({store_dir})")
    if "sync_always" in js_cfg:  # reported from 2.10 on
        check(js_cfg["sync_always"] is True, "JetStream sync_interval: always is in force (/varz sync_always)")
    else:
        print("  info  this server does not report sync_always (before 2.10: no sync_interval option)")

    print("[authentication]")
    await expect_connect_refused(cluster, "anonymous client refused")
    await expect_connect_refused(cluster, "wrong password refused", user="residents", password="wrong")

    conns: list[Conn] = []
    try:
        print("[operations]")
        ops = await Conn(OPERATIONS).open(cluster, node=1, inbox_prefix=OPERATIONS_INBOX)
        conns.append(ops)
        ojs = ops.nc.jetstream()
        cfg = StreamConfig(name=STREAM, subjects=["civitas.evt.>"], num_replicas=3,
                           duplicate_window=120.0, storage="file")
        info = await retry_unavailable(lambda: ojs.add_stream(cfg))
        check(info.config.num_replicas == 3, "operations creates CIVITAS_EVENTS (replicas 3, file)")
        shorter = dataclasses.replace(cfg, duplicate_window=60.0)
        info = await retry_unavailable(lambda: ojs.update_stream(shorter))
        check(info.config.duplicate_window == 60.0, "operations updates CIVITAS_EVENTS (duplicate window 1m)")
        info = await retry_unavailable(lambda: ojs.update_stream(cfg))
        check(info.config.duplicate_window == 120.0, "operations updates it back (duplicate window 2m)")
        await ops.publish_denied("civitas.evt.residents.x", "operations denied publishing an event")
        await ops.subscribe_denied("civitas.evt.>", "operations cannot subscribe to events")
        await ops.subscribe_denied("_INBOX.>", "operations cannot subscribe to _INBOX.> (others' replies)")
        await asyncio.gather(
            ops.api_denied(f"$JS.API.STREAM.DELETE.{STREAM}", b"", "operations cannot delete the stream"),
            ops.api_denied(f"$JS.API.STREAM.PURGE.{STREAM}", b"", "operations cannot purge the stream"),
            ops.api_denied(f"$JS.API.STREAM.MSG.GET.{STREAM}", {"seq": 1},
                           "operations cannot read stored messages"),
            ops.api_denied(f"$JS.API.CONSUMER.CREATE.{STREAM}.ops.civitas.evt.>",
                           {"stream_name": STREAM, "config": {"name": "ops", "filter_subject": "civitas.evt.>"}},
                           "operations cannot create consumers"))

        print("[write services]")
        writers = {}
        for n, w in enumerate(WRITERS):
            writers[w] = await Conn(w).open(cluster, node=n % 3, inbox_prefix=f"_INBOX.{w}")
            conns.append(writers[w])
        res = writers["residents"]
        js = res.nc.jetstream()
        info = await writers["safety"].nc.jetstream().stream_info(STREAM)
        check(info.config.name == STREAM, "safety reads stream info")
        # The stream belongs to operations: no writer may create, change or delete it
        # (a changed subject list, limit or rollup setting would be theirs to make).
        await asyncio.gather(*(
            writers[w].api_denied(f"$JS.API.STREAM.{op}.{STREAM}", body, f"{w} cannot {op.lower()} the stream")
            for w in WRITERS
            for op, body in [("CREATE", cfg.as_dict()), ("UPDATE", {**cfg.as_dict(), "max_msgs": 1}),
                             ("DELETE", b"")]))
        # The stream lives on three nodes: a leader and two current replicas.
        for _ in range(50):
            info = await js.stream_info(STREAM)
            replicas = (info.cluster.replicas or []) if info.cluster else []
            if info.cluster and info.cluster.leader and len(replicas) == 2 and all(r.current for r in replicas):
                break
            await asyncio.sleep(0.2)
        check(bool(info.cluster and info.cluster.leader) and len(replicas) == 2,
              f"stream replicated on 3 nodes (leader {info.cluster.leader if info.cluster else None}, "
              f"{len(replicas)} replicas)")

        ack = await js.publish("civitas.evt.residents.x", b"e0", headers={"Nats-Msg-Id": "evt-0"})
        check(ack.stream == STREAM, "residents publishes to civitas.evt.residents.x (acked)")
        subj = "civitas.evt.residents.gulou.huafeng.xingfu.HouseholdRegistered"
        ack1 = await js.publish(subj, b"e1", headers={"Nats-Msg-Id": "evt-1"})
        ack2 = await js.publish(subj, b"e1", headers={"Nats-Msg-Id": "evt-1"})
        check(ack2.duplicate and ack2.seq == ack1.seq, "a republished Nats-Msg-Id is a duplicate")
        other = "civitas.evt.residents.taijiang.chazhong.lianhua.HouseholdRegistered"
        await js.publish(other, b"e2", headers={"Nats-Msg-Id": "evt-2"})
        await res.publish_denied("civitas.other", "residents denied civitas.other")
        await res.api_denied(f"$JS.API.STREAM.PURGE.{STREAM}", b"", "residents cannot purge the stream")
        await res.api_denied("$JS.API.STREAM.CREATE.OTHER", {"name": "OTHER", "subjects": ["o.>"]},
                             "residents cannot create another stream")
        await res.api_denied(f"$JS.API.CONSUMER.CREATE.{STREAM}.x", {"stream_name": STREAM},
                             "residents cannot create consumers")
        await res.subscribe_denied("civitas.evt.>", "residents cannot subscribe to events")
        for w in WRITERS:
            c = writers[w]
            await c.subscribe_denied("_INBOX.>", f"{w} cannot subscribe to _INBOX.> (others' replies)")
            if w != "residents":
                a = await c.nc.jetstream().publish(f"civitas.evt.{w}.gulou.huafeng.xingfu.Probe", b"p")
                check(a.stream == STREAM, f"{w} publishes to civitas.evt.{w}.> (acked)")
            for other in WRITERS:
                if other != w:
                    await c.publish_denied(f"civitas.evt.{other}.x", f"{w} denied civitas.evt.{other}.x")

        print("[projection]")
        proj = await Conn("projection").open(cluster, node=2, inbox_prefix="_INBOX.projection")
        conns.append(proj)
        await proj.subscribe_denied("_INBOX.>", "projection cannot subscribe to _INBOX.> (others' replies)")
        await proj.publish_denied("civitas.evt.residents.x", "projection denied civitas.evt.residents.x")
        await proj.publish_denied("civitas.evt.projection.x", "projection denied civitas.evt.projection.x")
        await proj.api_denied(f"$JS.API.STREAM.DELETE.{STREAM}", b"", "projection cannot delete the stream")
        await proj.api_denied(f"$JS.API.STREAM.UPDATE.{STREAM}", cfg.as_dict(),
                              "projection cannot update the stream")
        await proj.api_denied(f"$JS.API.STREAM.CREATE.{STREAM}", cfg.as_dict(),
                              "projection cannot create the stream")
        pjs = proj.nc.jetstream()
        psub = await retry_unavailable(
            lambda: pjs.pull_subscribe("civitas.evt.>", durable="projection", stream=STREAM))
        msgs = await retry_unavailable(lambda: psub.fetch(10, timeout=5))
        check(len(msgs) >= 3, f"projection pulls from its durable consumer ({len(msgs)} messages)")
        for m in msgs:
            await m.ack()
        await proj.nc.flush()
        for _ in range(50):  # acks reach the consumer's leader asynchronously
            ci = await pjs.consumer_info(STREAM, "projection")
            if ci.num_ack_pending == 0:
                break
            await asyncio.sleep(0.1)
        check(ci.num_ack_pending == 0, f"projection acks ({ci.num_ack_pending} acks pending)")

        print("[analyst_gulou]")
        ana = await Conn(ANALYST).open(cluster, node=1, inbox_prefix=ANALYST_INBOX)
        conns.append(ana)
        live = await ana.nc.subscribe("civitas.evt.residents.gulou.>")
        await ana.nc.flush()
        check(not await ana.violation_for("civitas.evt.residents.gulou.>", "subscription"),
              "analyst subscribes to civitas.evt.residents.gulou.>")
        await js.publish("civitas.evt.residents.gulou.dongjie.chaoyang.CareVisitCompleted", b"live",
                         headers={"Nats-Msg-Id": "evt-3"})
        try:
            m = await live.next_msg(timeout=3)
            check(m.data == b"live", "analyst receives a live gulou event")
        except Exception as e:
            fail(f"analyst receives a live gulou event ({e!r})")
        await ana.subscribe_denied("civitas.evt.residents.taijiang.>",
                                   "analyst cannot subscribe to another district")
        await ana.subscribe_denied("civitas.evt.>", "analyst cannot subscribe to civitas.evt.>")
        await ana.subscribe_denied("_INBOX.>", "analyst cannot subscribe to _INBOX.> (others' replies)")
        await ana.publish_denied("civitas.evt.residents.gulou.x", "analyst denied publishing an event")
        await ana.publish_denied("civitas.evt.analytics.gulou.x", "analyst denied publishing anything")
        await ana.api_denied(f"$JS.API.STREAM.UPDATE.{STREAM}", cfg.as_dict(),
                             "analyst cannot update the stream")

        # An ordered-style consumer: named, filter in the create subject, push to its
        # own inbox, no acks, flow control and heartbeats, removed when idle.
        flt = "civitas.evt.*.gulou.>"
        deliver = f"{ANALYST_INBOX}.{ana.nc.new_inbox().rsplit('.', 1)[-1]}"
        dsub = await ana.nc.subscribe(deliver)
        ccfg = {"name": "ana1", "deliver_subject": deliver, "filter_subject": flt,
                "ack_policy": "none", "deliver_policy": "all", "flow_control": True,
                "idle_heartbeat": 5_000_000_000, "inactive_threshold": 30_000_000_000,
                "mem_storage": True, "num_replicas": 1}
        resp = await ana.request(f"$JS.API.CONSUMER.CREATE.{STREAM}.ana1.{flt}",
                                 {"stream_name": STREAM, "config": ccfg, "action": "create"})
        check("error" not in resp, f"analyst creates a named push consumer on {flt} ({resp.get('error', 'created')})")
        got = []
        try:
            while True:
                m = await dsub.next_msg(timeout=2)
                if m.data:
                    got.append(m.subject)
        except Exception:
            pass
        check(len(got) >= 3 and all(".gulou." in s for s in got),
              f"analyst's consumer delivers gulou events only ({len(got)}: {sorted(set(got))})")

        # The same through a client library (nats-py puts name and filter in the subject).
        lib_deliver = f"{ANALYST_INBOX}.lib"
        lib_sub = await ana.nc.subscribe(lib_deliver)
        try:
            await retry_unavailable(lambda: ana.nc.jetstream().add_consumer(STREAM, ConsumerConfig(
                name="ana-lib", filter_subject="civitas.evt.residents.gulou.>",
                deliver_subject=lib_deliver, ack_policy=AckPolicy.NONE,
                deliver_policy=DeliverPolicy.ALL, flow_control=True, idle_heartbeat=5.0,
                inactive_threshold=30.0, mem_storage=True, num_replicas=1)))
            m = await lib_sub.next_msg(timeout=3)
            while not m.data:  # skip a heartbeat
                m = await lib_sub.next_msg(timeout=3)
            check(m.subject.startswith("civitas.evt.residents.gulou."),
                  f"nats-py add_consumer(name, filter_subject) works for the analyst ({m.subject})")
        except Exception as e:
            fail(f"nats-py add_consumer(name, filter_subject) works for the analyst ({e!r})")

        narrow = "civitas.evt.safety.gulou.huafeng.>"
        resp = await ana.request(f"$JS.API.CONSUMER.CREATE.{STREAM}.ana2.{narrow}",
                                 {"stream_name": STREAM, "config": {**ccfg, "name": "ana2",
                                                                    "filter_subject": narrow}})
        check("error" not in resp, f"analyst may narrow the filter ({narrow})")

        resp = await ana.request(f"$JS.API.CONSUMER.CREATE.{STREAM}.ana3.{flt}",
                                 {"stream_name": STREAM,
                                  "config": {**ccfg, "name": "ana3", "filter_subject": "civitas.evt.>"}})
        check("error" in resp, f"body filter differing from the subject's is refused by the server "
                               f"({resp.get('error', {}).get('description')})")
        body = {**ccfg, "name": "ana4"}
        del body["filter_subject"]
        resp = await ana.request(f"$JS.API.CONSUMER.CREATE.{STREAM}.ana4.{flt}",
                                 {"stream_name": STREAM, "config": {**body, "filter_subjects": ["civitas.evt.>"]}})
        check("error" in resp, f"filter_subjects in the body are refused by the server "
                               f"({resp.get('error', {}).get('description')})")

        for bad in ["civitas.evt.>", "civitas.evt.*.*.>", "civitas.evt.residents.taijiang.>",
                    "civitas.>", ">"]:
            await ana.api_denied(f"$JS.API.CONSUMER.CREATE.{STREAM}.ana5.{bad}",
                                 {"stream_name": STREAM, "config": {**ccfg, "name": "ana5", "filter_subject": bad}},
                                 f"analyst cannot create a consumer on {bad}")
        await ana.api_denied(f"$JS.API.CONSUMER.CREATE.{STREAM}",
                             {"stream_name": STREAM, "config": {**ccfg, "name": None}},
                             "analyst cannot use the legacy create (no filter in the subject)")
        await ana.api_denied(f"$JS.API.CONSUMER.CREATE.{STREAM}.ana6",
                             {"stream_name": STREAM, "config": {**ccfg, "name": "ana6"}},
                             "analyst cannot create a named consumer without the filter in the subject")
        await ana.api_denied(f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.ana7",
                             {"stream_name": STREAM, "config": {**ccfg, "durable_name": "ana7"}},
                             "analyst cannot use DURABLE.CREATE")
        await ana.api_denied(f"$JS.API.CONSUMER.CREATE.{STREAM}.projection.{flt}",
                             {"stream_name": STREAM,
                              "config": {"name": "projection", "durable_name": "projection",
                                         "filter_subject": flt, "ack_policy": "explicit"}},
                             "analyst cannot create/update a consumer named projection")
        await ana.api_denied(f"$JS.API.CONSUMER.DELETE.{STREAM}.projection", b"",
                             "analyst cannot delete the projection's consumer")
        await ana.api_denied(f"$JS.API.CONSUMER.INFO.{STREAM}.projection", b"",
                             "analyst cannot read consumer info")
        await ana.api_denied(f"$JS.API.CONSUMER.MSG.NEXT.{STREAM}.projection", {"batch": 1},
                             "analyst cannot pull from the projection's consumer")
        await ana.api_denied(f"$JS.API.STREAM.INFO.{STREAM}", b"", "analyst cannot read stream info")
        await ana.api_denied(f"$JS.API.STREAM.MSG.GET.{STREAM}", {"seq": 1},
                             "analyst cannot get stored messages directly")
        await ana.api_denied(f"$JS.API.DIRECT.GET.{STREAM}", {"seq": 1},
                             "analyst cannot use direct get")
        await ana.publish_denied(f"$JS.ACK.{STREAM}.projection.1.1.1.1.1", "analyst cannot ack messages")

        # A consumer whose deliver subject is a JetStream API subject must not turn
        # the analyst's read grant into a write: the server accepts such a consumer
        # (permissions cannot restrict deliver subjects), its deliveries must not act
        # as API requests. It delivers the stored gulou events at once.
        for n, target in enumerate([f"$JS.API.STREAM.DELETE.{STREAM}",
                                    f"$JS.API.CONSUMER.DELETE.{STREAM}.projection",
                                    f"$JS.API.STREAM.PURGE.{STREAM}"]):
            resp = await ana.request(f"$JS.API.CONSUMER.CREATE.{STREAM}.probe{n}.{flt}",
                                     {"stream_name": STREAM,
                                      "config": {**ccfg, "name": f"probe{n}", "deliver_subject": target}})
            print(f"  info  consumer delivering into {target}: "
                  f"{resp.get('error', {}).get('description', 'created by the server')}")
        resp = await ana.request(f"$JS.API.CONSUMER.CREATE.{STREAM}.ana9.{flt}",
                                 {"stream_name": STREAM,
                                  "config": {**ccfg, "name": "ana9",
                                             "deliver_subject": "civitas.evt.residents.gulou.loop"}})
        check("error" in resp, f"deliver subject inside the stream is refused "
                               f"({resp.get('error', {}).get('description')})")
        await js.publish("civitas.evt.residents.gulou.huafeng.heping.Probe", b"p",
                         headers={"Nats-Msg-Id": "evt-4"})
        await asyncio.sleep(1)
        try:
            info = await js.stream_info(STREAM)
            check(info.state.messages >= 5, f"stream intact after the delivery probes ({info.state.messages} messages)")
        except Exception as e:
            fail(f"stream intact after the delivery probes ({e!r})")
        ci = await pjs.consumer_info(STREAM, "projection")
        check(ci.config.filter_subject in ("civitas.evt.>", None, ""),
              f"projection's consumer unchanged (filter {ci.config.filter_subject!r})")
    finally:
        for c in conns:
            try:
                await c.close()
            except Exception:
                pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True, help="nats-server binary")
    ap.add_argument("--conf-dir", required=True, help="directory with nats-1.conf .. nats-3.conf")
    ap.add_argument("--pidfile", help="append the servers' process ids here (for the caller's cleanup)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, stores)")
    args = ap.parse_args()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)

    work = tempfile.mkdtemp(prefix="civitas-nats-check-")
    cluster = Cluster(args.server, os.path.abspath(args.conf_dir), work, args.pidfile)
    try:
        cluster.start()
        deadline = time.time() + 60
        while time.time() < deadline:
            if cluster.dead():
                break
            if all(cluster.healthy(i) for i in range(3)) and cluster.meta_ready():
                break
            time.sleep(0.3)
        if cluster.dead() or not all(cluster.healthy(i) for i in range(3)) or not cluster.meta_ready():
            fail(f"the 3 nodes did not become healthy with a full meta group within 60s "
                 f"(exited: {cluster.dead()})")
            cluster.tail_logs()
            return 1
        ok("3 nodes started from nats-1.conf .. nats-3.conf: /healthz 200, meta group of 3 current")
        try:
            asyncio.run(asyncio.wait_for(run_checks(cluster), timeout=180))
        except Exception as e:  # a check that could not even run
            import traceback
            traceback.print_exc()
            fail(f"checks aborted: {e!r}")
            cluster.tail_logs()
    except KeyboardInterrupt as e:
        fail(f"interrupted ({e})")
    finally:
        cluster.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{passes} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
