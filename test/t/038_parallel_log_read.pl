# An auditor's query of the log run by parallel workers (a large log, or the
# planner's choice): the leader waits for the filing and takes the fresh
# snapshot its workers share; a worker must not take one of its own.  (It
# did: "cannot update SecondarySnapshot during a parallel operation", found
# by make bench on a log of 150,000 entries.)
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('parallel');
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
# some entries to count: refusals of a DBA's direct read
$node->psql('postgres', 'SELECT 1 FROM juki.operation_log LIMIT 1') for 1 .. 20;

my $parallel = q{SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
	SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
	SET force_parallel_mode = on;};
my ($rc, $out, $err) = psql_as($node, 'aud',
	"$parallel EXPLAIN (COSTS OFF) SELECT count(*) FROM juki.operation_log WHERE action <> 'x'");
like($out, qr/Gather/, 'the auditor\'s count of the log is planned in parallel') or diag $err;
($rc, $out, $err) = psql_as($node, 'aud',
	"$parallel SELECT count(*) > 20 FROM juki.operation_log WHERE action <> 'x'");
is($rc, 0, 'a parallel read of the log by the auditor runs') or diag $err;
is($out, 't', 'and sees the entries appended before it');
unlike($err, qr/SecondarySnapshot/, 'no worker takes a snapshot of its own');
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies');
$node->stop;
done_testing();
