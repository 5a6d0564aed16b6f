# Hiding a run without juki (issue 13, class 8).  After a clean stop the
# log ends with worker_stop, which records where the WAL stood and that a
# shutdown checkpoint signs it; the next start with juki counts the
# server's shutdowns since that WAL position and logs an enforcement_gap if
# the server ran without juki meanwhile.  An attacker who runs the server
# without juki and, before stopping it, rehashes worker_stop with a later WAL
# position removes that evidence.  What verify_log still finds, and from
# what:
#   - the stored checkpoint (table row) still signs the old entry;
#   - the file in juki.checkpoint_directory, once the row is deleted;
#   - the log's own word (worker_stop says a checkpoint signs it) once the
#     file is deleted too: the newest stored checkpoint is older than the
#     writer's last signing;
#   - nothing from inside the server once worker_stop is made to say
#     otherwise: only a checkpoint copied off the host before the run does.
# Also: a removed checkpoint row whose file remains, a removed periodic
# checkpoint (row and file) whose entry remains, and the counts
# (checkpoints_logged, checkpoints_stored, checkpoint_files).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::SHA qw(sha256);
use JSON::PP;
use File::Copy;
use JukiNode;

# a town with some history and two signed checkpoints, stopped cleanly
sub town
{
	my ($name) = @_;
	my $node = juki_node($name, signing => 1);
	$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
	for my $i (1 .. 3)
	{
		$node->psql('postgres', "/* history $i */ DELETE FROM juki.operation_log");
		as_role($node, 'aud', 'SELECT juki.checkpoint()');
	}
	$node->stop('fast');
	return $node;
}

sub verify
{
	my ($node, $args) = @_;
	$args //= '';
	return as_role($node, 'aud',
		"SELECT ok::text || '|' || coalesce(first_bad_seq::text, '') || '|' || coalesce(problem, '') || '|' || "
		  . "checkpoints_logged || '|' || checkpoints_stored || '|' || coalesce(checkpoint_files::text, '') || '|' || "
		  . "coalesce(last_checkpoint_seq::text, '') FROM juki.verify_log($args)");
}

sub gaps
{
	my ($node) = @_;
	return as_role($node, 'aud', "SELECT count(*) FROM juki.operation_log WHERE action = 'enforcement_gap'");
}

# a checkpoint's files: its line and its note (both are read by verify_log)
sub files_at
{
	my ($node, $seq) = @_;
	return glob($node->basedir . sprintf('/checkpoints/juki-*-%020d.{checkpoint,note}', $seq));
}

# canonical form (README "Operation log format") of an entry as the table
# holds it, with changes: what an attacker computes, the format being public
sub canonical
{
	my ($node, $seq, $change) = @_;
	my $json = $node->safe_psql('postgres', qq{
		SELECT (to_jsonb(l) - 'prev_hash' - 'hash' - 'ts')
			   || jsonb_build_object('ts', to_char(l.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
		  FROM juki.operation_log l WHERE seq = $seq});
	my $e = JSON::PP->new->utf8->decode($json);
	# a field added after format 1.0 is in the canonical form only with a value
	for my $later (qw(login_role terminal))
	{
		delete $e->{$later} unless defined $e->{$later};
	}
	$change->($e) if $change;
	return JSON::PP->new->utf8->canonical->encode($e);
}

sub hex_of { my ($node, $col, $seq) = @_;
	return $node->safe_psql('postgres', "SELECT encode($col, 'hex') FROM juki.operation_log WHERE seq = $seq"); }

# The run without juki.  tamper: rehash worker_stop with the WAL position
# of now (and what else the variant says) before stopping.
sub run_without_juki
{
	my ($node, %v) = @_;
	set_preload($node, 0);
	$node->start;
	# what nobody should do unseen
	$node->safe_psql('postgres', 'SELECT count(*) FROM juki.resident');
	my $s = $node->safe_psql('postgres', 'SELECT max(seq) FROM juki.operation_log');
	my $prev = pack('H*', hex_of($node, 'prev_hash', $s));
	is(unpack('H*', sha256($prev . canonical($node, $s))), hex_of($node, 'hash', $s),
		"$v{name}: the attacker recomputes the entry's hash from the public format");
	my $lsn = $node->safe_psql('postgres', 'SELECT pg_current_wal_insert_lsn()');
	my $canon = canonical($node, $s, sub {
		my $e = shift;
		$e->{detail}{wal_lsn} = $lsn;
		$e->{detail}{shutdown_checkpoint} = JSON::PP::false if $v{unflag};
	});
	my $detail = JSON::PP->new->canonical->encode(JSON::PP->new->utf8->decode($canon)->{detail});
	$node->safe_psql('postgres', sprintf(
		"UPDATE juki.operation_log SET detail = \$d\$%s\$d\$::jsonb, hash = '\\x%s' WHERE seq = %d",
		$detail, unpack('H*', sha256($prev . $canon)), $s));
	$node->safe_psql('postgres', "DELETE FROM juki.audit_checkpoint WHERE seq = $s") if $v{row};
	unlink files_at($node, $s) if $v{file};
	# whoever removes the files also removes the Merkle tree's tiles, which would
	# give the rehash away (test 018); the writer rebuilds them over the
	# rewritten entries at its next start
	$node->safe_psql('postgres', 'DELETE FROM juki.log_tile') if $v{file};
	$node->stop('fast');
	set_preload($node, 1);
	start_juki($node);
	return $s;
}

# ---- the healthy log: every signing the log records is stored --------------
my $n = town('healthy');
start_juki($n);
my $stop = as_role($n, 'aud', "SELECT max(seq) FROM juki.operation_log WHERE action = 'worker_stop'");
my ($ok, $bad, $problem, $logged, $stored, $files, $last) = split /\|/, verify($n), -1;
is($ok, 'true', 'healthy: verify_log is ok');
is("$logged $stored $files", '4 4 4',
	'healthy: three checkpoints and the shutdown one are in the log, the table and the directory');
is($last, $stop, 'healthy: the newest stored checkpoint signs the last worker_stop');

# a stored checkpoint row removed, its file still there
my $second = as_role($n, 'aud', "SELECT seq FROM juki.audit_checkpoint ORDER BY seq OFFSET 1 LIMIT 1");
$n->stop('fast');
set_preload($n, 0);
$n->start;
$n->safe_psql('postgres', "DELETE FROM juki.audit_checkpoint WHERE seq = $second");
$n->stop('fast');
set_preload($n, 1);
start_juki($n);
($ok, $bad, $problem, $logged, $stored, $files) = split /\|/, verify($n), -1;
is("$ok $bad", "false $second", 'row removed: verify_log names its seq');
like($problem, qr/is in juki.checkpoint_directory but not in juki.audit_checkpoint/,
	'row removed: found from the checkpoint directory');
cmp_ok($stored, '<', $files, 'row removed: fewer stored checkpoints than files');

# ... and its file too: the log's checkpoint entry still says it was stored
unlink files_at($n, $second);
($ok, $bad, $problem, $logged, $stored) = split /\|/, verify($n), -1;
is("$ok $bad", "false $second", 'row and file removed: verify_log names its seq');
like($problem, qr/the log records a checkpoint signed at seq $second, but neither juki.audit_checkpoint nor the checkpoint directory holds it/,
	'row and file removed: found from the log itself');
cmp_ok($stored, '<', $logged, 'row and file removed: fewer stored checkpoints than the log records');
$n->stop;

# ---- hiding a run without juki ------------------------------------------------
my $a = town('rehash');
my $s = run_without_juki($a, name => 'rehash');
is(gaps($a), '0', 'rehash: the enforcement gap is gone from the log');
($ok, $bad, $problem) = split /\|/, verify($a), -1;
is("$ok $bad", "false $s", 'rehash: verify_log names worker_stop');
like($problem, qr/differs from the signed checkpoint/, 'rehash: the stored checkpoint still signs the old entry');
$a->stop;

my $b = town('rehash_row');
$s = run_without_juki($b, name => 'rehash+row', row => 1);
is(gaps($b), '0', 'rehash+row: no enforcement gap');
($ok, $bad, $problem) = split /\|/, verify($b), -1;
is("$ok $bad", "false $s", 'rehash+row: verify_log names worker_stop');
like($problem, qr/differs from the signed checkpoint/, 'rehash+row: the file in the checkpoint directory gives it away');
$b->stop;

my $c = town('rehash_file');
$s = run_without_juki($c, name => 'rehash+row+file', row => 1, file => 1);
is(gaps($c), '0', 'rehash+row+file: no enforcement gap');
($ok, $bad, $problem, $logged, $stored) = split /\|/, verify($c), -1;
is("$ok $bad", "false $s", 'rehash+row+file: verify_log names worker_stop');
like($problem, qr/the newest stored checkpoint \(seq \d+\) is older than the writer's last signing recorded in the log \(seq $s\)/,
	'rehash+row+file: worker_stop itself says a checkpoint signs it');
is($logged - $stored, 1, 'rehash+row+file: one stored checkpoint fewer than the log records');
$c->stop;

my $d = town('rehash_all');
my $offhost = $d->basedir . '/offhost';
mkdir $offhost;
# the auditor's copy of the checkpoint files, kept where the server cannot write
copy($_, $offhost) for glob($d->basedir . '/checkpoints/*.checkpoint');
$s = run_without_juki($d, name => 'rehash+row+file+flag', row => 1, file => 1, unflag => 1);
is(gaps($d), '0', 'everything rewritten: no enforcement gap');
($ok) = split /\|/, verify($d), -1;
is($ok, 'true', 'everything rewritten: nothing inside the server shows it');
my @kept = map { my $l = slurp_file($_); chomp $l; "\$c\$$l\$c\$" } glob("$offhost/*.checkpoint");
my $key = slurp_file($d->basedir . '/keys/signing.pub');
($ok, $bad, $problem) = split /\|/,
  verify($d, 'ARRAY[' . join(',', @kept) . "]::text[], ARRAY[\$k\$$key\$k\$]"), -1;
is("$ok $bad", "false $s", 'everything rewritten: a checkpoint kept off the host names worker_stop');
like($problem, qr/differs from the signed checkpoint \(the chain was rewritten\)/,
	'everything rewritten: and says the chain was rewritten');
$d->stop;
done_testing();
