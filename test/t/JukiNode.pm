# JukiNode: a throwaway PostgreSQL::Test::Cluster with juki preloaded.
package JukiNode;
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use Exporter 'import';
our @EXPORT = qw(juki_node);

# juki_node($name, preload => 1, conf => "extra lines", db => 'postgres')
sub juki_node
{
	my ($name, %opt) = @_;
	my $preload = exists $opt{preload} ? $opt{preload} : 1;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
	my $conf = "juki.database = 'postgres'\nmax_worker_processes = 16\n";
	$conf .= "shared_preload_libraries = 'juki'\n" if $preload;
	$conf .= $opt{conf} if $opt{conf};
	$node->append_conf('postgresql.conf', $conf);
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION juki CASCADE') unless $opt{no_extension};
	return $node;
}

1;
