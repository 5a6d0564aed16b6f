#!/bin/sh
# test/installcheck_prep.sh PSQL DBNAME — run by `make installcheck` before
# pg_regress: checks that the running server (PGHOST, PGPORT, PGUSER, as for
# psql) is set up as the pg_regress suite needs, says exactly what is missing
# if it is not, writes keys/signing.pub, the public half of the server's
# checkpoint signing key, which test oplog_verify gives to verify_log, and
# creates the test database.
#
# The public key comes from JUKI_SIGNING_PUB (a PEM file) if set, else it is
# derived from juki.signing_key_file when this OS user can read that file.
set -eu
psql=$1
db=$2
need="the test server needs, in postgresql.conf (then a restart):
    shared_preload_libraries = 'juki'
    juki.database = '$db'
    juki.checkpoint_interval = '1h'
    juki.signing_key_file = '/path/to/throwaway/signing.pem'    (outside the data directory)
    juki.checkpoint_directory = '/path/to/throwaway/checkpoints' (writable by the server)
  on a throwaway server: the suite leaves juki's database, its log and its roles behind.
  See README.md, \"Testing an installation\"."

fail() {
	printf 'make installcheck: %s\n' "$1" >&2
	[ -z "${2:-}" ] || printf '  %s\n' "$2" >&2
	exit 1
}

q() { "$psql" -X -A -t -q -v ON_ERROR_STOP=1 -d postgres -c "$1"; }

if ! err=$(q 'SELECT 1' 2>&1 >/dev/null); then
	hint="Set PGHOST, PGPORT and PGUSER (and PGPASSWORD) as for psql to reach a superuser of the test server."
	if [ "$(id -u)" -eq 0 ] && [ -z "${PGUSER:-}" ]; then
		hint="You are root and PGUSER is not set, so psql logs in as role \"root\".
  Run it as the postgres OS user:  runuser -u postgres -- make installcheck
  or name a superuser:            PGUSER=postgres PGHOST=localhost PGPASSWORD=... make installcheck"
	fi
	fail "cannot connect to the server: $err" "$hint"
fi
[ "$(q 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')" = t ] ||
	fail "role \"$(q 'SELECT current_user')\" is not a superuser; CREATE EXTENSION juki needs one." \
		"Set PGUSER to a superuser of the test server."
q "SELECT current_setting('shared_preload_libraries')" | grep -Eq '(^|[ ,"/])juki"?[ ]*(,|$)' ||
	fail "juki is not in the server's shared_preload_libraries;" "$need"
[ "$(q "SELECT current_setting('juki.database', true)")" = "$db" ] ||
	fail "juki.database is not '$db' (pg_regress creates and uses that database);" "$need"
[ "$(q "SELECT setting::int >= 600 FROM pg_settings WHERE name = 'juki.checkpoint_interval'")" = t ] ||
	fail "juki.checkpoint_interval is shorter than 10 minutes: periodic checkpoint entries would appear in the expected outputs;" "$need"
keyfile=$(q "SELECT current_setting('juki.signing_key_file')")
cpdir=$(q "SELECT current_setting('juki.checkpoint_directory')")
[ -n "$keyfile" ] && [ -n "$cpdir" ] ||
	fail "juki.signing_key_file or juki.checkpoint_directory is not set: the suite checks signed checkpoints;" "$need"
[ -z "$(q "SELECT 1 FROM pg_database WHERE datname = '$db'")" ] ||
	fail "database \"$db\" already exists on this server (an earlier run?)." \
		"juki refuses to drop its own database (its operation log is kept), so the suite cannot start
  over there: run it against a fresh throwaway server (e.g. with pg_virtualenv, as debian/tests/installcheck does)."

# the tests log in as the roles they create (juki staff act only as
# themselves: a superuser's SET ROLE into a staff role is refused), so the
# server must let a new role without a password log in from this client
q "DROP ROLE IF EXISTS regress_login_probe" >/dev/null 2>&1
q "CREATE ROLE regress_login_probe LOGIN" >/dev/null
probe=$("$psql" -X -A -t -q -w -U regress_login_probe -d postgres -c 'SELECT 1' 2>&1) || true
q "DROP ROLE regress_login_probe" >/dev/null
[ "$probe" = 1 ] ||
	fail "a role without a password cannot log in to the server from here: $probe" \
		"The suite logs in as each role it creates (psql \\c - role): let the throwaway server trust
  its local connections (pg_hba.conf: trust; pg_virtualenv: INITDB_OPTS=--auth=trust)."
mkdir -p keys
if [ -n "${JUKI_SIGNING_PUB:-}" ]; then
	openssl pkey -pubin -in "$JUKI_SIGNING_PUB" -out keys/signing.pub 2>/dev/null ||
		fail "JUKI_SIGNING_PUB=$JUKI_SIGNING_PUB is not a PEM public key."
elif ! openssl pkey -in "$keyfile" -pubout -out keys/signing.pub 2>/dev/null; then
	fail "cannot read the server's signing key $keyfile to take its public half." \
		"Run as an OS user who can read it (e.g. runuser -u postgres -- make installcheck), or set
  JUKI_SIGNING_PUB to its public half (openssl pkey -in $keyfile -pubout)."
fi
# the database, as pg_regress makes it (it would drop it first, which juki
# refuses on a server where it is loaded: the Makefile passes --use-existing)
q "CREATE DATABASE \"$db\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" >/dev/null
for s in "lc_messages TO 'C'" "lc_monetary TO 'C'" "lc_numeric TO 'C'" "lc_time TO 'C'" \
	"bytea_output TO 'hex'" "timezone_abbreviations TO 'Default'"; do
	q "ALTER DATABASE \"$db\" SET $s" >/dev/null
done
echo "installcheck: server ready (juki preloaded, juki.database = '$db', signing key $keyfile)"
