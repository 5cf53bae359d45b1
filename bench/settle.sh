#!/usr/bin/env bash
# bench/settle.sh — the daily settlement at scale: SETTLE_MERCHANTS merchants (10000) with
# SETTLE_ORDERS finished orders each (100) on one day, settled by `lifemarket settle` (one
# transaction per merchant: lock, lines, statement, payout), timed; beside it, the ceiling of its
# SQL: the same lines read for every merchant in one statement.
#
#   bench/settle.sh                                   # release build, 10000 x 100
#   SETTLE_MERCHANTS=1000 SETTLE_ORDERS=100 BENCH_SKIP_BUILD=1 bench/settle.sh
#
# The merchants come from `seed --scale`; their orders are posted straight into the ledger by
# SQL (a payment and a release each, as the order flow posts them), with the ledger's triggers
# off for the bulk load (session_replication_role = replica) and the merchants' balances set from
# the postings afterwards; the settlement itself runs with every trigger on. Uses the bench
# PostgreSQL (bench/common.sh); SETTLE_BIN overrides the binary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh
# shellcheck source=bench/common.sh
source bench/common.sh

MERCHANTS=${SETTLE_MERCHANTS:-10000}
ORDERS=${SETTLE_ORDERS:-100}
BIN=${SETTLE_BIN:-$TARGET/release/lifemarket}
DB=bench_settle
DB_URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB"

pg_require
[[ -n ${SETTLE_BIN:-} ]] || bench_build
bench_pg_start
psql_q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
log "seeding $MERCHANTS merchants"
DATABASE_URL=$DB_URL MAIL_DIR=$(mktemp -d) RUST_LOG=warn "$BIN" seed --scale "$MERCHANTS" | tail -n 1

DAY=$(TZ=Asia/Shanghai date +%F)
log "posting $ORDERS finished orders per merchant on $DAY"
started=$(date +%s.%N)
psql_q "$DB_URL" <<SQL
SET session_replication_role = replica;
INSERT INTO ledger_accounts (id, kind, merchant_id, normal_side)
SELECT gen_random_uuid(), 'merchant_payable', id, -1 FROM merchants;
CREATE TEMP TABLE o AS
SELECT m.id AS merchant_id, a.id AS payable, gen_random_uuid() AS subject, gen_random_uuid() AS pay,
       gen_random_uuid() AS rel, 1000 + (n * 37) % 9000 AS amount, n
  FROM merchants m JOIN ledger_accounts a ON a.merchant_id = m.id AND a.kind = 'merchant_payable',
       generate_series(1, $ORDERS) n;
INSERT INTO ledger_entries (id, kind, key, merchant_id, subject_kind, subject_id, provider, reference, memo, occurred_at, posted_at)
SELECT pay, 'payment', 'payment:' || pay, merchant_id, 'order', subject, 'wechat', 'B' || replace(pay::text, '-', ''),
       'payment taken', now(), now() FROM o
UNION ALL
SELECT rel, 'release', NULL, merchant_id, 'order', subject, NULL, NULL, 'purchase finished', now(), now() FROM o;
INSERT INTO ledger_postings (entry_id, account_id, amount_cents, subject_id, posted_at)
SELECT pay, '00000000-0000-0000-0000-00000000a001'::uuid, amount, subject, now() FROM o
UNION ALL SELECT pay, '00000000-0000-0000-0000-00000000a002'::uuid, -amount, subject, now() FROM o
UNION ALL SELECT rel, '00000000-0000-0000-0000-00000000a002'::uuid, amount, subject, now() FROM o
UNION ALL SELECT rel, payable, -(amount - amount * 8 / 100), subject, now() FROM o
UNION ALL SELECT rel, '00000000-0000-0000-0000-00000000a003'::uuid, -(amount * 8 / 100), subject, now() FROM o;
UPDATE ledger_accounts a SET balance_cents = s.owed
  FROM (SELECT payable, sum(amount - amount * 8 / 100) AS owed FROM o GROUP BY payable) s
 WHERE a.id = s.payable;
INSERT INTO payout_accounts (merchant_id, method, account, holder_name, updated_by, updated_at)
SELECT id, 'alipay', 'm' || left(id::text, 8) || '@example.cn', '商户', owner_id, now() FROM merchants;
SET session_replication_role = origin;
ANALYZE;
SQL
printf '  loaded in %.1f s\n' "$(echo "$(date +%s.%N) - $started" | bc)"

log "ceiling: every merchant's lines in one statement"
ceiling=$(psql_q "$DB_URL" -c '\timing on' -c "
SELECT count(*) FROM (
  SELECT e.merchant_id, e.subject_id, sum(p.amount_cents)
    FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
   WHERE e.posted_at >= current_date - 1 AND e.kind IN ('release', 'refund', 'refund_reversal')
   GROUP BY 1, 2) l" | awk '/^Time:/ {print $2}')

log "lifemarket settle --day $DAY"
started=$(date +%s.%N)
DATABASE_URL=$DB_URL RUST_LOG=warn "$BIN" settle --day "$DAY"
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
statements=$(psql_q "$DB_URL" -c "SELECT count(*) FROM statements")
lines=$(psql_q "$DB_URL" -c "SELECT count(*) FROM statement_lines")
owed=$(psql_q "$DB_URL" -c "SELECT coalesce(sum(balance_cents), 0) FROM ledger_accounts WHERE kind = 'merchant_payable'")
paid=$(psql_q "$DB_URL" -c "SELECT coalesce(sum(amount_cents), 0) FROM payouts")
printf '\n| merchants | orders each | statements | lines | settle (s) | merchants/s | ceiling: lines in one statement (ms) | payable left | paid out (fen) |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
printf '| %s | %s | %s | %s | %.1f | %.0f | %s | %s | %s |\n' "$MERCHANTS" "$ORDERS" "$statements" "$lines" \
    "$elapsed" "$(echo "$statements / $elapsed" | bc -l)" "${ceiling:-?}" "$owed" "$paid"
[[ $statements == "$MERCHANTS" && $owed == 0 ]] || die "expected $MERCHANTS statements and nothing left owed"
