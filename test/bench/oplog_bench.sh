#!/usr/bin/env bash
# oplog_bench.sh — what juki's operation log costs, against baselines measured in the same run.
#
#   A plain_commit  INSERT into a plain table: one durable commit, no audit
#   B naive_chain   a PL/pgSQL hash chain (row lock on a head row, sha256, insert, update)
#   C juki_log      an auditor's SELECT of juki.operation_log: one durable, chained 'log_read'
#   D verification  juki.verify_log() over N entries vs a PL/pgSQL verifier over N naive entries
#
# Runs as root; starts its own throwaway cluster as the postgres OS user (Unix socket in a
# temp dir, nothing else touched) and stops it on exit. Every figure is reported next to a
# baseline of the same run; A, B and C are interleaved round by round.
# Knobs: DURATION (s, 10), ROUNDS (3), CLIENTS ("1 4 16"), VERIFY_ENTRIES (1000000; 0 skips D),
#        OUT (/tmp/juki-bench/oplog.md), PGBIN (/usr/lib/postgresql/15/bin), KEEP=1 keeps the temp dir.
set -euo pipefail

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-"1 4 16"}
VERIFY_ENTRIES=${VERIFY_ENTRIES:-1000000}
OUT=${OUT:-/tmp/juki-bench/oplog.md}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=55432
CMD="DURATION=$DURATION ROUNDS=$ROUNDS CLIENTS=\"$CLIENTS\" VERIFY_ENTRIES=$VERIFY_ENTRIES $0"

die() { echo "oplog_bench: error: $*" >&2; exit 1; }
say() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ------------------------------------------------------------------ checks
[[ $(id -u) -eq 0 ]] || die "run as root (the cluster runs as the postgres OS user)"
id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (install postgresql-15)"
for b in initdb pg_ctl psql pgbench pg_config; do
	[[ -x $PGBIN/$b ]] || die "$PGBIN/$b not found (set PGBIN)"
done
[[ -f $("$PGBIN/pg_config" --pkglibdir)/juki.so ]] || die "juki is not installed: run 'make test' in the source tree first"
[[ $DURATION =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ && $VERIFY_ENTRIES =~ ^[0-9]+$ ]] \
	|| die "DURATION and ROUNDS must be positive integers, VERIFY_ENTRIES a non-negative integer"
for c in $CLIENTS; do [[ $c =~ ^[1-9][0-9]*$ && $c -le 90 ]] || die "bad client count '$c' (1..90)"; done

# ----------------------------------------------------------------- cluster
WORK=$(mktemp -d /tmp/juki-oplog-bench.XXXXXX)
chown postgres: "$WORK"
DATA=$WORK/data RES=$WORK/res SLOG=$WORK/server.log
mkdir "$RES"

on_exit() {
	local rc=$?
	if [[ -f $DATA/postmaster.pid ]]; then
		runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
	fi
	if [[ $rc -ne 0 ]]; then
		[[ -f $SLOG ]] && { echo "--- last lines of the server log ($SLOG):" >&2; tail -n 30 "$SLOG" >&2; }
		echo "oplog_bench: failed (exit $rc); temp dir kept: $WORK" >&2
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

say "initdb in $WORK"
runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -A trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 \
	|| { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$WORK'
port = $PORT
shared_preload_libraries = 'juki'
juki.database = 'bench'
juki.checkpoint_interval = '1h'
max_connections = 100
shared_buffers = 256MB
synchronous_commit = on
fsync = on
EOF
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$SLOG" -w start >/dev/null || die "server did not start"
"$PGBIN/psql" -X -q -h "$WORK" -p "$PORT" -U postgres -d postgres -c 'CREATE DATABASE bench' || die "CREATE DATABASE failed"

say "installing juki and the baselines"
q postgres <<'SQL'
CREATE EXTENSION juki CASCADE;
CREATE ROLE bench_aud LOGIN;
GRANT juki_auditor TO bench_aud;

-- A: a plain durable commit
CREATE TABLE bench_plain (v int);

-- B: a naive hash chain in PL/pgSQL, same canonical shape as a juki entry (~250 bytes)
CREATE TABLE naive_head (id int PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash bytea NOT NULL);
INSERT INTO naive_head VALUES (1, -1, decode(repeat('00', 32), 'hex'));
CREATE TABLE naive_log (seq bigint PRIMARY KEY, ts timestamptz NOT NULL, db_role text,
                        action text NOT NULL, prev_hash bytea NOT NULL, hash bytea NOT NULL);
CREATE FUNCTION naive_canon(seq bigint, ts timestamptz, db_role text, action text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT '{"action":' || to_json(action)::text
      || ',"backend_pid":null,"card_serial":null,"client_addr":null,"criteria":null,"db_role":'
      || coalesce(to_json(db_role)::text, 'null')
      || ',"detail":null,"fields":null,"operator_id":null,"outcome":"granted","permit_id":null,'
      || '"purpose":null,"reason":null,"row_count":null,"seq":' || seq
      || ',"session_id":null,"subjects":null,"ts":"'
      || to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"}'
$$;
CREATE FUNCTION naive_append(action text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  h_seq bigint; h_hash bytea; new_hash bytea; t timestamptz := clock_timestamp();
BEGIN
  SELECT h.seq, h.hash INTO h_seq, h_hash FROM naive_head h WHERE h.id = 1 FOR UPDATE;
  new_hash := sha256(h_hash || convert_to(naive_canon(h_seq + 1, t, current_user, action), 'UTF8'));
  INSERT INTO naive_log (seq, ts, db_role, action, prev_hash, hash)
       VALUES (h_seq + 1, t, current_user, action, h_hash, new_hash);
  UPDATE naive_head SET seq = h_seq + 1, hash = new_hash WHERE id = 1;
  RETURN h_seq + 1;
END $$;
-- D baseline: walk naive_log in seq order, recompute every hash
CREATE FUNCTION naive_verify(OUT ok boolean, OUT entries_checked bigint, OUT first_bad_seq bigint)
LANGUAGE plpgsql AS $$
DECLARE
  r record; prev bytea := decode(repeat('00', 32), 'hex'); expect bigint := 0;
BEGIN
  ok := true; entries_checked := 0;
  FOR r IN SELECT * FROM naive_log ORDER BY seq LOOP
    IF r.seq <> expect OR r.prev_hash <> prev
       OR r.hash <> sha256(prev || convert_to(naive_canon(r.seq, r.ts, r.db_role, r.action), 'UTF8')) THEN
      ok := false; first_bad_seq := r.seq; RETURN;
    END IF;
    prev := r.hash; expect := expect + 1; entries_checked := entries_checked + 1;
  END LOOP;
END $$;
GRANT INSERT ON bench_plain TO bench_aud;
GRANT SELECT, INSERT, UPDATE ON naive_head, naive_log TO bench_aud;
SQL

for i in $(seq 60); do
	[[ $(q postgres -c 'SELECT last_seq IS NOT NULL FROM juki.status()') == t ]] && break
	[[ $i -eq 60 ]] && die "juki's audit writer did not report a chain head within 60 s"
	sleep 1
done
[[ $(q bench_aud -c 'SELECT count(*) FROM juki.operation_log WHERE seq = -1') == 0 ]] \
	|| die "bench_aud cannot read juki.operation_log"

printf '%s\n' 'INSERT INTO bench_plain(v) VALUES (1);' >"$WORK/A.sql"
printf '%s\n' "SELECT naive_append('log_read');" >"$WORK/B.sql"
printf '%s\n' 'SELECT 1 FROM juki.operation_log WHERE seq = -1;' >"$WORK/C.sql"
declare -A NAME=([A]=plain_commit [B]=naive_chain [C]=juki_log)

last_seq() { q postgres -c 'SELECT last_seq FROM juki.status()'; }

# pgbench_run SCRIPT CLIENTS SECONDS OUTFILE [extra pgbench args]: dies with the output on error
pgbench_run() {
	local s=$1 c=$2 t=$3 out=$4; shift 4
	local j=$((c < 2 ? c : 2))
	if ! "$PGBIN/pgbench" -n -M prepared -T "$t" -c "$c" -j "$j" -h "$WORK" -p "$PORT" -U bench_aud \
		-f "$WORK/$s.sql" "$@" bench >"$out" 2>&1 || grep -q 'aborted\|ERROR' "$out"; then
		cat "$out" >&2
		die "pgbench failed in scenario $s (${NAME[$s]}) with $c clients"
	fi
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print ((NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.3f", a / b; else printf "n/a"}'; }

# ---------------------------------------------------- A, B, C interleaved
declare -A TPS P50 P99 EPT
for c in $CLIENTS; do
	for r in $(seq "$ROUNDS"); do
		for s in A B C; do
			q postgres -c CHECKPOINT
			tag=$s.c$c.r$r
			before=$(last_seq)
			pgbench_run "$s" "$c" "$DURATION" "$RES/$tag.out" -l --log-prefix="$RES/$tag"
			after=$(last_seq)
			tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$RES/$tag.out")
			txns=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$RES/$tag.out")
			[[ -n $tps && -n $txns ]] || { cat "$RES/$tag.out" >&2; die "cannot parse pgbench output for $tag"; }
			# per-transaction latency (µs, 3rd field of pgbench -l) -> p50, p99 in ms
			read -r p50 p99 < <(cat "$RES/$tag".[0-9]* | awk '{print $3}' | sort -n | awk '{a[NR]=$1}
				END {i=int(NR*0.50); if (i < NR*0.50) i++; k=int(NR*0.99); if (k < NR*0.99) k++;
				     printf "%.3f %.3f\n", a[i]/1000, a[k]/1000}')
			rm -f "$RES/$tag".[0-9]*
			TPS[$s,$c]+=" $tps"; P50[$s,$c]+=" $p50"; P99[$s,$c]+=" $p99"
			[[ $s == C ]] && EPT[$c]+=" $(ratio $((after - before)) "$txns")"
			say "$(printf '%-13s c=%-2s round %s: %9.1f tps  p50 %7.3f ms  p99 %7.3f ms' "${NAME[$s]}" "$c" "$r" "$tps" "$p50" "$p99")"
		done
	done
done

# --------------------------------------------------------- D verification
VER=""
if [[ $VERIFY_ENTRIES -gt 0 ]]; then
	start_seq=$(last_seq); t0=$(date +%s.%N)
	say "D: filling juki's log to $VERIFY_ENTRIES entries with scenario C at 16 clients (from seq $start_seq)"
	while :; do
		cur=$(last_seq)
		[[ $cur -ge $VERIFY_ENTRIES ]] && break
		el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
		rate=$(awk -v d=$((cur - start_seq)) -v e="$el" 'BEGIN {printf "%.0f", (e > 1 ? d / e : 0)}')
		chunk=$(awk -v n=$((VERIFY_ENTRIES - cur)) -v r="$rate" 'BEGIN {t = r > 0 ? int(n / r) + 2 : 10; print (t > 60 ? 60 : t)}')
		say "D: last_seq $cur / $VERIFY_ENTRIES, $([[ $rate -gt 0 ]] && echo "$rate entries/s" || echo "rate not yet known"); next chunk ${chunk}s"
		pgbench_run C 16 "$chunk" "$RES/fill.out"
	done
	fill_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
	fill_rate=$(awk -v d=$(($(last_seq) - start_seq)) -v e="$fill_s" 'BEGIN {printf "%.0f", d / e}')
	say "D: log at seq $(last_seq) after ${fill_s}s (${fill_rate} entries/s); vacuuming, checkpoint"
	q postgres -c 'VACUUM ANALYZE juki.operation_log'

	JT="" NT="" N=""
	for r in $(seq "$ROUNDS"); do
		t1=$(date +%s.%N)
		res=$(q bench_aud -c 'SELECT ok, entries_checked FROM juki.verify_log()')
		t2=$(date +%s.%N)
		[[ ${res%%|*} == t ]] || die "juki.verify_log() did not return ok: $res"
		JT+=" $(awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}')"
		if [[ -z $N ]]; then
			N=${res##*|}
			say "D: building naive_log with $N entries (recursive CTE)"
			q postgres -v n="$N" <<'SQL'
TRUNCATE naive_log;
INSERT INTO naive_log (seq, ts, db_role, action, prev_hash, hash)
WITH RECURSIVE c(seq, ts, prev_hash, hash) AS (
  SELECT 0::bigint, s.t0, s.z, sha256(s.z || convert_to(naive_canon(0, s.t0, 'bench_aud', 'log_read'), 'UTF8'))
    FROM (SELECT now() AS t0, decode(repeat('00', 32), 'hex') AS z) s
  UNION ALL
  SELECT c.seq + 1, c.ts + interval '1 ms', c.hash,
         sha256(c.hash || convert_to(naive_canon(c.seq + 1, c.ts + interval '1 ms', 'bench_aud', 'log_read'), 'UTF8'))
    FROM c WHERE c.seq + 1 < :n)
SELECT seq, ts, 'bench_aud', 'log_read', prev_hash, hash FROM c;
VACUUM ANALYZE naive_log;
CHECKPOINT;
SQL
		fi
		t1=$(date +%s.%N)
		res=$(q bench_aud -c 'SELECT ok, entries_checked FROM naive_verify()')
		t2=$(date +%s.%N)
		[[ $res == "t|$N" ]] || die "naive_verify() returned '$res', expected 't|$N'"
		NT+=" $(awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}')"
		say "D round $r: juki.verify_log $(echo "$JT" | awk '{print $NF}')s, naive_verify $(echo "$NT" | awk '{print $NF}')s"
	done
	jt=$(median $JT) nt=$(median $NT)
	jb=$(q postgres -c "SELECT round(pg_relation_size('juki.operation_log') / $N.0)")
	nb=$(q postgres -c "SELECT round(pg_relation_size('naive_log') / $N.0)")
	jr=$(awk -v n="$N" -v t="$jt" 'BEGIN {printf "%.0f", n / t}')
	nr=$(awk -v n="$N" -v t="$nt" 'BEGIN {printf "%.0f", n / t}')
	VER=$(
		printf '\n## D. Verification of %s entries (median of %s)\n\n' "$N" "$ROUNDS"
		printf '| verifier | heap bytes/entry | seconds (median) | seconds per round | entries/s |\n|---|---:|---:|---|---:|\n'
		printf '| `juki.verify_log()` (C, as bench_aud) | %s | %.2f |%s | %s |\n' "$jb" "$jt" "$(printf ' %.2f' $JT)" "$jr"
		printf '| `naive_verify()` (PL/pgSQL) | %s | %.2f |%s | %s |\n' "$nb" "$nt" "$(printf ' %.2f' $NT)" "$nr"
		printf '\n**juki / naive verification speed: %s×**\n' "$(ratio "$jr" "$nr")"
		printf '\nFilling the log (scenario C, 16 clients, from seq %s to %s): %s s, **%s entries/s** appended.\n' \
			"$start_seq" "$(last_seq)" "$fill_s" "$fill_rate"
	)
fi

# ----------------------------------------------------------------- report
PGVER=$(q postgres -c 'SHOW server_version')
REPORT=$(
	printf '# juki operation log benchmark\n\n'
	printf -- '- date: %s\n- machine: %s cores, %s, %s GB RAM, kernel %s\n' "$(date -Is)" "$(nproc)" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
		"$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)" "$(uname -r)"
	printf -- '- PostgreSQL %s; data directory on %s (fsync on, synchronous_commit on)\n' "$PGVER" \
		"$(df -T "$WORK" | awk 'NR == 2 {print $2 " " $1}')"
	printf -- '- command: `%s`\n' "$CMD"
	printf -- '- pgbench -n -M prepared -T %s -j min(c,2); scenarios A, B, C interleaved, %s rounds each, median reported\n' "$DURATION" "$ROUNDS"
	printf '\n## A/B/C. One durable (chained) entry per transaction\n\n'
	printf '| clients | scenario | TPS (median) | TPS per round | p50 ms | p99 ms |\n|---:|---|---:|---|---:|---:|\n'
	for c in $CLIENTS; do
		for s in A B C; do
			printf '| %s | %s %s | %.1f |%s | %.3f | %.3f |\n' "$c" "$s" "${NAME[$s]}" "$(median ${TPS[$s,$c]})" \
				"$(printf ' %.0f' ${TPS[$s,$c]})" "$(median ${P50[$s,$c]})" "$(median ${P99[$s,$c]})"
		done
	done
	printf '\n| clients | juki/naive TPS | juki/plain TPS | juki/naive p50 | juki/plain p50 | juki/naive p99 | juki log entries per txn |\n'
	printf '|---:|---:|---:|---:|---:|---:|---:|\n'
	for c in $CLIENTS; do
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$c" \
			"$(ratio "$(median ${TPS[C,$c]})" "$(median ${TPS[B,$c]})")" "$(ratio "$(median ${TPS[C,$c]})" "$(median ${TPS[A,$c]})")" \
			"$(ratio "$(median ${P50[C,$c]})" "$(median ${P50[B,$c]})")" "$(ratio "$(median ${P50[C,$c]})" "$(median ${P50[A,$c]})")" \
			"$(ratio "$(median ${P99[C,$c]})" "$(median ${P99[B,$c]})")" "$(printf '%s' "${EPT[$c]}" | xargs)"
	done
	printf '%s\n' "$VER"
)
mkdir -p "$(dirname "$OUT")"
printf '%s\n' "$REPORT" | tee "$OUT"
say "written to $OUT"
