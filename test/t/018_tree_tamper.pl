# Tampering with the operation log is found by its Merkle tree (issue 17):
# entries edited, deleted or reordered with the hash chain recomputed (the
# stored tiles disagree), a truncated tail (the tiles cover more entries),
# and a rewrite that recomputes chain *and* tree and removes every stored
# checkpoint, which only a note kept outside reveals: the consistency proof
# from its size no longer gives its root.  Each tamper is done with juki
# out of shared_preload_libraries, as an intruder past SQL would.  Only full
# tiles (256 entries) are stored, so each log is grown past the first full
# tile, and the tampering is done under it.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::SHA qw(sha256);
use MIME::Base64;
use JukiNode;

sub setup_node
{
	my ($name) = @_;
	my $node = juki_node($name, signing => 1);
	$node->safe_psql('postgres',
		'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud; CREATE ROLE mgr LOGIN; GRANT juki_access_manager TO mgr;');
	for my $i (1 .. 5)
	{
		$node->psql('postgres', "/* history $i */ UPDATE juki.operation_log SET reason = 'x'");
		as_role($node, 'aud', 'SELECT count(*) FROM juki.operation_log');
	}
	# past the first full tile: every tree_head() call is an entry
	as_role($node, 'aud', 'SELECT tree_size FROM juki.tree_head();' x 300);
	$node->poll_query_until('postgres', 'SELECT last_seq >= 300 FROM juki.status()')
	  or die 'the log did not grow past 300 entries';
	return $node;
}

sub verify
{
	my ($node) = @_;
	return split /\|/, as_role($node, 'aud',
		"SELECT ok::text || '|' || coalesce(first_bad_seq::text, '') || '|' || coalesce(problem, '') FROM juki.verify_log()");
}

# The export's entries as [seq, canonical] in seq order.
sub entries
{
	my ($node) = @_;
	my @out;
	for my $l (split /\n/, as_role($node, 'mgr', 'SELECT * FROM juki.export_log(0)'))
	{
		next unless $l =~ /^[0-9a-f]{64} (\{.*\})$/;
		my $canon = $1;
		my ($seq) = $canon =~ /"seq":(\d+),/;
		push @out, [ $seq, $canon ];
	}
	return @out;
}

# SQL that rewrites the chain over the given entries (columns set by the
# caller's per-seq SQL fragments), as the attacker of test 012 does.
sub chain_sql
{
	my ($entries, $sets) = @_;
	my $prev = "\0" x 32;
	my @sql;
	for my $e (@$entries)
	{
		my ($seq, $canon) = @$e;
		my $h = sha256($prev . $canon);
		push @sql, sprintf("UPDATE juki.operation_log SET prev_hash = '\\x%s', hash = '\\x%s'%s WHERE seq = %d;",
			unpack('H*', $prev), unpack('H*', $h), $sets->{$seq} // '', $seq);
		$prev = $h;
	}
	return @sql;
}

# SQL that replaces the tiles by those of the given entries (< 65,536 of
# them): the full level-0 tiles (the right edge is not stored).
sub tree_sql
{
	my ($entries) = @_;
	die "test log too long" if @$entries >= 256 * 256;
	my @sql = ('DELETE FROM juki.log_tile;');
	for (my $t = 0; ($t + 1) * 256 <= @$entries; $t++)
	{
		my $hashes = join '', map { sha256("\0" . $_->[1]) } @$entries[ $t * 256 .. $t * 256 + 255 ];
		push @sql, sprintf("INSERT INTO juki.log_tile VALUES (0, %d, 256, '\\x%s');",
			$t, unpack('H*', $hashes));
	}
	return @sql;
}

sub flip_outcome
{
	my ($canon) = @_;
	$canon =~ s/"outcome":"denied"/"outcome":"granted"/;
	return $canon;
}

my ($ok, $bad, $problem);

# ---- edited, chain recomputed: the tiles disagree -------------------------
my $a = setup_node('tree_edit');
my @e = entries($a);
my $target = as_role($a, 'aud', "SELECT min(seq) FROM juki.operation_log WHERE action = 'direct_access'");
$_->[1] = flip_outcome($_->[1]) for grep { $_->[0] == $target } @e;
run_sql_without_juki($a, join("\n", chain_sql(\@e, { $target => ", outcome = 'granted'" }),
	"DELETE FROM juki.operation_log WHERE seq > $e[-1][0];", 'DELETE FROM juki.audit_checkpoint;'));
unlink glob($a->basedir . '/checkpoints/*');
($ok, $bad, $problem) = verify($a);
is($ok, 'false', 'edit with the chain recomputed: verify_log fails');
like($problem, qr/Merkle tree tile 0\/0 differs/, 'edit: the stored tile differs from the entries');
$a->stop;

# ---- deleted and reordered, chain recomputed --------------------------------
my $b = setup_node('tree_reorder');
@e = entries($b);
my ($i, $j) = (3, 4);
# swap the contents of two entries (keeping their seq), recompute the chain
my @swapped = @e;
my ($ci, $cj) = ($e[$i][1], $e[$j][1]);
s/"seq":\d+,/"seq":$e[$j][0],/ for $ci;
s/"seq":\d+,/"seq":$e[$i][0],/ for $cj;
$swapped[$i] = [ $e[$i][0], $cj ];
$swapped[$j] = [ $e[$j][0], $ci ];
my $swap_sql = "CREATE TEMP TABLE s AS SELECT * FROM juki.operation_log WHERE seq IN ($e[$i][0], $e[$j][0]);"
  . "DELETE FROM juki.operation_log WHERE seq IN ($e[$i][0], $e[$j][0]);"
  . "INSERT INTO juki.operation_log SELECT CASE seq WHEN $e[$i][0] THEN $e[$j][0] ELSE $e[$i][0] END, ts, db_role, operator_id, session_id, card_serial, client_addr, backend_pid, action, purpose, permit_id, outcome, reason, subjects, fields, criteria, row_count, detail, prev_hash, hash, login_role, terminal FROM s;";
run_sql_without_juki($b, join("\n", $swap_sql, chain_sql(\@swapped, {}),
	"DELETE FROM juki.operation_log WHERE seq > $e[-1][0];", 'DELETE FROM juki.audit_checkpoint;'));
unlink glob($b->basedir . '/checkpoints/*');
($ok, $bad, $problem) = verify($b);
is($ok, 'false', 'reorder with the chain recomputed: verify_log fails');
like($problem, qr/Merkle tree tile 0\/0 differs/, 'reorder: the stored tile differs');
# delete one entry, renumber the later ones and recompute the chain
my $gone = $e[5][0];
my @kept = map { [ @$_ ] } grep { $_->[0] != $gone } @swapped;	# as the table now is
for my $k (@kept)
{
	next if $k->[0] < $gone;
	$k->[0]--;
	$k->[1] =~ s/"seq":\d+,/"seq":$k->[0],/;
}
run_sql_without_juki($b, join("\n", "DELETE FROM juki.operation_log WHERE seq = $gone OR seq > $e[-1][0];",
	# in two steps: one UPDATE may meet a seq not moved yet (unique key)
	"UPDATE juki.operation_log SET seq = seq + 1000000 WHERE seq > $gone;",
	"UPDATE juki.operation_log SET seq = seq - 1000001 WHERE seq > 1000000;", chain_sql(\@kept, {}),
	'DELETE FROM juki.audit_checkpoint;'));
unlink glob($b->basedir . '/checkpoints/*');
($ok, $bad, $problem) = verify($b);
is($ok, 'false', 'delete with renumbering and the chain recomputed: verify_log fails');
like($problem, qr/Merkle tree tile 0\/0 differs|truncated/, 'delete: the tiles disagree');
$b->stop;

# ---- truncated tail: the tiles cover more entries ---------------------------
# (cut inside the last full tile: one inside the right edge shows only
# against a signed note, since that edge is not stored)
my $c = setup_node('tree_truncate');
my $size = as_role($c, 'aud', 'SELECT tree_size FROM juki.tree_head()');
my $cut = $size - $size % 256 - 5;
run_sql_without_juki($c, "DELETE FROM juki.operation_log WHERE seq > $cut; DELETE FROM juki.audit_checkpoint;");
unlink glob($c->basedir . '/checkpoints/*');
($ok, $bad, $problem) = verify($c);
is($ok, 'false', 'truncated tail, checkpoints and files removed: verify_log still fails');
# the entries the writer files after its restart take the removed ones' places
like($problem, qr/Merkle tree covers \d+ entries: entries were removed \(truncated\)|tile 0\/0 differs/,
	'truncated: the tiles cover more than the log, or other entries');
is($bad, $cut + 1, 'truncated: the first bad seq is the first one removed');
$c->stop;

# ---- chain and tree recomputed, every stored checkpoint gone ---------------
my $d = setup_node('tree_rewrite');
as_role($d, 'aud', 'SELECT juki.checkpoint()');
my $note_size = as_role($d, 'aud', 'SELECT checkpoint_size FROM juki.tree_head()');
my $note = as_role($d, 'aud', 'SELECT checkpoint FROM juki.tree_head()');	# ends in its newline
ok($note_size > 10 && $note =~ /^juki\/[0-9a-f]{16}\n$note_size\n/, 'a signed note of the tree head, kept outside');
my ($note_root) = $note =~ /^[^\n]+\n\d+\n([^\n]+)\n/;
is(length($note_root // ''), 44, 'the note\'s root, base64');

# offline: juki_verify checks the export against the note and a tlog-proof file
my $verify = juki_verify_bin();
my $dir = $d->basedir;
sub put { my ($f, $t) = @_; open my $fh, '>', $f or die; print $fh $t; close $fh; }
put("$dir/note", $note);
put("$dir/export.txt", as_role($d, 'mgr', 'SELECT * FROM juki.export_log(0)') . "\n");
my $p = as_role($d, 'aud', "SELECT proof::text FROM juki.inclusion_proof(3, $note_size)");
put("$dir/proof", "c2sp.org/tlog-proof\@v1\nindex 3\n"
	  . join('', map { encode_base64(pack('H*', $_), '') . "\n" } $p =~ /\\\\x([0-9a-f]{64})/g)
	  . "\n$note");
my ($out, $err) = run_command([ $verify, '--key', "$dir/keys/signing.pub", '--note', "$dir/note",
	'--proof', "$dir/proof", "$dir/export.txt" ]);
like($out, qr/^OK: .*Merkle notes and proofs verified/, 'juki_verify: the export gives the note\'s root; the proof verifies') or diag $err;
(my $badproof = slurp_file("$dir/proof")) =~ s/index 3\n/index 4\n/;
put("$dir/proof.bad", $badproof);
($out, $err) = run_command([ $verify, '--key', "$dir/keys/signing.pub", '--proof', "$dir/proof.bad", "$dir/export.txt" ]);
like($out, qr/^FAIL: .*inclusion proof of entry 4 does not verify/, 'juki_verify: a proof for another entry fails');
@e = entries($d);
$target = as_role($d, 'aud', "SELECT min(seq) FROM juki.operation_log WHERE action = 'direct_access'");
$_->[1] = flip_outcome($_->[1]) for grep { $_->[0] == $target } @e;
$_->[1] =~ s/"signs_this_entry":true/"signs_this_entry":false/ for @e;
my %sets = map { $_->[0] => ($_->[0] == $target ? ", outcome = 'granted'" : '')
	  . ", detail = CASE WHEN detail ? 'signs_this_entry' THEN jsonb_set(detail, '{signs_this_entry}', 'false') ELSE detail END" } @e;
run_sql_without_juki($d, join("\n", chain_sql(\@e, \%sets), tree_sql(\@e),
	"DELETE FROM juki.operation_log WHERE seq > $e[-1][0];", 'DELETE FROM juki.audit_checkpoint;'));
unlink glob($d->basedir . '/checkpoints/*');
is(as_role($d, 'aud', "SELECT outcome FROM juki.operation_log WHERE seq = $target"), 'granted',
	'rewrite: the denial now reads as a grant');
($ok, $bad, $problem) = verify($d);
is($ok, 'true', 'rewrite of chain and tree with every stored checkpoint removed passes inside the server');
my $old_root = as_role($d, 'aud', "SELECT encode(old_root, 'base64') FROM juki.consistency_proof($note_size)");
isnt($old_root, $note_root, 'rewrite: the tree at the outside note\'s size has another root');
is(as_role($d, 'aud',
	"SELECT encode(old_root, 'base64') FROM juki.consistency_proof($note_size, $note_size)"), $old_root,
	'rewrite: and every proof from that size is against the new root, so no proof can match the note');
put("$dir/export2.txt", as_role($d, 'mgr', 'SELECT * FROM juki.export_log(0)') . "\n");
($out, $err) = run_command([ $verify, '--key', "$dir/keys/signing.pub", "$dir/export2.txt" ]);
($out, $err) = run_command([ $verify, '--key', "$dir/keys/signing.pub", '--note', "$dir/note", "$dir/export2.txt" ]);
like($out, qr/^FAIL: .*another tree root than the signed note/, 'juki_verify: the rewritten export does not give the kept note\'s root');
$d->stop;

done_testing();
