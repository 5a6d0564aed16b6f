# Retention: entries older than juki.log_retention and covered by an export
# receipt are purged, leaving an anchor from which verification continues;
# unexported old entries and young entries are kept.  juki has no knob that
# moves its clock: this test moves the operating system's clock for the
# server with libfaketime, and juki records the jump (days_since_last_entry).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);
use Digest::SHA qw(sha256);
use MIME::Base64;
use JukiNode;

my ($faketime) = grep { -e $_ } glob('/usr/lib/*/faketime/libfaketimeMT.so.1');
plan skip_all => 'libfaketime is not installed' unless $faketime;

my $node = juki_node('retention', signing => 1);
$node->safe_psql('postgres',
	'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud; CREATE ROLE mgr LOGIN; GRANT juki_access_manager TO mgr;');
for my $i (1 .. 5)
{
	$node->psql('postgres', "/* old $i */ DELETE FROM juki.operation_log");
}
my $old_head = as_role($node, 'aud', 'SELECT max(seq) FROM juki.operation_log');
# a checkpoint note published before the purge (issue 17)
as_role($node, 'aud', 'SELECT juki.checkpoint()');
my ($note_size, $note) = split /\|/, as_role($node, 'aud',
	"SELECT checkpoint_size || '|' || checkpoint FROM juki.tree_head()"), 2;
my ($note_root) = $note =~ /^[^\n]+\n\d+\n([^\n]+)\n/;
$node->stop('fast');

# eight years later (libfaketime moves the clock of the client backends;
# PostgreSQL 15 forks some auxiliary processes where it does not apply)
{
	local $ENV{LD_PRELOAD} = $faketime;
	local $ENV{FAKETIME} = '+8y';
	start_juki($node);
}
# the first record stamped by the moved clock.  The entry is written with
# that record; if the refusal's wait timed out (a loaded machine), it is
# written later, and a statement sees only what was committed when it
# began: look with new statements until it is there (bounded).
$node->psql('postgres', '/* new */ DELETE FROM juki.operation_log');
my $jump = '';
for (1 .. 600)
{
	$jump = as_role($node, 'aud',
		"SELECT detail->>'direction' || ' ' || (detail->>'days') FROM juki.operation_log WHERE action = 'clock_jump' ORDER BY seq DESC LIMIT 1");
	last if $jump ne '';
	sleep 0.1;
}
like($jump, qr/^forward 29\d\d$/, 'the clock jump is on record');
my $young = as_role($node, 'aud',
	"SELECT min(seq) FROM juki.operation_log WHERE ts >= now() - interval '7 years'");
# The entries after the last full Merkle tile (the tree's right edge) are
# kept by the purge, whatever their age: young entries fill that tile here
# (each tree_head() call is one), so the purge reaches the retention.
as_role($node, 'aud', 'SELECT tree_size FROM juki.tree_head();' x 300);
$node->poll_query_until('postgres', "SELECT last_seq >= $young + 300 FROM juki.status()")
  or die 'the log did not grow';

# old but not exported: kept
my ($rc, $out, $err) = psql_as($node, "mgr", 'SELECT juki.purge_expired_log()');
is($out, '0', 'old but unexported entries are not purged');
like($err, qr/reason: not_exported/, 'and the NOTICE says why');
like($err, qr/HINT:  Export them first/, 'and how to go on');

# exported: purged up to the last old entry, not beyond
as_role($node, 'mgr', "SELECT count(*) FROM juki.export_log(0)");
my $purged = as_role($node, 'mgr', 'SELECT juki.purge_expired_log()');
cmp_ok($purged, '>', 0, 'old exported entries are purged');
my $first = as_role($node, 'aud', 'SELECT min(seq) FROM juki.operation_log');
is($first, $young, 'only entries older than the retention were purged');
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't',
	'verification continues from the purge anchor');

# The purge keeps the Merkle tree (its tiles): a kept entry's inclusion
# proof and the consistency proof from the note published before the purge
# still verify (RFC 9162 2.1.3.2 and 2.1.4.2, in Perl, against the tree
# head and the note).
sub node_hash { return sha256("\x01" . $_[0] . $_[1]); }
sub unhex_array { my ($t) = @_; return map { pack('H*', $_) } $t =~ /\\\\x([0-9a-f]{64})/g; }
sub verify_inclusion
{
	my ($fn, $sn, $r, $root, @path) = @_;
	$sn--;
	for my $p (@path)
	{
		return 0 if $sn == 0;
		if (($fn & 1) || $fn == $sn)
		{
			$r = node_hash($p, $r);
			unless ($fn & 1) { while (!($fn & 1) && $fn != 0) { $fn >>= 1; $sn >>= 1; } }
		}
		else { $r = node_hash($r, $p); }
		$fn >>= 1; $sn >>= 1;
	}
	return $sn == 0 && $r eq $root;
}
sub verify_consistency
{
	my ($m, $n, $old, $new, @path) = @_;
	return 0 unless @path;
	unshift @path, $old if ($m & ($m - 1)) == 0;
	my ($fn, $sn) = ($m - 1, $n - 1);
	while ($fn & 1) { $fn >>= 1; $sn >>= 1; }
	my ($fr, $sr) = ($path[0], $path[0]);
	for my $c (@path[1 .. $#path])
	{
		return 0 if $sn == 0;
		if (($fn & 1) || $fn == $sn)
		{
			$fr = node_hash($c, $fr); $sr = node_hash($c, $sr);
			unless ($fn & 1) { while (!($fn & 1) && $fn != 0) { $fn >>= 1; $sn >>= 1; } }
		}
		else { $sr = node_hash($sr, $c); }
		$fn >>= 1; $sn >>= 1;
	}
	return $fr eq $old && $sr eq $new && $sn == 0;
}
cmp_ok($note_size - 1, '<', $first, 'the published note covers only purged entries');
my ($size_now, $old_root, $new_root, $cproof) = split /\|/, as_role($node, 'aud',
	"SELECT to_size || '|' || encode(old_root, 'hex') || '|' || encode(new_root, 'hex') || '|' || proof::text FROM juki.consistency_proof($note_size)");
is(encode_base64(pack('H*', $old_root), ''), $note_root, 'after the purge the tree at the note\'s size has the note\'s root');
ok(verify_consistency($note_size, $size_now, pack('H*', $old_root), pack('H*', $new_root), unhex_array($cproof)),
	'the consistency proof from the note published before the purge verifies');
my ($leaf, $root, $iproof) = split /\|/, as_role($node, 'aud',
	"SELECT encode(leaf_hash, 'hex') || '|' || encode(root_hash, 'hex') || '|' || proof::text FROM juki.inclusion_proof($first, $size_now)");
my ($canon) = as_role($node, 'mgr', "SELECT * FROM juki.export_log($first, $first)") =~ /^[0-9a-f]{64} (\{.*\})$/m;
is($leaf, unpack('H*', sha256("\0" . $canon)), 'the first kept entry\'s leaf is SHA-256(0x00 || its canonical bytes)');
ok(verify_inclusion($first, $size_now, pack('H*', $leaf), pack('H*', $root), unhex_array($iproof)),
	'the first kept entry\'s inclusion proof verifies after the purge');
is(as_role($node, 'aud',
		"SELECT detail->>'through_seq' || '/' || outcome FROM juki.operation_log WHERE action = 'purge_expired_log' ORDER BY seq DESC LIMIT 1"),
	($young - 1) . '/granted', 'the purge itself is on record');
($rc, $out, $err) = psql_as($node, "mgr", 'SELECT count(*) FROM juki.export_log(0)');
like($err, qr/were purged/, 'purged entries cannot be exported again');
# the setting cannot shorten retention
($rc, $out, $err) = $node->psql('postgres', 'ALTER SYSTEM SET juki.log_retention = 5');
like($err, qr/juki refuses ALTER SYSTEM on setting juki.log_retention/,
	'ALTER SYSTEM cannot touch juki.log_retention');
$node->append_conf('postgresql.conf', "juki.log_retention = 5\n");
$node->reload;
my $refused = 0;
for (1 .. 100)
{
	$refused = 1, last
	  if slurp_file($node->logfile) =~ /5 is outside the valid range for parameter "juki.log_retention"/;
	sleep 0.1;
}
ok($refused, 'juki.log_retention below 7 in postgresql.conf is refused at reload');
$node->stop('fast');
done_testing();
