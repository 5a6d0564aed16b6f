# Nesting depth of logged values: any operator can put a criteria nested as
# deep as the writer accepts (JK_JSON_MAX_DEPTH, 64) into the operation log
# through a refused search.  The entry object adds one level, and the
# offline verifier must still accept that entry, or one operator could make
# every later export unverifiable offline.  A value deeper than the writer
# accepts is kept as a string under "malformed" (so the entry stays shallow)
# and verifies too; an export line nested deeper than any entry the writer
# makes is still refused by juki_verify.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('deep', signing => 1);
juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');

# nested n deep: {"a": {"a": ... 1}} as PostgreSQL prints it, and canonical
sub deep_pg { my $n = shift; return ('{"a": ' x $n) . '1' . ('}' x $n); }
sub deep_canon { my $n = shift; return ('{"a":' x $n) . '1' . ('}' x $n); }

# [ criteria given, canonical text the log must keep ]
my @values = (
	[ deep_pg(64), deep_canon(64) ],
	# objects and arrays mixed, 64 levels, the deepest an empty container
	[ '{"z": 0, "b": ' . ('[{"k": ' x 31) . '[]' . ('}]' x 31) . '}',
	  '{"b":' . ('[{"k":' x 31) . '[]' . ('}]' x 31) . ',"z":0}' ],
	# one more than the writer accepts: PostgreSQL's text under "malformed"
	[ deep_pg(65), '{"malformed":"' . (deep_pg(65) =~ s/"/\\"/gr) . '"}' ],
);

my $seq0 = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my $sql = join('', map {
	"SELECT count(*) FROM juki.search('wide_area_copy_issuance', \$j\$$_->[0]\$j\$, '$token');\n"
} @values);
my ($rc, $out, $err) = psql_as($node, 'op1', $sql, on_error_stop => 0);
my $refused = () = $err =~ /reason: invalid_criteria/g;
is($refused, scalar(@values), 'each deep criteria was refused: invalid_criteria');

my @logged = split /\n/, as_role($node, 'auditor',
	"SELECT seq FROM juki.operation_log WHERE seq > $seq0 AND action = 'search' ORDER BY seq");
is(scalar(@logged), scalar(@values), 'and each is in the operation log');

my ($ok, $problem) = split /\|/, as_role($node, 'auditor',
	"SELECT ok::text || '|' || coalesce(problem, '') FROM juki.verify_log()");
is($ok, 'true', "verify_log accepts the log ($problem)");

my $export = as_role($node, 'am', 'SELECT * FROM juki.export_log(0)');
my %line;
for my $l (split /\n/, $export)
{
	$line{$1} = $l if $l =~ /^[0-9a-f]{64} \{.*"seq":(\d+),/;
}
for my $i (0 .. $#values)
{
	my $l = $line{ $logged[$i] } // '';
	ok(index($l, "\"criteria\":$values[$i][1],") > 0,
		"value $i: the export holds the criteria as the writer logged it");
}

# juki_verify on the export (and on a copy whose 64-deep criteria got one
# level more: deeper than any entry the writer makes, refused by name)
sub juki_verify
{
	my ($name, $text) = @_;
	my $file = $node->basedir . "/$name";
	open my $fh, '>', $file or die;
	print $fh $text, "\n";
	close $fh;
	my ($stdout, $stderr) = run_command([ juki_verify_bin(), '--key',
		$node->basedir . '/keys/signing.pub', $file ]);
	return $stdout . $stderr;
}

like(juki_verify('export.txt', $export), qr/^OK: \d+ entries/,
	'juki_verify accepts the export with criteria nested 64 deep');

my $deeper = $export;
my $from = '"criteria":' . deep_canon(64) . ',';
my $to = '"criteria":' . deep_canon(65) . ',';
ok($deeper =~ s/\Q$from\E/$to/, 'a copy with criteria nested 65 deep');
my $res = juki_verify('deeper.txt', $deeper);
like($res, qr/seq $logged[0] was expected\): entry is not valid JSON: nesting deeper than 65/,
	'juki_verify refuses an entry nested deeper than the writer makes');
unlike($res, qr/^OK/, 'and does not report OK');

$node->stop;
done_testing();
