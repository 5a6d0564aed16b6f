# Failover with a synchronous standby (issue 18 §1-2).  The audit writer
# commits each batch with synchronous_commit = on, so with
# synchronous_standby_names set a record is on the standby before anything
# is disclosed.  A hot standby with juki preloaded replays the log, refuses
# disclosures and says in juki.status() that it is a standby and how far
# behind.  Under a load of 16 authenticated sessions the primary is killed
# (kill -9) and the standby promoted: every row a client received has its
# entry on the new primary, the chain verifies (with the checkpoint files
# the old primary published), no seq is reused or missing, the promotion is
# on record (old and new timeline, last entry before, first after), and the
# new primary goes on disclosing, logging and signing.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use IPC::Run;
use JukiNode;

my $primary = juki_node('primary', allows_streaming => 1, signing => 1,
	conf => "juki.window_rows = 100000000\nwal_keep_size = '256MB'\nmax_connections = 40\n");
my %op = (op1 => juki_staff($primary, residents => 200));
$op{op2} = juki_operator($primary, 'op2', 'OP2-CARD');
my @codes = split /\n/, $primary->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1");
my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
my %cards = (op1 => [ map { "OP1-FO-$_" } 1 .. 8 ], op2 => [ map { "OP2-FO-$_" } 1 .. 8 ]);
for my $role (sort keys %cards)
{
	as_role($primary, 'am',
		join('', map { "SELECT juki.register_card($op{$role}, '$_', '$pub', current_date + 30);\n" }
			  @{ $cards{$role} }));
}

# the standby: a base backup of the primary, streaming; it shares the
# primary's settings, so the same signing key and checkpoint directory
$primary->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'base', has_streaming => 1);
$standby->start;
$primary->append_conf('postgresql.conf', "synchronous_standby_names = '*'\n");
$primary->reload;
$primary->poll_query_until('postgres',
	"SELECT sync_state = 'sync' FROM pg_stat_replication") or die 'no synchronous standby';
my $line = as_role($primary, 'auditor', 'SELECT juki.checkpoint()');
like($line, qr/^juki-checkpoint\//, 'a checkpoint is published before the load');
$primary->wait_for_catchup($standby, 'replay');

# status() on both sides; the standby answers without refusing
is($primary->safe_psql('postgres', 'SELECT standby, timeline, replay_lsn IS NULL FROM juki.status()'),
	'f|1|t', 'status() on the primary: not a standby, timeline 1');
my ($rc, $st, $err) = $standby->psql('postgres',
	"SELECT standby, timeline, replay_lsn IS NOT NULL, receive_lsn IS NOT NULL, replay_lag >= interval '0' FROM juki.status()");
is($rc, 0, 'status() answers on the standby') or diag($err);
is($st, 't|1|t|t|t', 'status() on the standby: a standby, its timeline, replay and receive LSN, the lag');
my $token = card_login($primary, 'op1', 'OP1-CARD');
($rc, undef, $err) = $standby->psql('postgres',
	"SELECT * FROM juki.lookup('wide_area_copy_issuance', '$codes[0]', '$token')",
	extra_params => [ '-U', 'op1' ]);
like($err, qr/reason: standby|this server is a standby/, 'the standby discloses nothing');
($rc, undef, $err) = psql_as($standby, 'auditor', 'SELECT count(*) FROM juki.operation_log');
like($err, qr/this server is a standby/, 'nor lets the log be read: a read that cannot be logged is refused');

# the load: 16 sessions of two operators, each keeping a ledger of rows
my $dir = $primary->basedir;
my $start = as_role($primary, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $psql = $primary->installed_command('psql');
my @h;
for my $role (sort keys %cards)
{
	my @tokens = card_logins($primary, $role, @{ $cards{$role} });
	for my $c (1 .. 8)
	{
		my $script = "$dir/client.$role.$c.sql";
		open my $fh, '>', $script or die;
		print $fh "\\set ON_ERROR_STOP 1\n\\pset tuples_only on\n\\pset format unaligned\n";
		for my $i (1 .. 400)
		{
			my $code = $codes[($c * 37 + $i + ($role eq 'op1' ? 0 : 100)) % @codes];
			print $fh "BEGIN;\nSELECT juki.attach('$tokens[$c - 1]') \\gset\n"
			  . "SELECT 'ROW ' || resident_code FROM juki.lookup('wide_area_copy_issuance', '$code');\nCOMMIT;\n";
		}
		close $fh;
		push @h, IPC::Run::start(
			[ $psql, '-X', '-q', '-h', $primary->host, '-p', $primary->port, '-U', $role, '-d', 'postgres',
			  '-f', $script ],
			'>', "$dir/fo.$role.$c", '2>', '/dev/null');
	}
}

sub ledger
{
	my %rows;
	for my $f (glob "$dir/fo.*")
	{
		my ($role) = $f =~ /fo\.(op\d)\./;
		open my $fh, '<', $f or die;
		while (<$fh>) { $rows{"$op{$role} $1"}++ if /^ROW (\d{11})$/; }
	}
	return \%rows;
}
for (1 .. 400)
{
	my $n = 0;
	$n += $_ for values %{ ledger() };
	last if $n >= 200;
	usleep(50_000);
}
$primary->kill9;
for my $h (@h) { $h->signal('KILL'); $h->finish; }
my $received = ledger();
my $n = 0;
$n += $_ for values %$received;

# promote: the writer starts on the new primary and continues the chain
$standby->promote;
wait_writer($standby);
my %logged;
for (split /\n/, as_role($standby, 'auditor', qq{
	SELECT l.operator_id || ' ' || (l.criteria->>'resident_code') || ' ' || count(*)
	  FROM juki.operation_log l
	 WHERE l.seq > $start AND l.action = 'lookup' AND l.outcome = 'granted'
	   AND NOT EXISTS (SELECT 1 FROM juki.operation_log w WHERE w.seq > l.seq AND w.action = 'withheld'
						AND (w.detail->>'withheld_seq')::bigint = l.seq)
	 GROUP BY l.operator_id, l.criteria->>'resident_code'}))
{
	my ($o, $code, $k) = split / /;
	$logged{"$o $code"} = $k;
}
my @short = grep { ($logged{$_} // 0) < $received->{$_} } sort keys %$received;
# The standby has every entry in its WAL (synchronous); the new primary's
# writer reads all WAL still in pg_wal when it creates juki's slot (slots
# are not replicated), so the entries the old primary had not filed are
# filed now, not lost.
ok($n >= 100 && !@short, "$n rows received by 16 sessions, each has its entry on the new primary")
  or diag('received more often than logged: ' . join(', ', @short));

my $promo = as_role($standby, 'auditor', q{
	SELECT l.seq || '|' || (l.detail->>'old_timeline') || '|' || (l.detail->>'new_timeline') || '|'
		|| (l.detail->>'last_seq_before') || '|' || (l.detail->>'first_seq_after') || '|'
		|| (l.detail->>'last_hash_before' = encode(b.hash, 'hex'))
	  FROM juki.operation_log l JOIN juki.operation_log b ON b.seq = (l.detail->>'last_seq_before')::bigint
	 WHERE l.action = 'promotion'});
my ($pseq, $old_tl, $new_tl, $before, $after, $hash_ok) = split /\|/, $promo;
is("$old_tl $new_tl", '1 2', 'a promotion entry names the old and the new timeline');
ok($before >= $start && $after == $before + 1 && $pseq > $after,
	"it names the last entry before ($before) and the first after ($after)");
is($hash_ok, 'true', 'and the hash of the last entry before');
is(as_role($standby, 'auditor', qq{SELECT string_agg(action, ',' ORDER BY seq) FROM juki.operation_log
	WHERE seq IN ($before + 1, $before + 2)}),
	'worker_start,promotion', 'the new primary\'s writer starts right after the last entry it holds');
is(as_role($standby, 'auditor', 'SELECT max(seq) - min(seq) + 1 = count(*) FROM juki.operation_log'), 't',
	'no seq missing (and the primary key: none twice)');
is(as_role($standby, 'auditor', "SELECT count(*) FROM juki.operation_log WHERE action = 'restore'"), '0',
	'nothing lost: no restore entry');
is(as_role($standby, 'auditor', 'SELECT ok, checkpoint_files >= 1 FROM juki.verify_log()'), 't|t',
	'the chain verifies, with the checkpoint the old primary published');
is($standby->safe_psql('postgres', 'SELECT standby, timeline FROM juki.status()'), 'f|2',
	'status() on the new primary: timeline 2');

# the new primary discloses, logs and signs
$token = card_login($standby, 'op1', 'OP1-CARD');
is(as_role($standby, 'op1', "SELECT resident_code FROM juki.lookup('wide_area_copy_issuance', '$codes[1]', '$token')"),
	$codes[1], 'the new primary discloses');
like(as_role($standby, 'auditor', 'SELECT juki.checkpoint()'), qr/^juki-checkpoint\//,
	'and signs a checkpoint after the published one');
is(as_role($standby, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain still verifies');
my $report = as_role($standby, 'auditor', q{SELECT event || ':' || new_timeline FROM juki.report_continuity()});
is($report, 'promotion:2', 'report_continuity() shows the promotion');

$standby->stop;
done_testing();
