# A DBA's logical dump (issue 18 §4): pg_dump of juki's database works, keeps
# the configuration the extension registered with pg_extension_config_dump
# (purposes and operating hours defined after installation, the hours'
# sequence) and leaves out resident data and the log by design.  pg_dump's
# reads of the configuration are on record (config_read); every other read
# of juki's tables is still refused and logged, and a restore into a
# server with juki loaded is refused too: the runbook restores into a server
# without juki preloaded, then loads it.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $src = juki_node('dumpsrc');
juki_staff($src);
as_role($src, 'sysadmin', q{
	SELECT juki.define_purpose('dog_registry', '犬の登録', '狂犬病予防法', '住民課',
		'{full_name,address}', '{birth_date+full_name}', 5);
	SELECT juki.set_operating_hours('dog_registry', '{1,2,3}', '09:00', '12:00');});
# the registrar's own staging table (outside juki) would hold the town too
as_role($src, 'registrar', 'DROP TABLE staging.town');
$src->safe_psql('postgres', q{CREATE TABLE public.notes (t text); INSERT INTO notes VALUES ('kept')});

my $log_before = as_role($src, 'auditor', 'SELECT max(seq) FROM juki.operation_log');

my $dump = $src->basedir . '/town.dump';
my ($out, $err) = ('', '');
my $ok = IPC::Run::run([ $src->installed_command('pg_dump'), '-Fc', '-d', $src->connstr('postgres'),
		'-f', $dump ], '>', \$out, '2>', \$err);
ok($ok, 'pg_dump of juki\'s database succeeds') or diag($err);

my $sql = '';
IPC::Run::run([ $src->installed_command('pg_restore'), '-f', '-', $dump ], '>', \$sql, '2>', \$err);
like($sql, qr/COPY juki\.purpose \(.*\n(?:.*\n)*?dog_registry\t/, 'the dump keeps a purpose defined after installation');
unlike($sql, qr/COPY juki\.purpose \(.*\n(?:.*\n)*?wide_area_copy_issuance\t/,
	'and not the seeded purposes (the install script makes them)');
like($sql, qr/COPY juki\.operating_hours \(.*\n(?:.*\n)*?dog_registry\t/, 'it keeps the hours set after installation');
like($sql, qr/SELECT pg_catalog\.setval\('juki\.operating_hours_id_seq'/, 'and the hours\' sequence');
like($sql, qr/COPY public\.notes/, 'and the rest of the database');
for my $t (qw(resident operation_log audit_checkpoint audit_export operator operator_card
	access_permit designation printed_form state))
{
	unlike($sql, qr/COPY juki\.$t\b/, "juki.$t is left out by design");
}
my $town = slurp_file("$ENV{TESTDIR}/town.tsv");
my ($code, $number, $name) = $town =~ /^(\d{11})\t(\d{12})\t([^\t]+)\t/m;
unlike($sql, qr/\Q$code\E/, 'no resident code in the dump');
unlike($sql, qr/\Q$name\E/, 'no resident name in the dump');

# pg_dump's reads are on record, one config_read per statement
my $reads = as_role($src, 'auditor', qq{
	SELECT string_agg(DISTINCT r, ',' ORDER BY r) FROM juki.operation_log,
		jsonb_array_elements_text(detail->'relations') r
	WHERE seq > $log_before AND action = 'config_read' AND outcome = 'granted'});
is($reads, 'juki.operating_hours,juki.operating_hours_id_seq,juki.purpose',
	'each configuration read of pg_dump is logged (config_read)');
is(as_role($src, 'auditor', qq{SELECT count(*) FROM juki.operation_log
	WHERE seq > $log_before AND outcome = 'denied'}), '0', 'pg_dump met no refusal');

# other forms of reading the configuration (only pg_dump's two are let
# through), reads of anything else, writes, row locks, another's view:
# refused, logged
for my $q ('SELECT * FROM juki.purpose', 'SELECT count(*) FROM juki.operating_hours',
	'COPY juki.purpose TO STDOUT', 'UPDATE juki.purpose SET title = title',
	'SELECT * FROM juki.purpose FOR SHARE', 'SELECT * FROM juki.operator',
	'CREATE VIEW public.pv AS SELECT * FROM juki.purpose; SELECT * FROM public.pv',
	'COPY (SELECT * FROM juki.operating_hours WHERE NOT seeded) TO STDOUT; SELECT * FROM juki.resident',
	'COPY (SELECT * FROM juki.purpose p JOIN juki.resident r ON true WHERE NOT p.seeded) TO STDOUT')
{
	my ($rc, undef, $e) = $src->psql('postgres', $q);
	like($e, qr/reason: direct_access; the refusal is recorded/, "still refused and logged: $q");
}
# a role without the privilege is refused on record, never told "granted"
$src->safe_psql('postgres', 'CREATE ROLE nosy LOGIN');
my (undef, undef, $e) = psql_as($src, 'nosy',
	'COPY (SELECT code FROM juki.purpose WHERE NOT seeded) TO STDOUT');
like($e, qr/reason: direct_access; the refusal is recorded/, 'a role without SELECT is refused on record');

# restore into a fresh server with juki loaded: refused, and on record
my $loaded = juki_node('dumploaded');
IPC::Run::run([ $loaded->installed_command('pg_restore'), '-d', $loaded->connstr('postgres'), $dump ],
	'>', \$out, '2>', \$err);
like($err, qr/reason: direct_access/, 'pg_restore into a server with juki loaded is refused');
$loaded->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud');
is(as_role($loaded, 'aud', q{SELECT count(*) > 0 FROM juki.operation_log
	WHERE action = 'direct_access' AND outcome = 'denied'}), 't', 'and the refusal is logged');
$loaded->stop;

# the runbook: restore into a server without juki preloaded, then load it
# (roles first, as pg_dumpall --globals-only gives them: pg_dump has none)
my $dst = juki_node('dumpdst', preload => 0, no_extension => 1);
my $globals = '';
IPC::Run::run([ $src->installed_command('pg_dumpall'), '--globals-only', '-d', $src->connstr('postgres') ],
	'>', \$globals, '2>', \$err) or die "pg_dumpall -g failed: $err";
$dst->psql('postgres', $globals, on_error_stop => 0);
$ok = IPC::Run::run([ $dst->installed_command('pg_restore'), '-d', $dst->connstr('postgres'), $dump ],
	'>', \$out, '2>', \$err);
ok($ok, 'pg_restore into a server without juki succeeds') or diag($err);
set_preload($dst, 1);
restart_juki($dst);
$dst->safe_psql('postgres', 'CREATE ROLE aud LOGIN; GRANT juki_auditor TO aud');
is(as_role($dst, 'aud', q{SELECT string_agg(action, ',' ORDER BY seq) FROM juki.operation_log WHERE seq <= 1}),
	'genesis,worker_start', 'the restored database starts a log of its own (the old log is not in a dump)');
is($dst->safe_psql('postgres', 'SELECT t FROM notes'), 'kept', 'the rest of the database is back');
# what the restored configuration decides, through juki's own functions
$dst->safe_psql('postgres', q{CREATE ROLE sysadmin2 LOGIN; GRANT juki_system_administrator TO sysadmin2});
my $v = as_role($dst, 'sysadmin2', q{SELECT juki.define_purpose('dog_registry', '犬の登録', '狂犬病予防法',
		'住民課', '{full_name}', '{birth_date+full_name}', 5)});
is($v, '2', 'the restored purpose is there: redefining it makes version 2');
my $seed = as_role($dst, 'sysadmin2', q{SELECT juki.define_purpose('move_in', '転入', '住民基本台帳法',
		'住民課', '{full_name}', '{birth_date+full_name}', 5)});
is($seed, '2', 'the seeded purposes are there once (the install script made them)');
$dst->stop;
$src->stop;
done_testing();
