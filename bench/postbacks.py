"""Postbacks in `just bench` (issue 13): status change to tracker.

Campaigns on many bots, each with a wait postback to one of ten trackers on
loopback (bench/trackers.py, a process of its own). /start updates are
produced by tg-sandbox at a steady rate; each makes a lead and queues its
wait postback in the intake transaction. Measured per postback:
- commit to GET: from the outbox row's `created_at` (`clock_timestamp()`
  when the row is written, near the end of the intake transaction, so a
  little before its commit) to the moment the tracker has the request;
- produce to GET: from the moment the update was produced (webhook
  delivery and intake included).
Step 1 sends to ten healthy trackers; step 2 adds one tracker that answers
after 10 s and one that answers 503 to everything, and times the healthy
ten again. Each step checks that every postback reached its tracker
exactly once.
"""

import json
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from subscribers import _http, percentile

BENCH = Path(__file__).resolve().parent


class Trackers:
    def __init__(self, modes):
        self.proc = subprocess.Popen([sys.executable, str(BENCH / "trackers.py"), *modes],
                                     stdout=subprocess.PIPE, text=True)
        self.ports = json.loads(self.proc.stdout.readline())

    def hits(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports[0]}/_hits", timeout=30) as res:
            return json.loads(res.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


class PostbackFlow:
    def __init__(self, run, bots, psql):
        """`bots`: (our id, Telegram id) of the bots to make campaigns on;
        the last two get the slow and the failing tracker."""
        self.run, self.psql = run, psql
        self.sb, self.api, self.key = run.sandbox_url, run.usher_url, run.key_b
        self.trackers = Trackers(["ok"] * 10 + ["slow", "fail"])
        self.healthy_ports = set(self.trackers.ports[:10])
        self.campaigns = []
        for n, (bot_id, tg) in enumerate(bots):
            chat = {"id": -1004000000000 - n, "title": f"Tracked {n}", "type": "channel"}
            _http("POST", f"{self.sb}/_sandbox/bots/{tg}/events",
                  {"type": "promote", "chat": chat, "by": {"id": 1, "first_name": "Owner"}})
            self.campaigns.append((bot_id, tg, chat["id"]))
        time.sleep(2)
        self.codes = {}
        for n, (bot_id, tg, chat) in enumerate(self.campaigns):
            if n == len(self.campaigns) - 2:
                port = self.trackers.ports[10]
            elif n == len(self.campaigns) - 1:
                port = self.trackers.ports[11]
            else:
                port = self.trackers.ports[n % 10]
            added = _http("POST", f"{self.api}/api/camp/add.json?id={self.key}",
                          {"bot": bot_id, "chat": chat, "welcome": "Hi",
                           "pb_wait": f"http://127.0.0.1:{port}/pb?click={{click}}&lead={{lead}}&s={{status}}"})
            if added.get("status") != "ok":
                raise RuntimeError(f"camp/add failed: {added}")
            self.codes[tg] = added["data"]["code"]
        self.next_user = 5_000_000

    def batch(self, tg, size):
        events, produced = [], []
        now = time.time() * 1000
        for _ in range(size):
            self.next_user += 1
            click = f"pb{self.next_user}"
            events.append({"type": "start", "user": {"id": self.next_user, "first_name": "P"},
                           "payload": f"{self.codes[tg]}-{click}"})
            produced.append((click, now))
        _http("POST", f"{self.sb}/_sandbox/bots/{tg}/events/batch", events)
        return produced

    def produce(self, tgs, rate, seconds, tick=0.01):
        """`rate` /start a second for `seconds`: every `tick` one batch to
        the next bot in turn."""
        per_tick = max(1, round(rate * tick))
        ticks = int(seconds / tick)
        began = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            futures = []
            for i in range(ticks):
                pause = began + i * tick - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                futures.append(pool.submit(self.batch, tgs[i % len(tgs)], per_tick))
            produced = [p for f in futures for p in f.result()]
        return produced, time.monotonic() - began

    def committed(self):
        """click -> the outbox row's created_at (ms)."""
        rows = self.psql(self.run.db, "SELECT substring(url from 'click=([^&]*)'), "
                                      "(extract(epoch FROM created_at) * 1000)::bigint "
                                      "FROM outbox WHERE kind = 'postback'")
        return {c: int(t) for c, t in (line.split("|") for line in rows.splitlines() if line)}

    def measure(self, produced, timeout):
        wanted = {click: at for click, at in produced}
        deadline = time.monotonic() + timeout
        while True:
            hits = [h for h in self.trackers.hits() if h[1] in wanted and h[0] in self.healthy_ports]
            seen = {}
            for port, click, arrived in hits:
                seen.setdefault(click, []).append(arrived)
            missing = len(wanted) - len(seen)
            if missing == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        committed = self.committed()
        from_commit = [min(t) - committed[c] for c, t in seen.items() if c in committed]
        from_produce = [min(t) - wanted[c] for c, t in seen.items()]
        twice = sum(len(t) > 1 for t in seen.values())
        return {"postbacks": len(wanted), "lost": missing, "twice": twice,
                "commit_p50_ms": percentile(from_commit, 0.5), "commit_p99_ms": percentile(from_commit, 0.99),
                "commit_max_ms": max(from_commit, default=0),
                "produce_p50_ms": percentile(from_produce, 0.5), "produce_p99_ms": percentile(from_produce, 0.99)}

    def healthy(self, rate, seconds):
        tgs = [tg for _, tg, _ in self.campaigns[:-2]]
        produced, took = self.produce(tgs, rate, seconds)
        result = self.measure(produced, 60)
        result.update({"rate": len(produced) / took, "trackers": 10})
        return result

    def with_bad_trackers(self, rate, seconds):
        """The same, with the slow and the failing tracker taking a share."""
        tgs = [tg for _, tg, _ in self.campaigns]
        produced, took = self.produce(tgs, rate, seconds)
        bad = {tg for _, tg, _ in self.campaigns[-2:]}
        by_tg = []
        per_tick = max(1, round(rate * 0.01))
        for i in range(len(produced) // per_tick):
            by_tg += [tgs[i % len(tgs)]] * per_tick
        healthy = [p for p, tg in zip(produced, by_tg) if tg not in bad]
        result = self.measure(healthy, 60)
        slow_port, fail_port = self.trackers.ports[10], self.trackers.ports[11]
        hits = self.trackers.hits()
        result.update({"rate": len(produced) / took, "healthy_postbacks": len(healthy),
                       "slow_hits": sum(h[0] == slow_port for h in hits),
                       "fail_hits": sum(h[0] == fail_port for h in hits)})
        return result

    def stop(self):
        self.trackers.stop()
