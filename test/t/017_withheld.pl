# A request whose client stops waiting for its log entry receives nothing,
# yet its record stays queued and is written as decided ("granted").  The
# log must say what happened: a "withheld" entry names the entry whose
# answer never left the server, whether the wait timed out, was cancelled
# or the backend ended, and also when the writer had already taken the
# record (the withheld entry then follows in a later batch).  Counting
# granted lookups minus the withheld ones gives exactly what clients got.
# The operator logs in as itself (juki staff act only as themselves).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use JukiNode;

my $node = juki_node('withheld', conf => "juki.audit_wait_timeout = '1s'\n");
my $op = juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 6");
my $start = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $writer = $node->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');
my $received = 0;

sub lookup_sql
{
	my ($code) = @_;
	return "SELECT (juki.lookup('wide_area_copy_issuance', '$code', '$token')).resident_code";
}

# the entry of the lookup of a code, and the withheld entry naming it
sub entries_for
{
	my ($code) = @_;
	return as_role($node, 'auditor', qq{
		SELECT l.outcome || ' ' || coalesce(w.reason, 'none') || ' ' || coalesce((w.seq > l.seq)::text, '-')
		  FROM juki.operation_log l
		  LEFT JOIN juki.operation_log w ON w.action = 'withheld'
			   AND (w.detail->>'withheld_seq')::bigint = l.seq
		 WHERE l.seq > $start AND l.action = 'lookup' AND l.criteria->>'resident_code' = '$code'});
}

sub wait_for_entry
{
	my ($code, $want) = @_;
	for (1 .. 300)
	{
		return 1 if entries_for($code) =~ $want;
		usleep(100_000);
	}
	return 0;
}

# an ordinary lookup: answered, no withheld entry
is(as_role($node, 'op1', lookup_sql($codes[0])), $codes[0], 'an ordinary lookup is answered');
$received++;
is(entries_for($codes[0]), 'granted none -', 'and logged as granted, nothing withheld');

# the writer is stuck: the wait times out, the client gets audit_unavailable
kill 'STOP', $writer;
my ($rc, $out, $err) = psql_as($node, 'op1', lookup_sql($codes[1]));
like($err, qr/reason: audit_unavailable/, 'timeout: the client gets audit_unavailable');
is($out, '', 'timeout: and no row');

# cancelled by statement_timeout while waiting
($rc, $out, $err) = psql_as($node, 'op1',
	"SET statement_timeout = '300ms'; " . lookup_sql($codes[2]));
like($err, qr/canceling statement due to statement timeout/, 'cancel: the statement is cancelled');

# the backend ends while waiting
my $bg = $node->background_psql('postgres', on_error_stop => 0, extra_params => [ '-U', 'op1' ]);
$bg->query_until(qr/^go$/m, "\\echo go\n" . lookup_sql($codes[3]) . ";\n");
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event_type = 'Extension' AND backend_type = 'client backend'})
  or die 'the lookup did not start waiting';
$node->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE wait_event_type = 'Extension' AND backend_type = 'client backend'});
eval { $bg->quit; };    # its connection is gone: psql may have ended already
kill 'CONT', $writer;

ok(wait_for_entry($codes[1], qr/^granted audit_unavailable true$/),
	'timeout: the granted entry is followed by a withheld entry naming it');
ok(wait_for_entry($codes[2], qr/^granted cancelled true$/),
	'cancel: withheld, reason cancelled');
ok(wait_for_entry($codes[3], qr/^granted backend_exit true$/),
	'backend exit: withheld, reason backend_exit');

# the writer has already taken the record when the client gives up: a
# session holding REINDEX on the log keeps the writer's batch from
# committing; the withheld entry comes with a later batch
my $hold = $node->background_psql('postgres');
$hold->query_safe('BEGIN');
$hold->query_safe('REINDEX TABLE juki.operation_log');
($rc, $out, $err) = psql_as($node, 'op1', lookup_sql($codes[4]));
like($err, qr/reason: audit_unavailable/, 'writer mid-batch: the client gets audit_unavailable');
$node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'juki audit writer' AND wait_event_type = 'Lock'})
  or die 'the writer is not waiting for the lock';
$hold->query_safe('COMMIT');
$hold->quit;
ok(wait_for_entry($codes[4], qr/^granted audit_unavailable true$/),
	'writer mid-batch: the withheld entry follows in a later batch');

is(as_role($node, 'op1', lookup_sql($codes[5])), $codes[5], 'lookups go on afterwards');
$received++;

# the rule of README "The operation log": disclosures = granted lookups
# without a withheld entry naming them
is(as_role($node, 'auditor', qq{
	SELECT count(*) FROM juki.operation_log l
	 WHERE l.seq > $start AND l.action = 'lookup' AND l.outcome = 'granted'
	   AND NOT EXISTS (SELECT 1 FROM juki.operation_log w WHERE w.action = 'withheld'
						  AND (w.detail->>'withheld_seq')::bigint = l.seq)}),
	$received, 'granted lookups without a withheld entry = rows the clients received');
# and juki's own reports follow it
is(as_role($node, 'auditor', qq{
	SELECT sum(granted) FROM juki.report_access(now() - interval '1 day', now() + interval '1 day')
	 WHERE action = 'lookup'}), $received, 'report_access counts only what clients received');
is(as_role($node, 'auditor', qq{
	SELECT count(*) FROM juki.report_provision('$codes[1]', now() - interval '1 day', now() + interval '1 day')}),
	'0', 'report_provision does not list a withheld lookup as provided');
is(as_role($node, 'auditor', qq{
	SELECT count(*) FROM juki.report_provision('$codes[0]', now() - interval '1 day', now() + interval '1 day')}),
	'1', 'report_provision lists the lookup that was answered');
is(as_role($node, 'auditor', "SELECT count(*) FROM juki.operation_log WHERE seq > $start AND action = 'withheld'"),
	'4', 'exactly one withheld entry per request that gave up');

# A printed form whose client gave up: the audit writer files the ledger row
# with the granted issue_form entry (form_ledger.c), and the withheld entry
# follows; the form never left the server, so it is no paper to file or
# destroy.  (The queue is empty when the writer stops: the issuer's wait for
# earlier records before it takes a serial returns at once.)
kill 'STOP', $writer;
($rc, $out, $err) = psql_as($node, 'op1', qq{
	BEGIN;
	SELECT juki.attach('$token');
	SELECT (juki.issue_form('wide_area_copy_issuance', '$codes[0]', 'juminhyo_copy')).serial;
	COMMIT;});
like($err, qr/reason: audit_unavailable/, 'form: the client gets audit_unavailable');
kill 'CONT', $writer;
my $serial = '';
for (1 .. 300)
{
	$serial = as_role($node, 'auditor', qq{
		SELECT l.detail->>'form_serial' FROM juki.operation_log l JOIN juki.operation_log w
			ON w.action = 'withheld' AND (w.detail->>'withheld_seq')::bigint = l.seq
		 WHERE l.seq > $start AND l.action = 'issue_form' AND l.outcome = 'granted'});
	last if $serial ne '';
	usleep(100_000);
}
like($serial, qr/^\d{4}-\d{6}$/, 'form: its granted issue_form entry is followed by a withheld entry');
is(as_role($node, 'chief', "SELECT count(*) FROM juki.forms() WHERE serial = '$serial'"), '1',
	'form: the ledger names the form the log names');
is(as_role($node, 'auditor', "SELECT count(*) FROM juki.report_outstanding_forms() WHERE serial = '$serial'"),
	'0', 'form: report_outstanding_forms does not ask for a paper that was never printed');

is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies');
$node->stop;
done_testing();
