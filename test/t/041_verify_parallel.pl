# verify_log reads the log with parallel workers (issue 17, src/audit/verify_scan.c):
# each entry's own checks are made by whoever reads its chunk of the heap, and the
# leader checks the links in seq order.  Whatever the number of workers, the
# answer must be the one a single reader gives:
#  - a log of ~15,000 entries (many chunks) verifies, and the workers did read it;
#  - a row moved out of heap order (an UPDATE writes the new version elsewhere)
#    still verifies: the leader goes on through the primary key;
#  - an entry edited in the middle, and then one deleted earlier, are found at the
#    right seq (the smallest), with workers and without (juki.verify_workers = 0,
#    and with max_parallel_workers = 0, when none can be had);
#  - the log entry of each verification says how many workers read the log;
#  - inside a subtransaction that is rolled back, parallel mode ends with it;
#  - texts stored out of line (a low toast_tuple_target, STORAGE EXTERNAL) verify.
# Shown to fail: on the code before the parallel scan (no "workers" in the
# entry), with the leader treating a row out of heap order as a gap (the
# moved row is then reported missing), and with the row's canonical form
# taking an out-of-line text's TOAST pointer for its bytes ("edited").
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('verifypar', signing => 1, conf => "juki.verify_workers = 2\n");
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');

# ~15,000 entries: every tree_head() call is one
as_role($node, 'aud', 'SELECT count(juki.tree_head()) FROM generate_series(1, 15000)');
$node->poll_query_until('postgres', 'SELECT last_seq >= 15000 FROM juki.status()')
  or die 'the log did not grow to 15,000 entries';
my $blocks = as_role($node, 'aud',
	"SELECT pg_relation_size('juki.operation_log') / current_setting('block_size')::int");
cmp_ok($blocks, '>=', 10 * 32, "the log spans at least ten chunks of 32 blocks ($blocks blocks)");

sub verify
{
	my ($settings) = @_;
	my $out = as_role($node, 'aud',
		($settings // '') . "SELECT CASE WHEN ok THEN 't' ELSE 'f' END || '|' || entries_checked || '|' || coalesce(first_bad_seq::text, '') || '|' || coalesce(problem, '') FROM juki.verify_log()");
	my ($ok, $n, $bad, $problem) = split /\|/, $out, 4;
	my $workers = as_role($node, 'aud',
		"SELECT detail->>'workers' FROM juki.operation_log WHERE action = 'verify_log' ORDER BY seq DESC LIMIT 1");
	return ($ok, $n, $bad, $problem, $workers);
}

sub set_workers
{
	my ($n) = @_;
	$node->append_conf('postgresql.conf', "juki.verify_workers = $n\n");
	$node->reload;
	$node->poll_query_until('postgres', "SELECT current_setting('juki.verify_workers') = '$n'")
	  or die "juki.verify_workers did not become $n";
}

# The three ways of reading, each with the answer expected.
sub check_all
{
	my ($what, $want_ok, $want_bad, $want_problem) = @_;
	for my $way ([ 'workers', 2, '' ], [ 'no worker (juki.verify_workers = 0)', 0, '' ],
		[ 'none to be had (max_parallel_workers = 0)', 2, 'SET max_parallel_workers = 0; ' ])
	{
		my ($label, $n, $set) = @$way;
		set_workers($n);
		my ($ok, $checked, $bad, $problem, $workers) = verify($set);
		is($ok, $want_ok, "$what, $label: ok is $want_ok");
		if ($want_ok eq 't')
		{
			my $last = as_role($node, 'aud', 'SELECT max(seq) FROM juki.operation_log');
			# the verify_log entry itself comes after the scan
			cmp_ok($checked, '>=', $last - 1, "$what, $label: every entry checked ($checked)");
		}
		else
		{
			is($bad, $want_bad, "$what, $label: first bad seq $want_bad");
			like($problem, $want_problem, "$what, $label: the problem");
		}
		if ($label eq 'workers')
		{
			cmp_ok($workers, '>=', 1, "$what, $label: the entry says workers read the log ($workers)");
		}
		else
		{
			is($workers, '0', "$what, $label: the entry says no worker read the log");
		}
	}
}

check_all('a log of 15,000 entries', 't');

# In a subtransaction that is rolled back (PL/pgSQL's exception block), with a
# worker: parallel mode ends with it, and the next verification works
set_workers(2);
my ($rc, $out, $err) = psql_as($node, 'aud', q{
DO $$ DECLARE r record; BEGIN
  BEGIN
    SELECT * INTO r FROM juki.verify_log();
    RAISE NOTICE 'inner ok=%', r.ok;
    RAISE EXCEPTION 'roll it back';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  SELECT * INTO r FROM juki.verify_log();
  RAISE NOTICE 'outer ok=%', r.ok;
END $$});
is($rc, 0, 'verify_log in a rolled-back subtransaction, then again: no error');
like($err, qr/inner ok=t.*outer ok=t/s, 'both verifications are ok');
is(as_role($node, 'aud',
	"SELECT string_agg(detail->>'workers', ',') FROM (SELECT detail FROM juki.operation_log WHERE action = 'verify_log' ORDER BY seq DESC LIMIT 2) s"),
	'2,2', 'both were read with workers, and both are on record although one was rolled back');

# A row out of heap order: its new version is written at the end of the heap
run_sql_without_juki($node, 'UPDATE juki.operation_log SET reason = reason WHERE seq = 1000');
my $at = as_role($node, 'aud',
	"SELECT (ctid::text::point)[0] FROM juki.operation_log WHERE seq = 1000");
cmp_ok($at, '>', $blocks / 2, "the row of seq 1000 now lies near the end of the heap (block $at)");
check_all('a row out of heap order', 't');

# Texts stored out of line (TOAST): a DBA's storage settings must not change
# the bytes hashed.  A long role name, with the log's rows toasted early.
my $long = 'auditor_' . ('x' x 50);
$node->safe_psql('postgres', qq{CREATE ROLE "$long" LOGIN; GRANT juki_auditor TO "$long";});
run_sql_without_juki($node, q{ALTER TABLE juki.operation_log SET (toast_tuple_target = 128);
ALTER TABLE juki.operation_log ALTER COLUMN db_role SET STORAGE EXTERNAL;});
my $toast_sql = q{SELECT pg_relation_size(reltoastrelid) FROM pg_class WHERE oid = 'juki.operation_log'::regclass};
my $toast0 = as_role($node, 'aud', $toast_sql);
my $before = as_role($node, 'aud', 'SELECT max(seq) FROM juki.operation_log');
# a row is toasted only past 2 kB: refused statements carrying 2 kB of text
# that does not compress, by the role of the long name
for my $i (1 .. 20)
{
	my $pad = join '', map { sprintf '%x', int(rand(16)) } 1 .. 2400;
	psql_as($node, $long, "/* toast $i $pad */ DELETE FROM juki.operation_log WHERE seq = -1");
}
$node->poll_query_until('postgres', "SELECT last_seq >= $before + 20 FROM juki.status()")
  or die 'the entries of the long role name were not filed';
cmp_ok(as_role($node, 'aud', $toast_sql), '>', $toast0, 'entries were toasted (the TOAST table grew)');
check_all('texts stored out of line', 't');

# An entry edited in the middle (its hash not recomputed)
run_sql_without_juki($node, "UPDATE juki.operation_log SET reason = 'edited' WHERE seq = 9000");
check_all('an entry edited at seq 9000', 'f', '9000', qr/seq 9000 does not match its hash/);

# Then an earlier one deleted: the smallest seq wins, whoever read which chunk
run_sql_without_juki($node, 'DELETE FROM juki.operation_log WHERE seq = 5000');
check_all('seq 5000 deleted, 9000 edited', 'f', '5000', qr/entry seq 5000 is missing/);

$node->stop;
done_testing();
