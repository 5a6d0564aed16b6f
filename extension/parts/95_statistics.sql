/* ---------------------------------------------------- planner statistics */

-- No planner statistics of personal or secret data (issue 13): pg_statistic,
-- which superusers read, would hold the commonest names, addresses and
-- birth dates, password hashes, card keys, permit reasons and officers'
-- notes.  Every column of juki's tables keeps none, except the log tables'
-- bookkeeping columns.  The library (src/guard_catalog.c) holds the
-- catalog to the same rule whatever it says later: keep the two lists alike.
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
									  'row_count', 'prev_hash', 'hash', 'login_role', 'origin', 'key_id',
									  'signature', 'line', 'id', 'from_seq', 'to_seq',
									  'checkpoint_seq', 'digest', 'exported_by', 'exported_at'))
		 ORDER BY c.relname, a.attnum
	LOOP
		EXECUTE pg_catalog.format('ALTER TABLE juki.%I ALTER COLUMN %I SET STATISTICS 0',
								  r.relname, r.attname);
	END LOOP;
END
$nostats$;
