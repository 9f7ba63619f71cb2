#!/usr/bin/env python3
"""usher's benchmark (issue 5), with the stock load tools wrk and pgbench.

Builds release binaries, prepares its own database, starts tg-sandbox and
`usher serve`, connects bots through the real bots/add.json, then measures in
one run, on the same machine and PostgreSQL:

1. webhook intake (wrk + bench/intake.lua) at 40 and 100 connections, with
   an exactly-once check against the database afterwards;
2. PostgreSQL's own ceiling: pgbench, one INSERT ... ON CONFLICT DO NOTHING
   of a comparable row per transaction, at the same client counts;
3. API reads (list.json of an account with 100 bots, chats.json of a bot with
   1,000 cached chats) at 32 connections, beside pgbench selects of the same
   rows;
4. growth (run last): intake and every read again with 10 million member
   events, 1 million cached chats, 1 million leads and 10 million journal
   events stored;
5. memory (idle and peak RSS) and the time from start to the first
   successful list.json;
6. the subscriber flow (bench/subscribers.py): /start to the bot's welcome
   at a steady rate over 100 bots, and a burst for one bot drained at its
   send rate;
7. postbacks (bench/postbacks.py): status change to the tracker's GET at
   1,000 a second to ten trackers, then with a slow and a failing tracker
   beside them;
8. the subscriber reads (leads, stats, journal) at 32 connections;
9. the mixed run, open loop (bench/openloop.py): intake produced by
   tg-sandbox at half of step 1's throughput, welcomes, postbacks and API
   reads (oha), each at a fixed rate; then closed loop: intake at 100
   connections (wrk), welcomes, postbacks and paced API reads at once;
   both with zero errors, nothing lost or doubled;
10. the forged flood (issue 22, item 9): real intake alone and beside a
   flood of forged updates, closed loop (wrk, --forgery-only) and open loop
   (the sandbox's real deliveries and oha's forged ones at one rate).

Usage: python3 bench/bench.py [--smoke] [--keep] [--no-build] [--profile]
  --smoke     a few seconds, few bots, no growth step; fails unless zero
              errors and exactly-once hold (CI runs this)
  --keep      keep the database afterwards
  --no-build  use the release binaries already built
  --no-growth skip the growth step (10 million rows; about 3 minutes)
  --flow-only only the subscriber flow (steps 6 and 7)
  --postbacks-only only the postback step (7)
  --core-only intake and reads only (steps 1 to 3 and 5)
  --intake-only intake and pgbench's inserts only (steps 1 and 2)
  --forgery-only real intake at 40 connections alone and beside a forged
              flood (sequential bot ids, wrong secret) at 40 more; then the
              same open loop at half of intake's throughput
  --mixed-only the two mixed steps (open loop, then closed loop)
  --open-only the open-loop mixed step
  --flow-growth after step 6: 1 million leads and 10 million journal events,
              leads/list.json and stats/days.json against pgbench running
              the same SQL, intake at 100 before and after (about 8 minutes)
  --autovacuum turn PostgreSQL's autovacuum on first (a reload), as a
              deployment has it; this machine's conf.d turns it off
  --profile   perf-record the whole machine during intake at 100
              connections, the reads and the mixed step
              (target/bench/profile-*.txt); in the mixed step also sample
              pg_stat_activity, usher's pools, every process's CPU and
              pg_stat_statements (preloaded, a restart if it was not:
              target/bench/profile-mixed-sampled.txt)
Results: a table on stdout and target/bench/results.json.
"""

import argparse
import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = ROOT / "target" / "bench"
# BENCH_PROFILE=debug runs the binaries `cargo test` already built (CI's smoke
# run checks errors and exactly-once, not speed); figures need release.
PROFILE = os.environ.get("BENCH_PROFILE", "release")
RELEASE = ROOT / "target" / PROFILE
# The open-loop mixed step's second run: intake at an eighth of its alone
# throughput, about what the closed-loop mixed step keeps beside the flows
# on 2 cores (the half is more than this machine can do while
# tg-sandbox, the Telegram it plays, takes a core; see docs/benchmarks.md).
HELD_SHARE = 0.125
PG_HOST = os.environ.get("USHER_BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("USHER_BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("USHER_BENCH_PG_USER", "postgres")


def log(*parts):
    print("[bench]", *parts, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on {port}")


def http(method, url, body=None, headers=None):
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read() or b"null")


def psql(db, sql):
    out = subprocess.run(
        ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", db, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def wrk(script, url, connections, seconds, env):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ, **env})
    line = next(l for l in out.stdout.splitlines() if l.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    return result


def pgbench(db, script, clients, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        out = subprocess.run(
            ["pgbench", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-n", "-c", str(clients), "-j", "2",
             "-T", str(seconds), "-f", path, db],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(path)
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    return {"tps": tps, "latency_avg_ms": latency, "failed": int(failed.group(1)) if failed else 0}


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class Run:
    def __init__(self, args):
        self.args = args
        self.smoke = args.smoke
        self.duration = 3 if self.smoke else 20
        self.read_duration = 2 if self.smoke else 10
        self.bots_a = 10 if self.smoke else 100
        self.bots_b = 12 if self.smoke else 900
        self.db = f"usher_bench_{os.getpid()}"
        self.procs = []
        self.cleanups = []
        self.results = {"machine": machine()}
        self.run_id = 0
        self.failures = []
        self.tgs = {}

    def start(self, cmd, env):
        log_file = open(OUT / f"{Path(cmd[0]).name}.log", "w")
        proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def stop_all(self):
        for cleanup in self.cleanups:
            cleanup()
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def count_updates(self, run):
        # intake.lua's update ids of one run lie in 1e12 + [run * 1e8, (run + 1) * 1e8).
        low = 1_000_000_000_000 + run * 100_000_000
        return int(psql(self.db, f"SELECT count(*) FROM raw_updates WHERE update_id >= {low} AND update_id < {low + 100_000_000}"))

    def intake(self, connections, label):
        self.run_id += 1
        env = {"BENCH_BOTS": str(OUT / "bots.txt"), "BENCH_RUN": str(self.run_id)}
        profiler = self.profiler(f"intake-{connections}") if connections == 100 and "grown" not in label and "mixed" not in label else None
        cpu_before = cpu_seconds(self.server.pid)
        result = wrk(BENCH / "intake.lua", self.usher_url, connections, self.duration, env)
        result["usher_cpu_share"] = (cpu_seconds(self.server.pid) - cpu_before) / (result["duration_us"] / 1e6) / os.cpu_count()
        if profiler:
            profiler()
        time.sleep(1)
        stored = self.count_updates(self.run_id)
        answered_ok = result["requests"] - result["status_errors"]
        # Requests still in flight when wrk stopped may commit without being
        # counted; each connection has at most one.
        exactly_once = answered_ok <= stored <= answered_ok + connections + result["timeouts"] + result["read_errors"]
        result.update({"stored": stored, "answered_2xx": answered_ok, "exactly_once": exactly_once})
        if result["errors"] or not exactly_once:
            self.failures.append(f"intake {label}: {result}")
        log(f"intake {label}: {result['rate']:.0f} updates/s, p99 {result['p99_us'] / 1000:.1f} ms, "
            f"usher CPU {result['usher_cpu_share'] * 100:.0f}% of the machine, "
            f"errors {result['errors']}, stored {stored} for {answered_ok} answered 2xx")
        return result

    def profiler(self, name):
        """With --profile: perf-records the whole machine (usher, PostgreSQL
        and the load tools) while a step runs; the returned function waits and
        writes target/bench/profile-<name>.txt: the share of each process,
        then the hottest symbols of usher and of PostgreSQL."""
        if not self.args.profile:
            return None
        data = OUT / f"perf-{name}.data"
        seconds = min(self.duration, 10)
        proc = subprocess.Popen(["perf", "record", "-a", "-F", "499", "-g", "-o", str(data), "--", "sleep", str(seconds)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def finish():
            proc.wait()
            report = lambda *extra: subprocess.run(
                ["perf", "report", "--stdio", "--no-children", "-g", "none", "-i", str(data), *extra],
                capture_output=True, text=True).stdout
            text = ["# share of each process", report("--sort", "comm", "--percent-limit", "0.5"),
                    "# usher", report("--pid", str(self.server.pid), "--sort", "dso,symbol",
                                      "--percent-limit", "0.7"),
                    "# PostgreSQL", report("--comms", "postgres", "--sort", "dso,symbol", "--percent-limit", "0.7")]
            (OUT / f"profile-{name}.txt").write_text("\n".join(text))
            log(f"profile written to {OUT / f'profile-{name}.txt'}")

        return finish

    def read(self, path, label):
        cpu_before = cpu_seconds(self.server.pid)
        profiler = self.profiler("read-" + label.split(",")[0].replace("/", "-")) if "grown" not in label else None
        result = wrk(BENCH / "read.lua", self.usher_url, 32, self.read_duration, {"BENCH_PATH": path})
        if profiler:
            profiler()
        result["usher_cpu_share"] = (cpu_seconds(self.server.pid) - cpu_before) / (result["duration_us"] / 1e6) / os.cpu_count()
        if result["errors"]:
            self.failures.append(f"read {label}: {result}")
        log(f"read {label}: {result['rate']:.0f} req/s, p99 {result['p99_us'] / 1000:.2f} ms, "
            f"usher CPU {result['usher_cpu_share'] * 100:.0f}% of the machine, errors {result['errors']}")
        return result

    def main(self):
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(ROOT / "scripts" / "ensure-postgres.sh")], check=True)
        subprocess.run([str(ROOT / "scripts" / "ensure-bench-tools.sh")], check=True)
        ensure_max_connections(300)
        if self.args.autovacuum:
            ensure_autovacuum()
        if self.args.profile:
            ensure_preloaded("pg_stat_statements")
        if not self.args.no_build:
            log("building release binaries")
            subprocess.run(["cargo", "build", *(["--release"] if PROFILE == "release" else []), "--locked",
                            "-p", "usher-app", "-p", "usher-sandbox"],
                           cwd=ROOT, check=True)
        try:
            if not self.args.retention_only:
                self.prepare()
            self.measure()
        finally:
            self.stop_all()
            if not self.args.keep:
                psql("postgres", f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        (OUT / "results.json").write_text(json.dumps(self.results, indent=2))
        print(table(self.results, self.smoke))
        if self.failures:
            for failure in self.failures:
                log("FAILED:", failure)
            print("0 passed, 1 failed")
            sys.exit(1)
        if self.smoke:
            print("1 passed, 0 failed")

    def prepare(self):
        sandbox_port, usher_port = free_port(), free_port()
        self.start([str(RELEASE / "tg-sandbox"), "--listen", f"127.0.0.1:{sandbox_port}"], {"RUST_LOG": "warn"})
        wait_port(sandbox_port)
        self.sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        self.usher_url = f"http://127.0.0.1:{usher_port}"
        self.env = {
            "USHER__DATABASE__URL": f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.db}",
            "USHER__HTTP__LISTEN": f"127.0.0.1:{usher_port}",
            "USHER__HTTP__PUBLIC_URL": self.usher_url,
            "USHER__TELEGRAM__API_URL": self.sandbox_url,
            "USHER__SECRETS__TOKEN_KEY": base64.b64encode(os.urandom(32)).decode(),
            # The postback step's trackers listen on loopback.
            "USHER__POSTBACKS__ALLOW_PRIVATE": "true",
            "RUST_LOG": "warn",
        }
        usher = str(RELEASE / "usher")
        cfg = ["--config-dir", str(OUT / "no-config")]
        subprocess.run([usher, "migrate", *cfg], env={**os.environ, **self.env}, check=True, capture_output=True)
        key = lambda: subprocess.run([usher, "account", "create", *cfg], env={**os.environ, **self.env},
                                     check=True, capture_output=True, text=True).stdout.strip()
        self.key_a, self.key_b = key(), key()

        started = time.monotonic()
        self.server = self.start([usher, "serve", *cfg], self.env)
        while True:
            try:
                if http("GET", f"{self.usher_url}/api/bots/list.json?id={self.key_a}")["status"] == "ok":
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            if time.monotonic() - started > 30:
                raise RuntimeError("usher did not become ready")
            time.sleep(0.005)
        self.results["ready_ms"] = (time.monotonic() - started) * 1000
        time.sleep(1)
        self.results["rss_idle_mib"] = rss_kib(self.server.pid, "VmRSS") / 1024
        log(f"ready in {self.results['ready_ms']:.0f} ms, idle RSS {self.results['rss_idle_mib']:.1f} MiB")

        log(f"connecting {self.bots_a + self.bots_b} bots through bots/add.json")
        keys = [self.key_a] * self.bots_a + [self.key_b] * self.bots_b
        with ThreadPoolExecutor(8) as pool:
            bots = list(pool.map(self.connect_bot, enumerate(keys)))
        (OUT / "bots.txt").write_text("".join(f"{bot_id} {secret}\n" for bot_id, secret in bots))
        self.chats_bot = bots[0][0]
        psql(self.db, f"""
            INSERT INTO bot_chats (bot_id, chat_id, title, chat_type, is_admin, status, member, state_date, state_update_id)
            SELECT {self.chats_bot}, -1000000000000 - g, 'Chat ' || g, 'channel', true, 'administrator',
                   '{{"status":"administrator"}}', now(), 0
            FROM generate_series(1, 1000) g""")

    def connect_bot(self, numbered):
        n, key = numbered
        fake = http("POST", f"{self.sandbox_url}/_sandbox/bots", {"username": f"bench{n}_bot", "first_name": f"Bench {n}"})
        added = http("POST", f"{self.usher_url}/api/bots/add.json?id={key}", {"token": fake["token"]})
        if added.get("status") != "ok":
            raise RuntimeError(f"add failed: {added}")
        secret = http("GET", f"{self.sandbox_url}/_sandbox/bots/{fake['id']}")["webhook"]["secret_token"]
        self.tgs[added["data"]["id"]] = (fake["id"], key)
        return added["data"]["id"], secret

    def make_flow(self):
        from subscribers import Flow
        bots = 10 if self.smoke else 100
        chosen = [(bot_id, tg) for bot_id, (tg, key) in sorted(self.tgs.items()) if key == self.key_a][:bots]
        log(f"subscriber flow: campaigns on {len(chosen)} bots")
        self.flow = Flow(self, chosen)

    def subscriber_flow(self):
        r = self.results
        self.make_flow()
        rate, seconds = self.welcome_load()
        r["flow_steady"] = self.flow.steady(rate, seconds)
        log(f"subscriber flow, steady: {r['flow_steady']}")
        r["flow_burst"] = self.flow.burst(100 if self.smoke else 3000)
        log(f"subscriber flow, burst: {r['flow_burst']}")
        for name in ("flow_steady", "flow_burst"):
            if r[name]["lost"] or r[name]["twice"]:
                self.failures.append(f"{name}: {r[name]}")
        self.postback_flow()
        if self.args.flow_growth:
            self.subscriber_growth()

    def welcome_load(self):
        """The subscriber issue's steady load: (/start a second, seconds)."""
        return (50, 2) if self.smoke else (500, 20)

    def postback_load(self):
        """The postback issue's load: (/start with a postback a second, seconds)."""
        return (100, 2) if self.smoke else (1000, 20)

    def make_pb_flow(self):
        from postbacks import PostbackFlow
        wanted = 12 if self.smoke else 102
        chosen = [(bot_id, tg) for bot_id, (tg, key) in sorted(self.tgs.items()) if key == self.key_b][:wanted]
        log(f"postbacks: campaigns on {len(chosen)} bots, 10 healthy trackers, a slow one, a failing one")
        self.pb_flow = PostbackFlow(self, chosen, psql)
        self.cleanups.append(self.pb_flow.stop)

    def postback_flow(self):
        r = self.results
        self.make_pb_flow()
        rate, seconds = self.postback_load()
        r["pb_healthy"] = self.pb_flow.healthy(rate, seconds)
        log(f"postbacks, healthy trackers: {r['pb_healthy']}")
        r["pb_bad"] = self.pb_flow.with_bad_trackers(rate, seconds)
        log(f"postbacks, with a slow and a failing tracker: {r['pb_bad']}")
        for name in ("pb_healthy", "pb_bad"):
            if r[name]["lost"] or r[name]["twice"]:
                self.failures.append(f"{name}: {r[name]}")

    def flow_paths(self):
        """The subscriber reads (leads, stats, journal) of account A's first campaign."""
        account = self.key_a.split("-")[0]
        campaign = int(psql(self.db, f"SELECT min(id) FROM campaigns WHERE account_id = {account}"))
        return account, campaign, {
            "leads": f"/api/leads/list.json?id={self.key_a}&campaign={campaign}&status=2",
            "stats": f"/api/stats/days.json?id={self.key_a}&campaign={campaign}",
            "journal": f"/api/journal/list.json?id={self.key_a}",
        }

    def mixed(self):
        """Step 8: webhook intake at 100 connections, /start at the subscriber
        issue's rate to welcomes, /start at the postback issue's rate to the
        ten healthy trackers, and API reads, all at once."""
        r = self.results
        _, _, paths = self.flow_paths()
        welcome_rate, seconds = self.welcome_load()
        postback_rate, _ = self.postback_load()
        reads = {"list": f"/api/bots/list.json?id={self.key_a}", "leads": paths["leads"],
                 "chats": f"/api/bots/chats.json?id={self.key_a}&id={self.chats_bot}"}
        log(f"mixed: intake at 100, {welcome_rate} welcomes/s, {postback_rate} postbacks/s, reads at 3 x 4 connections paced, "
            f"{seconds} s")
        self.duration, saved = seconds, self.duration
        sampler = None
        if self.args.profile:
            from sampler import Sampler
            sampler = Sampler(psql, self.db, f"{self.usher_url}/metrics")
        perf = self.profiler("mixed")
        with ThreadPoolExecutor(3 + len(reads)) as pool:
            intake = pool.submit(self.intake, 100, "mixed: 100 connections beside the flows")
            welcomes = pool.submit(self.flow.steady, welcome_rate, seconds)
            postbacks = pool.submit(self.pb_flow.healthy, postback_rate, seconds)
            # A dashboard's pace, not a flood: each connection waits 20 ms
            # between calls (about 150 reads a second per path).
            readers = {name: pool.submit(wrk, BENCH / "read.lua", self.usher_url, 4, seconds,
                                         {"BENCH_PATH": path, "BENCH_DELAY_MS": "20"})
                       for name, path in reads.items()}
            r["mixed_intake"] = intake.result()
            r["mixed_welcomes"] = welcomes.result()
            r["mixed_postbacks"] = postbacks.result()
            r["mixed_reads"] = {name: f.result() for name, f in readers.items()}
        if perf:
            perf()
        if sampler:
            r["mixed_profile"], text = sampler.stop()
            (OUT / "profile-mixed-sampled.txt").write_text(text)
            log(f"mixed: sampled profile written to {OUT / 'profile-mixed-sampled.txt'}\n{text}")
        self.duration = saved
        r["rss_mixed_peak_mib"] = rss_kib(self.server.pid, "VmHWM") / 1024
        log(f"mixed: welcomes {r['mixed_welcomes']}")
        log(f"mixed: postbacks {r['mixed_postbacks']}")
        for name, read in r["mixed_reads"].items():
            log(f"mixed: {name} {read['rate']:.0f} req/s, p99 {read['p99_us'] / 1000:.1f} ms, errors {read['errors']}")
            if read["errors"]:
                self.failures.append(f"mixed read {name}: {read}")
        for name in ("mixed_welcomes", "mixed_postbacks"):
            if r[name]["lost"] or r[name]["twice"]:
                self.failures.append(f"{name}: {r[name]}")
        log(f"mixed: peak RSS {r['rss_mixed_peak_mib']:.1f} MiB")

    def open_intake(self):
        """Open-loop intake over every bot (bench/openloop.py)."""
        from openloop import Intake
        tgs, ids = zip(*[(tg, bot_id) for bot_id, (tg, _) in sorted(self.tgs.items())])
        return Intake(self, psql, tgs, ids)

    def alone_rate(self, share):
        """`share` of intake's closed-loop throughput at 100 connections
        alone (measured first when this run has not yet): the open-loop
        steps' intake rate."""
        if "intake_100" not in self.results:
            self.results["intake_100"] = self.intake(100, "100 connections")
        return max(50, round(self.results["intake_100"]["rate"] * share))

    def settle(self, timeout=180):
        """Waits until the outbox has nothing pending (what a step left
        behind is delivered or failed), so the next step starts clean."""
        deadline = time.monotonic() + timeout
        while int(psql(self.db, "SELECT count(*) FROM outbox WHERE state = 'pending'")) and time.monotonic() < deadline:
            time.sleep(1)

    def reset_peak_rss(self):
        """Starts usher's peak RSS (VmHWM) afresh, so a step's peak is its own."""
        try:
            Path(f"/proc/{self.server.pid}/clear_refs").write_text("5")
        except OSError as err:
            log(f"could not reset the peak RSS: {err}")

    def mixed_open(self, share=0.5, prefix="open"):
        """Issue 23's open-loop mixed step: intake at `share` of its alone
        throughput (the issue's half by default), /start at the subscriber
        issue's rate, postbacks at the postback issue's rate and paced
        reads, each produced at a fixed rate whatever usher does; intake
        alone at the same rate first. Results under `prefix`."""
        import openloop
        r = self.results
        intake = self.open_intake()
        rate = self.alone_rate(share)
        welcome_rate, seconds = self.welcome_load()
        postback_rate, _ = self.postback_load()
        r[f"{prefix}_intake_alone"] = intake.measure(rate, seconds)
        log(f"{prefix}: intake alone at {rate}/s: {r[f'{prefix}_intake_alone']}")
        if r[f"{prefix}_intake_alone"]["lost"] or not r[f"{prefix}_intake_alone"]["exactly_once"]:
            self.failures.append(f"{prefix} intake alone: {r[f'{prefix}_intake_alone']}")
        _, _, paths = self.flow_paths()
        reads = {"list": f"/api/bots/list.json?id={self.key_a}", "leads": paths["leads"],
                 "chats": f"/api/bots/chats.json?id={self.key_a}&id={self.chats_bot}"}
        read_rate = 20 if self.smoke else 150
        log(f"{prefix}, mixed: intake {rate}/s, {welcome_rate} welcomes/s, {postback_rate} postbacks/s, "
            f"reads {read_rate}/s on each of {len(reads)} paths, {seconds} s")
        sampler = None
        if self.args.profile:
            from sampler import Sampler
            sampler = Sampler(psql, self.db, f"{self.usher_url}/metrics")
        self.reset_peak_rss()
        outcomes = openloop.api_outcomes(self.usher_url)
        with ThreadPoolExecutor(3 + len(reads)) as pool:
            started = intake.start(rate, seconds)
            welcomes = pool.submit(self.flow.steady, welcome_rate, seconds)
            postbacks = pool.submit(self.pb_flow.healthy, postback_rate, seconds)
            readers = {name: pool.submit(openloop.oha, self.usher_url + path, read_rate, seconds, 4)
                       for name, path in reads.items()}
            r[f"{prefix}_reads"] = {name: f.result() for name, f in readers.items()}
            r[f"{prefix}_intake"] = intake.finish(started)
            r[f"{prefix}_welcomes"] = welcomes.result()
            r[f"{prefix}_postbacks"] = postbacks.result()
        if sampler:
            r[f"{prefix}_profile"], text = sampler.stop()
            (OUT /  f"profile-{prefix}-sampled.txt").write_text(text)
            log(f"{prefix}: sampled profile written to {OUT / f'profile-{prefix}-sampled.txt'}\n{text}")
        r[f"{prefix}_reads_failed"] = openloop.reads_failed(outcomes, openloop.api_outcomes(self.usher_url),
                                                       lambda route: route.startswith("/api/"))
        r[f"rss_{prefix}_peak_mib"] = rss_kib(self.server.pid, "VmHWM") / 1024
        log(f"{prefix}, mixed: intake {r[f'{prefix}_intake']}")
        log(f"{prefix}, mixed: welcomes {r[f'{prefix}_welcomes']}")
        log(f"{prefix}, mixed: postbacks {r[f'{prefix}_postbacks']}")
        for name, read in r[f"{prefix}_reads"].items():
            log(f"{prefix}, mixed: {name} {read['rate']:.0f} req/s, p99 {read['p99_us'] / 1000:.1f} ms, "
                f"not 200: {read['not_200']}")
        log(f"{prefix}, mixed: reads answered with an error: {r[f'{prefix}_reads_failed']}; "
            f"peak RSS {r[f'rss_{prefix}_peak_mib']:.1f} MiB")
        if r[f"{prefix}_intake"]["lost"] or not r[f"{prefix}_intake"]["exactly_once"]:
            self.failures.append(f"{prefix} intake: {r[f'{prefix}_intake']}")
        for name in (f"{prefix}_welcomes", f"{prefix}_postbacks"):
            if r[name]["lost"] or r[name]["twice"]:
                self.failures.append(f"{name}: {r[name]}")
        if r[f"{prefix}_reads_failed"] or any(read["not_200"] for read in r[f"{prefix}_reads"].values()):
            self.failures.append(f"{prefix} reads: {r[f'{prefix}_reads']}, {r[f'{prefix}_reads_failed']} error answers")

    def forged_open(self):
        """Issue 22, item 9, open loop: real deliveries at a fixed rate alone,
        then beside forged updates at the same rate to random bot ids with a
        wrong secret (oha)."""
        import openloop
        r = self.results
        intake = self.open_intake()
        # A quarter of the alone throughput each, real and forged: together
        # half of what the machine does, so the figure says whether forged
        # work displaces real work, not that two saturating loads share CPU.
        rate = self.alone_rate(0.25)
        body = OUT / "forged-update.json"
        forged_id = 1_000_000_000_000 + 98 * 100_000_000
        body.write_text(json.dumps({"update_id": forged_id, "chat_member": {
            "chat": {"id": -1001999, "title": "Forged", "type": "channel"},
            "from": {"id": 5, "is_bot": False, "first_name": "F"}, "date": int(time.time()),
            "old_chat_member": {"user": {"id": 5, "is_bot": False, "first_name": "F"}, "status": "left"},
            "new_chat_member": {"user": {"id": 5, "is_bot": False, "first_name": "F"}, "status": "member"}}}))
        r["forgery_open_alone"] = intake.measure(rate, self.duration)
        started = intake.start(rate, self.duration)
        port = self.usher_url.rsplit(":", 1)[1]
        r["forgery_open_flood"] = openloop.oha(
            f"http://127[.]0[.]0[.]1:{port}/telegram/webhook/[1-9][0-9]{{0,5}}", rate, self.duration, 40,
            method="POST", headers=["X-Telegram-Bot-Api-Secret-Token: forged-secret"], body_path=body, regex=True)
        r["forgery_open_flooded"] = intake.finish(started)
        r["forgery_open_stored"] = int(psql(self.db, f"SELECT count(*) FROM raw_updates WHERE update_id = {forged_id}"))
        a, f, flood = r["forgery_open_alone"], r["forgery_open_flooded"], r["forgery_open_flood"]
        log(f"open loop, forged flood: real at {rate}/s alone p99 {a['p99_ms']:.1f} ms, beside "
            f"{flood['rate']:.0f} forged/s ({flood['codes']}) p99 {f['p99_ms']:.1f} ms; "
            f"forged stored {r['forgery_open_stored']}")
        for name in ("forgery_open_alone", "forgery_open_flooded"):
            if r[name]["lost"] or not r[name]["exactly_once"]:
                self.failures.append(f"{name}: {r[name]}")
        if r["forgery_open_stored"] or flood["codes"].get("200"):
            self.failures.append(f"forged updates accepted: {flood['codes']}, stored {r['forgery_open_stored']}")

    def forged_flood(self):
        """Issue 22, item 9: real deliveries at 40 connections alone, then
        beside a flood of forged ones (sequential bot ids, wrong secret) at
        40 more; the real ones' rate and p99 in both."""
        r = self.results
        r["forgery_real_alone"] = self.intake(40, "40 connections, alone")
        with ThreadPoolExecutor(2) as pool:
            forged = pool.submit(wrk, BENCH / "intake.lua", self.usher_url, 40, self.duration,
                                 {"BENCH_BOTS": str(OUT / "bots.txt"), "BENCH_RUN": "99", "BENCH_FORGE": "1"})
            r["forgery_real_flooded"] = self.intake(40, "40 connections, beside a forged flood at 40")
            r["forgery_flood"] = forged.result()
        f = r["forgery_flood"]
        log(f"forged flood: {f['rate']:.0f} req/s refused, p99 {f['p99_us'] / 1000:.1f} ms")
        r["forgery_stored"] = self.count_updates(99)
        if r["forgery_stored"]:
            self.failures.append(f"forged updates stored: {r['forgery_stored']}")

    def flow_reads(self, prefix):
        """leads/list.json, stats/days.json and journal/list.json at 32 connections."""
        _, _, paths = self.flow_paths()
        for name, path in paths.items():
            self.results[f"{prefix}_{name}"] = self.read(path, f"{name}, {prefix}")

    def subscriber_growth(self):
        import subscribers
        r = self.results
        account, campaign, paths = self.flow_paths()
        r["flow_intake_100_before"] = self.intake(100, "100 connections, before the leads")
        log("growth: storing 1 million leads and 10 million journal events")
        grown = time.monotonic()
        subscribers.grow(psql, self.db)
        r["flow_growth_seconds"] = time.monotonic() - grown
        log(f"stored in {r['flow_growth_seconds']:.0f} s")
        self.leads_against_pgbench(account, campaign, paths, "flow")
        # Issue 22, item 11: the calls whose work used to grow with the rows.
        for name, path in (
            ("journal, from=0 (capped total)", f"/api/journal/list.json?id={self.key_a}&from=0"),
            ("leads, from=0, offset=10000", f"/api/leads/list.json?id={self.key_a}&from=0&offset=10000"),
            ("postbacks (capped total)", f"/api/postbacks/list.json?id={self.key_a}"),
            ("camp/list.json (counters)", f"/api/camp/list.json?id={self.key_a}"),
        ):
            r[f"flow_bounded_{name}"] = self.read(path, f"{name}, 1M leads, 10M journal events")
        r["flow_intake_100_grown"] = self.intake(100, "100 connections, 1M leads and 10M journal events")

    def leads_against_pgbench(self, account, campaign, paths, prefix):
        import subscribers
        r = self.results
        now = int(time.time())
        r[f"{prefix}_read_leads"] = self.read(paths["leads"], "leads/list.json, 1M leads")
        r[f"{prefix}_pgbench_leads"] = pgbench(self.db, subscribers.leads_sql(account, campaign), 32, self.read_duration)
        r[f"{prefix}_read_stats"] = self.read(paths["stats"], "stats/days.json, 1M leads")
        r[f"{prefix}_pgbench_stats"] = pgbench(self.db, subscribers.stats_sql(account, campaign, now), 32,
                                               self.read_duration)
        log(f"pgbench leads {r[f'{prefix}_pgbench_leads']['tps']:.0f} tps, "
            f"stats {r[f'{prefix}_pgbench_stats']['tps']:.0f} tps")

    def retention_drop(self):
        import retention
        rows = 100_000 if self.smoke else 10_000_000
        log(f"retention: dropping a month of {rows} member events against DELETE")
        r = retention.drop_against_delete(psql, RELEASE / "usher",
                                          lambda db: f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{db}",
                                          rows, self.failures)
        self.results["retention"] = r
        if not self.smoke and r["drop_s"] >= 1:
            self.failures.append(f"retention: dropping a month took {r['drop_s']:.2f} s (target < 1 s)")
        log(f"retention: drop {r['drop_s']:.2f} s, DELETE {r['delete_s']:.2f} s, VACUUM {r['vacuum_s']:.2f} s")

    def measure(self):
        r = self.results
        if self.args.retention_only:
            self.retention_drop()
            return
        if self.args.postbacks_only:
            self.postback_flow()
            return
        if self.args.flow_only:
            self.subscriber_flow()
            return
        if self.args.forgery_only:
            self.forged_flood()
            self.forged_open()
            return
        if self.args.mixed_only or self.args.open_only:
            self.make_flow()
            self.make_pb_flow()
            self.mixed_open()
            self.settle()
            self.reset_peak_rss()
            self.mixed_open(HELD_SHARE, "held")
            if self.args.mixed_only:
                self.settle()
                self.reset_peak_rss()
                self.mixed()
            return
        psql(self.db, "CREATE TABLE bench_rows (bot_id BIGINT, update_id BIGINT, kind TEXT, payload JSON, "
                      "received_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (bot_id, update_id))")
        payload = json.dumps({"chat_member": {"chat": {"id": -1001, "title": "Bench channel", "type": "channel"},
                                              "from": {"id": 5, "is_bot": False, "first_name": "User"},
                                              "date": 1700000000,
                                              "old_chat_member": {"user": {"id": 5, "is_bot": False, "first_name": "User"}, "status": "left"},
                                              "new_chat_member": {"user": {"id": 5, "is_bot": False, "first_name": "User"}, "status": "member"},
                                              "invite_link": {"invite_link": "https://t.me/+AbCdEfGh", "creates_join_request": False}}})
        insert = ("\\set bot random(1, 1000)\n\\set uid random(1, 2000000000)\n"
                  f"INSERT INTO bench_rows (bot_id, update_id, kind, payload) VALUES (:bot, :uid, 'chat_member', '{payload}') "
                  "ON CONFLICT DO NOTHING;\n")
        for connections in () if self.args.reads_only else (40, 100):
            r[f"intake_{connections}"] = self.intake(connections, f"{connections} connections")
            r[f"pgbench_insert_{connections}"] = pgbench(self.db, insert, connections, self.duration)
            log(f"pgbench insert {connections}: {r[f'pgbench_insert_{connections}']['tps']:.0f} tps")
        r["rss_peak_mib"] = rss_kib(self.server.pid, "VmHWM") / 1024
        if self.args.intake_only:
            return

        account_a = self.key_a.split("-")[0]
        r["read_list"] = self.read(f"/api/bots/list.json?id={self.key_a}", "list.json")
        r["read_chats"] = self.read(f"/api/bots/chats.json?id={self.key_a}&id={self.chats_bot}", "chats.json")
        r["pgbench_select_list"] = pgbench(
            self.db, f"SELECT id, tg, username, name, created_at, deleted_at FROM bots WHERE account_id = {account_a} ORDER BY id;\n",
            32, self.read_duration)
        r["pgbench_select_chats"] = pgbench(
            self.db, f"SELECT chat_id, title, chat_type FROM bot_chats WHERE bot_id = {self.chats_bot} AND is_admin ORDER BY chat_id;\n",
            32, self.read_duration)
        if self.args.core_only or self.args.reads_only:
            return
        self.subscriber_flow()
        self.flow_reads("empty")
        self.forged_open()
        self.mixed_open()
        self.settle()
        self.reset_peak_rss()
        self.mixed_open(HELD_SHARE, "held")
        self.settle()
        self.reset_peak_rss()
        self.mixed()
        if self.smoke or self.args.no_growth:
            self.retention_drop()
            return
        log("growth: storing 10 million member events, 1 million cached chats, 1 million leads")
        grown = time.monotonic()
        psql(self.db, """
            SET synchronous_commit = off;
            -- Raw updates are kept retention.raw_update_days: dated within the last day.
            INSERT INTO raw_updates (bot_id, update_id, date, kind, payload)
            SELECT b.id, 900000000000 + g, now() - (g % 86400) * interval '1 second', 'chat_member', '{}'
            FROM generate_series(1, 10000000) g
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM bots) b ON b.n = g % 1000;
            INSERT INTO member_events (bot_id, update_id, chat_id, user_id, username, first_name, event,
                                       old_status, new_status, at, via_join_request)
            SELECT bot_id, update_id, -1001000000000 - (update_id % 100000), 1000000 + update_id % 5000000,
                   'user', 'User', CASE WHEN update_id % 2 = 0 THEN 'join' ELSE 'leave' END,
                   'left', 'member', now() - (update_id % 31536000) * interval '1 second', false
            FROM raw_updates WHERE update_id > 900000000000;
            INSERT INTO bot_chats (bot_id, chat_id, title, chat_type, is_admin, status, member, state_date, state_update_id)
            SELECT b.id, -1002000000000 - g, 'Chat ' || g, 'channel', true, 'administrator', '{}', now(), 0
            FROM generate_series(1, 1000) g CROSS JOIN bots b WHERE b.id <> CHATS_BOT;
            ANALYZE;
        """.replace("CHATS_BOT", str(self.chats_bot)))
        import subscribers
        subscribers.grow(psql, self.db)
        # A database that grew to this size over months is vacuumed (its
        # visibility map set) and checkpointed; measure that, not the
        # autovacuum and checkpoint catching up with a bulk load.
        psql(self.db, "VACUUM (ANALYZE)")
        psql(self.db, "CHECKPOINT")
        r["growth_seconds"] = time.monotonic() - grown
        r["growth_rows"] = {table: int(psql(self.db, f"SELECT count(*) FROM {table}"))
                            for table in ("member_events", "bot_chats", "leads", "journal")}
        log(f"growth data stored in {r['growth_seconds']:.0f} s: {r['growth_rows']}")
        r["grown_intake_100"] = self.intake(100, "100 connections, grown")
        r["grown_read_list"] = self.read(f"/api/bots/list.json?id={self.key_a}", "list.json, grown")
        r["grown_read_chats"] = self.read(f"/api/bots/chats.json?id={self.key_a}&id={self.chats_bot}", "chats.json, grown")
        self.flow_reads("grown")
        account, campaign, paths = self.flow_paths()
        self.leads_against_pgbench(account, campaign, paths, "grown")
        r["rss_peak_mib"] = rss_kib(self.server.pid, "VmHWM") / 1024
        self.retention_drop()


def ensure_max_connections(wanted):
    """pgbench's 100 clients and usher's pool together exceed PostgreSQL's
    default of 100 connections: raise the limit (a restart) when it is lower."""
    current = int(psql("postgres", "SHOW max_connections"))
    if current >= wanted:
        return
    log(f"raising PostgreSQL max_connections from {current} to {wanted} (restarts the server)")
    psql("postgres", f"ALTER SYSTEM SET max_connections = {wanted}")
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    subprocess.run([str(ROOT / "scripts" / "ensure-postgres.sh")], check=True)


def ensure_autovacuum():
    """With --autovacuum: production PostgreSQL vacuums and analyzes by
    itself; some CI machines turn autovacuum off (this one's conf.d does).
    Turns it on (a reload; `ALTER SYSTEM RESET autovacuum` undoes it)."""
    if psql("postgres", "SHOW autovacuum") == "on":
        return
    log("turning PostgreSQL's autovacuum on (it was off)")
    psql("postgres", "ALTER SYSTEM SET autovacuum = on")
    psql("postgres", "SELECT pg_reload_conf()")


def ensure_preloaded(library):
    """With --profile: `library` in PostgreSQL's shared_preload_libraries (a
    restart when it is not), so pg_stat_statements can time statements."""
    current = psql("postgres", "SHOW shared_preload_libraries")
    if library in current:
        return
    wanted = ",".join(x for x in [current.strip(), library] if x)
    log(f"adding {library} to PostgreSQL's shared_preload_libraries (restarts the server)")
    psql("postgres", f"ALTER SYSTEM SET shared_preload_libraries = '{wanted}'")
    version = sorted(os.listdir("/etc/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    subprocess.run([str(ROOT / "scripts" / "ensure-postgres.sh")], check=True)


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")), "0")
    pg = subprocess.run(["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER, "-d", "postgres", "-XAtqc", "SHOW server_version"],
                        capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1), "postgres": pg}


def table(r, smoke):
    """The results against issue 15's targets (and the subscriber and
    postback issues' figures), one row each."""
    rows = ["| figure | usher | reference | ratio | target |", "|---|---|---|---|---|"]

    def add(name, usher, ref, ratio, target):
        rows.append(f"| {name} | {usher} | {ref} | {ratio} | {target} |")

    targets = {40: ("≥ 0.8x", "p99 < 50"), 100: ("≥ 1.0x", "p99 < 20")}
    for c in (40, 100):
        i, p = r.get(f"intake_{c}"), r.get(f"pgbench_insert_{c}")
        if i and p:
            add(f"intake, {c} connections (updates/s)", f"{i['rate']:.0f}", f"pgbench insert {p['tps']:.0f} tps",
                f"{i['rate'] / p['tps']:.2f}x", targets[c][0])
            add(f"intake, {c} connections: p50 / p99 / max (ms)",
                f"{i['p50_us'] / 1000:.1f} / {i['p99_us'] / 1000:.1f} / {i['max_us'] / 1000:.0f}",
                f"pgbench avg {p['latency_avg_ms']:.1f}", "", targets[c][1])
            add(f"intake, {c} connections: errors, exactly-once", f"{i['errors']}, {i['exactly_once']}",
                f"{i['stored']} stored / {i['answered_2xx']} answered 2xx", "", "0, true")
    for name, key, ref, target in (("list.json, 100 bots", "read_list", "pgbench_select_list", "≥ 0.6x"),
                                   ("chats.json, 1,000 chats", "read_chats", "pgbench_select_chats", "≥ 0.8x")):
        if key in r:
            add(f"{name} (req/s, 32 conns)", f"{r[key]['rate']:.0f}", f"pgbench select {r[ref]['tps']:.0f} tps",
                f"{r[key]['rate'] / r[ref]['tps']:.2f}x", target)
            add(f"{name}: p99 (ms)", f"{r[key]['p99_us'] / 1000:.2f}", "", "", "< 10")
    if "flow_steady" in r:
        f = r["flow_steady"]
        add(f"/start to welcome, {f['rate']}/s over {f['bots']} bots: p50 / p99 / max (ms)",
            f"{f['p50_ms']:.0f} / {f['p99_ms']:.0f} / {f['max_ms']:.0f}", f"{f['starts']} starts", "", "p99 < 200")
        add("/start to welcome: lost, greeted twice, 429s", f"{f['lost']}, {f['twice']}, {f['floods']}", "", "", "0, 0, 0")
        b = r["flow_burst"]
        add(f"burst of {b['size']} /start for one bot: drain (s), rate (/s)", f"{b['drain_s']:.1f}, {b['rate']:.1f}",
            f"produced in {b['produce_s']:.1f} s", "", "≈ size / 30, ≤ 30/s")
        add("burst: lost, twice, 429s; other bot's p99 (ms)",
            f"{b['lost']}, {b['twice']}, {b['floods']}; {b['other_p99_ms']:.0f}", "", "", "0, 0, ≤ 1; < 200")
    if "pb_healthy" in r:
        h, b = r["pb_healthy"], r["pb_bad"]
        add(f"postback, commit to GET, {h['rate']:.0f}/s to 10 trackers: p50 / p99 / max (ms)",
            f"{h['commit_p50_ms']:.0f} / {h['commit_p99_ms']:.0f} / {h['commit_max_ms']:.0f}",
            f"produced to GET p99 {h['produce_p99_ms']:.0f}", "", "p99 < 100")
        add("postbacks: lost, twice", f"{h['lost']}, {h['twice']}", f"{h['postbacks']} postbacks", "", "0, 0")
        add("postback with a 10 s and a 503 tracker, healthy ten: p50 / p99 / max (ms)",
            f"{b['commit_p50_ms']:.0f} / {b['commit_p99_ms']:.0f} / {b['commit_max_ms']:.0f}",
            f"slow hit {b['slow_hits']}, failing hit {b['fail_hits']}", "", "p99 < 100")
        add("with bad trackers: lost, twice (healthy ten)", f"{b['lost']}, {b['twice']}",
            f"{b['healthy_postbacks']} postbacks", "", "0, 0")
    if "mixed_intake" in r:
        i, w, p = r["mixed_intake"], r["mixed_welcomes"], r["mixed_postbacks"]
        add("mixed: intake at 100 (updates/s), p99 (ms), errors, exactly-once",
            f"{i['rate']:.0f}, {i['p99_us'] / 1000:.1f}, {i['errors']}, {i['exactly_once']}", "", "", "0, true")
        add(f"mixed: /start to welcome, {w['starts']} at {w['rate']}/s: p50 / p99 (ms), lost, twice",
            f"{w['p50_ms']:.0f} / {w['p99_ms']:.0f}, {w['lost']}, {w['twice']}", "", "", "p99 < 200, 0, 0")
        add(f"mixed: postback commit to GET, {p['postbacks']} at {p['rate']:.0f}/s: p50 / p99 (ms), lost, twice",
            f"{p['commit_p50_ms']:.0f} / {p['commit_p99_ms']:.0f}, {p['lost']}, {p['twice']}", "", "", "p99 < 100, 0, 0")
        for name, read in r["mixed_reads"].items():
            add(f"mixed: {name} reads, 4 conns paced (req/s), p99 (ms), errors",
                f"{read['rate']:.0f}, {read['p99_us'] / 1000:.1f}, {read['errors']}", "", "", "0 errors")
        add("RSS peak in the closed-loop mixed step (MiB)", f"{r['rss_mixed_peak_mib']:.1f}", "", "", "< 150")
    for prefix, label in (("open", "open loop"), ("held", "open loop, held rate")):
        if f"{prefix}_intake" not in r:
            continue
        a, i, w, p = (r[f"{prefix}_intake_alone"], r[f"{prefix}_intake"], r[f"{prefix}_welcomes"],
                      r[f"{prefix}_postbacks"])
        add(f"{label}: intake alone at {round(a['rate'])}/s: "
            "produced to 2xx p50 / p99 (ms), lost, exactly-once",
            f"{a['p50_ms']:.1f} / {a['p99_ms']:.1f}, {a['lost']}, {a['exactly_once']}", "", "", "")
        add(f"{label}, mixed: intake at {round(i['rate'])}/s: p50 / p99 (ms), lost, exactly-once",
            f"{i['p50_ms']:.1f} / {i['p99_ms']:.1f}, {i['lost']}, {i['exactly_once']}",
            f"alone p99 {a['p99_ms']:.1f}", f"{i['p99_ms'] / max(a['p99_ms'], 0.001):.2f}x", "p99 < 50, 0, true")
        add(f"{label}, mixed: /start to welcome, {w['starts']} at {w['rate']}/s: p50 / p99 (ms), lost, twice",
            f"{w['p50_ms']:.0f} / {w['p99_ms']:.0f}, {w['lost']}, {w['twice']}", "", "", "p99 < 300, 0, 0")
        add(f"{label}, mixed: postback commit to GET, {p['postbacks']} at {p['rate']:.0f}/s: p50 / p99 (ms), "
            "lost, twice", f"{p['commit_p50_ms']:.0f} / {p['commit_p99_ms']:.0f}, {p['lost']}, {p['twice']}",
            f"produced to GET p99 {p['produce_p99_ms']:.0f}", "", "p99 < 300, 0, 0")
        for name, read in r[f"{prefix}_reads"].items():
            add(f"{label}, mixed: {name} reads at a fixed rate (req/s), p99 (ms)",
                f"{read['rate']:.0f}, {read['p99_us'] / 1000:.1f}", "", "", "p99 < 100")
        add(f"{label}, mixed: reads answered with an error", f"{r[f'{prefix}_reads_failed']}", "", "", "0")
        add(f"RSS peak in the {label} mixed step (MiB)", f"{r[f'rss_{prefix}_peak_mib']:.1f}", "", "", "< 150")
    grown = [("intake at 100 (updates/s)", "intake_100", "grown_intake_100"),
             ("list.json (req/s)", "read_list", "grown_read_list"),
             ("chats.json (req/s)", "read_chats", "grown_read_chats")]
    grown += [(f"{name} (req/s)", f"empty_{name}", f"grown_{name}") for name in ("leads", "stats", "journal")]
    for name, before, after in grown:
        if before in r and after in r:
            b, a = r[before]["rate"], r[after]["rate"]
            add(f"growth: {name}", f"{a:.0f}", f"before {b:.0f}", f"{b / a:.2f}x slower", "≤ 1.2x")
    for prefix in ("grown", "flow"):
        if f"{prefix}_read_leads" in r:
            for name, key in (("leads/list.json, a campaign and a status, 1M leads", "leads"),
                              ("stats/days.json, a campaign, 30 days, 1M leads", "stats")):
                u, pg = r[f"{prefix}_read_{key}"], r[f"{prefix}_pgbench_{key}"]
                add(f"{name} (req/s, 32 conns)", f"{u['rate']:.0f}", f"pgbench same SQL {pg['tps']:.0f} tps",
                    f"{u['rate'] / pg['tps']:.2f}x", "")
    for key in sorted(k for k in r if k.startswith("flow_bounded_")):
        add(f"{key[len('flow_bounded_'):]}, 1M leads, 10M journal (req/s, p99 ms)",
            f"{r[key]['rate']:.0f}, {r[key]['p99_us'] / 1000:.1f}", "", "", "")
    if "forgery_real_alone" in r:
        alone, flooded, f = r["forgery_real_alone"], r["forgery_real_flooded"], r["forgery_flood"]
        add("real intake at 40, alone (updates/s, p99 ms)", f"{alone['rate']:.0f}, {alone['p99_us'] / 1000:.1f}",
            "", "", "")
        add("real intake at 40 beside a forged flood at 40 (updates/s, p99 ms)",
            f"{flooded['rate']:.0f}, {flooded['p99_us'] / 1000:.1f}",
            f"flood {f['rate']:.0f} req/s refused", f"p99 {flooded['p99_us'] / max(alone['p99_us'], 1):.2f}x",
            "0 forged stored")
    if "forgery_open_alone" in r:
        a, f, flood = r["forgery_open_alone"], r["forgery_open_flooded"], r["forgery_open_flood"]
        add(f"open loop: real intake at {round(a['rate'])}/s alone, produced to 2xx p99 (ms)", f"{a['p99_ms']:.1f}",
            "", "", "")
        add(f"open loop: the same beside {flood['rate']:.0f} forged updates/s, p99 (ms)", f"{f['p99_ms']:.1f}",
            f"forged answered {flood['codes']}", f"{f['p99_ms'] / max(a['p99_ms'], 0.001):.2f}x",
            f"≈ alone; {r['forgery_open_stored']} forged stored (0)")
    if "flow_intake_100_grown" in r:
        before, after = r["flow_intake_100_before"]["rate"], r["flow_intake_100_grown"]["rate"]
        add("intake at 100 with 1M leads, 10M journal events (updates/s)", f"{after:.0f}", f"before {before:.0f}",
            f"{before / after:.2f}x slower", "≤ 1.2x")
    if "retention" in r:
        t = r["retention"]
        add(f"dropping a month of {t['rows']:,} member events (s)", f"{t['drop_s']:.2f}",
            f"DELETE {t['delete_s']:.2f} s, then VACUUM {t['vacuum_s']:.2f} s",
            f"{(t['delete_s'] + t['vacuum_s']) / max(t['drop_s'], 0.001):.0f}x faster", "< 1 s")
    add("RSS idle (MiB)", f"{r.get('rss_idle_mib', 0):.1f}", "", "", "< 20")
    add("RSS peak under load (MiB)", f"{r.get('rss_peak_mib', 0):.1f}", "", "", "< 100")
    add("start to first list.json (ms)", f"{r.get('ready_ms', 0):.0f}", "", "", "< 1000")
    return "\n".join(rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--autovacuum", action="store_true",
                        help="turn PostgreSQL's autovacuum on first, as a deployment has it (docs/benchmarks.md, issue 23)")
    parser.add_argument("--profile", action="store_true", help="perf record the machine during intake at 100 and the reads")
    parser.add_argument("--no-growth", action="store_true", help="skip the growth step")
    parser.add_argument("--flow-only", action="store_true", help="only the subscriber flow")
    parser.add_argument("--forgery-only", action="store_true",
                        help="real intake alone and beside a forged flood (issue 22, item 9)")
    parser.add_argument("--postbacks-only", action="store_true", help="only the postback step")
    parser.add_argument("--core-only", action="store_true", help="intake and reads only (steps 1 to 3 and 5)")
    parser.add_argument("--mixed-only", action="store_true",
                        help="only the mixed steps (9, open loop then closed loop) on a fresh database")
    parser.add_argument("--open-only", action="store_true", help="only the open-loop mixed step on a fresh database")
    parser.add_argument("--reads-only", action="store_true", help="the reads and pgbench selects only (steps 3 and 5)")
    parser.add_argument("--intake-only", action="store_true", help="intake and pgbench inserts only (steps 1 and 2)")
    parser.add_argument("--retention-only", action="store_true",
                        help="only dropping a month of 10M member events against DELETE (issue 24)")
    parser.add_argument("--flow-growth", action="store_true",
                        help="after the flow: 1M leads, 10M journal events, reads against pgbench, intake again")
    Run(parser.parse_args()).main()
