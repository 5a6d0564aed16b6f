-- Immutability (DESIGN §7.5): nobody, superusers included, changes the log,
-- the checkpoints or the export receipts, alters or drops them, or reads
-- them without being a real auditor.  Each refusal is 42501 with reason
-- direct_access, and each is itself in the log.
\set su :USER
\c - regress_auditor
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

-- data changes
SELECT juki_test.try('UPDATE juki.operation_log SET outcome = ''granted'' WHERE seq = 0');
SELECT juki_test.try('DELETE FROM juki.operation_log');
SELECT juki_test.try($$INSERT INTO juki.operation_log (seq, ts, action, outcome, prev_hash, hash)
                       VALUES (99999, now(), 'forged', 'granted', '\x00', '\x00')$$);
SELECT juki_test.try('DELETE FROM juki.audit_checkpoint');
SELECT juki_test.try('UPDATE juki.audit_export SET digest = NULL');
SELECT juki_test.try('WITH d AS (DELETE FROM juki.operation_log RETURNING seq) SELECT count(*) FROM d');
SELECT juki_test.try('TRUNCATE juki.operation_log');
SELECT juki_test.try('TRUNCATE juki.audit_checkpoint');
-- structure
SELECT juki_test.try('ALTER TABLE juki.operation_log ADD COLUMN note text');
SELECT juki_test.try('ALTER TABLE juki.operation_log DISABLE TRIGGER ALL');
SELECT juki_test.try('ALTER TABLE juki.operation_log ENABLE ROW LEVEL SECURITY');
SELECT juki_test.try('ALTER TABLE juki.operation_log OWNER TO regress_auditor');
SELECT juki_test.try('ALTER TABLE juki.operation_log RENAME TO old_log');
SELECT juki_test.try('ALTER TABLE juki.operation_log SET SCHEMA public');
SELECT juki_test.try('DROP TABLE juki.operation_log');
SELECT juki_test.try('DROP TABLE juki.audit_checkpoint CASCADE');
SELECT juki_test.try('DROP INDEX juki.operation_log_pkey');
SELECT juki_test.try('CREATE INDEX ON juki.operation_log (action)');
SELECT juki_test.try('CREATE TRIGGER t BEFORE INSERT ON juki.operation_log FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()');
SELECT juki_test.try('CREATE RULE r AS ON INSERT TO juki.operation_log DO INSTEAD NOTHING');
SELECT juki_test.try('CREATE POLICY p ON juki.operation_log USING (false)');
SELECT juki_test.try('GRANT UPDATE ON juki.operation_log TO PUBLIC');
SELECT juki_test.try('REVOKE SELECT ON juki.operation_log FROM juki_auditor');
SELECT juki_test.try('LOCK TABLE juki.operation_log IN ACCESS EXCLUSIVE MODE');
SELECT juki_test.try('COMMENT ON TABLE juki.operation_log IS ''x''');
SELECT juki_test.try('CREATE TABLE public.evil () INHERITS (juki.operation_log)');
SELECT juki_test.try('CREATE TABLE juki.extra (x int)');
SELECT juki_test.try('DROP SCHEMA juki CASCADE');
SELECT regexp_replace(juki_test.try('DROP EXTENSION juki CASCADE'), 'seq \d+ of [^;]*', 'seq N of T');
SELECT juki_test.try('ALTER EXTENSION juki DROP TABLE juki.operation_log');
SELECT juki_test.try('DROP DATABASE juki_regression');
-- COPY (not possible inside a function, so plain statements; FROM STDIN
-- would make psql read the rest of this script as data)
COPY juki.operation_log FROM '/dev/null';
COPY juki.operation_log TO STDOUT;
-- reading: a superuser is not an auditor
SELECT juki_test.try('SELECT count(*) FROM juki.operation_log');
SELECT juki_test.try('EXPLAIN SELECT * FROM juki.operation_log');
-- nor is a view or function of one's own over the log a way in
CREATE VIEW public.log_view AS SELECT seq FROM juki.operation_log;
GRANT SELECT ON public.log_view TO PUBLIC;
CREATE FUNCTION public.log_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM juki.operation_log';
SELECT juki_test.try('SELECT count(*) FROM public.log_view');
SELECT juki_test.try('SELECT public.log_count()');
\c - regress_auditor
SELECT juki_test.try('SELECT count(*) FROM public.log_view');
-- an auditor reads, and nothing more
SELECT juki_test.try('SELECT seq FROM juki.operation_log WHERE seq = 0 FOR UPDATE');
SELECT juki_test.try('UPDATE juki.operation_log SET reason = NULL WHERE false');
SELECT juki_test.try('DELETE FROM juki.audit_export');
\c - :su
DROP VIEW public.log_view;
DROP FUNCTION public.log_count();
-- a refusal inside a transaction that rolls back is still on record
BEGIN;
SELECT juki_test.try('DELETE FROM juki.operation_log WHERE seq = 1');
ROLLBACK;

-- maintenance is not refused
VACUUM juki.operation_log;
ANALYZE juki.operation_log;

-- every refusal above is in the log: command and object, denied, direct_access
\c - regress_auditor
SELECT seq - :mark AS n, action, outcome, reason, detail->>'command' AS command,
       detail->>'object' AS object
  FROM juki.operation_log WHERE seq > :mark AND action <> 'log_read' ORDER BY seq;
-- with the statement that was tried
SELECT detail->>'query' AS query FROM juki.operation_log
 WHERE seq > :mark AND action = 'direct_access' ORDER BY seq DESC LIMIT 1;
SELECT ok, first_bad_seq, problem FROM juki.verify_log();
\c - :su
