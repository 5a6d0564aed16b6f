-- Installation: the extension, its roles, seeds and configuration tables.
-- Runs first: it also creates juki_test.try(), which later tests use to show
-- an error's SQLSTATE, message, detail and hint without file/line noise.
\set su :USER
CREATE EXTENSION juki CASCADE;
-- newest: at the default version; juki's is the library's (juki.control's
-- default_version): pg_available_extensions does not list an extension found
-- through Debian's extension_destdir, as in the package build's tests
SELECT extname, extversion = CASE extname WHEN 'juki' THEN (SELECT version FROM juki.status())
                                          ELSE a.default_version END AS newest,
       extrelocatable, n.nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
  LEFT JOIN pg_available_extensions a ON a.name = e.extname
 WHERE extname IN ('juki', 'pgcrypto') ORDER BY 1;

CREATE SCHEMA juki_test;
CREATE FUNCTION juki_test.try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; det text; hnt text;
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
	RETURN st || ': ' || msg || coalesce(E'\nDETAIL: ' || nullif(det, ''), '')
		|| coalesce(E'\nHINT: ' || nullif(hnt, ''), '');
END
$$;
GRANT USAGE ON SCHEMA juki_test TO PUBLIC;
-- the audit writer notices the new extension and opens the chain; tests
-- that read the log wait for it so that their snapshot sees genesis
CREATE FUNCTION juki_test.wait_writer() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1 .. 600 LOOP
		IF (SELECT last_seq IS NOT NULL FROM juki.status()) THEN
			RETURN true;
		END IF;
		PERFORM pg_sleep(0.1);
	END LOOP;
	RETURN false;
END
$$;
SELECT juki_test.wait_writer();

-- the nine group roles of DESIGN §4, none able to log in or bypass checks
SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolbypassrls
  FROM pg_roles WHERE rolname LIKE 'juki\_%' ORDER BY 1;

-- every table of DESIGN §5, each with a comment naming the regulation's term
SELECT c.relname, obj_description(c.oid, 'pg_class') IS NOT NULL AS has_comment
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'juki' AND c.relkind = 'r' ORDER BY 1;

-- juki's tables are closed even to superusers: configuration is read through
-- juki's functions, by a member of a juki role
CREATE ROLE regress_sysadmin LOGIN;
GRANT juki_system_administrator TO regress_sysadmin;
-- a login role with no juki role, for later tests
CREATE ROLE regress_anyone LOGIN;
SELECT juki_test.try('SELECT count(*) FROM juki.purpose');
SELECT juki_test.try('SELECT count(*) FROM juki.purposes()');
\c - regress_sysadmin

-- the seed purposes of PURPOSES.md
SELECT code, department, max_rows, allows_forms, allows_bulk, search_keys
  FROM juki.purposes() ORDER BY code;
SELECT count(*) AS purposes, bool_and(seeded) AS all_seeded, bool_and(active) AS all_active
  FROM juki.purposes();
-- field letters: no purpose but the My Number ones disclose individual_number
SELECT code FROM juki.purposes() WHERE 'individual_number' = ANY (disclosed_fields) ORDER BY 1;
-- statistics never disclose names or codes
SELECT disclosed_fields && '{full_name,resident_code,individual_number}' AS identifies
  FROM juki.purposes() WHERE code = 'population_statistics';

-- default operating hours Mon-Fri 08:30-17:15
SELECT purpose, weekday, opens, closes FROM juki.operating_hours_in_force() ORDER BY weekday;
\c - :su

-- pg_dump keeps configuration (non-seed rows) of these tables
SELECT unnest(extconfig)::regclass AS config_table, unnest(extcondition) AS condition
  FROM pg_extension WHERE extname = 'juki' ORDER BY 1;

-- juki starts running (no emergency stop), retention 7 years
SELECT emergency_stop, current_setting('juki.log_retention') AS retention_years FROM juki.status();

-- not relocatable; every function may be called by every role (juki's own
-- role check is the gate, so each refusal is on record: api_refusals), but
-- no table is readable
SELECT juki_test.try('ALTER EXTENSION juki SET SCHEMA public');
SELECT count(*) FILTER (WHERE NOT has_function_privilege('public', p.oid, 'EXECUTE')) AS not_for_public,
       count(*) > 80 AS many_functions
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'juki';
SELECT count(*) AS tables_public_can_read FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'juki' AND c.relkind = 'r' AND has_table_privilege('public', c.oid, 'SELECT');
