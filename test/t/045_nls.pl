# juki's message catalog is complete (issue 19): every message juki can
# raise — the C sources' errmsg/errdetail/errhint and gettext_noop texts,
# and the messages and hints of the PL/pgSQL functions (po/sql_messages.pl)
# — has a translation in po/ja.po that is neither missing nor fuzzy; the
# catalog compiles with msgfmt -c; a translation keeps the conversions of
# its msgid (src/core/message.c puts the arguments back by position) and
# the untranslated "reason: <code>" of a DETAIL.
#
# When this fails after new messages were added, it lists them; add them
# with:  make -f Makefile update-po (in a build directory), then translate
# po/ja.po.new and copy it over po/ja.po.
use strict;
use warnings;
use File::Temp qw(tempdir);
use Test::More;

use Cwd qw(getcwd);
my $src = getcwd();
my $po = "$src/po/ja.po";
my $tmp = tempdir(CLEANUP => 1);

for my $tool (qw(xgettext msgfmt msgmerge msgattrib))
{
	plan skip_all => "$tool is missing (package gettext)" if system("sh", "-c", "command -v $tool >/dev/null") != 0;
}

# the catalog template, made by nls.mk's own rule from today's sources
chomp(my $pg_config = `sh -c "command -v pg_config"`);
$pg_config = $ENV{PG_CONFIG} if $ENV{PG_CONFIG};
my $out = `make -s -f $src/Makefile -C $tmp PG_CONFIG=$pg_config po/juki.pot 2>&1`;
ok(-s "$tmp/po/juki.pot", 'xgettext extracted the messages (po/juki.pot)') or diag $out;

# msgids of a PO file: text => { fuzzy, translated, format flags, msgstr }
sub read_po
{
	my ($file) = @_;
	open my $fh, '<', $file or die "$file: $!";
	local $/ = '';
	my %e;
	while (my $block = <$fh>)
	{
		next if $block =~ /^#~/m && $block !~ /^msgid/m;
		my ($flags) = $block =~ /^#,(.*)$/m;
		my ($idpart) = $block =~ /^msgid ("(?:.*)"(?:\n".*")*)/m;
		my ($strpart) = $block =~ /^msgstr(?:\[0\])? ("(?:.*)"(?:\n".*")*)/m;
		next unless defined $idpart;
		my $unq = sub { my $t = shift; join '', $t =~ /"(.*)"/g };
		my $msgid = $unq->($idpart);
		next if $msgid eq '';
		$e{$msgid} = {
			fuzzy => (defined $flags && $flags =~ /\bfuzzy\b/) ? 1 : 0,
			c_format => (defined $flags && $flags =~ /(?<!no-)c-format/) ? 1 : 0,
			msgstr => defined $strpart ? $unq->($strpart) : '',
		};
	}
	return \%e;
}

my $pot = read_po("$tmp/po/juki.pot");
my $ja = read_po($po);
cmp_ok(scalar(keys %$pot), '>', 400, 'the template holds juki\'s messages ('
	  . scalar(keys %$pot) . ')');

my @missing = sort grep { !exists $ja->{$_} || $ja->{$_}{msgstr} eq '' } keys %$pot;
my @fuzzy = sort grep { exists $ja->{$_} && $ja->{$_}{fuzzy} } keys %$pot;
my @stale = sort grep { !exists $pot->{$_} } keys %$ja;
is(scalar @missing, 0, 'every message has a Japanese translation')
  or diag join '', "messages without a translation in po/ja.po:\n",
	map { "  msgid \"$_\"\n" } @missing;
is(scalar @fuzzy, 0, 'no translation is fuzzy')
  or diag join '', "fuzzy translations in po/ja.po:\n", map { "  msgid \"$_\"\n" } @fuzzy;
note "translations of messages no longer in the sources (harmless; drop them):\n",
  map { "  msgid \"$_\"\n" } @stale
  if @stale;

my $stat = `msgfmt -c --statistics -o $tmp/ja.mo $po 2>&1`;
is($?, 0, 'msgfmt -c compiles po/ja.po') or diag $stat;
like($stat, qr/^\d+ translated messages\.$/m, "msgfmt: $stat");

# conversions: %s, %I, %L, %lld ..., optionally %n$...
sub conversions
{
	my ($t) = @_;
	my @c;
	while ($t =~ /%(?:(\d+)\$)?[-+ #0]*\d*(?:\.\d+)?[hlLqjzt]*([sdiuxXcfgeILm%])/g)
	{
		next if $2 eq '%';
		push @c, $2;
	}
	return @c;
}
my (@bad_conv, @bad_reason);
for my $id (sort keys %$pot)
{
	next unless exists $ja->{$id} && $ja->{$id}{msgstr} ne '';
	my $str = $ja->{$id}{msgstr};
	my @a = sort(conversions($id));
	my @b = sort(conversions($str));
	push @bad_conv, $id unless "@a" eq "@b";
	if ($id =~ /^(reason: [a-z_%]+)/)
	{
		my $prefix = $1;
		push @bad_reason, $id unless index($str, $prefix) == 0;
	}
}
is(scalar @bad_conv, 0, 'each translation has the conversions of its msgid')
  or diag join '', map { "  msgid \"$_\"\n" } @bad_conv;
is(scalar @bad_reason, 0, 'the reason code of a DETAIL stays untranslated')
  or diag join '', map { "  msgid \"$_\"\n" } @bad_reason;

done_testing();
