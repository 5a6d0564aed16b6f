# The layers of src/ (doc/DESIGN.md, "Layers"): every #include "…" of a file
# under src/ names a file of its own folder or of a folder in a lower layer,
# the PostgreSQL-free folders include no PostgreSQL header, and no two
# modules (a .c with its .h) include each other, directly or through others.
# The layer of each folder is declared once, in DESIGN.md's table, which this
# test reads; a folder the table does not name is an error too.
use strict;
use warnings;
use File::Find;
use Test::More;

my $src = 'src';
my $design = 'doc/DESIGN.md';

# | 2 | `log/` | … | yes |  →  layer, folders, PostgreSQL headers allowed
my (%layer, %pg_free);
open my $dfh, '<', $design or die "$design: $!";
my $in_table = 0;
while (my $line = <$dfh>)
{
	$in_table = 1 if $line =~ /^#+\s+.*\bLayers\b/;
	next unless $in_table;
	last if $in_table && $line =~ /^#/ && $line !~ /\bLayers\b/;
	next unless $line =~ /^\|\s*(\d+)\s*\|([^|]*)\|.*\|\s*(yes|no)\s*\|\s*$/;
	my ($n, $folders, $pg) = ($1, $2, $3);
	for my $f ($folders =~ /`([^`]+)`/g)
	{
		$f =~ s{^src/}{};
		$f =~ s{/$}{};
		$f = '.' if $f eq '' || $f eq 'src';
		$layer{$f} = $n;
		$pg_free{$f} = 1 if $pg eq 'no';
	}
}
close $dfh;
cmp_ok(scalar(keys %layer), '>=', 5, 'DESIGN.md declares the layers of src/');

my @files;
find({ wanted => sub { push @files, $File::Find::name if /\.[ch]$/ }, no_chdir => 1 }, $src);
@files = sort @files;
cmp_ok(scalar(@files), '>', 50, 'the sources are there');

sub folder_of
{
	my ($path) = @_;    # relative to src/
	return $path =~ m{^(.*)/[^/]+$} ? $1 : '.';
}

sub module_of
{
	my ($path) = @_;
	$path =~ s/\.[ch]$//;
	return $path;
}

my (@problems, %deps);
for my $file (@files)
{
	(my $rel = $file) =~ s{^$src/}{};
	my $dir = folder_of($rel);
	if (!defined $layer{$dir})
	{
		push @problems, "$rel: folder $dir has no layer in $design";
		next;
	}
	open my $fh, '<', $file or die "$file: $!";
	my $n = 0;
	while (my $line = <$fh>)
	{
		$n++;
		next unless $line =~ /^\s*#\s*include\s+"([^"]+)"/;
		my $name = $1;
		# as the compiler looks: the including file's folder, then -I src
		my $target;
		if (-f ($dir eq '.' ? "$src/$name" : "$src/$dir/$name"))
		{
			$target = $dir eq '.' ? $name : "$dir/$name";
		}
		elsif (-f "$src/$name")
		{
			$target = $name;
		}
		if (!defined $target)
		{
			push @problems, "$rel:$n: includes \"$name\", a PostgreSQL header, in a PostgreSQL-free folder"
			  if $pg_free{$dir};
			next;
		}
		$target =~ s{^\./}{};
		my $tdir = folder_of($target);
		if (!defined $layer{$tdir})
		{
			push @problems, "$rel:$n: includes $target, whose folder has no layer";
			next;
		}
		if ($tdir ne $dir && $layer{$tdir} >= $layer{$dir})
		{
			my $how = $layer{$tdir} == $layer{$dir} ? 'sideways' : 'upward';
			push @problems,
			  "$rel:$n: includes $target: $how (layer $layer{$dir} $dir/ -> layer $layer{$tdir} $tdir/)";
		}
		my ($from, $to) = (module_of($rel), module_of($target));
		$deps{$from}{$to} = "$rel:$n" if $from ne $to;
	}
	close $fh;
}

# cycles between modules: depth-first search, reporting each cycle once
my (%state, @stack, %seen_cycle);
sub visit
{
	my ($m) = @_;
	$state{$m} = 1;
	push @stack, $m;
	for my $d (sort keys %{ $deps{$m} || {} })
	{
		if (($state{$d} // 0) == 1)
		{
			my @cycle = (@stack[(grep { $stack[$_] eq $d } 0 .. $#stack)[0] .. $#stack], $d);
			my $key = join ' ', sort @cycle[0 .. $#cycle - 1];
			push @problems, 'include cycle: ' . join(' -> ', @cycle) unless $seen_cycle{$key}++;
		}
		elsif (!$state{$d})
		{
			visit($d);
		}
	}
	pop @stack;
	$state{$m} = 2;
}
visit($_) for sort keys %deps;

is(scalar(@problems), 0, 'every include goes down a layer or stays in its folder, without cycles')
  or diag(join("\n", @problems));
done_testing();
