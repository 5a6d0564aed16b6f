# A request whose client does not get the answer must leave a log that
# says so.  Since issue 16 an entry is durable in WAL before anything else
# happens, so the only wait left after it is the one for synchronous
# standbys (juki.synchronous_standby_wait): when that wait is cancelled
# (statement_timeout, a cancel) or the backend is terminated while it
# waits, the entry stays as decided ("granted") and a "withheld" entry
# names it, with the cause as its reason.  Counting granted lookups minus
# the withheld ones gives exactly what clients got, and juki's reports
# follow that rule.  The synchronous standby named here never connects, so
# every wait for it ends by cancel or termination; with
# juki.synchronous_standby_wait = off nobody waits for it.
# (Before issue 16 the waits were for the audit writer: a stopped writer,
# a timeout, a writer mid-batch; those waits no longer exist.)
# Shown to fail: with the standby wait removed from append.c (as on the
# ring, commit f67965a, which never waited for standbys) the cancelled
# lookups are answered (checks 3-6 fail) and the test stops: no backend ever
# waits for the standby.
# The operator logs in as itself (juki staff act only as themselves).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use JukiNode;

my $node = juki_node('withheld', conf => "juki.audit_wait_timeout = '1s'\nmax_wal_senders = 2\n");
my $op = juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 6");
my $start = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
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

# Name a synchronous standby that never connects (commits of this test's
# own setup are done by then), or none; juki's wait on or off.
sub standby
{
	my ($names, $wait) = @_;
	$node->append_conf('postgresql.conf',
		"synchronous_standby_names = '$names'\njuki.synchronous_standby_wait = $wait\n");
	$node->reload;
	usleep(1_500_000);    # the checkpointer publishes synchronous_standby_names
}

# an ordinary lookup: answered, no withheld entry
is(as_role($node, 'op1', lookup_sql($codes[0])), $codes[0], 'an ordinary lookup is answered');
$received++;
is(entries_for($codes[0]), 'granted none -', 'and logged as granted, nothing withheld');

# a synchronous standby is named and juki waits for it: a cancel ends the
# wait (the client gets an error, no row)
standby('never_connects', 'on');
my ($rc, $out, $err) = psql_as($node, 'op1',
	"SET statement_timeout = '500ms'; " . lookup_sql($codes[1]));
like($err, qr/reason: audit_unavailable/, 'cancel: the client gets audit_unavailable');
like($err, qr/synchronous standbys did not confirm/, 'cancel: and is told why');
is($out, '', 'cancel: and no row');
($rc, $out, $err) = psql_as($node, 'op1',
	"SET statement_timeout = '500ms'; " . lookup_sql($codes[2]));
is($out, '', 'cancel again: no row');

# the backend ends while waiting for the standby
my $bg = $node->background_psql('postgres', on_error_stop => 0, extra_params => [ '-U', 'op1' ]);
$bg->query_until(qr/^go$/m, "\\echo go\n" . lookup_sql($codes[3]) . ";\n");
$node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE wait_event = 'SyncRep' AND backend_type = 'client backend'})
  or die 'the lookup did not start waiting';
$node->safe_psql('postgres', q{
	SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	 WHERE wait_event = 'SyncRep' AND backend_type = 'client backend'});
eval { $bg->quit; };    # its connection is gone: psql may have ended already

# juki.synchronous_standby_wait = off: the same standby named, nobody waits
standby('never_connects', 'off');
is(as_role($node, 'op1', lookup_sql($codes[4])), $codes[4],
	'juki.synchronous_standby_wait = off: answered without the standby');
$received++;

ok(wait_for_entry($codes[1], qr/^granted cancelled true$/),
	'cancel: the granted entry is followed by a withheld entry naming it, reason cancelled');
ok(wait_for_entry($codes[2], qr/^granted cancelled true$/), 'cancel again: withheld too');
ok(wait_for_entry($codes[3], qr/^granted backend_exit true$/),
	'backend exit: withheld, reason backend_exit');
is(entries_for($codes[4]), 'granted none -', 'no wait: granted, nothing withheld');

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
	'3', 'exactly one withheld entry per request that gave up');

# A printed form whose client gave up: the audit writer files the ledger row
# with the granted issue_form entry (form_ledger.c), and the withheld entry
# follows; the form never left the server, so it is no paper to file or
# destroy.
standby('never_connects', 'on');
($rc, $out, $err) = psql_as($node, 'op1', qq{
	SET statement_timeout = '1500ms';
	BEGIN;
	SELECT juki.attach('$token');
	SELECT (juki.issue_form('wide_area_copy_issuance', '$codes[0]', 'juminhyo_copy')).serial;
	COMMIT;});
like($err, qr/reason: audit_unavailable/, 'form: the client gets audit_unavailable');
standby('', 'on');
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
