# The audit writer never waits on its own queue.  With the smallest ring
# (juki.audit_queue_size = 64kB) kept full by forty clients whose refusals
# carry 1.9 kB of statement each, and a checkpoint signed every second, no
# request waits anywhere near juki.audit_wait_timeout, nothing fails with
# audit_unavailable, and the writer's own entries keep their place in the
# chain: the time of the entries never goes back along seq.  (On the
# previous writer, which queued its own entries and waited for room only it
# could free, 2,000 lookups took 17 s, the slowest 10 s, some failed with
# audit_unavailable and entries went back in time: 5 of these 7 failed.)
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use IPC::Run;
use JukiNode;

my $timeout_s = 10;
my $node = juki_node('ring', signing => 1,
	conf => "juki.audit_queue_size = '64kB'\njuki.checkpoint_interval = '1s'\n"
	  . "juki.audit_wait_timeout = '${timeout_s}s'\nmax_connections = 80\n");
my $op = juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');
my $dir = $node->basedir;
my $psql = $node->installed_command('psql');
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1");
my $start_seq = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');

# forty clients, each refused statement holding a 1.9 kB comment (kept in the
# entry as evidence): about 2 kB a record, forty waiting at once, 64 kB of ring
my $pad = 'x' x 1900;
my @load;
my $load = "$dir/load.sql";
open my $lfh, '>', $load or die;
print $lfh "/* $_ $pad */ DELETE FROM juki.operation_log WHERE seq = -1;\n" for 1 .. 3000;
close $lfh;
for my $c (1 .. 40)
{
	push @load, IPC::Run::start(
		[ $psql, '-X', '-q', '-h', $node->host, '-p', $node->port, '-d', 'postgres', '-f', $load ],
		'>', '/dev/null', '2>', "$dir/load.$c.err");
}

# meanwhile an operator's lookups, each timed
my $script = "$dir/lookups.sql";
open my $fh, '>', $script or die;
print $fh "\\timing on\n";
for my $i (0 .. 1999)
{
	my $code = $codes[$i % @codes];
	print $fh "SELECT 'ROW ' || resident_code FROM juki.lookup('wide_area_copy_issuance', '$code', '$token');\n";
}
close $fh;
usleep(2_000_000);    # the ring fills
my ($out, $err) = ('', '');
my $t0 = time;
IPC::Run::run([ $psql, '-X', '-At', '-h', $node->host, '-p', $node->port, '-U', 'op1', '-d', 'postgres',
		'-f', $script ], '>', \$out, '2>', \$err);
my $elapsed = time - $t0;
my $fill = $node->safe_psql('postgres', 'SELECT queued_bytes * 100 / queue_capacity FROM juki.status()');
for my $h (@load) { $h->signal('KILL'); $h->finish; }

my @ms = $out =~ /^Time: ([\d.]+) ms/mg;
my $rows = () = $out =~ /^ROW \d{11}$/mg;
my $max = (sort { $b <=> $a } @ms)[0] // 0;
note(sprintf('%d lookups in %.1f s, slowest %.0f ms, ring %d%% full at the end', $rows, $elapsed, $max, $fill));
is($rows, 2000, 'every lookup under the full ring is answered');
unlike($err, qr/audit_unavailable/, 'no lookup fails with audit_unavailable');
cmp_ok($max, '<', $timeout_s * 1000 / 2, 'no lookup waits anywhere near juki.audit_wait_timeout');
my $unlogged = 0;
for my $c (1 .. 40)
{
	my $e = slurp_file("$dir/load.$c.err");
	$unlogged++ while $e =~ /could not be logged/g;
}
is($unlogged, 0, 'no refusal of the load went unconfirmed in the log');
my $checkpoints = as_role($node, 'auditor',
	"SELECT count(*) FROM juki.operation_log WHERE seq > $start_seq AND action = 'checkpoint' AND outcome = 'granted'");
cmp_ok($checkpoints, '>=', 3, "the writer signed checkpoints meanwhile ($checkpoints)");
is(as_role($node, 'auditor', qq{
	SELECT count(*) FROM (SELECT ts < lag(ts) OVER (ORDER BY seq) AS back
		FROM juki.operation_log WHERE seq > $start_seq) x WHERE back}), '0',
	"the writer's own entries are in chain order: ts never goes back along seq");
is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies');
$node->stop;
done_testing();
