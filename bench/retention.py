"""Dropping a month of member events against the DELETE it replaces
(issue 24).

On a database of its own: `usher migrate`, then `usher upkeep --at` a day of
January 2026 makes that month's partition; N member events dated in January
go into it, and the same rows into a plain table with the same index (what
`member_events` was before migration 16). After VACUUM and CHECKPOINT, so
that neither side pays for the bulk load:

- drop: `usher upkeep --at` a day of February 2027 with twelve months kept,
  the real command (its process start, the other partitions it makes and
  drops, and the DETACH and DROP of January), timed from outside;
- delete: `DELETE FROM plain WHERE at` in January, timed from outside too,
  with nothing else running; then the VACUUM that gives its space back,
  timed apart.

Both are checked, not only timed: the partition is gone and the plain
table is empty afterwards.
"""
import os
import subprocess
import time

JANUARY = "2026-01-01 00:00:00+00"
FEBRUARY = "2026-02-01 00:00:00+00"


def drop_against_delete(psql, usher, db_url, rows, failures):
    """Runs the step with the `usher` binary at that path, `db_url(name)`
    giving a database's URL; returns {'rows', 'drop_s', 'delete_s'} and
    appends to `failures` what went wrong."""
    db = f"usher_bench_retention_{os.getpid()}"
    env = {**os.environ, "USHER__DATABASE__URL": db_url(db), "RUST_LOG": "warn",
           "USHER__RETENTION__MEMBER_EVENT_MONTHS": "12"}
    usher = [str(usher)]
    cfg = ["--config-dir", "/nonexistent"]
    psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    try:
        subprocess.run(usher + ["migrate", *cfg], env=env, check=True, capture_output=True)
        subprocess.run(usher + ["upkeep", "--at", "2026-01-15T00:00:00Z", *cfg], env=env, check=True,
                       capture_output=True)
        psql(db, f"""
            SET synchronous_commit = off;
            INSERT INTO member_events (bot_id, update_id, chat_id, user_id, username, first_name, event,
                                       old_status, new_status, at, via_join_request)
            SELECT 1 + g % 1000, g, -1001000000000 - g % 100000, 1000000 + g % 5000000, 'user', 'User',
                   CASE WHEN g % 2 = 0 THEN 'join' ELSE 'leave' END, 'left', 'member',
                   '{JANUARY}'::timestamptz + (g % (31 * 86400)) * interval '1 second', false
            FROM generate_series(1, {rows}) g;
            CREATE TABLE plain_member_events (LIKE member_events);
            CREATE INDEX ON plain_member_events (chat_id, at);
            INSERT INTO plain_member_events SELECT * FROM member_events_p202601;
        """)
        psql(db, "VACUUM (ANALYZE)")
        psql(db, "CHECKPOINT")
        stored = int(psql(db, "SELECT count(*) FROM member_events_p202601"))
        if stored != rows:
            failures.append(f"retention: {stored} events stored in January, not {rows}")

        started = time.monotonic()
        upkeep = subprocess.run(usher + ["upkeep", "--at", "2027-02-10T00:00:00Z", *cfg], env=env,
                                capture_output=True, text=True)
        drop_s = time.monotonic() - started
        if upkeep.returncode != 0 or "dropped member events 2026-01-01" not in upkeep.stdout.splitlines():
            failures.append(f"retention: upkeep did not drop January: {upkeep.stdout} {upkeep.stderr}")
        left = int(psql(db, "SELECT count(*) FROM pg_class WHERE relname = 'member_events_p202601'"))
        if left:
            failures.append("retention: January's partition is still there")

        started = time.monotonic()
        psql(db, f"DELETE FROM plain_member_events WHERE at >= '{JANUARY}' AND at < '{FEBRUARY}'")
        delete_s = time.monotonic() - started
        remaining = int(psql(db, "SELECT count(*) FROM plain_member_events"))
        if remaining:
            failures.append(f"retention: DELETE left {remaining} rows")
        # The DELETE gives no space back until a VACUUM removes the dead
        # rows and their index entries: the rest of its cost.
        started = time.monotonic()
        psql(db, "VACUUM plain_member_events")
        vacuum_s = time.monotonic() - started
        return {"rows": rows, "drop_s": drop_s, "delete_s": delete_s, "vacuum_s": vacuum_s}
    finally:
        psql("postgres", f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
