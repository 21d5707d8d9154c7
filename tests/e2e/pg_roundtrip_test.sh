#!/usr/bin/env bash
# PostgreSQL logical backups against a real server: a database with several schemas, most
# column types, large objects, sequences, views, functions, triggers, indexes, foreign keys and
# extensions goes through `pg backup` and comes back through `pg restore --create`, `--clean`,
# `--table` and `pg dump`, compared table by table (every row), sequence by sequence and in its
# full schema; `pg verify` notices a changed table; tiers select tables.
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/pg_lib.sh"

start_pg
REPO="${WORK}/repo"
export LIFEBOAT_PASSWORD=pw
expect 0 init --repo "${REPO}"

step "a database with a bit of everything"
psql_q postgres "CREATE DATABASE app"
psql -X -q -v ON_ERROR_STOP=1 -d app >/dev/null <<'SQL' || fail "creating the source database"
CREATE EXTENSION hstore;
CREATE EXTENSION citext;
CREATE SCHEMA billing;
CREATE TABLE users (id serial PRIMARY KEY, email citext UNIQUE NOT NULL, name text,
  profile jsonb, tags text[], attrs hstore, avatar bytea, balance numeric(20,6),
  created timestamptz DEFAULT now(), born date, wake time, ttl interval, score double precision,
  name_upper text GENERATED ALWAYS AS (upper(name)) STORED);
CREATE TABLE user_subscriptions (id bigserial PRIMARY KEY, user_id int NOT NULL REFERENCES users(id),
  plan text NOT NULL, status text, renews_at timestamptz);
CREATE TABLE billing.invoices (user_id int, number int, amount numeric, memo text,
  PRIMARY KEY (user_id, number));
CREATE TABLE activity_log (at timestamptz, what text);  -- no primary key
CREATE TABLE "Odd Name" ("Mixed Case" int PRIMARY KEY, "tab	col" text);
CREATE TABLE empty_table (id int PRIMARY KEY);
CREATE TABLE documents (id int PRIMARY KEY, body oid);
CREATE INDEX ON user_subscriptions (status);
CREATE VIEW active AS SELECT u.email, s.plan FROM users u JOIN user_subscriptions s ON s.user_id = u.id WHERE s.status = 'active';
CREATE MATERIALIZED VIEW plan_counts AS SELECT plan, count(*) FROM user_subscriptions GROUP BY plan;
CREATE FUNCTION billing.total(uid int) RETURNS numeric LANGUAGE sql AS $$ SELECT sum(amount) FROM billing.invoices WHERE user_id = uid $$;
CREATE TABLE audit (id serial PRIMARY KEY, note text);
CREATE FUNCTION log_sub() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit(note) VALUES ('sub ' || NEW.id); RETURN NEW; END $$;
CREATE TRIGGER sub_audit AFTER INSERT ON user_subscriptions FOR EACH ROW EXECUTE FUNCTION log_sub();
CREATE SEQUENCE billing.invoice_numbers START 1000;
INSERT INTO users (email, name, profile, tags, attrs, avatar, balance, born, wake, ttl, score)
SELECT 'user' || g || '@Example.com', CASE WHEN g % 7 = 0 THEN NULL ELSE 'User ' || g || E' with\ttab\\and "quotes"\nnewline' END,
  jsonb_build_object('n', g, 'nested', jsonb_build_array(g, 'x', NULL)), ARRAY['a' || g, NULL, 'c,d'],
  hstore('k', g::text), decode(md5(g::text), 'hex'), g * 1.123456, DATE '2000-02-29' + g,
  TIME '04:05:06.789' , make_interval(days => g, secs => 0.5), g / 3.0
FROM generate_series(1, 3000) g;
INSERT INTO user_subscriptions (user_id, plan, status, renews_at)
SELECT g, (ARRAY['free','pro','team'])[1 + g % 3], CASE WHEN g % 4 = 0 THEN 'cancelled' ELSE 'active' END,
  TIMESTAMPTZ '2026-03-29 01:30:00+01' + g * INTERVAL '1 hour' FROM generate_series(1, 3000) g;
INSERT INTO billing.invoices SELECT g % 100 + 1, g, g * 9.99, 'Ünïcødé ✓ ' || g FROM generate_series(1, 2000) g;
INSERT INTO activity_log SELECT now() - g * INTERVAL '1 minute', 'event ' || g FROM generate_series(1, 5000) g;
INSERT INTO "Odd Name" VALUES (1, 'x'), (2, NULL);
INSERT INTO documents VALUES (1, lo_from_bytea(0, 'large object one')), (2, lo_from_bytea(0, decode(repeat('ab', 100000), 'hex')));
SELECT nextval('billing.invoice_numbers') FROM generate_series(1, 5);
REFRESH MATERIALIZED VIEW plan_counts;
SQL
TABLES=(public.users public.user_subscriptions billing.invoices public.activity_log '"Odd Name"'
  public.empty_table public.documents public.audit)
digests() {  # DB
  local t
  for t in "${TABLES[@]}"; do echo "${t} $(table_digest "$1" "${t}")"; done
  psql_q "$1" "SELECT last_value || '/' || is_called FROM billing.invoice_numbers"
  psql_q "$1" "SELECT last_value FROM users_id_seq"
  psql_q "$1" "SELECT string_agg(md5(lo_get(body)), ',' ORDER BY id) FROM documents"
  psql_q "$1" "SELECT count(*) FROM active"
  psql_q "$1" "SELECT * FROM plan_counts ORDER BY 1"
  psql_q "$1" "SELECT billing.total(5)"
}
schema_of() {  # DB: the full schema as pg_dump prints it, without the per-run restrict key
  "${PG_BIN}/pg_dump" --schema-only -d "$1" | grep -v '^\\\(un\)\?restrict ' || fail "pg_dump --schema-only $1"
}
digests app >"${WORK}/app.digests"
schema_of app >"${WORK}/app.schema"

step "pg backup stores the database and its manifest"
expect 0 pg backup --repo "${REPO}" --dbname "postgresql://postgres@127.0.0.1:${PGPORT}/app" --tag nightly
assert_out_contains "Tables:     8, " "the summary counts the tables"
expect 0 snapshots --repo "${REPO}" --json
assert_eq "$(json 'd[0]["source"]')" "postgres" "source"
assert_eq "$(json 'd[0]["paths"]')" "['postgresql://127.0.0.1:${PGPORT}/app']" "the database is the path"
assert_eq "$(json 'd[0]["manifest"]["database"]')" "app" "manifest database"
assert_eq "$(json 'sorted(e["name"] for e in d[0]["manifest"]["extensions"])')" "['citext', 'hstore', 'plpgsql']" "extensions"
assert_eq "$(json '{t["schema"] + "." + t["name"]: t["rows"] for t in d[0]["manifest"]["tables"]}["public.users"]')" "3000" "exact row count"
assert_eq "$(json '[t["order_by"] for t in d[0]["manifest"]["tables"] if t["name"] == "invoices"][0]')" "['user_id', 'number']" "rows in key order"
assert_eq "$(json 'd[0]["manifest"]["encoding"]')" "UTF8" "encoding"
[[ "$(json 'd[0]["manifest"]["wal_lsn"]')" =~ ^[0-9A-F]+/[0-9A-F]+$ ]] || fail "no WAL position in the manifest"

step "restore --create gives the same rows, sequences, objects and schema"
expect 0 pg restore latest --repo "${REPO}" --dbname "postgresql://postgres@127.0.0.1:${PGPORT}/app_copy" --create
assert_out_contains "the restored database matches the backup: 8 tables" "restore verifies"
digests app_copy >"${WORK}/copy.digests"
diff "${WORK}/app.digests" "${WORK}/copy.digests" >&2 || fail "restored rows differ"
schema_of app_copy >"${WORK}/copy.schema"
diff "${WORK}/app.schema" "${WORK}/copy.schema" >&2 || fail "restored schema differs"
expect 0 pg verify latest --repo "${REPO}" --dbname "dbname=app_copy" --content
assert_out_contains "the database matches the backup: 8 tables" "content verify passes"

step "restore --create refuses an existing database"
expect 1 pg restore latest --repo "${REPO}" --dbname "dbname=app_copy" --create
assert_err_contains 'database "app_copy" already exists' "named"

step "pg verify reports each difference and exits 4"
psql_q app_copy "DELETE FROM activity_log WHERE what = 'event 7'; UPDATE billing.invoices SET memo = 'changed' WHERE number = 5"
expect 4 pg verify latest --repo "${REPO}" --dbname "dbname=app_copy"
assert_err_contains "table public.activity_log has 4999 rows, the backup has 5000" "count difference"
expect 4 pg verify latest --repo "${REPO}" --dbname "dbname=app_copy" --content
assert_err_contains "table billing.invoices has the same row count but different rows" "content difference"

step "restore --clean over a changed database brings it back"
psql_q app_copy "DROP VIEW active; ALTER TABLE users ADD COLUMN extra int; INSERT INTO user_subscriptions (user_id, plan) VALUES (1, 'x')"
expect 0 pg restore latest --repo "${REPO}" --dbname "dbname=app_copy" --clean --jobs 3
digests app_copy >"${WORK}/clean.digests"
diff "${WORK}/app.digests" "${WORK}/clean.digests" >&2 || fail "rows differ after --clean"
schema_of app_copy >"${WORK}/clean.schema"
diff "${WORK}/app.schema" "${WORK}/clean.schema" >&2 || fail "schema differs after --clean"

step "a single table's rows, replaced in place"
psql_q app_copy "DELETE FROM billing.invoices WHERE number % 3 = 0" >/dev/null
expect 0 pg restore latest --repo "${REPO}" --dbname "dbname=app_copy" --table billing.invoices --clean
assert_out_contains "1 tables, 2000 rows" "one table restored"
assert_eq "$(table_digest app_copy billing.invoices)" "$(table_digest app billing.invoices)" "invoices back"
expect 1 pg restore latest --repo "${REPO}" --dbname "dbname=app_copy" --table nosuch
assert_err_contains 'no table in the backup matches "nosuch"' "unknown table in restore"

step "pg dump writes a script psql restores"
expect 0 pg dump latest --repo "${REPO}"
psql_q postgres "CREATE DATABASE from_script"
psql -X -q -v ON_ERROR_STOP=1 -d from_script -f "${WORK}/out" >/dev/null 2>"${WORK}/psql.err" ||
  fail "psql could not run the script: $(head -c 2000 "${WORK}/psql.err")"
digests from_script >"${WORK}/script.digests"
diff "${WORK}/app.digests" "${WORK}/script.digests" >&2 || fail "rows differ after the script"

step "tiers: a backup of tier 1 takes only its tables and records every tier"
expect 0 pg backup --repo "${REPO}" --dbname "dbname=app" --tier-tables 1=users,user_subscriptions \
  --tier-tables 3=activity_log --default-tier 2 --tier 1 --json
expect 0 snapshots --repo "${REPO}" --json
assert_eq "$(json 'sorted((t["name"], t["tier"]) for t in d[-1]["manifest"]["tables"])')" \
  "[('user_subscriptions', 1), ('users', 1)]" "tier 1 tables"
assert_eq "$(json 'd[-1]["manifest"]["tiers_selected"]')" "[1]" "the tier is recorded"
expect 0 pg backup --repo "${REPO}" --dbname "dbname=app" --tier-tables 1=users,user_subscriptions \
  --tier-tables 3=activity_log --default-tier 2 --exclude-table-data activity_log
expect 0 snapshots --repo "${REPO}" --json
assert_eq "$(json '{t["name"]: (t["tier"], t["file"] != "") for t in d[-1]["manifest"]["tables"]}["activity_log"]')" \
  "(3, False)" "tier 3 table kept without rows"
expect 0 pg restore latest --repo "${REPO}" --dbname "dbname=tiers_copy" --create
assert_eq "$(psql_q tiers_copy 'SELECT count(*) FROM activity_log')" "0" "activity_log restored empty"
assert_eq "$(table_digest tiers_copy users)" "$(table_digest app users)" "users restored"

step "the second day stores little"
psql_q app "UPDATE users SET balance = balance + 1 WHERE id <= 20; INSERT INTO billing.invoices VALUES (1, 99999, 1, 'new')"
expect 0 pg backup --repo "${REPO}" --dbname "dbname=app" --json
added=$(json 'd["bytes_added"]')
total=$(json 'd["total_bytes"]')
(( added * 4 < total )) || fail "day 2 added ${added} of ${total} bytes"
expect 0 check --repo "${REPO}" --read-data
echo "PASS: ${TEST_NAME}"
