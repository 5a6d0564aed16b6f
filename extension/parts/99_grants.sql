/* ----------------------------------------------------------- privileges */

-- Table privileges are never granted except the auditor's read of the log
-- (DESIGN §8); juki's guard enforces this even for superusers.
REVOKE ALL ON ALL TABLES IN SCHEMA juki FROM PUBLIC;
GRANT USAGE ON SCHEMA juki TO PUBLIC;
GRANT USAGE ON DOMAIN juki.resident_code, juki.individual_number, juki.municipality_code TO PUBLIC;
GRANT SELECT ON juki.operation_log, juki.audit_checkpoint TO juki_auditor, juki_chief_security_officer;
GRANT SELECT ON juki.audit_export TO juki_auditor, juki_chief_security_officer;

-- Every function may be called by every role: juki's own check is the only
-- gate, so that each call is either carried out or refused by juki, and on
-- record (PostgreSQL's "permission denied for function" would refuse it
-- unseen).  Each API function checks the caller's real membership first,
-- before it looks at an argument; internal helpers (juki._*) refuse, logged,
-- any call that does not come from another juki function (guard.c); the
-- code validators, status() and fold() are for everyone.  The explicit
-- REVOKE + GRANT gives the same ACL as an upgraded 1.0 (juki--1.0--1.1.sql).
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA juki FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA juki TO PUBLIC;

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
