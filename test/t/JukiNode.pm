# JukiNode: throwaway PostgreSQL::Test::Cluster nodes with juki preloaded,
# and the helpers juki's TAP tests share.
package JukiNode;
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use Exporter 'import';
our @EXPORT = qw(juki_node wait_writer as_role psql_as restart_juki start_juki set_preload
  start_load stop_load ledger_tags logged_tags juki_verify_bin juki_staff juki_operator
  card_login card_logins run_sql_without_juki);

# juki_node($name, preload => 1, conf => "extra lines", signing => 1,
#           no_extension => 0, allows_streaming => 0, install_path => dir,
#           version => 'x.y')
# install_path: another PostgreSQL installation (a released juki in it);
# version: CREATE EXTENSION juki VERSION 'x.y' instead of the default.
# signing: an Ed25519 key and a checkpoint directory outside the data
# directory (in the node's base directory), as production requires.
sub juki_node
{
	my ($name, %opt) = @_;
	my $preload = exists $opt{preload} ? $opt{preload} : 1;
	my $node = PostgreSQL::Test::Cluster->new($name,
		$opt{install_path} ? (install_path => $opt{install_path}) : ());
	$node->init(extra => [ '--encoding=UTF8', '--locale=C' ],
		allows_streaming => $opt{allows_streaming} // 0);
	# juki keeps the WAL it files from with a replication slot: wal_level
	# replica at least (PostgreSQL's TAP nodes default to minimal)
	my $conf = "juki.database = 'postgres'\nmax_worker_processes = 16\nrestart_after_crash = on\n"
	  . ($opt{allows_streaming} ? '' : "wal_level = replica\n")
	  . "juki.checkpoint_interval = '1h'\n";
	$conf .= "shared_preload_libraries = 'juki'\n" if $preload;
	if ($opt{signing})
	{
		my $dir = $node->basedir;
		mkdir "$dir/keys";
		mkdir "$dir/checkpoints";
		system("openssl genpkey -algorithm ed25519 -out $dir/keys/signing.pem 2>/dev/null") == 0
		  or die "openssl genpkey failed";
		system("openssl pkey -in $dir/keys/signing.pem -pubout -out $dir/keys/signing.pub") == 0
		  or die "openssl pkey failed";
		$conf .= "juki.signing_key_file = '$dir/keys/signing.pem'\n"
		  . "juki.checkpoint_directory = '$dir/checkpoints'\n";
	}
	$conf .= $opt{conf} if $opt{conf};
	$node->append_conf('postgresql.conf', $conf);
	$node->start;
	unless ($opt{no_extension})
	{
		$node->safe_psql('postgres', 'CREATE EXTENSION juki'
			  . ($opt{version} ? " VERSION '$opt{version}'" : '') . ' CASCADE');
		wait_writer($node) if $preload;
	}
	return $node;
}

# Wait until the audit writer has recovered the chain (status shows a seq).
sub wait_writer
{
	my ($node) = @_;
	for (1 .. 600)
	{
		my ($rc, $out) = $node->psql('postgres',
			'SELECT last_seq IS NOT NULL FROM juki.status()');
		return 1 if $rc == 0 && $out eq 't';
		usleep(100_000);
	}
	die "juki audit writer did not come up on " . $node->name;
}

# Run SQL logged in as a role (psql -U), dying on error.  juki staff act
# only as themselves: a superuser's SET ROLE into a juki role is refused as
# impersonation, so tests connect as the role, as people do.
sub as_role
{
	my ($node, $role, $sql) = @_;
	return $node->safe_psql('postgres', $sql, extra_params => [ '-U', $role ]);
}

# The same, not dying: ($rc, $stdout, $stderr).
sub psql_as
{
	my ($node, $role, $sql, %opt) = @_;
	return $node->psql('postgres', $sql, %opt, extra_params => [ '-U', $role ]);
}

# Start after a kill -9: the dying postmaster may still hold the lock file.
sub start_juki
{
	my ($node) = @_;
	for (1 .. 30)
	{
		return wait_writer($node) if $node->start(fail_ok => 1);
		$node->stop('fast', fail_ok => 1);
		sleep 1;
	}
	die "could not restart " . $node->name;
}

sub restart_juki
{
	my ($node) = @_;
	$node->stop('fast');
	start_juki($node);
}

# Put juki in or out of shared_preload_libraries (takes effect on restart).
# SQL run as an intruder past SQL would: juki out of shared_preload_libraries
# (its guard is not loaded), then juki back and its writer up.
sub run_sql_without_juki
{
	my ($node, $sql) = @_;
	$node->stop('fast');
	set_preload($node, 0);
	$node->start;
	$node->safe_psql('postgres', $sql);
	$node->stop('fast');
	set_preload($node, 1);
	start_juki($node);
}

sub set_preload
{
	my ($node, $on) = @_;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = '" . ($on ? 'juki' : '') . "'\n");
}

# A multi-session load: each client repeats a statement juki refuses and
# logs, tagged "/* tag cN-M */"; when the client has been told the refusal
# is on record, it appends the tag to its ledger.  Returns the handles.
sub start_load
{
	my ($node, $clients, $dir, $count) = @_;
	$count ||= 100000;
	my @h;
	my $psql = $node->installed_command('psql');
	my $host = $node->host;
	my $port = $node->port;
	for my $c (1 .. $clients)
	{
		my $script = <<"SH";
for i in \$(seq 1 $count); do
  out=\$($psql -X -h '$host' -p $port -d postgres -c "/* tag c$c-\$i */ DELETE FROM juki.operation_log WHERE seq = -1" 2>&1)
  case "\$out" in
    *"recorded in the operation log"*) echo "c$c-\$i" >> '$dir/ledger.$c' ;;
  esac
done
SH
		push @h, IPC::Run::start([ 'bash', '-c', $script ], '>', '/dev/null', '2>', '/dev/null');
	}
	return \@h;
}

sub stop_load
{
	my ($handles) = @_;
	for my $h (@$handles)
	{
		$h->signal('KILL');
		$h->finish;
	}
}

# Tags the clients were told are on record.
sub ledger_tags
{
	my ($dir) = @_;
	my %tags;
	for my $f (glob "$dir/ledger.*")
	{
		open my $fh, '<', $f or die;
		while (<$fh>) { chomp; $tags{$_} = 1 if $_ ne ''; }
	}
	return \%tags;
}

# Tags found in the log (direct_access entries carry the statement).
sub logged_tags
{
	my ($node, $role) = @_;
	my $out = as_role($node, $role,
		"SELECT substring(detail->>'query' FROM 'tag (c[0-9]+-[0-9]+)') FROM juki.operation_log "
		  . "WHERE action = 'direct_access' AND detail->>'query' LIKE '%tag c%'");
	my %tags = map { $_ => 1 } grep { $_ ne '' } split /\n/, $out;
	return \%tags;
}

# The offline verifier built with the extension.
sub juki_verify_bin
{
	my $bin = `pg_config --bindir 2>/dev/null`;
	chomp $bin;
	for my $p ("$ENV{TESTDIR}/src/tools/juki_verify", "$bin/juki_verify",
		'/usr/lib/postgresql/15/bin/juki_verify')
	{
		return $p if -x $p;
	}
	die "juki_verify not found";
}

# A minimal town and staff, made through juki's own functions: 30 residents
# (residents => N for more: the town is then generated for the test), a 住民課
# operator "op1" (card OP1-CARD, Ed25519 test key, password below), trained,
# designated for wide_area_copy_issuance and move_in, with an approved
# permit for each; the whole week open.  Returns the operator id.
our $PASSWORD = 'Madoguchi#2026';

sub card_key
{
	return "$ENV{TESTDIR}/keys/card_ed25519.pem";
}

sub juki_staff
{
	my ($node, %opt) = @_;
	my $residents = $opt{residents} // 30;
	my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
	my $town = "$ENV{TESTDIR}/town.tsv";
	if ($residents > 200)
	{
		$town = $node->basedir . "/town-$residents.tsv";
		system("perl test/demo/gen_town.pl --residents $residents > '$town'") == 0
		  or die "gen_town.pl failed";
	}
	$node->safe_psql('postgres', q{
		CREATE ROLE op1 LOGIN; GRANT juki_operator TO op1;
		CREATE ROLE am LOGIN; GRANT juki_access_manager TO am;
		CREATE ROLE chief LOGIN; GRANT juki_chief_security_officer TO chief;
		CREATE ROLE officer LOGIN; GRANT juki_security_officer TO officer;
		CREATE ROLE registrar LOGIN; GRANT juki_registrar TO registrar;
		CREATE ROLE sysadmin LOGIN; GRANT juki_system_administrator TO sysadmin;
		CREATE ROLE terminal LOGIN; GRANT juki_terminal TO terminal;
		CREATE ROLE auditor LOGIN; GRANT juki_auditor TO auditor;
		CREATE SCHEMA staging AUTHORIZATION registrar;});
	as_role($node, 'registrar', qq{
		CREATE TABLE staging.town (resident_code text, individual_number text, full_name text,
			full_name_kana text, former_surname text, alias_name text, birth_date date, sex text,
			address text, municipality_code text, change_reason text, change_date date, status text);
		\\copy staging.town FROM '$town'
		DELETE FROM staging.town WHERE resident_code NOT IN
			(SELECT resident_code FROM staging.town ORDER BY resident_code LIMIT $residents);
		SELECT juki.import_residents('staging.town');});
	as_role($node, 'sysadmin',
		"SELECT juki.set_operating_hours(NULL, '{0,1,2,3,4,5,6}', '00:00', '24:00');");
	as_role($node, 'chief', "SELECT juki.appoint_security_officer('officer', '住民課');");
	my $op = as_role($node, 'am', "SELECT juki.register_operator('op1', '窓口 一郎', '住民課');");
	as_role($node, 'am', qq{
		SELECT juki.register_card($op, 'OP1-CARD', '$pub', current_date + 365);
		SELECT juki.set_password($op, '$PASSWORD');
		SELECT juki.record_training($op, 'operator', current_date - 1);});
	as_role($node, 'officer',
		"SELECT juki.designate($op, '{wide_area_copy_issuance,move_in}', current_date + 30, 'tap');");
	my $token = card_login($node, 'op1', 'OP1-CARD');
	for my $purpose ('wide_area_copy_issuance', 'move_in')
	{
		my $id = as_role($node, 'op1', qq{
			BEGIN;
			SELECT juki.attach('$token');
			SELECT juki.request_permit('$purpose', 'tap', now() + interval '1 day');
			COMMIT;});
		$id =~ s/\s+//g;
		as_role($node, 'officer', "SELECT juki.approve_permit($id);");
	}
	as_role($node, 'op1', "SELECT juki.logout('$token');");
	return $op;
}

# Another 住民課 operator like op1 (after juki_staff): login role $role,
# card $card, trained, designated and permitted for wide_area_copy_issuance.
# Returns the operator id.
sub juki_operator
{
	my ($node, $role, $card) = @_;
	my $pub = slurp_file("$ENV{TESTDIR}/keys/card_ed25519.pub");
	$node->safe_psql('postgres', "CREATE ROLE $role LOGIN; GRANT juki_operator TO $role;");
	my $op = as_role($node, 'am', "SELECT juki.register_operator('$role', '$role', '住民課');");
	as_role($node, 'am', qq{
		SELECT juki.register_card($op, '$card', '$pub', current_date + 365);
		SELECT juki.set_password($op, '$PASSWORD');
		SELECT juki.record_training($op, 'operator', current_date - 1);});
	as_role($node, 'officer',
		"SELECT juki.designate($op, '{wide_area_copy_issuance}', current_date + 30, 'tap');");
	my $token = card_login($node, $role, $card);
	my $id = as_role($node, $role, qq{
		BEGIN;
		SELECT juki.attach('$token') \\gset
		SELECT juki.request_permit('wide_area_copy_issuance', 'tap', now() + interval '1 day');
		COMMIT;});
	$id =~ s/\s+//g;
	as_role($node, 'officer', "SELECT juki.approve_permit($id);");
	as_role($node, $role, "SELECT juki.logout('$token');");
	return $op;
}

# Log in with the test card key: challenge, sign (as an IC card would), login.
sub card_login
{
	my ($node, $role, $card, %opt) = @_;
	my $password = $opt{password} // $PASSWORD;
	my $chal = as_role($node, $role, "SELECT encode(juki.card_challenge('$card'), 'hex');");
	$chal =~ s/\s+//g;
	my $sig = `sh test/sign_challenge.sh '${\ card_key()}' $chal`;
	die "signing failed" if $? != 0;
	my $token = as_role($node, $role,
		"SELECT juki.card_login('$card', decode('$sig', 'hex'), '$password');");
	$token =~ s/\s+//g;
	return $token;
}

# Several logins at once, one card serial each (all with the test key):
# three psql runs in all, however many cards.  Returns the tokens in order.
sub card_logins
{
	my ($node, $role, @cards) = @_;
	my $chals = as_role($node, $role,
		join('', map { "SELECT encode(juki.card_challenge('$_'), 'hex');\n" } @cards));
	my @chal = grep { $_ ne '' } split /\n/, $chals;
	die "expected " . scalar(@cards) . " challenges" unless @chal == @cards;
	my $sql = '';
	for my $i (0 .. $#cards)
	{
		my $sig = `sh test/sign_challenge.sh '${\ card_key()}' $chal[$i]`;
		die "signing failed" if $? != 0;
		$sql .= "SELECT juki.card_login('$cards[$i]', decode('$sig', 'hex'), '$PASSWORD');\n";
	}
	return grep { $_ ne '' } split /\n/, as_role($node, $role, $sql);
}

1;

