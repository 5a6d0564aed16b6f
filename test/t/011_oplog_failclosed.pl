# Fail closed: when the audit writer is stuck, gone, or its queue is full,
# callers get an error within juki.audit_wait_timeout and nothing is
# disclosed; nothing already queued is lost.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use JukiNode;

my $node = juki_node('failclosed',
	conf => "juki.audit_wait_timeout = '200ms'\njuki.audit_queue_size = '64kB'\n");
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
my $pid = $node->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');

# (c) writer stuck
kill 'STOP', $pid;
my $t0 = time;
my ($rc, $out, $err) = psql_as($node, "aud",
	'SELECT count(*) FROM juki.operation_log');
my $elapsed = time - $t0;
isnt($rc, 0, 'stuck writer: an auditor read fails');
is($out, '', 'stuck writer: nothing is disclosed');
like($err, qr/cannot make the audit record of this request durable/, 'stuck writer: says why');
like($err, qr/reason: audit_unavailable/, 'stuck writer: reason audit_unavailable');
cmp_ok($elapsed, '<', 30, 'stuck writer: the caller is not left hanging');

($rc, $out, $err) = $node->psql('postgres', '/* tag stuck */ DELETE FROM juki.operation_log');
like($err, qr/juki refuses DELETE/, 'stuck writer: a refusal is still a refusal');
like($err, qr/could not be logged/, 'stuck writer: and says it could not be confirmed in the log');

# a full queue: big records (the statement is kept) until the ring is full
my $pad = 'x' x 1900;
my $full = 0;
for my $i (1 .. 80)
{
	($rc, $out, $err) =
	  $node->psql('postgres', "/* $pad */ DELETE FROM juki.operation_log WHERE seq = -$i");
	if ($err =~ /audit queue stayed full/)
	{
		$full = 1;
		last;
	}
}
ok($full, 'full queue: callers are told the queue stayed full');

kill 'CONT', $pid;
wait_writer($node);
is(as_role($node, 'aud',
		"SELECT count(*) > 0 FROM juki.operation_log WHERE detail->>'query' LIKE '%tag stuck%'"),
	't', 'records queued while the writer was stuck are written once it resumes');
is(as_role($node, 'aud', 'SELECT ok FROM juki.verify_log()'), 't', 'and the chain verifies');
$node->stop;

# writer gone: no worker slot for it, so it never starts
my $gone = juki_node('gone', conf => "max_worker_processes = 0\njuki.audit_wait_timeout = '1s'\n",
	no_extension => 1);
$gone->safe_psql('postgres', 'CREATE EXTENSION juki CASCADE; CREATE ROLE aud LOGIN;');
# every GRANT of a juki role is logged; one that cannot be logged is refused
($rc, $out, $err) = $gone->psql('postgres', 'GRANT juki_auditor TO aud');
isnt($rc, 0, 'no writer: granting a juki role fails');
like($err, qr/reason: audit_unavailable/, 'no writer: reason audit_unavailable');
is($gone->safe_psql('postgres', "SELECT pg_has_role('aud', 'juki_auditor', 'MEMBER')"), 'f',
	'no writer: the grant did not happen');
($rc, $out, $err) = $gone->psql('postgres', 'SELECT count(*) FROM juki.operation_log');
isnt($rc, 0, 'no writer: a read of the log is refused');
like($err, qr/could not be logged/, 'no writer: and says the refusal could not be logged');
is($gone->safe_psql('postgres', 'SELECT writer_pid IS NULL FROM juki.status()'), 't',
	'no writer: juki.status() shows it');
$gone->stop;

done_testing();
