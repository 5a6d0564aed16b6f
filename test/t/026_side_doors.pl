# The guard's side doors (issue 13, classes 2-6), each tried as an attacker
# would, as a superuser and as a non-superuser DBA (CREATEROLE CREATEDB,
# pg_read_server_files, pg_write_server_files) where it applies.  Every
# attempt must be refused with SQLSTATE 42501 and leave exactly one entry in
# the operation log (read by an auditor), naming the command, the object and
# the statement; each class is tried twice, two different ways.
#   2 identity, not names: renamed built-ins, internal aliases, a renamed
#     pageinspect function, a juki table renamed to look like the log;
#   3 catalog writes: DML on catalogs (shared ones too, from another
#     database, through a CTE and COPY), and planner statistics of personal
#     data that a tampered catalog let ANALYZE collect;
#   4 code and files: untrusted languages (CREATE EXTENSION, DO, CREATE
#     FUNCTION, a call, a "trusted" alias of an untrusted handler), COPY TO
#     into the data directory and the configuration wherever they are
#     (/proc/self/cwd, a symlink, an included file), lo_export, file_fdw;
#   5 an event trigger during CREATE EXTENSION pg_trgm (also one creating an
#     overload in pg_catalog, which juki's own SQL would pick);
#   6 settings: ALTER SYSTEM, ALTER ROLE, SET, set_config, function SET
#     clauses, connection options and role settings made while juki was away.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JukiNode;

my $outside = PostgreSQL::Test::Utils::tempdir();
chmod 0777, $outside;
# a settings file the server includes, outside its data directory
my $included = "$outside/included.conf";
open my $fh, '>', $included or die;
print $fh "# included by postgresql.conf\n";
close $fh;
chmod 0666, $included;

my $node = juki_node('side', conf => "include '$included'\n");
juki_staff($node);
$node->safe_psql('postgres', q{
	CREATE ROLE dba LOGIN CREATEROLE CREATEDB;
	GRANT pg_read_server_files, pg_write_server_files TO dba;
	GRANT CREATE ON DATABASE postgres TO dba;
	GRANT CREATE ON SCHEMA public TO dba;
	CREATE DATABASE other;});
my $datadir = $node->data_dir;

sub last_seq
{
	return $node->safe_psql('postgres', 'SELECT last_seq FROM juki.status()');
}

# Entries since $seq (the auditor's own log_read entries left out).
sub entries_since
{
	my ($seq) = @_;
	my ($rc, $out, $err) = psql_as($node, 'auditor', qq{
		SELECT action, reason, outcome, db_role, detail->>'command', detail->>'object',
			   coalesce(detail->>'query', '')
		  FROM juki.operation_log WHERE seq > $seq AND action <> 'log_read' ORDER BY seq});
	return $rc == 0 ? $out : "($err)";
}

# Run $a{sql} as $a{user} in $a{db}; it must be refused with 42501, reason
# direct_access, and leave exactly one entry: direct_access, denied, by that
# role, with command, object and the statement as sent.
sub refused
{
	my ($name, %a) = @_;
	my $user = $a{user} // 'postgres';
	my $seq = last_seq();
	my ($rc, $out, $err);
	{
		local $ENV{PGOPTIONS} = $a{pgoptions} if $a{pgoptions};
		($rc, $out, $err) = $node->psql($a{db} // 'postgres', $a{sql},
			extra_params => [ '-U', $user, '-v', 'VERBOSITY=verbose' ]);
	}
	isnt($rc, 0, "$name: refused");
	like($err, qr/(ERROR:  42501: |FATAL:  (42501: )?)juki refuses \Q$a{command}\E on \Q$a{object}\E\n/,
		"$name: 42501, what and on what")
	  or diag($err);
	like($err, qr/reason: direct_access; the refusal is recorded in the operation log/,
		"$name: reason direct_access, on record");
	unlike($err, qr/\d{11}|窓口|七ヶ宿/, "$name: no personal data in the message");
	my $query = exists $a{query} ? $a{query} : ($a{sql} =~ s/^.*\n(?=[^\n]+$)//sr);
	is(entries_since($seq),
		join('|', 'direct_access', 'direct_access', 'denied', $user, $a{command}, $a{object}, $query),
		"$name: exactly its entry in the log");
	return $err;
}

# ------------------------------------------------ class 3: catalog writes
refused('UPDATE pg_namespace (rename schema juki)',
	sql => q{BEGIN;
UPDATE pg_namespace SET nspname = 'jukx' WHERE nspname = 'juki';},
	command => 'UPDATE', object => 'pg_catalog.pg_namespace');
refused('INSERT INTO pg_depend (make a function juki\'s)',
	sql => q{BEGIN;
CREATE FUNCTION public.mine() RETURNS int LANGUAGE sql AS 'SELECT 1';
INSERT INTO pg_depend VALUES ('pg_proc'::regclass, 'public.mine()'::regprocedure, 0, 'pg_extension'::regclass, (SELECT oid FROM pg_extension WHERE extname = 'juki'), 0, 'e');},
	command => 'INSERT', object => 'pg_catalog.pg_depend');
refused('UPDATE pg_proc.prosrc of a juki function',
	sql => q{BEGIN;
UPDATE pg_proc SET prosrc = 'SELECT 1' WHERE oid = 'juki.purposes()'::regprocedure;},
	command => 'UPDATE', object => 'pg_catalog.pg_proc');
refused('UPDATE pg_attribute.attstattarget',
	sql => q{BEGIN;
UPDATE pg_attribute SET attstattarget = 100 WHERE attrelid = 'juki.resident'::regclass AND attname = 'full_name';},
	command => 'UPDATE', object => 'pg_catalog.pg_attribute');
# variant: a shared catalog, from another database, by superuser and DBA
refused('UPDATE pg_authid from another database',
	db => 'other', sql => q{BEGIN;
UPDATE pg_authid SET rolsuper = true WHERE rolname = 'dba';},
	command => 'UPDATE', object => 'pg_catalog.pg_authid');
refused('UPDATE pg_authid by the DBA',
	user => 'dba', db => 'other', sql => q{BEGIN;
UPDATE pg_authid SET rolsuper = true WHERE rolname = 'dba';},
	command => 'UPDATE', object => 'pg_catalog.pg_authid');
refused('DELETE FROM pg_statistic in a CTE',
	sql => q{BEGIN;
WITH d AS (DELETE FROM pg_statistic RETURNING 1) SELECT count(*) FROM d;},
	command => 'DELETE', object => 'pg_catalog.pg_statistic');
refused('COPY into pg_depend',
	sql => q{BEGIN;
COPY pg_depend FROM '/dev/null';},
	command => 'COPY FROM', object => 'pg_catalog.pg_depend');
refused('catalog DML inside a function',
	sql => q{BEGIN;
CREATE FUNCTION public.sneak() RETURNS void LANGUAGE sql AS $$UPDATE pg_class SET relname = relname WHERE false$$;
SELECT public.sneak();},
	command => 'UPDATE', object => 'pg_catalog.pg_class');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_namespace WHERE nspname = 'juki'}),
	'1', 'schema juki still has its name');

# ------------------------------------------- class 2: identity, not names
refused('a renamed built-in raw reader',
	sql => q{BEGIN;
ALTER FUNCTION pg_read_binary_file(text) RENAME TO peek2;
SELECT length(peek2('global/pg_control'));},
	command => 'raw file or page reader', object => 'function peek2');
my $toast = $node->safe_psql('postgres',
	q{SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'juki.operator_card'::regclass});
refused('reading the TOAST table of a juki table',
	sql => qq{SELECT count(*) FROM $toast;},
	command => 'SELECT', object => $toast);
# the fast-path protocol (libpq's PQfn): no statement is parsed or planned
{
	my $seq = last_seq();
	my ($out, $err) = run_command([ "$ENV{TESTDIR}/test/unit/fastpath_call",
		$node->connstr('postgres'), '3828', 'global/pg_control' ]);
	like($out, qr/ERROR:  42501: juki refuses raw file or page reader on function pg_read_binary_file\n/,
		'pg_read_binary_file over the fast path: refused, 42501');
	like($out, qr/reason: direct_access; the refusal is recorded in the operation log/,
		'pg_read_binary_file over the fast path: on record');
	is(entries_since($seq),
		'direct_access|direct_access|denied|postgres|raw file or page reader|function pg_read_binary_file|',
		'pg_read_binary_file over the fast path: exactly its entry in the log');
}
$node->safe_psql('postgres', 'CREATE EXTENSION pageinspect');
refused('a renamed pageinspect function on a juki table',
	sql => q{BEGIN;
ALTER FUNCTION get_raw_page(text, int8) RENAME TO grp;
SELECT length(grp('juki.resident', 0));},
	command => 'raw file or page reader', object => 'function grp');
refused('a LANGUAGE internal alias of a raw reader',
	user => 'dba', sql => q{CREATE FUNCTION public.peek(text) RETURNS bytea LANGUAGE internal STRICT AS 'pg_read_binary_file_all';},
	command => 'CREATE FUNCTION', object => 'LANGUAGE internal (outside an extension script)');
$node->safe_psql('postgres', 'CREATE EXTENSION adminpack');
refused('a renamed adminpack writer',
	sql => qq{BEGIN;
ALTER FUNCTION pg_file_write(text, text, boolean) RENAME TO fw;
SELECT fw('$outside/fw.txt', 'x', false);},
	command => 'server-side file writer', object => 'function fw');

# ---------------------------------------------------- class 4: code, files
refused('CREATE EXTENSION plperlu',
	sql => q{CREATE EXTENSION plperlu;},
	command => 'CREATE LANGUAGE', object => 'untrusted language plperlu');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_language WHERE lanname = 'plperlu'}),
	'0', 'no plperlu');
refused('COPY TO postgresql.auto.conf through /proc/self/cwd',
	sql => q{COPY (SELECT '# side door') TO '/proc/self/cwd/postgresql.auto.conf';},
	command => 'COPY TO', object => 'file /proc/self/cwd/postgresql.auto.conf in the data directory');
symlink("$datadir/postgresql.auto.conf", "$outside/link.conf") or die "symlink: $!";
refused('COPY TO a symlink into the data directory, by the DBA',
	user => 'dba', sql => qq{COPY (SELECT '# side door') TO '$outside/link.conf';},
	command => 'COPY TO', object => "file $outside/link.conf in the data directory");
my $dotdot = "$outside/" . ('../' x 30) . substr($datadir, 1) . '/pg_hba.conf';
refused('COPY TO .. into the data directory, by the DBA',
	user => 'dba', sql => qq{COPY (SELECT '# side door') TO '$dotdot';},
	command => 'COPY TO', object => "file $dotdot in the data directory");
refused('COPY TO an included settings file outside the data directory',
	user => 'dba', sql => qq{COPY (SELECT '# side door') TO '$included';},
	command => 'COPY TO', object => "file $included in the server's configuration");
refused('COPY FROM a relation file, relative to the data directory',
	user => 'dba', sql => q{CREATE TEMP TABLE t (x text);
COPY t FROM 'global/pg_control';},
	command => 'COPY FROM', object => 'file global/pg_control in the data directory');
ok(!-e "$outside/fw.txt", 'nothing was written outside');
is(slurp_file("$datadir/postgresql.auto.conf") =~ /side door/ ? 'written' : 'intact', 'intact',
	'postgresql.auto.conf intact');
is(slurp_file($included) =~ /side door/ ? 'written' : 'intact', 'intact', 'included file intact');
$node->safe_psql('postgres', q{SELECT lo_from_bytea(4242, '\x00');
	GRANT SELECT ON LARGE OBJECT 4242 TO dba;
	GRANT EXECUTE ON FUNCTION lo_export(oid, text) TO dba;});
refused('lo_export',
	sql => qq{SELECT lo_export(4242, '$outside/lo.bin');},
	command => 'server-side file writer', object => 'function lo_export');
refused('lo_export by the DBA',
	user => 'dba', sql => qq{SELECT lo_export(4242, '$outside/lo.bin');},
	command => 'server-side file writer', object => 'function lo_export');
ok(!-e "$outside/lo.bin", 'lo_export wrote nothing');
$node->safe_psql('postgres', 'CREATE EXTENSION file_fdw; CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;');
refused('file_fdw program',
	sql => q{CREATE FOREIGN TABLE public.ft (line text) SERVER files OPTIONS (program 'id');},
	command => 'CREATE FOREIGN TABLE', object => 'program of a file_fdw table');
refused('file_fdw on a relation file',
	sql => q{CREATE FOREIGN TABLE public.ft (line text) SERVER files OPTIONS (filename '/proc/self/cwd/global/pg_control');},
	command => 'CREATE FOREIGN TABLE', object => 'file /proc/self/cwd/global/pg_control in the data directory');

# ------------------------------ class 5: an event trigger in CREATE EXTENSION
$node->safe_psql('postgres', q{
	CREATE FUNCTION public.et_read() RETURNS event_trigger LANGUAGE plpgsql AS $$
	BEGIN PERFORM length(pg_read_binary_file('global/pg_control')); END $$;
	CREATE FUNCTION public.et_c() RETURNS event_trigger LANGUAGE plpgsql AS $$
	BEGIN EXECUTE 'CREATE FUNCTION public.evil() RETURNS int LANGUAGE c AS ''$libdir/juki'', ''juki_status'''; END $$;
	CREATE FUNCTION public.et_copy() RETURNS event_trigger LANGUAGE plpgsql AS $$
	BEGIN COPY (SELECT 1) TO PROGRAM 'true'; END $$;
	CREATE EVENT TRIGGER et ON ddl_command_end WHEN TAG IN ('CREATE FUNCTION') EXECUTE FUNCTION public.et_read();});
refused('an event trigger reads a relation file during CREATE EXTENSION',
	sql => q{CREATE EXTENSION pg_trgm;},
	command => 'raw file or page reader', object => 'function pg_read_binary_file');
refused('the same, with the DBA creating the (trusted) extension',
	user => 'dba', sql => q{CREATE EXTENSION pg_trgm;},
	command => 'raw file or page reader', object => 'function pg_read_binary_file');
$node->safe_psql('postgres', q{
	DROP EVENT TRIGGER et;
	CREATE EVENT TRIGGER et ON ddl_command_end WHEN TAG IN ('CREATE FUNCTION') EXECUTE FUNCTION public.et_c();});
refused('an event trigger creates a LANGUAGE C function during CREATE EXTENSION',
	sql => q{CREATE EXTENSION pg_trgm;},
	command => 'CREATE FUNCTION', object => 'LANGUAGE C (outside an extension script)');
$node->safe_psql('postgres', q{
	DROP EVENT TRIGGER et;
	CREATE EVENT TRIGGER et ON ddl_command_end WHEN TAG IN ('CREATE FUNCTION') EXECUTE FUNCTION public.et_copy();});
refused('an event trigger runs a program during CREATE EXTENSION',
	sql => q{CREATE EXTENSION pg_trgm;},
	command => 'COPY TO PROGRAM', object => 'true');
# an overload in pg_catalog that juki's own SQL would pick (guard_definitions.c):
# a script's own statements may create in pg_catalog, code it triggers may not
$node->safe_psql('postgres', q{
	DROP EVENT TRIGGER et;
	CREATE FUNCTION public.et_overload() RETURNS event_trigger LANGUAGE plpgsql AS $$
	BEGIN EXECUTE 'CREATE FUNCTION pg_catalog.jsonb_build_object(text, text) RETURNS jsonb LANGUAGE sql AS ''SELECT NULL::jsonb'''; END $$;
	CREATE EVENT TRIGGER et ON ddl_command_end WHEN TAG IN ('CREATE FUNCTION') EXECUTE FUNCTION public.et_overload();});
refused('an event trigger puts an overload into pg_catalog during CREATE EXTENSION',
	sql => q{CREATE EXTENSION pg_trgm;},
	command => 'CREATE FUNCTION', object => 'schema pg_catalog');
$node->safe_psql('postgres', 'DROP EVENT TRIGGER et');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_proc WHERE proname = 'evil'}), '0',
	'no foreign C function');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_proc WHERE proname = 'jsonb_build_object' AND pronargs = 2}), '0',
	'no overload of jsonb_build_object');
$node->safe_psql('postgres', 'CREATE EXTENSION IF NOT EXISTS pg_trgm');
is($node->safe_psql('postgres', q{SELECT count(*) > 0 FROM pg_proc WHERE prolang = 13 AND probin = '$libdir/pg_trgm'}),
	't', 'without the trigger, pg_trgm installs its C functions');

# -------------------------------------------------------- class 6: settings
refused('ALTER SYSTEM SET dynamic_library_path',
	sql => qq{ALTER SYSTEM SET dynamic_library_path = '$outside:\$libdir';},
	command => 'ALTER SYSTEM', object => 'setting dynamic_library_path');
refused('ALTER SYSTEM SET fsync',
	sql => q{ALTER SYSTEM SET fsync = off;},
	command => 'ALTER SYSTEM', object => 'setting fsync');
refused('ALTER SYSTEM SET archive_command',
	sql => q{ALTER SYSTEM SET archive_command = 'cp %p /tmp/%f';},
	command => 'ALTER SYSTEM', object => 'setting archive_command');
refused('SET debug_print_parse by the DBA',
	user => 'dba', sql => q{SET debug_print_parse = on;},
	command => 'SET', object => 'setting debug_print_parse');
refused('SET LOCAL allow_system_table_mods',
	sql => q{BEGIN;
SET LOCAL allow_system_table_mods = on;},
	command => 'SET', object => 'setting allow_system_table_mods');
refused('set_config(debug_print_plan) by the DBA',
	user => 'dba', sql => q{SELECT set_config('debug_print_plan', 'on', false);},
	command => 'set_config', object => 'setting debug_print_plan');
refused('set_config(session_replication_role)',
	sql => q{SELECT set_config('session_replication_role', 'replica', false);},
	command => 'set_config', object => 'setting session_replication_role');
refused('ALTER ROLE SET debug_print_rewritten',
	sql => q{ALTER ROLE dba SET debug_print_rewritten = on;},
	command => 'ALTER ROLE SET', object => 'setting debug_print_rewritten');
refused('ALTER DATABASE SET zero_damaged_pages',
	sql => q{ALTER DATABASE other SET zero_damaged_pages = on;},
	command => 'ALTER DATABASE SET', object => 'setting zero_damaged_pages');
refused('a function SET clause',
	user => 'dba', sql => q{CREATE FUNCTION public.loud() RETURNS int LANGUAGE sql SET debug_print_plan = on AS 'SELECT 1';},
	command => 'CREATE FUNCTION SET', object => 'setting debug_print_plan');
refused('a connection option (PGOPTIONS -c)',
	user => 'dba', pgoptions => '-c debug_print_parse=on', sql => q{SELECT 1;},
	command => 'session start', object => 'setting debug_print_parse set by the client', query => '');
# a name set_config cannot see at parse time: the next statement is refused
refused('set_config with a computed name, then a statement',
	user => 'dba', sql => q{SELECT set_config(n, 'on', false) FROM (VALUES ('debug_print_rewritten')) v(n);
SELECT 1;},
	command => 'statement', object => 'setting debug_print_rewritten set by the session');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_db_role_setting}), '0',
	'no role or database setting stored');

# ------------------- class 2, 3, 4, 6 again: what was made while juki was away
$node->stop('fast');
set_preload($node, 0);
$node->start;
$node->safe_psql('postgres', q{
	ALTER TABLE juki.resident ALTER COLUMN full_name SET STATISTICS 100,
		ALTER COLUMN address SET STATISTICS 100;
	UPDATE pg_attribute SET attstattarget = 100
	 WHERE attrelid = 'juki.operator_password'::regclass AND attname = 'hash';
	CREATE STATISTICS public.names ON (lower(full_name)) FROM juki.resident;
	ANALYZE juki.resident, juki.operator_password;
	CREATE EXTENSION IF NOT EXISTS plperlu;
	CREATE FUNCTION public.perl_cat(text) RETURNS text LANGUAGE plperlu
		AS $$ open(my $f, '<', $_[0]) or die; local $/; return <$f>; $$;
	CREATE FUNCTION public.peek(text) RETURNS bytea LANGUAGE internal STRICT AS 'pg_read_binary_file_all';
	CREATE FUNCTION public.loud_plan() RETURNS int LANGUAGE sql SET debug_print_plan = on AS 'SELECT 1';
	GRANT EXECUTE ON FUNCTION public.perl_cat(text), public.peek(text), public.loud_plan() TO dba;
	ALTER ROLE dba SET debug_print_parse = on;});
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stats
		WHERE schemaname = 'juki' AND attname IN ('full_name', 'address', 'hash')}),
	'3', 'without juki, ANALYZE kept statistics of names, addresses and password hashes');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stats_ext_exprs WHERE statistics_name = 'names'}),
	'1', 'and extended statistics of an expression over names');
my $seq_stop = $node->safe_psql('postgres', 'SELECT max(seq) FROM juki.operation_log');
$node->stop('fast');
set_preload($node, 1);
start_juki($node);

# class 3: the writer finds the statistics and the targets, and cleans both
my $stats = q{SELECT count(*) FROM pg_statistic s JOIN pg_class c ON c.oid = s.starelid
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = s.staattnum
	WHERE c.relnamespace = 'juki'::regnamespace
	  AND (c.relname NOT IN ('operation_log', 'audit_checkpoint', 'audit_export')
		   OR a.attname IN ('subjects', 'criteria', 'detail'))};
my $left = '?';
for (1 .. 60)
{
	$left = $node->safe_psql('postgres', $stats);
	last if $left eq '0';
	sleep 1;
}
is($left, '0', 'with juki back, no statistics of personal data are left');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_statistic_ext_data d
		JOIN pg_statistic_ext x ON x.oid = d.stxoid WHERE x.stxrelid = 'juki.resident'::regclass}),
	'0', 'nor extended statistics (another catalog, the same rule)');
is($node->safe_psql('postgres', q{SELECT stxstattarget FROM pg_statistic_ext WHERE stxname = 'names'}),
	'0', 'whose target is 0 too');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = 'juki'::regnamespace AND c.relkind = 'r' AND a.attnum > 0
		  AND a.attstattarget <> 0
		  AND (c.relname NOT IN ('operation_log', 'audit_checkpoint', 'audit_export')
			   OR a.attname IN ('subjects', 'criteria', 'detail'))}),
	'0', 'and every statistics target of personal data is 0 again');
is(as_role($node, 'auditor', qq{
		SELECT action, outcome, reason, detail->>'statistics_purged', detail->>'targets_reset',
			   detail->>'relations'
		  FROM juki.operation_log WHERE seq > $seq_stop AND action = 'planner_statistics'}),
	'planner_statistics|error|statistics_purged|4|4|["juki.operator_password", "juki.resident"]',
	'the cleaning is on record');
$node->safe_psql('postgres', 'ANALYZE juki.resident, juki.operator_password');
$node->safe_psql('postgres', 'VACUUM ANALYZE juki.resident');
is($node->safe_psql('postgres', $stats), '0', 'ANALYZE and VACUUM ANALYZE collect none');

# class 6: settings made while juki was away
refused('a role setting made while juki was away',
	user => 'dba', sql => q{SELECT 1;},
	command => 'session start', object => 'setting debug_print_parse set by the role', query => '');
$node->safe_psql('postgres', 'ALTER ROLE dba RESET debug_print_parse');
is($node->safe_psql('postgres', 'SELECT 1', extra_params => [ '-U', 'dba' ]), '1',
	'once reset, the DBA connects');
refused('a function SET clause made while juki was away',
	user => 'dba', sql => q{SELECT public.loud_plan();},
	command => 'statement', object => 'setting debug_print_plan set by the session',
	query => 'SELECT public.loud_plan();');

# class 4: untrusted code that exists
refused('calling an existing untrusted-language function',
	sql => q{SELECT public.perl_cat('/etc/hostname');},
	command => 'untrusted language function', object => 'function perl_cat');
refused('the same, by the DBA',
	user => 'dba', sql => q{SELECT public.perl_cat('/etc/hostname');},
	command => 'untrusted language function', object => 'function perl_cat');
refused('DO in an untrusted language',
	sql => q{DO $$ open(my $f, '<', '/etc/hostname'); $$ LANGUAGE plperlu;},
	command => 'DO', object => 'untrusted language plperlu');
refused('CREATE FUNCTION in an untrusted language',
	sql => q{CREATE FUNCTION public.p2() RETURNS int LANGUAGE plperlu AS 'return 1';},
	command => 'CREATE FUNCTION', object => 'untrusted language plperlu');
refused('a "trusted" language on an untrusted handler',
	sql => q{CREATE TRUSTED LANGUAGE plsneaky HANDLER plperlu_call_handler;},
	command => 'CREATE LANGUAGE', object => 'untrusted language plsneaky');
# class 2: an internal-language alias of a raw reader
refused('an alias of pg_read_binary_file',
	sql => q{SELECT length(public.peek('global/pg_control'));},
	command => 'raw file or page reader', object => 'function peek');
refused('the alias, by the DBA',
	user => 'dba', sql => q{SELECT length(public.peek('global/pg_control'));},
	command => 'raw file or page reader', object => 'function peek');
# ------------------- class 2: a juki table renamed to look like the log
$node->stop('fast');
set_preload($node, 0);
$node->start;
$node->safe_psql('postgres', 'ALTER TABLE juki.resident RENAME TO operation_log_x;
	GRANT SELECT ON juki.operation_log_x TO juki_auditor;');
$node->stop('fast');
set_preload($node, 1);
start_juki($node);
refused('an auditor reads a data table named like the log',
	user => 'auditor', sql => q{SELECT count(*) FROM juki.operation_log_x;},
	command => 'SELECT', object => 'juki.operation_log_x');

done_testing();
