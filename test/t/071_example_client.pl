# examples/counter_client.py keeps working (issue 19): a Python client
# (psycopg 3, server-side bound parameters, autocommit) logs two operators
# in with their card keys through pgbouncer in transaction pooling, then
# serves their lookups interleaved with the one-statement
# juki.lookup(purpose, code, token): each sees the fields of the purpose
# only, an unknown resident is no row, a refusal comes with its reason
# code read from the error's constraint_name field, and after logout the
# tokens are refused.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IO::Socket::INET;
use IPC::Run;
use Digest::SHA qw(sha256_hex);
use JukiNode;

my $python = '/usr/bin/python3';
my $pgbouncer = '/usr/sbin/pgbouncer';
plan skip_all => 'python3-psycopg, python3-cryptography or pgbouncer is missing (make test installs them)'
  unless -x $pgbouncer
  && system($python, '-c', 'import psycopg, cryptography') == 0;

my $node = juki_node('example', signing => 1);
juki_staff($node);
juki_operator($node, 'op2', 'OP2-CARD');

# residents: the first 30 codes of the test town are imported (juki_staff);
# an active one, and a valid code of a resident who is not in the register
my @town = sort { $a->[0] cmp $b->[0] }
  map { [ split /\t/ ] } split /\n/, slurp_file("$ENV{TESTDIR}/town.tsv");
my @active = map { $_->[0] } grep { $_->[12] eq 'active' } @town[ 0 .. 29 ];
my $unknown = $town[40][0];

# pgbouncer in transaction pooling in front of the node, as the terminal role
my $dir = $node->basedir;
my $port = PostgreSQL::Test::Cluster::get_free_port();
my $host = $node->host;
my $node_port = $node->port;
open my $ul, '>', "$dir/userlist.txt" or die;
print $ul qq{"terminal" ""\n};
close $ul;
open my $cf, '>', "$dir/pgbouncer.ini" or die;
print $cf <<"INI";
[databases]
postgres = host=$host port=$node_port dbname=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
close $cf;
system($pgbouncer, '-d', "$dir/pgbouncer.ini") == 0 or die "pgbouncer did not start";
END { kill 'TERM', slurp_file("$dir/pgbouncer.pid") =~ s/\s+//gr if $dir && -f "$dir/pgbouncer.pid"; }
for (1 .. 50)
{
	last if IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port);
	select undef, undef, undef, 0.1;
}

my $key = JukiNode::card_key();
my $pw = $JukiNode::PASSWORD;
my @client = ($python, 'examples/counter_client.py',
	'--dsn', "host=127.0.0.1 port=$port dbname=postgres user=terminal",
	'--operator', "OP1-CARD:$key:$pw", '--operator', "OP2-CARD:$key:$pw");

my ($out, $err) = run_client(@client, '--terminal', 'madoguchi-01', '--purpose', 'wide_area_copy_issuance', '--logout',
	$active[0], $active[1], $active[2], $unknown);
like($out, qr/^login OP1-CARD: ok$/m, 'operator 1 logged in with the card through the pool');
like($out, qr/^login OP2-CARD: ok$/m, 'operator 2 logged in with the card through the pool');
like($out, qr/^OP1-CARD $active[0]: resident_code=$active[0], .*full_name=/m,
	'operator 1 served the first lookup');
like($out, qr/^OP2-CARD $active[1]: resident_code=$active[1], .*full_name=/m,
	'operator 2 served the second, interleaved');
like($out, qr/^OP1-CARD $active[2]: resident_code=$active[2]/m, 'operator 1 the third');
unlike($out, qr/individual_number=|status=/, 'only the purpose\'s fields come back');
like($out, qr/^OP2-CARD $unknown: no such resident for this purpose$/m,
	'an unknown resident is no row');
like($out, qr/^logout OP1-CARD: ok$/m, 'logged out');

# a purpose op2 is not designated for: the reason comes as a field
($out, $err) = run_client($python, 'examples/counter_client.py',
	'--dsn', "host=127.0.0.1 port=$port dbname=postgres user=terminal",
	'--operator', "OP2-CARD:$key:$pw", '--terminal', 'madoguchi-02', '--purpose', 'move_in', $active[0]);
like($out, qr/^OP2-CARD $active[0]: refused, reason not_designated \(42501\): ask the security officer/m,
	'a refusal is acted on by its reason code, read from constraint_name');

# the tokens of the first run are gone: a lookup with one is refused
my ($rc, $stdout, $stderr) = psql_as($node, 'terminal',
	"SELECT count(*) FROM juki.lookup('wide_area_copy_issuance', '$active[0]', repeat('0', 64))");
like($stderr, qr/reason: not_authenticated/, 'a token that is no session is refused');

# server-side binding: the statements juki logged hold $1, $2, $3, not the
# token or the code
my $log = as_role($node, 'auditor',
	"SELECT count(*) || ' ' || string_agg(detail::text, ' | ') FROM juki.operation_log WHERE action = 'lookup'");
like($log, qr/^[1-9]/, 'the lookups are on record');

# the counter terminal (業務端末) given at login is in every entry of the
# sessions, and the log with the new field still verifies
like(as_role($node, 'auditor', q{
	SELECT count(*) FILTER (WHERE l.terminal IS DISTINCT FROM 'madoguchi-01') || ' ' || count(*)
	  FROM juki.operation_log l
	 WHERE l.session_id IN (SELECT x.session_id FROM juki.operation_log x
							 WHERE x.action = 'card_login' AND x.terminal = 'madoguchi-01')}),
	qr/^0 ([89]|\d\d+)$/,
	'every entry of the first run\'s sessions (2 logins, 4 lookups, 2 logouts) names its terminal');
is(as_role($node, 'auditor', q{
	SELECT count(*) FROM juki.operation_log WHERE terminal = 'madoguchi-02' AND action = 'lookup'
	   AND outcome = 'denied' AND reason = 'not_designated'}), '1',
	'the refused lookup names the second terminal');
is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't',
	'the log with terminals verifies');
# 提供状況 names the counter each disclosure was made at
is(as_role($node, 'auditor',
	"SELECT string_agg(DISTINCT terminal, ',') FROM juki.report_provision('$active[0]')"),
	'madoguchi-01', 'report_provision shows the terminal of the disclosure');

# and offline: an export, checked by juki_verify without a database
my $export = $node->basedir . '/export.txt';
open my $xf, '>', $export or die;
print $xf as_role($node, 'am', 'SELECT * FROM juki.export_log(0)'), "\n";
close $xf;
like(slurp_file($export), qr/"terminal":"madoguchi-01"/, 'the export carries the terminal field');
my ($vout, $verr) = run_command([ juki_verify_bin(), '--key', $node->basedir . '/keys/signing.pub', $export ]);
like($vout, qr/^OK: \d+ entries/, 'juki_verify accepts the export with terminals') or diag $verr;
# the Merkle tree's leaf of an entry with a terminal hashes the same
# canonical bytes as the chain (the export's line), terminal included
my ($cline) = grep { /"action":"card_login"/ && /"terminal":"madoguchi-01"/ } split /\n/, slurp_file($export);
my ($cseq) = ($cline // '') =~ /"seq":(\d+),/;
ok(defined $cseq, 'the export holds the card_login entry of the first terminal');
is(as_role($node, 'auditor', "SELECT encode(leaf_hash, 'hex') FROM juki.inclusion_proof($cseq)"),
	sha256_hex("\x00" . substr($cline, 65)),
	'its Merkle leaf is SHA-256(0x00 || the canonical entry with the terminal)');
unlike($log, qr/$active[0]/, 'no resident code inside a logged statement text');

done_testing();

sub run_client
{
	my @cmd = @_;
	my ($o, $e) = ('', '');
	IPC::Run::run(\@cmd, '>', \$o, '2>', \$e);
	note "client: @cmd[2 .. $#cmd]\n$o$e";
	return ($o, $e);
}
