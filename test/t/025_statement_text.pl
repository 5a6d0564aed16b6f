# Statement texts: search terms, resident codes, passwords and session
# tokens written into SQL reach neither the server log (log_statement,
# STATEMENT lines, bind parameters, context lines) nor pg_stat_activity
# while juki.redact_statements is on (statement_text.c, redact.c).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use IPC::Run;
use JukiNode;

my $node = juki_node('stmt', conf => q{
shared_preload_libraries = 'juki, pg_stat_statements'
log_statement = 'all'
log_min_error_statement = error
log_parameter_max_length = -1
log_parameter_max_length_on_error = -1
});
juki_staff($node);
$node->safe_psql('postgres', 'CREATE EXTENSION pg_stat_statements');
my ($code, $name, $born) = split /\|/, $node->safe_psql('postgres',
	"SELECT resident_code, full_name, birth_date FROM staging.town WHERE status = 'active' AND resident_code !~ '^0' ORDER BY 1 LIMIT 1");

my $offset = -s $node->logfile;
my $token = card_login($node, 'op1', 'OP1-CARD');

# the simple protocol: every literal of the statement is in its text
my $got = as_role($node, "op1", qq{
	SELECT full_name FROM juki.lookup('move_in', '$code', '$token');
	SELECT count(*) FROM juki.search('move_in', '{"full_name": "$name", "birth_date": "$born"}', '$token');
	/* a comment naming $name */ SELECT 1;});
like($got, qr/^\Q$name\E\n[1-5]\n1$/, 'the reads themselves work');

# an error: the STATEMENT line
my ($rc, $out, $err) = $node->psql('postgres', "SELECT '$name' AS who FROM");
like($err, qr/syntax error/, 'a statement that fails to parse');

# errors that quote a value: a syntax error at a literal, type input errors
($rc, $out, $err) = $node->psql('postgres', "SELECT * FROM 'near-$code'");
like($err, qr/syntax error at or near "\?"/, 'a syntax error at a literal names no literal');
($rc, $out, $err) = $node->psql('postgres', "SELECT '1850-13-$born'::date");
like($err, qr/invalid input syntax for type date: "\?"|out of range: "\?"/,
	'a date that does not parse is not repeated');
($rc, $out, $err) = psql_as($node, "op1",
	"SELECT * FROM juki.search('move_in', '{\"full_name\": $name}', '$token')");
like($err, qr/invalid input syntax for type json/, 'malformed criteria are refused by jsonb');
# (psql's own "LINE 1:" echo is the client's copy of its text, not the server's)
unlike($err, qr/(DETAIL|CONTEXT):.*\Q$name\E/, 'neither the token nor the JSON context repeats the name');
like($err, qr/Token "\?" is invalid/, 'the token is withheld');

# dynamic SQL that fails with a position: the QUERY line
($rc, $out, $err) = $node->psql('postgres',
	"DO \$\$BEGIN EXECUTE 'SELECT ''q-' || '$code' || ''' FROM'; END\$\$");
like($err, qr/QUERY:  SELECT \? FROM/, 'the statement an error position points into is redacted');

# dynamic SQL of PL/pgSQL: the context line
($rc, $out, $err) = $node->psql('postgres',
	"DO \$\$BEGIN EXECUTE 'SELECT 1/0, ''' || 'ctx-$code' || ''''; END\$\$");
like($err, qr/division by zero/, 'an error inside dynamic SQL');
unlike($err, qr/ctx-$code/, 'its context line, as the client sees it, is redacted');
($rc, $out, $err) = $node->psql('postgres',
	"DO \$\$BEGIN EXECUTE E'SELECT 1/0,\\n''' || 'multi-$code' || ''''; END\$\$");
like($err, qr/CONTEXT:  SQL statement "SELECT \?\/\?,\n\?"\nPL\/pgSQL function inline_code_block line 1 at EXECUTE/,
	'a context entry over several lines is redacted to its end, the next entry kept');

# the extended protocol: the resident code as a bind parameter
my $script = $node->basedir . '/lookup.sql';
open my $fh, '>', $script or die;
print $fh "\\set code $code\nSELECT full_name FROM juki.lookup('move_in', :code::text, '$token');\n";
close $fh;
$node->command_ok([ 'pgbench', '-n', '-t', '1', '-M', 'extended', '-f', $script,
	'-d', $node->connstr('postgres'), '-U', 'op1' ], 'a lookup with the code as a bind parameter');

my $log = substr(slurp_file($node->logfile), $offset);
like($log, qr/statement: SELECT full_name FROM juki\.lookup\(\?, \?, \?\);/,
	'log_statement writes the statement with its literals taken out');
like($log, qr/STATEMENT:  SELECT \? AS who FROM/, 'and the STATEMENT line of an error');
like($log, qr/execute <unnamed>: SELECT full_name FROM juki\.lookup\(\?, \$1::text, \?\)/,
	'the extended protocol: the statement with its parameter reference');
like($log, qr/parameters: withheld by juki/, 'bind parameters are withheld');
like($log, qr/CONTEXT:  SQL statement "SELECT \?\/\?, \?"/, 'the context line of dynamic SQL is redacted');
like($log, qr/juki\.card_login\(\?, decode\(\?, \?\), \?\)/, 'the card login statement is redacted too');
for my $secret ($code, $token, $name, $born, $JukiNode::PASSWORD)
{
	unlike($log, qr/\Q$secret\E/, "the server log never shows \"$secret\"");
}

# pg_stat_statements normalises constants itself (juki only checks it does)
my $pgss = $node->safe_psql('postgres',
	"SELECT string_agg(query, E'\\n') FROM pg_stat_statements WHERE query LIKE '%juki.%'");
like($pgss, qr/juki\.lookup\(\$1, \$2, \$3\)/, 'pg_stat_statements keeps the lookup with $n for its constants');
unlike($pgss, qr/\Q$code\E|\Q$token\E|\Q$name\E|\Q$JukiNode::PASSWORD\E/,
	'and none of the values');

# pg_stat_activity, read while an operator's statement runs
my $bg = $node->background_psql('postgres');
$bg->query_until(qr/started/, qq{\\echo started\nSELECT pg_sleep(3), '$name' AS who;\n});
my $activity = '';
for (1 .. 50)
{
	$activity = $node->safe_psql('postgres',
		"SELECT query FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()");
	last if $activity ne '';
	usleep(50_000);
}
like($activity, qr/^SELECT pg_sleep\(\?\), \? AS who;?$/, 'pg_stat_activity shows the redacted text');
$bg->quit;

# the same over the extended protocol (Bind and Execute report the raw text again)
my $sleep = $node->basedir . '/sleep.sql';
open my $sfh, '>', $sleep or die;
print $sfh "SELECT pg_sleep(3), 'ext-$code' AS who;\n";
close $sfh;
my $pgb = IPC::Run::start([ 'pgbench', '-n', '-t', '1', '-M', 'extended', '-f', $sleep,
	'-d', $node->connstr('postgres') ], '>', \my $pgb_out, '2>', \my $pgb_err);
$activity = '';
for (1 .. 50)
{
	$activity = $node->safe_psql('postgres',
		"SELECT query FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()");
	last if $activity ne '';
	usleep(50_000);
}
usleep(300_000);
$activity = $node->safe_psql('postgres',
	"SELECT query FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()");
like($activity, qr/^SELECT pg_sleep\(\?\), \? AS who;?$/, 'the extended protocol shows the redacted text too');
$pgb->finish;

# log_min_duration_statement (without log_statement) quotes the statement too
$node->append_conf('postgresql.conf', "log_statement = 'none'\nlog_min_duration_statement = 0");
$node->reload;
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT 'timed-$code' AS shown");
$log = substr(slurp_file($node->logfile), $offset);
like($log, qr/duration: [\d.]+ ms  statement: SELECT \? AS shown/, 'log_min_duration_statement writes the redacted text');
unlike($log, qr/timed-$code/, 'and not the literal');

# the setting is what does it: off, the raw text is back
$node->append_conf('postgresql.conf', 'juki.redact_statements = off');
$node->reload;
$offset = -s $node->logfile;
$node->safe_psql('postgres', "SELECT 'plain-$code' AS shown");
$log = substr(slurp_file($node->logfile), $offset);
like($log, qr/statement: SELECT 'plain-$code' AS shown/, 'with juki.redact_statements off the log shows literals');
$node->stop;
done_testing();
