# Issue 16, item 7: juki's log travels in WAL records of its own resource
# manager.  A standby with juki preloaded replays them (redo changes
# nothing) and still discloses nothing: every request that must be logged
# is refused there.  A standby without juki in shared_preload_libraries
# cannot replay them: its recovery stops at the first juki record, so it
# never runs as an unguarded copy of the register.
# (Promotion and failover are issue 18's.)
# Shown to fail: with juki_wal_register() removed from _PG_init, the first
# standby stops too ("resource manager with ID 211 not registered") and
# check 1 never passes (the wait for its catch-up times out).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $primary = juki_node('primary', allows_streaming => 1);
$primary->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
$primary->backup('b');

# juki's records after the backup's checkpoint: a standby must replay them
$primary->psql('postgres', "/* tag standby $_ */ DELETE FROM juki.operation_log") for 1 .. 3;

my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);
is($standby->safe_psql('postgres', 'SELECT standby FROM juki.status()'), 't',
	'a standby with juki replays juki\'s records');
my ($rc, $out, $err) = $standby->psql('postgres', 'GRANT juki_auditor TO aud');
like($err, qr/juki|read-only/, 'on the standby a statement juki must log is refused');
($rc, $out, $err) = $standby->psql('postgres', '/* tag on standby */ DELETE FROM juki.operation_log');
isnt($rc, 0, 'a direct DELETE of the log is refused on the standby');
$primary->psql('postgres', "/* tag standby later */ DELETE FROM juki.operation_log");
$primary->wait_for_catchup($standby);
is(as_role($primary, 'aud',
		"SELECT count(*) FROM juki.operation_log WHERE detail->>'query' LIKE '%tag standby%'"),
	'4', 'the primary filed its entries while the standby replayed them');

# a standby without juki preloaded: recovery stops at juki's first record
my $plain = PostgreSQL::Test::Cluster->new('plainstandby');
$plain->init_from_backup($primary, 'b', has_streaming => 1);
$plain->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
my $started = $plain->start(fail_ok => 1);
my $ok = 0;
for (1 .. 100)
{
	my $log = slurp_file($plain->logfile);
	if ($log =~ /resource manager with ID 211|rmgr.*211|invalid resource manager ID 211/)
	{
		$ok = 1;
		last;
	}
	select(undef, undef, undef, 0.1);
}
ok($ok, 'a standby without juki cannot replay juki\'s records: its recovery stops');
$plain->stop('immediate', fail_ok => 1) if $started;

$standby->stop;
$primary->stop;
done_testing();
