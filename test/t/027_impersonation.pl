# Impersonation and self-granting (issue 13, class 7): juki staff act only
# as themselves.  A superuser who assumes a staff member's identity (SET
# SESSION AUTHORIZATION, SET ROLE) and a CREATEROLE DBA who grants itself a
# juki role are refused, and every attempt is on record under the real login
# (login_role), whatever role was in effect (db_role).  A legitimate operator
# and auditor still work, and a login acting through a group role it really
# belongs to is recorded under both names.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('imp');
my $op = juki_staff($node);
my $su = $node->safe_psql('postgres', 'SELECT current_user');
# the log is read by an auditor of its own (the staff's auditor gets in trouble below)
$node->safe_psql('postgres', 'CREATE ROLE reader LOGIN; GRANT juki_auditor TO reader;');
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
my $r1 = $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 1");

# the refusal's reason, or "ok"
sub attempt
{
	my ($sql, $role) = @_;
	my ($rc, $out, $err) = $role ? psql_as($node, $role, $sql) : $node->psql('postgres', $sql);
	return $rc == 0 ? 'ok' : ($err =~ /reason: (\w+)/ ? $1 : $err);
}

# the entries since a seq, as "action reason db_role login_role"
sub entries_since
{
	my ($seq, $where) = @_;
	return as_role($node, 'reader', qq{
		SELECT string_agg(concat_ws(' ', action, outcome, reason, db_role, login_role), E'\\n' ORDER BY seq)
		  FROM juki.operation_log WHERE seq > $seq AND action <> 'log_read' AND ($where)});
}

sub last_seq { return $node->safe_psql('postgres', 'SELECT last_seq FROM juki.status()'); }

# --- a legitimate operator and auditor work, and are recorded as themselves
my $token = card_login($node, 'op1', 'OP1-CARD');
my $seq = last_seq();
is(as_role($node, 'op1', qq{BEGIN; SELECT juki.attach('$token') \\gset
	SELECT (juki.lookup('wide_area_copy_issuance', '$r1')).resident_code; COMMIT;}), $r1,
	'the operator, logged in as herself, discloses');
is(entries_since($seq, "action = 'lookup'"), 'lookup granted op1 op1',
	'the lookup names the role in effect and the login: both op1');
is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the auditor verifies the log');

# --- a superuser assuming staff identities: refused, on record with the real login
$seq = last_seq();
is(attempt("SET SESSION AUTHORIZATION am;
	SELECT juki.register_card($op, 'EVIL-CARD', '$pub', current_date + 30)"),
	'impersonation', 'superuser as the access manager (SET SESSION AUTHORIZATION): refused');
is(attempt("SET ROLE juki_auditor; SELECT ok FROM juki.verify_log()"),
	'impersonation', 'superuser as juki_auditor (SET ROLE to the group role): refused');
# second variants: SET ROLE to a staff login; SSA into the operator's own session
is(attempt("SET ROLE chief; SELECT juki.emergency_stop('not the chief')"),
	'impersonation', 'superuser as the chief (SET ROLE to a login role): refused');
is(attempt("SET SESSION AUTHORIZATION op1; BEGIN; SELECT juki.attach('$token');
	SELECT juki.lookup('wide_area_copy_issuance', '$r1'); COMMIT;"),
	'impersonation', "superuser as the operator, with her session token: refused at attach");
is(attempt("SET ROLE officer; SELECT juki.designate($op, '{move_in}', current_date + 1, 'x')"),
	'impersonation', 'superuser as a security officer: no designation');
is(attempt("SET ROLE juki_auditor; SELECT count(*) FROM juki.operation_log"),
	'direct_access', 'superuser as juki_auditor cannot read the log either');
is(entries_since($seq, 'true'),
	join("\n",
		"register_card denied impersonation am $su",
		"verify_log denied impersonation juki_auditor $su",
		"emergency_stop denied impersonation chief $su",
		"attach denied impersonation op1 $su",
		"designate denied impersonation officer $su",
		"direct_access denied direct_access juki_auditor $su"),
	'each attempt is on record once, with the role assumed and the real login');
is($node->safe_psql('postgres', 'SELECT emergency_stop FROM juki.status()'), 'f',
	'and nothing happened: no emergency stop');
is(as_role($node, 'am', "SELECT count(*) FROM juki.operators() o WHERE o.id = $op AND o.cards > 1"),
	'0', 'no card was registered');

# --- a CREATEROLE DBA granting itself staff roles: refused, on record
$node->safe_psql('postgres', 'CREATE ROLE dba LOGIN CREATEROLE');
$seq = last_seq();
is(attempt('GRANT juki_auditor TO dba', 'dba'), 'privileged_role',
	'a CREATEROLE DBA granting itself juki_auditor: refused');
is(attempt('GRANT juki_chief_security_officer TO dba', 'dba'), 'privileged_role',
	'nor the chief security officer role');
# second variant: through a group role the DBA made and administers
is(attempt('CREATE ROLE helper; GRANT juki_security_officer TO helper', 'dba'), 'ok',
	'the DBA may give a juki role to a group role (that is the job, and on record)');
is(attempt('GRANT helper TO dba', 'dba'), 'privileged_role',
	'but not take that group role itself');
is(attempt('GRANT helper TO officer', 'dba'), 'ok', 'and may give it to a person');
# ... nor make staff into roles that may create roles or be superusers
is(attempt('ALTER ROLE auditor CREATEROLE', 'dba'), 'privileged_role',
	'ALTER ROLE ... CREATEROLE of a staff member: refused');
is(attempt('ALTER ROLE officer SUPERUSER'), 'privileged_role',
	'ALTER ROLE ... SUPERUSER of a staff member (by a superuser): refused');
is(attempt('CREATE ROLE admins SUPERUSER; GRANT admins TO registrar'), 'privileged_role',
	'membership of a superuser role for a staff member: refused');
is(attempt('CREATE ROLE sneaky LOGIN CREATEROLE IN ROLE juki_auditor', 'dba'), 'privileged_role',
	'CREATE ROLE ... CREATEROLE IN ROLE juki_auditor: refused');
# ... nor take over a staff member's identity
is(attempt("ALTER ROLE am PASSWORD 'Taken0ver!'", 'dba'), 'role_identity',
	"resetting a staff member's password: refused");
is(attempt('ALTER ROLE am RENAME TO am_old', 'dba'), 'role_identity', 'renaming one: refused');
is(attempt("ALTER ROLE am PASSWORD 'Mine-2026!'", 'am'), 'ok',
	'a staff member changes her own password');
# a role handing itself a juki role through a group it belongs to
$node->safe_psql('postgres', 'CREATE ROLE lead LOGIN; CREATE ROLE team;
	GRANT team TO lead; GRANT juki_registrar TO lead WITH ADMIN OPTION');
is(attempt('GRANT juki_registrar TO team', 'lead'), 'self_grant',
	'a role granting a juki role to a group it belongs to: refused');
is(entries_since($seq, "action LIKE 'role\\_%' AND outcome = 'denied'"),
	join("\n",
		"role_grant denied privileged_role dba dba",
		"role_grant denied privileged_role dba dba",
		"role_grant denied privileged_role dba dba",
		"role_alter denied privileged_role dba dba",
		"role_alter denied privileged_role $su $su",
		"role_grant denied privileged_role $su $su",
		"role_grant denied privileged_role dba dba",
		"role_alter denied role_identity dba dba",
		"role_rename denied role_identity dba dba",
		"role_grant denied self_grant lead lead"),
	'every refused role change is on record with the real login');
is(entries_since($seq, "action = 'role_grant' AND outcome = 'granted' AND login_role = 'dba'"),
	"role_grant granted dba dba\nrole_grant granted dba dba",
	"the DBA's own grants are on record under its login");
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_auth_members m
	JOIN pg_roles r ON r.oid = m.member WHERE r.rolname IN ('dba', 'sneaky')}), '0',
	'and the DBA holds no role at all');

# --- a login acting through a group it really belongs to: allowed, both names on record
$node->safe_psql('postgres', 'CREATE ROLE audit_team; GRANT juki_auditor TO audit_team;
	CREATE ROLE aud2 LOGIN; GRANT audit_team TO aud2;');
$seq = last_seq();
is(as_role($node, 'aud2', 'SET ROLE audit_team; SELECT ok FROM juki.verify_log()'), 't',
	'SET ROLE to a group the login belongs to works');
is(entries_since($seq, "action = 'verify_log'"), 'verify_log granted audit_team aud2',
	'and the entry names the group in effect and the login');

# --- a membership that predates juki's checks is refused when used
$node->stop('fast');
set_preload($node, 0);
$node->start;
$node->safe_psql('postgres', 'ALTER ROLE auditor CREATEROLE; GRANT juki_operator TO dba;');
$node->stop('fast');
set_preload($node, 1);
start_juki($node);
$seq = last_seq();
is(attempt('SELECT ok FROM juki.verify_log()', 'auditor'), 'privileged_role',
	'an auditor made CREATEROLE behind juki\'s back is refused');
is(attempt("SELECT count(*) FROM juki.operation_log", 'auditor'), 'direct_access',
	'and cannot read the log');
is(attempt("SELECT juki.card_challenge('OP1-CARD')", 'dba'), 'privileged_role',
	'a CREATEROLE DBA that became an operator behind juki\'s back is refused');
is(entries_since($seq, "reason IN ('privileged_role', 'direct_access')"),
	"verify_log denied privileged_role auditor auditor\n"
	  . "direct_access denied direct_access auditor auditor\n"
	  . "card_challenge denied privileged_role dba dba",
	'each on record');

is(as_role($node, 'aud2', 'SET ROLE audit_team; SELECT ok FROM juki.verify_log()'), 't',
	'the chain, login_role and all, verifies');
$node->stop;
done_testing();
