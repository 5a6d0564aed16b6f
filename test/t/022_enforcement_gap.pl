# juki notices at start-up that the server ran without it since its last
# clean stop (nothing was guarded or logged meanwhile) and says so in the log.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('gap');
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
my $gaps = sub {
	as_role($node, 'aud',
		"SELECT coalesce(string_agg(reason || ':' || coalesce(detail->>'runs_without_juki', '?'), ' ' ORDER BY seq), 'none') "
		  . "FROM juki.operation_log WHERE action = 'enforcement_gap'");
};

# an ordinary restart with juki: no gap
restart_juki($node);
is($gaps->(), 'none', 'a clean restart with juki is not a gap');
like(as_role($node, 'aud',
		"SELECT detail->>'wal_lsn' FROM juki.operation_log WHERE action = 'worker_stop' ORDER BY seq DESC LIMIT 1"),
	qr{^[0-9A-F]+/[0-9A-F]+$}, 'worker_stop records where the WAL stood');

# two runs without juki: the guard is gone, a superuser reads the residents' table
$node->stop('fast');
set_preload($node, 0);
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM juki.operation_log') > 0, 1,
	'without juki a superuser reads its tables (nothing guards them)');
$node->restart;
# ... and turns a refusal into a grant in the log
my $victim = $node->safe_psql('postgres',
	"SELECT min(seq) FROM juki.operation_log WHERE outcome = 'granted' AND action = 'role_grant'");
$node->safe_psql('postgres',
	"UPDATE juki.operation_log SET detail = jsonb_set(detail, '{grantee}', '\"mallory\"') WHERE seq = $victim");
$node->stop('fast');
set_preload($node, 1);
start_juki($node);
is($gaps->(), 'ran_without_juki:2', 'juki notices two runs without it and logs an enforcement gap');
like(slurp_file($node->logfile), qr/the server ran without juki since juki's last stop/,
	'and warns in the server log');
is(as_role($node, 'aud', 'SELECT first_bad_seq || \' \' || ok FROM juki.verify_log()'), "$victim false",
	'the entry edited while juki was not loaded is named by verify_log');

# after a crash of the server with juki there is no worker_stop to compare with:
# that is reported as a crash, not a gap
$node->stop('immediate');
start_juki($node);
is($gaps->(), 'ran_without_juki:2', 'an immediate stop is a crash, not a gap');
is(as_role($node, 'aud',
		"SELECT reason FROM juki.operation_log WHERE action = 'worker_start' ORDER BY seq DESC LIMIT 1"),
	'recovered_after_crash', 'and the start after it says so');
is(as_role($node, 'aud', 'SELECT first_bad_seq FROM juki.verify_log()'), $victim,
	'and still is after the crash');
$node->stop;
done_testing();
