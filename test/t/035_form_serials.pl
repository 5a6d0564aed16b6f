# A year has 999999 form serials (YYYY-NNNNNN).  When they are all taken,
# issue_form is refused with SQLSTATE 54000 and reason
# form_serials_exhausted, and the refusal is on record (an issue_form entry,
# outcome denied, naming the operator and the purpose); nothing is printed
# and the ledger is unchanged.
# Printing 999999 forms would take hours, so the ledger's highest serial is
# put in place as a DBA could while juki is not loaded (the server restarted
# without it in shared_preload_libraries: juki puts that gap on record):
# the serial of the one form printed is moved to YYYY-999999.
# The same for the other refusal of a serial: the audit writer has not
# filed the entries appended before within juki.audit_wait_timeout (here
# held with SIGSTOP): 55000 audit_unavailable, on record as well.
# Shown to fail on the old code (3c9e2e7): both refusals carried no entry,
# and the first no reason (54000 "the form ledger has no serial left for
# 2026").
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('serials', conf => "juki.audit_wait_timeout = '2s'\n");
my $op = juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');
my $code = $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 1");
my $issue = qq{
	BEGIN;
	SELECT juki.attach('$token');
	SELECT (juki.issue_form('wide_area_copy_issuance', '$code', 'juminhyo_copy')).serial;
	COMMIT;};
my $serial = (grep { /^\d{4}-\d{6}$/ } split /\n/, as_role($node, 'op1', $issue))[0] // '';
like($serial, qr/^\d{4}-000001$/, 'the first form of the year is number 1');
my ($year) = $serial =~ /^(\d{4})/;

# the year's last serial taken, with juki out of the way
$node->stop('fast');
set_preload($node, 0);
$node->start;
$node->safe_psql('postgres',
	"UPDATE juki.printed_form SET serial = '$year-999999' WHERE serial = '$serial'");
$node->stop('fast');
set_preload($node, 1);
start_juki($node);
$token = card_login($node, 'op1', 'OP1-CARD');
$issue =~ s/attach\('[^']*'\)/attach('$token')/;

my $start = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my ($rc, $out, $err) = psql_as($node, 'op1', "\\set VERBOSITY verbose\n$issue");
isnt($rc, 0, 'no serial left: issue_form is refused');
like($err, qr/ERROR:\s+54000: the form ledger has no serial left for this year/,
	'with SQLSTATE 54000 and a message that names no one');
like($err, qr/reason: form_serials_exhausted/, 'and reason form_serials_exhausted');
unlike($err, qr/\Q$code\E/, 'the resident code is not in the message');
is(as_role($node, 'auditor', qq{
	SELECT outcome || ' ' || reason || ' ' || operator_id || ' ' || purpose
	  FROM juki.operation_log WHERE seq > $start AND action = 'issue_form'}),
	"denied form_serials_exhausted $op wide_area_copy_issuance",
	'the refusal is on record: one issue_form entry, denied, with the operator and purpose');
is(as_role($node, 'chief', 'SELECT string_agg(serial, \',\') FROM juki.forms()'), "$year-999999",
	'nothing was added to the form ledger');

# the writer held: the serial cannot be read safely, refused on record
$start = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $pid = $node->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');
kill 'STOP', $pid;
# a lookup first: its entry is appended (lookups never wait for the writer)
# and stays unfiled, so the serial cannot be read
my $held = $issue;
$held =~ s/(SELECT \(juki\.issue_form)/SELECT count(*) FROM juki.lookup('wide_area_copy_issuance', '$code');\n\t$1/;
($rc, $out, $err) = psql_as($node, 'op1', "\\set VERBOSITY verbose\n$held");
kill 'CONT', $pid;
isnt($rc, 0, 'writer held: issue_form is refused');
like($err, qr/ERROR:\s+55000: juki cannot number the form/, 'with SQLSTATE 55000');
like($err, qr/reason: audit_unavailable/, 'and reason audit_unavailable');
is(as_role($node, 'auditor', qq{
	SELECT outcome || ' ' || reason || ' ' || operator_id
	  FROM juki.operation_log WHERE seq > $start AND action = 'issue_form'}),
	"denied audit_unavailable $op", 'the refusal is on record once the writer files again');
$node->stop;
done_testing();
