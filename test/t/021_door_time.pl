# The door over time: an idle session locks and unlocks with a new card
# signature; designations, training and passwords expire.  juki has no knob
# that moves its clock: the server is restarted under libfaketime.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my ($faketime) = grep { -e $_ } glob('/usr/lib/*/faketime/libfaketimeMT.so.1');
plan skip_all => 'libfaketime is not installed' unless $faketime;

my $node = juki_node('door_time');
my $op1 = juki_staff($node);
my $r1 = $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 1");
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");

# op2: designated for 180 days, but trained 340 days ago
$node->safe_psql('postgres', 'CREATE ROLE op2 LOGIN; GRANT juki_operator TO op2;');
my $op2 = as_role($node, "am",
	"SELECT juki.register_operator('op2', '窓口 二郎', '住民課')");
as_role($node, "am", qq{
	SELECT juki.register_card($op2, 'OP2-CARD', '$pub', current_date + 365);
	SELECT juki.set_password($op2, '$JukiNode::PASSWORD');
	SELECT juki.record_training($op2, 'operator', current_date - 340);});
as_role($node, "officer", qq{
	SELECT juki.designate($op2, '{wide_area_copy_issuance}', current_date + 180, 'tap');});

sub lookup
{
	my ($role, $token) = @_;
	my ($rc, $out, $err) = psql_as($node, "$role", qq{
		BEGIN; SELECT juki.attach('$token') \\gset
		SELECT (juki.lookup('wide_area_copy_issuance', '$r1')).resident_code; COMMIT;});
	return $rc == 0 ? "granted $out" : ($err =~ /reason: (\w+)/ ? $1 : $err);
}

# idle lock: after juki.idle_timeout the session locks; unlock needs the card again
$node->append_conf('postgresql.conf', "juki.idle_timeout = '2s'\n");
$node->reload;
my $t1 = card_login($node, 'op1', 'OP1-CARD');
as_role($node, "op1", qq{
	BEGIN; SELECT juki.attach('$t1') \\gset
	SELECT juki.request_permit('wide_area_copy_issuance', 'tap', now() + interval '1 day'); COMMIT;});
as_role($node, "officer", "SELECT count(juki.approve_permit(id)) FROM juki.permits() WHERE status = 'pending'");
is(lookup('op1', $t1), "granted $r1", 'an active session discloses');
sleep 3;
is(lookup('op1', $t1), 'session_locked', 'after juki.idle_timeout the session is locked');
is(lookup('op1', $t1), 'session_locked', 'and stays locked');
my $chal = as_role($node, "op1", "SELECT encode(juki.card_challenge('OP1-CARD'), 'hex')");
my $sig = `sh test/sign_challenge.sh '$ENV{TESTDIR}/keys/card_ed25519.pem' $chal`;
my ($rc, $out, $err) = psql_as($node, "op1",
	"SELECT juki.unlock('$t1', decode('$sig', 'hex'), 'wrong password')");
like($err, qr/reason: authentication_failed/, 'unlock with a wrong password fails');
$chal = as_role($node, "op1", "SELECT encode(juki.card_challenge('OP1-CARD'), 'hex')");
$sig = `sh test/sign_challenge.sh '$ENV{TESTDIR}/keys/card_ed25519.pem' $chal`;
as_role($node, "op1", "SELECT juki.unlock('$t1', decode('$sig', 'hex'), '$JukiNode::PASSWORD')");
is(lookup('op1', $t1), "granted $r1", 'unlocked with card and password, the session discloses again');
is(as_role($node, "auditor", q{
	SELECT string_agg(action || ':' || outcome || ':' || coalesce(reason, '-'), ' ' ORDER BY seq)
	  FROM juki.operation_log WHERE action IN ('session_lock', 'unlock')}),
	'session_lock:granted:idle_timeout unlock:denied:bad_password unlock:granted:-',
	'the lock, the failed and the successful unlock are on record');

# forty days later: op1's designation (30 days) has ended; op2's training is
# more than twelve months old
$node->stop('fast');
{
	local $ENV{LD_PRELOAD} = $faketime;
	local $ENV{FAKETIME} = '+40d';
	start_juki($node);
}
$t1 = card_login($node, 'op1', 'OP1-CARD');
is(lookup('op1', $t1), 'designation_expired', 'a designation past its end refuses: designation_expired');
my $t2 = card_login($node, 'op2', 'OP2-CARD');
is(lookup('op2', $t2), 'training_missing', 'training older than 12 months refuses: training_missing');

# a hundred days later the passwords (juki.password_max_age = 90 days) have expired
$node->stop('fast');
{
	local $ENV{LD_PRELOAD} = $faketime;
	local $ENV{FAKETIME} = '+100d';
	start_juki($node);
}
$chal = as_role($node, "op1", "SELECT encode(juki.card_challenge('OP1-CARD'), 'hex')");
$sig = `sh test/sign_challenge.sh '$ENV{TESTDIR}/keys/card_ed25519.pem' $chal`;
($rc, $out, $err) = psql_as($node, "op1",
	"SELECT juki.card_login('OP1-CARD', decode('$sig', 'hex'), '$JukiNode::PASSWORD')");
like($err, qr/reason: password_expired/, 'an expired password refuses the login: password_expired');
$node->stop('fast');
$node->start;
is(as_role($node, "auditor", 'SELECT ok FROM juki.verify_log()'), 't',
	'the chain verifies after the clock moved');
$node->stop;
done_testing();
