#!/usr/bin/env bash
# test/demo/demo.sh — the guided walk of `make demo`, run as the postgres OS
# user by test/run.sh after the build and install.  It starts a throwaway
# cluster (Unix socket only, in its own directory, so no port can clash),
# loads the synthetic town, runs demo.sql and always stops the server.
set -euo pipefail
BUILD=${JUKI_BUILD_DIR:-/tmp/juki-build}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
HERE=$(cd "$(dirname "$0")" && pwd)
DEMO=$BUILD/demo

rm -rf "$DEMO"
mkdir -p "$DEMO"
"$PGBIN/initdb" -D "$DEMO/data" -E UTF8 --locale=C -A trust -U postgres >"$DEMO/initdb.log" 2>&1 ||
	{ cat "$DEMO/initdb.log"; exit 1; }
# The checkpoint signing key and the checkpoint directory live outside the
# data directory (in production: another volume, another host).
mkdir -p "$DEMO/keys" "$DEMO/media"
openssl genpkey -algorithm ed25519 -out "$DEMO/keys/signing.pem" 2>/dev/null
openssl pkey -in "$DEMO/keys/signing.pem" -pubout -out "$DEMO/keys/signing.pub"
cat >>"$DEMO/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$DEMO'
shared_preload_libraries = 'juki'
juki.database = 'town'
juki.signing_key_file = '$DEMO/keys/signing.pem'
juki.checkpoint_directory = '$DEMO/media'
CONF
"$PGBIN/pg_ctl" -D "$DEMO/data" -l "$DEMO/server.log" -w start >/dev/null ||
	{ tail -20 "$DEMO/server.log"; exit 1; }
stop() { "$PGBIN/pg_ctl" -D "$DEMO/data" -m fast -w stop >/dev/null 2>&1 || true; }
trap stop EXIT

export PGHOST=$DEMO PGDATABASE=town PGUSER=postgres
"$PGBIN/createdb" town
P=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1)

# The synthetic town: 1,300 residents of 七ヶ宿町 and a few under a support
# measure (DV等支援措置).  Deterministic: the same town every time.  It reaches
# juki the way a real one does: the registrar's import from a staging table.
"${P[@]}" -c 'CREATE EXTENSION juki CASCADE' 2>/dev/null
# the audit writer notices the new extension and opens the chain
for _ in $(seq 1 100); do
	[ "$("${P[@]}" -Atc 'SELECT last_seq IS NOT NULL FROM juki.status()')" = t ] && break
	sleep 0.1
done
perl "$HERE/gen_town.pl" --residents 1300 >"$DEMO/residents.tsv"
perl "$HERE/gen_town.pl" --residents 1300 --table measures --today "$(date +%F)" >"$DEMO/measures.tsv"

# Operators' IC cards: a key pair each (in real life inside the card).
openssl genpkey -algorithm ed25519 -out "$DEMO/keys/card_tanaka.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DEMO/keys/card_nakamura.pem" 2>/dev/null
for k in tanaka nakamura; do
	openssl pkey -in "$DEMO/keys/card_$k.pem" -pubout -out "$DEMO/keys/card_$k.pub"
done

"${P[@]}" -v ON_ERROR_STOP=0 -v residents="$DEMO/residents.tsv" -v measures="$DEMO/measures.tsv" \
	-v keydir="$DEMO/keys" -v signer="$HERE/../sign_challenge.sh" -f "$HERE/demo.sql" 2>&1

# The access manager exports the log to "external media"; the auditor
# verifies the file offline, without the database.
echo
echo "## 14. Backup to external media and offline verification (juki_verify)"
"${P[@]}" -U kato_access -At -c "SELECT * FROM juki.export_log(0)" >"$DEMO/media/export.txt"
echo "Exported $(($(wc -l <"$DEMO/media/export.txt") - 3)) entries to $DEMO/media/export.txt"
echo "\$ juki_verify --key signing.pub export.txt"
"$PGBIN/juki_verify" --key "$DEMO/keys/signing.pub" "$DEMO/media/export.txt" || true
echo "Someone changes one byte of the file (a denial becomes a grant):"
sed '0,/"outcome":"denied"/s//"outcome":"grante"/' "$DEMO/media/export.txt" >"$DEMO/media/export-tampered.txt"
echo "\$ juki_verify --key signing.pub export-tampered.txt"
"$PGBIN/juki_verify" --key "$DEMO/keys/signing.pub" "$DEMO/media/export-tampered.txt" || true
echo
echo "The demo cluster has been stopped; its files are in $DEMO."
