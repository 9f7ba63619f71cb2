"""Open-loop load in `just bench` (issue 23): every flow at a fixed rate,
whatever usher does, so a slow answer shows as latency instead of as a
lower rate (the coordinated omission of a closed-loop tool such as wrk).

- intake: tg-sandbox produces member updates at a fixed rate over the bots
  (`POST /_sandbox/load`), delivers them to usher's webhook as Telegram does
  (one POST each, up to the webhook's max_connections per bot, retried on
  anything but 2xx), and times each from production to usher's 2xx. The
  sandbox is the load tool here because Telegram is: no stock tool in reach
  sends a distinct body per request at a held rate (wrk2 and vegeta are not
  in Debian bookworm, k6 is not in any registry here; oha holds a rate but
  picks bodies at random from a file, so about a third would be
  redeliveries);
- reads and the forged flood: oha, which holds a rate (`-q`) and corrects
  for coordinated omission (`--latency-correction`): every read is the same
  GET and every forged update may be the same body. The API answers errors
  with HTTP 200 and an error envelope, which oha cannot see, so a read
  counts as failed by usher's own `http_requests_total{outcome}` counter;
- welcomes and postbacks: already open loop (bench/subscribers.py and
  bench/postbacks.py produce /start updates at a fixed rate through the
  sandbox).
"""

import json
import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections import Counter

from subscribers import _http


def oha_path():
    """oha on PATH, or where `cargo install` put it."""
    cargo_home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    return shutil.which("oha") or os.path.join(cargo_home, "bin", "oha")


def oha(url, rate, seconds, connections=16, method="GET", headers=(), body_path=None, regex=False):
    """`rate` requests a second to `url` for `seconds` with oha; its rate,
    latency percentiles (µs, corrected) and the answers that were not 200."""
    cmd = [oha_path(), "-q", str(rate), "-z", f"{seconds}s", "-c", str(connections), "--latency-correction",
           "--no-tui", "--output-format", "json", "-m", method]
    for header in headers:
        cmd += ["-H", header]
    if body_path:
        cmd += ["-D", str(body_path), "-T", "application/json"]
    if regex:
        cmd.append("--rand-regex-url")
    out = json.loads(subprocess.run([*cmd, url], check=True, capture_output=True, text=True).stdout)
    codes = out.get("statusCodeDistribution") or {}
    answered = sum(codes.values())
    # Requests still in flight when the duration ends are "aborted due to
    # deadline": cut off by oha, not failed by usher.
    failed = sum(n for error, n in (out.get("errorDistribution") or {}).items() if "deadline" not in error)
    pct = out.get("latencyPercentiles") or {}
    us = lambda v: (v or 0) * 1e6
    return {"rate": out["summary"]["requestsPerSec"] or 0, "requests": answered + failed,
            "codes": codes, "not_200": answered - codes.get("200", 0) + failed,
            "p50_us": us(pct.get("p50")), "p99_us": us(pct.get("p99")), "max_us": us(out["summary"]["slowest"])}


def api_outcomes(usher_url):
    """(route, outcome) -> answers so far, from usher's /metrics."""
    with urllib.request.urlopen(f"{usher_url}/metrics", timeout=30) as res:
        text = res.read().decode()
    counts = Counter()
    for line in text.splitlines():
        if line.startswith("http_requests_total{"):
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
            counts[(labels.get("route", ""), labels.get("outcome", ""))] += float(line.rsplit(" ", 1)[1])
    return counts


def reads_failed(before, after, counted):
    """Answers other than "ok" between two api_outcomes(), on the routes
    `counted(route)` accepts."""
    return int(sum(n - before.get(key, 0) for key, n in after.items() if counted(key[0]) and key[1] != "ok"))


class Intake:
    """Member updates at a fixed rate from the sandbox to usher's webhook."""

    def __init__(self, run, psql, tgs, bot_ids):
        self.run, self.psql = run, psql
        self.tgs, self.bot_ids = list(tgs), list(bot_ids)

    def stored(self):
        ids = ",".join(str(b) for b in self.bot_ids)
        return int(self.psql(self.run.db, "SELECT count(*) FROM raw_updates WHERE kind IN ('chat_member', 'my_chat_member') "
                                          f"AND bot_id IN ({ids})"))

    def start(self, rate, seconds):
        """Starts producing; returns what `finish` needs."""
        before = self.stored()
        load = _http("POST", f"{self.run.sandbox_url}/_sandbox/load",
                     {"bots": self.tgs, "rate": rate, "seconds": seconds})["load"]
        return before, load, seconds

    def finish(self, started, timeout=120):
        """Waits until every produced update is delivered (or `timeout`
        after production ends); the sandbox's report with the exactly-once
        check against the database."""
        before, load, seconds = started
        deadline = time.monotonic() + seconds + timeout
        while True:
            report = _http("GET", f"{self.run.sandbox_url}/_sandbox/load/{load}")
            if (not report["producing"] and report["delivered"] >= report["produced"]) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        time.sleep(0.5)
        stored = self.stored() - before
        report.update({"stored": stored, "lost": report["produced"] - report["delivered"],
                       "exactly_once": stored == report["produced"]})
        return report

    def measure(self, rate, seconds):
        return self.finish(self.start(rate, seconds))
