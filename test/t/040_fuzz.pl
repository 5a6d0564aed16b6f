# A bounded libFuzzer run of every fuzz target (test/fuzz): the canonical
# encoder, the checkpoint/entry/timestamp parsers, juki_verify's export
# parser, PEM and signature handling, the code validators, search-criteria
# validation, the statement-text redactor, and src/format's signed notes
# (fuzz_note) and proofs, tile paths, witness requests (fuzz_proof).  Each
# runs for JUKI_FUZZ_SECONDS (default 8) from its seed corpus under ASan and
# UBSan; `make fuzz` runs them longer.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy;
use File::Temp qw(tempdir);

my $seconds = $ENV{JUKI_FUZZ_SECONDS} // 8;
# Every target with a source in test/fuzz (the Makefile's FUZZ_TARGETS must
# build each of them: a missing rule shows here as "not built").
my @targets = map { m{/fuzz_(\w+)\.c$} ? $1 : () } sort glob "test/fuzz/fuzz_*.c";
cmp_ok(scalar(@targets), '>=', 9, 'fuzz targets found: ' . join(' ', @targets));
for my $t (@targets)
{
	my $bin = "$ENV{TESTDIR}/test/fuzz/fuzz_$t";
	ok(-x $bin, "fuzz_$t is built") or next;
	my $corpus = tempdir(CLEANUP => 1);
	copy($_, $corpus) for glob "test/fuzz/corpus/$t/*";
	my $log = "$ENV{TESTDIR}/tmp_check/log/fuzz_$t.log";
	my $rc = system("$bin -max_total_time=$seconds -rss_limit_mb=1024 $corpus > '$log' 2>&1");
	my $out = slurp_file($log);
	my ($runs) = $out =~ /Done (\d+) runs/;
	ok($rc == 0 && defined $runs, "fuzz_$t: " . ($runs // 0) . " inputs in ${seconds}s, no crash, leak or UB")
	  or diag(join("\n", grep { /ERROR|SUMMARY|==\d+==/ } split /\n/, $out));
}
done_testing();
