# The Merkle/note library's unit tests (test/unit/merkle_test, built by
# make from src/format): RFC 6962 reference vectors, exhaustive proofs for
# sizes up to 300, tiles, signed notes, checkpoints, cosignatures, the
# witness check and doc/MERKLE.md's worked example.  Each of its TAP
# assertions is reported as one of ours; the binary must also exit 0 and
# print a plan that matches the assertions it printed, so a crash, an early
# exit or a lost assertion fails this test too.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $bin = "$ENV{TESTDIR}/test/unit/merkle_test";
ok(-x $bin, 'merkle_test is built') or BAIL_OUT("missing $bin");
my ($stdout, $stderr);
my $exited_ok = IPC::Run::run([$bin], '>', \$stdout, '2>', \$stderr);
my $status = $?;
my ($n, $plan, $bail) = (0, undef, 0);
for my $line (split /\n/, $stdout)
{
	if ($line =~ /^(not )?ok (\d+) - (.*)$/)
	{
		$n++;
		ok(!defined $1, "merkle: $3");
		is($2, $n, "merkle assertion numbered $n in order") if $2 != $n;
	}
	elsif ($line =~ /^1\.\.(\d+)$/)
	{
		$plan = $1;
	}
	elsif ($line =~ /^Bail out!/)
	{
		$bail = 1;
		diag($line);
	}
	elsif ($line =~ /^# /)
	{
		note($line);
	}
}
diag($stderr) if defined $stderr && $stderr ne '';
ok($exited_ok && $status == 0, "merkle_test exits 0 (status $status)");
ok(!$bail, 'merkle_test did not bail out');
ok(defined $plan, 'merkle_test printed a plan line');
is($plan, $n, "merkle_test's plan ($n assertions seen) matches");
cmp_ok($n, '>', 150, 'merkle_test ran its assertions');
done_testing();
