# The privacy canary (issue 14 §3): no message juki emits — ERROR, NOTICE,
# WARNING, DETAIL, HINT, CONTEXT, at any level — carries a resident's code,
# individual number, name or address.  Two clusters log everything
# (log_min_messages = debug1, log_statement = all, every error's statement):
# one runs the guided demo (test/demo/demo.sql) on the 1,300-resident town
# of gen_town.pl, the other every pg_regress suite's statements on the
# 200-resident town the regression tests load.  Then each server log is
# searched for every code, number, name (kanji and kana, former surname,
# alias) and address of its town: none may appear.
#
# Before this issue it failed on both: the support-measure NOTICE repeated the
# resident code, and import_residents named a bad row by its resident code.
use strict;
use warnings;
use utf8;
use Encode qw(decode);
use File::Temp qw(tempdir);
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $LOGGING = q{
log_min_messages = debug1
log_statement = 'all'
log_min_error_statement = debug1
log_error_verbosity = verbose
lc_messages = 'C'
};

# psql -f FILE against a node, errors allowed (refusals are the point);
# run from dir so that the scripts' relative paths work.
sub run_script
{
	my ($node, $db, $dir, $file, @vars) = @_;
	my @cmd = ($node->installed_command('psql'), '-X', '-q', '-h', $node->host, '-p',
		$node->port, '-d', $db, '-v', 'ON_ERROR_STOP=0', (map { ('-v', $_) } @vars),
		'-f', $file);
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(\@cmd, '>', \$out, '2>', \$err, init => sub { chdir $dir or die });
	$h->finish;
	return ($out, $err);
}

# A town's personal data from gen_town.pl's output (COPY text format).
sub town_secrets
{
	my ($tsv) = @_;
	my (%numbers, %texts);
	for my $line (split /\n/, decode('UTF-8', slurp_file($tsv)))
	{
		my @f = split /\t/, $line;
		next unless @f >= 13 && $f[0] =~ /^\d{11}$/;
		$numbers{ $f[0] } = 'resident_code';
		$numbers{ $f[1] } = 'individual_number';
		for my $i (2, 3, 4, 5, 8)
		{
			$texts{ $f[$i] } = $i if $f[$i] ne '\N' && length($f[$i]) >= 2;
		}
	}
	return (\%numbers, \%texts);
}

# Every code and number (whole digit runs) and every text found in the log.
sub leaks
{
	my ($log, $numbers, $texts) = @_;
	my %found;
	for my $run ($log =~ /(?<![0-9])([0-9]{11,12})(?![0-9])/g)
	{
		$found{"$numbers->{$run} $run"}++ if $numbers->{$run};
	}
	my $alt = join '|', map { quotemeta } sort { length($b) <=> length($a) } keys %$texts;
	for my $m ($log =~ /($alt)/g)
	{
		$found{"text $m"}++;
	}
	return [ sort keys %found ];
}

sub lines_with
{
	my ($log, $what) = @_;
	my ($needle) = $what =~ /^\S+ (.*)$/;
	return join "\n", grep { index($_, $needle) >= 0 } split /\n/, $log;
}

my $tmp = tempdir(CLEANUP => 1);

# ---------------------------------------------------------------- the demo
my $demo = juki_node('canary_demo', signing => 1, conf => $LOGGING);
system("perl test/demo/gen_town.pl --residents 1300 > $tmp/residents.tsv") == 0 or die;
my $today = $demo->safe_psql('postgres', "SELECT to_char(current_date, 'YYYY-MM-DD')");
system("perl test/demo/gen_town.pl --residents 1300 --table measures --today $today > $tmp/measures.tsv") == 0
  or die;
system("openssl genpkey -algorithm ed25519 -out $tmp/card_tanaka.pem 2>/dev/null") == 0 or die;
system("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $tmp/card_nakamura.pem 2>/dev/null") == 0
  or die;
for my $k ('tanaka', 'nakamura')
{
	system("openssl pkey -in $tmp/card_$k.pem -pubout -out $tmp/card_$k.pub") == 0 or die;
}
my $src = `pwd`;
chomp $src;
my $offset = -s $demo->logfile;
my ($out, $err) = run_script($demo, 'postgres', "$src/test/demo", "$src/test/demo/demo.sql",
	"residents=$tmp/residents.tsv", "measures=$tmp/measures.tsv", "keydir=$tmp",
	"signer=$src/test/sign_challenge.sh");
my $log = decode('UTF-8', slurp_file($demo->logfile, $offset));

# the demo ran, and its log can fail this test
like($out, qr/residents_imported\s*\n-+\n\s*1300/, 'the demo imported the town');
$out = decode('UTF-8', $out);
like($out, qr/DV等支援措置 registered/, 'the demo registered the support measures');
like($log, qr/LOG:  00000: statement: SELECT juki\.lookup/, 'statements are logged');
like($log, qr/ERROR:  22023: .*nothing was imported/, 'juki\'s refusals are logged, with their messages');
like($log, qr/ERROR:  42501: [^\n]*\n[^\n]*DETAIL:  reason: resident_restricted/,
	'so is the refused lookup of a protected resident');
# juki's own refusals carry no CONTEXT of its PL/pgSQL (issue 19): none of
# juki's functions or internal statements reaches the log that way
unlike($log, qr/CONTEXT:  [^\n]*(PL\/pgSQL function juki\.|juki\._fail|juki\._raise)/,
	'no context line of juki\'s own functions is logged');
like($log, qr/DEBUG:  /, 'debug messages are logged');

my ($numbers, $texts) = town_secrets("$tmp/residents.tsv");
cmp_ok(scalar keys %$numbers, '>=', 2600, 'every code and number of the demo town is looked for');
my $found = leaks($log, $numbers, $texts);
is_deeply($found, [], 'the demo\'s server log holds no code, number, name or address of its town')
  or diag(join "\n", map { lines_with($log, $_) } @$found[ 0 .. ($#$found < 4 ? $#$found : 4) ]);
$demo->stop('fast');

# --------------------------------------------------- the regression suites
# The suites run in their own cluster, in the Makefile's order, from the
# build directory where their keys, login script and town.tsv are.
my $regress = juki_node('canary_regress', signing => 1, no_extension => 1,
	conf => $LOGGING . "juki.database = 'juki_regression'\n");
$regress->safe_psql('postgres', 'CREATE DATABASE juki_regression');
my ($suites) = slurp_file('Makefile') =~ /^REGRESS = ((?:.*\\\n)*.*)$/m;
my @suites = split ' ', ($suites =~ s/\\\n/ /gr);
ok(@suites >= 18 && $suites[0] eq 'install', 'every pg_regress suite of the Makefile, install first');
$offset = -s $regress->logfile;
# The suites catch most refusals in juki_test.try (install.sql), and a caught
# error never reaches the log: here try also relays what it caught —
# message, detail and hint, which are juki's — to the log.  (Not the
# context: its first line is the test's own statement, literals and all.)
my $relay = q{
CREATE OR REPLACE FUNCTION juki_test.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; det text; hnt text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	RAISE LOG 'caught %: % | DETAIL % | HINT %', st, msg, det, hnt;
	RETURN st || ': ' || msg || coalesce(E'\nDETAIL: ' || nullif(det, ''), '')
		|| coalesce(E'\nHINT: ' || nullif(hnt, ''), '');
END
$$;
};
my $ran = 0;
for my $suite (@suites)
{
	my ($o, $e) = run_script($regress, 'juki_regression', $ENV{TESTDIR}, "$src/sql/$suite.sql");
	$ran++ if length($o) > 0;
	$regress->safe_psql('juki_regression', $relay) if $suite eq 'install';
}
is($ran, scalar @suites, 'each suite ran');
$log = decode('UTF-8', slurp_file($regress->logfile, $offset));
like($log, qr/NOTICE:  00000: .*under a support measure/,
	'the regression suites\' support-measure NOTICE is in the log');
like($log, qr/LOG:  00000: caught 22023: [^\n]*\| DETAIL reason: (change_refused|invalid_argument)/,
	'so are the registrar\'s refusals, caught by juki_test.try');

($numbers, $texts) = town_secrets("$ENV{TESTDIR}/town.tsv");
cmp_ok(scalar keys %$numbers, '>=', 400, 'every code and number of the regression town is looked for');
$found = leaks($log, $numbers, $texts);
is_deeply($found, [], 'the regression suites\' server log holds no code, number, name or address of their town')
  or diag(join "\n", map { lines_with($log, $_) } @$found[ 0 .. ($#$found < 4 ? $#$found : 4) ]);
$regress->stop('fast');

done_testing();
