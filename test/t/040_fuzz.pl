# A bounded libFuzzer run of every fuzz target (test/fuzz): the canonical
# encoder, the checkpoint/entry/timestamp parsers, juki_verify's export
# parser, PEM and signature handling, the code validators, search-criteria
# validation and the statement-text redactor.  Each runs for
# JUKI_FUZZ_SECONDS (default 8) from its seed corpus under ASan and UBSan;
# `make fuzz` runs them longer.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy;
use File::Temp qw(tempdir);

my $seconds = $ENV{JUKI_FUZZ_SECONDS} // 8;
for my $t (qw(canonical checkpoint export pem codes criteria redact))
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
