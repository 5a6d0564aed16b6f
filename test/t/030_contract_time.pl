# Outsourcing over time (要領 第4, 第3 2(1)③) and the auditor's reports that
# need time to pass: a contractor's handler works inside the contract period
# and is refused with contract_expired the day after it ends; a designation
# nobody used for 90 days is reported; one operator session used from two
# client addresses is reported as a possible shared ID.  juki has no knob
# that moves its clock: the server is restarted under libfaketime (as in
# 014_oplog_retention), so every backend sees a later date.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my ($faketime) = grep { -e $_ } glob('/usr/lib/*/faketime/libfaketimeMT.so.1');
plan skip_all => 'libfaketime is not installed' unless $faketime;

# TCP on 127.0.0.1 as well as the Unix socket: two client addresses
my $node = juki_node('contract_time', conf => "listen_addresses = '127.0.0.1'\n");
my $op1 = juki_staff($node);
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
my @town = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 2");
my $r1 = $town[0];

# the vetting record: every item of 要領 第4, checked by the officer
my $vetting = q{(SELECT jsonb_object_agg(i, jsonb_build_object('satisfactory', true,
	'finding', 'tap', 'evidence', 'tap'))
	FROM unnest('{financial_soundness,stability,business_scale,business_area,technical_skill,training_system,privacy_measures,security_measures,liability_capacity,scandals}'::text[]) i)};
my $k = as_role($node, "officer",
	"SELECT juki.register_contractor('TAP 入力株式会社', NULL, $vetting)");
as_role($node, "chief", qq{
	SELECT juki.record_committee_review($k, current_date, 'tap review');
	SELECT juki.approve_contractor($k);});
# a contract of 20 days
my $c = as_role($node, "officer", qq{
	SELECT juki.register_contract($k, 'tap data entry', '{wide_area_copy_issuance}',
		current_date, current_date + 20, 2)});
as_role($node, "chief", "SELECT juki.approve_contract($c)");
as_role($node, "officer", "SELECT juki.record_pledge($c, current_date)");
$node->safe_psql('postgres', q{
	CREATE ROLE k1 LOGIN; GRANT juki_contractor_operator TO k1;
	CREATE ROLE op2 LOGIN; GRANT juki_operator TO op2;
	CREATE ROLE op3 LOGIN; GRANT juki_operator TO op3;});
my $k1 = as_role($node, "am",
	"SELECT juki.register_operator('k1', 'TAP 委託一', '住民課', 'contractor', $c)");
my $op2 = as_role($node, "am", "SELECT juki.register_operator('op2', '窓口 二郎', '住民課')");
my $op3 = as_role($node, "am", "SELECT juki.register_operator('op3', '窓口 三郎', '住民課')");
for my $o ([ $k1, 'K1-CARD' ], [ $op2, 'OP2-CARD' ], [ $op3, 'OP3-CARD' ])
{
	as_role($node, "am", qq{
		SELECT juki.register_card($o->[0], '$o->[1]', '$pub', current_date + 365);
		SELECT juki.set_password($o->[0], '$JukiNode::PASSWORD');
		SELECT juki.record_training($o->[0], 'operator', current_date);});
}
# the handler for the whole contract; staff designations for 200 days
as_role($node, "officer", qq{
	SELECT juki.designate_handler($c, $k1, current_date, current_date + 20);
	SELECT juki.designate($op1, '{wide_area_copy_issuance}', current_date + 200, 'tap: long');
	SELECT juki.designate($op2, '{wide_area_copy_issuance}', current_date + 200, 'tap: never used');
	SELECT juki.designate($op3, '{wide_area_copy_issuance}', current_date + 200, 'tap: used once');});

# a permit for an operator's session, approved by the officer
sub permit
{
	my ($role, $token, $days) = @_;
	my $id = as_role($node, "$role", qq{
		BEGIN; SELECT juki.attach('$token') \\gset
		SELECT juki.request_permit('wide_area_copy_issuance', 'tap', now() + interval '$days days'); COMMIT;});
	$id =~ s/\s+//g;
	as_role($node, "officer", "SELECT juki.approve_permit($id)");
}

# a lookup under the session, through the Unix socket or TCP: (rc, stdout, stderr)
sub lookup
{
	my ($role, $token, %opt) = @_;
	my %c = $opt{tcp} ? (connstr => $node->connstr('postgres') . ' host=127.0.0.1') : ();
	return psql_as($node, "$role", qq{
		BEGIN; SELECT juki.attach('$token') \\gset
		SELECT (juki.lookup('wide_area_copy_issuance', '$r1')).resident_code; COMMIT;}, %c);
}

# Day 0: the handler works; op3 uses the designation once.
my $day0 = $node->safe_psql('postgres', 'SELECT current_date');
my $tk = card_login($node, 'k1', 'K1-CARD');
permit('k1', $tk, 30);
my ($rc, $out, $err) = lookup('k1', $tk);
is($out, $r1, 'day 0: the handler discloses inside the contract period');
# the same session from another client address (TCP): a possible shared ID
($rc, $out, $err) = lookup('k1', $tk, tcp => 1);
is($out, $r1, 'day 0: the same session is used from 127.0.0.1 as well');
my $t3 = card_login($node, 'op3', 'OP3-CARD');
permit('op3', $t3, 1);
($rc, $out, $err) = lookup('op3', $t3);
is($out, $r1, 'day 0: op3 uses the designation');

is(as_role($node, "auditor", qq{
	SELECT role_name || ' ' || array_to_string(addresses, ',') || ' ' || several_addresses
	  FROM juki.report_shared_ids(now() - interval '1 hour') ORDER BY session_id}),
	'k1 127.0.0.1,local true', 'report_shared_ids: one session seen from two addresses');
is(as_role($node, "auditor", 'SELECT count(*) FROM juki.report_unused_designations()'),
	'0', 'day 0: no designation is 90 days old yet');

# Day 25: the contract ended on day 20.
$node->stop('fast');
{
	local $ENV{LD_PRELOAD} = $faketime;
	local $ENV{FAKETIME} = '+25d';
	start_juki($node);
}
is($node->safe_psql('postgres', "SELECT current_date - date '$day0'"), '25',
	"the server's clock is 25 days ahead");
$tk = card_login($node, 'k1', 'K1-CARD');
($rc, $out, $err) = lookup('k1', $tk);
like($err, qr/your contract is outside its period.*\n.*reason: contract_expired/,
	'day 25: the handler is refused at once: contract_expired');
# (days_left counts in juki.timezone: -5, or -6 when Tokyo is already a day ahead)
like(as_role($node, "auditor", "SELECT days_left || ' ' || issues::text FROM juki.report_contracts()"),
	qr/^-[56] \{expired,handlers_not_revoked\}$/, 'report_contracts: ended 5 days ago, its handler not revoked');
# nobody designates a handler on an ended contract, nor registers one under it
($rc, $out, $err) = psql_as($node, "officer",
	"SELECT juki.designate_handler($c, $k1, current_date, current_date + 1)");
like($err, qr/reason: outside_contract_period/, 'day 25: no designation outside the contract period');
$node->safe_psql('postgres', 'CREATE ROLE k2 LOGIN; GRANT juki_contractor_operator TO k2;');
($rc, $out, $err) = psql_as($node, "am",
	"SELECT juki.register_operator('k2', 'TAP 委託二', '住民課', 'contractor', $c)");
like($err, qr/reason: contract_expired/, 'day 25: no handler registered under an ended contract');

# Day 95: op2 never used its designation, op3 last used it 95 days ago; op1
# (a new password: the old one expired after 90 days) uses it today.
$node->stop('fast');
{
	local $ENV{LD_PRELOAD} = $faketime;
	local $ENV{FAKETIME} = '+95d';
	start_juki($node);
}
as_role($node, "am", "SELECT juki.set_password($op1, 'Madoguchi#2026-95')");
my $t1 = card_login($node, 'op1', 'OP1-CARD', password => 'Madoguchi#2026-95');
permit('op1', $t1, 1);
($rc, $out, $err) = lookup('op1', $t1);
is($out, $r1, 'day 95: op1 uses its designation');
is(as_role($node, "auditor", q{
	SELECT string_agg(role_name || ':' || kind || ':' || (last_used IS NOT NULL) || ':' || (days_unused >= 95),
					  ' ' ORDER BY role_name)
	  FROM juki.report_unused_designations()}),
	'op2:designation:false:true op3:designation:true:true',
	'report_unused_designations: op2 (never) and op3 (95 days ago), not op1');
is(as_role($node, "auditor", q{
	SELECT count(*) FROM juki.operation_log WHERE action = 'report_unused_designations' AND outcome = 'granted'}),
	'2', 'each report call is on record');
is(as_role($node, "auditor", 'SELECT ok FROM juki.verify_log()'), 't',
	'the chain verifies across the clock jumps');
$node->stop('fast');
done_testing();
