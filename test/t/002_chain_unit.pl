# The chain library's unit tests (test/unit/chain_test.c, built by make):
# SHA-256 and Ed25519 vectors, canonical JSON, timestamps, checkpoint lines,
# the export header and the README's worked test vector.  Each of its TAP
# assertions is reported as one of ours; the binary must also exit 0 and
# print a plan line matching the assertions it ran, so that a crash or an
# early exit after some of them fails here.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $bin = "$ENV{TESTDIR}/test/unit/chain_test";
ok(-x $bin, 'chain_test is built') or BAIL_OUT("missing $bin");
my ($stdout, $stderr) = ('', '');
IPC::Run::run([$bin], '>', \$stdout, '2>', \$stderr);
my $status = $?;
my ($n, $plan) = (0, undef);
for my $line (split /\n/, $stdout)
{
	if ($line =~ /^(not )?ok (\d+) - (.*)$/)
	{
		$n++;
		ok(!defined $1, "chain: $3");
		is($2, $n, "chain: assertion $n is numbered $n") if $2 != $n;
	}
	elsif ($line =~ /^1\.\.(\d+)$/)
	{
		$plan = $1;
	}
}
is($status, 0, 'chain_test exits 0') or diag("exit status $status; stderr: $stderr");
ok(defined $plan, 'chain_test prints its plan line');
is($n, $plan // -1, 'chain_test ran as many assertions as it planned');
cmp_ok($n, '>', 100, 'chain_test ran its assertions');
done_testing();
