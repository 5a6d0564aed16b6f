# Retention: entries older than juki.log_retention and covered by an export
# receipt are purged, leaving an anchor from which verification continues;
# unexported old entries and young entries are kept.  juki has no knob that
# moves its clock: this test moves the operating system's clock for the
# server with libfaketime, and juki records the jump (days_since_last_entry).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);
use JukiNode;

my ($faketime) = grep { -e $_ } glob('/usr/lib/*/faketime/libfaketimeMT.so.1');
plan skip_all => 'libfaketime is not installed' unless $faketime;

my $node = juki_node('retention', signing => 1);
$node->safe_psql('postgres',
	'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud; CREATE ROLE mgr LOGIN; GRANT juki_access_manager TO mgr;');
for my $i (1 .. 5)
{
	$node->psql('postgres', "/* old $i */ DELETE FROM juki.operation_log");
}
my $old_head = as_role($node, 'aud', 'SELECT max(seq) FROM juki.operation_log');
$node->stop('fast');

# eight years later (libfaketime moves the clock of the client backends;
# PostgreSQL 15 forks some auxiliary processes where it does not apply)
{
	local $ENV{LD_PRELOAD} = $faketime;
	local $ENV{FAKETIME} = '+8y';
	start_juki($node);
}
# the first record stamped by the moved clock.  The entry is written with
# that record; if the refusal's wait timed out (a loaded machine), it is
# written later, and a statement sees only what was committed when it
# began: look with new statements until it is there (bounded).
$node->psql('postgres', '/* new */ DELETE FROM juki.operation_log');
my $jump = '';
for (1 .. 600)
{
	$jump = as_role($node, 'aud',
		"SELECT detail->>'direction' || ' ' || (detail->>'days') FROM juki.operation_log WHERE action = 'clock_jump' ORDER BY seq DESC LIMIT 1");
	last if $jump ne '';
	sleep 0.1;
}
like($jump, qr/^forward 29\d\d$/, 'the clock jump is on record');
my $young = as_role($node, 'aud',
	"SELECT min(seq) FROM juki.operation_log WHERE ts >= now() - interval '7 years'");

# old but not exported: kept
my ($rc, $out, $err) = psql_as($node, "mgr", 'SELECT juki.purge_expired_log()');
is($out, '0', 'old but unexported entries are not purged');
like($err, qr/reason: not_exported/, 'and the NOTICE says why');
like($err, qr/HINT:  Export them first/, 'and how to go on');

# exported: purged up to the last old entry, not beyond
as_role($node, 'mgr', "SELECT count(*) FROM juki.export_log(0)");
my $purged = as_role($node, 'mgr', 'SELECT juki.purge_expired_log()');
cmp_ok($purged, '>', 0, 'old exported entries are purged');
my $first = as_role($node, 'aud', 'SELECT min(seq) FROM juki.operation_log');
is($first, $young, 'only entries older than the retention were purged');
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't',
	'verification continues from the purge anchor');
is(as_role($node, 'aud',
		"SELECT detail->>'through_seq' || '/' || outcome FROM juki.operation_log WHERE action = 'purge_expired_log' ORDER BY seq DESC LIMIT 1"),
	($young - 1) . '/granted', 'the purge itself is on record');
($rc, $out, $err) = psql_as($node, "mgr", 'SELECT count(*) FROM juki.export_log(0)');
like($err, qr/were purged/, 'purged entries cannot be exported again');
# the setting cannot shorten retention
($rc, $out, $err) = $node->psql('postgres', 'ALTER SYSTEM SET juki.log_retention = 5');
like($err, qr/juki refuses ALTER SYSTEM on setting juki.log_retention/,
	'ALTER SYSTEM cannot touch juki.log_retention');
$node->append_conf('postgresql.conf', "juki.log_retention = 5\n");
$node->reload;
my $refused = 0;
for (1 .. 100)
{
	$refused = 1, last
	  if slurp_file($node->logfile) =~ /5 is outside the valid range for parameter "juki.log_retention"/;
	sleep 0.1;
}
ok($refused, 'juki.log_retention below 7 in postgresql.conf is refused at reload');
$node->stop('fast');
done_testing();
