# Fail closed: when the audit writer is stuck or gone, nothing is disclosed
# that is not durably on record, and nobody is left hanging.
#
# Since issue 16 a request makes its own entry durable in WAL and never
# waits for the writer: with the writer stuck, refusals are still refusals
# and still on record, and what they logged is filed once it resumes; what
# needs the writer's filing — a read of the log, which must not show an
# incomplete log as complete — is refused within juki.audit_wait_timeout
# (audit_unavailable).  The ring's "queue stayed full" case became the
# backlog bound, tested in 028_wal_append.pl (c).  With no writer at all the
# chain head is unknown, so nothing can be logged and everything that must
# be logged is refused.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use JukiNode;

my $node = juki_node('failclosed', conf => "juki.audit_wait_timeout = '200ms'\n");
$node->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud;');
my $pid = $node->safe_psql('postgres', 'SELECT writer_pid FROM juki.status()');

# (c) writer stuck
kill 'STOP', $pid;
my ($rc, $out, $err) = $node->psql('postgres', '/* tag stuck */ DELETE FROM juki.operation_log');
like($err, qr/juki refuses DELETE/, 'stuck writer: a refusal is still a refusal');
like($err, qr/recorded in the operation log/, 'stuck writer: and it is on record (in WAL)');
my $t0 = time;
($rc, $out, $err) = psql_as($node, "aud", 'SELECT count(*) FROM juki.operation_log');
my $elapsed = time - $t0;
isnt($rc, 0, 'stuck writer: an auditor read of the log fails');
is($out, '', 'stuck writer: nothing is disclosed');
like($err, qr/has not filed the newest entries/, 'stuck writer: says why');
like($err, qr/reason: audit_unavailable/, 'stuck writer: reason audit_unavailable');
cmp_ok($elapsed, '<', 30, 'stuck writer: the caller is not left hanging');

kill 'CONT', $pid;
wait_writer($node);
is(as_role($node, 'aud',
		"SELECT count(*) > 0 FROM juki.operation_log WHERE detail->>'query' LIKE '%tag stuck%'"),
	't', 'entries appended while the writer was stuck are filed once it resumes');
is(as_role($node, 'aud',
		"SELECT count(*) FROM juki.operation_log WHERE action = 'log_read' AND reason = 'audit_unavailable'"),
	'1', 'and the refused read is on record');
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

# no WAL retention possible (wal_level minimal: no replication slot): an
# entry could be lost with its WAL before it is filed, so juki refuses
# whatever must be logged, and says why
my $min = juki_node('minimal', conf => "wal_level = minimal\nmax_wal_senders = 0\n");
is($min->safe_psql('postgres', 'SELECT accepting FROM juki.status()'), 'f',
	'wal_level minimal: juki.status() shows it is not accepting');
($rc, $out, $err) = $min->psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud');
isnt($rc, 0, 'wal_level minimal: granting a juki role fails');
like($err, qr/reason: audit_unavailable; wal_level is minimal/, 'wal_level minimal: and says why');
$min->stop;

done_testing();
