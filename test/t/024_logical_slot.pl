# Logical slots: the SQL functions that create them are refused in juki's
# database (guard_paths.c); a replication connection creates one without
# SQL, where no hook reaches, and the audit writer puts it on record.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use JukiNode;

my $node = juki_node('slots', allows_streaming => 'logical');
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');

my ($rc, $out, $err) = $node->psql('postgres',
	"SELECT pg_create_logical_replication_slot('sql_slot', 'test_decoding')");
like($err, qr/juki refuses logical decoding on function pg_create_logical_replication_slot/,
	'creating a logical slot through SQL is refused');

# the replication protocol: CREATE_REPLICATION_SLOT on a walsender
$node->psql('postgres', 'CREATE_REPLICATION_SLOT proto_slot LOGICAL test_decoding',
	extra_params => [ '-d', $node->connstr('postgres') . ' replication=database' ]);
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'proto_slot'"),
	'1', 'a replication connection created a slot without SQL');

my $seen = '';
for (1 .. 100)
{
	$seen = as_role($node, 'aud',
		"SELECT coalesce(string_agg(detail->>'slot' || ':' || reason, ','), '') FROM juki.operation_log WHERE action = 'logical_slot'");
	last if $seen ne '';
	usleep(100_000);
}
is($seen, 'proto_slot:logical_slot_detected', 'the audit writer puts the slot on record, once');
usleep(1_500_000);
is(as_role($node, 'aud', "SELECT count(*) FROM juki.operation_log WHERE action = 'logical_slot'"), '1',
	'and only once');
like(slurp_file($node->logfile), qr/a logical replication slot "proto_slot" exists in juki's database/,
	'with a warning in the server log');
$node->safe_psql('postgres', "SELECT pg_drop_replication_slot('proto_slot')");
$node->stop;
done_testing();
