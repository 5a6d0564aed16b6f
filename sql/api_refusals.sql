-- Every refusal on the record (issue 14 §1): every function of extension
-- juki, called by every role that may not call it, is refused by juki itself
-- (never by PostgreSQL's "permission denied for function") with exactly one
-- operation-log entry naming the function, the role and the login.
--
-- The calls are generated from the catalog (pg_depend of extension juki), so
-- a function added later is covered without editing this test.  Each call
-- passes NULL for every argument: juki checks the role before it looks at
-- an argument.  Who may call what is read from behaviour: a juki role is
-- "allowed" when its call is not refused with role_required; the list of
-- allowed roles per function is part of the expected output below, so a
-- change to it shows up here for review.
\set su :USER
-- one login role holding each juki role (and nothing else), and one with none
SELECT format('CREATE ROLE %I LOGIN', 'regress_api_' || substr(rolname, 6)),
       format('GRANT %I TO %I', rolname, 'regress_api_' || substr(rolname, 6))
  FROM pg_roles WHERE rolname LIKE 'juki\_%' ORDER BY rolname \gexec
CREATE ROLE regress_api_none LOGIN;

-- the functions and one call of each, NULL for every argument
CREATE TABLE juki_test.api_call (fn regprocedure PRIMARY KEY, internal boolean, call text);
INSERT INTO juki_test.api_call
SELECT p.oid::regprocedure, p.proname LIKE '\_%',
       format('SELECT %s(%s)', p.oid::regproc,
              (SELECT coalesce(string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY i), '')
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)))
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
 WHERE e.extname = 'juki' AND d.deptype = 'e'
   -- meant for everyone: the status a DBA checks first, the code validators
   -- and the domains' checks, and fold() of the search indexes
   AND p.proname NOT IN ('status', 'fold', 'is_valid_resident_code', 'is_valid_individual_number',
                         'is_valid_municipality_code', 'check_resident_code', 'check_individual_number',
                         'check_municipality_code')
   -- PostgreSQL itself refuses an argument of type internal from SQL ("cannot
   -- cast type unknown to internal"): nobody calls these; their aggregate is
   AND NOT 'internal'::regtype = ANY (p.proargtypes::oid[]);
GRANT SELECT ON juki_test.api_call TO PUBLIC;
SELECT count(*) > 80 AS many_functions, count(*) FILTER (WHERE internal) > 20 AS many_internal
  FROM juki_test.api_call;

-- each call as the role connected: its SQLSTATE, message and reason, and the
-- log's last durable seq before and after (every refusal is durable before
-- it is raised; nothing else writes to the log meanwhile)
CREATE TABLE juki_test.api_result (role name, fn regprocedure, sqlstate text, message text,
                                   reason text, seq_before bigint, seq_after bigint);
GRANT SELECT, INSERT ON juki_test.api_result TO PUBLIC;
CREATE FUNCTION juki_test.api_run() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	c record; s0 bigint; st text; msg text; det text; n bigint := 0;
BEGIN
	FOR c IN SELECT * FROM juki_test.api_call ORDER BY fn::text LOOP
		s0 := (SELECT last_seq FROM juki.status());
		BEGIN
			EXECUTE c.call;
			st := '00000'; msg := NULL; det := NULL;
		EXCEPTION WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
		END;
		INSERT INTO juki_test.api_result
		VALUES (current_user, c.fn, st, msg, substring(det FROM '^reason: ([a-z_]+)'), s0,
				(SELECT last_seq FROM juki.status()));
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;

\c - regress_api_none
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_access_manager
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_auditor
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_chief_security_officer
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_contractor_operator
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_operator
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_registrar
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_security_officer
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_system_administrator
SELECT juki_test.api_run() > 80 AS called;
\c - regress_api_terminal
SELECT juki_test.api_run() > 80 AS called;

\c - regress_api_auditor
-- every role called every function
SELECT count(DISTINCT role) AS roles, count(*) = count(DISTINCT (role, fn)) AS once_each,
       count(*) = 10 * (SELECT count(*) FROM juki_test.api_call) AS all_calls
  FROM juki_test.api_result;
-- PostgreSQL's own privilege check never answers
SELECT role, fn, message FROM juki_test.api_result WHERE message LIKE 'permission denied for function%';
-- the login role without a juki role is refused by every function: role_required
-- for the API, direct_access for internal helpers; always 42501
SELECT r.fn, r.sqlstate, r.reason FROM juki_test.api_result r JOIN juki_test.api_call c USING (fn)
 WHERE r.role = 'regress_api_none'
   AND (r.sqlstate <> '42501' OR r.reason IS DISTINCT FROM CASE WHEN c.internal THEN 'direct_access' ELSE 'role_required' END);
-- internal helpers refuse every role, juki's own included
SELECT r.role, r.fn, r.sqlstate, r.reason FROM juki_test.api_result r JOIN juki_test.api_call c USING (fn)
 WHERE c.internal AND (r.sqlstate <> '42501' OR r.reason IS DISTINCT FROM 'direct_access');
-- role_required is always 42501
SELECT role, fn, sqlstate FROM juki_test.api_result WHERE reason = 'role_required' AND sqlstate <> '42501';
-- each refusal has exactly one entry between the seqs around its call, and
-- that entry names the function (an aggregate: the function it calls), the
-- role in effect and the login
WITH refusal AS (
	SELECT r.role, r.fn, r.reason, r.seq_before, r.seq_after,
	       CASE WHEN c.internal THEN 'direct_access' ELSE p.proname::text END AS action,
	       CASE WHEN c.internal THEN 'function ' || coalesce(a.aggtransfn::regprocedure::text, r.fn::text) END
	         AS object
	  FROM juki_test.api_result r JOIN juki_test.api_call c USING (fn)
	  JOIN pg_proc p ON p.oid = r.fn LEFT JOIN pg_aggregate a ON a.aggfnoid = r.fn
	 WHERE r.reason IN ('role_required', 'direct_access'))
SELECT * FROM (
	SELECT f.role, f.fn, f.reason, count(l.seq) AS entries,
	       count(l.seq) FILTER (WHERE l.outcome = 'denied' AND l.reason = f.reason AND l.action = f.action
	                              AND l.db_role = f.role AND l.login_role = f.role
	                              AND l.detail->>'object' IS NOT DISTINCT FROM f.object) AS matching
	  FROM refusal f LEFT JOIN juki.operation_log l ON l.seq > f.seq_before AND l.seq <= f.seq_after
	 GROUP BY f.role, f.fn, f.reason) x
 WHERE entries <> 1 OR matching <> 1;
-- how many refusals that makes, all on record
SELECT count(*) FILTER (WHERE reason = 'role_required') > 500 AS many_role_required,
       count(*) FILTER (WHERE reason = 'direct_access') = 10 * (SELECT count(*) FROM juki_test.api_call WHERE internal)
         AS every_internal_call_refused
  FROM juki_test.api_result;

-- who may call what, as juki's own checks answer (roles without "juki_")
SELECT c.fn, array_agg(substr(r.role, 13) ORDER BY r.role) AS allowed
  FROM juki_test.api_call c JOIN juki_test.api_result r USING (fn)
 WHERE NOT c.internal AND r.reason IS DISTINCT FROM 'role_required' AND r.role <> 'regress_api_none'
 GROUP BY c.fn ORDER BY c.fn::text;
-- and no API function is open to every juki role but purposes() and
-- operating_hours_in_force() (the rules in force, for all staff)
SELECT c.fn FROM juki_test.api_call c JOIN juki_test.api_result r USING (fn)
 WHERE NOT c.internal AND r.reason IS DISTINCT FROM 'role_required' AND r.role <> 'regress_api_none'
 GROUP BY c.fn HAVING count(*) = 9 ORDER BY c.fn::text;
\c - :su

-- No refusal of juki's PL/pgSQL without a reason code and an entry: every one
-- goes through juki._fail (or juki._log, then juki._raise), never a bare
-- RAISE EXCEPTION, which carries neither.  The internal helpers' own "is
-- internal" checks included (the guard refuses a call from outside juki
-- first; these catch a wrong call from inside).  import_residents keeps one:
-- an assertion on a locked source ("cannot happen"), like elog in C.
SELECT p.oid::regprocedure AS raises_without_reason
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
 WHERE e.extname = 'juki' AND d.deptype = 'e' AND p.prosrc ~* '\mRAISE\s+EXCEPTION\M'
 ORDER BY p.oid::regprocedure::text;
