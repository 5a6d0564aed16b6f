# Crash soak: rounds of kill -9 of the postmaster under a 16-session load of
# authenticated lookups by two operators (eight cards each), over a town of
# 2,000 residents.  Each client keeps a ledger of every row it received;
# after each recovery, every (operator, resident) pair received in that
# round has at least as many durable granted entries of that round (seq
# after the round's start, none named by a withheld entry) as the clients
# received: a multiset comparison, so one lost entry fails the round even
# when the same resident was logged many times before.  The chain verifies
# after each round.  JUKI_SOAK_ROUNDS (default 20) bounds the time.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use IPC::Run;
use JukiNode;

my $rounds = $ENV{JUKI_SOAK_ROUNDS} // 20;
# The soak is about durability, not volume: its operators make thousands of
# lookups, far beyond the default window (juki.window_rows), so they are
# given an explicit one; every restart still rebuilds the windows from the
# log (volume.c), under load.
my $node = juki_node('soak', conf => "juki.window_rows = 100000000\n");
my %op = (op1 => juki_staff($node, residents => 2000));
$op{op2} = juki_operator($node, 'op2', 'OP2-CARD');
my $dir = $node->basedir;
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1");
my $psql = $node->installed_command('psql');
# eight cards per operator: sixteen sessions, logged in at once
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
my %cards = (op1 => [ map { "OP1-SOAK-$_" } 1 .. 8 ], op2 => [ map { "OP2-SOAK-$_" } 1 .. 8 ]);
for my $role (sort keys %cards)
{
	as_role($node, 'am',
		join('', map { "SELECT juki.register_card($op{$role}, '$_', '$pub', current_date + 30);\n" }
			  @{ $cards{$role} }));
}

# (operator id, resident) => rows received in this round
sub ledger
{
	my %rows;
	for my $f (glob "$dir/soak.*")
	{
		my ($role) = $f =~ /soak\.(op\d)\./;
		open my $fh, '<', $f or die;
		while (<$fh>) { $rows{"$op{$role} $1"}++ if /^ROW (\d{11})$/; }
	}
	return \%rows;
}

my $t0 = time;
for my $round (1 .. $rounds)
{
	unlink glob "$dir/soak.*";
	my $start = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
	my @h;
	for my $role (sort keys %cards)
	{
		my @tokens = card_logins($node, $role, @{ $cards{$role} });
		for my $c (1 .. 8)
		{
			my $token = $tokens[$c - 1];
			my $script = "$dir/client.$role.$c.sql";
			open my $fh, '>', $script or die;
			print $fh "\\set ON_ERROR_STOP 1\n\\pset tuples_only on\n\\pset format unaligned\n";
			for my $i (1 .. 400)
			{
				# every round and client asks for other residents, often repeated
				my $code = $codes[($round * 6421 + ($role eq 'op1' ? 0 : 3210) + $c * 401 + $i) % @codes];
				print $fh "BEGIN;\nSELECT juki.attach('$token') \\gset\n"
				  . "SELECT 'ROW ' || resident_code FROM juki.lookup('wide_area_copy_issuance', '$code');\nCOMMIT;\n";
			}
			close $fh;
			push @h, IPC::Run::start(
				[ $psql, '-X', '-q', '-h', $node->host, '-p', $node->port, '-U', $role, '-d', 'postgres',
				  '-f', $script ],
				'>', "$dir/soak.$role.$c", '2>', '/dev/null');
		}
	}
	for (1 .. 200)
	{
		my $l = ledger();
		my $n = 0;
		$n += $_ for values %$l;
		last if $n >= 40;
		usleep(50_000);
	}
	$node->kill9;
	usleep(200_000);
	for my $h (@h) { $h->signal('KILL'); $h->finish; }
	start_juki($node);

	my $received = ledger();
	my %logged;
	for (split /\n/, as_role($node, 'auditor', qq{
		SELECT l.operator_id || ' ' || (l.criteria->>'resident_code') || ' ' || count(*)
		  FROM juki.operation_log l
		 WHERE l.seq > $start AND l.action = 'lookup' AND l.outcome = 'granted'
		   AND l.purpose = 'wide_area_copy_issuance'
		   -- a withheld entry follows the entry it names: hashed once per round,
		   -- not searched once per entry (juki's tables have no planner statistics)
		   AND l.seq NOT IN (SELECT (w.detail->>'withheld_seq')::bigint
							   FROM juki.operation_log w
							  WHERE w.seq > $start AND w.action = 'withheld'
								AND w.detail->>'withheld_seq' IS NOT NULL)
		 GROUP BY l.operator_id, l.criteria->>'resident_code'}))
	{
		my ($o, $code, $n) = split / /;
		$logged{"$o $code"} = $n;
	}
	my @short = grep { ($logged{$_} // 0) < $received->{$_} } sort keys %$received;
	my $n = 0;
	$n += $_ for values %$received;
	my $ops = scalar(keys %{ { map { (split / /)[0] => 1 } keys %$received } });
	ok($n > 0 && !@short,
		"round $round: $n rows received ($ops operators), each logged for its operator since the round began")
	  or diag("received more often than logged (operator resident): "
		  . join(', ', map { "$_ ($received->{$_} received, " . ($logged{$_} // 0) . ' logged)' } @short));
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
