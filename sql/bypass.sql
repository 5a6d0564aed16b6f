-- Bypass suite (issue 7): statement forms and side paths beyond door_guard,
-- as an operator, a non-superuser DBA, a replication role and a superuser
-- (the tables' owner).  Each is refused (reason direct_access) and logged.
\set su :USER
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE PROCEDURE regress_guard.proc() LANGUAGE plpgsql AS $$ BEGIN PERFORM * FROM juki.resident; END $$;
CREATE TABLE regress_guard.trig_t (x int);
CREATE FUNCTION regress_guard.trig_f() RETURNS trigger LANGUAGE plpgsql AS
	$$ BEGIN PERFORM * FROM juki.resident; RETURN NEW; END $$;
CREATE TRIGGER t BEFORE INSERT ON regress_guard.trig_t FOR EACH ROW EXECUTE FUNCTION regress_guard.trig_f();
CREATE TABLE regress_guard.sink (n text);
CREATE TABLE regress_guard.rule_t (x int);
CREATE RULE r AS ON INSERT TO regress_guard.rule_t DO ALSO
	INSERT INTO regress_guard.sink SELECT full_name FROM juki.resident;
-- a PARALLEL SAFE function that a parallel worker would run
CREATE FUNCTION regress_guard.fps() RETURNS bigint LANGUAGE sql PARALLEL SAFE
	AS 'SELECT count(*) FROM juki.resident';
-- raw readers hidden where no parse analysis runs again: a SQL-standard
-- function body, a rule action, a CALL argument (created before they run)
CREATE FUNCTION regress_guard.atomic_read() RETURNS bytea LANGUAGE sql
	BEGIN ATOMIC SELECT pg_read_binary_file('global/pg_control'); END;
CREATE TABLE regress_guard.rule_read (x int);
CREATE TABLE regress_guard.sink2 (b bytea);
CREATE RULE rr AS ON INSERT TO regress_guard.rule_read DO ALSO
	INSERT INTO regress_guard.sink2 SELECT pg_read_binary_file('global/pg_control');
CREATE PROCEDURE regress_guard.keep(b bytea) LANGUAGE plpgsql AS $$ BEGIN NULL; END $$;
GRANT ALL ON ALL TABLES IN SCHEMA regress_guard TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA regress_guard TO PUBLIC;
GRANT EXECUTE ON ALL PROCEDURES IN SCHEMA regress_guard TO PUBLIC;
RESET client_min_messages;
SELECT last_seq AS seq0 FROM juki.status() \gset

DELETE FROM juki_test.paths;
INSERT INTO juki_test.paths VALUES
 (1, 'EXPLAIN ANALYZE SELECT * FROM juki.resident'),
 (2, 'CALL regress_guard.proc()'),
 (3, 'INSERT INTO regress_guard.trig_t VALUES (1)'),
 (4, 'INSERT INTO regress_guard.rule_t VALUES (1)'),
 (5, 'CREATE TABLE regress_guard.child () INHERITS (juki.resident)'),
 (6, 'SELECT regress_guard.fps()'),
 (7, 'SELECT * FROM ONLY juki.resident'),
 (8, 'TABLE juki.resident'),
 (9, 'SELECT row_to_json(r) FROM juki.resident r'),
 (10, 'UPDATE juki.resident SET full_name = full_name RETURNING *'),
 (11, 'MERGE INTO juki.resident r USING (SELECT 1) s ON false WHEN NOT MATCHED THEN DO NOTHING'),
 (12, 'SELECT * FROM juki.resident FOR UPDATE'),
 (13, 'WITH RECURSIVE x AS (SELECT resident_code FROM juki.resident) SELECT count(*) FROM x'),
 (14, 'SELECT lo_from_bytea(0, convert_to((SELECT string_agg(full_name, '','') FROM juki.resident), ''UTF8''))'),
 -- a loopback to this server by its socket and port (the server's environment may name another)
 (15, format('SELECT * FROM dblink(%L, ''SELECT full_name FROM juki.resident'') AS t(n text)',
             format('host=%s port=%s dbname=%s', split_part(current_setting('unix_socket_directories'), ',', 1),
                    current_setting('port'), current_database()))),
 (16, 'CREATE TABLE regress_guard.copy AS SELECT * FROM juki.resident'),
 (17, 'SELECT * INTO regress_guard.copy2 FROM juki.resident'),
 (18, 'COPY (SELECT * FROM juki.resident) TO ''/dev/null'''),
 (19, 'ALTER TABLE juki.resident ADD COLUMN leak text'),
 (20, 'CREATE STATISTICS regress_guard.s ON full_name, address FROM juki.resident');

-- the planner would run fps() in a parallel worker; the worker is refused too
SET force_parallel_mode = on;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SELECT n, result FROM juki_test.run_paths('regress_op_ed');
SELECT n, result FROM juki_test.run_paths('regress_dba');
SELECT n, result FROM juki_test.run_paths('regress_repl');
SELECT n, result FROM juki_test.run_paths(NULL);
RESET force_parallel_mode;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;

-- stored bodies and rules are checked again when planned; CALL arguments too
SELECT juki_test.try('SELECT regress_guard.atomic_read()');
SELECT juki_test.try('INSERT INTO regress_guard.rule_read VALUES (1)');
SELECT juki_test.try('CALL regress_guard.keep(pg_read_binary_file(''global/pg_control''))');
SELECT count(*) AS sink2_rows FROM regress_guard.sink2;

-- prepared statements and cursors: preparing reads nothing; executing is refused
PREPARE regress_p AS SELECT full_name FROM juki.resident;
SELECT juki_test.try('EXECUTE regress_p');
BEGIN;
DECLARE regress_c SCROLL CURSOR WITH HOLD FOR SELECT full_name FROM juki.resident;
ROLLBACK;
\c - regress_op_ed
PREPARE regress_q AS SELECT count(*) FROM juki.operator;
SELECT juki_test.try('EXECUTE regress_q');
BEGIN;
DECLARE regress_d CURSOR FOR SELECT * FROM juki.access_permit;
ROLLBACK;
\c - :su

-- postgres_fdw loopback: the remote session is just another session, refused
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS postgres_fdw;
DO $$ BEGIN
	EXECUTE format('CREATE SERVER regress_loop FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, port %L, dbname %L)',
				   split_part(current_setting('unix_socket_directories'), ',', 1),
				   current_setting('port'), current_database());
END $$;
CREATE USER MAPPING FOR CURRENT_USER SERVER regress_loop;
CREATE FOREIGN TABLE regress_guard.remote_resident (resident_code text, full_name text)
	SERVER regress_loop OPTIONS (schema_name 'juki', table_name 'resident');
RESET client_min_messages;
SELECT split_part(juki_test.try('SELECT * FROM regress_guard.remote_resident'), E'\n', 1) AS fdw_loopback;

-- a staging column of the registrar's own type would run the registrar's
-- cast inside juki's door: import refuses any type but text, char, date
\c - regress_door_reg
CREATE TYPE juki_test.evil AS (code text);
CREATE FUNCTION juki_test.evil_text(juki_test.evil) RETURNS text LANGUAGE sql
	AS 'SELECT string_agg(full_name, '','') FROM juki.resident';
CREATE CAST (juki_test.evil AS text) WITH FUNCTION juki_test.evil_text(juki_test.evil);
CREATE TABLE juki_test.evil_staging (LIKE juki_test.staging);
ALTER TABLE juki_test.evil_staging ALTER COLUMN resident_code TYPE juki_test.evil USING ROW(resident_code);
SELECT juki_test.try('SELECT juki.import_residents(''juki_test.evil_staging'')');
\c - :su

-- nothing reached the sink or the copies
SELECT count(*) AS sink_rows FROM regress_guard.sink;
SELECT count(*) AS copies FROM pg_class WHERE relnamespace = 'regress_guard'::regnamespace
   AND relname IN ('copy', 'copy2', 'child');

-- each attempt is on record
\c - regress_auditor
-- (the superuser who runs the suite is named by its role, whatever it is called)
SELECT CASE db_role WHEN :'su' THEN '(superuser)' ELSE db_role END AS db_role,
       count(*) AS refusals FROM juki.operation_log
 WHERE seq > :seq0 AND action = 'direct_access' GROUP BY 1 ORDER BY 1;
\c - :su
