/*
 * juki 1.0 → 1.1 upgrade script (ALTER EXTENSION juki UPDATE).
 *
 * Every change to juki's SQL objects since the 1.0 release is here, in the
 * order it was made, and also in extension/parts/ (the source of the newest
 * full script).  test/t/050_upgrade.pl checks that 1.0 plus this script gives
 * the same catalog as a fresh install of 1.1.
 */
\echo Use "ALTER EXTENSION juki UPDATE" to load this file. \quit

-- status(): also the installed SQL version, and whether it matches the
-- library; answers without preload (columns are filled by name in C).
DROP FUNCTION juki.status();
CREATE FUNCTION juki.status(OUT preloaded boolean, OUT version text, OUT database text,
							OUT timezone text, OUT writer_pid integer, OUT accepting boolean,
							OUT queued_bytes bigint, OUT queue_capacity bigint,
							OUT last_seq bigint, OUT standby boolean,
							OUT emergency_stop boolean, OUT sql_version text,
							OUT sql_current boolean)
	AS 'MODULE_PATHNAME', 'juki_status'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION juki.status() IS
	'Is juki enforcing, and with which settings; version is the library''s, sql_version the installed objects'' (works without preload)';
REVOKE ALL ON FUNCTION juki.status() FROM PUBLIC;	-- as 99_grants.sql does, so the ACL reads the same
GRANT EXECUTE ON FUNCTION juki.status() TO PUBLIC;

-- Issue 13, class 3: no planner statistics of personal or secret data:
-- every column of juki's tables but the log tables' bookkeeping columns
-- gets statistics target 0 (as extension/parts/95_statistics.sql).
DO $nostats$
DECLARE r record;
BEGIN
	FOR r IN
		SELECT c.relname, a.attname
		  FROM pg_catalog.pg_class c
		  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
		 WHERE c.relnamespace = 'juki'::pg_catalog.regnamespace
		   AND c.relkind IN ('r', 'p', 'm') AND a.attnum > 0 AND NOT a.attisdropped
		   AND a.attstattarget <> 0
		   AND NOT (c.relname IN ('operation_log', 'audit_checkpoint', 'audit_export')
					AND a.attname IN ('seq', 'ts', 'db_role', 'operator_id', 'session_id',
									  'card_serial', 'client_addr', 'backend_pid', 'action',
									  'purpose', 'permit_id', 'outcome', 'reason', 'fields',
									  'row_count', 'prev_hash', 'hash', 'origin', 'key_id',
									  'signature', 'line', 'id', 'from_seq', 'to_seq',
									  'checkpoint_seq', 'digest', 'exported_by', 'exported_at'))
		 ORDER BY c.relname, a.attnum
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE juki.%I ALTER COLUMN %I SET STATISTICS 0',
								  r.relname, r.attname);
	END LOOP;
END
$nostats$;
