# Issue 16: each request makes its own entry durable in WAL; the audit
# writer only files it.  Four promises, each on its own:
#  (a) the writer stopped (SIGSTOP): lookups still succeed; a CHECKPOINT
#      (after WAL switches) and kill -9 of the postmaster follow; after the
#      restart every disclosure a client received has its entry, in the
#      order received, the chain verifies, seq has no gap (juki's slot kept
#      the WAL of the unfiled entries);
#  (b) the writer killed inside its filing transaction, before the commit:
#      the same entries are filed again from WAL, none twice;
#  (c) past juki.audit_max_backlog unfiled entries a disclosure is refused
#      (audit_backlog, logged); past twice the bound nothing is logged or
#      served; once the writer resumes, requests are granted again;
#  (d) sixteen sessions at once: seq without a gap, the chain verifies.
# Shown to fail (this test run against other builds of the library):
#  - the ring (commit f67965a): (a) all 25 lookups with the writer stopped
#    are refused, audit_unavailable after juki.audit_wait_timeout;
#  - the writer reading from the last checkpoint's redo point instead of its
#    slot's restart_lsn: (a) and (b) lose every entry older than the
#    checkpoint (the 25 and the 10 disclosures have no entry), while the
#    chain still verifies and seq has no gap: the loss cannot be seen from
#    inside, only from what clients received;
#  - the backlog check removed from append.c: (c) is never refused (4 fail);
#  - the append lock taken shared: (d) seqs are taken twice, the writer
#    fails on the primary key and the log can no longer be read.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use IPC::Run;
use JukiNode;

my $node = juki_node('walappend', signing => 1,
	conf => "juki.audit_max_backlog = 40\njuki.audit_wait_timeout = '3s'\n"
	  . "juki.window_rows = 100000000\nmax_connections = 60\n");
my $op = juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1");

sub writer_pid { return $node->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()'); }

# One lookup as the operator: the code disclosed, or '' and the error.
sub lookup
{
	my ($code) = @_;
	my ($rc, $out, $err) = psql_as($node, 'op1',
		"SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', '$code', '$token')");
	return ($rc == 0 ? $out : '', $err);
}

# The codes of granted lookups after seq $from, in seq order.
sub logged_lookups
{
	my ($from) = @_;
	return [ split /\n/, as_role($node, 'auditor',
		"SELECT criteria->>'resident_code' FROM juki.operation_log WHERE seq > $from "
		  . "AND action = 'lookup' AND outcome = 'granted' ORDER BY seq") ];
}

sub chain_ok
{
	my ($what) = @_;
	is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', "$what: the chain verifies");
	is(as_role($node, 'auditor',
			'SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log'),
		't', "$what: no seq gap");
}

sub restart_after_kill
{
	my ($pid) = @_;
	$node->kill9;
	kill 'KILL', $pid;    # a stopped writer would keep the shared memory
	usleep(500_000);
	start_juki($node);
}

# ---------------------------------------------------------------- (a)
my $mark = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $pid = writer_pid();
kill 'STOP', $pid;
my @received;
my $failed = 0;
for my $i (0 .. 24)
{
	my ($got, $err) = lookup($codes[$i % @codes]);
	if ($got ne '') { push @received, $got; } else { $failed++; diag($err) if $failed == 1; }
}
is($failed, 0, '(a) stopped writer: every lookup is served');
is($node->safe_psql('postgres', 'SELECT backlog >= 25 FROM juki.status()'), 't',
	'(a) the entries wait unfiled');
# push the redo point past the entries: without the slot their WAL could go
$node->safe_psql('postgres', 'SELECT pg_switch_wal(); CHECKPOINT;') for 1 .. 3;
restart_after_kill($pid);
is(scalar(@received), 25, '(a) twenty-five disclosures received');
is_deeply(logged_lookups($mark), \@received,
	'(a) every disclosure received has its entry, in order');
chain_ok('(a)');
is(as_role($node, 'auditor',
		"SELECT reason FROM juki.operation_log WHERE action = 'worker_start' ORDER BY seq DESC LIMIT 1"),
	'recovered_after_crash', '(a) the writer says it recovered after a crash');
# sessions end with the server; the first lookup after a start rebuilds the
# volume windows from the log (a read of it, which waits for filing)
$token = card_login($node, 'op1', 'OP1-CARD');
lookup($codes[0]);

# ---------------------------------------------------------------- (b)
# A DBA's REINDEX of the log in an open transaction holds the writer inside
# its filing transaction (it waits for the table); kill it there.
$mark = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my ($in, $out, $err) = ('', '', '');
my $dba = IPC::Run::start(
	[ $node->installed_command('psql'), '-X', '-At', '-h', $node->host, '-p', $node->port,
		'-d', 'postgres', '-v', 'ON_ERROR_STOP=1' ],
	'<', \$in, '>', \$out, '2>', \$err);
$in .= "BEGIN;\nREINDEX TABLE juki.operation_log;\nSELECT 'held';\n";
$dba->pump until $out =~ /held/ || $err ne '';
is($err, '', '(b) the DBA holds the log');
@received = ();
$failed = 0;
for my $i (0 .. 9)
{
	my ($got) = lookup($codes[$i % @codes]);
	if ($got ne '') { push @received, $got; } else { $failed++; }
}
is($failed, 0, '(b) a writer held by a lock: every lookup is served');
my $waiting = 0;
for (1 .. 100)
{
	$waiting = $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'juki audit writer' "
		  . "AND wait_event_type = 'Lock'");
	last if $waiting;
	usleep(100_000);
}
is($waiting, '1', '(b) the writer waits inside its filing transaction');
$pid = writer_pid();
kill 'KILL', $pid;
$dba->kill_kill;
wait_writer($node);
is(scalar(@received), 10, '(b) ten disclosures received');
is_deeply(logged_lookups($mark), \@received, '(b) every disclosure received is filed once, in order');
$token = card_login($node, 'op1', 'OP1-CARD');
lookup($codes[0]);
chain_ok('(b)');

# ---------------------------------------------------------------- (c)
$mark = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
$pid = writer_pid();
kill 'STOP', $pid;
my ($served, $backlog_refused, $unlogged) = (0, 0, 0);
my $first_refusal = '';
for my $i (0 .. 99)
{
	my ($got, $e) = lookup($codes[$i % @codes]);
	if ($got ne '') { $served++; next; }
	if ($e =~ /reason: audit_backlog/)
	{
		$first_refusal ||= $e;
		if ($e =~ /twice/) { $unlogged++; last; }
		$backlog_refused++;
	}
	else { diag("unexpected: $e"); last; }
}
cmp_ok($served, '<=', 40, '(c) no more than juki.audit_max_backlog entries wait unfiled before refusals');
cmp_ok($served, '>', 0, '(c) lookups were served below the bound');
cmp_ok($backlog_refused, '>', 0, '(c) past the bound a lookup is refused: audit_backlog');
like($first_refusal, qr/too far behind/, '(c) and the message says why');
is($unlogged, 1, '(c) past twice the bound a request fails without an entry');
kill 'CONT', $pid;
my $status = '';
for (1 .. 100)
{
	$status = $node->safe_psql('postgres', 'SELECT backlog FROM juki.status()');
	last if $status ne '' && $status < 40;
	usleep(100_000);
}
my ($again) = lookup($codes[0]);
is($again, $codes[0], '(c) the writer resumed: a lookup is granted again');
is(as_role($node, 'auditor',
		"SELECT count(*) FROM juki.operation_log WHERE seq > $mark AND action = 'lookup' "
		  . "AND outcome = 'error' AND reason = 'audit_backlog'"),
	$backlog_refused, '(c) each refusal is on record');
chain_ok('(c)');

# ---------------------------------------------------------------- (d)
$mark = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $dir = $node->basedir;
unlink glob "$dir/ledger.*";
my $load = start_load($node, 16, $dir, 15);
$_->finish for @$load;
my $acked = ledger_tags($dir);
my $logged = logged_tags($node, 'auditor');
is(scalar(keys %$acked), 16 * 15, '(d) sixteen sessions: every refusal acknowledged');
is(scalar(grep { !$logged->{$_} } keys %$acked), 0, '(d) and each is on record');
is(as_role($node, 'auditor',
		"SELECT count(DISTINCT seq) = count(*) AND count(DISTINCT prev_hash) = count(*) "
		  . "FROM juki.operation_log WHERE seq > $mark"),
	't', '(d) no seq twice, no fork');
chain_ok('(d)');

$node->stop;
done_testing();
