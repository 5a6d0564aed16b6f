# juki with and without shared_preload_libraries, and across restarts.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

# Without preload CREATE EXTENSION works (so does a restore), the pure
# validators work, and anything needing enforcement says what is missing.
my $plain = juki_node('plain', preload => 0);
is($plain->safe_psql('postgres',
		"SELECT extversion = default_version FROM pg_extension, pg_available_extensions "
		  . "WHERE extname = 'juki' AND name = 'juki'"),
	't', 'CREATE EXTENSION works without preload (the newest version)');
is($plain->safe_psql('postgres', "SELECT juki.is_valid_individual_number('123456789018')"),
	't', 'validators work without preload');
is($plain->safe_psql('postgres',
		'SELECT preloaded, writer_pid IS NULL, sql_current FROM juki.status()'),
	'f|t|t', 'juki.status() answers without preload, and says it is not preloaded');
my ($rc, $out, $err) = $plain->psql('postgres', "SELECT juki.card_challenge('X')");
isnt($rc, 0, 'functions that need enforcement fail without preload');
like($err, qr/juki must be loaded via shared_preload_libraries/, 'and say why');
like($err, qr/HINT:.*shared_preload_libraries in postgresql.conf/, 'and how to fix it');
$plain->stop;

# With preload: GUC prefix reserved, settings from postgresql.conf in force,
# and everything survives a restart.
my $node = juki_node('loaded', conf => "juki.idle_timeout = '2min'\n");
is($node->safe_psql('postgres', 'SELECT preloaded FROM juki.status()'), 't', 'preloaded');
is($node->safe_psql('postgres', 'SHOW juki.idle_timeout'), '2min', 'setting from postgresql.conf');
$node->append_conf('postgresql.conf', "juki.idle_timout = '1min'\n");
$node->restart;
like(slurp_file($node->logfile), qr/invalid configuration parameter name "juki.idle_timout"/,
	'a misspelt juki.* setting in postgresql.conf is reported at start');
# juki's tables are closed to everyone: purposes are read through
# juki.purposes() by a member of a juki role
$node->safe_psql('postgres',
	'CREATE ROLE tap_sysadmin LOGIN; GRANT juki_system_administrator TO tap_sysadmin');
is(as_role($node, 'tap_sysadmin', 'SELECT count(*) FROM juki.purposes()'), '20',
	'seed purposes survive a restart');
is($node->safe_psql('postgres', 'SELECT preloaded FROM juki.status()'), 't', 'still preloaded after restart');
$node->stop;

done_testing();
