# Two clusters, a log and its witness (issue 17 §4): the log's checkpoint
# notes are cosigned by the witness over SQL (psql to each, as an operator's
# job would), following C2SP tlog-witness; the witness refuses an unknown
# origin, a bad signature, an old size that is not its own, a bad proof and
# a fork of the log (same key and origin, other entries), each with its
# reason and on record; both survive a restart; the log keeps the
# cosignatures, reports them and verify_log checks them.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use File::Copy;
use JukiNode;

my $origin = 'town.lg.jp/juki-oplog';
my $log = juki_node('log', signing => 1, conf => "juki.log_origin = '$origin'\n");
my $wit = juki_node('witness', signing => 1, conf => "juki.log_origin = 'pref.lg.jp/juki-oplog'\n");
for my $n ($log, $wit)
{
	$n->safe_psql('postgres',
		'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud; CREATE ROLE chief LOGIN; GRANT juki_chief_security_officer TO chief;');
}

# the witness learns the log's key; the log learns the witness's
my $log_key = as_role($log, 'aud', 'SELECT juki.log_key()');
like($log_key, qr/^\Q$origin\E\+[0-9a-f]{8}\+[A-Za-z0-9+\/]+=*$/, 'the log\'s verifier key');
my $wit_key = as_role($wit, 'aud', 'SELECT juki.witness_key()');
like($wit_key, qr/^pref\.lg\.jp\/juki-oplog\+[0-9a-f]{8}\+/, 'the witness\'s cosignature key');
as_role($wit, 'chief', "SELECT juki.add_witnessed_log('$origin', '$log_key')");
$log->append_conf('postgresql.conf', "juki.witness_keys = '$wit_key'\n");
$log->reload;

# The log's side of add-checkpoint: sign, prove from old, ask, keep.
sub request
{
	my ($node, $old) = @_;
	as_role($node, 'aud', 'SELECT juki.checkpoint()');
	my $size = as_role($node, 'aud', 'SELECT checkpoint_size FROM juki.tree_head()');
	my $note = as_role($node, 'aud', 'SELECT checkpoint FROM juki.tree_head()');	# ends in its newline
	my $proof = as_role($node, 'aud', "SELECT proof::text FROM juki.consistency_proof($old, $size)");
	return ($size, $note, $proof);
}

sub ask
{
	my ($old, $proof, $note) = @_;
	return psql_as($wit, 'aud',
		"SELECT juki.witness_add_checkpoint($old, \$p\$$proof\$p\$::bytea[], \$n\$$note\$n\$)");
}

sub cosign
{
	my ($old) = @_;
	my ($size, $note, $proof) = request($log, $old);
	my ($rc, $line, $err) = ask($old, $proof, $note);
	is($rc, 0, "witness cosigns the checkpoint of size $size from $old") or diag $err;
	like($line, qr/^\x{e2}\x{80}\x{94} pref\.lg\.jp\/juki-oplog [A-Za-z0-9+\/]+=*$/, 'a cosignature/v1 line');
	as_role($log, 'aud', "SELECT juki.add_cosignature($size, \$l\$$line\$l\$)");
	return ($size, $note, $line);
}

my ($s1) = cosign(0);
$log->psql('postgres', 'UPDATE juki.operation_log SET reason = NULL') for 1 .. 3;
my ($s2, $note2) = cosign($s1);
ok($s2 > $s1, 'the log grew between the two checkpoints');

# ---- refusals -----------------------------------------------------------
my ($size, $note, $proof) = request($log, $s2);
my ($rc, $out, $err);
# an old size that is not the witness's
($rc, $out, $err) = ask($s1, as_role($log, 'aud', "SELECT proof::text FROM juki.consistency_proof($s1, $size)"), $note);
like($err, qr/reason: witness_size_conflict/, 'old size other than the stored one: witness_size_conflict');
like($err, qr/witness's size is $s2/, 'and the witness says its size');
# a bad proof: one hash changed
(my $badproof = $proof) =~ s/\\\\x(.)/'\\\\x' . ($1 eq 'a' ? 'b' : 'a')/e;
($rc, $out, $err) = ask($s2, $badproof, $note);
like($err, qr/reason: witness_bad_proof/, 'a changed proof hash: witness_bad_proof');
# a bad signature: the root changed under the log's signature
my @l = split /\n/, $note, -1;
$l[2] = ($l[2] =~ /^A/ ? 'B' : 'A') . substr($l[2], 1);
($rc, $out, $err) = ask($s2, $proof, join("\n", @l));
like($err, qr/reason: witness_bad_signature/, 'a note altered under its signature: witness_bad_signature');
# an unknown origin: the witness's own log
my ($ws, $wnote, $wproof) = request($wit, 0);
($rc, $out, $err) = ask(0, $wproof, $wnote);
like($err, qr/reason: witness_unknown_origin/, 'an origin the witness does not witness: witness_unknown_origin');
# malformed
($rc, $out, $err) = ask($s2, $proof, "not a note\n");
like($err, qr/reason: witness_bad_request/, 'not a signed note: witness_bad_request');

# ---- a fork: same key and origin, other entries ---------------------------
my $fork = juki_node('fork', conf => "juki.log_origin = '$origin'\n");
copy($log->basedir . '/keys/signing.pem', $fork->basedir . '/fork.pem') or die;
chmod 0600, $fork->basedir . '/fork.pem';
$fork->append_conf('postgresql.conf', "juki.signing_key_file = '" . $fork->basedir . "/fork.pem'\n");
$fork->reload;
$fork->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
$fork->psql('postgres', "/* fork $_ */ UPDATE juki.operation_log SET reason = NULL") for 1 .. ($s2 + 5);
is(as_role($fork, 'aud', 'SELECT juki.log_key()'), $log_key, 'the fork signs with the log\'s key and origin');
my ($fsize, $fnote, $fproof) = request($fork, $s2);
ok($fsize > $s2, 'the fork is longer than the witnessed size');
($rc, $out, $err) = ask($s2, $fproof, $fnote);
isnt($rc, 0, 'the witness refuses the fork');
like($err, qr/reason: witness_bad_proof/, 'the fork: its tree does not extend the cosigned one');

# the administrative refusals, each logged
($rc, $out, $err) = psql_as($wit, 'chief', "SELECT juki.add_witnessed_log('$origin', '$log_key')");
like($err, qr/reason: already_witnessed/, 'a log witnessed already: already_witnessed');
($rc, $out, $err) = psql_as($wit, 'chief', "SELECT juki.add_witnessed_log('other.lg.jp/log', 'not a key')");
like($err, qr/reason: bad_public_key/, 'a malformed verifier key: bad_public_key');
($rc, $out, $err) = psql_as($wit, 'chief', "SELECT juki.add_witnessed_log('has space', '$log_key')");
like($err, qr/reason: invalid_argument/, 'an origin that is no note name: invalid_argument');
($rc, $out, $err) = psql_as($wit, 'chief', "SELECT juki.add_witnessed_log('other.lg.jp/log', '$wit_key')");
like($err, qr/reason: bad_public_key/, 'a cosignature key where a log key belongs: bad_public_key');
($rc, $out, $err) = psql_as($log, 'aud', "SELECT juki.add_cosignature(999999, 'x')");
like($err, qr/reason: checkpoint_unknown/, 'a cosignature for a size with no note: checkpoint_unknown');
is(as_role($wit, 'aud',
	"SELECT string_agg(reason, ',' ORDER BY seq) FROM juki.operation_log WHERE action = 'add_witnessed_log' AND outcome <> 'granted'"),
	'already_witnessed,bad_public_key,invalid_argument,bad_public_key', 'the witness logged each');

# each refusal is on the witness's record
is(as_role($wit, 'aud',
	"SELECT string_agg(DISTINCT reason, ',' ORDER BY reason) FROM juki.operation_log WHERE action = 'witness_add_checkpoint' AND outcome = 'denied'"),
	'witness_bad_proof,witness_bad_request,witness_bad_signature,witness_size_conflict,witness_unknown_origin',
	'every refusal logged with its reason');

# ---- restarts: the witness keeps its state, the log its tree ------------------
restart_juki($wit);
restart_juki($log);
my ($s3) = cosign($s2);
ok($s3 > $s2, 'after both restarts the witness cosigns the next checkpoint from its stored size');

# ---- the log's record of its witnesses ---------------------------------------
is(as_role($log, 'aud', "SELECT count(*) FROM juki.report_cosignatures() WHERE 'pref.lg.jp/juki-oplog' = ANY (witnesses)"),
	'3', 'report_cosignatures lists the three cosigned checkpoints');
is(as_role($log, 'aud', 'SELECT ok::text || coalesce(problem, \'\') FROM juki.verify_log()'), 'true',
	'verify_log checks the cosignatures under juki.witness_keys');
# a cosignature that is not by the configured witness
($rc, $out, $err) = psql_as($log, 'aud', "SELECT juki.add_cosignature($s3, \$l\$\x{e2}\x{80}\x{94} pref.lg.jp/juki-oplog AAAA\n\$l\$)");
like($err, qr/reason: cosignature_invalid/, 'a line that does not verify is not kept');
# another witness key configured: the stored cosignatures no longer verify
my $other = $wit_key;
$other =~ s/\+([0-9a-f]{8})\+/+00000000+/;
$log->append_conf('postgresql.conf', "juki.witness_keys = ''\n");
$log->reload;
like(as_role($log, 'aud', 'SELECT problem FROM juki.verify_log()'),
	qr/cosignature of witness pref\.lg\.jp\/juki-oplog .* does not verify/,
	'verify_log: a stored cosignature no configured witness key verifies is a finding');

$_->stop for ($log, $wit, $fork);
done_testing();
