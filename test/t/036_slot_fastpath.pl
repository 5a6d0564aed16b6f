# juki's replication slot by the fast-path protocol (a FunctionCall
# message, libpq's PQfn): no query shows the slot's name, so the guard
# refuses pg_drop_replication_slot and pg_replication_slot_advance called so,
# for any slot, and logs it (direct_access); the slot stays.  The SQL calls
# are in sql/door_guard.sql.
# Shown to fail on the old code (3c9e2e7): the fast-path drop of another
# slot succeeded, and that of juki's slot failed only because the writer
# held it ("active for PID"), without an entry.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

# the fast-path client of 026 (test/unit/fastpath_call, built by make test)
my $node = juki_node('fastpath', conf => "max_replication_slots = 4\n");
$node->safe_psql('postgres', 'CREATE ROLE auditor LOGIN; GRANT juki_auditor TO auditor');
my $drop = $node->safe_psql('postgres', "SELECT 'pg_drop_replication_slot(name)'::regprocedure::oid");
my $start = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
$node->safe_psql('postgres', "SELECT pg_create_physical_replication_slot('other_slot')");

sub fastpath
{
	my ($fn, $slot) = @_;
	my ($out, $err) = run_command([ "$ENV{TESTDIR}/test/unit/fastpath_call",
		$node->connstr('postgres'), $fn, $slot ]);
	return $out;
}

like(fastpath($drop, 'juki_audit_log'),
	qr/ERROR:  42501: juki refuses a fast-path call on function pg_drop_replication_slot\n.*reason: direct_access; the refusal is recorded/s,
	'a fast-path drop of juki\'s slot is refused, with its reason, on record');
like(fastpath($drop, 'other_slot'), qr/ERROR:  42501: .*reason: direct_access/s,
	'so is one of any slot: no query shows which slot it names');
is($node->safe_psql('postgres', "SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots"),
	'juki_audit_log,other_slot', 'both slots are still there');
is(as_role($node, 'auditor', qq{
	SELECT string_agg(outcome || ' ' || reason || ' ' || (detail->>'command'), ', ' ORDER BY seq)
	  FROM juki.operation_log WHERE seq > $start AND action = 'direct_access'}),
	'denied direct_access a fast-path call, denied direct_access a fast-path call',
	'each refusal is one entry');
# the SQL form of the same call goes on: the guard read its name in the query
$node->safe_psql('postgres', "SELECT pg_drop_replication_slot('other_slot')");
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'other_slot'"), '0',
	'a DBA drops another slot by name in SQL');
$node->stop;
done_testing();
