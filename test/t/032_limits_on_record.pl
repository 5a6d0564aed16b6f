# Refusals at juki's own limits are refusals like any other: a documented
# reason, an entry in the operation log, and no personal data in the text.
#  - the card challenge table and the session table are full
#    (juki.max_sessions slots each): session_table_full, logged;
#  - juki.checkpoint() without a signing key: no_signed_checkpoint, logged;
#  - a search criterion juki does not know is refused without repeating
#    the caller's text (it could be a name or a code).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('limits', conf => "juki.max_sessions = 10\n");
my $op = juki_staff($node);
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
my @cards = map { sprintf('LIM-CARD-%02d', $_) } 1 .. 11;
as_role($node, 'am', join('', map {
	"SELECT juki.register_card($op, '$_', '$pub', current_date + 365);\n" } @cards));

sub denied
{
	my ($action, $reason) = @_;
	return as_role($node, 'auditor', qq{
		SELECT count(*) FROM juki.operation_log
		 WHERE action = '$action' AND outcome = 'denied' AND reason = '$reason'});
}

# Ten pending challenges fill the table; the eleventh card is refused.
as_role($node, 'op1', join('', map { "SELECT juki.card_challenge('$_');\n" } @cards[0 .. 9]));
my ($rc, $out, $err) = psql_as($node, 'op1', "SELECT juki.card_challenge('$cards[10]')");
like($err, qr/too many pending card challenges.*\n.*reason: session_table_full/,
	'the eleventh pending challenge is refused: session_table_full');
wait_writer($node);
is(denied('card_challenge', 'session_table_full'), 1, 'and the refusal is on record');

# Ten sessions fill the session table; the eleventh login is refused.
my @tokens = card_logins($node, 'op1', @cards[0 .. 9]);
is(scalar(@tokens), 10, 'ten sessions');
my $chal = as_role($node, 'op1', "SELECT encode(juki.card_challenge('$cards[10]'), 'hex')");
$chal =~ s/\s+//g;
my $sig = `sh test/sign_challenge.sh '${\ JukiNode::card_key()}' $chal`;
($rc, $out, $err) = psql_as($node, 'op1',
	"SELECT juki.card_login('$cards[10]', decode('$sig', 'hex'), '$JukiNode::PASSWORD')");
like($err, qr/too many operator sessions.*\n.*reason: session_table_full/,
	'the eleventh login is refused: session_table_full');
is(denied('card_login', 'session_table_full'), 1, 'and the refusal is on record');

# An unknown criterion: refused, logged, and its text is not repeated.
($rc, $out, $err) = psql_as($node, 'op1', qq{
	BEGIN; SELECT juki.attach('$tokens[0]') \\gset
	SELECT * FROM juki.search('wide_area_copy_issuance', '{"山田 太郎": "x"}');});
like($err, qr/reason: invalid_criteria/, 'an unknown criterion is refused: invalid_criteria');
unlike($err, qr/山田/, 'and the message does not repeat the caller\'s text');
like(slurp_file($node->logfile), qr/reason: invalid_criteria/, 'the server log has the refusal');
unlike(slurp_file($node->logfile), qr/山田/, 'but not the caller\'s text');

# A checkpoint without a signing key: refused, and the log says so (the
# granted request is followed by its refusal, outcome error).
($rc, $out, $err) = psql_as($node, 'auditor', 'SELECT juki.checkpoint()');
like($err, qr/could not sign a checkpoint.*\n.*reason: no_signed_checkpoint/,
	'a checkpoint without a signing key is refused: no_signed_checkpoint');
is(as_role($node, 'auditor', q{
	SELECT count(*) FROM juki.operation_log
	 WHERE action = 'checkpoint_request' AND outcome = 'error' AND reason = 'no_signed_checkpoint'}),
	1, 'and the refusal is on record');

is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies');
$node->stop;
done_testing();
