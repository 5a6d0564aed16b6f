# Signing problems never stop the log: a missing, unreadable, malformed or
# non-Ed25519 key, a key inside the data directory, or an unwritable
# checkpoint directory each leave one 'checkpoint' error entry with a stable
# reason and a server log line; the log goes on, and once fixed, checkpoints
# are signed again.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('keys', signing => 1);
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
my $base = $node->basedir;
my $good = "$base/keys/signing.pem";

# Try a checkpoint under a given juki.* setting; return the reason recorded.
sub reason_after
{
	my ($setting) = @_;
	$node->append_conf('postgresql.conf', "$setting\n");
	$node->reload;
	sleep 1;    # the writer reads the file on SIGHUP
	my ($rc, $out, $err) = psql_as($node, "aud", 'SELECT juki.checkpoint()');
	return (
		$err,
		as_role($node, 'aud',
			"SELECT reason FROM juki.operation_log WHERE action = 'checkpoint' ORDER BY seq DESC LIMIT 1"));
}

my ($err, $reason) = reason_after("juki.signing_key_file = '$base/keys/missing.pem'");
like($err, qr/juki could not sign a checkpoint/, 'missing key: juki.checkpoint() fails');
is($reason, 'signing_key_unreadable', 'missing key: reason recorded');

open my $fh, '>', "$base/keys/garbage.pem" or die;
print $fh "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n";
close $fh;
(undef, $reason) = reason_after("juki.signing_key_file = '$base/keys/garbage.pem'");
is($reason, 'signing_key_malformed', 'malformed key: reason recorded');

system("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $base/keys/ec.pem 2>/dev/null");
(undef, $reason) = reason_after("juki.signing_key_file = '$base/keys/ec.pem'");
is($reason, 'signing_key_not_ed25519', 'an ECDSA key is refused for checkpoints');

my $inside = $node->data_dir . '/signing.pem';
system("cp $good $inside");
(undef, $reason) = reason_after("juki.signing_key_file = '$inside'");
is($reason, 'signing_key_in_data_directory', 'a key inside the data directory is refused');

(undef, $reason) = reason_after("juki.signing_key_file = ''");
is($reason, 'no_signing_key', 'no key configured: reason recorded');

# the log keeps working all along
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', 'the log goes on and verifies');
like(slurp_file($node->logfile), qr/WARNING:  juki could not sign a checkpoint/, 'server log says so');

# an unwritable checkpoint directory: the checkpoint is signed and stored,
# the file problem is recorded
mkdir "$base/ro";
chmod 0555, "$base/ro";
($err, $reason) = reason_after("juki.signing_key_file = '$good'\njuki.checkpoint_directory = '$base/ro'");
is($reason, 'checkpoint_directory_unwritable', 'unwritable checkpoint directory: reason recorded');
is(as_role($node, 'aud', 'SELECT count(*) > 0 FROM juki.audit_checkpoint'), 't',
	'the checkpoint itself is still signed and stored');

# fixed: checkpoints are signed and written again
($err, $reason) = reason_after("juki.checkpoint_directory = '$base/checkpoints'");
like(as_role($node, 'aud', 'SELECT juki.checkpoint()'), qr/^juki-checkpoint\/1 /, 'fixed: signed again');
ok(scalar(glob("$base/checkpoints/*.checkpoint")), 'fixed: files written again');
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', 'and the log verifies');
$node->stop;
done_testing();
