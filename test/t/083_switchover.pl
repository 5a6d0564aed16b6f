# Switchover and back (issue 18 §1): a clean stop of the primary (its
# writer ends the run with worker_stop and a shutdown checkpoint, streamed
# to the standby before the server stops), promotion of the standby, the
# old primary rejoining as a standby of the new one; then the same the other
# way.  The chain is continuous across both: every entry once, no seq gap,
# verify_log ok with the published checkpoints, one promotion entry per
# switch (timelines 1→2→3), no lost range.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
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

# rejoin: follow the new primary; if the old one cannot (its WAL went past
# the switch point), pg_rewind it first
sub rejoin
{
	my ($old, $new) = @_;
	$old->enable_streaming($new);
	$old->start;
	for (1 .. 40)
	{
		my ($rc, $out) = $old->psql('postgres', q{SELECT status FROM pg_stat_wal_receiver});
		return if $out eq 'streaming';
		usleep(250_000);
	}
	$old->stop('fast');
	PostgreSQL::Test::Utils::system_or_bail($old->installed_command('pg_rewind'),
		'-D', $old->data_dir, '--source-server', $new->connstr('postgres'));
	$old->enable_streaming($new);
	$old->start;
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
rejoin($east, $west);
is(lookups($west), join("\n", @codes), 'west discloses after the switchover');
$west->wait_for_catchup($east, 'replay');
is($east->safe_psql('postgres', 'SELECT standby, timeline FROM juki.status()'), 't|2',
	'east rejoined as a standby on timeline 2');

$west->stop('fast');
$east->promote;
wait_writer($east);
rejoin($west, $east);
is(lookups($east), join("\n", @codes), 'east discloses after switching back');
like(as_role($east, 'auditor', 'SELECT juki.checkpoint()'), qr/^juki-checkpoint\//, 'and signs');

is(as_role($east, 'auditor', q{SELECT string_agg((detail->>'old_timeline') || '>' || (detail->>'new_timeline')
	|| ' after ' || (SELECT b.action FROM juki.operation_log b
					  -- a promoted standby that cannot vouch for the slot it kept
					  -- records a possible loss (wal_retention) before the
					  -- promotion; README Operations
					  WHERE b.seq <= (l.detail->>'last_seq_before')::bigint AND b.action <> 'wal_retention'
					  ORDER BY b.seq DESC LIMIT 1),
	', ' ORDER BY seq) FROM juki.operation_log l WHERE action = 'promotion'}),
	'1>2 after worker_stop, 2>3 after worker_stop',
	'one promotion per switch, each right after the clean stop of the old primary');
is(as_role($east, 'auditor', "SELECT count(*) FROM juki.operation_log WHERE action = 'restore'"), '0',
	'no lost range');
is(as_role($east, 'auditor', 'SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log'), 't',
	'no seq gap');
is(as_role($east, 'auditor', q{SELECT count(*) FROM juki.operation_log WHERE action = 'lookup' AND outcome = 'granted'}),
	scalar(@codes) * 3, 'every lookup once');
is(as_role($east, 'auditor', 'SELECT ok::text || checkpoint_files FROM juki.verify_log()'),
	'true' . scalar(my @f = glob($east->basedir . '/checkpoints/*.checkpoint')),
	'the chain verifies with every published checkpoint');
$west->stop;
$east->stop;
done_testing();
