# Issue 16, the filing rate: the audit writer files a backlog with one
# multi-insert per buffer of rows (src/log/inserter.c), then each row's
# index entries.  What it files must be exactly what the one-row path filed:
# a backlog built with the writer stopped (2,200 lookups, 300 refused
# statements each carrying 2 kB of statement text that cannot be
# compressed, so that the row is TOASTed and the buffer also flushes by
# size), then filed in a few large transactions, crossing buffer
# boundaries.  Then: the chain verifies (every row gives back the canonical
# entry that was hashed), seq has no gap, every entry is there once with
# its statement text whole, and amcheck finds every row of the log in every
# index that should hold it (bt_index_check with heapallindexed), the
# partial login index included.
# Shown to fail (this test run against broken builds of the inserter):
#  - the last, partly filled buffer not flushed at close: entries missing
#    (the chain check and the counts fail);
#  - the index entries of a flush not inserted: amcheck fails for every index.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use JukiNode;

my $node = juki_node('filingbatch',
	conf => "juki.window_rows = 100000000\njuki.audit_max_backlog = 100000\n");
my $op = juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1");
my $psql = $node->installed_command('psql');
my $dir = $node->basedir;
my $mark = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my ($nlookups, $nrefusals) = (2200, 300);

# ---- the backlog, with the writer stopped --------------------------------
my $pid = $node->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');
kill 'STOP', $pid;

my $lookups = "$dir/lookups.sql";
open my $fh, '>', $lookups or die;
for my $i (0 .. $nlookups - 1)
{
	my $code = $codes[$i % @codes];
	print $fh "SELECT 'ROW ' || resident_code FROM juki.lookup('wide_area_copy_issuance', '$code', '$token');\n";
}
close $fh;
# 1,900 hex digits at random: pglz cannot shrink them by a quarter, so the
# entry's detail goes to the TOAST table
my $refusals = "$dir/refusals.sql";
my @pads;
open $fh, '>', $refusals or die;
for my $i (1 .. $nrefusals)
{
	my $pad = join '', map { sprintf '%x', int(rand(16)) } 1 .. 1900;
	push @pads, "/* batch $i $pad */";
	print $fh "/* batch $i $pad */ DELETE FROM juki.operation_log WHERE seq = -1;\n";
}
close $fh;

my ($out, $err) = ('', '');
IPC::Run::run([ $psql, '-X', '-At', '-h', $node->host, '-p', $node->port, '-U', 'op1',
		'-d', 'postgres', '-f', $lookups ], '>', \$out, '2>', \$err);
my $rows = () = $out =~ /^ROW \d{11}$/mg;
is($rows, $nlookups, 'the writer stopped: every lookup is served');
IPC::Run::run([ $psql, '-X', '-q', '-h', $node->host, '-p', $node->port,
		'-d', 'postgres', '-f', $refusals ], '>', \$out, '2>', \$err);
my $recorded = () = $err =~ /recorded in the operation log/g;
is($recorded, $nrefusals, 'every refused statement is on record (durable in WAL)');
is($node->safe_psql('postgres', 'SELECT backlog >= ' . ($nlookups + $nrefusals) . ' FROM juki.status()'),
	't', 'the entries wait unfiled');

# ---- filed in a few large batches ------------------------------------------
kill 'CONT', $pid;
ok($node->poll_query_until('postgres', 'SELECT backlog = 0 FROM juki.status()'),
	'the writer files the backlog');
# a login and a refused login: entries of the partial login index
card_login($node, 'op1', 'OP1-CARD');
my ($rc) = psql_as($node, 'op1', "SELECT juki.card_login('OP1-CARD', '\\x00', 'wrong')");
isnt($rc, 0, 'a login with a bad signature is refused');
ok($node->poll_query_until('postgres', 'SELECT backlog = 0 FROM juki.status()'),
	'and filed');

is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies');
is(as_role($node, 'auditor', 'SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log'),
	't', 'no seq gap');
is(as_role($node, 'auditor',
		"SELECT count(*) FROM juki.operation_log WHERE seq > $mark AND action = 'lookup' AND outcome = 'granted'"),
	$nlookups, 'every lookup has its entry');
my @texts = split /\n/, as_role($node, 'auditor',
	"SELECT detail->>'query' FROM juki.operation_log WHERE seq > $mark "
	  . "AND action = 'direct_access' AND detail->>'query' LIKE '/* batch %' ORDER BY seq");
is(scalar(@texts), $nrefusals, 'every refused statement has its entry');
is(scalar(grep { index($texts[$_] // '', $pads[$_]) != 0 } 0 .. $#pads), 0,
	'in order, each with its statement text whole');
cmp_ok(as_role($node, 'auditor',
		"SELECT count(DISTINCT xmin::text) FROM juki.operation_log WHERE seq > $mark AND seq <= $mark + "
		  . ($nlookups + $nrefusals)),
	'<=', 3, 'the backlog was filed in a few transactions (across buffers of rows)');
is($node->safe_psql('postgres',
		"SELECT pg_relation_size(reltoastrelid) > 0 FROM pg_class WHERE oid = 'juki.operation_log'::regclass"),
	't', 'the long entries went to the TOAST table');

# ---- every row in every index that should hold it --------------------------
$node->safe_psql('postgres', 'CREATE EXTENSION amcheck');
my $indexes = $node->safe_psql('postgres', q{
	SELECT string_agg(i.indexrelid::regclass::text, ' ' ORDER BY i.indexrelid::regclass::text)
	  FROM pg_index i
	 WHERE i.indrelid = 'juki.operation_log'::regclass
	    OR i.indrelid = (SELECT reltoastrelid FROM pg_class WHERE oid = 'juki.operation_log'::regclass)});
my @idx = split / /, $indexes;
cmp_ok(scalar(@idx), '>=', 5, "the log's indexes and its TOAST index (@idx)");
for my $i (@idx)
{
	my ($irc, $iout, $ierr) = $node->psql('postgres', "SELECT bt_index_check('$i'::regclass, true)");
	is($irc, 0, "amcheck: every row is in $i" . ($ierr ne '' ? " ($ierr)" : ''));
}
my $logins = "SELECT count(*) FROM juki.operation_log WHERE operator_id = $op "
  . "AND action IN ('card_login', 'unlock', 'unlock_operator')";
my $by_index = as_role($node, 'auditor', "SET enable_seqscan = off; $logins");
my $by_scan = as_role($node, 'auditor',
	"SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; $logins");
cmp_ok($by_scan, '>=', 2, "the operator's logins are on record ($by_scan)");
is($by_index, $by_scan, 'the login index finds the logins a scan of the table finds');

$node->stop;
done_testing();
