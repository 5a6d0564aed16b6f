# A stored jsonb value read back into canonical JSON (verify_log,
# export_log) gives exactly the bytes the writer hashed, for every kind of
# value (log/jsonb_canon.c writes them straight from the jsonb; record.c's
# slow way, PostgreSQL's text through format/json.c, is the reference):
#  - values the writer stores: criteria of refused searches, a fixed corpus
#    (key orders where jsonb's differs from code-point order, escapes,
#    non-ASCII, empty containers, literals, int64 bounds, the number forms
#    the writer keeps as strings, nesting at and over 64, containers past
#    jsonb's offset stride) and a seeded random one: verify_log is ok, the
#    export holds the expected text, and juki_verify accepts the export;
#  - values only a hand-edited row holds (non-integer numbers, top-level
#    scalars, nesting over 64), edited with juki out of the way: the
#    export shows what the slow way gives for them.
# Bytes throughout: no "use utf8", the expected texts are UTF-8 bytes.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $node = juki_node('canon', signing => 1);
juki_staff($node);
my $token = card_login($node, 'op1', 'OP1-CARD');

# RFC 8785 string escaping, as format/json.c's jk_json_string
sub jstr
{
	my ($s) = @_;
	my %short = ("\"" => '\\"', "\\" => '\\\\', "\b" => '\\b', "\t" => '\\t',
		"\n" => '\\n', "\f" => '\\f', "\r" => '\\r');
	$s =~ s/(["\\\x00-\x1f])/$short{$1} \/\/ sprintf('\\u%04x', ord($1))/ge;
	return "\"$s\"";
}

# nested n deep: {"a": {"a": ... 1}} as PostgreSQL prints it, and canonical
sub deep_pg { my $n = shift; return ('{"a": ' x $n) . '1' . ('}' x $n); }
sub deep_canon { my $n = shift; return ('{"a":' x $n) . '1' . ('}' x $n); }

# ---- the fixed corpus: [ jsonb text given, canonical text expected ] ----
my $many_keys = '{' . join(', ', map { '"' . chr(ord('a') + 25 - $_ % 26) x (1 + $_ % 7) . $_ . "\": \"v$_\"" } 0 .. 39) . '}';
my %mk = map { (chr(ord('a') + 25 - $_ % 26) x (1 + $_ % 7) . $_ => "v$_") } 0 .. 39;
my $many_keys_canon = '{' . join(',', map { jstr($_) . ':' . jstr($mk{$_}) } sort keys %mk) . '}';
my $long_array = '{"x": [' . join(', ', map { '"' . ('s' x ($_ % 5)) . "$_\"" } 0 .. 69) . ']}';
my $long_array_canon = '{"x":[' . join(',', map { '"' . ('s' x ($_ % 5)) . "$_\"" } 0 .. 69) . ']}';

my @fixed = (
	[ q{{"b": 1, "aa": 2, "ccc": 3, "B": 4}}, q{{"B":4,"aa":2,"b":1,"ccc":3}} ],
	[ q{{"ab": 1, "a": 2, "abc": 3, "b": 4, "": 5}}, q{{"":5,"a":2,"ab":1,"abc":3,"b":4}} ],
	[ q{{"s": "quote \" backslash \\\\ slash \/ tab \t nl \n cr \r bs \b ff \f"}},
	  q{{"s":"quote \" backslash \\\\ slash / tab \t nl \n cr \r bs \b ff \f"}} ],
	[ q{{"c": "\u0001\u001F\u007f x\u001b"}}, qq{{"c":"\\u0001\\u001f\x7f x\\u001b"}} ],
	[ q{{"é": "日本語", "e": "\u00e9", "z": "😀", "\ud83d\ude00": 1, "ｱ": "半角"}},
	  q{{"e":"é","z":"😀","é":"日本語","ｱ":"半角","😀":1}} ],
	[ q{{"t": true, "f": false, "n": null, "o": {}, "a": [], "s": ""}},
	  q{{"a":[],"f":false,"n":null,"o":{},"s":"","t":true}} ],
	[ q{{"outer": {"b": [1, {"y": 2, "x": [3, {"dd": 4, "c": 5}]}], "a": "x"}, "k": [[], [{}], [[null]]]}},
	  q{{"k":[[],[{}],[[null]]],"outer":{"a":"x","b":[1,{"x":[3,{"c":5,"dd":4}],"y":2}]}}} ],
	[ q{{"i": [0, -1, 42, 9223372036854775807, -9223372036854775808, 9223372036854775808, -9223372036854775809]}},
	  q{{"i":[0,-1,42,9223372036854775807,-9223372036854775808,"9223372036854775808","-9223372036854775809"]}} ],
	[ q{{"d": [1.5, 1.0, 1e5, -0, -0.0, 0.0, 2.50, 1E+2, 1.5e-3, -7.000, 99999999999999999999.000, 12345678901234567890123]}},
	  q{{"d":["1.5",1,100000,0,0,0,"2.50",100,"0.0015",-7,"99999999999999999999.000","12345678901234567890123"]}} ],
	[ q{{"resident_code": "00980511073", "x": 1}}, q{{"resident_code":"00980511073","x":1}} ],
	[ $many_keys, $many_keys_canon ],
	[ $long_array, $long_array_canon ],
	# 64 deep, the most the writer keeps (an entry is one level more)
	[ deep_pg(64), deep_canon(64) ],
	[ '{"b": ' . ('[' x 63) . '"deep"' . (']' x 63) . ', "a": 0}',
	  '{"a":0,"b":' . ('[' x 63) . '"deep"' . (']' x 63) . '}' ],
	# deeper than 64: the writer keeps PostgreSQL's text under "malformed"
	[ deep_pg(65), '{"malformed":' . jstr(deep_pg(65)) . '}' ],
	[ q{[1, "b", {"d": 1, "c": 2}]}, q{{"malformed":"[1,\"b\",{\"c\":2,\"d\":1}]"}} ],
	[ q{"just a string"}, q{{"malformed":"\"just a string\""}} ],
);

# ---- a seeded random corpus -------------------------------------------
srand(39);
my @keys = ('a', 'b', 'aa', 'ab', 'ba', 'B', 'Z', '_', 'zz', 'é', 'e', 'ｱ', '日本', '😀',
	"tab\there", 'q"uote', 'back\\slash', 'resident_code', 'purpose_version', 'message', 'x' x 30);
my @strs = ('', 'plain', '00980511073', "ctl\x01\x1f", "nl\nnl", 'q"q', '\\', '/', 'é日本😀',
	"del\x7f", ' spaced  out ', 'no approved permit for purpose wide_area_copy_issuance');
my @ints = (0, 1, -1, 7, 123456789, -987654321, '9223372036854775807', '-9223372036854775808');

# a random value as [ JSON text to send, canonical text ]
sub rand_value
{
	my ($depth) = @_;
	my $r = int(rand($depth >= 4 ? 5 : 7));
	if ($r == 0) { my $s = $strs[ rand @strs ]; return [ jstr($s), jstr($s) ]; }
	if ($r == 1) { my $i = $ints[ rand @ints ]; return [ $i, $i ]; }
	if ($r == 2) { my $l = (qw(true false null))[ rand 3 ]; return [ $l, $l ]; }
	if ($r == 3) { my $s = 'k' . int(rand(1000)); return [ jstr($s), jstr($s) ]; }
	if ($r == 4) { my $i = int(rand(2000)) - 1000; return [ $i, $i ]; }
	if ($r == 5)
	{
		my @v = map { rand_value($depth + 1) } 1 .. int(rand(5));
		return [ '[ ' . join(' , ', map { $_->[0] } @v) . ' ]',
			'[' . join(',', map { $_->[1] } @v) . ']' ];
	}
	return rand_object($depth + 1);
}

# an object as [ JSON text to send, canonical text ]; at the top it has a
# key no search knows, so that the search is refused and logged as given
sub rand_object
{
	my ($depth) = @_;
	my %m;
	$m{ $keys[ rand @keys ] } = rand_value($depth) for 1 .. int(rand(6));
	$m{'~unknown'} = rand_value($depth) if $depth == 1;
	my @in = keys %m;
	return [ '{' . join(', ', map { jstr($_) . ': ' . $m{$_}->[0] } @in) . '}',
		'{' . join(',', map { jstr($_) . ':' . $m{$_}->[1] } sort @in) . '}' ];
}

my @random;
while (@random < 300)
{
	my $v = rand_object(1);
	push @random, $v if length($v->[0]) < 3000;
}

# ---- log them all, as refused searches -----------------------------------
my $seq0 = as_role($node, 'auditor', 'SELECT max(seq) FROM juki.operation_log');
my @all = (@fixed, @random);
my $sql = join('', map {
	my $j = $_->[0];
	die "dollar quote in corpus" if $j =~ /\$j\$/;
	"SELECT count(*) FROM juki.search('wide_area_copy_issuance', \$j\$$j\$j\$, '$token');\n"
} @all);
my ($rc, $out, $err) = psql_as($node, 'op1', $sql, on_error_stop => 0);
my $refused = () = $err =~ /reason: invalid_criteria/g;
is($refused, scalar(@all), 'every corpus value was refused as a search: invalid_criteria');

my @logged = split /\n/, as_role($node, 'auditor',
	"SELECT seq FROM juki.operation_log WHERE seq > $seq0 AND action = 'search' ORDER BY seq");
is(scalar(@logged), scalar(@all), 'and each is in the operation log');

my ($ok, $checked, $problem) = split /\|/, as_role($node, 'auditor',
	"SELECT ok::text || '|' || entries_checked || '|' || coalesce(problem, '') FROM juki.verify_log()");
is($ok, 'true', "verify_log recomputes every entry's hash from the stored jsonb ($problem)");

# The canonical text of an entry's member, from an export line (canonical
# JSON: no white space, so the value ends where its brackets balance).
sub member_of
{
	my ($line, $name) = @_;
	my $at = index($line, "\"$name\":");
	return undef if $at < 0;
	my $i = $at + length($name) + 3;
	my $start = $i;
	my ($depth, $in_str) = (0, 0);
	for (; $i < length($line); $i++)
	{
		my $c = substr($line, $i, 1);
		if ($in_str)
		{
			if ($c eq '\\') { $i++; next; }
			$in_str = 0 if $c eq '"';
			next if $in_str;
			return substr($line, $start, $i - $start + 1) if $depth == 0;
			next;
		}
		if ($c eq '"') { $in_str = 1; next; }
		if ($c eq '{' || $c eq '[') { $depth++; next; }
		if ($c eq '}' || $c eq ']')
		{
			return substr($line, $start, $i - $start) if $depth == 0;
			$depth--;
			return substr($line, $start, $i - $start + 1) if $depth == 0;
			next;
		}
		return substr($line, $start, $i - $start) if $c eq ',' && $depth == 0;
	}
	return undef;
}

sub export_by_seq
{
	my %by;
	for my $l (split /\n/, as_role($node, 'am', 'SELECT * FROM juki.export_log(0)'))
	{
		next unless $l =~ /^[0-9a-f]{64} (\{.*\})$/;
		my $entry = $1;
		my ($s) = $entry =~ /"seq":(\d+),/;
		$by{$s} = $entry;
	}
	return \%by;
}

my $exp = export_by_seq();
for my $i (0 .. $#fixed)
{
	is(member_of($exp->{ $logged[$i] }, 'criteria'), $fixed[$i][1],
		"fixed corpus $i: the export holds the canonical text");
}
my $random_same = 0;
for my $i (0 .. $#random)
{
	my $got = member_of($exp->{ $logged[ @fixed + $i ] }, 'criteria');
	if (defined $got && $got eq $random[$i][1])
	{
		$random_same++;
		next;
	}
	is($got, $random[$i][1], "random corpus $i: the export holds the canonical text");
}
is($random_same, scalar(@random), 'random corpus: every export text is the canonical text');

# juki_verify recomputes every hash from the export's text
my $file = $node->basedir . '/export.txt';
open my $fh, '>', $file or die;
print $fh as_role($node, 'am', 'SELECT * FROM juki.export_log(0)'), "\n";
close $fh;
my ($stdout) = run_command([ juki_verify_bin(), '--key', $node->basedir . '/keys/signing.pub', $file ]);
like($stdout, qr/^OK: \d+ entries/, 'juki_verify accepts the export');

# ---- values only a hand-edited row holds -------------------------------
# [ jsonb text, what PostgreSQL's text through the canonicaliser gives ]
my @edited = (
	[ q{{"n": 1.5}}, q{{"n":"1.5"}} ],
	[ q{{"n": [1.0, 1e5, -0, -0.0, 2.50, 1.5e-3, 9223372036854775808, 99999999999999999999.000, -9223372036854775808, 1e-2]}},
	  q{{"n":[1,100000,0,0,"2.50","0.0015","9223372036854775808","99999999999999999999.000",-9223372036854775808,"0.01"]}} ],
	[ q{5}, q{5} ],
	[ q{-0.50}, q{"-0.50"} ],
	[ q{"s\"x\u0002é"}, q{"s\"x\u0002é"} ],
	[ q{null}, q{null} ],
	[ q{true}, q{true} ],
	[ q{[]}, q{[]} ],
	[ q{{}}, q{{}} ],
	[ q{[{"b": 1, "aa": 2}, 3.25]}, q{[{"aa":2,"b":1},"3.25"]} ],
	[ deep_pg(64), deep_canon(64) ],
	# deeper than 64: PostgreSQL's own text, so that the hash cannot match
	[ deep_pg(65), deep_pg(65) ],
	[ '[' . deep_pg(64) . ']', '[' . deep_pg(64) . ']' ],
);
my @victims = @logged[ 0 .. $#edited ];
my $edits = join('', map {
	"UPDATE juki.operation_log SET criteria = \$j\$$edited[$_][0]\$j\$, "
	  . "detail = \$j\${\"zz\": $edited[$_][0], \"y\": 1}\$j\$ WHERE seq = $victims[$_];\n"
} 0 .. $#edited);
run_sql_without_juki($node, $edits);

$exp = export_by_seq();
for my $i (0 .. $#edited)
{
	my $line = $exp->{ $victims[$i] };
	is(member_of($line, 'criteria'), $edited[$i][1], "edited row $i: criteria as the slow way gives it");
	# one level down in detail: the last three are now deeper than 64
	my $want = $i >= $#edited - 2
	  ? '{"y": 1, "zz": ' . $edited[$i][0] . '}'
	  : "{\"y\":1,\"zz\":$edited[$i][1]}";
	is(member_of($line, 'detail'), $want, "edited row $i: detail as the slow way gives it");
}
($ok, undef, $problem) = split /\|/, as_role($node, 'auditor',
	"SELECT ok::text || '|' || coalesce(first_bad_seq::text, '') || '|' || coalesce(problem, '') FROM juki.verify_log()");
is($ok, 'false', 'the edited rows no longer match their hashes');

$node->stop;
done_testing();
