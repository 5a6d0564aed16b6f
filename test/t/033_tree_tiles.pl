# The Merkle tree stores full tiles only (issue 17): after batches of
# fewer than 256 entries juki.log_tile holds no partial tile, and the tree
# head, inclusion and consistency proofs still verify at sizes that are
# not multiples of 256 (the right edge computed from the log) — right after
# a restart of the writer too, whose signed note names the same root.  A
# partial row left by an earlier 1.1 is ignored by readers and deleted by
# the writer.  Checked against an RFC 9162 verifier written here, over the
# leaves recomputed from the export.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::SHA qw(sha256);
use MIME::Base64;
use JukiNode;

my $node = juki_node('tiles', signing => 1);
$node->safe_psql('postgres',
	'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud; CREATE ROLE mgr LOGIN; GRANT juki_access_manager TO mgr;');

sub node_hash { return sha256("\x01" . $_[0] . $_[1]); }

# MTH (RFC 6962 2.1) over $l->[lo .. hi - 1]
sub mth
{
	my ($l, $lo, $hi) = @_;
	return sha256('') if $hi == $lo;
	return $l->[$lo] if $hi - $lo == 1;
	my $k = 1;
	$k *= 2 while $k * 2 < $hi - $lo;
	return node_hash(mth($l, $lo, $lo + $k), mth($l, $lo + $k, $hi));
}

# RFC 9162 2.1.3.2
sub verify_inclusion
{
	my ($idx, $size, $leaf, $proof, $root) = @_;
	return 0 if $idx >= $size;
	my ($fn, $sn, $r) = ($idx, $size - 1, $leaf);
	for my $p (@$proof)
	{
		return 0 if $sn == 0;
		if (($fn & 1) || $fn == $sn)
		{
			$r = node_hash($p, $r);
			if (!($fn & 1)) { while (!($fn & 1) && $fn != 0) { $fn >>= 1; $sn >>= 1; } }
		}
		else { $r = node_hash($r, $p); }
		$fn >>= 1;
		$sn >>= 1;
	}
	return $sn == 0 && $r eq $root;
}

# RFC 9162 2.1.4.2
sub verify_consistency
{
	my ($m, $n, $old, $new, $proof) = @_;
	my @path = @$proof;
	return (@path == 0 && $old eq $new) if $m == $n;
	return 0 if $m == 0 || @path == 0;
	unshift @path, $old if ($m & ($m - 1)) == 0;
	my ($fn, $sn) = ($m - 1, $n - 1);
	while ($fn & 1) { $fn >>= 1; $sn >>= 1; }
	my ($fr, $sr) = ($path[0], $path[0]);
	for my $c (@path[ 1 .. $#path ])
	{
		return 0 if $sn == 0;
		if (($fn & 1) || $fn == $sn)
		{
			$fr = node_hash($c, $fr);
			$sr = node_hash($c, $sr);
			if (!($fn & 1)) { while (!($fn & 1) && $fn != 0) { $fn >>= 1; $sn >>= 1; } }
		}
		else { $sr = node_hash($sr, $c); }
		$fn >>= 1;
		$sn >>= 1;
	}
	return $fr eq $old && $sr eq $new && $sn == 0;
}

sub unhex { return pack('H*', $_[0]); }
sub hashes_of { return map { unhex($_) } $_[0] =~ /\\\\x([0-9a-f]{64})/g; }

# The leaf hashes of the export from seq 0 (the export is an entry itself).
sub leaves
{
	my @l;
	for my $line (split /\n/, as_role($node, 'mgr', 'SELECT * FROM juki.export_log(0)'))
	{
		next unless $line =~ /^[0-9a-f]{64} (\{.*\})$/;
		push @l, sha256("\0" . $1);
	}
	return \@l;
}

# entries filed (juki.status() is open to everyone)
sub log_size { return $node->safe_psql('postgres', 'SELECT last_seq + 1 FROM juki.status()'); }

# k more entries (each tree_head() call is one), in a few writer batches
sub grow
{
	my ($k) = @_;
	my $want = log_size() + $k;
	as_role($node, 'aud', 'SELECT tree_size FROM juki.tree_head();' x $k);
	$node->poll_query_until('postgres', "SELECT last_seq + 1 >= $want FROM juki.status()")
	  or die "the log did not reach $want entries";
}

sub tiles
{
	return as_role($node, 'aud',
		'SELECT count(*) FILTER (WHERE width < 256), count(*) FILTER (WHERE width = 256 AND level = 0) FROM juki.log_tile');
}

# Every proof at the sizes given, against the recomputed leaves.
sub check_proofs
{
	my ($l, $what, @sizes) = @_;
	my ($bad_incl, $bad_cons, $checked) = (0, 0, 0);
	for my $n (grep { $_ >= 1 && $_ <= scalar(@$l) } @sizes)
	{
		my $root = mth($l, 0, $n);
		for my $seq (grep { $_ < $n } (0, 1, 200, 255, 256, 300, $n - 2, $n - 1))
		{
			my ($leaf, $r, $p) = split /\|/, as_role($node, 'aud',
				"SELECT leaf_hash, root_hash, proof FROM juki.inclusion_proof($seq, $n)");
			my @proof = hashes_of($p);
			$checked++;
			$bad_incl++
			  unless unhex(substr($leaf, 2)) eq $l->[$seq] && unhex(substr($r, 2)) eq $root
			  && verify_inclusion($seq, $n, $l->[$seq], \@proof, $root);
		}
		for my $m (grep { $_ <= $n } (1, 100, 255, 256, 257, 511, 512, $n - 1))
		{
			my ($o, $r, $p) = split /\|/, as_role($node, 'aud',
				"SELECT old_root, new_root, proof FROM juki.consistency_proof($m, $n)");
			my @proof = hashes_of($p);
			my $old = mth($l, 0, $m);
			$checked++;
			$bad_cons++
			  unless unhex(substr($o, 2)) eq $old && unhex(substr($r, 2)) eq $root
			  && verify_consistency($m, $n, $old, $root, \@proof);
		}
	}
	ok($checked > 20 && $bad_incl == 0, "$what: inclusion proofs verify") or diag "$bad_incl bad";
	ok($bad_cons == 0, "$what: consistency proofs verify") or diag "$bad_cons bad";
}

# ---- batches of fewer than 256 entries: no partial tile is stored ---------
my $partial = 0;
for my $round (1 .. 8)
{
	grow(70 + $round);
	my ($p) = split /\|/, tiles();
	$partial += $p;
}
my $size = log_size();
is($partial, 0, 'after batches of fewer than 256 entries, juki.log_tile holds no partial tile');
my (undef, $full) = split /\|/, tiles();
cmp_ok($full, '>=', 2, 'and the full level-0 tiles are stored');
is($full, int($size / 256), 'one full tile per 256 entries, no more');

# ---- proofs at sizes that are not multiples of 256 --------------------------
grow(1) while log_size() % 256 == 0 || log_size() % 256 == 255;
my $l = leaves();
my $n = scalar(@$l);
cmp_ok($n % 256, '!=', 0, 'the tree size is not a multiple of 256');
my ($hsize, $hroot) = split /\|/, as_role($node, 'aud', 'SELECT tree_size, root_hash FROM juki.tree_head()');
cmp_ok($hsize, '>=', $n, 'tree_head covers the export');
check_proofs($l, 'before a restart', $n, $n - 1, 513, 300, 257, 256, 255, 17);

# ---- right after a restart of the writer ------------------------------------
restart_juki($node);
($hsize, $hroot) = split /\|/, as_role($node, 'aud', 'SELECT tree_size, root_hash FROM juki.tree_head()');
$l = leaves();
$n = scalar(@$l);
cmp_ok($hsize % 256, '!=', 0, 'after a restart: the tree size is inside a tile');
is(unhex(substr($hroot, 2)), mth($l, 0, $hsize), 'after a restart: tree_head\'s root is the entries\' root');
check_proofs($l, 'after a restart', $n, $n - 3, 258);
# the writer's note, signed from its memory of the tree rebuilt at start
as_role($node, 'aud', 'SELECT juki.checkpoint()');
my ($csize, $note) = split /\|/, as_role($node, 'aud', 'SELECT checkpoint_size, checkpoint FROM juki.tree_head()');
$l = leaves();
my ($note_root) = $note =~ /^[^\n]+\n\d+\n([^\n]+)\n/;
cmp_ok($csize % 256, '!=', 0, 'the checkpoint note after the restart is at a size inside a tile');
is(decode_base64($note_root // ''), mth($l, 0, $csize),
	'the writer\'s note after a restart names the root of the entries');
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', 'verify_log passes');

# ---- a partial row from an earlier 1.1: ignored, then deleted ---------------
$n = log_size();
$node->stop('fast');
set_preload($node, 0);
$node->start;
my $edge = int($n / 256);
$node->safe_psql('postgres',
	sprintf("INSERT INTO juki.log_tile VALUES (0, %d, 3, '\\x%s')", $edge, 'ab' x 96));
$node->stop('fast');
set_preload($node, 1);
start_juki($node);
grow(5);
is((split /\|/, tiles())[0], 0, 'the partial row an earlier version left is deleted by the writer');
$l = leaves();
$n = scalar(@$l);
check_proofs($l, 'after the leftover', $n, 256 * $edge + 3);
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', 'verify_log passes after the leftover');

$node->stop;
done_testing();
