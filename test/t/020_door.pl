# The door across processes and restarts: pooled connections never share an
# operator, sessions do not survive a restart, the emergency stop does, and
# a hot standby refuses to disclose (it cannot write the operation log).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('door', allows_streaming => 1);
juki_staff($node);
my $r1 = $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 1");

# Two operators, one pooled application connection ("terminal"), and a
# second connection at the same time: each transaction is exactly the
# operator it attached, and a transaction that attached nobody is nobody.
$node->safe_psql('postgres', q{
	CREATE ROLE op2 LOGIN; GRANT juki_operator TO op2;});
my $op2 = as_role($node, "am",
	"SELECT juki.register_operator('op2', '窓口 二郎', '住民課')");
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
as_role($node, "am", qq{
	SELECT juki.register_card($op2, 'OP2-CARD', '$pub', current_date + 365);
	SELECT juki.set_password($op2, '$JukiNode::PASSWORD');});
my $t1 = card_login($node, 'op1', 'OP1-CARD');
my $t2 = card_login($node, 'op2', 'OP2-CARD');
isnt($t1, $t2, 'two sessions, two tokens');
like($t1, qr/^[0-9a-f]{64}$/, 'a token is 256 bits in hex');

my $pooled = as_role($node, "terminal", qq{
	BEGIN; SELECT juki.attach('$t1'); SELECT 'a:' || (SELECT card_serial FROM juki.whoami()); COMMIT;
	SELECT 'b:' || coalesce((SELECT operator_id::text FROM juki.whoami()), 'nobody');
	BEGIN; SELECT juki.attach('$t2'); SELECT 'c:' || (SELECT card_serial FROM juki.whoami()); COMMIT;
	BEGIN; SELECT juki.attach('$t1'); SELECT 'd:' || (SELECT card_serial FROM juki.whoami()); ROLLBACK;
	SELECT 'e:' || coalesce((SELECT operator_id::text FROM juki.whoami()), 'nobody');});
$pooled =~ s/^\s*\n//mg;
is($pooled, "a:OP1-CARD\nb:nobody\nc:OP2-CARD\nd:OP1-CARD\ne:nobody",
	'a pooled connection is each time the operator it attached, and nobody in between');

# the un-attached transaction of a pooled connection cannot disclose
my ($rc, $out, $err) = psql_as($node, "terminal", qq{
	BEGIN; SELECT juki.attach('$t1'); COMMIT;
	SELECT juki.lookup('wide_area_copy_issuance', '$r1');});
like($err, qr/no operator session is attached.*\n.*reason: not_authenticated/,
	'the next transaction on a pooled connection is refused: not_authenticated');

# concurrently, in two connections: each sees only itself
my $h1 = $node->background_psql('postgres', extra_params => [ '-U', 'terminal' ]);
my $h2 = $node->background_psql('postgres', extra_params => [ '-U', 'terminal' ]);
$h1->query_safe("BEGIN");
$h2->query_safe("BEGIN");
$h1->query_safe("SELECT juki.attach('$t1')");
$h2->query_safe("SELECT juki.attach('$t2')");
is($h1->query_safe("SELECT card_serial FROM juki.whoami()"), 'OP1-CARD', 'connection 1 is op1');
is($h2->query_safe("SELECT card_serial FROM juki.whoami()"), 'OP2-CARD', 'connection 2 is op2');
is($h1->query_safe("SELECT (juki.lookup('wide_area_copy_issuance', '$r1')).resident_code"), $r1,
	'op1 discloses under its own permit');
$h2->query_safe("COMMIT");
$h2->quit;
# op2 is not designated: while op1's transaction is still open, op2 is refused
($rc, $out, $err) = psql_as($node, "terminal", qq{
	BEGIN; SELECT juki.attach('$t2') \\gset
	SELECT juki.lookup('wide_area_copy_issuance', '$r1');});
like($err, qr/reason: not_designated/, 'op2 at the same moment is refused: not designated');
is($h1->query_safe("SELECT card_serial FROM juki.whoami()"), 'OP1-CARD',
	'and connection 1 is still op1');
$h1->query_safe("COMMIT");
$h1->quit;

# Sessions live in shared memory: a restart ends them all.
as_role($node, "chief", "SELECT juki.emergency_stop('tap: drill')");
restart_juki($node);
($rc, $out, $err) = psql_as($node, "op1", "SELECT juki.attach('$t1')");
like($err, qr/reason: not_authenticated/, 'a token does not survive a restart');

# The emergency stop does survive it: no login, no disclosure.
is($node->safe_psql('postgres', 'SELECT emergency_stop FROM juki.status()'), 't',
	'the emergency stop survives a restart');
($rc, $out, $err) = psql_as($node, "op1",
	"SELECT juki.card_challenge('OP1-CARD')");
like($err, qr/reason: emergency_stop/, 'no login during an emergency stop');
is(as_role($node, "auditor",
		"SELECT count(*) > 0 FROM juki.operation_log WHERE action = 'emergency_stop'"),
	't', 'auditors still read the log');
as_role($node, "chief", "SELECT juki.emergency_resume('tap: drill over')");
my $t3 = card_login($node, 'op1', 'OP1-CARD');
is(as_role($node, "op1", qq{
	BEGIN; SELECT juki.attach('$t3') \\gset
	SELECT (juki.lookup('wide_area_copy_issuance', '$r1')).resident_code; COMMIT;}), $r1,
	'after resume the operator logs in and discloses');

# A hot standby has the data but cannot log: it refuses every disclosure.
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('door_standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
($rc, $out, $err) = psql_as($standby, "op1", qq{
	SELECT juki.lookup('wide_area_copy_issuance', '$r1')});
like($err, qr/juki does not disclose on a hot standby.*\n.*reason: standby/,
	'a hot standby refuses disclosure with a clear reason');
($rc, $out, $err) = $standby->psql('postgres', 'SELECT count(*) FROM juki.resident');
like($err, qr/juki refuses SELECT on juki.resident/, 'and its tables are guarded too');
$standby->stop;

# Every decision above is in the log and the chain verifies.
is(as_role($node, "auditor", q{
	SELECT string_agg(DISTINCT outcome || ':' || coalesce(reason, '-'), ',' ORDER BY outcome || ':' || coalesce(reason, '-'))
	  FROM juki.operation_log WHERE action = 'lookup'}),
	'denied:not_authenticated,denied:not_designated,granted:-',
	'lookups granted and denied are all on record');
is(as_role($node, "auditor", 'SELECT ok FROM juki.verify_log()'), 't',
	'the chain verifies');
$node->stop;
done_testing();
