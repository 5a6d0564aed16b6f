# A cluster restored from a base backup (issue 18 §3-4).  After the backup
# the town goes on: lookups, a signed checkpoint, an export to media, a
# clean stop (whose shutdown checkpoint is published too).  The restored
# cluster holds the log only as far as the backup: at start the audit writer
# finds the published checkpoints beyond its head and records a `restore`
# entry naming the lost range and the checkpoint that proves it; the
# auditor's report shows it; the export on media still verifies with
# juki_verify against that checkpoint.  The restored log signs nothing at or
# behind the published checkpoint (refused, logged) and signs again once it
# has passed it; and when the original server comes back and signs on its
# own history, the restored one refuses to sign against that (split brain:
# checkpoint_fork, logged).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('town', allows_streaming => 1, signing => 1);
juki_staff($node);
my $dir = $node->basedir;
my $verify = juki_verify_bin();
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 8");

sub lookups
{
	my ($n, $k) = @_;
	my $token = card_login($n, 'op1', 'OP1-CARD');
	as_role($n, 'op1', join('', map {
		"SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', '$codes[$_ % @codes]', '$token');\n"
	} 1 .. $k));
}

# entries until the log's head is past seq (each refusal is one entry)
sub pass_seq
{
	my ($n, $seq) = @_;
	for (1 .. 500)
	{
		my $last = $n->safe_psql('postgres', 'SELECT last_seq FROM juki.status()');
		return if $last > $seq;
		$n->psql('postgres', 'DELETE FROM juki.operation_log WHERE seq = -1');
	}
	die "the log did not pass seq $seq";
}

lookups($node, 3);
$node->backup('bk');
lookups($node, 5);
my $cp = as_role($node, 'auditor', 'SELECT juki.checkpoint()');
my ($cp_seq) = $cp =~ / seq=(\d+) /;
my $export = "$dir/export.txt";
open my $fh, '>', $export or die;
print $fh as_role($node, 'am', 'SELECT * FROM juki.export_log(0)') . "\n";
close $fh;
$node->stop('fast');    # worker_stop, signed by a shutdown checkpoint
my @files = sort glob "$dir/checkpoints/*.checkpoint";
my ($newest) = $files[-1] =~ /-0*(\d+)\.checkpoint$/;
my $newest_line = slurp_file($files[-1]);
chomp $newest_line;
ok($newest > $cp_seq, "the stop published a checkpoint (seq $newest) after the one asked for ($cp_seq)");

# the restore
my $restored = PostgreSQL::Test::Cluster->new('restored');
$restored->init_from_backup($node, 'bk');
$restored->start;
wait_writer($restored);
my $r = as_role($restored, 'auditor', q{
	SELECT reason || '|' || (detail->>'lost_from_seq') || '|' || (detail->>'lost_to_seq') || '|'
		|| (detail->>'last_seq_before') || '|' || (detail->>'checkpoint_seq') || '|'
		|| (detail->>'checkpoint_verified') || '|' || (detail->>'checkpoint')
	  FROM juki.operation_log WHERE action = 'restore'});
my ($reason, $from, $to, $before, $proof_seq, $verified, $proof) = split /\|/, $r;
is($reason, 'lost_range', 'the restored log records a lost range');
ok($before < $cp_seq && $from == $before + 1,
	"from the entry after its head ($from, head $before) ...");
is($to, $newest, '... to the newest published checkpoint');
is($proof_seq, $newest, 'naming that checkpoint');
is($proof, $newest_line, 'with its line, as published');
is($verified, 'true', 'whose signature juki checked');
like(slurp_file($restored->logfile), qr/WARNING:  juki's log ends at seq $before but a checkpoint at seq $newest was published/,
	'and warns in the server log');
is(as_role($restored, 'auditor', q{SELECT event || ':' || reason || ':' || lost_from_seq || '-' || lost_to_seq
	FROM juki.report_continuity() WHERE event = 'restore'}), "restore:lost_range:$from-$to",
	'report_continuity() shows the gap');

# the export on media covers part of the lost range and still verifies
my ($out, $err) = run_command([ $verify, '--key', "$dir/keys/signing.pub", '--checkpoint', $files[-1], $export ]);
like($out, qr/^OK: /, 'the export on media verifies with the published checkpoint') or diag("$out$err");
my ($exported_to) = slurp_file($export) =~ /.*"seq":(\d+),/s;
ok($exported_to >= $from, "the export holds the lost entries from $from (to $exported_to)");
is(as_role($restored, 'auditor', 'SELECT ok FROM juki.verify_log()'), 'f',
	'verify_log() on the restored log is not ok: the published checkpoints are of the lost history');

# no signature at or behind the published checkpoint
my ($rc, undef, $e) = psql_as($restored, 'auditor', 'SELECT juki.checkpoint()');
like($e, qr/reason: no_signed_checkpoint/, 'the restored log signs nothing while behind the published checkpoint');
is(as_role($restored, 'auditor', q{SELECT count(*) FROM juki.operation_log
	WHERE action = 'checkpoint' AND reason = 'behind_published_checkpoint'}), '1', 'the refusal is logged');
is(slurp_file($files[-1]), "$newest_line\n", 'the published checkpoint is untouched');
pass_seq($restored, $newest);
my $line = as_role($restored, 'auditor', 'SELECT juki.checkpoint()');
my ($new_seq) = $line =~ / seq=(\d+) /;
ok($new_seq > $newest, "past it, the restored log signs again (seq $new_seq)");
is(slurp_file($files[-1]), "$newest_line\n", 'and every published checkpoint stays as it was');

# split brain: the original comes back on its own history
$node->start;
wait_writer($node);
is(as_role($node, 'auditor', q{SELECT reason || ':' || (detail->>'checkpoint_seq') FROM juki.operation_log
	WHERE action = 'restore'}), "lost_range:$new_seq",
	'the original sees the other history\'s checkpoint beyond its head, on record');
pass_seq($node, $new_seq);
like(as_role($node, 'auditor', 'SELECT juki.checkpoint()'), qr/^juki-checkpoint\//, 'and signs once past it');
($rc, undef, $e) = psql_as($restored, 'auditor', 'SELECT juki.checkpoint()');
like($e, qr/reason: no_signed_checkpoint/, 'the restored log refuses to sign against the other history');
is(as_role($restored, 'auditor', q{SELECT count(*) FROM juki.operation_log
	WHERE action = 'checkpoint' AND reason = 'checkpoint_fork'}), '1', 'checkpoint_fork, logged');
$restored->stop;
$node->stop;
done_testing();
