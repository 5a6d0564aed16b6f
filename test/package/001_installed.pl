# The installed Debian package, end to end (run by make test's package suite
# after it built postgresql-15-juki and installed it; see test/run.sh): a
# throwaway cluster of the system's PostgreSQL 15 with juki preloaded from the
# package, one operator logging in with the test card key, one lookup, the
# lookup on record, and the log exported and verified by the juki_verify
# that the package put on the PATH.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

plan skip_all => 'the package suite of make test runs this, after installing the package'
  unless $ENV{JUKI_PACKAGE_VERSION};
my $version = $ENV{JUKI_PACKAGE_VERSION};	# juki.control's default_version
my $pg = '/usr/lib/postgresql/15';

# the package's files, where PostgreSQL and the PATH find them
ok(-f "$pg/lib/juki.so", 'juki.so is in the PostgreSQL library directory');
ok(-f "/usr/share/postgresql/15/extension/juki--$version.sql",
	"the newest full script juki--$version.sql is installed");
is(readlink('/usr/bin/juki_verify'), '../lib/postgresql/15/bin/juki_verify',
	'/usr/bin/juki_verify points at the PostgreSQL bindir copy');

# a cluster of the system's PostgreSQL, juki preloaded, a signing key
my $node = juki_node('pkg', install_path => $pg, signing => 1);
is( $node->safe_psql('postgres',
		'SELECT preloaded, version, sql_version, sql_current FROM juki.status()'),
	"t|$version|$version|t",
	'the packaged library is preloaded and the extension is at the newest version');

# one lookup: card login with the test key, the one-statement form
juki_staff($node);
my ($r1, $name) = split /\|/, $node->safe_psql('postgres',
	"SELECT resident_code, full_name FROM staging.town WHERE status = 'active' ORDER BY 1 LIMIT 1");
my $token = card_login($node, 'op1', 'OP1-CARD');
like($token, qr/^[0-9a-f]{64}$/, 'the operator logs in with the card key and password');
is( as_role($node, 'op1',
		"SELECT resident_code, full_name FROM juki.lookup('wide_area_copy_issuance', '$r1', '$token')"),
	"$r1|$name",
	'the lookup discloses the resident');
is( as_role($node, 'auditor',
		"SELECT action, outcome, subjects = ARRAY['$r1'] FROM juki.operation_log "
		  . "WHERE action = 'lookup' ORDER BY seq DESC LIMIT 1"),
	'lookup|granted|t',
	'the lookup is in the operation log');

# the export, verified offline by the packaged juki_verify found on the PATH
my $dir = $node->basedir;
my $export = as_role($node, 'am', 'SELECT * FROM juki.export_log(0)');
open my $fh, '>', "$dir/export.txt" or die;
print $fh "$export\n";
close $fh;
my ($out, $err);
my $ok = IPC::Run::run(
	[ 'env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
		'sh', '-c', 'command -v juki_verify && juki_verify --key "$1" "$2"', 'sh',
		"$dir/keys/signing.pub", "$dir/export.txt" ],
	'>', \$out, '2>', \$err);
ok($ok, 'juki_verify on the PATH accepts the export') or diag($err);
like($out, qr{\A/usr/bin/juki_verify\nOK: }, 'it is /usr/bin/juki_verify, and it says OK');

$node->stop;
done_testing();
