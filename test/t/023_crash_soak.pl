# Crash soak: rounds of kill -9 of the postmaster under a 16-session load of
# authenticated lookups.  Each client keeps a ledger of every row it
# received; after each recovery every received row has a durable log entry
# naming that operator, purpose and resident, and the chain verifies.
# JUKI_SOAK_ROUNDS (default 20) bounds the time.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use IPC::Run;
use JukiNode;

my $rounds = $ENV{JUKI_SOAK_ROUNDS} // 20;
# The soak is about durability, not volume: its one operator makes
# thousands of lookups, far beyond the default window (juki.window_rows), so
# it is given an explicit one; every restart still rebuilds the windows from
# the log (volume.c), under load.
my $node = juki_node('soak', conf => "juki.window_rows = 100000000\n");
my $op = juki_staff($node);
my $dir = $node->basedir;
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1");
my $psql = $node->installed_command('psql');
# sixteen cards of the same operator: sixteen sessions, logged in at once
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
my @cards = map { "OP1-SOAK-$_" } 1 .. 16;
as_role($node, "am", "
"
	  . join('', map { "SELECT juki.register_card($op, '$_', '$pub', current_date + 30);
" } @cards));

sub ledger
{
	my %rows;
	for my $f (glob "$dir/soak.*")
	{
		open my $fh, '<', $f or die;
		while (<$fh>) { $rows{$1} = 1 if /^ROW (\d{11})$/; }
	}
	return \%rows;
}

my $t0 = time;
for my $round (1 .. $rounds)
{
	unlink glob "$dir/soak.*";
	my @h;
	my @tokens = card_logins($node, 'op1', @cards);
	for my $c (1 .. 16)
	{
		my $token = $tokens[$c - 1];
		my $script = "$dir/client.$c.sql";
		open my $fh, '>', $script or die;
		print $fh "\\set ON_ERROR_STOP 1\n\\pset tuples_only on\n\\pset format unaligned\n";
		for my $i (1 .. 400)
		{
			my $code = $codes[($c * 7 + $i) % @codes];
			print $fh "BEGIN;\nSELECT juki.attach('$token') \\gset\n"
			  . "SELECT 'ROW ' || resident_code FROM juki.lookup('wide_area_copy_issuance', '$code');\nCOMMIT;\n";
		}
		close $fh;
		push @h, IPC::Run::start(
			[ $psql, '-X', '-q', '-h', $node->host, '-p', $node->port, '-U', 'op1', '-d', 'postgres',
			  '-f', $script ],
			'>', "$dir/soak.$c", '2>', '/dev/null');
	}
	for (1 .. 200)
	{
		last if scalar(keys %{ ledger() }) >= 20;
		usleep(50_000);
	}
	$node->kill9;
	usleep(200_000);
	for my $h (@h) { $h->signal('KILL'); $h->finish; }
	start_juki($node);

	my $received = ledger();
	my %logged = map { $_ => 1 } split /\n/, as_role($node, 'auditor', qq{
		SELECT DISTINCT s FROM juki.operation_log, unnest(subjects) s
		 WHERE action = 'lookup' AND outcome = 'granted' AND operator_id = $op
		   AND purpose = 'wide_area_copy_issuance'});
	my @lost = grep { !$logged{$_} } sort keys %$received;
	ok(scalar(keys %$received) > 0 && !@lost,
		"round $round: " . scalar(keys %$received) . " residents received, each logged for the operator and purpose")
	  or diag("received but not logged: @lost");
	is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', "round $round: the chain verifies");
}
is(as_role($node, 'auditor', 'SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log'), 't',
	'no seq gap after all rounds');
is(as_role($node, 'auditor',
		"SELECT count(*) FROM juki.operation_log WHERE action = 'worker_start' AND reason = 'recovered_after_crash'"),
	$rounds, 'every crash is on record');
note(sprintf('%d rounds in %.0f s', $rounds, time - $t0));
$node->stop;
done_testing();
