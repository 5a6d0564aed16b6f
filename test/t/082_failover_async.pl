# Failover to an asynchronous standby (issue 18 §2-3): what it had not
# received is lost, and juki says so.  The standby stops receiving, the
# primary goes on disclosing and publishes a signed checkpoint, then dies
# (kill -9); the standby is promoted.  Its writer records the promotion and
# a `restore` entry naming the lost range up to the published checkpoint,
# which covers every entry of the disclosures made after the standby fell
# behind: detected and recorded, never silent.  (Without a checkpoint
# published after them, nothing left on any server could show the loss:
# README "Operations" says what asynchronous replication can lose.)
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $primary = juki_node('primary', allows_streaming => 1, signing => 1);
juki_staff($primary);
my @codes = split /\n/, $primary->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 8");
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;

my $token = card_login($primary, 'op1', 'OP1-CARD');
$primary->wait_for_catchup($standby, 'replay');
$standby->stop('fast');    # it falls behind: receives nothing from here on

my $behind = as_role($primary, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $rows = as_role($primary, 'op1', join('', map {
	"SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', '$codes[$_]', '$token');\n" } 0 .. 4));
is(scalar(split /\n/, $rows), 5, 'the primary disclosed five rows after the standby fell behind');
my $lookups = as_role($primary, 'auditor', qq{SELECT min(seq) || ' ' || max(seq) FROM juki.operation_log
	WHERE seq > $behind AND action = 'lookup' AND outcome = 'granted'});
my ($first_lost, $last_lost) = split / /, $lookups;
my $cp = as_role($primary, 'auditor', 'SELECT juki.checkpoint()');
my ($cp_seq) = $cp =~ / seq=(\d+) /;
$primary->kill9;

$standby->start;
$standby->promote;
wait_writer($standby);
my $r = as_role($standby, 'auditor', q{
	SELECT reason || ' ' || (detail->>'lost_from_seq') || ' ' || (detail->>'lost_to_seq') || ' '
		|| (detail->>'checkpoint_seq')
	  FROM juki.operation_log WHERE action = 'restore'});
my ($reason, $from, $to, $proof) = split / /, $r;
is($reason, 'lost_range', 'the promoted standby records a lost range');
ok($from <= $first_lost && $to >= $last_lost,
	"it covers the entries of every disclosure it never received ($first_lost-$last_lost within $from-$to)");
is($proof, $cp_seq, 'proved by the checkpoint the primary published');
is(as_role($standby, 'auditor', qq{SELECT count(*) FROM juki.operation_log
	WHERE seq BETWEEN $first_lost AND $last_lost AND action = 'lookup'}), '0',
	'(those entries are indeed not on the new primary)');
is(as_role($standby, 'auditor', q{SELECT string_agg(event, ',' ORDER BY seq) FROM juki.report_continuity()}),
	'promotion,restore', 'report_continuity() shows the promotion and the loss');
like(slurp_file($standby->logfile), qr/WARNING:  juki's log ends at seq \d+ but a checkpoint at seq $cp_seq was published/,
	'with a warning in the server log');
$standby->stop;

# a log created on a server that was promoted before juki came: it records
# the timeline it starts on, and no promotion it never saw
my $bare = juki_node('bare', allows_streaming => 1, no_extension => 1);
$bare->backup('bare');
my $copy = PostgreSQL::Test::Cluster->new('copy');
$copy->init_from_backup($bare, 'bare', has_streaming => 1);
$copy->start;
$copy->promote;
$copy->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()');
$copy->safe_psql('postgres', 'CREATE EXTENSION juki CASCADE');
wait_writer($copy);
$copy->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
is(as_role($copy, 'aud', q{SELECT string_agg(action || coalesce(':' || (detail->>'new_timeline'), ''), ',' ORDER BY seq)
	FROM juki.operation_log WHERE seq < 3}), 'genesis,worker_start,timeline:2',
	'a new log on timeline 2 records its timeline, and no promotion');
$copy->stop;
$bare->stop;
done_testing();
