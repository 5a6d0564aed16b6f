/* ----------------------------------------------------------- privileges */

-- Nothing in the schema is reachable by default; each role gets exactly its
-- functions.  Table privileges are never granted except the auditor's read
-- of the log (DESIGN §8); juki's guard enforces this even for superusers.
REVOKE ALL ON ALL TABLES IN SCHEMA juki FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA juki FROM PUBLIC;
GRANT USAGE ON SCHEMA juki TO PUBLIC;
GRANT USAGE ON DOMAIN juki.resident_code, juki.individual_number, juki.municipality_code TO PUBLIC;
GRANT EXECUTE ON FUNCTION juki.is_valid_resident_code(text), juki.is_valid_individual_number(text),
	juki.is_valid_municipality_code(text), juki.check_resident_code(text),
	juki.check_individual_number(text), juki.check_municipality_code(text) TO PUBLIC;
GRANT SELECT ON juki.operation_log, juki.audit_checkpoint TO juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.status() TO PUBLIC;
GRANT SELECT ON juki.audit_export TO juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.verify_log(text[], text[]) TO juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.export_log(bigint, bigint), juki.purge_expired_log() TO juki_access_manager;
GRANT EXECUTE ON FUNCTION juki.checkpoint() TO juki_access_manager, juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.card_challenge(text), juki.card_login(text, bytea, text),
	juki.attach(text), juki.unlock(text, bytea, text), juki.logout(text), juki.whoami()
	TO juki_operator, juki_contractor_operator, juki_terminal;
GRANT EXECUTE ON FUNCTION juki.emergency_stop(text), juki.emergency_resume(text)
	TO juki_chief_security_officer;

-- Parallel workers are outside juki's door (a user's PARALLEL SAFE function
-- run in a worker must not read juki's tables), so juki's own PL/pgSQL
-- functions never plan parallel queries.
DO $noparallel$
DECLARE f regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
			  WHERE p.pronamespace = 'juki'::regnamespace AND l.lanname IN ('plpgsql', 'sql')
				AND p.prokind = 'f' AND p.proname <> 'fold'
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SET max_parallel_workers_per_gather = 0', f);
	END LOOP;
END
$noparallel$;
