# Upgrading a town from juki 1.0 to the newest version.
#
# A town cannot drop and re-create juki: its operation log must live seven
# years.  This test runs a small town on the released 1.0 library and SQL
# (make test builds the library from the 1.0 commit, extension/releases),
# then does what a DBA does: installs the new library and restarts — the SQL
# is still 1.0, so juki refuses, and logs, every request — then runs ALTER
# EXTENSION juki UPDATE and goes on.  It checks that
#   - released scripts are unchanged (extension/released.sha256);
#   - the catalog after the upgrade equals a fresh install of the newest
#     version, fact by fact (test/upgrade/catalog.sql), seed rows included;
#   - the chain verifies across the upgrade, with no gap, the writer filing
#     entries before and after, and lookups, forms and checkpoints work.
use strict;
use warnings;
use File::Basename qw(dirname);
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

# 1. Released scripts are frozen.
my $check = `cd extension && sha256sum --check --strict released.sha256 2>&1`;
is($?, 0, 'released scripts match extension/released.sha256') or diag($check);
my $default = slurp_file('juki.control') =~ /^default_version\s*=\s*'([^']+)'/m ? $1 : '?';
ok(-f "extension/juki--1.0--$default.sql", "an upgrade script leads from 1.0 to $default");

my %releases = map { split /=/, $_, 2 } split ' ', ($ENV{JUKI_RELEASES} // '');
my $old_bin = $releases{'1.0'};
diag('the released 1.0 library was not built (no git history?): the town is set up '
	  . 'after the update instead of before it')
  unless $old_bin;

# The town's residents: juki_staff imports the first 30 codes of town.tsv.
my @town = sort { $a->[0] cmp $b->[0] } map { [ split /\t/ ] } grep { /^\d{11}\t/ }
  split /\n/, slurp_file("$ENV{TESTDIR}/town.tsv");
my ($active) = map { $_->[0] } grep { $_->[12] eq 'active' } @town[ 0 .. 29 ];

# One request: attach and look up; the number of residents disclosed.
sub lookup_count
{
	my ($node, $token) = @_;
	return as_role($node, "op1", qq{
		BEGIN;
		SELECT juki.attach('$token');
		SELECT 'n=' || count(*) FROM juki.lookup('wide_area_copy_issuance', '$active')
		 WHERE resident_code IS NOT NULL;
		COMMIT;}) =~ /n=(\d+)/ ? $1 : 'none';
}

sub last_seq
{
	my ($node) = @_;
	return $node->safe_psql('postgres', 'SELECT last_seq FROM juki.status()');
}

# 2. A town on 1.0: staff, a login, lookups, a form, a checkpoint.
my $node = juki_node('town', signing => 1, version => '1.0',
	$old_bin ? (install_path => dirname($old_bin)) : ());
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'juki'"),
	'1.0', 'juki 1.0 installed from the frozen script');

my ($token, $seq_before);
if ($old_bin)
{
	juki_staff($node);
	$token = card_login($node, 'op1', 'OP1-CARD');
	is(lookup_count($node, $token), '1', '1.0: a lookup discloses the resident');
	my $serial = as_role($node, "op1", qq{
		BEGIN; SELECT juki.attach('$token');
		SELECT serial FROM juki.issue_form('wide_area_copy_issuance', '$active', 'juminhyo_copy');
		COMMIT;});
	like($serial, qr/\S/, '1.0: a form is printed');
	like(as_role($node, "auditor", 'SELECT juki.checkpoint()'),
		qr/^juki-checkpoint\/1 /, '1.0: a signed checkpoint');
	$seq_before = last_seq($node);
}

# 3. The new library on the 1.0 SQL: juki refuses, logs the refusal, and
# status() says what to do.
$node->stop('fast');
$node->{_install_path} = undef;			# the system's installation: the new library
start_juki($node);
# (1.0's status() has no sql_version column: the library fills what is there)
is($node->safe_psql('postgres',
		"SELECT s.version, e.extversion FROM juki.status() s, pg_extension e WHERE extname = 'juki'"),
	"$default|1.0", 'status(): the new library over 1.0 SQL');
my ($rc, $out, $err) = psql_as($node, "am",
	"SELECT juki.register_operator('nobody', 'x', '住民課')");
isnt($rc, 0, 'an administrative call is refused before the update');
like($err, qr/reason: extension_update_pending; the refusal is recorded/, 'with its reason, logged');
like($err, qr/ALTER EXTENSION juki UPDATE/, 'and the hint says what the DBA runs');
if ($old_bin)
{
	($rc, $out, $err) = psql_as($node, "op1", qq{
		BEGIN; SELECT juki.attach('$token');
		SELECT count(*) FROM juki.lookup('wide_area_copy_issuance', '$active'); COMMIT;});
	like($err, qr/reason: extension_update_pending/, 'a disclosure is refused before the update');
}

# 4. ALTER EXTENSION juki UPDATE.
$node->safe_psql('postgres', 'ALTER EXTENSION juki UPDATE');
is($node->safe_psql('postgres', 'SELECT sql_version, sql_current FROM juki.status()'),
	"$default|t", "updated to $default");
if ($old_bin)
{
	# sessions do not survive a restart: the operator logs in again
	$token = card_login($node, 'op1', 'OP1-CARD');
	is(lookup_count($node, $token), '1', 'a lookup after the update discloses the resident');
	cmp_ok(last_seq($node), '>', $seq_before, 'the writer files entries after the update');
}
else
{
	juki_staff($node);
	$token = card_login($node, 'op1', 'OP1-CARD');
	is(lookup_count($node, $token), '1', 'a lookup after the update discloses the resident');
}
like(as_role($node, "auditor", 'SELECT juki.checkpoint()'),
	qr/\S/, 'a checkpoint after the update');
is(as_role($node, "auditor",
		'SELECT ok, first_bad_seq, problem FROM juki.verify_log()'),
	't||', 'the chain verifies across the upgrade');
is(as_role($node, "auditor", q{
		SELECT count(*) = max(seq) + 1 AND min(seq) = 0 FROM juki.operation_log}),
	't', 'no gap in seq across the upgrade');
# the writer built the Merkle tree over the entries filed before the update
# (issue 17) at its first entry after it; verify_log above rebuilt it
is(as_role($node, 'auditor', q{
		SELECT (SELECT leaf_index FROM juki.inclusion_proof(0)) = 0
		   AND (SELECT checkpoint_size FROM juki.tree_head()) > 0}),
	't', 'the tree covers the entries from seq 0, and the checkpoint after the update signs a note');
is(as_role($node, "auditor", q{
		SELECT count(*) FROM juki.operation_log
		 WHERE reason = 'extension_update_pending' AND outcome = 'denied'}),
	$old_bin ? '2' : '1', 'the refusals before the update are on record');

# The log's format grew a field (login_role, 1.1): entries before the update
# have none, entries after name the login; the export of both verifies
# offline, and the 1.0 entries kept their bytes.
is(as_role($node, 'auditor', q{
		SELECT count(*) FILTER (WHERE login_role IS NULL AND db_role IS NOT NULL) > 0,
		       count(*) FILTER (WHERE login_role IS NOT NULL) > 0
		  FROM juki.operation_log}),
	't|t', 'entries before the update (even those the new library wrote into the 1.0 table) have no login role, entries after have one');
my $export = $node->basedir . '/export.txt';
open my $efh, '>', $export or die;
print $efh as_role($node, 'am', 'SELECT * FROM juki.export_log(0)') . "\n";
close $efh;
my $verify = juki_verify_bin();
my $vout = `$verify --key ${\ $node->basedir}/keys/signing.pub $export 2>&1`;
is($?, 0, 'juki_verify accepts the export across the update') or diag($vout);
like($vout, qr/^OK: /, 'and says OK');

# 5. The catalog equals a fresh install of the newest version.
my $fresh = juki_node('fresh');
my $catalog_sql = slurp_file('test/upgrade/catalog.sql');
my $seeds_sql = q{
	SELECT 'purpose', to_jsonb(p) - 'defined_at' FROM juki.purpose p WHERE seeded ORDER BY code, version;
	SELECT 'hours', to_jsonb(h) - 'defined_at' FROM juki.operating_hours h WHERE seeded ORDER BY id;};
my %dump;
for my $n ($node, $fresh)
{
	$dump{ $n->name } = $n->safe_psql('postgres', $catalog_sql);
	# seed rows are read with the guard out of the way (no preload)
	$n->stop('fast');
	set_preload($n, 0);
	$n->start;
	$dump{ $n->name } .= "\n" . $n->safe_psql('postgres', $seeds_sql);
	$n->stop('fast');
}
my ($up, $new) = ($dump{town}, $dump{fresh});
cmp_ok(scalar(split /\n/, $new), '>', 300, 'the catalog listing is not empty');
my %u = map { $_ => 1 } split /\n/, $up;
my %f = map { $_ => 1 } split /\n/, $new;
my @missing = grep { !$u{$_} } split /\n/, $new;
my @extra = grep { !$f{$_} } split /\n/, $up;
is(scalar(@missing) + scalar(@extra), 0, 'upgraded catalog = fresh install, fact by fact')
  or diag("only in the fresh install:\n  " . join("\n  ", @missing)
	  . "\nonly after the upgrade:\n  " . join("\n  ", @extra));

done_testing();
