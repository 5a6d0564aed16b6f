#!/usr/bin/perl
# replace_functions.pl REV — the upgrade-script section for the functions
# whose definition in extension/parts/ differs from REV's, or that REV does
# not have.  Released SQL is frozen, so a function changed in the parts must
# also be re-created in the upgrade script (README "Upgrading"); copying it by
# hand invites copy errors.  Prints, in part-file order:
#   CREATE OR REPLACE FUNCTION ... (the parts' text, unchanged otherwise);
#   for a new function: REVOKE ALL ... FROM PUBLIC; GRANT EXECUTE ... TO
#     PUBLIC (as 99_grants.sql gives every function) and its COMMENT;
#   for a changed function whose COMMENT changed: the COMMENT;
#   for every PL/pgSQL or SQL function but juki.fold: ALTER FUNCTION ... SET
#     max_parallel_workers_per_gather = 0 (CREATE OR REPLACE resets what the
#     DO block of 99_grants.sql set).
# A function REV has and the parts do not is reported on stderr (drop it by
# hand).  Run from the top of the source tree:
#   perl test/upgrade/replace_functions.pl 5174f07 > /tmp/section.sql
use strict;
use warnings;

my $rev = shift or die "usage: $0 REV\n";
my $dir = 'extension/parts';

# The SQL statements of a text: split at ';' outside quotes, dollar quotes
# and comments; each with the comments and blank lines before it removed.
sub statements
{
	my ($text) = @_;
	my (@out, $start, $i, $n) = ();
	($start, $i, $n) = (0, 0, length $text);
	while ($i < $n)
	{
		my $c = substr($text, $i, 1);
		if ($c eq "'")
		{
			my $j = $i + 1;
			while ($j < $n)
			{
				if (substr($text, $j, 1) eq "'")
				{
					last if substr($text, $j + 1, 1) ne "'";
					$j++;
				}
				$j++;
			}
			$i = $j + 1;
		}
		elsif ($c eq '-' && substr($text, $i, 2) eq '--')
		{
			my $j = index($text, "\n", $i);
			$i = $j < 0 ? $n : $j + 1;
		}
		elsif ($c eq '/' && substr($text, $i, 2) eq '/*')
		{
			my $j = index($text, '*/', $i + 2);
			$i = $j < 0 ? $n : $j + 2;
		}
		elsif ($c eq '$' && substr($text, $i) =~ /^(\$\w*\$)/)
		{
			my $tag = $1;
			my $j = index($text, $tag, $i + length $tag);
			die "unterminated $tag\n" if $j < 0;
			$i = $j + length $tag;
		}
		elsif ($c eq ';')
		{
			push @out, substr($text, $start, $i + 1 - $start);
			$start = $i + 1;
			$i++;
		}
		else
		{
			$i++;
		}
	}
	for (@out)
	{
		# leading white space and comments belong to no statement
		1 while s/^\s+// || s/^--[^\n]*\n// || s{^/\*.*?\*/}{}s;
	}
	return @out;
}

# The function statements of a set of part files, by signature, in order.
sub functions
{
	my ($files) = @_;       # [ [name, text], ... ]
	my (%fn, @order, %comment);
	for my $f (@$files)
	{
		my ($name, $text) = @$f;
		for my $stmt (statements($text))
		{
			if ($stmt =~ /^CREATE FUNCTION juki\.(\w+)\(/)
			{
				my $fname = $1;
				my $open = length("CREATE FUNCTION juki.$fname(");
				my $params = balanced(substr($stmt, $open));
				my $sig = "juki.$fname(" . arg_types($params) . ")";
				die "$name: $sig twice\n" if $fn{$sig};
				$fn{$sig} = { text => $stmt, file => $name, name => $fname };
				push @order, $sig;
			}
			elsif ($stmt =~ /^COMMENT ON FUNCTION (juki\.\w+\([^)]*\)) IS/)
			{
				$comment{ normal_sig($1) } = $stmt;
			}
		}
	}
	return (\%fn, \@order, \%comment);
}

# The text up to the parenthesis that closes an already opened one.
sub balanced
{
	my ($s) = @_;
	my ($depth, $q, $out) = (1, 0, '');
	for my $c (split //, $s)
	{
		$q = !$q if $c eq "'";
		if (!$q)
		{
			$depth++ if $c eq '(';
			$depth-- if $c eq ')';
			return $out if $depth == 0;
		}
		$out .= $c;
	}
	die "unbalanced parameter list\n";
}

# "a text, b bigint DEFAULT NULL, OUT c int, VARIADIC d int[]" -> "text, bigint, integer[]"
sub arg_types
{
	my ($params) = @_;
	my @types;
	for my $p (split_top($params))
	{
		$p =~ s/^\s+|\s+$//g;
		next if $p eq '';
		$p =~ s/\s+DEFAULT\s+.*$//is;
		$p =~ s/\s*=\s*.*$//s;
		next if $p =~ /^OUT\s/i;
		$p =~ s/^(IN|INOUT|VARIADIC)\s+//i;
		my @w = split /\s+/, $p;
		# "name type words..." or just "type"
		shift @w if @w > 1 && !type_start($p);
		push @types, canonical_type(join ' ', @w);
	}
	return join ', ', @types;
}

sub type_start
{
	my ($p) = @_;
	return $p =~ /^(double precision|character varying|timestamp with|time with)/i;
}

sub canonical_type
{
	my ($t) = @_;
	my %alias = (int => 'integer', int4 => 'integer', int8 => 'bigint', bool => 'boolean',
				 timestamptz => 'timestamp with time zone', 'time' => 'time without time zone',
				 'timestamp' => 'timestamp without time zone', varchar => 'character varying');
	my $arr = $t =~ s/\[\]$// ? '[]' : '';
	$t = lc $t unless $t =~ /^juki\./;
	return ($alias{$t} // $t) . $arr;
}

sub normal_sig
{
	my ($sig) = @_;
	my ($name, $args) = $sig =~ /^(juki\.\w+)\((.*)\)$/ or return $sig;
	return "$name(" . join(', ', map { canonical_type(s/^\s+|\s+$//gr) } grep { /\S/ } split_top($args)) . ")";
}

# split on commas outside parentheses and quotes
sub split_top
{
	my ($s) = @_;
	my @out;
	my ($cur, $depth, $q) = ('', 0, 0);
	for my $c (split //, $s)
	{
		$q = !$q if $c eq "'";
		if (!$q)
		{
			$depth++ if $c eq '(';
			$depth-- if $c eq ')';
			if ($c eq ',' && $depth == 0) { push @out, $cur; $cur = ''; next; }
		}
		$cur .= $c;
	}
	push @out, $cur;
	return @out;
}

sub parts_now
{
	my @files;
	for my $path (sort glob "$dir/*.sql")
	{
		open my $fh, '<', $path or die "$path: $!";
		local $/;
		push @files, [ $path, scalar <$fh> ];
	}
	return \@files;
}

sub parts_at
{
	my ($rev) = @_;
	my @files;
	for my $path (sort split /\n/, `git ls-tree --name-only $rev $dir/`)
	{
		next unless $path =~ /\.sql$/;
		my $text = `git show $rev:$path`;
		die "git show $rev:$path failed\n" if $?;
		push @files, [ $path, $text ];
	}
	die "no parts at $rev\n" unless @files;
	return \@files;
}

my ($old, undef, $old_comment) = functions(parts_at($rev));
my ($new, $order, $new_comment) = functions(parts_now());

print "-- Functions whose definition changed since $rev (test/upgrade/replace_functions.pl)\n";
for my $sig (@$order)
{
	my $f = $new->{$sig};
	my $o = $old->{$sig};
	next if $o && $o->{text} eq $f->{text};
	my $plpgsql = $f->{text} =~ /LANGUAGE (plpgsql|sql)\b/i;
	(my $stmt = $f->{text}) =~ s/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/;
	print "\n$stmt\n";
	my $comment = $new_comment->{$sig};
	if (!$o)
	{
		print "REVOKE ALL ON FUNCTION $sig FROM PUBLIC;\n";
		print "GRANT EXECUTE ON FUNCTION $sig TO PUBLIC;\n";
		print "$comment\n" if $comment;
	}
	elsif (($comment // '') ne ($old_comment->{$sig} // ''))
	{
		print(($comment // "COMMENT ON FUNCTION $sig IS NULL;") . "\n");
	}
	print "ALTER FUNCTION $sig SET max_parallel_workers_per_gather = 0;\n"
	  if $plpgsql && $f->{name} ne 'fold';
}
for my $sig (sort keys %$old)
{
	print STDERR "$sig: in $rev but not in the parts (drop it in the upgrade script)\n"
	  unless $new->{$sig};
}
