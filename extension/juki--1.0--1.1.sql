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

-- verify_log(): also how many signings the log records, how many
-- checkpoints juki.audit_checkpoint and juki.checkpoint_directory hold, and
-- the newest of them (issue 13, class 8); columns are filled by name in C.
DROP FUNCTION juki.verify_log(text[], text[]);
CREATE FUNCTION juki.verify_log(checkpoints text[] DEFAULT NULL, public_keys text[] DEFAULT NULL,
								OUT ok boolean, OUT entries_checked bigint,
								OUT first_bad_seq bigint, OUT problem text,
								OUT checkpoints_logged bigint, OUT checkpoints_stored bigint,
								OUT checkpoint_files bigint, OUT last_checkpoint_seq bigint)
	AS 'MODULE_PATHNAME', 'juki_verify_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.verify_log(text[], text[]) IS
	'Recompute the 操作履歴 hash chain; check stored, directory and given signed checkpoints, and that every signing the log records is stored (auditor, chief)';
REVOKE ALL ON FUNCTION juki.verify_log(text[], text[]) FROM PUBLIC;	-- as 99_grants.sql does
GRANT EXECUTE ON FUNCTION juki.verify_log(text[], text[]) TO juki_auditor, juki_chief_security_officer;

-- Reports count what was disclosed: a granted lookup, search or form whose
-- client never got the answer (a "withheld" entry names it) is not a
-- disclosure.  CREATE OR REPLACE resets SET options: put back what the
-- DO block of 99_grants.sql gives every PL/pgSQL function.
CREATE OR REPLACE FUNCTION juki.report_access(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
								   until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (day date, operator_id bigint, role_name name, display_name text, department text,
				   purpose text, action text, granted bigint, denied bigint, rows_disclosed bigint)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_access';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT (l.ts AT TIME ZONE juki._tz())::date, l.operator_id, o.role_name, o.display_name, o.department,
		   l.purpose, l.action, count(*) FILTER (WHERE l.outcome = 'granted' AND w.seq IS NULL),
		   count(*) FILTER (WHERE l.outcome <> 'granted'),
		   coalesce(sum(l.row_count) FILTER (WHERE l.outcome = 'granted' AND w.seq IS NULL), 0)::bigint
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	  -- a granted request whose client never got the answer disclosed nothing
	  LEFT JOIN (SELECT DISTINCT (x.detail ->> 'withheld_seq')::bigint AS seq FROM juki.operation_log x
				  WHERE x.action = 'withheld') w ON w.seq = l.seq
	 WHERE l.action IN ('lookup', 'search', 'issue_form') AND l.ts >= $1 AND l.ts < $2
	 GROUP BY 1, 2, 3, 4, 5, 6, 7
	 ORDER BY 1, 3 NULLS FIRST, 6 NULLS FIRST, 7;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_access(timestamptz, timestamptz) IS
	'監査: disclosures granted (and carried out: no withheld entry) and refused per day, operator, purpose and kind (lookup, search, form)';

CREATE OR REPLACE FUNCTION juki.report_provision(resident_code text,
									  since timestamptz DEFAULT pg_catalog.now() - interval '1 year',
									  until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, disclosed_at timestamptz, disclosed_on date, action text, purpose text,
				   purpose_title text, legal_basis text, department text, operator_id bigint,
				   operator_name text, contractor text, fields text[], form_serial text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_provision';
	v_code text := $1;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $2, $3);
	IF v_code IS NULL OR NOT juki.is_valid_resident_code(v_code) THEN
		PERFORM juki._fail(a, 'invalid_resident_code', '22023', 'resident_code is not a valid 住民票コード',
			'A 住民票コード has 11 ASCII digits.');
	END IF;
	RETURN QUERY
	SELECT l.seq, l.ts, (l.ts AT TIME ZONE juki._tz())::date, l.action, l.purpose, p.title, p.legal_basis,
		   o.department, l.operator_id, o.display_name, k.name, l.fields, l.detail ->> 'form_serial'
	  FROM juki.operation_log l
	  LEFT JOIN juki.operator o ON o.id = l.operator_id
	  LEFT JOIN juki.contract c ON c.id = o.contract_id
	  LEFT JOIN juki.contractor k ON k.id = c.contractor_id
	  LEFT JOIN LATERAL (SELECT x.title, x.legal_basis FROM juki.purpose x WHERE x.code = l.purpose
						  ORDER BY (x.version = (l.detail ->> 'purpose_version')::integer) DESC, x.version DESC
						  LIMIT 1) p ON true
	 WHERE l.action IN ('lookup', 'search', 'issue_form') AND l.outcome = 'granted'
	   AND l.subjects @> ARRAY[v_code] AND l.ts >= $2 AND l.ts < $3
	   -- a granted request whose client never got the answer disclosed nothing
	   AND NOT EXISTS (SELECT 1 FROM juki.operation_log x
					   WHERE x.action = 'withheld' AND x.seq > l.seq
						 AND (x.detail ->> 'withheld_seq')::bigint = l.seq)
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, subjects => ARRAY[v_code], row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $2, 'until', $3));
END
$$;
COMMENT ON FUNCTION juki.report_provision(text, timestamptz, timestamptz) IS
	'提供状況の開示: when, for which purpose (and law), to which department and operator, which items of a resident were disclosed';

ALTER FUNCTION juki.report_access(timestamptz, timestamptz) SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION juki.report_provision(text, timestamptz, timestamptz) SET max_parallel_workers_per_gather = 0;
