# The operation log survives crashes: (a) kill -9 of the postmaster and
# (b) kill -9 of the audit writer, each during a multi-session load whose
# clients record every refusal they were told is on record.  After recovery
# every acknowledged record is in the log, the chain verifies, and the first
# entry after the crash says so.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use JukiNode;

my $node = juki_node('crash');
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
my $dir = $node->basedir;

sub crash_round
{
	my ($what, $kill, $restart) = @_;
	unlink glob "$dir/ledger.*";
	my $load = start_load($node, 8, $dir);
	# let the load run until a fair number of refusals were acknowledged
	for (1 .. 300)
	{
		last if scalar(keys %{ ledger_tags($dir) }) >= 40;
		usleep(50_000);
	}
	$kill->();
	usleep(300_000);
	stop_load($load);
	# a dead postmaster is started again; a dead writer makes the running
	# postmaster reinitialize by itself
	$restart ? start_juki($node) : wait_writer($node);

	my $acked = ledger_tags($dir);
	my $logged = logged_tags($node, 'aud');
	my @lost = grep { !$logged->{$_} } sort keys %$acked;
	cmp_ok(scalar(keys %$acked), '>=', 40, "$what: clients saw refusals acknowledged");
	is(scalar(@lost), 0, "$what: every acknowledged record is in the log")
	  or diag("lost: @lost[0 .. ($#lost < 9 ? $#lost : 9)]");
	is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', "$what: the chain verifies");
	is( as_role(
			$node, 'aud',
			"SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log"),
		't',
		"$what: no seq gap");
	is( as_role(
			$node, 'aud',
			"SELECT detail->>'after_crash' || ' ' || reason FROM juki.operation_log "
			  . "WHERE action = 'worker_start' ORDER BY seq DESC LIMIT 1"),
		'true recovered_after_crash',
		"$what: the first entry after the crash says so");
}

crash_round('kill -9 postmaster', sub { $node->kill9; }, 1);

crash_round(
	'kill -9 audit writer',
	sub {
		my $pid = $node->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');
		kill 'KILL', $pid;
	},
	0);

# a clean stop and start: the writer says it was clean, the chain goes on
$node->stop('fast');
start_juki($node);
is( as_role(
		$node, 'aud',
		"SELECT string_agg(action || ':' || coalesce(detail->>'after_crash', '-'), ' ' ORDER BY seq) FROM ("
		  . "SELECT * FROM juki.operation_log WHERE action IN ('worker_stop', 'worker_start') "
		  . "ORDER BY seq DESC LIMIT 2) s"),
	'worker_stop:- worker_start:false',
	'a clean stop is followed by a clean start');
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies after a clean restart');

$node->stop;
done_testing();
