# `make demo` keeps working, in English and with JUKI_DEMO_LANG=ja (issue 19):
# test/demo/demo.sh runs to its end both ways; every refusal it shows
# carries its reason code, the same codes in the same order in both
# languages; in Japanese every refusal's message is Japanese (no English
# sentence left for a counter clerk); no internal CONTEXT line; and the
# auditor's offline verification at the end still accepts the export and
# catches the tampered copy.
# Shown to rot-proof: with one message's Japanese translation removed from
# po/ja.po (the demo's no_permit refusal), the Japanese check fails.
use strict;
use utf8;
use warnings;
use Encode qw(decode);
use File::Temp qw(tempdir);
use PostgreSQL::Test::Utils;
use Test::More;

plan skip_all => 'the ja_JP.UTF-8 locale is missing (make test generates it)'
  unless `locale -a 2>/dev/null` =~ /^ja_JP\.utf-?8$/mi;
chomp(my $pg_config = `sh -c "command -v pg_config"`);
$pg_config = $ENV{PG_CONFIG} if $ENV{PG_CONFIG};
chomp(my $bindir = `$pg_config --bindir`);

# the demo in a short directory of its own (its socket lives there)
sub run_demo
{
	my ($lang) = @_;
	my $dir = tempdir('jukidemoXXXX', TMPDIR => 1, CLEANUP => 1);
	local $ENV{PGBIN} = $bindir;
	local $ENV{JUKI_BUILD_DIR} = $dir;
	local $ENV{JUKI_DEMO_LANG} = $lang;
	my $out = `bash test/demo/demo.sh 2>&1`;
	is($?, 0, "the demo ($lang) runs to its end") or diag $out;
	return decode('UTF-8', $out);
}

# the refusals a demo printed: [message, reason] in order
sub refusals
{
	my ($out) = @_;
	my @r;
	while ($out =~ /^psql:[^\n]*?(?:ERROR|エラー):\s+([^\n]*)\n(?:DETAIL|詳細):\s+reason: (\w+)/mg)
	{
		push @r, [ $1, $2 ];
	}
	return @r;
}

my $en = run_demo('en');
my $ja = run_demo('ja');
for my $out ($en, $ja)
{
	my $errors = () = $out =~ /^psql:[^\n]*?(?:ERROR|エラー):/mg;
	my @r = refusals($out);
	cmp_ok(scalar @r, '>=', 20, 'the demo shows its refusals (' . scalar(@r) . ')');
	is(scalar @r, $errors, 'every refusal shown carries a reason code in DETAIL');
	unlike($out, qr/^(?:CONTEXT|背景):/m, 'no CONTEXT lines of juki\'s own code');
	like($out, qr/^OK: \d+ entries/m, 'juki_verify accepts the exported log');
	like($out, qr/^FAIL: line \d+: entry seq \d+/m, 'and catches the tampered copy');
}
my @en = refusals($en);
my @ja = refusals($ja);
is(join(' ', map { $_->[1] } @ja), join(' ', map { $_->[1] } @en),
	'the same reason codes in the same order in both languages');
my @english = grep { $_->[0] !~ /[\p{Han}\p{Hiragana}\p{Katakana}]/ } @ja;
is(scalar @english, 0, 'in Japanese, every refusal\'s message is Japanese')
  or diag join '', map { "  $_->[1]: " . Encode::encode('UTF-8', $_->[0]) . "\n" } @english;
my @same = grep { $ja[$_][0] eq $en[$_][0] } 0 .. $#ja;
is(scalar @same, 0, 'and differs from the English one');
done_testing();
