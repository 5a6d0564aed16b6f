# doc/DESIGN.md's module map ("Module map") names every file of src/, and
# every file it names exists: `dir/x.c`, `dir/x.h`, or `dir/x.[ch]` for both
# (the row of juki.c names it without a folder).  A new file must be placed
# in the map — with its concern — before this passes.
use strict;
use warnings;
use File::Find;
use Test::More;

my $design = 'doc/DESIGN.md';
open my $fh, '<', $design or die "$design: $!";
my ($in, %mapped) = (0);
while (my $line = <$fh>)
{
	if ($line =~ /^#/)
	{
		$in = $line =~ /^#+\s+Module map\b/;
		next;
	}
	next unless $in && $line =~ /^\|/;
	for my $name ($line =~ /`([\w\/.]+\.(?:c|h|\[ch\]))`/g)
	{
		if ($name =~ s/\.\[ch\]$//)
		{
			$mapped{"$name.c"} = 1;
			$mapped{"$name.h"} = 1;
		}
		else
		{
			$mapped{$name} = 1;
		}
	}
}
close $fh;
cmp_ok(scalar(keys %mapped), '>', 50, 'DESIGN.md has a module map');

my %tree;
find({ wanted => sub { $tree{ $File::Find::name =~ s{^src/}{}r } = 1 if /\.[ch]$/ }, no_chdir => 1 }, 'src');
cmp_ok(scalar(keys %tree), '>', 50, 'the sources are there');

my @unmapped = sort grep { !$mapped{$_} } keys %tree;
my @missing = sort grep { !$tree{$_} } keys %mapped;
is(scalar(@unmapped), 0, 'every file of src/ is in the module map')
  or diag('not in the map: ' . join(', ', @unmapped));
is(scalar(@missing), 0, 'every file of the module map is in src/')
  or diag('not in src/: ' . join(', ', @missing));
done_testing();
