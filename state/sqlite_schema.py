"""The embedded database's tables. Records are stored as the shared JSON codec writes them,
with just the columns a query or a uniqueness rule needs beside them."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS people (
    channel TEXT NOT NULL, user_id TEXT NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (channel, user_id));
CREATE TABLE IF NOT EXISTS person_addresses (ref TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS groups (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS group_members (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS schedules (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS calendar (name TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lessons (
    lesson_id TEXT PRIMARY KEY, group_key TEXT NOT NULL, active INTEGER NOT NULL,
    started_at REAL NOT NULL, data TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS one_active_lesson_per_group
    ON lessons (group_key) WHERE active = 1;
CREATE TABLE IF NOT EXISTS cases (
    reference TEXT PRIMARY KEY, state TEXT NOT NULL, received_at REAL NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS case_origins (origin TEXT PRIMARY KEY, reference TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS due (
    queue TEXT NOT NULL, item_id TEXT NOT NULL, due_at REAL NOT NULL,
    parked INTEGER NOT NULL DEFAULT 0, token TEXT, data TEXT NOT NULL,
    PRIMARY KEY (queue, item_id));
CREATE INDEX IF NOT EXISTS due_by_time ON due (queue, parked, due_at);
CREATE TABLE IF NOT EXISTS instances (holder TEXT PRIMARY KEY, alive_until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS send_slots (bucket TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS send_slots_by_bucket ON send_slots (bucket, at);
CREATE TABLE IF NOT EXISTS tallies (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, data TEXT NOT NULL, prev TEXT, seal TEXT);
CREATE TABLE IF NOT EXISTS covers (person TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_chain (end_name TEXT PRIMARY KEY, seq INTEGER NOT NULL, seal TEXT NOT NULL);
"""

REMEMBER_KEY = ("INSERT INTO seen (key, expires_at) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE seen.expires_at <= ?")
"""Remember a key until a time (key, until, now): inserted, or renewed if what was remembered expired."""

QUEUE_ITEM = "INSERT OR {verb} INTO due (queue, item_id, due_at, parked, token, data) VALUES (?, ?, ?, 0, NULL, ?)"
"""Queue a due item (queue, id, due time, JSON); `verb` REPLACE or IGNORE says what an existing id does."""
