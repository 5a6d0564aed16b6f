-- The door, part 4: the guard (DESIGN §8).  Every other path to juki's data,
-- tried as an operator, a non-superuser DBA (with pg_read_all_data and
-- pg_write_all_data), a replication role and a superuser (the tables'
-- owner).  Each is refused with reason direct_access and logged.
\set su :USER
SET client_min_messages = warning;
CREATE ROLE regress_dba LOGIN CREATEROLE CREATEDB;
GRANT pg_read_all_data, pg_write_all_data, pg_read_server_files, pg_execute_server_program TO regress_dba;
CREATE ROLE regress_repl LOGIN REPLICATION;
GRANT pg_read_all_data TO regress_repl;
CREATE SCHEMA regress_guard;
GRANT ALL ON SCHEMA regress_guard TO PUBLIC;
-- a view and a function over juki's tables can be created (nothing is read
-- then); reading through them is refused
CREATE VIEW regress_guard.v AS SELECT * FROM juki.resident;
CREATE VIEW regress_guard.sv WITH (security_invoker) AS SELECT * FROM juki.resident;
CREATE FUNCTION regress_guard.f() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM juki.resident';
GRANT SELECT ON regress_guard.v, regress_guard.sv TO PUBLIC;
RESET client_min_messages;
SELECT last_seq AS seq0 FROM juki.status() \gset

CREATE TABLE juki_test.paths (n int, q text);
INSERT INTO juki_test.paths VALUES
 (1, 'SELECT * FROM juki.resident LIMIT 1'),
 (2, 'SELECT count(*) FROM juki.operator'),
 (3, 'UPDATE juki.resident SET full_name = ''x'''),
 (4, 'DELETE FROM juki.access_permit'),
 (5, 'INSERT INTO juki.designation (operator_id, purposes, department, designated_by, valid_until) VALUES (1, ''{move_in}'', ''x'', ''x'', ''2099-01-01'')'),
 (6, 'COPY juki.resident TO ''/tmp/juki_regress_copy.txt'''),
 (7, 'COPY juki.operator FROM ''/dev/null'''),
 (8, 'EXPLAIN SELECT * FROM juki.resident'),
 (9, 'DECLARE c CURSOR WITH HOLD FOR SELECT * FROM juki.resident'),
 (10, 'WITH x AS (DELETE FROM juki.support_measure RETURNING *) SELECT count(*) FROM x'),
 (11, 'SELECT (SELECT full_name FROM juki.resident LIMIT 1)'),
 (12, 'SELECT * FROM regress_guard.v'),
 (13, 'SELECT regress_guard.f()'),
 (14, 'DO $$ BEGIN PERFORM * FROM juki.resident; END $$'),
 (15, 'TRUNCATE juki.support_measure'),
 (16, 'ALTER TABLE juki.resident DISABLE ROW LEVEL SECURITY'),
 (17, 'CREATE TRIGGER t BEFORE INSERT ON juki.resident FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()'),
 (18, 'CREATE RULE r AS ON INSERT TO juki.resident DO INSTEAD NOTHING'),
 (19, 'ALTER EXTENSION juki ADD FUNCTION regress_guard.f()'),
 (20, 'SELECT pg_read_binary_file(''global/pg_control'')'),
 (21, 'SELECT pg_read_file(''postgresql.conf'')'),
 (22, 'SELECT lo_import(''/etc/hostname'')'),
 (23, 'SELECT * FROM pg_create_logical_replication_slot(''regress_slot'', ''test_decoding'')'),
 (24, 'SELECT * FROM pg_logical_slot_get_changes(''regress_slot'', NULL, NULL)'),
 (25, 'LOAD ''auto_explain'''),
 (26, 'CREATE FUNCTION regress_guard.c() RETURNS int LANGUAGE c AS ''juki'', ''juki_status'''),
 (27, 'ALTER SYSTEM SET juki.audit_wait_timeout = ''1h'''),
 (28, 'ALTER SYSTEM SET shared_preload_libraries = '''''),
 (29, 'ALTER ROLE regress_op_ed SET juki.idle_timeout = ''1d'''),
 (30, 'ALTER DATABASE juki_regression SET session_preload_libraries = ''auto_explain'''),
 (31, 'SET session_replication_role = replica'),
 (32, 'COPY (SELECT 1) TO PROGRAM ''cat'''),
 (33, 'COPY juki_test.paths FROM ''base/1/1259'''),
 (34, 'CREATE PUBLICATION regress_pub FOR ALL TABLES'),
 (35, 'CREATE PUBLICATION regress_pub FOR TABLE juki.resident'),
 (36, 'CREATE PUBLICATION regress_pub FOR TABLES IN SCHEMA juki'),
 (37, 'GRANT SELECT ON juki.resident TO PUBLIC'),
 (38, 'ALTER TABLE juki.operation_log RENAME TO x'),
 (39, 'CREATE INDEX ON juki.resident (sex)'),
 (40, 'SELECT * FROM juki.operation_log LIMIT 1'),
 (41, 'CREATE MATERIALIZED VIEW regress_guard.mv AS SELECT * FROM juki.resident'),
 (42, 'SELECT * FROM regress_guard.sv'),
 (43, 'INSERT INTO juki.resident SELECT * FROM juki.resident ON CONFLICT DO NOTHING');
GRANT SELECT ON juki_test.paths TO PUBLIC;

-- one line per path and role: the SQLSTATE and the first line of the refusal
CREATE FUNCTION juki_test.run_paths(r text) RETURNS TABLE (n int, result text)
LANGUAGE plpgsql AS $$
DECLARE p record;
BEGIN
	FOR p IN SELECT * FROM juki_test.paths ORDER BY 1 LOOP
		IF r IS NOT NULL THEN EXECUTE format('SET ROLE %I', r); END IF;
		n := p.n;
		result := split_part(juki_test.try(p.q), E'\n', 1);
		RESET ROLE;
		RETURN NEXT;
	END LOOP;
END $$;

SELECT n, result FROM juki_test.run_paths('regress_op_ed');
SELECT n, result FROM juki_test.run_paths('regress_dba');
SELECT n, result FROM juki_test.run_paths('regress_repl');
SELECT n, result FROM juki_test.run_paths(NULL);

-- information leaks: the planner keeps no statistics of personal data (a
-- superuser reads pg_statistic directly), even after ANALYZE
ANALYZE juki.resident;
ANALYZE juki.operation_log;
SELECT c.relname, a.attname
  FROM pg_statistic s JOIN pg_class c ON c.oid = s.starelid
  JOIN pg_attribute a ON a.attrelid = s.starelid AND a.attnum = s.staattnum
 WHERE c.relnamespace = 'juki'::regnamespace
   AND a.attname NOT IN ('municipality_code', 'status', 'updated_at', 'seq', 'ts',
						 'db_role', 'operator_id', 'session_id', 'card_serial', 'client_addr', 'backend_pid',
						 'action', 'purpose', 'permit_id', 'outcome', 'reason', 'fields', 'row_count',
						 'prev_hash', 'hash', 'login_role')
 ORDER BY 1, 2;

-- the same refusals reach the log, once per attempt, naming who tried
\c - regress_auditor
-- (the superuser who runs the suite is named by its role, whatever it is called)
SELECT CASE db_role WHEN :'su' THEN '(superuser)' ELSE db_role END AS db_role,
       count(*) AS refusals, bool_and(reason = 'direct_access') AS all_direct_access
  FROM juki.operation_log WHERE seq > :seq0 AND action = 'direct_access'
 GROUP BY 1 ORDER BY 1;
\c - :su

-- juki's replication slot keeps the WAL not yet filed (issue 16): dropping or
-- advancing it is refused and logged, for every role and in every database
-- (slots are the cluster's; only the name given as a constant shows which
-- slot a call means, so a name the query computes is refused too, even
-- when no row would reach the call); any other slot is the DBA's.  Before,
-- the drop failed only while the writer held the slot ("active for PID")
-- and was recorded at the writer's next start.
\c - regress_auditor
SELECT max(seq) AS slot_mark FROM juki.operation_log \gset
\c - :su
SELECT juki_test.try($$SELECT pg_drop_replication_slot('juki_audit_log')$$);
SELECT juki_test.try($$SELECT pg_replication_slot_advance('juki_audit_log', pg_current_wal_lsn())$$);
SELECT juki_test.try($$SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE false$$);
SELECT juki_test.try($$SELECT pg_drop_replication_slot(('juki_' || 'audit_log')::name)$$);
SELECT juki_test.try($$SELECT pg_create_physical_replication_slot('regress_other_slot')$$);
SELECT juki_test.try($$SELECT pg_drop_replication_slot('regress_other_slot')$$);
\c postgres
SELECT current_database();
DO $$
BEGIN
	PERFORM pg_drop_replication_slot('juki_audit_log');
EXCEPTION WHEN OTHERS THEN
	RAISE NOTICE '%: %', SQLSTATE, SQLERRM;
END $$;
\c juki_regression
SELECT slot_name, slot_type FROM pg_replication_slots WHERE slot_name = 'juki_audit_log';
\c - regress_auditor
SELECT CASE db_role WHEN :'su' THEN '(superuser)' ELSE db_role END AS db_role, outcome, reason,
       detail->>'command' AS command, detail->>'object' AS object
  FROM juki.operation_log WHERE seq > :slot_mark AND action = 'direct_access' ORDER BY seq;
\c - :su
