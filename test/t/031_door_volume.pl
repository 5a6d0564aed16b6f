# Volume over time (issue 13, class 9): the window of rows an operator may
# disclose without a bulk permit is counted per operator, in shared memory,
# and rebuilt from the operation log after a restart; so neither many
# one-statement requests, nor new connections, nor new logins, nor a restart
# start it afresh.  It slides: nine hours later (libfaketime) it is empty
# again.  The table of windows is bounded (4 × juki.max_sessions) and fails
# closed when full.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my ($faketime) = grep { -e $_ } glob('/usr/lib/*/faketime/libfaketimeMT.so.1');

my $node = juki_node('door_volume',
	conf => "juki.max_sessions = 10\njuki.window_rows = 30\njuki.statement_rows = 5\n");
my $op = juki_staff($node);
my @codes = split /\n/, $node->safe_psql('postgres',
	"SELECT resident_code FROM staging.town WHERE status = 'active' ORDER BY 1");
my $purpose = 'wide_area_copy_issuance';

# n one-statement requests (a pooled application's form: attach and lookup in
# one call, each its own transaction) from one connection, starting at
# resident $from; returns (granted, the refusal reasons in order)
sub lookups
{
	my ($token, $n, $from, $p) = @_;
	$p //= $purpose;
	my $sql = '';
	for my $i (0 .. $n - 1)
	{
		my $code = $codes[ ($from + $i) % @codes ];
		$sql .= "SELECT (juki.lookup('$p', '$code', '$token')).resident_code IS NOT NULL;\n";
	}
	my ($rc, $out, $err) = psql_as($node, 'terminal', $sql, on_error_stop => 0);
	my $granted = () = $out =~ /^t$/mg;
	my @reasons = $err =~ /reason: (\w+)/g;
	return ($granted, @reasons);
}

sub log_count
{
	my ($where) = @_;
	return as_role($node, 'auditor', "SELECT count(*) FROM juki.operation_log WHERE $where");
}

# 1. Many single requests: thirty fit in the window, the rest are refused,
#    each refusal on record.
my $token = card_login($node, 'op1', 'OP1-CARD');
my ($granted, @reasons) = lookups($token, 34, 0);
is($granted, 30, 'thirty one-statement lookups fit in the window (juki.window_rows = 30)');
is(join(',', @reasons), 'volume_exceeded,volume_exceeded,volume_exceeded,volume_exceeded',
	'the four beyond it are refused: volume_exceeded');
is(log_count("action = 'lookup' AND reason = 'volume_exceeded' AND detail->>'ceiling' = 'window'"),
	'4', 'each refusal is on record with its ceiling');

# 2. Another connection, another login: the window is the operator's.
my $token2 = card_login($node, 'op1', 'OP1-CARD');
($granted, @reasons) = lookups($token2, 1, 40);
is("$granted @reasons", '0 volume_exceeded', 'a new login of the same operator is still refused');

# 3. A restart empties shared memory; the window is rebuilt from the log.
restart_juki($node);
$token = card_login($node, 'op1', 'OP1-CARD');
($granted, @reasons) = lookups($token, 1, 41);
is("$granted @reasons", '0 volume_exceeded', 'after a restart the window is rebuilt from the log: still refused');
# the other purpose of the operator has its own window, untouched
($granted, @reasons) = lookups($token, 2, 42, 'move_in');
is("$granted @reasons", '2 ', 'another purpose has its own window');

SKIP:
{
	skip 'libfaketime is not installed', 4 unless $faketime;

	# 4. Nine hours later the eight-hour window is empty again.
	$node->stop('fast');
	{
		local $ENV{LD_PRELOAD} = $faketime;
		local $ENV{FAKETIME} = '+9h';
		start_juki($node);
	}
	$token = card_login($node, 'op1', 'OP1-CARD');
	($granted, @reasons) = lookups($token, 2, 43);
	is("$granted @reasons", '2 ', 'nine hours later the window has slid past the old disclosures');

	# 5. The table of windows is bounded (4 × juki.max_sessions = 40): the
	#    request that would need a forty-first window is refused, on record.
	my @p = map { sprintf('tap_p%02d', $_) } 1 .. 41;
	as_role($node, 'sysadmin', join('', map {
		"SELECT juki.define_purpose('$_', 'tap', 'tap', '住民課', '{full_name,resident_code}', '{resident_code}', 5);\n"
	} @p));
	as_role($node, 'officer', "SELECT juki.designate($op, ARRAY['" . join("','", @p) . "'], current_date + 30, 'tap');");
	as_role($node, 'op1', "BEGIN; SELECT juki.attach('$token');\n"
		  . join('', map { "SELECT juki.request_permit('$_', 'tap', now() + interval '1 day');\n" } @p)
		  . "COMMIT;");
	as_role($node, 'officer',
		"SELECT count(juki.approve_permit(id)) FROM juki.permits() WHERE status = 'pending'");
	my ($ok, @why) = (0);
	for my $q (@p)
	{
		my ($g, @r) = lookups($token, 1, 0, $q);
		$ok += $g;
		push @why, @r;
		last if @r;
	}
	is($ok, 39, 'thirty-nine more windows fit beside the first one');
	is(join(',', @why), 'volume_table_full', 'the forty-first is refused: volume_table_full');
	is(log_count("reason = 'volume_table_full' AND outcome = 'denied'"), '1', 'and the refusal is on record');
}

is(as_role($node, 'auditor', 'SELECT ok FROM juki.verify_log()'), 't', 'the chain verifies');
$node->stop;
done_testing();
