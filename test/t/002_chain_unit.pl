# The chain library's unit tests (test/unit/chain_test.c, built by make):
# SHA-256 and Ed25519 vectors, canonical JSON, timestamps, checkpoint lines,
# the export header and the README's worked test vector.  Each of its TAP
# assertions is reported as one of ours.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;

my $bin = "$ENV{TESTDIR}/test/unit/chain_test";
ok(-x $bin, 'chain_test is built') or BAIL_OUT("missing $bin");
my ($stdout, $stderr) = run_command([$bin]);
my ($n, $failed) = (0, 0);
for my $line (split /\n/, $stdout)
{
	if ($line =~ /^(not )?ok \d+ - (.*)$/)
	{
		ok(!defined $1, "chain: $2");
		$n++;
	}
}
cmp_ok($n, '>', 100, 'chain_test ran its assertions');
done_testing();
