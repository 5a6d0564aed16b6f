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

-- Volume (issue 13, class 9): ceilings per statement and per window of
-- time, per purpose; beyond them a bulk permit.  Two columns of juki.purpose
-- (NULL: the server's juki.statement_rows / juki.window_rows), set through
-- define_purpose, which gains two trailing parameters: every 1.0 call still
-- works, but the function is a new one (its 15-argument form is dropped, or
-- a call with fewer arguments would be ambiguous), re-granted below.
-- request_permit now takes bulk_rows for every purpose, and report_bulk
-- shows requests under bulk permits and volume refusals.
ALTER TABLE juki.purpose
	ADD COLUMN statement_rows integer CHECK (statement_rows BETWEEN 1 AND 100000000),
	ADD COLUMN window_rows integer CHECK (window_rows BETWEEN 1 AND 100000000);
COMMENT ON COLUMN juki.purpose.statement_rows IS
	'residents one statement may disclose without a bulk permit; NULL: juki.statement_rows (never below max_rows)';
COMMENT ON COLUMN juki.purpose.window_rows IS
	'residents one operator may disclose in juki.volume_window without a bulk permit; NULL: juki.window_rows';

DROP FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean, boolean, boolean, boolean, boolean, integer, boolean);
CREATE FUNCTION juki.define_purpose(code text, title text, legal_basis text, department text,
									disclosed_fields text[], search_keys text[], max_rows integer,
									allows_forms boolean DEFAULT false, allows_removed boolean DEFAULT false,
									allows_bulk boolean DEFAULT false,
									allows_support_measure boolean DEFAULT false,
									requires_named_permit boolean DEFAULT false,
									aggregates_only boolean DEFAULT false, min_age integer DEFAULT NULL,
									active boolean DEFAULT true, statement_rows integer DEFAULT NULL,
									window_rows integer DEFAULT NULL)
	RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'define_purpose';
	fields constant text[] := ARRAY['resident_code', 'individual_number', 'full_name', 'full_name_kana',
									'former_surname', 'alias_name', 'birth_date', 'sex', 'address',
									'municipality_code', 'change_reason', 'change_date'];
	criteria constant text[] := ARRAY['resident_code', 'individual_number', 'full_name', 'birth_date',
									  'address', 'address_prefix', 'birth_date_from', 'birth_date_to'];
	v_code text := $1;
	v_title text := $2;
	v_basis text := $3;
	v_dept text := $4;
	v_fields text[] := $5;
	v_keys text[] := $6;
	v_max integer := $7;
	v_forms boolean := $8;
	v_removed boolean := $9;
	v_bulk boolean := $10;
	v_support boolean := $11;
	v_named boolean := $12;
	v_agg boolean := $13;
	v_min_age integer := $14;
	v_active boolean := $15;
	v_stmt integer := $16;
	v_window integer := $17;
	k text;
	names text[];
	norm text[] := '{}';
	v_version integer;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_system_administrator']);
	IF v_code IS NULL OR v_title IS NULL OR v_basis IS NULL OR v_dept IS NULL OR v_fields IS NULL
	   OR v_keys IS NULL OR v_forms IS NULL OR v_removed IS NULL OR v_bulk IS NULL OR v_support IS NULL
	   OR v_named IS NULL OR v_agg IS NULL OR v_active IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'only max_rows, min_age, statement_rows and window_rows may be NULL');
	END IF;
	IF v_code !~ '^[a-z][a-z0-9_]{1,62}$' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a purpose code has 2 to 63 characters a-z, 0-9 and _, starting with a letter');
	END IF;
	IF pg_catalog.btrim(v_title) = '' OR pg_catalog.length(v_title) > 200
	   OR pg_catalog.btrim(v_basis) = '' OR pg_catalog.length(v_basis) > 500
	   OR pg_catalog.btrim(v_dept) = '' OR pg_catalog.length(v_dept) > 100 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'title (1-200), legal_basis (1-500) and department (1-100 characters) must not be empty', NULL, NULL, v_code);
	END IF;
	IF pg_catalog.cardinality(v_fields) = 0 OR pg_catalog.array_position(v_fields, NULL) IS NOT NULL
	   OR NOT v_fields <@ fields
	   OR (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_fields) x) <> pg_catalog.cardinality(v_fields) THEN
		PERFORM juki._fail(a, 'invalid_field', '22023',
			'disclosed_fields must list resident fields, each once',
			'Fields: ' || pg_catalog.array_to_string(fields, ', '), NULL, v_code);
	END IF;
	IF v_agg AND v_fields && ARRAY['resident_code', 'individual_number', 'full_name', 'full_name_kana',
									'former_surname', 'alias_name'] THEN
		PERFORM juki._fail(a, 'invalid_field', '22023',
			'an aggregates-only purpose discloses no names, resident codes or individual numbers', NULL, NULL, v_code);
	END IF;
	IF pg_catalog.cardinality(v_keys) = 0 OR pg_catalog.array_position(v_keys, NULL) IS NOT NULL THEN
		PERFORM juki._fail(a, 'invalid_search_keys', '22023',
			'search_keys must list at least one combination of criteria, without NULLs', NULL, NULL, v_code);
	END IF;
	FOREACH k IN ARRAY v_keys
	LOOP
		names := pg_catalog.string_to_array(k, '+');
		IF pg_catalog.cardinality(names) = 0 OR NOT names <@ criteria
		   OR (SELECT count(DISTINCT x) FROM pg_catalog.unnest(names) x) <> pg_catalog.cardinality(names) THEN
			PERFORM juki._fail(a, 'invalid_search_keys', '22023',
				pg_catalog.format('search key %L is not a combination of criteria joined by +', k),
				'Criteria: ' || pg_catalog.array_to_string(criteria, ', '), NULL, v_code);
		END IF;
		IF ('birth_date_from' = ANY (names)) <> ('birth_date_to' = ANY (names)) THEN
			PERFORM juki._fail(a, 'invalid_search_keys', '22023',
				pg_catalog.format('search key %L: birth_date_from and birth_date_to go together', k), NULL, NULL, v_code);
		END IF;
		k := (SELECT pg_catalog.string_agg(x, '+' ORDER BY x COLLATE "C") FROM pg_catalog.unnest(names) x);
		IF k = ANY (norm) THEN
			PERFORM juki._fail(a, 'invalid_search_keys', '22023',
				pg_catalog.format('search key %L is listed twice', k), NULL, NULL, v_code);
		END IF;
		norm := norm || k;
	END LOOP;
	IF v_max IS NULL AND NOT v_bulk THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'max_rows may be NULL only for a batch purpose (allows_bulk)', NULL, NULL, v_code);
	END IF;
	IF v_max NOT BETWEEN 1 AND 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'max_rows must be between 1 and 1000', NULL, NULL, v_code);
	END IF;
	IF v_min_age NOT BETWEEN 0 AND 150 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'min_age must be between 0 and 150', NULL, NULL, v_code);
	END IF;
	-- volume ceilings: a statement holds at least one full request, a window one statement
	IF v_stmt NOT BETWEEN 1 AND 100000000 OR v_window NOT BETWEEN 1 AND 100000000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'statement_rows and window_rows must be between 1 and 100000000 (or NULL for the server''s setting)',
			NULL, NULL, v_code);
	END IF;
	IF v_stmt < v_max OR v_window < v_max OR v_window < v_stmt THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'ceilings must not be below the row limit: max_rows <= statement_rows <= window_rows',
			'NULL takes the server''s juki.statement_rows / juki.window_rows.', NULL, v_code);
	END IF;

	-- versions of one code are numbered without gaps or collisions
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('juki.purpose ' || v_code));
	SELECT coalesce(max(x.version), 0) + 1 INTO v_version FROM juki.purpose x WHERE x.code = v_code;
	INSERT INTO juki.purpose (code, version, title, legal_basis, department, disclosed_fields, search_keys,
							  max_rows, allows_forms, allows_removed, allows_bulk, allows_support_measure,
							  requires_named_permit, aggregates_only, min_age, active, seeded, defined_by,
							  statement_rows, window_rows)
	VALUES (v_code, v_version, v_title, v_basis, v_dept, v_fields, norm, v_max, v_forms, v_removed, v_bulk,
			v_support, v_named, v_agg, v_min_age, v_active, false, juki._caller(), v_stmt, v_window);
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => v_code,
		detail => pg_catalog.jsonb_build_object('version', v_version, 'active', v_active,
												'department', v_dept)
			|| pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('statement_rows', v_stmt,
																		  'window_rows', v_window)));
	RETURN v_version;
END
$$;
COMMENT ON FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean,
									   boolean, boolean, boolean, boolean, integer, boolean, integer, integer) IS
	'利用事務の定義 (システム管理者): a new version of a purpose: fields, search criteria, row limits and volume ceilings, forms';
REVOKE ALL ON FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean, boolean, boolean, boolean, boolean, integer, boolean, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean, boolean, boolean, boolean, boolean, integer, boolean, integer, integer) TO juki_system_administrator;
ALTER FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean, boolean, boolean, boolean, boolean, integer, boolean, integer, integer) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.request_permit(purpose text, reason text, valid_until timestamptz,
									residents text[] DEFAULT NULL, bulk_rows integer DEFAULT NULL,
									off_hours boolean DEFAULT false)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'request_permit';
	v_purpose text := $1;
	v_reason text := $2;
	v_until timestamptz := $3;
	v_res text[] := $4;
	v_bulk integer := $5;
	v_off boolean := $6;
	v_op bigint;
	o record;
	p record;
	bad text;
	v_id bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_operator', 'juki_contractor_operator']);
	v_op := juki._session_operator();
	IF v_op IS NULL THEN
		PERFORM juki._fail(a, 'not_authenticated', '28000', 'no operator session is attached',
			'Log in with juki.card_login() and juki.attach() the token in this transaction.');
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND OR o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000', 'the operator of this session has retired', NULL, v_op);
	END IF;
	IF v_purpose IS NULL OR v_reason IS NULL OR v_until IS NULL OR v_off IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'purpose, reason, valid_until and off_hours must not be NULL', NULL, v_op);
	END IF;
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters', NULL, v_op, v_purpose);
	END IF;
	SELECT * INTO p FROM juki.purpose x WHERE x.code = v_purpose ORDER BY x.version DESC LIMIT 1;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'purpose_unknown', '22023',
			pg_catalog.format('purpose %s does not exist', v_purpose), 'juki.purposes() lists them.', v_op);
	END IF;
	IF NOT p.active THEN
		PERFORM juki._fail(a, 'purpose_inactive', '55000',
			pg_catalog.format('purpose %s is not active', v_purpose), NULL, v_op, v_purpose);
	END IF;
	IF NOT coalesce(juki._designated(v_op, v_purpose), false) THEN
		PERFORM juki._fail(a, 'not_designated', '42501',
			pg_catalog.format('you are not designated for %s', v_purpose),
			CASE o.kind WHEN 'contractor'
				THEN 'A security officer designates handlers per contract: juki.designate_handler().'
				ELSE 'A security officer of your department designates operators: juki.designate().' END,
			v_op, v_purpose);
	END IF;
	IF v_until <= pg_catalog.now() OR v_until > pg_catalog.now() + interval '31 days' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'valid_until must be in the future and at most 31 days ahead', NULL, v_op, v_purpose);
	END IF;
	IF v_res IS NOT NULL THEN
		IF pg_catalog.cardinality(v_res) = 0 OR pg_catalog.cardinality(v_res) > 1000 THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023',
				'residents must list 1 to 1000 resident codes (or be NULL)', NULL, v_op, v_purpose);
		END IF;
		IF pg_catalog.array_position(v_res, NULL) IS NOT NULL THEN
			PERFORM juki._fail(a, 'null_argument', '22004', 'residents must not contain NULL', NULL, v_op, v_purpose);
		END IF;
		SELECT x INTO bad FROM pg_catalog.unnest(v_res) x WHERE NOT juki.is_valid_resident_code(x) LIMIT 1;
		IF FOUND THEN
			PERFORM juki._fail(a, 'invalid_resident_code', '22023',
				pg_catalog.format('element %s of residents is not a valid 住民票コード',
								  pg_catalog.array_position(v_res, bad)),
				'A 住民票コード has 11 ASCII digits.', v_op, v_purpose);
		END IF;
		IF (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_res) x) <> pg_catalog.cardinality(v_res) THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023', 'residents lists a resident twice', NULL, v_op, v_purpose);
		END IF;
	END IF;
	IF p.requires_named_permit AND v_res IS NULL THEN
		PERFORM juki._fail(a, 'residents_required', '22023',
			pg_catalog.format('purpose %s needs a permit naming the residents', v_purpose), NULL, v_op, v_purpose);
	END IF;
	IF p.allows_bulk THEN
		IF v_bulk IS NULL THEN
			PERFORM juki._fail(a, 'bulk_rows_required', '22023',
				pg_catalog.format('purpose %s is a batch purpose: give bulk_rows, the rows the permit allows', v_purpose),
				NULL, v_op, v_purpose);
		END IF;
		IF v_bulk NOT BETWEEN 1 AND 10000000 THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023', 'bulk_rows must be between 1 and 10000000',
				NULL, v_op, v_purpose);
		END IF;
	ELSIF v_bulk NOT BETWEEN 1 AND 10000000 THEN
		-- any other purpose: rows beyond its volume ceilings, in one statement
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'bulk_rows must be between 1 and 10000000',
			NULL, v_op, v_purpose);
	END IF;

	INSERT INTO juki.access_permit (operator_id, purpose, reason, valid_until, residents, bulk_rows,
									off_hours, requested_by)
	VALUES (v_op, v_purpose, v_reason, v_until, v_res, v_bulk, v_off, juki._caller())
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => v_purpose, operator_id => v_op, permit_id => v_id,
		subjects => v_res,
		detail => pg_catalog.jsonb_build_object('bulk_rows', v_bulk, 'off_hours', v_off));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.request_permit(text, text, timestamptz, text[], integer, boolean) IS
	'許可の申請 (操作者): purpose, reason and window (≤ 31 days), optionally naming residents or a row allowance';
ALTER FUNCTION juki.request_permit(text, text, timestamptz, text[], integer, boolean)
	SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.report_bulk(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
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
ALTER FUNCTION juki.report_bulk(timestamptz, timestamptz, integer) SET max_parallel_workers_per_gather = 0;
