"""The subscriber flow in `just bench` (issue 12): /start to sendMessage.

1. steady: /start updates at a fixed rate spread over many bots (each a
   campaign on its own channel), produced by tg-sandbox as Telegram would
   and delivered to usher's webhook; the latency is from the moment the
   update is produced to the moment the sandbox takes the bot's welcome;
2. burst: thousands of /start for one bot at once, drained at the bot's send
   rate while another bot's welcomes are timed.
Each step checks that every lead got exactly one welcome and counts the
429s flood control answered.
"""

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def _http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def percentile(values, p):
    values = sorted(values)
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * p))]


class Flow:
    def __init__(self, run, bots):
        """`bots`: (our id, Telegram id) of the bots to make campaigns on."""
        self.run = run
        self.sb = run.sandbox_url
        self.api = run.usher_url
        self.key = run.key_a
        self.campaigns = []
        for n, (bot_id, tg) in enumerate(bots):
            chat = {"id": -1003000000000 - n, "title": f"Channel {n}", "type": "channel"}
            _http("POST", f"{self.sb}/_sandbox/bots/{tg}/events",
                  {"type": "promote", "chat": chat, "by": {"id": 1, "first_name": "Owner"}})
            self.campaigns.append((bot_id, tg, chat["id"]))
        time.sleep(2)
        self.codes = {}
        for bot_id, tg, chat in self.campaigns:
            added = _http("POST", f"{self.api}/api/camp/add.json?id={self.key}",
                          {"bot": bot_id, "chat": chat, "welcome": "Hi *{name}*, welcome to {title}!",
                           "button_text": "Join", "button_url": "https://t.me/+abc?c={click}"})
            if added.get("status") != "ok":
                raise RuntimeError(f"camp/add failed: {added}")
            self.codes[tg] = added["data"]["code"]
        self.next_user = 1_000_000

    def start(self, tg):
        self.next_user += 1
        user = self.next_user
        produced = time.time() * 1000
        _http("POST", f"{self.sb}/_sandbox/bots/{tg}/events",
              {"type": "start", "user": {"id": user, "first_name": "P"},
               "payload": f"{self.codes[tg]}-c{user}"})
        return tg, user, produced

    def start_batch(self, tg, size):
        """`size` /start updates for bot `tg` in one call to the sandbox."""
        events, produced = [], []
        now = time.time() * 1000
        for _ in range(size):
            self.next_user += 1
            user = self.next_user
            events.append({"type": "start", "user": {"id": user, "first_name": "P"},
                           "payload": f"{self.codes[tg]}-c{user}"})
            produced.append((tg, user, now))
        _http("POST", f"{self.sb}/_sandbox/bots/{tg}/events/batch", events)
        return produced

    def produce(self, tgs, rate, seconds, tick=0.01):
        """/start updates at `rate` a second for `seconds`: every `tick` one
        batch for the next bot in turn (one request per tick, not one per
        /start: the driver's own CPU was a share of the machine)."""
        per_tick = max(1, round(rate * tick))
        ticks = int(seconds / tick)
        began = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            futures = []
            for i in range(ticks):
                pause = began + i * tick - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                futures.append(pool.submit(self.start_batch, tgs[i % len(tgs)], per_tick))
            produced = [p for f in futures for p in f.result()]
        return produced

    def welcomes(self, tg):
        return _http("GET", f"{self.sb}/_sandbox/bots/{tg}/messages")

    def wait_greeted(self, produced, timeout):
        """Latencies (ms) of each produced /start, once each has a welcome;
        the count of people greeted more than once; people never greeted."""
        wanted = {}
        for tg, user, at in produced:
            wanted.setdefault(tg, {})[user] = at
        deadline = time.monotonic() + timeout
        while True:
            latencies, twice, missing = [], 0, 0
            for tg, users in wanted.items():
                seen = {}
                for m in self.welcomes(tg):
                    if m["chat_id"] in users:
                        seen.setdefault(m["chat_id"], []).append(m["sent_at_ms"])
                for user, at in users.items():
                    times = seen.get(user)
                    if not times:
                        missing += 1
                        continue
                    twice += len(times) > 1
                    latencies.append(min(times) - at)
            if missing == 0 or time.monotonic() > deadline:
                return latencies, twice, missing
            time.sleep(0.5)

    def floods(self, tg):
        return _http("GET", f"{self.sb}/_sandbox/bots/{tg}/floods")["floods"]

    def steady(self, rate, seconds):
        tgs = [tg for _, tg, _ in self.campaigns]
        produced = self.produce(tgs, rate, seconds)
        latencies, twice, missing = self.wait_greeted(produced, 60)
        return {"rate": rate, "seconds": seconds, "bots": len(tgs), "starts": len(produced),
                "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99),
                "max_ms": max(latencies, default=0), "twice": twice, "lost": missing,
                "floods": sum(self.floods(tg) for tg in tgs)}

    def burst(self, size):
        (_, hot, _), (_, other, _) = self.campaigns[0], self.campaigns[1]
        floods_before = self.floods(hot)
        began = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            produced = list(pool.map(lambda _: self.start(hot), range(size)))
        produce_s = time.monotonic() - began
        # Another bot's welcomes while the hot bot drains, at 5 a second
        # (well under its own limit: the question is whether the hot bot
        # slows them, not the other bot's own spacing).
        others = []
        for _ in range(10):
            others.append(self.start(other))
            time.sleep(0.2)
        other_latencies, _, _ = self.wait_greeted(others, 30)
        latencies, twice, missing = self.wait_greeted(produced, size / 10 + 60)
        drained_s = (max((m["sent_at_ms"] for m in self.welcomes(hot)), default=0) / 1000) - (produced[0][2] / 1000)
        return {"size": size, "produce_s": produce_s, "drain_s": drained_s,
                "rate": size / drained_s if drained_s > 0 else 0, "twice": twice, "lost": missing,
                "floods": self.floods(hot) - floods_before,
                "other_p99_ms": percentile(other_latencies, 0.99)}


LEAD_COLUMNS = "id, campaign_id, subscriber, username, name, click, status, start_time, join_time, updated"


def grow(psql, db, leads=1_000_000, journal=10_000_000):
    """Stores `leads` leads over the account's campaigns (with a history of
    one or two statuses each) and `journal` journal events."""
    psql(db, f"""
        SET synchronous_commit = off;
        INSERT INTO leads (account_id, campaign_id, subscriber, username, name, click, status,
                           start_time, join_time, updated, last_date, last_update_id)
        SELECT c.account_id, c.id, 2000000000 + g, 'user' || g, 'User', 'c' || g, (g % 5)::smallint,
               now() - (g % 2592000) * interval '1 second',
               CASE WHEN g % 5 >= 2 THEN now() - (g % 2592000) * interval '1 second' + interval '1 minute' END,
               now(), 0, 0
        FROM generate_series(1, {leads}) g
        JOIN (SELECT id, account_id, row_number() OVER (ORDER BY id) - 1 AS n FROM campaigns) c
          ON c.n = g % (SELECT count(*) FROM campaigns);
        INSERT INTO lead_history (lead_id, account_id, campaign_id, status, at)
        SELECT id, account_id, campaign_id, 0, start_time FROM leads WHERE subscriber >= 2000000000;
        INSERT INTO lead_history (lead_id, account_id, campaign_id, status, at)
        SELECT id, account_id, campaign_id, status, start_time + interval '1 minute'
        FROM leads WHERE subscriber >= 2000000000 AND status > 0;
        -- What intake would have added to the stats rollup for them.
        INSERT INTO stats_days (campaign_id, day, account_id, starts, holds, confirms, unsubs)
        SELECT campaign_id, day, account_id, sum(starts), sum(holds), sum(confirms), sum(unsubs)
        FROM (
            SELECT campaign_id, (start_time AT TIME ZONE 'UTC')::date AS day, account_id,
                   1 AS starts, 0 AS holds, 0 AS confirms, 0 AS unsubs
            FROM leads WHERE subscriber >= 2000000000
            UNION ALL
            SELECT h.campaign_id, (h.at AT TIME ZONE 'UTC')::date, h.account_id,
                   0, (h.status = 1)::int, (h.status = 2)::int, (h.status IN (3, 4))::int
            FROM lead_history h JOIN leads l ON l.id = h.lead_id WHERE l.subscriber >= 2000000000
        ) AS facts
        GROUP BY campaign_id, day, account_id
        ON CONFLICT (campaign_id, day) DO UPDATE SET
            starts = stats_days.starts + EXCLUDED.starts, holds = stats_days.holds + EXCLUDED.holds,
            confirms = stats_days.confirms + EXCLUDED.confirms, unsubs = stats_days.unsubs + EXCLUDED.unsubs;
        CREATE TEMP TABLE journal_before AS SELECT coalesce(max(id), 0) AS id FROM journal;
        INSERT INTO journal (account_id, bot_id, chat_id, user_id, username, name, action, campaign_id, lead_id, at)
        SELECT c.account_id, c.bot_id, c.chat_id, 3000000000 + g % 5000000, 'user', 'User',
               (ARRAY['join','leave','kick','request','start','block'])[1 + g % 6], c.id, 0,
               now() - (g % 31536000) * interval '1 second'
        FROM generate_series(1, {journal}) g
        JOIN (SELECT id, account_id, bot_id, chat_id, row_number() OVER (ORDER BY id) - 1 AS n FROM campaigns) c
          ON c.n = g % (SELECT count(*) FROM campaigns);
        -- What intake would have added to the leads' and journal's counters.
        INSERT INTO lead_counts (campaign_id, status, account_id, n)
        SELECT campaign_id, status, account_id, count(*) FROM leads WHERE subscriber >= 2000000000
        GROUP BY campaign_id, status, account_id
        ON CONFLICT (campaign_id, status) DO UPDATE SET n = lead_counts.n + EXCLUDED.n;
        INSERT INTO journal_counts (account_id, action, paid, shard, n)
        SELECT account_id, action, lead_id <> 0, 0, count(*) FROM journal WHERE id > (SELECT id FROM journal_before)
        GROUP BY account_id, action, lead_id <> 0
        ON CONFLICT (account_id, action, paid, shard) DO UPDATE SET n = journal_counts.n + EXCLUDED.n;
        ANALYZE;
    """)


def leads_sql(account, campaign):
    """What `leads/list.json?campaign=&status=2` runs: ownership, total (from
    the counters) and page in one statement."""
    where = f"account_id = {account} AND campaign_id = {campaign} AND status = 2"
    return (f"WITH page AS (SELECT {LEAD_COLUMNS} FROM leads WHERE {where} ORDER BY id DESC LIMIT 50 OFFSET 0), "
            f"total AS (SELECT coalesce(sum(n), 0)::bigint AS n FROM lead_counts WHERE {where}) "
            f"SELECT EXISTS (SELECT 1 FROM campaigns WHERE id = {campaign} AND account_id = {account}) AS owned, "
            f"total.n AS total, page.* FROM total LEFT JOIN page ON true ORDER BY page.id DESC;\n")


def stats_sql(account, campaign, now):
    """What `stats/days.json?campaign=` runs for the last 30 days."""
    import datetime
    day = lambda t: t - t % 86400
    iso = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat()
    first, end = f"'{iso(day(now - 29 * 86400))}'::timestamptz", f"'{iso(day(now) + 86400)}'::timestamptz"
    sql = f"""WITH days AS (
        SELECT d::date AS day
        FROM generate_series(({first} AT TIME ZONE 'UTC')::date,
                             ({end} AT TIME ZONE 'UTC')::date - 1, interval '1 day') AS d
     ), s AS (
        SELECT day, sum(starts) AS starts, sum(holds) AS holds, sum(confirms) AS confirms,
               sum(unsubs) AS unsubs
        FROM stats_days
        WHERE campaign_id = {campaign} AND account_id = {account}
          AND day >= ({first} AT TIME ZONE 'UTC')::date AND day < ({end} AT TIME ZONE 'UTC')::date
        GROUP BY day
     )
     SELECT to_char(days.day, 'YYYY-MM-DD') AS day, coalesce(s.starts, 0)::bigint AS starts,
            coalesce(s.holds, 0)::bigint AS holds, coalesce(s.confirms, 0)::bigint AS confirms,
            coalesce(s.unsubs, 0)::bigint AS unsubs
     FROM days LEFT JOIN s USING (day) ORDER BY days.day;"""
    return " ".join(sql.split()) + "\n"
