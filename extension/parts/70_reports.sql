/* ------------------------------------------------------------ 監査 (reports) */
/*
 * 要領 第1 5 (監査・研修体制) and 第2 3 (操作履歴の保管): the auditor's and the
 * chief's reports, as functions returning tables that can be filtered further
 * in SQL.  Each call is logged once (action report_<name>, row_count, the
 * parameters in detail); the provision record also names its resident in
 * subjects.  For juki_auditor and juki_chief_security_officer (checked first).
 * Reports read the operation log and the policy tables; they never return a
 * resident's name or address (resident codes only, and only where asked).
 * Days are calendar days in juki.timezone.  Windows are [since, until).
 */

-- The time zone of juki's calendar (juki.timezone), falling back to Asia/Tokyo.
CREATE FUNCTION juki._tz() RETURNS text
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(pg_catalog.current_setting('juki.timezone', true), 'Asia/Tokyo')
$$;

-- Role and window checks common to the reports; internal.
CREATE FUNCTION juki._report_start(a text, since timestamptz, until timestamptz) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF a IS NULL OR a !~ '^report_[a-z_]+$' THEN
		PERFORM juki._fail('direct_access', 'direct_access', '42501',
			pg_catalog.format('%s is internal to juki', 'juki._report_start'),
			'Call juki''s documented functions instead.');
	END IF;
	PERFORM juki._start(a, ARRAY['juki_auditor', 'juki_chief_security_officer'],
		'since and until must not be NULL',
		ARRAY[since IS NULL, until IS NULL]);
	IF until < since THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'until is before since');
	END IF;
END
$$;

/* --------------------------------------------------- access by operator, purpose, day */

CREATE FUNCTION juki.report_access(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
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

/* ------------------------------------------------- 提供状況 (a resident's provision record) */

CREATE FUNCTION juki.report_provision(resident_code text,
									  since timestamptz DEFAULT pg_catalog.now() - interval '1 year',
									  until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, disclosed_at timestamptz, disclosed_on date, action text, purpose text,
				   purpose_title text, legal_basis text, department text, operator_id bigint,
				   operator_name text, contractor text, fields text[], form_serial text, terminal text)
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
		   o.department, l.operator_id, o.display_name, k.name, l.fields, l.detail ->> 'form_serial',
		   l.terminal
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
	'提供状況の開示: when, for which purpose (and law), to which department and operator (at which terminal, 業務端末), which items of a resident were disclosed';

/* ------------------------------------------------------------------ denials */

CREATE FUNCTION juki.report_denials(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
									until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (reason text, action text, denials bigint, operators bigint, db_roles bigint,
				   first_at timestamptz, last_at timestamptz)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_denials';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.reason, l.action, count(*), count(DISTINCT l.operator_id), count(DISTINCT l.db_role),
		   min(l.ts), max(l.ts)
	  FROM juki.operation_log l
	 WHERE l.outcome = 'denied' AND l.ts >= $1 AND l.ts < $2
	 GROUP BY 1, 2 ORDER BY 1, 2;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_denials(timestamptz, timestamptz) IS '監査: refusals by reason and action';

/* ---------------------------------------------------------------- off hours */

CREATE FUNCTION juki.report_off_hours(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
									  until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, ts timestamptz, day date, operator_id bigint, role_name name, department text,
				   action text, purpose text, permit_id bigint, row_count bigint)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_off_hours';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.seq, l.ts, (l.ts AT TIME ZONE juki._tz())::date, l.operator_id, o.role_name, o.department,
		   l.action, l.purpose, l.permit_id, l.row_count
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	 WHERE l.outcome = 'granted' AND l.action IN ('lookup', 'search', 'issue_form')
	   AND (l.detail ->> 'off_hours')::boolean AND l.ts >= $1 AND l.ts < $2
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_off_hours(timestamptz, timestamptz) IS
	'監査: disclosures outside the operating hours (運用時間), under an off-hours permit';

/* -------------------------------------------------------------- bulk requests */

CREATE FUNCTION juki.report_bulk(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
								 until timestamptz DEFAULT pg_catalog.now(), min_rows integer DEFAULT 100)
	RETURNS TABLE (seq bigint, ts timestamptz, operator_id bigint, role_name name, purpose text,
				   outcome text, reason text, row_count bigint, permit_id bigint, permit_bulk_rows integer)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_bulk';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	IF $3 IS NULL OR $3 < 1 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'min_rows must be at least 1');
	END IF;
	RETURN QUERY
	SELECT l.seq, l.ts, l.operator_id, o.role_name, l.purpose, l.outcome, l.reason, l.row_count, l.permit_id,
		   ap.bulk_rows
	  FROM juki.operation_log l
	  LEFT JOIN juki.operator o ON o.id = l.operator_id
	  LEFT JOIN juki.access_permit ap ON ap.id = l.permit_id
	 WHERE l.action IN ('lookup', 'search', 'issue_form') AND l.ts >= $1 AND l.ts < $2
	   AND (ap.bulk_rows IS NOT NULL OR l.reason IN ('too_many_rows', 'permit_used', 'volume_exceeded')
			OR (l.action = 'search' AND (l.row_count >= $3
				OR EXISTS (SELECT 1 FROM juki.purpose p WHERE p.code = l.purpose AND p.allows_bulk))))
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2, 'min_rows', $3));
END
$$;
COMMENT ON FUNCTION juki.report_bulk(timestamptz, timestamptz, integer) IS
	'監査: 大量データ取り扱い: requests under bulk permits, batch searches, searches of min_rows rows or more, and requests refused for their volume';

/* ----------------------------------------------------- login failures and lockouts */

CREATE FUNCTION juki.report_login_failures(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
										   until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, ts timestamptz, action text, outcome text, reason text, operator_id bigint,
				   role_name name, card_serial text, client_addr text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_login_failures';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.seq, l.ts, l.action, l.outcome, l.reason, l.operator_id, o.role_name, l.card_serial, l.client_addr
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	 WHERE ((l.action IN ('card_login', 'unlock') AND l.outcome <> 'granted') OR l.action = 'operator_lock')
	   AND l.ts >= $1 AND l.ts < $2
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_login_failures(timestamptz, timestamptz) IS
	'監査: failed logins and unlocks (the precise reason) and lockouts (operator_lock)';

/* ----------------------------------------------------------- possible shared IDs */

CREATE FUNCTION juki.report_shared_ids(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
									   until timestamptz DEFAULT pg_catalog.now(), max_hours integer DEFAULT 10)
	RETURNS TABLE (session_id bigint, operator_id bigint, role_name name, card_serial text, addresses text[],
				   first_at timestamptz, last_at timestamptz, hours numeric, several_addresses boolean,
				   long_session boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_shared_ids';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	IF $3 IS NULL OR $3 < 1 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'max_hours must be at least 1');
	END IF;
	RETURN QUERY
	SELECT s.session_id, s.operator_id, o.role_name, s.card_serial, s.addresses, s.first_at, s.last_at,
		   round(extract(epoch FROM s.last_at - s.first_at) / 3600, 1),
		   pg_catalog.cardinality(s.addresses) > 1, s.last_at - s.first_at >= $3 * interval '1 hour'
	  FROM (SELECT l.session_id, min(l.operator_id) AS operator_id, min(l.card_serial) AS card_serial,
				   pg_catalog.array_agg(DISTINCT coalesce(l.client_addr, 'local')) AS addresses,
				   min(l.ts) AS first_at, max(l.ts) AS last_at
			  FROM juki.operation_log l
			 WHERE l.session_id IS NOT NULL AND l.ts >= $1 AND l.ts < $2
			 GROUP BY l.session_id) s
	  LEFT JOIN juki.operator o ON o.id = s.operator_id
	 WHERE pg_catalog.cardinality(s.addresses) > 1 OR s.last_at - s.first_at >= $3 * interval '1 hour'
	 ORDER BY s.session_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2, 'max_hours', $3));
END
$$;
COMMENT ON FUNCTION juki.report_shared_ids(timestamptz, timestamptz, integer) IS
	'監査: possible shared IDs: one operator session seen from several client addresses (local = Unix socket), or active max_hours or longer';

/* ------------------------------------------------- designation and permit changes */

CREATE FUNCTION juki.report_designation_changes(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
												until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, ts timestamptz, action text, changed_by text, operator_id bigint, role_name name,
				   purpose text, permit_id bigint, detail jsonb)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_designation_changes';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.seq, l.ts, l.action, l.db_role, l.operator_id, o.role_name, l.purpose, l.permit_id, l.detail
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	 WHERE l.outcome = 'granted' AND l.ts >= $1 AND l.ts < $2
	   AND l.action IN ('designate', 'revoke_designation', 'designate_handler', 'revoke_handler',
						'request_permit', 'approve_permit', 'reject_permit', 'retire_operator',
						'appoint_security_officer', 'retire_security_officer')
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_designation_changes(timestamptz, timestamptz) IS
	'監査: 指名, 委託の都度の指定 and 許可 given, changed and withdrawn, and who did it';

/* --------------------------------------------------- designations unused for 90 days */

CREATE FUNCTION juki.report_unused_designations(days integer DEFAULT 90)
	RETURNS TABLE (kind text, id bigint, operator_id bigint, role_name name, department text, purposes text[],
				   designated_on date, valid_until date, last_used timestamptz, days_unused integer)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_unused_designations';
	v_days integer := $1;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 OR v_days > 3650 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'days must be between 0 and 3650');
	END IF;
	RETURN QUERY
	WITH d AS (
		SELECT 'designation'::text AS kind, x.id, x.operator_id, x.purposes, x.created_at, x.valid_until
		  FROM juki.designation x WHERE x.revoked_at IS NULL
		UNION ALL
		SELECT 'contract_handler', h.id, h.operator_id, c.purposes, h.created_at, h.valid_until
		  FROM juki.contract_handler h JOIN juki.contract c ON c.id = h.contract_id WHERE h.revoked_at IS NULL
	), u AS (
		SELECT d.*, (SELECT max(l.ts) FROM juki.operation_log l
					  WHERE l.operator_id = d.operator_id AND l.outcome = 'granted'
						AND l.action IN ('lookup', 'search', 'issue_form') AND l.purpose = ANY (d.purposes)
						AND l.ts >= d.created_at) AS last_used
		  FROM d
		 WHERE d.valid_until >= (pg_catalog.now() AT TIME ZONE juki._tz())::date
		   AND d.created_at <= pg_catalog.now() - v_days * interval '1 day'
	)
	SELECT u.kind, u.id, u.operator_id, o.role_name, o.department, u.purposes,
		   (u.created_at AT TIME ZONE juki._tz())::date, u.valid_until, u.last_used,
		   ((pg_catalog.now() AT TIME ZONE juki._tz())::date
			- (coalesce(u.last_used, u.created_at) AT TIME ZONE juki._tz())::date)::integer
	  FROM u JOIN juki.operator o ON o.id = u.operator_id
	 WHERE o.retired_at IS NULL
	   AND (u.last_used IS NULL OR u.last_used <= pg_catalog.now() - v_days * interval '1 day')
	 ORDER BY o.role_name, u.kind, u.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_unused_designations(integer) IS
	'監査: designations (指名) and handler designations in force, older than days, not used for any of their purposes for days (default 90): candidates for revocation (必要最小限度)';

/* ---------------------------------------------------------------- outstanding forms */

CREATE FUNCTION juki.report_outstanding_forms(older_than_days integer DEFAULT 0)
	RETURNS TABLE (serial text, form_type text, purpose text, operator_id bigint, role_name name,
				   department text, printed_at timestamptz, days_outstanding integer, status text,
				   destruction_requested boolean, destruction_requested_by text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_outstanding_forms';
	v_days integer := $1;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'older_than_days must be 0 or more');
	END IF;
	RETURN QUERY
	SELECT f.serial, f.form_type, f.purpose, f.operator_id, o.role_name, o.department, f.printed_at,
		   ((pg_catalog.now() AT TIME ZONE juki._tz())::date - (f.printed_at AT TIME ZONE juki._tz())::date)::integer,
		   f.status, f.destruction_requested_at IS NOT NULL, f.destruction_requested_by
	  FROM juki.printed_form f JOIN juki.operator o ON o.id = f.operator_id
	 WHERE f.status <> 'destroyed' AND f.printed_at <= pg_catalog.now() - v_days * interval '1 day'
	   -- a form whose client never got it (a withheld entry names its entry) was never printed
	   AND NOT EXISTS (SELECT 1 FROM juki.operation_log l JOIN juki.operation_log w
						 ON w.action = 'withheld' AND (w.detail ->> 'withheld_seq')::bigint = l.seq
					   WHERE l.action = 'issue_form' AND l.outcome = 'granted'
						 AND l.detail ->> 'form_serial' = f.serial)
	 ORDER BY f.serial;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('older_than_days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_outstanding_forms(integer) IS
	'帳票: printed forms never destroyed (issued or filed; not those withheld from their client), with pending destruction requests';

/* ---------------------------------------------------------------------- contracts */

CREATE FUNCTION juki.report_contracts(within_days integer DEFAULT 60)
	RETURNS TABLE (contract_id bigint, contractor text, starts_on date, ends_on date, days_left integer,
				   pledge_received_on date, approved boolean, contractor_approved boolean,
				   handlers_in_force integer, max_handlers integer, issues text[])
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_contracts';
	v_days integer := $1;
	today date := (pg_catalog.now() AT TIME ZONE juki._tz())::date;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 OR v_days > 3650 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'within_days must be between 0 and 3650');
	END IF;
	RETURN QUERY
	SELECT * FROM (
		SELECT c.id, k.name, c.starts_on, c.ends_on, (c.ends_on - today)::integer, c.pledge_received_on,
			   c.approved_at IS NOT NULL, k.approved_at IS NOT NULL,
			   (SELECT count(DISTINCT h.operator_id)::integer FROM juki.contract_handler h
				 WHERE h.contract_id = c.id AND h.revoked_at IS NULL AND today BETWEEN h.valid_from AND h.valid_until),
			   c.max_handlers,
			   pg_catalog.array_remove(ARRAY[
				   CASE WHEN c.ends_on < today THEN 'expired' END,
				   CASE WHEN c.ends_on >= today AND c.ends_on <= today + v_days THEN 'expires_soon' END,
				   CASE WHEN c.pledge_received_on IS NULL THEN 'pledge_missing' END,
				   CASE WHEN c.approved_at IS NULL THEN 'contract_unapproved' END,
				   CASE WHEN k.approved_at IS NULL THEN 'contractor_unapproved' END,
				   CASE WHEN c.ends_on < today AND EXISTS (SELECT 1 FROM juki.contract_handler h
						WHERE h.contract_id = c.id AND h.revoked_at IS NULL AND h.valid_until >= c.ends_on)
						THEN 'handlers_not_revoked' END], NULL) AS issues
		  FROM juki.contract c JOIN juki.contractor k ON k.id = c.contractor_id
		 WHERE c.ends_on >= today - v_days
	) r
	 WHERE pg_catalog.cardinality(r.issues) > 0
	 ORDER BY r.ends_on, r.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('within_days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_contracts(integer) IS
	'外部委託: contracts expiring within (or ended within) within_days days, lacking a pledge (誓約書) or an approval';

/* ------------------------------------------------------------------------ training */

CREATE FUNCTION juki.report_training_due(within_days integer DEFAULT 30)
	RETURNS TABLE (operator_id bigint, role_name name, display_name text, department text, kind text,
				   course text, last_completed date, due_on date, days_left integer, status text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_training_due';
	v_days integer := $1;
	today date := (pg_catalog.now() AT TIME ZONE juki._tz())::date;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 OR v_days > 366 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'within_days must be between 0 and 366');
	END IF;
	RETURN QUERY
	SELECT * FROM (
		SELECT o.id, o.role_name, o.display_name, o.department, o.kind, cs.course, t.last,
			   (t.last + interval '12 months')::date,
			   ((t.last + interval '12 months')::date - today)::integer,
			   CASE WHEN t.last IS NULL THEN 'never'
					WHEN (t.last + interval '12 months')::date < today THEN 'overdue'
					ELSE 'due' END AS status
		  FROM juki.operator o
		 CROSS JOIN (VALUES ('operator'), ('administrator')) cs(course)
		  LEFT JOIN LATERAL (SELECT max(x.completed_on) AS last FROM juki.training x
							  WHERE x.operator_id = o.id AND x.course = cs.course) t ON true
		 WHERE o.retired_at IS NULL
		   -- the administrator course is renewed by those who took it
		   AND (cs.course = 'operator' OR t.last IS NOT NULL)
	) r
	 WHERE r.last IS NULL OR (r.last + interval '12 months')::date <= today + v_days
	 ORDER BY r.role_name, r.course;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('within_days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_training_due(integer) IS
	'研修: operators whose course (within 12 months) is missing, overdue, or due within within_days days';

/* ------------------------------------------------------------------------ log health */

CREATE FUNCTION juki.report_log_health()
	RETURNS TABLE (last_seq bigint, last_entry_at timestamptz, last_verify_at timestamptz, last_verify_ok boolean,
				   last_verify_by text, last_verify_entries bigint, last_checkpoint_seq bigint,
				   last_checkpoint_at timestamptz, entries_after_checkpoint bigint, last_export_to_seq bigint,
				   last_export_at timestamptz, entries_after_export bigint)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_log_health';
	v_last bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	SELECT max(l.seq) INTO v_last FROM juki.operation_log l;
	RETURN QUERY
	SELECT v_last, (SELECT l.ts FROM juki.operation_log l WHERE l.seq = v_last),
		   v.ts, (v.detail ->> 'ok')::boolean, v.db_role, (v.detail ->> 'entries_checked')::bigint,
		   cp.seq, cp.ts, v_last - cp.seq, ex.to_seq, ex.exported_at, v_last - ex.to_seq
	  FROM (SELECT 1) one
	  LEFT JOIN LATERAL (SELECT l.ts, l.detail, l.db_role FROM juki.operation_log l
						  WHERE l.action = 'verify_log' AND l.outcome = 'granted' ORDER BY l.seq DESC LIMIT 1) v ON true
	  LEFT JOIN LATERAL (SELECT c.seq, c.ts FROM juki.audit_checkpoint c ORDER BY c.seq DESC LIMIT 1) cp ON true
	  LEFT JOIN LATERAL (SELECT e.to_seq, e.exported_at FROM juki.audit_export e ORDER BY e.to_seq DESC, e.id DESC
						  LIMIT 1) ex ON true;
	PERFORM juki._log(a, 'granted', NULL, row_count => 1);
END
$$;
COMMENT ON FUNCTION juki.report_log_health() IS
	'操作履歴: last verification (and its result), last signed checkpoint, last export to media, entries not yet covered';

/* ------------------------------------------------------------ continuity */

CREATE FUNCTION juki.report_continuity(since timestamptz DEFAULT pg_catalog.now() - interval '365 days',
									   until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, at timestamptz, event text, reason text, old_timeline integer,
				   new_timeline integer, last_seq_before bigint, lost_from_seq bigint, lost_to_seq bigint,
				   checkpoint_seq bigint, checkpoint text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_continuity';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.seq, l.ts, l.action, l.reason, (l.detail ->> 'old_timeline')::integer,
		   (l.detail ->> 'new_timeline')::integer, (l.detail ->> 'last_seq_before')::bigint,
		   (l.detail ->> 'lost_from_seq')::bigint, (l.detail ->> 'lost_to_seq')::bigint,
		   coalesce((l.detail ->> 'checkpoint_seq')::bigint, (l.detail ->> 'seq')::bigint),
		   coalesce(l.detail ->> 'checkpoint', l.detail ->> 'problem')
	  FROM juki.operation_log l
	 WHERE (l.action IN ('promotion', 'restore', 'timeline')
			OR (l.action = 'checkpoint' AND l.reason IN ('checkpoint_fork', 'behind_published_checkpoint'))
			OR l.action = 'enforcement_gap')
	   AND l.ts >= $1 AND l.ts < $2
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_continuity(timestamptz, timestamptz) IS
	'継続的な運用: promotions, restores with the entries they lost, signings refused against a published checkpoint, runs without juki';
