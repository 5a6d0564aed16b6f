# Tampering outside SQL is detected: an edited entry (server run without
# juki), a truncated tail and a rewritten chain with recomputed hashes (from
# the checkpoint files left in juki.checkpoint_directory, and once those are
# gone too, only given checkpoints kept outside), and an exported file with
# a flipped byte (offline, with juki_verify).  Purge refuses young or
# unexported entries.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::SHA qw(sha256);
use JukiNode;

my $verify = juki_verify_bin();

sub setup_node
{
	my ($name) = @_;
	my $node = juki_node($name, signing => 1);
	$node->safe_psql('postgres',
		'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud; CREATE ROLE mgr LOGIN; GRANT juki_access_manager TO mgr;');
	# some history: refusals and reads
	for my $i (1 .. 5)
	{
		$node->psql('postgres', "/* history $i */ UPDATE juki.operation_log SET reason = 'x'");
		as_role($node, 'aud', 'SELECT count(*) FROM juki.operation_log');
	}
	return $node;
}

sub pubkey { my $n = shift; return slurp_file($n->basedir . '/keys/signing.pub'); }

sub verify_with
{
	my ($node, $cps) = @_;
	my $arr = 'ARRAY[' . join(',', map { "\$cp\$$_\$cp\$" } @$cps) . ']::text[]';
	my $key = pubkey($node);
	return as_role($node, 'aud',
		"SELECT ok::text || '|' || coalesce(first_bad_seq::text, '') || '|' || coalesce(problem, '') "
		  . "FROM juki.verify_log($arr, ARRAY[\$k\$$key\$k\$])");
}

# ---- an edited entry --------------------------------------------------
my $a = setup_node('edited');
my $victim = as_role($a, 'aud',
	"SELECT min(seq) FROM juki.operation_log WHERE action = 'direct_access'");
run_sql_without_juki($a,
	"UPDATE juki.operation_log SET outcome = 'granted' WHERE seq = $victim");
my ($ok, $bad, $problem) = split /\|/, as_role($a, 'aud',
	"SELECT ok::text || '|' || first_bad_seq || '|' || problem FROM juki.verify_log()");
is($ok, 'false', 'edited entry: verify_log fails');
is($bad, $victim, 'edited entry: names the first bad seq');
like($problem, qr/does not match its hash/, 'edited entry: says it was edited');
$a->stop;

# ---- a truncated tail, given a later checkpoint kept outside ---------
my $b = setup_node('truncated');
my $cp = as_role($b, 'aud', 'SELECT juki.checkpoint()');
my ($cpseq) = $cp =~ / seq=(\d+) /;
my $cut = $cpseq - 4;
run_sql_without_juki($b,
	"DELETE FROM juki.operation_log WHERE seq > $cut; DELETE FROM juki.audit_checkpoint; DELETE FROM juki.log_tile;");
($ok, $bad, $problem) = split /\|/, as_role($b, 'aud',
	"SELECT ok::text || '|' || first_bad_seq || '|' || problem FROM juki.verify_log()");
is($ok, 'false', 'truncated tail: found while the checkpoint directory still holds the signed checkpoint');
like($problem, qr/truncated|in juki.checkpoint_directory but not in juki.audit_checkpoint/,
	'truncated tail: says why');
# the line and the note files (verify_log reads both)
unlink glob($b->basedir . '/checkpoints/*');
is(as_role($b, 'aud', 'SELECT ok FROM juki.verify_log()'), 't',
	'truncated tail: undetectable from inside the server once the files are gone too');
($ok, $bad, $problem) = split /\|/, verify_with($b, [$cp]);
is($ok, 'false', 'truncated tail: detected with the external checkpoint');
ok($bad > $cut && $bad <= $cpseq, 'truncated tail: the first bad seq is after the cut, not after the checkpoint');
like($problem, qr/differs from the signed checkpoint|truncated/, 'truncated tail: says why');
$b->stop;

# ---- a rewritten chain with recomputed hashes ---------------------------
my $c = setup_node('rewritten');
my $cp1 = as_role($c, 'aud', 'SELECT juki.checkpoint()');
my ($cp1seq) = $cp1 =~ / seq=(\d+) /;
as_role($c, 'aud', 'SELECT count(*) FROM juki.operation_log');
# The attacker exports the log (the format is public), turns a denial into a
# grant, recomputes every hash, drops what came after the export and the
# stored checkpoints, all with juki out of the way; and, knowing that each
# checkpoint entry says a checkpoint signing it was stored with it, makes
# the entries say otherwise (the careless variants: test 015).  The Merkle
# tree's tiles would give the change away (test 018), so the attacker removes
# them too: the writer rebuilds the tree over the rewritten entries at its
# next start (as after an update from 1.0); only evidence off the host is left.
my @lines = split /\n/, as_role($c, 'mgr', 'SELECT * FROM juki.export_log(0)');
my $target = as_role($c, 'aud',
	"SELECT min(seq) FROM juki.operation_log WHERE action = 'direct_access'");
my $prev = "\0" x 32;
my ($last, @updates);
for my $l (@lines)
{
	next unless $l =~ /^([0-9a-f]{64}) (\{.*\})$/;
	my $canon = $2;
	my ($seq) = $canon =~ /"seq":(\d+),/;
	$canon =~ s/"outcome":"denied"/"outcome":"granted"/ if $seq == $target;
	my $flag = $canon =~ s/"signs_this_entry":true/"signs_this_entry":false/;
	my $h = sha256($prev . $canon);
	push @updates,
	  sprintf("UPDATE juki.operation_log SET prev_hash = '\\x%s', hash = '\\x%s'%s%s WHERE seq = %d;",
		unpack('H*', $prev), unpack('H*', $h), $seq == $target ? ", outcome = 'granted'" : '',
		$flag ? ", detail = jsonb_set(detail, '{signs_this_entry}', 'false')" : '', $seq);
	$prev = $h;
	$last = $seq;
}
run_sql_without_juki($c,
	join("\n", @updates,
		"DELETE FROM juki.operation_log WHERE seq > $last;",
		'DELETE FROM juki.audit_checkpoint;', 'DELETE FROM juki.log_tile;'));
is(as_role($c, 'aud', "SELECT outcome FROM juki.operation_log WHERE seq = $target"),
	'granted', 'rewrite: the denial now reads as a grant');
($ok, $bad, $problem) = split /\|/, as_role($c, 'aud',
	"SELECT ok::text || '|' || first_bad_seq || '|' || problem FROM juki.verify_log()");
is("$ok $bad", "false $cp1seq", 'rewrite: found from the file left in the checkpoint directory');
like($problem, qr/the chain was rewritten/, 'rewrite: says the chain was rewritten');
unlink glob($c->basedir . '/checkpoints/*');
is(as_role($c, 'aud', 'SELECT ok FROM juki.verify_log()'), 't',
	'rewrite: a consistent rewrite of table and directory passes without outside checkpoints');
($ok, $bad, $problem) = split /\|/, verify_with($c, [$cp1]);
is($ok, 'false', 'rewrite: detected with an earlier external checkpoint');
is($bad, $cp1seq, 'rewrite: names the checkpoint seq');
like($problem, qr/the chain was rewritten/, 'rewrite: says the chain was rewritten');
$c->stop;

# ---- export and offline verification ------------------------------------
my $d = setup_node('export');
my $exp = $d->basedir . '/export.txt';
my $copyexp = $d->basedir . '/export-copy.txt';
my $pub = $d->basedir . '/keys/signing.pub';
my $text = as_role($d, 'mgr', 'SELECT * FROM juki.export_log(0)');
open my $fh, '>', $exp or die;
print $fh "$text\n";
close $fh;
my ($stdout, $stderr) = run_command([ $verify, '--key', $pub, $exp ]);
like($stdout, qr/^OK: \d+ entries/, 'juki_verify accepts an intact export');
# COPY's text format doubles backslashes; juki_verify recognises it
$text = as_role($d, "mgr",
	"COPY (SELECT * FROM juki.export_log(0)) TO STDOUT");
open $fh, '>', $copyexp or die;
print $fh "$text\n";
close $fh;
($stdout, $stderr) = run_command([ $verify, '--key', $pub, $copyexp ]);
like($stdout, qr/^OK: /, 'juki_verify accepts an export written by COPY/\\copy');
# flip one byte inside an entry
my @el = split /\n/, slurp_file($exp);
my ($n) = grep { $el[$_] =~ /"action":"direct_access"/ } 0 .. $#el;
my ($seq) = $el[$n] =~ /"seq":(\d+),/;
$el[$n] =~ s/"outcome":"denied"/"outcome":"denieD"/;
open $fh, '>', "$exp.bad" or die;
print $fh join("\n", @el), "\n";
close $fh;
system($verify, '--quiet', '--key', $pub, "$exp.bad");
is($? >> 8, 1, 'juki_verify exits 1 on a flipped byte');
($stdout, $stderr) = run_command([ $verify, '--key', $pub, "$exp.bad" ]);
like($stdout, qr/FAIL: .*seq $seq\b/, 'juki_verify names the first bad entry');
# the wrong key
my $other = $d->basedir . '/other.pem';
system("openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout -out $other");
($stdout, $stderr) = run_command([ $verify, '--key', $other, $exp ]);
like($stdout, qr/FAIL: .*unknown key/, 'juki_verify refuses a checkpoint signed by another key');
# the checkpoint files written by the writer verify too
my @files = glob($d->basedir . '/checkpoints/*.checkpoint');
ok(scalar(@files) >= 1, 'the writer wrote checkpoint files');

# ---- retention ------------------------------------------------------------
my ($prc, $pout, $perr) = psql_as($d, "mgr", 'SELECT juki.purge_expired_log()');
is($pout, '0', 'purge removes nothing younger than seven years');
like($perr, qr/reason: retention_period/, 'purge says why');
($prc, $pout, $perr) = $d->psql('postgres', 'DROP EXTENSION juki CASCADE');
like($perr, qr/younger than 7 years/, 'DROP EXTENSION juki is refused while entries are young');
$d->stop;

done_testing();
