"""Where the time goes while a bench step runs (issue 23): a thread that,
every `interval` seconds, samples

- PostgreSQL's backends of the bench database (`pg_stat_activity`): by
  application (usher names its pools `usher`, `usher-outbox` and
  `usher-listen`), state, wait event and the statement's first words;
- usher's pool gauges from `/metrics` (`db_pool_waiting`,
  `db_outbox_pool_waiting`, connections in use);

and, over the whole step, the CPU seconds of every process on the machine
by name (usher, postgres, tg-sandbox, the Python load tools, wrk), and, when
the `pg_stat_statements` extension can be created, the statements that took
the most time. `stop()` returns it all as a dict and a text report.
"""

import os
import re
import subprocess
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu():
    """name -> CPU seconds so far, summed over every process of that name
    (python3 processes named by their script)."""
    totals = Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if name.startswith("python"):
            script = next((Path(a.decode()).name for a in cmdline[1:] if a.endswith(b".py")), "")
            name = f"python:{script or '?'}"
        elif name.startswith("postgres"):
            name = "postgres"
        totals[name] += (int(fields[11]) + int(fields[12])) / TICKS
    return totals


class Sampler:
    def __init__(self, psql, db, metrics_url, interval=0.2):
        self.psql, self.db, self.metrics_url, self.interval = psql, db, metrics_url, interval
        self.activity = Counter()
        self.pool = Counter()
        self.samples = 0
        self.statements = self._reset_statements()
        self.cpu_before = process_cpu()
        self.began = time.monotonic()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _reset_statements(self):
        try:
            self.psql(self.db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset();")
            self.psql(self.db, "SELECT count(*) FROM pg_stat_statements")
            return True
        except Exception:
            return False

    def _run(self):
        while not self.done.wait(self.interval):
            self.samples += 1
            try:
                rows = self.psql(self.db, f"""
                    SELECT coalesce(nullif(application_name, ''), '?'), state,
                           coalesce(wait_event_type || ':' || wait_event, 'running'),
                           regexp_replace(left(query, 48), '\\s+', ' ', 'g')
                    FROM pg_stat_activity
                    WHERE datname = '{self.db}' AND pid <> pg_backend_pid() AND state <> 'idle'""")
                for line in rows.splitlines():
                    app, state, wait, query = (line.split("|", 3) + ["", "", "", ""])[:4]
                    self.activity[(app, state, wait, query.strip())] += 1
            except Exception:
                pass
            try:
                with urllib.request.urlopen(self.metrics_url, timeout=2) as res:
                    text = res.read().decode()
                for name in ("db_pool_waiting", "db_outbox_pool_waiting",
                             'db_pool_connections{state="in_use"}', 'db_outbox_pool_connections{state="in_use"}'):
                    m = re.search(r"^" + re.escape(name) + r" ([0-9.e+]+)$", text, re.M)
                    if m:
                        self.pool[name] += float(m.group(1))
            except Exception:
                pass

    def stop(self):
        self.done.set()
        self.thread.join()
        seconds = time.monotonic() - self.began
        after = process_cpu()
        cpu = {name: after[name] - self.cpu_before.get(name, 0) for name in after}
        cpu = {k: v for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]) if v >= 0.05}
        statements = []
        if self.statements:
            rows = self.psql(self.db, """
                SELECT calls, round(total_exec_time)::bigint, round(mean_exec_time::numeric, 2),
                       regexp_replace(left(query, 90), '\\s+', ' ', 'g')
                FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                ORDER BY total_exec_time DESC LIMIT 15""")
            for line in rows.splitlines():
                calls, total, mean, query = line.split("|", 3)
                statements.append({"calls": int(calls), "total_ms": int(total), "mean_ms": float(mean), "query": query})
        samples = max(self.samples, 1)
        result = {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "backends": [{"app": a, "state": s, "wait": w, "query": q, "mean": n / samples}
                         for (a, s, w, q), n in self.activity.most_common(25)],
            "pool_mean": {k: v / samples for k, v in self.pool.items()},
            "statements": statements,
        }
        return result, report(result)


def report(r):
    lines = [f"# over {r['seconds']:.1f} s; CPU seconds by process (2 cores = {2 * r['seconds']:.0f} available)"]
    lines += [f"{v:8.1f}  {k}" for k, v in r["cpu_seconds"].items()]
    lines.append("# backends of the bench database, mean count at a sample (application, state, wait, statement)")
    lines += [f"{b['mean']:6.2f}  {b['app']:<13} {b['state']:<20} {b['wait']:<28} {b['query']}" for b in r["backends"]]
    lines.append("# usher's pools, mean at a sample")
    lines += [f"{v:6.2f}  {k}" for k, v in r["pool_mean"].items()]
    if r["statements"]:
        lines.append("# pg_stat_statements: most time")
        lines += [f"{s['total_ms']:9d} ms {s['calls']:8d} calls {s['mean_ms']:8.2f} ms  {s['query']}" for s in r["statements"]]
    else:
        lines.append("# pg_stat_statements not loaded (shared_preload_libraries)")
    return "\n".join(lines)
