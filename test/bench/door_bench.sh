#!/usr/bin/env bash
# door_bench.sh — what juki's door costs (issue 6), against baselines measured in the same run.
#
#   plain   primary-key SELECT of a plain copy of the residents (bench.resident_plain)
#   pgaudit the same SELECT by a role with pgaudit.log = 'read' (ALTER ROLE ... SET, that role only)
#   naive   a PL/pgSQL audited lookup: lock the chain-head row, sha256(prev || record), insert the
#           log row, update the head, return the row; one durable commit (synchronous_commit on)
#   durable PostgreSQL's own price for one durable record per request (issue 16): a SQL function
#           that INSERTs an unchained audit row (who, purpose, code, time) and returns the
#           resident's row; one durable commit each
#   juki1   the one-statement lookup: SELECT * FROM juki.lookup(purpose, code, token)
#   juki    BEGIN; juki.attach(token); juki.lookup('wide_area_copy_issuance', code); COMMIT;
#           16 operators (card + password + training + designation + approved permit), logged
#           in before the run; the pgbench client i uses operator i % 16's token
#   each at CLIENTS (1 4 16 64), interleaved scenario by scenario, round by round, so that drift
#   hits all alike.  Then: log bytes per lookup; wait events of juki at 16 clients (and a perf
#   profile with PERF=1); the log filled to VERIFY_ENTRIES entries and juki.verify_log() against a
#   PL/pgSQL verifier that recomputes the same canonical form and chain; with BENCH_BIG=1, juki
#   and plain at 16 clients before and after growing the register from RESIDENTS to BIG_RESIDENTS.
#
# Driver: pgbench with custom scripts.  An operator session is a server-side object bound to one
# transaction by juki.attach, so pgbench needs no session state beyond the token: the juki script
# fetches its client's token from bench.tokens once (\gset, guarded by \if, pgbench variables
# persist across a client's transactions), then runs 4 statements per transaction.  Clients
# connect as bench_terminal (a juki_terminal application role, as a counter application
# would) because pgbench connects every client as one role.  Every scenario picks a random
# active resident with the same in-statement subquery on bench.codes (n -> resident_code), so
# every transaction carries the same extra primary-key probe.
#
# Runs as root; starts its own throwaway cluster as the postgres OS user (Unix socket in a temp
# dir) and stops it on exit.
# Knobs: DURATION (s per run, 8), ROUNDS (2), CLIENTS ("1 4 16 64"), RESIDENTS (100000),
#        SCEN ("plain durable juki1 juki"; add pgaudit naive for the older comparisons),
#        VERIFY_ENTRIES (100000; 0 skips), VERIFY_FILL (juki1: the log is filled with one-statement
#        lookups; logread: with auditor reads, cheaper), VERIFY_ONLY (0; 1 = only fill and verify
#        the log, which juki.verify_log() checks as chain and Merkle tree in one pass),
#        BYTES_LOOKUPS (16000), FILING_ENTRIES (50000: the
#        writer stopped while that many lookups are logged, then its filing rate measured),
#        PROFILE_SCEN (juki) and PROFILE_CLIENTS (16): the run profiled (wait events, PERF=1),
#        FILING_ROUNDS (1), FILING_ONLY (0; 1 = only the filing rate, no scenarios, no
#        verification: `make bench-filing`, with PERF=1 a perf profile of the writer),
#        BENCH_BIG (0; 1 = also 10M),
#        BIG_RESIDENTS (10000000), PERF (0; 1 = perf record during the juki profile run),
#        OUT (/tmp/juki-bench/door.md), PGBIN (/usr/lib/postgresql/15/bin), PORT (55433),
#        KEEP=1 keeps the temp dir (and the cluster's data).
set -euo pipefail

DURATION=${DURATION:-8}
ROUNDS=${ROUNDS:-2}
CLIENTS=${CLIENTS:-"1 4 16 64"}
RESIDENTS=${RESIDENTS:-100000}
SCEN=${SCEN:-"plain durable juki1 juki"}
VERIFY_ENTRIES=${VERIFY_ENTRIES:-100000}
VERIFY_FILL=${VERIFY_FILL:-juki1}
VERIFY_ONLY=${VERIFY_ONLY:-0}
FILING_ENTRIES=${FILING_ENTRIES:-50000}
FILING_ROUNDS=${FILING_ROUNDS:-1}
FILING_ONLY=${FILING_ONLY:-0}
PROFILE_SCEN=${PROFILE_SCEN:-juki}
PROFILE_CLIENTS=${PROFILE_CLIENTS:-16}
[[ $FILING_ONLY == 1 ]] && VERIFY_ENTRIES=0
BYTES_LOOKUPS=${BYTES_LOOKUPS:-16000}
BENCH_BIG=${BENCH_BIG:-0}
BIG_RESIDENTS=${BIG_RESIDENTS:-10000000}
PERF=${PERF:-0}
OUT=${OUT:-/tmp/juki-bench/door.md}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-55433}
NOPS=16
PURPOSE=wide_area_copy_issuance
PASSWORD='Madoguchi#2026'
SRC=$(cd "$(dirname "$0")/../.." && pwd)
CMD="DURATION=$DURATION ROUNDS=$ROUNDS CLIENTS=\"$CLIENTS\" SCEN=\"$SCEN\" RESIDENTS=$RESIDENTS FILING_ENTRIES=$FILING_ENTRIES VERIFY_ENTRIES=$VERIFY_ENTRIES VERIFY_FILL=$VERIFY_FILL VERIFY_ONLY=$VERIFY_ONLY FILING_ONLY=$FILING_ONLY FILING_ROUNDS=$FILING_ROUNDS BENCH_BIG=$BENCH_BIG PERF=$PERF PROFILE_SCEN=$PROFILE_SCEN PROFILE_CLIENTS=$PROFILE_CLIENTS PGBIN=$PGBIN test/bench/door_bench.sh"

die() { echo "door_bench: error: $*" >&2; exit 1; }
say() { echo "[$(date +%H:%M:%S)] $*" >&2; }
T0=$(date +%s)

# ------------------------------------------------------------------ checks
[[ $(id -u) -eq 0 ]] || die "run as root (the cluster runs as the postgres OS user)"
id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (install postgresql-15)"
for b in initdb pg_ctl psql pgbench pg_config; do
	[[ -x $PGBIN/$b ]] || die "$PGBIN/$b not found (set PGBIN)"
done
PKGLIB=$("$PGBIN/pg_config" --pkglibdir)
[[ -f $PKGLIB/juki.so ]] || die "juki is not installed in $PKGLIB: run 'make test' (JUKI_PGBIN=$PGBIN) first"
PRELOAD=juki
if [[ " $SCEN " == *" pgaudit "* ]]; then
	[[ -f $PKGLIB/pgaudit.so ]] || die "pgaudit is not installed in $PKGLIB (Debian: apt-get install postgresql-15-pgaudit)"
	PRELOAD=juki,pgaudit
fi
for v in DURATION ROUNDS RESIDENTS BIG_RESIDENTS BYTES_LOOKUPS FILING_ROUNDS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done
[[ $VERIFY_ENTRIES =~ ^[0-9]+$ ]] || die "VERIFY_ENTRIES must be a non-negative integer"
[[ $VERIFY_FILL == juki || $VERIFY_FILL == juki1 || $VERIFY_FILL == logread ]] || die "VERIFY_FILL must be juki, juki1 or logread"
for c in $CLIENTS; do [[ $c =~ ^[1-9][0-9]*$ && $c -le 90 ]] || die "bad client count '$c' (1..90)"; done
[[ $PERF == 1 ]] && ! command -v perf >/dev/null && die "PERF=1 but perf is not installed (apt-get install linux-perf)"

# ----------------------------------------------------------------- cluster
WORK=$(mktemp -d /tmp/juki-door-bench.XXXXXX)
chmod 755 "$WORK"
chown postgres: "$WORK"
DATA=$WORK/data RES=$WORK/res SLOG=$WORK/server.log KEYS=$WORK/keys
mkdir -p "$RES" "$KEYS"
WAITPID=""

on_exit() {
	local rc=$?
	[[ -n $WAITPID ]] && kill "$WAITPID" 2>/dev/null
	if [[ -f $DATA/postmaster.pid ]]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [[ $rc -ne 0 ]]; then
		[[ -f $SLOG ]] && { echo "--- last lines of the server log ($SLOG):" >&2; tail -n 30 "$SLOG" >&2; }
		echo "door_bench: failed (exit $rc); temp dir kept: $WORK" >&2
	elif [[ ${KEEP:-0} == 1 ]]; then
		echo "temp dir kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# q USER SQL... : run SQL in database bench, unaligned output
q() { local u=$1; shift; "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$WORK" -p "$PORT" -U "$u" -d bench "$@"; }
secs() { echo $(($(date +%s) - $1)); }

say "initdb in $WORK"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -A trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 \
	|| { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = $PORT
shared_preload_libraries = '$PRELOAD'
juki.database = 'bench'
juki.checkpoint_interval = '1h'
# the operators log in once, before the first round; the fill and the 10M import take longer
# than the default 5 min idle lock
juki.idle_timeout = '2h'
# each of the 16 operators makes tens of thousands of one-row lookups in the run, far beyond
# the default volume window (juki.window_rows = 200 rows per operator and purpose in
# juki.volume_window): the benchmark measures the door's cost, not its volume ceilings, so it
# allows them explicitly (each lookup is its own statement: juki.statement_rows is not reached)
juki.window_rows = 100000000
# the filing-rate measurement stops the writer while FILING_ENTRIES lookups are logged
juki.audit_max_backlog = 10000000
max_connections = 110
max_worker_processes = 16
shared_buffers = 512MB
max_wal_size = 4GB
synchronous_commit = on
fsync = on
EOF
[[ $PRELOAD == juki,pgaudit ]] && echo "pgaudit.log = 'none'" >>"$DATA/postgresql.conf"
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$SLOG" -w start >/dev/null || die "server did not start"
"$PGBIN/psql" -X -q -h "$WORK" -p "$PORT" -U postgres -d postgres -c 'CREATE DATABASE bench' || die "CREATE DATABASE failed"

say "installing juki; roles"
[[ $PRELOAD == juki,pgaudit ]] && q postgres -c "CREATE ROLE bench_pga LOGIN" -c "ALTER ROLE bench_pga SET pgaudit.log = 'read'"
q postgres <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION juki CASCADE;
CREATE SCHEMA bench;
CREATE ROLE bench_am LOGIN;       GRANT juki_access_manager TO bench_am;
CREATE ROLE bench_chief LOGIN;    GRANT juki_chief_security_officer TO bench_chief;
CREATE ROLE bench_officer LOGIN;  GRANT juki_security_officer TO bench_officer;
CREATE ROLE bench_reg LOGIN;      GRANT juki_registrar TO bench_reg;
CREATE ROLE bench_sys LOGIN;      GRANT juki_system_administrator TO bench_sys;
CREATE ROLE bench_aud LOGIN;      GRANT juki_auditor TO bench_aud;
CREATE ROLE bench_terminal LOGIN; GRANT juki_terminal TO bench_terminal;
CREATE ROLE bench_plain LOGIN;
CREATE ROLE bench_naive LOGIN;
CREATE ROLE bench_durable LOGIN;
GRANT USAGE ON SCHEMA bench TO PUBLIC;
GRANT CREATE ON SCHEMA bench TO bench_reg;
SQL
for i in $(seq -w 1 $NOPS); do
	echo "CREATE ROLE bench_op$i LOGIN; GRANT juki_operator TO bench_op$i;"
done | q postgres

for w in $(seq 60); do
	[[ $(q postgres -c 'SELECT last_seq IS NOT NULL FROM juki.status()') == t ]] && break
	[[ $w -eq 60 ]] && die "juki's audit writer did not report a chain head within 60 s"
	sleep 1
done

# -------------------------------------------------------------- residents
# import_residents reads a staging table that the registrar owns; the plain copy has the
# same columns, types and primary key, loaded from the same staging rows.
load_residents() { # FROM_ROW TO_ROW: gen_town.pl is prefix-stable (N rows = first N of more)
	local from=$1 to=$2 t
	t=$(date +%s)
	say "generating residents $from..$to"
	perl "$SRC/test/demo/gen_town.pl" --residents "$to" | tail -n +"$from" >"$WORK/town.tsv"
	say "  generated in $(secs "$t") s; staging"
	q postgres <<SQL
\c - bench_reg
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench.staging;
CREATE TABLE bench.staging (resident_code text, individual_number text, full_name text,
	full_name_kana text, former_surname text, alias_name text, birth_date date, sex text,
	address text, municipality_code text, change_reason text, change_date date, status text);
\copy bench.staging FROM '$WORK/town.tsv'
SQL
	rm -f "$WORK/town.tsv"
	t=$(date +%s)
	local n
	n=$(q bench_reg -c "SELECT juki.import_residents('bench.staging')")
	IMPORT_S=$(secs "$t")
	say "  juki.import_residents: $n rows in $IMPORT_S s"
	q postgres <<'SQL'
INSERT INTO bench.resident_plain SELECT resident_code, individual_number, full_name, full_name_kana,
	former_surname, alias_name, birth_date, sex, address, municipality_code, change_reason,
	change_date, coalesce(status, 'active'), now() FROM bench.staging;
INSERT INTO bench.codes SELECT (SELECT coalesce(max(n), 0) FROM bench.codes) + row_number() OVER (), resident_code
  FROM bench.staging WHERE coalesce(status, 'active') = 'active';
DROP TABLE bench.staging;
VACUUM ANALYZE bench.resident_plain;
VACUUM ANALYZE bench.codes;
ANALYZE juki.resident;
SQL
	NCODES=$(q postgres -c 'SELECT max(n) FROM bench.codes')
}

q postgres <<'SQL'
CREATE TABLE bench.resident_plain (
	resident_code text PRIMARY KEY, individual_number text NOT NULL UNIQUE, full_name text NOT NULL,
	full_name_kana text NOT NULL, former_surname text, alias_name text, birth_date date NOT NULL,
	sex char(1) NOT NULL, address text NOT NULL, municipality_code text NOT NULL,
	change_reason text NOT NULL, change_date date NOT NULL, status text NOT NULL,
	updated_at timestamptz NOT NULL);
CREATE TABLE bench.codes (n int PRIMARY KEY, code text NOT NULL);
CREATE TABLE bench.tokens (n int PRIMARY KEY, token text NOT NULL);
GRANT SELECT ON bench.resident_plain, bench.codes TO bench_plain, bench_naive, bench_durable, bench_terminal;
GRANT SELECT ON bench.tokens TO bench_terminal;
SQL
[[ $PRELOAD == juki,pgaudit ]] && q postgres -c "GRANT SELECT ON bench.resident_plain, bench.codes TO bench_pga"
q postgres <<'SQL'
SELECT 1;
SQL
load_residents 1 "$RESIDENTS"
IMPORT1_S=$IMPORT_S
say "$NCODES active residents to look up"

# ------------------------------------------------------------ the naive chain
q postgres <<'SQL'
CREATE TABLE bench.naive_head (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash bytea NOT NULL);
INSERT INTO bench.naive_head VALUES (1, -1, decode(repeat('00', 32), 'hex'));
CREATE TABLE bench.naive_log (seq bigint PRIMARY KEY, ts timestamptz NOT NULL, db_role text NOT NULL,
	purpose text NOT NULL, subjects text[] NOT NULL, row_count int NOT NULL,
	prev_hash bytea NOT NULL, hash bytea NOT NULL);
-- the record as canonical JSON (keys sorted, no white space), like a juki entry
CREATE FUNCTION bench.naive_canon(seq bigint, ts timestamptz, db_role text, purpose text,
	subjects text[], row_count int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '{"action":"lookup","db_role":' || to_json(db_role)::text || ',"purpose":' || to_json(purpose)::text
      || ',"row_count":' || row_count || ',"seq":' || seq || ',"subjects":' || array_to_json(subjects)::text
      || ',"ts":"' || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"}'
$$;
CREATE FUNCTION bench.naive_lookup(code text) RETURNS SETOF bench.resident_plain
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  r bench.resident_plain; h record; nrow int; t timestamptz := clock_timestamp(); newh bytea;
BEGIN
  SELECT * INTO r FROM bench.resident_plain p WHERE p.resident_code = code;
  nrow := CASE WHEN FOUND THEN 1 ELSE 0 END;
  SELECT x.seq, x.hash INTO h FROM bench.naive_head x WHERE x.id = 1 FOR UPDATE;
  newh := sha256(h.hash || convert_to(bench.naive_canon(h.seq + 1, t, session_user, 'wide_area_copy_issuance',
                                                         ARRAY[code], nrow), 'UTF8'));
  INSERT INTO bench.naive_log VALUES (h.seq + 1, t, session_user, 'wide_area_copy_issuance', ARRAY[code], nrow, h.hash, newh);
  UPDATE bench.naive_head SET seq = h.seq + 1, hash = newh WHERE id = 1;
  IF nrow = 1 THEN RETURN NEXT r; END IF;
END $$;
REVOKE ALL ON FUNCTION bench.naive_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bench.naive_lookup(text) TO bench_naive;
SQL

# ------------------------------------------------------------ the durable insert
# PostgreSQL's own price for one durable record per request: an unchained audit row and the
# resident's row, one commit (synchronous_commit on) each
q postgres <<'SQL'
CREATE TABLE bench.durable_log (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, db_role text NOT NULL,
	purpose text NOT NULL, code text NOT NULL);
CREATE FUNCTION bench.durable_lookup(code text) RETURNS SETOF bench.resident_plain
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  INSERT INTO bench.durable_log (ts, db_role, purpose, code)
    VALUES (clock_timestamp(), session_user, 'wide_area_copy_issuance', code);
  SELECT * FROM bench.resident_plain p WHERE p.resident_code = code;
$$;
REVOKE ALL ON FUNCTION bench.durable_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bench.durable_lookup(text) TO bench_durable;
SQL

# ------------------------------------------------------------ staff and tokens
say "staff: $NOPS operators with cards, passwords, training, designation, approved permits"
q postgres <<'SQL' >/dev/null
\c - bench_sys
SELECT juki.set_operating_hours(NULL, '{0,1,2,3,4,5,6}', '00:00', '24:00');
SELECT juki.set_operating_hours('wide_area_copy_issuance', '{0,1,2,3,4,5,6}', '00:00', '24:00');
\c - bench_chief
SELECT juki.appoint_security_officer('bench_officer', '住民課');
SQL
for i in $(seq -w 1 $NOPS); do
	openssl genpkey -algorithm ed25519 -out "$KEYS/card$i.pem" 2>/dev/null
	openssl pkey -in "$KEYS/card$i.pem" -pubout -out "$KEYS/card$i.pub"
	op=$(q postgres -v pub="$(cat "$KEYS/card$i.pub")" <<SQL | tail -1
\c - bench_am
SELECT juki.register_operator('bench_op$i', 'ベンチ 窓口 $i', '住民課') AS op \gset
SELECT juki.register_card(:op, 'BENCH-CARD-$i', :'pub', current_date + 365);
SELECT juki.set_password(:op, '$PASSWORD');
SELECT juki.record_training(:op, 'operator', current_date - 1);
\c - bench_officer
SELECT juki.designate(:op, '{$PURPOSE}', current_date + 30, 'bench');
SELECT :op;
SQL
)
	chal=$(q bench_op$i -c "SELECT encode(juki.card_challenge('BENCH-CARD-$i'), 'hex')")
	sig=$(sh "$SRC/test/sign_challenge.sh" "$KEYS/card$i.pem" "$chal")
	token=$(q bench_op$i -c "SELECT juki.card_login('BENCH-CARD-$i', decode('$sig', 'hex'), '$PASSWORD')")
	[[ $token =~ ^[A-Za-z0-9_+/=-]{20,}$ ]] || die "card_login for bench_op$i returned '$token'"
	permit=$(q postgres <<SQL | grep -v '^$' | tail -1
\c - bench_op$i
BEGIN;
SELECT juki.attach('$token');
SELECT juki.request_permit('$PURPOSE', 'bench', now() + interval '1 day');
COMMIT;
SQL
)
	q bench_officer -c "SELECT juki.approve_permit($permit)" >/dev/null
	q postgres -c "INSERT INTO bench.tokens VALUES ($((10#$i - 1)), '$token')"
done
say "  operators ready ($(q postgres -c 'SELECT count(*) FROM bench.tokens') tokens)"

# ------------------------------------------------------------ pgbench scripts
PICK='\set n random(1, :ncodes)'
CODE='(SELECT c.code FROM bench.codes c WHERE c.n = :n)'
printf '%s\n' "$PICK" "SELECT * FROM bench.resident_plain WHERE resident_code = $CODE;" >"$WORK/plain.sql"
cp "$WORK/plain.sql" "$WORK/pgaudit.sql"
printf '%s\n' "$PICK" "SELECT * FROM bench.naive_lookup($CODE);" >"$WORK/naive.sql"
printf '%s\n' "$PICK" "SELECT * FROM bench.durable_lookup($CODE);" >"$WORK/durable.sql"
# filling the log: an auditor's read of the log is the cheapest durable, chained entry (log_read)
printf '%s\n' 'SELECT 1 FROM juki.operation_log WHERE seq = -1;' >"$WORK/logread.sql"
cat >"$WORK/juki.sql" <<EOF
\\if :have_token = 0
SELECT token, 1 AS have_token FROM bench.tokens WHERE n = :client_id % $NOPS \\gset
\\endif
$PICK
BEGIN;
SELECT juki.attach(:token);
SELECT * FROM juki.lookup('$PURPOSE', $CODE);
COMMIT;
EOF
cat >"$WORK/juki1.sql" <<EOF
\\if :have_token = 0
SELECT token, 1 AS have_token FROM bench.tokens WHERE n = :client_id % $NOPS \\gset
\\endif
$PICK
SELECT * FROM juki.lookup('$PURPOSE', $CODE, :token);
EOF
declare -A ROLE=([plain]=bench_plain [pgaudit]=bench_pga [naive]=bench_naive [durable]=bench_durable
	[juki]=bench_terminal [juki1]=bench_terminal [logread]=bench_aud)

# sanity: each scenario runs; juki discloses the resident; pgaudit logs bench_pga's reads
tok0=$(q postgres -c 'SELECT token FROM bench.tokens WHERE n = 0')
got=$(q bench_terminal <<EOF | grep -c '^[0-9]\{11\}$' || true
BEGIN;
SELECT juki.attach('$tok0');
SELECT resident_code FROM juki.lookup('$PURPOSE', (SELECT code FROM bench.codes WHERE n = 1));
COMMIT;
EOF
)
[[ $got == 1 ]] || die "juki.lookup through bench_terminal did not disclose the resident"

last_seq() { q postgres -c 'SELECT last_seq FROM juki.status()'; }
# entries durable but not yet filed (0 for a library before issue 16, which had no backlog)
backlog() { q postgres -c "SELECT coalesce((to_jsonb(s)->>'backlog')::bigint, 0) FROM juki.status() s"; }

# pgbench_run SCENARIO CLIENTS OUTFILE [extra pgbench args]: dies with the output on error
pgbench_run() {
	local s=$1 c=$2 out=$3; shift 3
	local j=$((c < 2 ? c : 2))
	if ! "$PGBIN/pgbench" -n -M prepared -c "$c" -j "$j" -h "$WORK" -p "$PORT" -U "${ROLE[$s]}" \
		-D ncodes="$NCODES" -D have_token=0 -f "$WORK/$s.sql" "$@" bench >"$out" 2>&1 \
		|| grep -q 'aborted\|ERROR' "$out"; then
		cat "$out" >&2
		die "pgbench failed in scenario $s with $c clients"
	fi
}
tps_of() { sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$1"; }
# p50 p99 in ms from pgbench -l files (3rd field: latency in µs)
pct_of() {
	cat "$@" | awk '{print $3}' | sort -n | awk '{a[NR]=$1}
		END {i=int(NR*0.50); if (i < NR*0.50) i++; k=int(NR*0.99); if (k < NR*0.99) k++;
		     printf "%.3f %.3f\n", a[i]/1000, a[k]/1000}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print ((NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else printf "n/a"}'; }

# timed_run SCENARIO CLIENTS TAG: one -T run, sets TPS_R P50_R P99_R
timed_run() {
	local s=$1 c=$2 tag=$3
	q postgres -c CHECKPOINT
	pgbench_run "$s" "$c" "$RES/$tag.out" -T "$DURATION" -l --log-prefix="$RES/$tag"
	TPS_R=$(tps_of "$RES/$tag.out")
	[[ -n $TPS_R ]] || { cat "$RES/$tag.out" >&2; die "cannot parse pgbench output for $tag"; }
	read -r P50_R P99_R < <(pct_of "$RES/$tag".[0-9]*)
	rm -f "$RES/$tag".[0-9]*
}
if [[ $VERIFY_ONLY != 1 && $FILING_ONLY != 1 ]]; then
	for s in $SCEN; do pgbench_run "$s" 1 "$RES/sanity.$s.out" -t 5; done
fi
if [[ $VERIFY_ONLY != 1 && " $SCEN " == *" pgaudit "* ]]; then
	grep -q 'AUDIT: SESSION,.*READ,SELECT' "$SLOG" || die "pgaudit did not log the reads of bench_pga"
fi

if [[ $VERIFY_ONLY != 1 && $FILING_ONLY != 1 ]]; then
# ---------------------------------------------------- the four scenarios, interleaved
say "scenarios ($SCEN) x clients ($CLIENTS) x $ROUNDS rounds x ${DURATION}s, $RESIDENTS residents"
declare -A TPS P50 P99
seq0=$(last_seq)
for c in $CLIENTS; do
	for r in $(seq "$ROUNDS"); do
		for s in $SCEN; do
			timed_run "$s" "$c" "$s.c$c.r$r"
			TPS[$s,$c]+=" $TPS_R"; P50[$s,$c]+=" $P50_R"; P99[$s,$c]+=" $P99_R"
			say "$(printf '%-8s c=%-2s round %s: %9.1f tps  p50 %8.3f ms  p99 %8.3f ms' "$s" "$c" "$r" "$TPS_R" "$P50_R" "$P99_R")"
		done
	done
done
denied=$(q bench_aud -c "SELECT count(*) FROM juki.operation_log WHERE seq > $seq0 AND action = 'lookup' AND outcome <> 'granted'")
[[ $denied == 0 ]] || die "$denied juki lookups were not granted during the runs"

# ----------------------------------------------------------- log bytes per lookup
say "log bytes per lookup: $BYTES_LOOKUPS lookups at 16 clients"
sz() { q postgres -c "SELECT pg_total_relation_size('juki.operation_log') || ' ' || pg_relation_size('juki.operation_log')"; }
q postgres -c 'CHECKPOINT'
read -r tot0 heap0 < <(sz); s0=$(last_seq); w0=$(q postgres -c 'SELECT pg_current_wal_lsn()')
pgbench_run juki1 16 "$RES/bytes.out" -t $((BYTES_LOOKUPS / 16))
# the entries are durable at once and filed a moment later: wait for the filing
for w in $(seq 100); do [[ $(backlog) == 0 ]] && break; sleep 0.2; done
read -r tot1 heap1 < <(sz); s1=$(last_seq); w1=$(q postgres -c 'SELECT pg_current_wal_lsn()')
NLOOK=$(( (BYTES_LOOKUPS / 16) * 16 ))
BYTES_TOTAL=$(awk -v a="$tot0" -v b="$tot1" -v n="$NLOOK" 'BEGIN {printf "%.0f", (b - a) / n}')
BYTES_HEAP=$(awk -v a="$heap0" -v b="$heap1" -v n="$NLOOK" 'BEGIN {printf "%.0f", (b - a) / n}')
ENTRIES_PER=$(ratio $((s1 - s0)) "$NLOOK")
BYTES_WAL=$(q postgres -c "SELECT round((pg_wal_lsn_diff('$w1', '$w0') / $NLOOK)::numeric)")
# the durable insert, the same way
w0=$(q postgres -c 'SELECT pg_current_wal_lsn()')
pgbench_run durable 16 "$RES/bytes.durable.out" -t $((BYTES_LOOKUPS / 16))
w1=$(q postgres -c 'SELECT pg_current_wal_lsn()')
BYTES_WAL_DURABLE=$(q postgres -c "SELECT round((pg_wal_lsn_diff('$w1', '$w0') / $NLOOK)::numeric)")
say "  $BYTES_TOTAL bytes/lookup (heap $BYTES_HEAP), $ENTRIES_PER log entries per lookup, WAL $BYTES_WAL bytes/lookup (durable insert: $BYTES_WAL_DURABLE)"

# ----------------------------------------------------------- where juki spends its time
say "profile: $PROFILE_SCEN at $PROFILE_CLIENTS clients for ${DURATION}s, sampling pg_stat_activity every 0.1 s"
: >"$RES/waits.txt"
# one psql session polling with \watch (a new connection per sample is too slow on 2 busy cores)
printf '%s\n' "SELECT backend_type || '|' || coalesce(wait_event_type || ':' || wait_event, 'CPU')
                 FROM pg_stat_activity WHERE pid <> pg_backend_pid()
                  AND (state = 'active' OR backend_type = 'juki audit writer')" '\watch 0.1' \
	| timeout "$DURATION" "$PGBIN/psql" -X -q -At -h "$WORK" -p "$PORT" -U postgres -d bench -P pager=off \
	| grep '|' >"$RES/waits.txt" &
WAITPID=$!
# WAL between two LSNs: the writer's commits are the only transaction commits in a juki
# lookup run (the callers' transactions write nothing), so entries / commits = batch size
l0=$(q postgres -c 'SELECT pg_current_wal_lsn()'); e0=$(last_seq)
pgbench_run "$PROFILE_SCEN" "$PROFILE_CLIENTS" "$RES/profile.out" -T "$DURATION" &
PGBPID=$!
if [[ $PERF == 1 ]]; then
	# only this cluster's processes (the machine is shared), once the clients are connected
	sleep 2
	pids=$(q postgres -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity
	                       WHERE application_name = 'pgbench' OR backend_type IN ('juki audit writer', 'walwriter')")
	perf record -F 999 -g -p "$pids" -o "$WORK/perf.data" -- sleep $((DURATION > 4 ? DURATION - 3 : 1)) >/dev/null 2>&1 || true
fi
wait "$PGBPID" || die "pgbench failed in the profile run"
wait "$WAITPID" 2>/dev/null || true; WAITPID=""
l1=$(q postgres -c 'SELECT pg_current_wal_lsn()'); e1=$(last_seq)
WCOMMITS=$(runuser -u postgres -- "$PGBIN/pg_waldump" -p "$DATA/pg_wal" -s "$l0" -e "$l1" --stats=record 2>/dev/null \
	| awk '/^Transaction\/COMMIT / {print $2}')
WCOMMITS=${WCOMMITS:-0}
BATCH="log entries $((e1 - e0)), WAL commit records $WCOMMITS: $(ratio $((e1 - e0)) "$WCOMMITS") entries per writer commit, one commit every $(awk -v c="$WCOMMITS" -v t="$DURATION" 'BEGIN {if (c > 0) printf "%.2f", 1000 * t / c; else printf "n/a"}') ms"
PROFILE_TPS=$(tps_of "$RES/profile.out")
WAITS=$(awk -F'|' '{n[$1 " | " $2]++; t[$1]++} END {for (k in n) {split(k, a, " \\| "); printf "%s | %d | %.1f%%\n", k, n[k], 100 * n[k] / t[a[1]]}}' "$RES/waits.txt" | sort -t'|' -k1,1 -k3,3nr)
PERFTOP=""
if [[ $PERF == 1 ]]; then
	{
		echo "self time, by shared object:"
		perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null | grep '%' | grep -v '^#' | head -8
		echo; echo "inclusive time (children), selected functions:"
		perf report -i "$WORK/perf.data" --children --sort sym -g none --stdio 2>/dev/null | grep -v '^#' \
			| grep -E ' (PostgresMain|juki_[a-z_]+|SPI_execute_with_args|pg_plan_query|parse_analyze_fixedparams|index_getnext_slot|secure_read|CommitTransactionCommand|ConditionVariableTimedSleep|XLogFlush|fdatasync|heap_insert|pg_sha256_update|SHA256_Update|EVP_Digest[A-Za-z]*)$' | head -30
		echo; echo "self time, top symbols:"
		perf report -i "$WORK/perf.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null | grep '%' | grep -v '^#' | head -25
	} >"$RES/perf.txt" || true
	PERFTOP=$(cat "$RES/perf.txt")
fi

# ---------------------------------------------------------- 1M vs 10M residents
BIG=""
if [[ $BENCH_BIG == 1 ]]; then
	declare -A BTPS
	for phase in before after; do
		if [[ $phase == after ]]; then
			load_residents $((RESIDENTS + 1)) "$BIG_RESIDENTS"
			IMPORT2_S=$IMPORT_S
		fi
		for r in $(seq "$ROUNDS"); do
			for s in plain juki; do
				timed_run "$s" 16 "big.$s.$phase.r$r"
				BTPS[$s,$phase]+=" $TPS_R"
				say "$(printf '%-6s c=16 %-6s round %s: %9.1f tps' "$s" "$phase" "$r" "$TPS_R")"
			done
		done
	done
	BIG=$(
		printf '\n## Lookup throughput: %s vs %s residents (16 clients, median of %s)\n\n' "$RESIDENTS" "$BIG_RESIDENTS" "$ROUNDS"
		printf '| residents | plain TPS | juki TPS | juki/plain |\n|---:|---:|---:|---:|\n'
		for phase in before after; do
			n=$([[ $phase == before ]] && echo "$RESIDENTS" || echo "$BIG_RESIDENTS")
			printf '| %s | %.1f | %.1f | %s |\n' "$n" "$(median ${BTPS[plain,$phase]})" "$(median ${BTPS[juki,$phase]})" \
				"$(ratio "$(median ${BTPS[juki,$phase]})" "$(median ${BTPS[plain,$phase]})")"
		done
		printf '\njuki at %s / at %s residents: **%s**; juki.import_residents of the %s extra rows took %s s (%s rows/s).\n' \
			"$BIG_RESIDENTS" "$RESIDENTS" "$(ratio "$(median ${BTPS[juki,after]})" "$(median ${BTPS[juki,before]})")" \
			$((BIG_RESIDENTS - RESIDENTS)) "$IMPORT2_S" "$(awk -v n=$((BIG_RESIDENTS - RESIDENTS)) -v t="$IMPORT2_S" 'BEGIN {printf "%.0f", n / (t > 0 ? t : 1)}')"
	)
fi

fi

# ----------------------------------------------------------- filing rate
# The writer stopped (SIGSTOP) while FILING_ENTRIES one-statement lookups are logged (they are
# durable in WAL and served), then let go: how fast it files the backlog, from the writer's own
# progress (juki.status().filed_seq sampled every 0.02 s by one psql session): entries waiting
# / (first sample with nothing waiting - the moment the writer was let go).  FILING_ROUNDS
# rounds, median reported; with PERF=1 the last round's filing is profiled (perf record -g -p
# the writer).
FILING=""
if [[ $VERIFY_ONLY != 1 && $FILING_ENTRIES -gt 0 ]]; then
	FRATES="" FCPUS="" FWAL="" FLINES=""
	for r in $(seq "$FILING_ROUNDS"); do
		q postgres -c CHECKPOINT
		wpid=$(q postgres -c 'SELECT writer_pid FROM juki.status()')
		kill -STOP "$wpid"
		pgbench_run juki1 16 "$RES/filing.out" -t $((FILING_ENTRIES / 16)) || { kill -CONT "$wpid"; exit 1; }
		b0=$(backlog); target=$(last_seq)
		printf '%s\n' "SELECT extract(epoch FROM clock_timestamp()) || '|' || filed_seq FROM juki.status()" '\watch 0.02' \
			| "$PGBIN/psql" -X -q -At -h "$WORK" -p "$PORT" -U postgres -d bench -P pager=off \
			| grep '|' >"$RES/filing.samples" &
		WAITPID=$!
		sleep 0.5
		FPERF=""
		if [[ $PERF == 1 && $r == "$FILING_ROUNDS" ]]; then
			perf record -F 999 -g -p "$wpid" -o "$WORK/filing.perf.data" >/dev/null 2>&1 &
			FPERF=$!
			sleep 1
		fi
		# the writer's own CPU time (ns, /proc/PID/schedstat): what filing costs, whatever the
		# other processes on the shared cores take meanwhile
		c0=$(awk '{print $1}' "/proc/$wpid/schedstat")
		l0=$(q postgres -c 'SELECT pg_current_wal_lsn()')
		t0=$(date +%s.%N)
		kill -CONT "$wpid"
		for w in $(seq 6000); do
			[[ $(awk -F'|' -v t="$target" '$2 >= t {print "done"; exit}' "$RES/filing.samples") == done ]] && break
			sleep 0.1
		done
		c1=$(awk '{print $1}' "/proc/$wpid/schedstat")
		# nothing else writes meanwhile: the WAL of the filing (rows, index entries, commits)
		wb=$(q postgres -c "SELECT round(pg_wal_lsn_diff(pg_current_wal_lsn(), '$l0') / $b0)")
		[[ -n $FPERF ]] && { kill -INT "$FPERF"; wait "$FPERF" 2>/dev/null || true; }
		kill "$WAITPID" 2>/dev/null; wait "$WAITPID" 2>/dev/null || true; WAITPID=""
		fs=$(awk -F'|' -v t="$target" -v t0="$t0" '$2 >= t {printf "%.3f", $1 - t0; exit}' "$RES/filing.samples")
		[[ -n $fs ]] || die "the writer did not file the $b0 waiting entries within 10 minutes"
		rate=$(awk -v n="$b0" -v t="$fs" 'BEGIN {printf "%.0f", n / t}')
		cpu=$(awk -v n="$b0" -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f", (b - a) / 1000 / n}')
		FRATES+=" $rate" FCPUS+=" $cpu" FWAL+=" $wb"
		FLINES+=$(printf '\n| %s | %s | %s | %s | %s | %s | %s |' "$r" "$b0" "$(tps_of "$RES/filing.out")" "$fs" "$rate" "$cpu" "$wb")
		say "  filing round $r: $b0 entries waiting, filed in $fs s: $rate entries/s; the writer's CPU: $cpu µs per entry; filing WAL $wb bytes per entry"
	done
	FILING=$(
		printf 'The writer stopped (SIGSTOP) while %s one-statement lookups were logged at 16 clients, then let go; time from SIGCONT to the first sample of juki.status().filed_seq (every 0.02 s) that reaches the last entry.\n\n' "$FILING_ENTRIES"
		printf '| round | entries waiting | lookups tps while stopped | seconds to file | entries/s | writer CPU µs per entry | filing WAL bytes per entry |\n|---:|---:|---:|---:|---:|---:|---:|%s\n' "$FLINES"
		printf '\n**Filing rate (median of %s): %s entries/s**; the writer'"'"'s own CPU time (/proc/PID/schedstat): %s µs per entry (%s entries per CPU-second); WAL written by the filing: %s bytes per entry.\n' \
			"$FILING_ROUNDS" "$(median $FRATES)" "$(median $FCPUS)" "$(awk -v c="$(median $FCPUS)" 'BEGIN {printf "%.0f", 1e6 / c}')" "$(median $FWAL)"
	)
	if [[ $PERF == 1 && -f $WORK/filing.perf.data ]]; then
		FILING+=$(
			printf '\n\nperf of the writer while it filed (last round), inclusive time, top symbols:\n\n```\n'
			perf report -i "$WORK/filing.perf.data" --children --sort sym -g none --stdio 2>/dev/null | grep '%' | grep -v '^#' | head -45
			printf '```\n\nself time, top symbols:\n\n```\n'
			perf report -i "$WORK/filing.perf.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null | grep '%' | grep -v '^#' | head -30
			printf '```\n'
		)
	fi
fi

# --------------------------------------------------------- verification
VER=""
if [[ $VERIFY_ENTRIES -gt 0 ]]; then
	start_seq=$(last_seq); t0=$(date +%s.%N)
	# what the fill costs in the Merkle tiles (issue 17) and in WAL, per entry
	tsz() { q postgres -c "SELECT pg_total_relation_size('juki.log_tile') || ' ' || pg_total_relation_size('juki.operation_log')"; }
	read -r tile0 log0 < <(tsz); fw0=$(q postgres -c 'SELECT pg_current_wal_lsn()')
	say "filling juki's log to $VERIFY_ENTRIES entries with $VERIFY_FILL at 16 clients (from seq $start_seq)"
	while :; do
		cur=$(last_seq)
		[[ $cur -ge $((VERIFY_ENTRIES - 1)) ]] && break
		el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
		rate=$(awk -v d=$((cur - start_seq)) -v e="$el" 'BEGIN {printf "%.0f", (e > 1 ? d / e : 0)}')
		per=$(( (VERIFY_ENTRIES - 1 - cur) / 16 + 1 ))
		[[ $rate -gt 0 && $per -gt $((rate * 60 / 16 + 1)) ]] && per=$((rate * 60 / 16 + 1))
		[[ $rate -eq 0 && $per -gt 200 ]] && per=200
		say "  last_seq $cur / $VERIFY_ENTRIES, $([[ $rate -gt 0 ]] && echo "$rate entries/s" || echo "rate not yet known"); next: $per lookups per client"
		pgbench_run "$VERIFY_FILL" 16 "$RES/fill.out" -t "$per"
	done
	fill_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
	fill_rate=$(awk -v d=$(($(last_seq) - start_seq)) -v e="$fill_s" 'BEGIN {printf "%.0f", d / e}')
	say "  log at seq $(last_seq) after ${fill_s}s (${fill_rate} entries/s); vacuum, checkpoint"
	read -r tile1 log1 < <(tsz); fw1=$(q postgres -c 'SELECT pg_current_wal_lsn()')
	nfill=$(($(last_seq) - start_seq))
	TILES=$(printf 'During the fill (%s entries, before VACUUM): juki.log_tile grew %s bytes (**%s bytes per entry**), juki.operation_log %s bytes (%s per entry); WAL **%s bytes per entry** (all of it: entries, filing, tiles, commits).' \
		"$nfill" $((tile1 - tile0)) $(((tile1 - tile0) / nfill)) $((log1 - log0)) $(((log1 - log0) / nfill)) \
		"$(q postgres -c "SELECT round(pg_wal_lsn_diff('$fw1', '$fw0') / $nfill)")")
	say "  $TILES"
	q postgres -c 'VACUUM ANALYZE juki.operation_log' -c 'CHECKPOINT'

	# The PL/pgSQL verifier recomputes README "Operation log format" exactly: canonical JSON
	# (keys in code point order, RFC 8785 escaping = PostgreSQL's JSON string escaping for
	# these inputs, nested jsonb canonicalised recursively), SHA-256(prev || canonical).
	q postgres <<'SQL'
CREATE FUNCTION bench.canon_jsonb(j jsonb) RETURNS text LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE t text := jsonb_typeof(j); r text := ''; k text; v jsonb; first boolean := true;
BEGIN
  IF t = 'object' THEN
    FOR k, v IN SELECT e.key, e.value FROM jsonb_each(j) e ORDER BY e.key COLLATE "C" LOOP
      IF NOT first THEN r := r || ','; END IF;
      first := false;
      r := r || to_json(k)::text || ':' || bench.canon_jsonb(v);
    END LOOP;
    RETURN '{' || r || '}';
  ELSIF t = 'array' THEN
    FOR v IN SELECT e FROM jsonb_array_elements(j) e LOOP
      IF NOT first THEN r := r || ','; END IF;
      first := false;
      r := r || bench.canon_jsonb(v);
    END LOOP;
    RETURN '[' || r || ']';
  END IF;
  RETURN j::text;  -- string (escaped like RFC 8785), integer, true/false/null
END $$;
CREATE FUNCTION bench.js(t text) RETURNS text LANGUAGE sql IMMUTABLE AS
  $$ SELECT coalesce(to_json(t)::text, 'null') $$;
CREATE FUNCTION bench.canon_entry(e juki.operation_log) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT '{"action":' || bench.js(e.action) || ',"backend_pid":' || coalesce(e.backend_pid::text, 'null')
      || ',"card_serial":' || bench.js(e.card_serial) || ',"client_addr":' || bench.js(e.client_addr)
      || ',"criteria":' || coalesce(bench.canon_jsonb(e.criteria), 'null')
      || ',"db_role":' || bench.js(e.db_role) || ',"detail":' || coalesce(bench.canon_jsonb(e.detail), 'null')
      || ',"fields":' || coalesce(array_to_json(e.fields)::text, 'null')
      || CASE WHEN e.login_role IS NOT NULL THEN ',"login_role":' || bench.js(e.login_role) ELSE '' END
      || ',"operator_id":' || coalesce(e.operator_id::text, 'null') || ',"outcome":' || bench.js(e.outcome)
      || ',"permit_id":' || coalesce(e.permit_id::text, 'null') || ',"purpose":' || bench.js(e.purpose)
      || ',"reason":' || bench.js(e.reason) || ',"row_count":' || coalesce(e.row_count::text, 'null')
      || ',"seq":' || e.seq || ',"session_id":' || coalesce(e.session_id::text, 'null')
      || ',"subjects":' || coalesce(array_to_json(e.subjects)::text, 'null')
      || CASE WHEN e.terminal IS NOT NULL THEN ',"terminal":' || bench.js(e.terminal) ELSE '' END
      || ',"ts":"' || to_char(e.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"}'
$$;
CREATE FUNCTION bench.plpgsql_verify(OUT ok boolean, OUT entries_checked bigint, OUT first_bad_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
  e juki.operation_log; prev bytea := decode(repeat('00', 32), 'hex'); expect bigint := 0;
BEGIN
  ok := true; entries_checked := 0;
  FOR e IN SELECT * FROM juki.operation_log ORDER BY seq LOOP
    IF e.seq <> expect OR e.prev_hash <> prev
       OR e.hash <> sha256(prev || convert_to(bench.canon_entry(e), 'UTF8')) THEN
      ok := false; first_bad_seq := e.seq; RETURN;
    END IF;
    prev := e.hash; expect := expect + 1; entries_checked := entries_checked + 1;
  END LOOP;
END $$;
GRANT EXECUTE ON FUNCTION bench.plpgsql_verify() TO bench_aud;
SQL
	# A statement's own time, as psql's \timing gives it (sent to last row; psql's start and
	# its connection, ~10-20 ms, are not the verifier's): rows on stdout, seconds in $WORK/timed.s.
	timed() {
		local out
		out=$(q "$1" -c '\timing on' -c "$2") || return 1
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | awk '{print $1 / 1000}' >"$WORK/timed.s"
		grep -v '^Time: ' <<<"$out"
	}
	JT="" PT="" JN="" PN="" JW=""
	for r in $(seq "$ROUNDS"); do
		res=$(timed bench_aud 'SELECT ok, entries_checked FROM juki.verify_log()')
		[[ ${res%%|*} == t ]] || die "juki.verify_log() did not return ok: $res"
		JT+=" $(cat "$WORK/timed.s")"; JN=${res##*|}
		JW=$(q bench_aud -c "SELECT coalesce(detail->>'workers', '0') FROM juki.operation_log WHERE action = 'verify_log' ORDER BY seq DESC LIMIT 1")
		res=$(timed bench_aud 'SELECT ok, entries_checked, first_bad_seq FROM bench.plpgsql_verify()')
		[[ ${res%%|*} == t ]] || die "the PL/pgSQL verifier disagrees with juki at: $res"
		PT+=" $(cat "$WORK/timed.s")"; PN=$(echo "$res" | cut -d'|' -f2)
		say "  verify round $r: juki.verify_log $JN entries in $(echo "$JT" | awk '{print $NF}')s ($JW parallel workers), PL/pgSQL $PN in $(echo "$PT" | awk '{print $NF}')s"
	done
	jt=$(median $JT) pt=$(median $PT)
	jr=$(awk -v n="$JN" -v t="$jt" 'BEGIN {printf "%.0f", n / t}')
	pr=$(awk -v n="$PN" -v t="$pt" 'BEGIN {printf "%.0f", n / t}')
	LOGSIZE=$(q postgres -c "SELECT pg_size_pretty(pg_total_relation_size('juki.operation_log'))")
	MIX=$(q bench_aud -c "SELECT string_agg(action || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT action, count(*) AS n FROM juki.operation_log GROUP BY 1) s")
	VER=$(
		printf '\n## Verification of the %s-entry log: hash chain and Merkle tree in one pass (%s; median of %s; time of the statement, psql \\timing)\n\n' "$JN" "$LOGSIZE" "$ROUNDS"
		printf '| verifier | entries | seconds (median) | seconds per round | entries/s |\n|---|---:|---:|---|---:|\n'
		printf '| `juki.verify_log()` (C; the backend and %s parallel workers, `juki.verify_workers`) | %s | %.3f |%s | %s |\n' "$JW" "$JN" "$jt" "$(printf ' %.3f' $JT)" "$jr"
		printf '| PL/pgSQL, same canonical form and chain | %s | %.3f |%s | %s |\n' "$PN" "$pt" "$(printf ' %.3f' $PT)" "$pr"
		printf '\n**juki / PL/pgSQL verification speed: %s×**\n' "$(ratio "$jr" "$pr")"
		printf '\nEntries by action: %s.\n' "$MIX"
		printf '\nFilling the log (one-statement lookups = one durable entry each, 16 clients, seq %s to %s): %s s, %s entries/s.\n' \
			"$start_seq" "$(last_seq)" "$fill_s" "$fill_rate"
		printf '\n%s\n' "$TILES"
	)
fi

# ----------------------------------------------------------------- report
PGVER=$(q postgres -c 'SHOW server_version')
REPORT=$(
	printf '# juki door benchmark (issue 6)\n\n'
	printf -- '- date: %s\n- machine: %s cores, %s, %s GB RAM, kernel %s; shared with other work (noisy)\n' "$(date -Is)" "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
		"$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)"
	printf -- '- PostgreSQL %s; data directory on %s; fsync on, synchronous_commit on, shared_buffers 512MB\n' "$PGVER" \
		"$(df -T "$WORK" | awk 'NR == 2 {print $2 " " $1}')"
	printf -- '- command: `%s`\n' "$CMD"
	printf -- '- %s residents (%s active looked up uniformly at random); juki.import_residents took %s s\n' "$RESIDENTS" "$NCODES" "$IMPORT1_S"
	printf -- '- pgbench -n -M prepared -T %s -j min(c,2), on the same 2 cores as the server; scenarios interleaved, %s rounds, median reported; p50/p99 from each run'"'"'s per-transaction log (pgbench -l), median across rounds; every transaction also reads bench.codes (n -> code) in the same statement\n' "$DURATION" "$ROUNDS"
	[[ $FILING_ONLY == 1 && -n $FILING ]] && printf '\n## Filing rate\n\n%s\n' "$FILING"
	if [[ $VERIFY_ONLY != 1 && $FILING_ONLY != 1 ]]; then
	printf '\n## Lookups: throughput and latency\n\n'
	printf '| clients | scenario | TPS (median) | TPS per round | p50 ms | p99 ms | TPS / plain |\n|---:|---|---:|---|---:|---:|---:|\n'
	for c in $CLIENTS; do
		for s in $SCEN; do
			printf '| %s | %s | %.1f |%s | %.3f | %.3f | %s |\n' "$c" "$s" "$(median ${TPS[$s,$c]})" \
				"$(printf ' %.0f' ${TPS[$s,$c]})" "$(median ${P50[$s,$c]})" "$(median ${P99[$s,$c]})" \
				"$(ratio "$(median ${TPS[$s,$c]})" "$(median ${TPS[plain,$c]})")"
		done
	done
	printf '\n| clients | juki1/durable | juki1/plain | juki/durable | juki/plain | durable/plain | juki1/durable per round |\n|---:|---:|---:|---:|---:|---:|---|\n'
	for c in $CLIENTS; do
		m() { median ${TPS[$1,$c]}; }
		per=""
		a=(${TPS[juki1,$c]}) b=(${TPS[durable,$c]})
		for i in "${!a[@]}"; do per+=" $(ratio "${a[$i]}" "${b[$i]}")"; done
		printf '| %s | %s | %s | %s | %s | %s |%s |\n' "$c" "$(ratio "$(m juki1)" "$(m durable)")" "$(ratio "$(m juki1)" "$(m plain)")" \
			"$(ratio "$(m juki)" "$(m durable)")" "$(ratio "$(m juki)" "$(m plain)")" "$(ratio "$(m durable)" "$(m plain)")" "$per"
	done
	printf '\n## Log bytes per lookup\n\n%s one-statement lookups (16 clients): **%s bytes** of juki.operation_log per lookup (pg_total_relation_size: heap, indexes, TOAST; heap alone %s bytes), %s log entries per lookup; **%s bytes of WAL** per lookup (the entry, its filing and the filing commits; the durable insert writes %s).\n' \
		"$NLOOK" "$BYTES_TOTAL" "$BYTES_HEAP" "$ENTRIES_PER" "$BYTES_WAL" "$BYTES_WAL_DURABLE"
	[[ -n $FILING ]] && printf '\n## Filing rate\n\n%s\n' "$FILING"
	printf '%s\n' "$BIG"
	fi
	printf '%s\n' "$VER"
	if [[ $VERIFY_ONLY != 1 && $FILING_ONLY != 1 ]]; then
	printf '\n## Writer batches, %s at %s clients\n\n%s.\n' "$PROFILE_SCEN" "$PROFILE_CLIENTS" "$BATCH"
	printf '\n## Wait events, %s at %s clients (%s tps during sampling; samples of pg_stat_activity every 0.1 s, active backends and the audit writer; CPU = no wait event)\n\n' "$PROFILE_SCEN" "$PROFILE_CLIENTS" "$PROFILE_TPS"
	printf '| backend type | wait event | samples | share of that backend type |\n|---|---|---:|---:|\n'
	printf '%s\n' "$WAITS" | awk -F' \\| ' 'NF == 4 {printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4}'
	if [[ -n $PERFTOP ]]; then
		printf '\n## perf (this cluster'"'"'s processes only, %s at %s clients)\n\n```\n%s\n```\n' "$PROFILE_SCEN" "$PROFILE_CLIENTS" "$PERFTOP"
	fi
	fi
	printf '\nTotal bench time: %s s.\n' "$(secs "$T0")"
)
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "$REPORT" | tee "$OUT"
say "written to $OUT"
