# Switchover and back (issue 18 §1): a clean stop of the primary (its
# writer ends the run with worker_stop and a shutdown checkpoint, streamed
# to the standby before the server stops), promotion of the standby, the
# old primary rejoining as a standby of the new one; then the same the other
# way.  Then a failover whose old primary went past the switch point and
# rejoins with pg_rewind (from the new primary's data directory: juki
# refuses the SQL file reads of --source-server).  The chain is continuous
# across all: every entry once, no seq gap, verify_log ok with the
# published checkpoints, one promotion entry per switch (timelines
# 1→2→3→4), no lost range.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use IPC::Run;
use JukiNode;

my $east = juki_node('east', allows_streaming => 1, signing => 1, conf => "wal_log_hints = on\n");
juki_staff($east);
my @codes = split /\n/, $east->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 4");
$east->backup('base');
my $west = PostgreSQL::Test::Cluster->new('west');
$west->init_from_backup($east, 'base', has_streaming => 1);
$west->start;

sub lookups
{
	my ($n) = @_;
	my $token = card_login($n, 'op1', 'OP1-CARD');
	return as_role($n, 'op1', join('', map {
		"SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', '$_', '$token');\n" } @codes));
}

# rejoin: follow the new primary (after a clean stop no pg_rewind is needed;
# the failover at the end shows the case that needs it)
sub rejoin
{
	my ($old, $new) = @_;
	$old->enable_streaming($new);
	$old->start;
	return $new->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_replication WHERE state = 'streaming'}) ? 'streamed' : 'not streaming';
}

is(lookups($east), join("\n", @codes), 'east discloses as primary');
# an emergency stop (作動停止) in force at the switch holds on the new primary
as_role($east, 'chief', "SELECT juki.emergency_stop('drill')");
$east->stop('fast');
$west->promote;
wait_writer($west);
is($west->safe_psql('postgres', 'SELECT emergency_stop FROM juki.status()'), 't',
	'the emergency stop holds on the new primary');
my ($rc, undef, $err) = psql_as($west, 'op1', "SELECT juki.card_challenge('OP1-CARD')");
like($err, qr/reason: emergency_stop/, 'logins are refused there too');
as_role($west, 'chief', "SELECT juki.emergency_resume('drill over')");
is(rejoin($east, $west), 'streamed', 'after a clean stop the old primary follows without pg_rewind');
is(lookups($west), join("\n", @codes), 'west discloses after the switchover');
$west->wait_for_catchup($east, 'replay');
is($east->safe_psql('postgres', 'SELECT standby, timeline FROM juki.status()'), 't|2',
	'east rejoined as a standby on timeline 2');

$west->stop('fast');
$east->promote;
wait_writer($east);
is(rejoin($west, $east), 'streamed', 'both ways');
is(lookups($east), join("\n", @codes), 'east discloses after switching back');
like(as_role($east, 'auditor', 'SELECT juki.checkpoint()'), qr/^juki-checkpoint\//, 'and signs');

# A failover where the old primary went past the switch point (a checkpoint
# the standby never received, then kill -9): it rejoins only after
# pg_rewind.  pg_rewind --source-server reads the new primary's files with
# pg_read_binary_file, which juki refuses to everyone (README "Threat
# model"); the runbook stops the new primary cleanly for a moment and
# rewinds from its data directory (README Operations).
$east->wait_for_catchup($west, 'replay');
$west->stop('fast');
$east->safe_psql('postgres', 'CHECKPOINT');
$east->kill9;
$west->start;
$west->promote;
wait_writer($west);
my $off = -s $east->logfile;
$east->enable_streaming($west);
for (1 .. 20)    # the killed postmaster may still hold its lock file
{
	last if $east->start(fail_ok => 1);
	$east->stop('fast', fail_ok => 1);
	sleep 1;
}
my $forked = 0;
for (1 .. 1200)
{
	$forked = slurp_file($east->logfile, $off) =~ /forked off current database system timeline 3/;
	last if $forked;
	usleep(100_000);
}
ok($forked, 'the old primary cannot follow the new timeline (its WAL went past the switch point)');
$east->stop('fast');
my ($out, $err) = ('', '');
IPC::Run::run([ $east->installed_command('pg_rewind'), '-D', $east->data_dir,
	'--source-server', $west->connstr('postgres') ], '>', \$out, '2>', \$err);
like($err, qr/pg_read_binary_file.*\n.*reason: direct_access/, 'pg_rewind --source-server is refused: it reads files through SQL');
$west->stop('fast');
# pg_rewind copies the source's configuration files too: keep east's own
my $conf = slurp_file($east->data_dir . '/postgresql.conf');
PostgreSQL::Test::Utils::system_or_bail($east->installed_command('pg_rewind'),
	'-D', $east->data_dir, '--source-pgdata', $west->data_dir);
open(my $fh, '>', $east->data_dir . '/postgresql.conf') or die;
print $fh $conf;
close $fh;
$west->start;
wait_writer($west);
$east->enable_streaming($west);
$east->start;
ok($west->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_replication WHERE state = 'streaming'}),
	'rewound from the new primary\'s data directory, the old primary follows it');
is(lookups($west), join("\n", @codes), 'west discloses after the failover');
$west->wait_for_catchup($east, 'replay');
is($east->safe_psql('postgres', 'SELECT standby, timeline FROM juki.status()'), 't|4',
	'east is a standby on timeline 4');

is(as_role($west, 'auditor', q{SELECT string_agg((detail->>'old_timeline') || '>' || (detail->>'new_timeline')
	|| ' after ' || (SELECT b.action FROM juki.operation_log b
					  -- a promoted standby that cannot vouch for the slot it kept
					  -- records a possible loss (wal_retention) before the
					  -- promotion; README Operations
					  WHERE b.seq <= (l.detail->>'last_seq_before')::bigint AND b.action <> 'wal_retention'
					  ORDER BY b.seq DESC LIMIT 1),
	', ' ORDER BY seq) FROM juki.operation_log l WHERE action = 'promotion'
	AND (detail->>'new_timeline')::int <= 3}),
	'1>2 after worker_stop, 2>3 after worker_stop',
	'one promotion per switch, each right after the clean stop of the old primary');
is(as_role($west, 'auditor', q{SELECT string_agg((detail->>'old_timeline') || '>' || (detail->>'new_timeline'), ',')
	FROM juki.operation_log WHERE action = 'promotion' AND (detail->>'new_timeline')::int > 3}), '3>4',
	'and one for the failover');
is(as_role($west, 'auditor', "SELECT count(*) FROM juki.operation_log WHERE action = 'restore'"), '0',
	'no lost range');
is(as_role($west, 'auditor', "SELECT count(*) FROM juki.operation_log WHERE action = 'wal_retention'"), '0',
	'and no possible loss: each new primary took over the slot its standby kept where the old one had filed');
is(as_role($west, 'auditor', 'SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log'), 't',
	'no seq gap');
is(as_role($west, 'auditor', q{SELECT count(*) FROM juki.operation_log WHERE action = 'lookup' AND outcome = 'granted'}),
	scalar(@codes) * 4, 'every lookup once');
is(as_role($west, 'auditor', 'SELECT ok::text || checkpoint_files FROM juki.verify_log()'),
	'true' . scalar(my @f = glob($east->basedir . '/checkpoints/*.checkpoint')),
	'the chain verifies with every published checkpoint');
$west->stop;
$east->stop;
done_testing();
