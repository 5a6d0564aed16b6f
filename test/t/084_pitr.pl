# Point-in-time recovery to an earlier point (issue 18 §4): a base backup,
# WAL archived, lookups before and after a named restore point, a checkpoint
# and a clean stop published after it.  Recovery to the restore point ends on
# a new timeline: the writer records the promotion (with the history file's
# reason: the restore point) and the lost range up to the newest published
# checkpoint; the restored log holds the lookups made before the restore
# point and none after.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('pitr', allows_streaming => 1, signing => 1);
$node->enable_archiving;
restart_juki($node);
juki_staff($node);
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 8");

sub lookups
{
	my ($k) = @_;
	my $token = card_login($node, 'op1', 'OP1-CARD');
	as_role($node, 'op1', join('', map {
		"SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', '$codes[$_ % @codes]', '$token');\n"
	} 1 .. $k));
}
sub granted_lookups
{
	my ($n) = @_;
	return as_role($n, 'auditor', q{SELECT count(*) FROM juki.operation_log WHERE action = 'lookup' AND outcome = 'granted'});
}

lookups(2);
$node->backup('bk');
lookups(3);
my $before_rp = granted_lookups($node);
$node->safe_psql('postgres', "SELECT pg_create_restore_point('before_more')");
lookups(4);
my $cp = as_role($node, 'auditor', 'SELECT juki.checkpoint()');
my $walfile = $node->safe_psql('postgres', 'SELECT pg_walfile_name(pg_current_wal_lsn())');
$node->safe_psql('postgres', 'SELECT pg_switch_wal()');
$node->poll_query_until('postgres', "SELECT last_archived_wal >= '$walfile' FROM pg_stat_archiver")
  or die 'WAL not archived';
$node->stop('fast');
my @files = sort glob($node->basedir . '/checkpoints/*.checkpoint');
my ($newest) = $files[-1] =~ /-0*(\d+)\.checkpoint$/;

my $restored = PostgreSQL::Test::Cluster->new('pitr_restored');
$restored->init_from_backup($node, 'bk', has_restoring => 1, standby => 0);
$restored->append_conf('postgresql.conf',
	"recovery_target_name = 'before_more'\nrecovery_target_action = 'promote'\n");
$restored->start;
wait_writer($restored);

is(granted_lookups($restored), $before_rp, "the restored log holds the $before_rp lookups made before the restore point, none after");
my ($old, $new, $why) = split /\|/, as_role($restored, 'auditor', q{
	SELECT (detail->>'old_timeline') || '|' || (detail->>'new_timeline') || '|' || (detail->>'history_reason')
	  FROM juki.operation_log WHERE action = 'promotion'});
is("$old>$new", '1>2', 'recovery ended on a new timeline: a promotion entry');
like($why, qr/at restore point "before_more"/, 'naming the recovery target');
my ($reason, $to) = split /\|/, as_role($restored, 'auditor', q{
	SELECT reason || '|' || (detail->>'lost_to_seq') FROM juki.operation_log WHERE action = 'restore'});
is("$reason $to", "lost_range $newest", 'and the lost range up to the newest published checkpoint');
is(as_role($restored, 'auditor', q{SELECT string_agg(event, ',' ORDER BY seq) FROM juki.report_continuity()}),
	'promotion,restore', 'report_continuity() shows both');
$restored->stop;
done_testing();
