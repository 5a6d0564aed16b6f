# Failover with entries the old primary had not filed, and a standby whose
# restartpoints went past them (issue 18 §1-2).  The primary's writer is
# stopped (SIGSTOP): twenty lookups are served, their entries only in WAL.
# WAL switches and checkpoints on the primary, each followed by a
# restartpoint on the standby, move the standby's redo point past the
# segments that hold those entries; then the primary dies (kill -9) and the
# standby is promoted.  Every disclosure a client received must have its
# entry on the new primary, in order, the chain must verify and nothing be
# recorded as lost.  Before that, with the writer running, the standby's
# own slot must follow the primary's filing (it may not hold WAL forever);
# a standby without hot standby keeps the slot too, a primary runs no
# keeper; after the promotion a restart of the writer records no loss.
# Shown to fail on the code before the standby kept a slot (main 3c9e2e7):
# the standby's restartpoints removed the segments, the promoted writer
# recorded wal_retention_lost and none of the twenty entries was filed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use JukiNode;

my $primary = juki_node('primary', allows_streaming => 1, conf => "wal_keep_size = 0\n");
juki_staff($primary);
my @codes = split /\n/, $primary->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 10");
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->append_conf('postgresql.conf', "wal_keep_size = 0\n");
$standby->start;

# the keeper runs during recovery only, hot standby or not; a primary has none
# (a worker without a database connection is not in pg_stat_activity: ps)
sub keeper_running
{
	my ($node) = @_;
	my $pm = $node->{_pid};
	for my $stat (glob '/proc/[0-9]*/stat')
	{
		open(my $fh, '<', $stat) or next;
		my $line = <$fh> // '';
		close $fh;
		next unless $line =~ /^\d+ \(.*\) \S (\d+) / && $1 == $pm;
		(my $cmd = $stat) =~ s/stat$/cmdline/;
		return 1 if (eval { slurp_file($cmd) } // '') =~ /juki slot keeper/;
	}
	return 0;
}
my $cold = PostgreSQL::Test::Cluster->new('cold');
$cold->init_from_backup($primary, 'base', has_streaming => 1);
$cold->append_conf('postgresql.conf', "hot_standby = off\n");
$cold->start;
my $kept = 0;
for (1 .. 1200)
{
	$kept = -d $cold->data_dir . '/pg_replslot/juki_audit_log';
	last if $kept;
	usleep(100_000);
}
ok($kept, 'a standby without hot standby holds juki\'s slot too');
ok(keeper_running($cold), 'its slot keeper runs');
$cold->stop('fast');
ok(!keeper_running($primary), 'no slot keeper runs on a primary');

my $token = card_login($primary, 'op1', 'OP1-CARD');

# One lookup as the operator: the code disclosed, or ''.
sub lookup
{
	my ($code) = @_;
	my ($rc, $out) = psql_as($primary, 'op1',
		"SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', '$code', '$token')");
	return $rc == 0 ? $out : '';
}

# a WAL switch and a checkpoint on the primary, replayed, then a restartpoint
sub push_redo
{
	$primary->safe_psql('postgres', 'SELECT pg_switch_wal(); CHECKPOINT;');
	$primary->wait_for_catchup($standby, 'replay');
	$standby->safe_psql('postgres', 'CHECKPOINT');
}

# ---- the standby's slot follows the primary's filing
lookup($codes[$_]) for 0 .. 4;
push_redo() for 1 .. 2;
lookup($codes[5]);
$primary->poll_query_until('postgres', 'SELECT backlog = 0 FROM juki.status()')
  or die 'the writer did not file';
my $filed = $primary->safe_psql('postgres',
	"SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'juki_audit_log'");
$primary->wait_for_catchup($standby, 'replay');
ok($standby->poll_query_until('postgres', qq{SELECT coalesce(bool_and(restart_lsn >= '$filed'), false)
	FROM pg_replication_slots WHERE slot_name = 'juki_audit_log' AND slot_type = 'physical'}),
	"the standby's slot follows the primary's filing (to $filed)");
ok($standby->poll_query_until('postgres', qq{SELECT wal_retained_from >= '$filed' FROM juki.status()}),
	'juki.status() on the standby says where its slot keeps WAL from');

# ---- entries not filed at the failover
my $mark = as_role($primary, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $pid = $primary->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');
kill 'STOP', $pid;
my @received;
for my $i (0 .. 19)
{
	my $got = lookup($codes[$i % @codes]);
	push @received, $got if $got ne '';
}
is(scalar(@received), 20, 'twenty disclosures received with the writer stopped');
push_redo() for 1 .. 3;
$primary->kill9;
kill 'KILL', $pid;    # a stopped writer would keep the shared memory

$standby->promote;
wait_writer($standby);
is_deeply([ split /\n/, as_role($standby, 'auditor',
	"SELECT criteria->>'resident_code' FROM juki.operation_log WHERE seq > $mark "
	  . "AND action = 'lookup' AND outcome = 'granted' ORDER BY seq") ],
	\@received, 'every disclosure received has its entry on the new primary, in order');
is(as_role($standby, 'auditor', q{SELECT count(*) FROM juki.operation_log WHERE action = 'wal_retention'}),
	'0', 'nothing recorded as lost');
is(as_role($standby, 'auditor', 'SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log'), 't',
	'no seq gap');
is(as_role($standby, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies');

# the writer restarted on the new primary (same shared memory): the slot is
# now simply the writer's and is not judged again as the standby's (that
# would record a possible loss whenever the slot stands past every record;
# here the slot still stands before the worker_stop the writer filed as it
# stopped, so this restart does not show that)
my $wpid = $standby->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');
kill 'TERM', $wpid;
$standby->poll_query_until('postgres', qq{SELECT writer_pid <> $wpid AND last_seq IS NOT NULL
	FROM juki.status()}) or die 'the writer did not come back';
my $started = '';
for (1 .. 1200)
{
	$started = as_role($standby, 'auditor', q{SELECT count(*) > 0 FROM juki.operation_log
		WHERE action = 'worker_start'
		  AND seq > (SELECT coalesce(max(seq), 0) FROM juki.operation_log WHERE action = 'worker_stop')});
	last if $started eq 't';
	usleep(100_000);
}
is($started, 't', 'the writer restarted on the new primary');
is(as_role($standby, 'auditor', q{SELECT count(*) FROM juki.operation_log WHERE action = 'wal_retention'}),
	'0', 'a restart of the writer after the promotion records no possible loss');
$standby->stop;
done_testing();
