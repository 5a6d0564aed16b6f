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
-- import_residents locks the staging table, then checks it, then reads it
-- through juki's own heap scan (staging.c): nothing of the registrar's runs
-- inside the door.  record_change and import_residents answer alike
-- whatever they find in the register; the cause goes to the log
-- (issue 13 class 1, issue 14 §3).
CREATE FUNCTION juki._staging_check(source regclass)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_staging_check' LANGUAGE C VOLATILE;
CREATE FUNCTION juki._staging_rows(source regclass)
	RETURNS TABLE (resident_code text, individual_number text, full_name text,
				   full_name_kana text, former_surname text, alias_name text, birth_date text,
				   sex text, address text, municipality_code text, change_reason text,
				   change_date text, status text)
	AS 'MODULE_PATHNAME', 'juki_staging_rows' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION juki._staging_check(regclass), juki._staging_rows(regclass) FROM PUBLIC;
CREATE OR REPLACE FUNCTION juki.import_residents(source regclass)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'import_residents';
	cols constant text[] := ARRAY['resident_code', 'individual_number', 'full_name', 'full_name_kana',
								  'former_surname', 'alias_name', 'birth_date', 'sex', 'address',
								  'municipality_code', 'change_reason', 'change_date', 'status'];
	v_src regclass := $1;
	qname text;
	r record;
	f text;
	problem text;
	msg text;
	prev text;
	n bigint := 0;
	inserted bigint;
	digest text;
	rj jsonb;
	conflicts text[] := '{}';
	n_conflicts bigint := 0;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_registrar']);
	IF v_src IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'source must not be NULL');
	END IF;
	-- Lock the source, then check it (staging.c): a plain heap table of
	-- resident fields, readable by the caller.  Its rows are read only
	-- through juki._staging_rows, juki's own scan: nothing of the
	-- registrar's (a view, rule, trigger, policy, default, type, cast)
	-- runs here, inside the door, as juki's owner.
	PERFORM juki._staging_check(v_src);
	SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO qname
	  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.oid = v_src;
	-- no other import or change of the register slips in between checking
	-- and inserting (a unique violation would name the value in the server log)
	LOCK TABLE juki.resident IN SHARE ROW EXCLUSIVE MODE;

	-- Every row checked in resident_code order against its own fields and
	-- the rest of the source; the first problem refuses the import, naming
	-- the row by its place, never by its values.  Whether a code or number
	-- is already registered is a fact about another resident: it is told
	-- only once the source itself is sound, and the same way for both.
	FOR r IN SELECT s.*,
			EXISTS (SELECT 1 FROM juki.resident x WHERE x.resident_code = s.resident_code) AS code_registered,
			EXISTS (SELECT 1 FROM juki.resident x WHERE x.individual_number = s.individual_number) AS number_registered,
			pg_catalog.min(s.resident_code COLLATE "C") OVER (PARTITION BY s.individual_number)
				< s.resident_code COLLATE "C" AS number_twice
		  FROM juki._staging_rows(v_src) s ORDER BY s.resident_code COLLATE "C" NULLS FIRST
	LOOP
		problem := NULL;
		rj := pg_catalog.to_jsonb(r);	-- once per row, not once per field
		FOREACH f IN ARRAY cols
		LOOP
			problem := juki._resident_field_problem(f, rj ->> f);
			EXIT WHEN problem IS NOT NULL;
		END LOOP;
		IF problem IS NULL AND juki._iso_date(r.change_date) < juki._iso_date(r.birth_date) THEN
			problem := 'change_date is before birth_date';
		END IF;
		IF problem IS NULL AND r.resident_code = prev THEN
			problem := 'resident_code appears twice in the source';
		END IF;
		IF problem IS NULL AND r.number_twice THEN
			problem := 'individual_number appears twice in the source';
		END IF;
		n := n + 1;
		IF problem IS NOT NULL THEN
			msg := pg_catalog.format('row %s of the source (in resident_code order): %s; nothing was imported',
									 n, problem);
			PERFORM juki._log(a, 'error', 'invalid_resident',
				subjects => CASE WHEN juki.is_valid_resident_code(r.resident_code) THEN ARRAY[r.resident_code] END,
				detail => pg_catalog.jsonb_build_object('message', msg, 'source', qname));
			RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = msg, DETAIL = 'reason: invalid_resident',
				HINT = 'Rows are counted in resident_code order (COLLATE "C"); the operation log names the row''s resident_code.';
		END IF;
		IF r.code_registered OR r.number_registered THEN
			n_conflicts := n_conflicts + 1;
			IF n_conflicts <= 100 THEN
				conflicts := conflicts || r.resident_code;
			END IF;
		END IF;
		prev := r.resident_code;
	END LOOP;
	IF n_conflicts > 0 THEN
		msg := 'the source conflicts with the register (a resident_code or individual_number in it is already registered); nothing was imported';
		PERFORM juki._log(a, 'error', 'register_conflict', subjects => conflicts,
			detail => pg_catalog.jsonb_build_object('message', msg, 'source', qname, 'conflicting_rows', n_conflicts));
		RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = msg, DETAIL = 'reason: register_conflict',
			HINT = 'The operation log names the rows (by resident_code) for an auditor.';
	END IF;
	INSERT INTO juki.resident (resident_code, individual_number, full_name, full_name_kana,
							   former_surname, alias_name, birth_date, sex, address, municipality_code,
							   change_reason, change_date, status)
	SELECT s.resident_code, s.individual_number, s.full_name, s.full_name_kana, s.former_surname,
		   s.alias_name, juki._iso_date(s.birth_date), s.sex, s.address, s.municipality_code,
		   s.change_reason, juki._iso_date(s.change_date), s.status
	  FROM juki._staging_rows(v_src) s ORDER BY s.resident_code COLLATE "C";
	GET DIAGNOSTICS inserted = ROW_COUNT;
	IF inserted <> n THEN
		RAISE EXCEPTION 'juki: % rows checked but % inserted', n, inserted;	-- the source is locked: cannot happen
	END IF;

	-- SHA-256 over the imported rows: one line per row, the row as a JSON
	-- object of the fields as imported (text), lines in resident_code order,
	-- each ended by a newline
	-- (streamed: the rows of a large town do not fit in one value)
	SELECT juki._sha256_agg(pg_catalog.to_jsonb(s)::text || E'\n' ORDER BY s.resident_code COLLATE "C")
	  INTO digest FROM juki._staging_rows(v_src) s;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('sha256', digest, 'source', qname));
	RETURN n;
END
$$;
CREATE OR REPLACE FUNCTION juki.record_change(resident_code text, changes jsonb, reason text, effective_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_change';
	changeable constant text[] := ARRAY['individual_number', 'full_name', 'full_name_kana', 'former_surname',
										'alias_name', 'birth_date', 'sex', 'address', 'municipality_code'];
	v_code text := $1;
	v_changes jsonb := $2;
	v_reason text := $3;
	v_on date := $4;
	cur record;
	k text;
	keys text[];
	problem text;
	v_status text;
	v_birth date;
	cause text;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_registrar']);
	IF v_code IS NULL OR v_changes IS NULL OR v_reason IS NULL OR v_on IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'resident_code, changes, reason and effective_on must not be NULL');
	END IF;
	IF NOT juki.is_valid_resident_code(v_code) THEN
		PERFORM juki._fail(a, 'invalid_resident_code', '22023', 'resident_code is not a valid 住民票コード',
			'A 住民票コード has 11 ASCII digits.');
	END IF;
	IF v_reason NOT IN ('birth', 'move_in', 'move_within', 'move_out', 'death', 'ex_officio_correction',
						'resident_code_change', 'other') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'reason is not one of the 異動事由',
			'birth, move_in, move_within, move_out, death, ex_officio_correction, resident_code_change, other');
	END IF;
	IF pg_catalog.jsonb_typeof(v_changes) <> 'object' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'changes must be a JSON object');
	END IF;
	SELECT pg_catalog.array_agg(x ORDER BY x) INTO keys FROM pg_catalog.jsonb_object_keys(v_changes) x;
	keys := coalesce(keys, '{}');
	IF NOT keys <@ changeable THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			pg_catalog.format('changes may only name %s', pg_catalog.array_to_string(changeable, ', ')),
			'resident_code, change_reason, change_date and status follow from the arguments.');
	END IF;
	IF pg_catalog.cardinality(keys) = 0 AND v_reason NOT IN ('move_out', 'death') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'changes is empty');
	END IF;
	FOREACH k IN ARRAY keys
	LOOP
		IF pg_catalog.jsonb_typeof(v_changes -> k) NOT IN ('string', 'null') THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023',
				pg_catalog.format('the value of %s must be a string', k));
		END IF;
		problem := juki._resident_field_problem(k, v_changes ->> k);
		IF problem IS NOT NULL THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023', problem);
		END IF;
	END LOOP;
	IF v_on > CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'effective_on must not be in the future');
	END IF;
	IF v_on < juki._iso_date(v_changes ->> 'birth_date') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'effective_on must not be before the birth date it gives');
	END IF;
	-- a new individual number: no other change may take it between the
	-- check and the update (a unique violation would print the number)
	IF v_changes ? 'individual_number' THEN
		LOCK TABLE juki.resident IN SHARE ROW EXCLUSIVE MODE;
	END IF;

	-- What follows depends on the register, not on the arguments: whether the
	-- resident exists or was removed, their birth date, who holds a number.
	-- Each answer would be a fact about a resident the registrar may not
	-- read (sixteen calls found a birth date), so every one of them gets the
	-- same refusal, raised from one place; the log records which it was.
	SELECT * INTO cur FROM juki.resident x WHERE x.resident_code = v_code FOR UPDATE;
	IF NOT FOUND THEN
		cause := 'resident_unknown';
	ELSIF cur.status = 'removed' AND v_reason NOT IN ('move_in', 'ex_officio_correction') THEN
		cause := 'resident_removed';
	ELSIF v_on < cur.birth_date AND NOT v_changes ? 'birth_date' THEN
		cause := 'before_birth_date';
	ELSIF v_changes ? 'individual_number' AND EXISTS (SELECT 1 FROM juki.resident x
			WHERE x.individual_number = v_changes ->> 'individual_number' AND x.resident_code <> v_code) THEN
		cause := 'individual_number_registered';
	END IF;
	IF cause IS NOT NULL THEN
		PERFORM juki._log(a, 'error', 'change_refused', subjects => ARRAY[v_code],
			detail => pg_catalog.jsonb_build_object('cause', cause));
		RAISE EXCEPTION USING ERRCODE = '22023',
			MESSAGE = 'this change cannot be recorded for the resident named; nothing was changed',
			DETAIL = 'reason: change_refused',
			HINT = 'The operation log records why, for an auditor.';
	END IF;
	v_birth := coalesce(juki._iso_date(v_changes ->> 'birth_date'), cur.birth_date);
	v_status := CASE WHEN v_reason IN ('move_out', 'death') THEN 'removed'
					 WHEN v_reason = 'move_in' THEN 'active' ELSE cur.status END;

	UPDATE juki.resident x SET
		individual_number = CASE WHEN v_changes ? 'individual_number' THEN v_changes ->> 'individual_number' ELSE x.individual_number END,
		full_name = CASE WHEN v_changes ? 'full_name' THEN v_changes ->> 'full_name' ELSE x.full_name END,
		full_name_kana = CASE WHEN v_changes ? 'full_name_kana' THEN v_changes ->> 'full_name_kana' ELSE x.full_name_kana END,
		former_surname = CASE WHEN v_changes ? 'former_surname' THEN v_changes ->> 'former_surname' ELSE x.former_surname END,
		alias_name = CASE WHEN v_changes ? 'alias_name' THEN v_changes ->> 'alias_name' ELSE x.alias_name END,
		birth_date = v_birth,
		sex = CASE WHEN v_changes ? 'sex' THEN v_changes ->> 'sex' ELSE x.sex END,
		address = CASE WHEN v_changes ? 'address' THEN v_changes ->> 'address' ELSE x.address END,
		municipality_code = CASE WHEN v_changes ? 'municipality_code' THEN v_changes ->> 'municipality_code' ELSE x.municipality_code END,
		change_reason = v_reason,
		change_date = v_on,
		status = v_status,
		updated_at = pg_catalog.now()
	 WHERE x.resident_code = v_code;
	PERFORM juki._log(a, 'granted', NULL, subjects => ARRAY[v_code],
		detail => pg_catalog.jsonb_build_object('fields', keys));
END
$$;
ALTER FUNCTION juki.import_residents(regclass) SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION juki.record_change(text, jsonb, text, date) SET max_parallel_workers_per_gather = 0;

-- Passwords: pgcrypto's crypt and gen_salt only while they are pgcrypto's
-- own C functions, called directly (pgcrypto_fn.c).
CREATE FUNCTION juki._bcrypt(password text)
	RETURNS text AS 'MODULE_PATHNAME', 'juki_internal_bcrypt' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION juki._bcrypt(text) FROM PUBLIC;
CREATE OR REPLACE FUNCTION juki.set_password(operator bigint, password text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'set_password';
	v_op bigint := $1;
	v_pw text := $2;
	o record;
	problem text;
	nsp name;
	h text;
	v_first boolean;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_access_manager']);
	IF v_op IS NULL OR v_pw IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'operator and password must not be NULL');
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;
	problem := juki._password_problem(v_pw, o.role_name);
	IF problem IS NOT NULL THEN
		PERFORM juki._fail(a, 'weak_password', '22023', problem,
			'At least 8 characters and at most 72 bytes, 3 of 4 classes (lower case, upper case, digits, others), not containing the role name.',
			v_op);
	END IF;
	SELECT n.nspname INTO nsp FROM pg_catalog.pg_extension e
	  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto';
	IF nsp IS NULL THEN
		PERFORM juki._fail(a, 'pgcrypto_missing', '55000', 'juki needs the pgcrypto extension to hash passwords',
			'CREATE EXTENSION pgcrypto;', v_op);
	END IF;
	-- pgcrypto's own C functions, called by what they are, not by name (pgcrypto_fn.c)
	h := juki._bcrypt(v_pw);

	v_first := NOT EXISTS (SELECT 1 FROM juki.operator_password p WHERE p.operator_id = v_op);
	INSERT INTO juki.operator_password AS p (operator_id, hash, set_at, set_by)
	VALUES (v_op, h, pg_catalog.now(), juki._caller())
	ON CONFLICT (operator_id) DO UPDATE
	   SET hash = excluded.hash, set_at = excluded.set_at, set_by = excluded.set_by;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('first', v_first));
END
$$;
ALTER FUNCTION juki.set_password(bigint, text) SET max_parallel_workers_per_gather = 0;

-- Issue 13 (class 7) and issue 14 (section 1): every entry names the
-- authenticated login as well as the role in effect (log format 1.1: the
-- field is in the canonical form only when it has a value, so 1.0 entries
-- keep their hashes); and juki's own check is the only gate on every
-- function (those created or replaced above too), so that each call is
-- carried out or refused on record.
ALTER TABLE juki.operation_log ADD COLUMN login_role text;
COMMENT ON COLUMN juki.operation_log.login_role IS
	'the authenticated login role; db_role is the role in effect (log format 1.1: in the canonical form only when not NULL)';
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA juki
	FROM juki_chief_security_officer, juki_system_administrator, juki_security_officer,
		 juki_access_manager, juki_operator, juki_contractor_operator, juki_auditor,
		 juki_registrar, juki_terminal;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA juki FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA juki TO PUBLIC;
-- internal helpers are not STRICT: a direct call with NULL arguments must
-- reach juki's check (refused and logged) rather than return NULL unseen
ALTER FUNCTION juki._require_role(text, text[]) CALLED ON NULL INPUT;
ALTER FUNCTION juki._has_role(text) CALLED ON NULL INPUT;
ALTER FUNCTION juki._iso_date(text) CALLED ON NULL INPUT;

-- Issue 13 (class 8) and issue 14 (sections 2, 4a, 5): the log path.
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
-- EXECUTE to PUBLIC, juki's role check first, as for every function (above)
REVOKE ALL ON FUNCTION juki.verify_log(text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.verify_log(text[], text[]) TO PUBLIC;

-- Reports count what was disclosed: a granted lookup, search or form whose
-- client never got the answer (a "withheld" entry names it) is not a
-- disclosure.  CREATE OR REPLACE keeps the ACL (EXECUTE to PUBLIC, above)
-- but resets SET options: put back what the DO block of 99_grants.sql gives
-- every PL/pgSQL function.
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

-- A form whose issue_form entry a withheld entry names never reached its
-- client: the audit writer filed it in the ledger with its entry, but it is
-- no paper to file or destroy (issue 14 §4 with §2).
CREATE OR REPLACE FUNCTION juki.report_outstanding_forms(older_than_days integer DEFAULT 0)
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

ALTER FUNCTION juki.report_access(timestamptz, timestamptz) SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION juki.report_provision(text, timestamptz, timestamptz) SET max_parallel_workers_per_gather = 0;
ALTER FUNCTION juki.report_outstanding_forms(integer) SET max_parallel_workers_per_gather = 0;

-- Issue 15: the administrative PL/pgSQL by role (extension/parts/31 to 36),
-- its preamble in one helper, juki._start (the caller's role, then the
-- arguments that may not be NULL): every function whose text changed,
-- re-created as the parts now have it (generated with
-- test/upgrade/replace_functions.pl 5174f07; the new helper gets EXECUTE to
-- PUBLIC, and each PL/pgSQL function the SET of 99_grants.sql's DO block).

CREATE OR REPLACE FUNCTION juki._start(action text, roles text[], message text DEFAULT NULL,
							missing boolean[] DEFAULT '{}')
	RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._require_role(action, roles);
	IF true = ANY (missing) THEN
		PERFORM juki._fail(action, 'null_argument', '22004', message);
	END IF;
END
$$;
REVOKE ALL ON FUNCTION juki._start(text, text[], text, boolean[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki._start(text, text[], text, boolean[]) TO PUBLIC;
ALTER FUNCTION juki._start(text, text[], text, boolean[]) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.register_operator(role name, display_name text, department text,
									   kind text DEFAULT 'staff', contract_id bigint DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_operator';
	v_role name := $1;
	v_name text := $2;
	v_dept text := $3;
	v_kind text := $4;
	v_contract bigint := $5;
	v_id bigint;
	r record;
	g text;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'role, display_name, department and kind must not be NULL',
		ARRAY[v_role IS NULL, v_name IS NULL, v_dept IS NULL, v_kind IS NULL]);
	IF v_kind NOT IN ('staff', 'contractor') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'kind must be staff or contractor');
	END IF;
	IF pg_catalog.btrim(v_name) = '' OR pg_catalog.length(v_name) > 100
	   OR pg_catalog.btrim(v_dept) = '' OR pg_catalog.length(v_dept) > 100 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'display_name and department must have 1 to 100 characters');
	END IF;
	SELECT rolname, rolcanlogin, rolsuper INTO r FROM pg_catalog.pg_roles WHERE rolname = v_role;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'role_unknown', '22023',
			pg_catalog.format('role %I does not exist', v_role),
			'A DBA creates a LOGIN role for the person first.');
	END IF;
	IF NOT r.rolcanlogin THEN
		PERFORM juki._fail(a, 'role_not_login', '22023',
			pg_catalog.format('role %I cannot log in', v_role),
			'An operator is a person: register a LOGIN role, not a group role.');
	END IF;
	IF r.rolsuper THEN
		PERFORM juki._fail(a, 'conflict_of_duties', '42501',
			pg_catalog.format('role %I is a superuser and cannot be an operator', v_role),
			'Separate these duties between different people.');
	END IF;
	g := CASE v_kind WHEN 'staff' THEN 'juki_operator' ELSE 'juki_contractor_operator' END;
	IF NOT juki._role_is_member(v_role, g::name) THEN
		PERFORM juki._fail(a, 'role_missing', '42501',
			pg_catalog.format('role %I is not a member of %s', v_role, g),
			pg_catalog.format('A DBA grants the role first: GRANT %s TO %I;', g, v_role));
	END IF;
	FOREACH g IN ARRAY ARRAY['juki_auditor', 'juki_access_manager', 'juki_system_administrator',
							 'juki_chief_security_officer']
	LOOP
		IF juki._role_is_member(v_role, g::name) THEN
			PERFORM juki._fail(a, 'conflict_of_duties', '42501',
				pg_catalog.format('role %I is a member of %s and cannot be an operator', v_role, g),
				'Separate these duties between different people.');
		END IF;
	END LOOP;
	IF EXISTS (SELECT 1 FROM juki.department_officer d
				WHERE d.role_name = v_role AND d.department = v_dept AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'conflict_of_duties', '42501',
			pg_catalog.format('role %I is the security officer of %s and cannot operate there', v_role, v_dept),
			'Separate these duties between different people.');
	END IF;
	IF v_kind = 'staff' AND v_contract IS NOT NULL THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a staff operator has no contract');
	END IF;
	IF v_kind = 'contractor' THEN
		IF v_contract IS NULL THEN
			PERFORM juki._fail(a, 'contract_required', '22023',
				'a contractor operator needs the contract they work under');
		END IF;
		IF NOT EXISTS (SELECT 1 FROM juki.contract c WHERE c.id = v_contract) THEN
			PERFORM juki._fail(a, 'contract_unknown', '22023',
				pg_catalog.format('contract %s does not exist', v_contract));
		END IF;
		-- a handler works under an approved contract of an approved contractor,
		-- in force, for a department the contract serves (要領 第4)
		SELECT c.*, k.approved_at IS NOT NULL AS contractor_ok INTO r
		  FROM juki.contract c JOIN juki.contractor k ON k.id = c.contractor_id WHERE c.id = v_contract;
		IF NOT r.contractor_ok OR r.approved_at IS NULL THEN
			PERFORM juki._fail(a, 'contract_unapproved', '55000',
				pg_catalog.format('contract %s (or its contractor) is not approved', v_contract),
				'The chief security officer approves contractors and contracts first.');
		END IF;
		IF r.ends_on < CURRENT_DATE THEN
			PERFORM juki._fail(a, 'contract_expired', '55000',
				pg_catalog.format('contract %s has ended', v_contract));
		END IF;
		IF NOT v_dept = ANY (juki._purpose_departments(r.purposes)) THEN
			PERFORM juki._fail(a, 'wrong_department', '22023',
				pg_catalog.format('contract %s has no purpose of %s', v_contract, v_dept),
				'A handler is registered in the department that outsourced the work.');
		END IF;
	END IF;
	SELECT o.id INTO v_id FROM juki.operator o WHERE o.role_name = v_role;
	IF FOUND THEN
		PERFORM juki._fail(a, 'already_registered', '22023',
			pg_catalog.format('role %I is already registered as operator %s', v_role, v_id),
			'A role is registered once; a retired operator''s role is not registered again.', v_id);
	END IF;

	INSERT INTO juki.operator (role_name, display_name, department, kind, contract_id, created_by)
	VALUES (v_role, v_name, v_dept, v_kind, v_contract, juki._caller())
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_id,
		detail => pg_catalog.jsonb_build_object('role', v_role, 'department', v_dept,
												'kind', v_kind, 'contract_id', v_contract));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.register_operator(name, text, text, text, bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.register_card(operator bigint, card_serial text, public_key_pem text, valid_until date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_card';
	v_op bigint := $1;
	v_serial text := $2;
	v_pem text := $3;
	v_until date := $4;
	v_type text;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator, card_serial, public_key_pem and valid_until must not be NULL',
		ARRAY[v_op IS NULL, v_serial IS NULL, v_pem IS NULL, v_until IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;
	IF v_serial !~ '^[A-Za-z0-9-]{4,64}$' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a card serial has 4 to 64 characters A-Z, a-z, 0-9 and -', NULL, v_op);
	END IF;
	IF EXISTS (SELECT 1 FROM juki.operator_card c WHERE c.card_serial = v_serial) THEN
		PERFORM juki._fail(a, 'card_exists', '22023',
			pg_catalog.format('card %s is already registered', v_serial),
			'A serial is registered once, even after the card is revoked.', v_op);
	END IF;
	v_type := juki._card_key_type(v_pem);
	IF v_type IS NULL THEN
		PERFORM juki._fail(a, 'bad_public_key', '22023',
			'the public key is not a PEM Ed25519, ECDSA P-256 or RSA-2048 public key',
			'Give the card''s public key as PEM (-----BEGIN PUBLIC KEY-----).', v_op);
	END IF;
	IF v_until <= CURRENT_DATE OR v_until > CURRENT_DATE + interval '10 years' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'valid_until must be after today and at most 10 years ahead', NULL, v_op);
	END IF;

	INSERT INTO juki.operator_card (card_serial, operator_id, public_key_pem, key_type, valid_until, registered_by)
	VALUES (v_serial, v_op, v_pem, v_type, v_until, juki._caller());
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('card_serial', v_serial, 'key_type', v_type,
												'valid_until', v_until));
END
$$;
ALTER FUNCTION juki.register_card(bigint, text, text, date) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.revoke_card(card_serial text, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'revoke_card';
	v_serial text := $1;
	v_reason text := $2;
	c record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'card_serial and reason must not be NULL',
		ARRAY[v_serial IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO c FROM juki.operator_card x WHERE x.card_serial = v_serial;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'card_unknown', '22023', 'no operator IC card has this serial');
	END IF;
	IF c.revoked_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'card_revoked', '55000',
			pg_catalog.format('card %s is already revoked', v_serial), NULL, c.operator_id);
	END IF;

	UPDATE juki.operator_card x SET revoked_at = pg_catalog.now(), revoked_reason = v_reason
	 WHERE x.card_serial = v_serial;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => c.operator_id,
		detail => pg_catalog.jsonb_build_object('card_serial', v_serial, 'reason', v_reason));
END
$$;
ALTER FUNCTION juki.revoke_card(text, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.set_password(operator bigint, password text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'set_password';
	v_op bigint := $1;
	v_pw text := $2;
	o record;
	problem text;
	nsp name;
	h text;
	v_first boolean;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator and password must not be NULL',
		ARRAY[v_op IS NULL, v_pw IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;
	problem := juki._password_problem(v_pw, o.role_name);
	IF problem IS NOT NULL THEN
		PERFORM juki._fail(a, 'weak_password', '22023', problem,
			'At least 8 characters and at most 72 bytes, 3 of 4 classes (lower case, upper case, digits, others), not containing the role name.',
			v_op);
	END IF;
	SELECT n.nspname INTO nsp FROM pg_catalog.pg_extension e
	  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto';
	IF nsp IS NULL THEN
		PERFORM juki._fail(a, 'pgcrypto_missing', '55000', 'juki needs the pgcrypto extension to hash passwords',
			'CREATE EXTENSION pgcrypto;', v_op);
	END IF;
	-- pgcrypto's own C functions, called by what they are, not by name (pgcrypto_fn.c)
	h := juki._bcrypt(v_pw);

	v_first := NOT EXISTS (SELECT 1 FROM juki.operator_password p WHERE p.operator_id = v_op);
	INSERT INTO juki.operator_password AS p (operator_id, hash, set_at, set_by)
	VALUES (v_op, h, pg_catalog.now(), juki._caller())
	ON CONFLICT (operator_id) DO UPDATE
	   SET hash = excluded.hash, set_at = excluded.set_at, set_by = excluded.set_by;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('first', v_first));
END
$$;
ALTER FUNCTION juki.set_password(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.unlock_operator(operator bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'unlock_operator';
	v_op bigint := $1;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator must not be NULL',
		ARRAY[v_op IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;

	UPDATE juki.operator x SET failed_logins = 0, locked = false, locked_at = NULL WHERE x.id = v_op;
	PERFORM juki._policy_changed();
	-- this entry is what ends the run of failed logins (session.c counts from the log)
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('was_locked', o.locked));
END
$$;
ALTER FUNCTION juki.unlock_operator(bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.record_training(operator bigint, course text, completed_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_training';
	v_op bigint := $1;
	v_course text := $2;
	v_on date := $3;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator, course and completed_on must not be NULL',
		ARRAY[v_op IS NULL, v_course IS NULL, v_on IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;
	IF v_course NOT IN ('operator', 'administrator') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'course must be operator or administrator', NULL, v_op);
	END IF;
	IF v_on > CURRENT_DATE OR v_on < DATE '2000-01-01' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'completed_on must not be in the future (nor before 2000)', NULL, v_op);
	END IF;

	INSERT INTO juki.training (operator_id, course, completed_on, recorded_by)
	VALUES (v_op, v_course, v_on, juki._caller());
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('course', v_course, 'completed_on', v_on));
END
$$;
ALTER FUNCTION juki.record_training(bigint, text, date) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.retire_operator(operator bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'retire_operator';
	v_op bigint := $1;
	v_reason text := $2;
	o record;
	n_cards bigint;
	n_desig bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator and reason must not be NULL',
		ARRAY[v_op IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('operator %s has already retired', v_op), NULL, v_op);
	END IF;

	UPDATE juki.operator x SET retired_at = pg_catalog.now() WHERE x.id = v_op;
	-- a retired operator's cards and designations end with them
	UPDATE juki.operator_card c SET revoked_at = pg_catalog.now(), revoked_reason = 'operator retired'
	 WHERE c.operator_id = v_op AND c.revoked_at IS NULL;
	GET DIAGNOSTICS n_cards = ROW_COUNT;
	UPDATE juki.designation d SET revoked_at = pg_catalog.now(), revoked_by = juki._caller(),
		   revoke_reason = 'operator retired'
	 WHERE d.operator_id = v_op AND d.revoked_at IS NULL;
	GET DIAGNOSTICS n_desig = ROW_COUNT;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('reason', v_reason, 'cards_revoked', n_cards,
												'designations_revoked', n_desig));
END
$$;
ALTER FUNCTION juki.retire_operator(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.appoint_security_officer(role name, department text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'appoint_security_officer';
	v_role name := $1;
	v_dept text := $2;
	d record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'role and department must not be NULL',
		ARRAY[v_role IS NULL, v_dept IS NULL]);
	IF pg_catalog.btrim(v_dept) = '' OR pg_catalog.length(v_dept) > 100 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a department has 1 to 100 characters');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = v_role) THEN
		PERFORM juki._fail(a, 'role_unknown', '22023', pg_catalog.format('role %I does not exist', v_role));
	END IF;
	IF NOT juki._role_is_member(v_role, 'juki_security_officer') THEN
		PERFORM juki._fail(a, 'role_missing', '42501',
			pg_catalog.format('role %I is not a member of juki_security_officer', v_role),
			pg_catalog.format('A DBA grants the role first: GRANT juki_security_officer TO %I;', v_role));
	END IF;
	IF EXISTS (SELECT 1 FROM juki.operator o WHERE o.role_name = v_role AND o.department = v_dept
				 AND o.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'conflict_of_duties', '42501',
			pg_catalog.format('role %I is an operator of %s and cannot be its security officer', v_role, v_dept),
			'Separate these duties between different people.');
	END IF;
	SELECT * INTO d FROM juki.department_officer x WHERE x.role_name = v_role AND x.department = v_dept;
	IF FOUND AND d.retired_at IS NULL THEN
		PERFORM juki._fail(a, 'already_appointed', '22023',
			pg_catalog.format('role %I is already the security officer of %s', v_role, v_dept));
	END IF;

	INSERT INTO juki.department_officer AS x (role_name, department, appointed_by)
	VALUES (v_role, v_dept, juki._caller())
	ON CONFLICT (role_name, department) DO UPDATE
	   SET appointed_by = excluded.appointed_by, appointed_at = pg_catalog.now(), retired_at = NULL;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('role', v_role, 'department', v_dept));
END
$$;
ALTER FUNCTION juki.appoint_security_officer(name, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.retire_security_officer(role name, department text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'retire_security_officer';
	v_role name := $1;
	v_dept text := $2;
	d record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'role and department must not be NULL',
		ARRAY[v_role IS NULL, v_dept IS NULL]);
	SELECT * INTO d FROM juki.department_officer x WHERE x.role_name = v_role AND x.department = v_dept;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'officer_unknown', '22023',
			pg_catalog.format('role %I is not a security officer of %s', v_role, v_dept));
	END IF;
	IF d.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'officer_retired', '55000',
			pg_catalog.format('role %I has already retired as security officer of %s', v_role, v_dept));
	END IF;

	UPDATE juki.department_officer x SET retired_at = pg_catalog.now()
	 WHERE x.role_name = v_role AND x.department = v_dept;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('role', v_role, 'department', v_dept));
END
$$;
ALTER FUNCTION juki.retire_security_officer(name, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.designate(operator bigint, purposes text[], valid_until date, note text)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'designate';
	v_op bigint := $1;
	v_purposes text[] := $2;
	v_until date := $3;
	v_note text := $4;
	o record;
	p record;
	pc text;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'operator, purposes and valid_until must not be NULL',
		ARRAY[v_op IS NULL, v_purposes IS NULL, v_until IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.role_name::text = juki._caller() THEN
		PERFORM juki._fail(a, 'self_designation', '42501', 'nobody designates themselves',
			'Another security officer of the department designates you.', v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.department = o.department AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of operator %s',
							  o.department, v_op),
			'The chief security officer appoints security officers: juki.appoint_security_officer().', v_op);
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;
	IF o.kind = 'contractor' THEN
		PERFORM juki._fail(a, 'contractor_handler', '42501',
			pg_catalog.format('operator %s is a contractor''s handler', v_op),
			'Handlers are designated per contract (委託の都度): juki.designate_handler().', v_op);
	END IF;
	IF pg_catalog.cardinality(v_purposes) = 0 OR pg_catalog.array_position(v_purposes, NULL) IS NOT NULL
	   OR (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_purposes) x) <> pg_catalog.cardinality(v_purposes) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'purposes must list at least one purpose, without NULLs or duplicates', NULL, v_op);
	END IF;
	IF v_until < CURRENT_DATE OR v_until > CURRENT_DATE + interval '1 year' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'valid_until must be between today and one year ahead', NULL, v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.training t WHERE t.operator_id = v_op AND t.course = 'operator'
					AND t.completed_on >= CURRENT_DATE - interval '12 months') THEN
		PERFORM juki._fail(a, 'training_missing', '42501',
			pg_catalog.format('operator %s has not completed the operator training within the last 12 months', v_op),
			'The access manager records training: juki.record_training().', v_op);
	END IF;
	FOREACH pc IN ARRAY v_purposes
	LOOP
		SELECT * INTO p FROM juki.purpose x WHERE x.code = pc ORDER BY x.version DESC LIMIT 1;
		IF NOT FOUND THEN
			PERFORM juki._fail(a, 'purpose_unknown', '22023',
				pg_catalog.format('purpose %s does not exist', pc), 'juki.purposes() lists them.', v_op);
		END IF;
		IF NOT p.active THEN
			PERFORM juki._fail(a, 'purpose_inactive', '55000',
				pg_catalog.format('purpose %s is not active', pc), NULL, v_op, pc);
		END IF;
		IF p.department <> o.department THEN
			PERFORM juki._fail(a, 'purpose_other_department', '42501',
				pg_catalog.format('purpose %s belongs to %s, not to %s', pc, p.department, o.department),
				NULL, v_op, pc);
		END IF;
	END LOOP;

	INSERT INTO juki.designation (operator_id, purposes, department, designated_by, valid_until, note)
	VALUES (v_op, v_purposes, o.department, juki._caller(), v_until, v_note)
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('designation_id', v_id, 'purposes', v_purposes,
												'valid_until', v_until));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.designate(bigint, text[], date, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.revoke_designation(id bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'revoke_designation';
	v_id bigint := $1;
	v_reason text := $2;
	d record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'id and reason must not be NULL',
		ARRAY[v_id IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO d FROM juki.designation x WHERE x.id = v_id;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'designation_unknown', '22023', pg_catalog.format('designation %s does not exist', v_id));
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer o WHERE o.role_name = juki._caller()
					AND o.department = d.department AND o.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s', d.department), NULL, d.operator_id);
	END IF;
	IF d.revoked_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'designation_revoked', '55000',
			pg_catalog.format('designation %s is already revoked', v_id), NULL, d.operator_id);
	END IF;

	UPDATE juki.designation x SET revoked_at = pg_catalog.now(), revoked_by = juki._caller(),
		   revoke_reason = v_reason
	 WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => d.operator_id,
		detail => pg_catalog.jsonb_build_object('designation_id', v_id, 'reason', v_reason));
END
$$;
ALTER FUNCTION juki.revoke_designation(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._decide_permit(a text, v_id bigint, decision text, v_reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	p record;
	o record;
BEGIN
	-- only as the body of approve_permit/reject_permit (granted to nobody)
	IF a IS NULL OR a NOT IN ('approve_permit', 'reject_permit')
	   OR decision IS NULL OR decision <> (CASE a WHEN 'approve_permit' THEN 'approved' ELSE 'rejected' END) THEN
		RAISE EXCEPTION 'juki._decide_permit is internal' USING ERRCODE = '42501';
	END IF;
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		CASE decision WHEN 'rejected' THEN 'id and reason must not be NULL' ELSE 'id must not be NULL' END,
		ARRAY[v_id IS NULL OR (decision = 'rejected' AND v_reason IS NULL)]);
	IF decision = 'rejected' AND (pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO p FROM juki.access_permit x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'permit_unknown', '22023', pg_catalog.format('permit %s does not exist', v_id));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = p.operator_id;
	IF p.requested_by = juki._caller() OR o.role_name::text = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody decides on their own request',
			'Another security officer of the department decides.', o.id, p.purpose);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.department = o.department AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of operator %s',
							  o.department, o.id), NULL, o.id, p.purpose);
	END IF;
	IF p.status <> 'pending' THEN
		PERFORM juki._fail(a, 'permit_not_pending', '55000',
			pg_catalog.format('permit %s is %s, not pending', v_id, p.status), NULL, o.id, p.purpose);
	END IF;
	IF p.valid_until <= pg_catalog.now() THEN
		PERFORM juki._fail(a, 'permit_expired', '55000',
			pg_catalog.format('permit %s has expired', v_id), 'The operator requests a new permit.', o.id, p.purpose);
	END IF;
	IF decision = 'approved' THEN
		IF o.retired_at IS NOT NULL THEN
			PERFORM juki._fail(a, 'operator_retired', '55000',
				pg_catalog.format('operator %s has retired', o.id), NULL, o.id, p.purpose);
		END IF;
		IF NOT coalesce(juki._designated(o.id, p.purpose), false) THEN
			PERFORM juki._fail(a, 'not_designated', '42501',
				pg_catalog.format('operator %s is no longer designated for %s', o.id, p.purpose), NULL, o.id, p.purpose);
		END IF;
	END IF;

	UPDATE juki.access_permit x SET status = decision, decided_by = juki._caller(),
		   decided_at = pg_catalog.now(), decision_reason = v_reason
	 WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => p.purpose, operator_id => o.id, permit_id => v_id,
		subjects => p.residents,
		detail => CASE decision WHEN 'rejected' THEN pg_catalog.jsonb_build_object('reason', v_reason)
				  ELSE pg_catalog.jsonb_build_object('bulk_rows', p.bulk_rows, 'off_hours', p.off_hours) END);
END
$$;
ALTER FUNCTION juki._decide_permit(text, bigint, text, text) SET max_parallel_workers_per_gather = 0;

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
	PERFORM juki._start(a, ARRAY['juki_operator', 'juki_contractor_operator']);
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
ALTER FUNCTION juki.request_permit(text, text, timestamp with time zone, text[], integer, boolean) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.define_purpose(code text, title text, legal_basis text, department text,
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
	PERFORM juki._start(a, ARRAY['juki_system_administrator'],
		'only max_rows, min_age, statement_rows and window_rows may be NULL',
		ARRAY[v_code IS NULL, v_title IS NULL, v_basis IS NULL, v_dept IS NULL, v_fields IS NULL,
			  v_keys IS NULL, v_forms IS NULL, v_removed IS NULL, v_bulk IS NULL, v_support IS NULL,
			  v_named IS NULL, v_agg IS NULL, v_active IS NULL]);
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
ALTER FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean, boolean, boolean, boolean, boolean, integer, boolean, integer, integer) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.set_operating_hours(purpose text, weekdays integer[], opens time, closes time)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'set_operating_hours';
	v_purpose text := $1;
	v_days integer[] := $2;
	v_opens time := $3;
	v_closes time := $4;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_system_administrator']);
	IF v_days IS NULL OR pg_catalog.array_position(v_days, NULL) IS NOT NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'weekdays must not be NULL nor contain NULL',
			NULL, NULL, v_purpose);
	END IF;
	IF v_purpose IS NOT NULL AND NOT EXISTS (SELECT 1 FROM juki.purpose x WHERE x.code = v_purpose) THEN
		PERFORM juki._fail(a, 'purpose_unknown', '22023',
			pg_catalog.format('purpose %s does not exist', v_purpose), 'NULL sets the default for all purposes.');
	END IF;
	IF pg_catalog.cardinality(v_days) = 0 OR EXISTS (SELECT 1 FROM pg_catalog.unnest(v_days) d WHERE d NOT BETWEEN 0 AND 6)
	   OR (SELECT count(DISTINCT d) FROM pg_catalog.unnest(v_days) d) <> pg_catalog.cardinality(v_days) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'weekdays lists days 0 (Sunday) to 6 (Saturday), each once', NULL, NULL, v_purpose);
	END IF;
	IF (v_opens IS NULL) <> (v_closes IS NULL) OR v_closes <= v_opens THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'opens must be before closes; both NULL means closed', NULL, NULL, v_purpose);
	END IF;

	INSERT INTO juki.operating_hours (purpose, weekday, opens, closes, defined_by)
	SELECT v_purpose, d, v_opens, v_closes, juki._caller()
	  FROM pg_catalog.unnest(v_days) WITH ORDINALITY AS u(d, n) ORDER BY n;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => v_purpose,
		detail => pg_catalog.jsonb_build_object('weekdays', v_days, 'opens', v_opens::text,
												'closes', v_closes::text));
END
$$;
ALTER FUNCTION juki.set_operating_hours(text, integer[], time without time zone, time without time zone) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.import_residents(source regclass)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'import_residents';
	cols constant text[] := ARRAY['resident_code', 'individual_number', 'full_name', 'full_name_kana',
								  'former_surname', 'alias_name', 'birth_date', 'sex', 'address',
								  'municipality_code', 'change_reason', 'change_date', 'status'];
	v_src regclass := $1;
	qname text;
	r record;
	f text;
	problem text;
	msg text;
	prev text;
	n bigint := 0;
	inserted bigint;
	digest text;
	rj jsonb;
	conflicts text[] := '{}';
	n_conflicts bigint := 0;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_registrar'],
		'source must not be NULL',
		ARRAY[v_src IS NULL]);
	-- Lock the source, then check it (staging.c): a plain heap table of
	-- resident fields, readable by the caller.  Its rows are read only
	-- through juki._staging_rows, juki's own scan: nothing of the
	-- registrar's (a view, rule, trigger, policy, default, type, cast)
	-- runs here, inside the door, as juki's owner.
	PERFORM juki._staging_check(v_src);
	SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO qname
	  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.oid = v_src;
	-- no other import or change of the register slips in between checking
	-- and inserting (a unique violation would name the value in the server log)
	LOCK TABLE juki.resident IN SHARE ROW EXCLUSIVE MODE;

	-- Every row checked in resident_code order against its own fields and
	-- the rest of the source; the first problem refuses the import, naming
	-- the row by its place, never by its values.  Whether a code or number
	-- is already registered is a fact about another resident: it is told
	-- only once the source itself is sound, and the same way for both.
	FOR r IN SELECT s.*,
			EXISTS (SELECT 1 FROM juki.resident x WHERE x.resident_code = s.resident_code) AS code_registered,
			EXISTS (SELECT 1 FROM juki.resident x WHERE x.individual_number = s.individual_number) AS number_registered,
			pg_catalog.min(s.resident_code COLLATE "C") OVER (PARTITION BY s.individual_number)
				< s.resident_code COLLATE "C" AS number_twice
		  FROM juki._staging_rows(v_src) s ORDER BY s.resident_code COLLATE "C" NULLS FIRST
	LOOP
		problem := NULL;
		rj := pg_catalog.to_jsonb(r);	-- once per row, not once per field
		FOREACH f IN ARRAY cols
		LOOP
			problem := juki._resident_field_problem(f, rj ->> f);
			EXIT WHEN problem IS NOT NULL;
		END LOOP;
		IF problem IS NULL AND juki._iso_date(r.change_date) < juki._iso_date(r.birth_date) THEN
			problem := 'change_date is before birth_date';
		END IF;
		IF problem IS NULL AND r.resident_code = prev THEN
			problem := 'resident_code appears twice in the source';
		END IF;
		IF problem IS NULL AND r.number_twice THEN
			problem := 'individual_number appears twice in the source';
		END IF;
		n := n + 1;
		IF problem IS NOT NULL THEN
			msg := pg_catalog.format('row %s of the source (in resident_code order): %s; nothing was imported',
									 n, problem);
			PERFORM juki._log(a, 'error', 'invalid_resident',
				subjects => CASE WHEN juki.is_valid_resident_code(r.resident_code) THEN ARRAY[r.resident_code] END,
				detail => pg_catalog.jsonb_build_object('message', msg, 'source', qname));
			RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = msg, DETAIL = 'reason: invalid_resident',
				HINT = 'Rows are counted in resident_code order (COLLATE "C"); the operation log names the row''s resident_code.';
		END IF;
		IF r.code_registered OR r.number_registered THEN
			n_conflicts := n_conflicts + 1;
			IF n_conflicts <= 100 THEN
				conflicts := conflicts || r.resident_code;
			END IF;
		END IF;
		prev := r.resident_code;
	END LOOP;
	IF n_conflicts > 0 THEN
		msg := 'the source conflicts with the register (a resident_code or individual_number in it is already registered); nothing was imported';
		PERFORM juki._log(a, 'error', 'register_conflict', subjects => conflicts,
			detail => pg_catalog.jsonb_build_object('message', msg, 'source', qname, 'conflicting_rows', n_conflicts));
		RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = msg, DETAIL = 'reason: register_conflict',
			HINT = 'The operation log names the rows (by resident_code) for an auditor.';
	END IF;
	INSERT INTO juki.resident (resident_code, individual_number, full_name, full_name_kana,
							   former_surname, alias_name, birth_date, sex, address, municipality_code,
							   change_reason, change_date, status)
	SELECT s.resident_code, s.individual_number, s.full_name, s.full_name_kana, s.former_surname,
		   s.alias_name, juki._iso_date(s.birth_date), s.sex, s.address, s.municipality_code,
		   s.change_reason, juki._iso_date(s.change_date), s.status
	  FROM juki._staging_rows(v_src) s ORDER BY s.resident_code COLLATE "C";
	GET DIAGNOSTICS inserted = ROW_COUNT;
	IF inserted <> n THEN
		RAISE EXCEPTION 'juki: % rows checked but % inserted', n, inserted;	-- the source is locked: cannot happen
	END IF;

	-- SHA-256 over the imported rows: one line per row, the row as a JSON
	-- object of the fields as imported (text), lines in resident_code order,
	-- each ended by a newline
	-- (streamed: the rows of a large town do not fit in one value)
	SELECT juki._sha256_agg(pg_catalog.to_jsonb(s)::text || E'\n' ORDER BY s.resident_code COLLATE "C")
	  INTO digest FROM juki._staging_rows(v_src) s;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('sha256', digest, 'source', qname));
	RETURN n;
END
$$;
ALTER FUNCTION juki.import_residents(regclass) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.record_change(resident_code text, changes jsonb, reason text, effective_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_change';
	changeable constant text[] := ARRAY['individual_number', 'full_name', 'full_name_kana', 'former_surname',
										'alias_name', 'birth_date', 'sex', 'address', 'municipality_code'];
	v_code text := $1;
	v_changes jsonb := $2;
	v_reason text := $3;
	v_on date := $4;
	cur record;
	k text;
	keys text[];
	problem text;
	v_status text;
	v_birth date;
	cause text;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_registrar'],
		'resident_code, changes, reason and effective_on must not be NULL',
		ARRAY[v_code IS NULL, v_changes IS NULL, v_reason IS NULL, v_on IS NULL]);
	IF NOT juki.is_valid_resident_code(v_code) THEN
		PERFORM juki._fail(a, 'invalid_resident_code', '22023', 'resident_code is not a valid 住民票コード',
			'A 住民票コード has 11 ASCII digits.');
	END IF;
	IF v_reason NOT IN ('birth', 'move_in', 'move_within', 'move_out', 'death', 'ex_officio_correction',
						'resident_code_change', 'other') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'reason is not one of the 異動事由',
			'birth, move_in, move_within, move_out, death, ex_officio_correction, resident_code_change, other');
	END IF;
	IF pg_catalog.jsonb_typeof(v_changes) <> 'object' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'changes must be a JSON object');
	END IF;
	SELECT pg_catalog.array_agg(x ORDER BY x) INTO keys FROM pg_catalog.jsonb_object_keys(v_changes) x;
	keys := coalesce(keys, '{}');
	IF NOT keys <@ changeable THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			pg_catalog.format('changes may only name %s', pg_catalog.array_to_string(changeable, ', ')),
			'resident_code, change_reason, change_date and status follow from the arguments.');
	END IF;
	IF pg_catalog.cardinality(keys) = 0 AND v_reason NOT IN ('move_out', 'death') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'changes is empty');
	END IF;
	FOREACH k IN ARRAY keys
	LOOP
		IF pg_catalog.jsonb_typeof(v_changes -> k) NOT IN ('string', 'null') THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023',
				pg_catalog.format('the value of %s must be a string', k));
		END IF;
		problem := juki._resident_field_problem(k, v_changes ->> k);
		IF problem IS NOT NULL THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023', problem);
		END IF;
	END LOOP;
	IF v_on > CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'effective_on must not be in the future');
	END IF;
	IF v_on < juki._iso_date(v_changes ->> 'birth_date') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'effective_on must not be before the birth date it gives');
	END IF;
	-- a new individual number: no other change may take it between the
	-- check and the update (a unique violation would print the number)
	IF v_changes ? 'individual_number' THEN
		LOCK TABLE juki.resident IN SHARE ROW EXCLUSIVE MODE;
	END IF;

	-- What follows depends on the register, not on the arguments: whether the
	-- resident exists or was removed, their birth date, who holds a number.
	-- Each answer would be a fact about a resident the registrar may not
	-- read (sixteen calls found a birth date), so every one of them gets the
	-- same refusal, raised from one place; the log records which it was.
	SELECT * INTO cur FROM juki.resident x WHERE x.resident_code = v_code FOR UPDATE;
	IF NOT FOUND THEN
		cause := 'resident_unknown';
	ELSIF cur.status = 'removed' AND v_reason NOT IN ('move_in', 'ex_officio_correction') THEN
		cause := 'resident_removed';
	ELSIF v_on < cur.birth_date AND NOT v_changes ? 'birth_date' THEN
		cause := 'before_birth_date';
	ELSIF v_changes ? 'individual_number' AND EXISTS (SELECT 1 FROM juki.resident x
			WHERE x.individual_number = v_changes ->> 'individual_number' AND x.resident_code <> v_code) THEN
		cause := 'individual_number_registered';
	END IF;
	IF cause IS NOT NULL THEN
		PERFORM juki._log(a, 'error', 'change_refused', subjects => ARRAY[v_code],
			detail => pg_catalog.jsonb_build_object('cause', cause));
		RAISE EXCEPTION USING ERRCODE = '22023',
			MESSAGE = 'this change cannot be recorded for the resident named; nothing was changed',
			DETAIL = 'reason: change_refused',
			HINT = 'The operation log records why, for an auditor.';
	END IF;
	v_birth := coalesce(juki._iso_date(v_changes ->> 'birth_date'), cur.birth_date);
	v_status := CASE WHEN v_reason IN ('move_out', 'death') THEN 'removed'
					 WHEN v_reason = 'move_in' THEN 'active' ELSE cur.status END;

	UPDATE juki.resident x SET
		individual_number = CASE WHEN v_changes ? 'individual_number' THEN v_changes ->> 'individual_number' ELSE x.individual_number END,
		full_name = CASE WHEN v_changes ? 'full_name' THEN v_changes ->> 'full_name' ELSE x.full_name END,
		full_name_kana = CASE WHEN v_changes ? 'full_name_kana' THEN v_changes ->> 'full_name_kana' ELSE x.full_name_kana END,
		former_surname = CASE WHEN v_changes ? 'former_surname' THEN v_changes ->> 'former_surname' ELSE x.former_surname END,
		alias_name = CASE WHEN v_changes ? 'alias_name' THEN v_changes ->> 'alias_name' ELSE x.alias_name END,
		birth_date = v_birth,
		sex = CASE WHEN v_changes ? 'sex' THEN v_changes ->> 'sex' ELSE x.sex END,
		address = CASE WHEN v_changes ? 'address' THEN v_changes ->> 'address' ELSE x.address END,
		municipality_code = CASE WHEN v_changes ? 'municipality_code' THEN v_changes ->> 'municipality_code' ELSE x.municipality_code END,
		change_reason = v_reason,
		change_date = v_on,
		status = v_status,
		updated_at = pg_catalog.now()
	 WHERE x.resident_code = v_code;
	PERFORM juki._log(a, 'granted', NULL, subjects => ARRAY[v_code],
		detail => pg_catalog.jsonb_build_object('fields', keys));
END
$$;
ALTER FUNCTION juki.record_change(text, jsonb, text, date) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.set_support_measure(resident_code text, starts_on date, ends_on date, note text)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'set_support_measure';
	v_code text := $1;
	v_start date := $2;
	v_end date := $3;
	v_note text := $4;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_registrar'],
		'resident_code, starts_on and ends_on must not be NULL',
		ARRAY[v_code IS NULL, v_start IS NULL, v_end IS NULL]);
	IF NOT juki.is_valid_resident_code(v_code) THEN
		PERFORM juki._fail(a, 'invalid_resident_code', '22023', 'resident_code is not a valid 住民票コード',
			'A 住民票コード has 11 ASCII digits.');
	END IF;
	IF v_end < v_start OR v_end >= v_start + interval '1 year' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a support measure lasts at most one year (ends_on before starts_on + 1 year)',
			'Renew it with a new measure before it ends.');
	END IF;
	IF v_end < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'ends_on is in the past');
	END IF;
	IF v_note IS NOT NULL AND pg_catalog.length(v_note) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a note has at most 1000 characters');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.resident x WHERE x.resident_code = v_code) THEN
		PERFORM juki._fail(a, 'resident_unknown', '22023', 'no resident has this resident_code');
	END IF;

	INSERT INTO juki.support_measure (resident_code, starts_on, ends_on, note, registered_by)
	VALUES (v_code, v_start, v_end, v_note, juki._caller())
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	-- the note stays out of the log: it may describe the victim's situation
	PERFORM juki._log(a, 'granted', NULL, subjects => ARRAY[v_code],
		detail => pg_catalog.jsonb_build_object('support_measure_id', v_id, 'starts_on', v_start,
												'ends_on', v_end));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.set_support_measure(text, date, date, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.end_support_measure(id bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'end_support_measure';
	v_id bigint := $1;
	m record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_registrar'],
		'id must not be NULL',
		ARRAY[v_id IS NULL]);
	SELECT * INTO m FROM juki.support_measure x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'support_measure_unknown', '22023',
			pg_catalog.format('support measure %s does not exist', v_id));
	END IF;
	IF m.ends_on < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'support_measure_ended', '55000',
			pg_catalog.format('support measure %s has already ended', v_id));
	END IF;

	-- in force no more from today: it ended yesterday
	UPDATE juki.support_measure x SET ends_on = CURRENT_DATE - 1,
		   starts_on = LEAST(x.starts_on, CURRENT_DATE - 1)
	 WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, subjects => ARRAY[m.resident_code::text],
		detail => pg_catalog.jsonb_build_object('support_measure_id', v_id, 'starts_on', m.starts_on,
												'ends_on', m.ends_on));
END
$$;
ALTER FUNCTION juki.end_support_measure(bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.purposes() RETURNS SETOF juki.purpose
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a constant text := 'purposes';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer', 'juki_system_administrator',
		'juki_security_officer', 'juki_access_manager', 'juki_operator', 'juki_contractor_operator',
		'juki_auditor', 'juki_registrar', 'juki_terminal']);
	RETURN QUERY SELECT DISTINCT ON (p.code) p.* FROM juki.purpose p ORDER BY p.code, p.version DESC;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.purposes() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.operating_hours_in_force()
	RETURNS TABLE (purpose text, weekday integer, opens time, closes time)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'operating_hours_in_force';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer', 'juki_system_administrator',
		'juki_security_officer', 'juki_access_manager', 'juki_operator', 'juki_contractor_operator',
		'juki_auditor', 'juki_registrar', 'juki_terminal']);
	RETURN QUERY SELECT DISTINCT ON (h.purpose, h.weekday) h.purpose, h.weekday, h.opens, h.closes
				   FROM juki.operating_hours h
				  ORDER BY h.purpose NULLS FIRST, h.weekday, h.id DESC;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.operating_hours_in_force() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.operators()
	RETURNS TABLE (id bigint, role_name name, display_name text, department text, kind text,
				   retired_at timestamptz, password_set_at timestamptz, cards integer,
				   last_operator_training date)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'operators';
	see_all boolean;
	me text;
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager', 'juki_security_officer',
										'juki_chief_security_officer']);
	see_all := juki._has_role('juki_access_manager') OR juki._has_role('juki_chief_security_officer');
	me := juki._caller();
	RETURN QUERY
	SELECT o.id, o.role_name, o.display_name, o.department, o.kind, o.retired_at, pw.set_at,
		   (SELECT count(*)::integer FROM juki.operator_card c
			 WHERE c.operator_id = o.id AND c.revoked_at IS NULL AND c.valid_until >= CURRENT_DATE),
		   (SELECT max(t.completed_on) FROM juki.training t WHERE t.operator_id = o.id AND t.course = 'operator')
	  FROM juki.operator o LEFT JOIN juki.operator_password pw ON pw.operator_id = o.id
	 WHERE see_all OR EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = me
							   AND d.department = o.department AND d.retired_at IS NULL)
	 ORDER BY o.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.operators() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.designations()
	RETURNS TABLE (id bigint, operator_id bigint, role_name name, purposes text[], department text,
				   designated_by text, valid_from date, valid_until date, note text,
				   revoked_at timestamptz, revoked_by text, revoke_reason text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'designations';
	see_all boolean;
	me text;
	my_op bigint;
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_operator', 'juki_contractor_operator',
										'juki_security_officer', 'juki_chief_security_officer']);
	see_all := juki._has_role('juki_chief_security_officer');
	me := juki._caller();
	my_op := juki._session_operator();
	RETURN QUERY
	SELECT d.id, d.operator_id, o.role_name, d.purposes, d.department, d.designated_by, d.valid_from,
		   d.valid_until, d.note, d.revoked_at, d.revoked_by, d.revoke_reason
	  FROM juki.designation d JOIN juki.operator o ON o.id = d.operator_id
	 WHERE see_all OR d.operator_id = my_op OR o.role_name::text = me
		OR (juki._has_role('juki_security_officer')
			AND EXISTS (SELECT 1 FROM juki.department_officer x WHERE x.role_name = me
						 AND x.department = d.department AND x.retired_at IS NULL))
	 ORDER BY d.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.designations() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.permits()
	RETURNS TABLE (id bigint, operator_id bigint, role_name name, purpose text, reason text,
				   valid_from timestamptz, valid_until timestamptz, residents text[], bulk_rows integer,
				   off_hours boolean, requested_by text, requested_at timestamptz, decided_by text,
				   decided_at timestamptz, decision_reason text, status text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'permits';
	see_all boolean;
	me text;
	my_op bigint;
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_operator', 'juki_contractor_operator',
										'juki_security_officer', 'juki_chief_security_officer']);
	see_all := juki._has_role('juki_chief_security_officer');
	me := juki._caller();
	my_op := juki._session_operator();
	RETURN QUERY
	SELECT p.id, p.operator_id, o.role_name, p.purpose, p.reason, p.valid_from, p.valid_until, p.residents,
		   p.bulk_rows, p.off_hours, p.requested_by, p.requested_at, p.decided_by, p.decided_at,
		   p.decision_reason,
		   CASE WHEN p.status IN ('pending', 'approved') AND p.valid_until <= pg_catalog.now()
				THEN 'expired' ELSE p.status END
	  FROM juki.access_permit p JOIN juki.operator o ON o.id = p.operator_id
	 WHERE see_all OR p.operator_id = my_op OR o.role_name::text = me
		OR (juki._has_role('juki_security_officer')
			AND EXISTS (SELECT 1 FROM juki.department_officer x WHERE x.role_name = me
						 AND x.department = o.department AND x.retired_at IS NULL))
	 ORDER BY p.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.permits() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.register_contractor(name text, address text, vetting jsonb,
										 parent_contractor text DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_contractor';
	items constant text[] := ARRAY['financial_soundness', 'stability', 'business_scale', 'business_area',
								   'technical_skill', 'training_system', 'privacy_measures',
								   'security_measures', 'liability_capacity', 'scandals'];
	v_name text := $1;
	v_addr text := $2;
	v_vet jsonb := $3;
	v_parent text := $4;
	w text;
	k text;
	it jsonb;
	missing text[];
	v_on date;
	v_id bigint;
	n_ok integer := 0;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'not_appointed', '42501', 'you are not appointed security officer of any department',
			'The chief security officer appoints security officers: juki.appoint_security_officer().');
	END IF;
	-- 再委託 first: whatever else is wrong, a declared parent is refused as such
	IF v_parent IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('a contractor registered for another contractor (%s) is a subcontractor (再委託)', v_parent),
			'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
	END IF;
	w := coalesce(juki._subcontracting_word(v_name), juki._subcontracting_word(v_addr));
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('the name or address declares subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
	END IF;
	IF v_vet IS NOT NULL THEN
		k := juki._subcontracting_key(v_vet);
		IF k IS NOT NULL THEN
			PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
				pg_catalog.format('the vetting record declares a parent contractor or subcontractor (key %s)', k),
				'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
		END IF;
	END IF;
	IF v_name IS NULL OR v_vet IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'name and vetting must not be NULL');
	END IF;
	IF pg_catalog.btrim(v_name) = '' OR pg_catalog.length(v_name) > 200
	   OR (v_addr IS NOT NULL AND pg_catalog.length(v_addr) > 300) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a name has 1 to 200 characters, an address at most 300');
	END IF;
	IF pg_catalog.jsonb_typeof(v_vet) <> 'object' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'vetting is a JSON object with one entry per vetting item',
			'e.g. {"financial_soundness": {"satisfactory": true, "finding": "...", "evidence": "..."}, ...}');
	END IF;
	SELECT pg_catalog.array_agg(x ORDER BY x) INTO k FROM pg_catalog.jsonb_object_keys(v_vet) x
	 WHERE NOT x = ANY (items);
	IF k IS NOT NULL THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			pg_catalog.format('unknown vetting items: %s', pg_catalog.array_to_string(k::text[], ', ')),
			'Items: ' || pg_catalog.array_to_string(items, ', '));
	END IF;
	SELECT pg_catalog.array_agg(i ORDER BY o) INTO missing FROM pg_catalog.unnest(items) WITH ORDINALITY u(i, o)
	 WHERE NOT v_vet ? i;
	IF missing IS NOT NULL THEN
		PERFORM juki._fail(a, 'vetting_incomplete', '22023',
			pg_catalog.format('vetting items missing: %s', pg_catalog.array_to_string(missing, ', ')),
			'要領 第4 1: every item is investigated before selection (事前調査, 業務完遂能力, 損害賠償能力, 不祥事).');
	END IF;
	FOREACH k IN ARRAY items
	LOOP
		it := v_vet -> k;
		IF pg_catalog.jsonb_typeof(it) <> 'object'
		   OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(it) x
					   WHERE x NOT IN ('satisfactory', 'finding', 'evidence', 'checked_on'))
		   OR pg_catalog.jsonb_typeof(it -> 'satisfactory') IS DISTINCT FROM 'boolean'
		   OR pg_catalog.jsonb_typeof(it -> 'finding') IS DISTINCT FROM 'string'
		   OR pg_catalog.jsonb_typeof(it -> 'evidence') IS DISTINCT FROM 'string'
		   OR pg_catalog.btrim(it ->> 'finding') = '' OR pg_catalog.btrim(it ->> 'evidence') = ''
		   OR pg_catalog.length(it ->> 'finding') > 2000 OR pg_catalog.length(it ->> 'evidence') > 2000 THEN
			PERFORM juki._fail(a, 'vetting_incomplete', '22023',
				pg_catalog.format('vetting item %s needs satisfactory (true/false), a finding and the evidence (1 to 2000 characters each)', k),
				'Optional: checked_on (YYYY-MM-DD, not in the future); the checker is you.');
		END IF;
		IF it ? 'checked_on' THEN
			v_on := juki._iso_date(it ->> 'checked_on');
			IF v_on IS NULL OR v_on > CURRENT_DATE OR v_on < CURRENT_DATE - interval '2 years' THEN
				PERFORM juki._fail(a, 'invalid_argument', '22023',
					pg_catalog.format('vetting item %s: checked_on must be a date within the last two years', k));
			END IF;
		END IF;
	END LOOP;
	IF EXISTS (SELECT 1 FROM juki.contractor c WHERE juki.fold(c.name) = juki.fold(v_name)) THEN
		PERFORM juki._fail(a, 'already_registered', '22023',
			pg_catalog.format('a contractor named %s is already registered', v_name));
	END IF;

	INSERT INTO juki.contractor (name, address, registered_by)
	VALUES (v_name, v_addr, juki._caller()) RETURNING id INTO v_id;
	INSERT INTO juki.contractor_vetting (contractor_id, item, satisfactory, finding, evidence, checked_by, checked_on)
	SELECT v_id, i, (v_vet -> i ->> 'satisfactory')::boolean, v_vet -> i ->> 'finding', v_vet -> i ->> 'evidence',
		   juki._caller(), coalesce(juki._iso_date(v_vet -> i ->> 'checked_on'), CURRENT_DATE)
	  FROM pg_catalog.unnest(items) i;
	SELECT count(*) INTO n_ok FROM juki.contractor_vetting x WHERE x.contractor_id = v_id AND x.satisfactory;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contractor_id', v_id, 'name', v_name,
			'items', pg_catalog.cardinality(items), 'satisfactory', n_ok));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.register_contractor(text, text, jsonb, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.record_committee_review(contractor bigint, reviewed_on date, note text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_committee_review';
	v_id bigint := $1;
	v_on date := $2;
	v_note text := $3;
	c record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contractor, reviewed_on and note must not be NULL',
		ARRAY[v_id IS NULL, v_on IS NULL, v_note IS NULL]);
	IF pg_catalog.btrim(v_note) = '' OR pg_catalog.length(v_note) > 2000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a note (the committee''s conclusion) has 1 to 2000 characters');
	END IF;
	SELECT * INTO c FROM juki.contractor x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_id));
	END IF;
	IF v_on > CURRENT_DATE OR v_on < (c.registered_at AT TIME ZONE 'UTC')::date - 1 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'reviewed_on must be between the registration of the contractor and today');
	END IF;

	UPDATE juki.contractor x SET committee_reviewed_on = v_on WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contractor_id', v_id, 'reviewed_on', v_on, 'note', v_note));
END
$$;
ALTER FUNCTION juki.record_committee_review(bigint, date, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.approve_contractor(contractor bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contractor';
	v_id bigint := $1;
	c record;
	bad text[];
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contractor must not be NULL',
		ARRAY[v_id IS NULL]);
	SELECT * INTO c FROM juki.contractor x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller()
	   OR EXISTS (SELECT 1 FROM juki.contractor_vetting v WHERE v.contractor_id = v_id AND v.checked_by = juki._caller()) THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contractor they vetted themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('contractor %s is already approved', v_id));
	END IF;
	IF c.committee_reviewed_on IS NULL THEN
		PERFORM juki._fail(a, 'committee_review_missing', '55000',
			pg_catalog.format('the セキュリティ会議 has not reviewed contractor %s', v_id),
			'Record the review first: juki.record_committee_review().');
	END IF;
	SELECT pg_catalog.array_agg(v.item ORDER BY v.item) INTO bad FROM juki.contractor_vetting v
	 WHERE v.contractor_id = v_id AND NOT v.satisfactory;
	IF bad IS NOT NULL THEN
		PERFORM juki._fail(a, 'vetting_unsatisfactory', '55000',
			pg_catalog.format('contractor %s is not satisfactory in: %s', v_id, pg_catalog.array_to_string(bad, ', ')),
			'要領 第4 1: select contractors whose safety and reliability are confirmed.');
	END IF;

	UPDATE juki.contractor x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, detail => pg_catalog.jsonb_build_object('contractor_id', v_id));
END
$$;
ALTER FUNCTION juki.approve_contractor(bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.register_contract(contractor bigint, scope text, purposes text[], starts_on date,
									   ends_on date, max_handlers integer, subcontractor text DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_contract';
	v_k bigint := $1;
	v_scope text := $2;
	v_purposes text[] := $3;
	v_start date := $4;
	v_end date := $5;
	v_max integer := $6;
	v_sub text := $7;
	w text;
	pc text;
	p record;
	other text;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	IF v_sub IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('a contract naming a subcontractor (%s) is 再委託', v_sub),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	w := juki._subcontracting_word(v_scope);
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('the scope declares subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	SELECT x INTO w FROM pg_catalog.unnest(v_purposes) x
	 WHERE pg_catalog.lower(NORMALIZE(x, NFKC)) ~ '(sub-?contract|再委託|下請|孫請)' LIMIT 1;
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('purposes declare subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	IF v_scope IS NOT NULL THEN
		SELECT c.name INTO other FROM juki.contractor c
		 WHERE c.id IS DISTINCT FROM v_k AND pg_catalog.length(juki.fold(c.name)) >= 2
		   AND pg_catalog.strpos(juki.fold(v_scope), juki.fold(c.name)) > 0
		 ORDER BY c.id LIMIT 1;
		IF FOUND THEN
			PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
				pg_catalog.format('the scope names another contractor (%s)', other),
				'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
		END IF;
	END IF;
	IF v_k IS NULL OR v_scope IS NULL OR v_purposes IS NULL OR v_start IS NULL OR v_end IS NULL OR v_max IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'contractor, scope, purposes, starts_on, ends_on and max_handlers must not be NULL');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.contractor c WHERE c.id = v_k) THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_k));
	END IF;
	IF pg_catalog.btrim(v_scope) = '' OR pg_catalog.length(v_scope) > 2000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a scope has 1 to 2000 characters');
	END IF;
	IF v_end < v_start THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'ends_on is before starts_on');
	END IF;
	IF v_end < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'the contract has already ended (ends_on is in the past)');
	END IF;
	IF v_end > v_start + interval '5 years' OR v_start > CURRENT_DATE + interval '1 year' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a contract lasts at most 5 years and starts within a year');
	END IF;
	IF v_max NOT BETWEEN 1 AND 100 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'max_handlers must be between 1 and 100',
			'要領 第3 2(1)③: the designation of handlers is kept to the necessary minimum.');
	END IF;
	IF pg_catalog.cardinality(v_purposes) = 0 OR pg_catalog.array_position(v_purposes, NULL) IS NOT NULL
	   OR (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_purposes) x) <> pg_catalog.cardinality(v_purposes) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'purposes must list at least one purpose, without NULLs or duplicates');
	END IF;
	FOREACH pc IN ARRAY v_purposes
	LOOP
		SELECT * INTO p FROM juki.purpose x WHERE x.code = pc ORDER BY x.version DESC LIMIT 1;
		IF NOT FOUND THEN
			PERFORM juki._fail(a, 'purpose_unknown', '22023',
				pg_catalog.format('purpose %s does not exist', pc), 'juki.purposes() lists them.');
		END IF;
		IF NOT p.active THEN
			PERFORM juki._fail(a, 'purpose_inactive', '55000',
				pg_catalog.format('purpose %s is not active', pc), NULL, NULL, pc);
		END IF;
		IF p.aggregates_only THEN
			PERFORM juki._fail(a, 'aggregates_only', '22023',
				pg_catalog.format('purpose %s discloses no individual records', pc), NULL, NULL, pc);
		END IF;
		IF NOT juki._officer_of(p.department) THEN
			PERFORM juki._fail(a, 'wrong_department', '42501',
				pg_catalog.format('purpose %s belongs to %s, and you are not its security officer', pc, p.department),
				'The security officer of the outsourcing department registers the contract.', NULL, pc);
		END IF;
	END LOOP;

	INSERT INTO juki.contract (contractor_id, scope, purposes, starts_on, ends_on, max_handlers, registered_by)
	VALUES (v_k, v_scope, v_purposes, v_start, v_end, v_max, juki._caller())
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'contractor_id', v_k, 'purposes', v_purposes,
			'starts_on', v_start, 'ends_on', v_end, 'max_handlers', v_max));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.register_contract(bigint, text, text[], date, date, integer, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.record_pledge(contract bigint, received_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_pledge';
	v_on date := $2;
	c juki.contract;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	c := juki._contract_for_officer(a, $1);
	IF v_on IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'received_on must not be NULL');
	END IF;
	IF v_on > CURRENT_DATE OR v_on > c.ends_on OR v_on < (c.registered_at AT TIME ZONE 'UTC')::date - 365 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'received_on must not be in the future nor after the contract ends');
	END IF;
	IF c.pledge_received_on IS NOT NULL THEN
		PERFORM juki._fail(a, 'pledge_recorded', '55000',
			pg_catalog.format('a pledge is already on record for contract %s', c.id));
	END IF;

	UPDATE juki.contract x SET pledge_received_on = v_on WHERE x.id = c.id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', c.id, 'received_on', v_on));
END
$$;
ALTER FUNCTION juki.record_pledge(bigint, date) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.withdraw_pledge(contract bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'withdraw_pledge';
	v_reason text := $2;
	c juki.contract;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	c := juki._contract_for_officer(a, $1);
	IF v_reason IS NULL OR pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	IF c.pledge_received_on IS NULL THEN
		PERFORM juki._fail(a, 'pledge_missing', '55000', pg_catalog.format('no pledge is on record for contract %s', c.id));
	END IF;

	UPDATE juki.contract x SET pledge_received_on = NULL WHERE x.id = c.id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', c.id, 'was_received_on', c.pledge_received_on,
												'reason', v_reason));
END
$$;
ALTER FUNCTION juki.withdraw_pledge(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.approve_contract(contract bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contract';
	v_id bigint := $1;
	c record;
	k record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contract must not be NULL',
		ARRAY[v_id IS NULL]);
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contract they registered themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('contract %s is already approved', v_id));
	END IF;
	SELECT * INTO k FROM juki.contractor x WHERE x.id = c.contractor_id;
	IF k.approved_at IS NULL THEN
		PERFORM juki._fail(a, 'contractor_unapproved', '55000',
			pg_catalog.format('contractor %s is not approved', k.id),
			'The contractor is approved first: juki.approve_contractor().');
	END IF;
	IF c.ends_on < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'contract_expired', '55000', pg_catalog.format('contract %s has ended', v_id));
	END IF;

	UPDATE juki.contract x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'contractor_id', k.id,
												'pledge', c.pledge_received_on IS NOT NULL));
END
$$;
ALTER FUNCTION juki.approve_contract(bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.suspend_contract(contract bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'suspend_contract';
	v_id bigint := $1;
	v_reason text := $2;
	c record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contract and reason must not be NULL',
		ARRAY[v_id IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	IF c.approved_at IS NULL THEN
		PERFORM juki._fail(a, 'contract_unapproved', '55000', pg_catalog.format('contract %s is not approved', v_id));
	END IF;

	UPDATE juki.contract x SET approved_by = NULL, approved_at = NULL WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'reason', v_reason));
END
$$;
ALTER FUNCTION juki.suspend_contract(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.designate_handler(contract bigint, operator bigint, valid_from date, valid_until date)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'designate_handler';
	v_c bigint := $1;
	v_op bigint := $2;
	v_from date := $3;
	v_until date := $4;
	c record;
	o record;
	oc record;
	n integer;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'contract, operator, valid_from and valid_until must not be NULL',
		ARRAY[v_c IS NULL, v_op IS NULL, v_from IS NULL, v_until IS NULL]);
	-- one designation at a time per contract: the handler count is exact
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_c FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_c));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.kind <> 'contractor' THEN
		PERFORM juki._fail(a, 'not_a_contractor', '42501',
			pg_catalog.format('operator %s is staff, not a contractor''s handler', v_op),
			'Staff are designated with juki.designate().', v_op);
	END IF;
	-- 再委託: a handler employed by another contractor than the contract's
	SELECT * INTO oc FROM juki.contract x WHERE x.id = o.contract_id;
	IF oc.contractor_id <> c.contractor_id THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('operator %s works for contractor %s, not for contractor %s of contract %s',
							  v_op, oc.contractor_id, c.contractor_id, v_c),
			'再委託 is prohibited (要領 第4): only the contractor''s own staff handle the data.', v_op);
	END IF;
	IF o.contract_id <> v_c THEN
		PERFORM juki._fail(a, 'wrong_contract', '42501',
			pg_catalog.format('operator %s is registered under contract %s, not contract %s', v_op, o.contract_id, v_c),
			'The access manager registers a handler under the contract they work on.', v_op);
	END IF;
	IF NOT juki._officer_of(o.department) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of operator %s', o.department, v_op),
			NULL, v_op);
	END IF;
	IF NOT o.department = ANY (juki._purpose_departments(c.purposes)) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('contract %s has no purpose of %s, the department of operator %s', v_c, o.department, v_op),
			NULL, v_op);
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000', pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;
	IF c.approved_at IS NULL OR NOT EXISTS (SELECT 1 FROM juki.contractor k WHERE k.id = c.contractor_id
											 AND k.approved_at IS NOT NULL) THEN
		PERFORM juki._fail(a, 'contract_unapproved', '55000',
			pg_catalog.format('contract %s (or its contractor) is not approved', v_c), NULL, v_op);
	END IF;
	IF c.pledge_received_on IS NULL THEN
		PERFORM juki._fail(a, 'pledge_missing', '55000',
			pg_catalog.format('no pledge (誓約書) is on record for contract %s', v_c),
			'Record it first: juki.record_pledge().', v_op);
	END IF;
	IF v_until < v_from THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'valid_until is before valid_from', NULL, v_op);
	END IF;
	IF v_from < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a designation starts today or later', NULL, v_op);
	END IF;
	IF v_from < c.starts_on OR v_until > c.ends_on THEN
		PERFORM juki._fail(a, 'outside_contract_period', '22023',
			pg_catalog.format('the designation must lie inside the contract period %s to %s',
							  pg_catalog.to_char(c.starts_on, 'YYYY-MM-DD'), pg_catalog.to_char(c.ends_on, 'YYYY-MM-DD')),
			NULL, v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.training t WHERE t.operator_id = v_op AND t.course = 'operator'
					AND t.completed_on >= CURRENT_DATE - interval '12 months') THEN
		PERFORM juki._fail(a, 'training_missing', '42501',
			pg_catalog.format('operator %s has not completed the operator training within the last 12 months', v_op),
			'The access manager records training: juki.record_training().', v_op);
	END IF;
	IF EXISTS (SELECT 1 FROM juki.contract_handler h WHERE h.contract_id = v_c AND h.operator_id = v_op
				AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from) THEN
		PERFORM juki._fail(a, 'already_designated', '22023',
			pg_catalog.format('operator %s is already designated on contract %s for part of this period', v_op, v_c),
			NULL, v_op);
	END IF;
	-- 必要最小限度: every other unrevoked designation overlapping the period counts
	SELECT count(DISTINCT h.operator_id) INTO n FROM juki.contract_handler h
	 WHERE h.contract_id = v_c AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from;
	IF n >= c.max_handlers THEN
		PERFORM juki._fail(a, 'too_many_handlers', '54000',
			pg_catalog.format('contract %s allows %s handlers and %s are designated for this period', v_c, c.max_handlers, n),
			'要領 第3 2(1)③: revoke a handler first, or amend the contract.', v_op);
	END IF;

	INSERT INTO juki.contract_handler (contract_id, operator_id, designated_by, valid_from, valid_until)
	VALUES (v_c, v_op, juki._caller(), v_from, v_until)
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('handler_id', v_id, 'contract_id', v_c, 'valid_from', v_from,
												'valid_until', v_until, 'handlers', n + 1, 'max_handlers', c.max_handlers));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.designate_handler(bigint, bigint, date, date) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.revoke_handler(id bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'revoke_handler';
	v_id bigint := $1;
	v_reason text := $2;
	h record;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'id and reason must not be NULL',
		ARRAY[v_id IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO h FROM juki.contract_handler x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'handler_unknown', '22023', pg_catalog.format('handler designation %s does not exist', v_id));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = h.operator_id;
	IF NOT juki._officer_of(o.department) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s', o.department), NULL, o.id);
	END IF;
	IF h.revoked_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'handler_revoked', '55000',
			pg_catalog.format('handler designation %s is already revoked', v_id), NULL, o.id);
	END IF;

	UPDATE juki.contract_handler x SET revoked_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => o.id,
		detail => pg_catalog.jsonb_build_object('handler_id', v_id, 'contract_id', h.contract_id, 'reason', v_reason));
END
$$;
ALTER FUNCTION juki.revoke_handler(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.contractors()
	RETURNS TABLE (id bigint, name text, address text, vetting jsonb, unsatisfactory text[],
				   committee_reviewed_on date, registered_by text, approved_by text, approved boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contractors';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor']);
	RETURN QUERY
	SELECT k.id, k.name, k.address,
		   (SELECT pg_catalog.jsonb_object_agg(v.item, pg_catalog.jsonb_build_object('satisfactory', v.satisfactory,
					'finding', v.finding, 'evidence', v.evidence, 'checked_by', v.checked_by, 'checked_on', v.checked_on))
			  FROM juki.contractor_vetting v WHERE v.contractor_id = k.id),
		   (SELECT pg_catalog.array_agg(v.item ORDER BY v.item) FROM juki.contractor_vetting v
			 WHERE v.contractor_id = k.id AND NOT v.satisfactory),
		   k.committee_reviewed_on, k.registered_by, k.approved_by, k.approved_at IS NOT NULL
	  FROM juki.contractor k ORDER BY k.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.contractors() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.contracts()
	RETURNS TABLE (id bigint, contractor_id bigint, contractor text, scope text, purposes text[],
				   starts_on date, ends_on date, max_handlers integer, handlers_in_force integer,
				   pledge_received_on date, approved_by text, approved boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contracts';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor',
										'juki_access_manager']);
	RETURN QUERY
	SELECT c.id, c.contractor_id, k.name, c.scope, c.purposes, c.starts_on, c.ends_on, c.max_handlers,
		   (SELECT count(DISTINCT h.operator_id)::integer FROM juki.contract_handler h
			 WHERE h.contract_id = c.id AND h.revoked_at IS NULL AND CURRENT_DATE BETWEEN h.valid_from AND h.valid_until),
		   c.pledge_received_on, c.approved_by, c.approved_at IS NOT NULL
	  FROM juki.contract c JOIN juki.contractor k ON k.id = c.contractor_id ORDER BY c.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.contracts() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.contract_handlers()
	RETURNS TABLE (id bigint, contract_id bigint, operator_id bigint, role_name name, department text,
				   designated_by text, valid_from date, valid_until date, revoked_at timestamptz)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contract_handlers';
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor']);
	RETURN QUERY
	SELECT h.id, h.contract_id, h.operator_id, o.role_name, o.department, h.designated_by, h.valid_from,
		   h.valid_until, h.revoked_at
	  FROM juki.contract_handler h JOIN juki.operator o ON o.id = h.operator_id ORDER BY h.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.contract_handlers() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.file_form(serial text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a constant text := 'file_form';
	f juki.printed_form;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	f := juki._form_for_officer(a, $1);
	IF f.status = 'filed' THEN
		PERFORM juki._fail(a, 'form_filed', '55000', pg_catalog.format('form %s is already filed', f.serial),
			NULL, f.operator_id, f.purpose);
	END IF;
	UPDATE juki.printed_form p SET status = 'filed', filed_at = pg_catalog.now() WHERE p.serial = f.serial;
	PERFORM juki._log(a, 'granted', NULL, f.purpose, f.operator_id, NULL, f.residents,
		pg_catalog.jsonb_build_object('form_serial', f.serial, 'form_type', f.form_type));
END
$$;
ALTER FUNCTION juki.file_form(text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.request_form_destruction(serial text, method text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a constant text := 'request_form_destruction';
	v_method text := $2;
	f juki.printed_form;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	f := juki._form_for_officer(a, $1);
	IF v_method IS NULL OR pg_catalog.btrim(v_method) = '' OR pg_catalog.length(v_method) > 200 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a destruction method has 1 to 200 characters',
			'e.g. ''shredded'', ''dissolved''', f.operator_id, f.purpose);
	END IF;
	IF juki._form_issuer_is_caller(f) THEN
		PERFORM juki._fail(a, 'own_form', '42501', 'nobody handles the destruction of a form they printed',
			'Another security officer of the department requests it.', f.operator_id, f.purpose);
	END IF;
	IF f.destruction_requested_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'destruction_requested', '55000',
			pg_catalog.format('the destruction of form %s is already requested', f.serial),
			'Another security officer approves it: juki.approve_form_destruction().', f.operator_id, f.purpose);
	END IF;
	UPDATE juki.printed_form p
	   SET destroy_method = v_method, destruction_requested_by = juki._caller(),
	       destruction_requested_at = pg_catalog.now()
	 WHERE p.serial = f.serial;
	PERFORM juki._log(a, 'granted', NULL, f.purpose, f.operator_id, NULL, f.residents,
		pg_catalog.jsonb_build_object('form_serial', f.serial, 'method', v_method));
END
$$;
ALTER FUNCTION juki.request_form_destruction(text, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._approve_destruction(a text, v_serial text, v_method text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f juki.printed_form;
BEGIN
	IF a IS NULL OR a NOT IN ('approve_form_destruction', 'destroy_form') THEN
		RAISE EXCEPTION 'juki._approve_destruction is internal' USING ERRCODE = '42501';
	END IF;
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	IF a = 'destroy_form' AND (v_method IS NULL OR pg_catalog.btrim(v_method) = '') THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'a form serial and a destruction method are required',
			'e.g. juki.destroy_form(''2026-000001'', ''shredded'')');
	END IF;
	f := juki._form_for_officer(a, v_serial);
	IF f.destruction_requested_at IS NULL THEN
		PERFORM juki._fail(a, 'destruction_not_requested', '55000',
			pg_catalog.format('nobody has requested the destruction of form %s', f.serial),
			'One security officer requests it (juki.request_form_destruction), another approves it.',
			f.operator_id, f.purpose);
	END IF;
	IF f.destruction_requested_by = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves the destruction they requested',
			'Another security officer of the department approves it.', f.operator_id, f.purpose);
	END IF;
	IF juki._form_issuer_is_caller(f) THEN
		PERFORM juki._fail(a, 'own_form', '42501', 'nobody approves the destruction of a form they printed',
			'Another security officer of the department approves it.', f.operator_id, f.purpose);
	END IF;
	IF v_method IS NOT NULL AND v_method <> f.destroy_method THEN
		PERFORM juki._fail(a, 'method_mismatch', '22023',
			pg_catalog.format('the destruction of form %s was requested by another method', f.serial),
			'Approve the method requested, or have the request made again.', f.operator_id, f.purpose);
	END IF;
	UPDATE juki.printed_form p
	   SET status = 'destroyed', destroyed_by = f.destruction_requested_by, destroyed_at = pg_catalog.now(),
	       destroy_approved_by = juki._caller()
	 WHERE p.serial = f.serial;
	PERFORM juki._log(a, 'granted', NULL, f.purpose, f.operator_id, NULL, f.residents,
		pg_catalog.jsonb_build_object('form_serial', f.serial, 'method', f.destroy_method,
									  'requested_by', f.destruction_requested_by));
END
$$;
ALTER FUNCTION juki._approve_destruction(text, text, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.forms()
	RETURNS TABLE (serial text, form_type text, purpose text, operator_id bigint, role_name name,
				   department text, residents text[], printed_at timestamptz, status text,
				   filed_at timestamptz, destruction_requested_by text, destroy_method text,
				   destroyed_by text, destroy_approved_by text, destroyed_at timestamptz)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'forms';
	see_all boolean;
	n bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer', 'juki_chief_security_officer']);
	see_all := juki._has_role('juki_chief_security_officer');
	RETURN QUERY
	SELECT f.serial, f.form_type, f.purpose, f.operator_id, o.role_name, o.department, f.residents, f.printed_at,
		   f.status, f.filed_at, f.destruction_requested_by, f.destroy_method, f.destroyed_by,
		   f.destroy_approved_by, f.destroyed_at
	  FROM juki.printed_form f JOIN juki.operator o ON o.id = f.operator_id
	 WHERE see_all OR juki._officer_of(o.department)
	 ORDER BY f.serial;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
ALTER FUNCTION juki.forms() SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._report_start(a text, since timestamptz, until timestamptz) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF a IS NULL OR a !~ '^report_[a-z_]+$' THEN
		RAISE EXCEPTION 'juki._report_start is internal' USING ERRCODE = '42501';
	END IF;
	PERFORM juki._start(a, ARRAY['juki_auditor', 'juki_chief_security_officer'],
		'since and until must not be NULL',
		ARRAY[since IS NULL, until IS NULL]);
	IF until < since THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'until is before since');
	END IF;
END
$$;
ALTER FUNCTION juki._report_start(text, timestamp with time zone, timestamp with time zone) SET max_parallel_workers_per_gather = 0;

-- Issue 19: messages people understand.  Operators and contractors are
-- named by display name with their id ("窓口 一郎 (operator 5)"), and the
-- handler limit of a contract is said without a plural slip; juki._fail
-- translates these texts through po/ja.po (src/core/message.c).  Every
-- function whose text changed, re-created as the parts now have it
-- (generated with test/upgrade/replace_functions.pl f67965a).

-- Functions whose definition changed since f67965a (test/upgrade/replace_functions.pl)

CREATE OR REPLACE FUNCTION juki.register_card(operator bigint, card_serial text, public_key_pem text, valid_until date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_card';
	v_op bigint := $1;
	v_serial text := $2;
	v_pem text := $3;
	v_until date := $4;
	v_type text;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator, card_serial, public_key_pem and valid_until must not be NULL',
		ARRAY[v_op IS NULL, v_serial IS NULL, v_pem IS NULL, v_until IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('%s (operator %s) has retired', o.display_name, v_op), NULL, v_op);
	END IF;
	IF v_serial !~ '^[A-Za-z0-9-]{4,64}$' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a card serial has 4 to 64 characters A-Z, a-z, 0-9 and -', NULL, v_op);
	END IF;
	IF EXISTS (SELECT 1 FROM juki.operator_card c WHERE c.card_serial = v_serial) THEN
		PERFORM juki._fail(a, 'card_exists', '22023',
			pg_catalog.format('card %s is already registered', v_serial),
			'A serial is registered once, even after the card is revoked.', v_op);
	END IF;
	v_type := juki._card_key_type(v_pem);
	IF v_type IS NULL THEN
		PERFORM juki._fail(a, 'bad_public_key', '22023',
			'the public key is not a PEM Ed25519, ECDSA P-256 or RSA-2048 public key',
			'Give the card''s public key as PEM (-----BEGIN PUBLIC KEY-----).', v_op);
	END IF;
	IF v_until <= CURRENT_DATE OR v_until > CURRENT_DATE + interval '10 years' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'valid_until must be after today and at most 10 years ahead', NULL, v_op);
	END IF;

	INSERT INTO juki.operator_card (card_serial, operator_id, public_key_pem, key_type, valid_until, registered_by)
	VALUES (v_serial, v_op, v_pem, v_type, v_until, juki._caller());
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('card_serial', v_serial, 'key_type', v_type,
												'valid_until', v_until));
END
$$;
ALTER FUNCTION juki.register_card(bigint, text, text, date) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.set_password(operator bigint, password text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'set_password';
	v_op bigint := $1;
	v_pw text := $2;
	o record;
	problem text;
	nsp name;
	h text;
	v_first boolean;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator and password must not be NULL',
		ARRAY[v_op IS NULL, v_pw IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('%s (operator %s) has retired', o.display_name, v_op), NULL, v_op);
	END IF;
	problem := juki._password_problem(v_pw, o.role_name);
	IF problem IS NOT NULL THEN
		PERFORM juki._fail(a, 'weak_password', '22023', problem,
			'At least 8 characters and at most 72 bytes, 3 of 4 classes (lower case, upper case, digits, others), not containing the role name.',
			v_op);
	END IF;
	SELECT n.nspname INTO nsp FROM pg_catalog.pg_extension e
	  JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto';
	IF nsp IS NULL THEN
		PERFORM juki._fail(a, 'pgcrypto_missing', '55000', 'juki needs the pgcrypto extension to hash passwords',
			'CREATE EXTENSION pgcrypto;', v_op);
	END IF;
	-- pgcrypto's own C functions, called by what they are, not by name (pgcrypto_fn.c)
	h := juki._bcrypt(v_pw);

	v_first := NOT EXISTS (SELECT 1 FROM juki.operator_password p WHERE p.operator_id = v_op);
	INSERT INTO juki.operator_password AS p (operator_id, hash, set_at, set_by)
	VALUES (v_op, h, pg_catalog.now(), juki._caller())
	ON CONFLICT (operator_id) DO UPDATE
	   SET hash = excluded.hash, set_at = excluded.set_at, set_by = excluded.set_by;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('first', v_first));
END
$$;
ALTER FUNCTION juki.set_password(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.unlock_operator(operator bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'unlock_operator';
	v_op bigint := $1;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator must not be NULL',
		ARRAY[v_op IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('%s (operator %s) has retired', o.display_name, v_op), NULL, v_op);
	END IF;

	UPDATE juki.operator x SET failed_logins = 0, locked = false, locked_at = NULL WHERE x.id = v_op;
	PERFORM juki._policy_changed();
	-- this entry is what ends the run of failed logins (session.c counts from the log)
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('was_locked', o.locked));
END
$$;
ALTER FUNCTION juki.unlock_operator(bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.record_training(operator bigint, course text, completed_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_training';
	v_op bigint := $1;
	v_course text := $2;
	v_on date := $3;
	o record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator, course and completed_on must not be NULL',
		ARRAY[v_op IS NULL, v_course IS NULL, v_on IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('%s (operator %s) has retired', o.display_name, v_op), NULL, v_op);
	END IF;
	IF v_course NOT IN ('operator', 'administrator') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'course must be operator or administrator', NULL, v_op);
	END IF;
	IF v_on > CURRENT_DATE OR v_on < DATE '2000-01-01' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'completed_on must not be in the future (nor before 2000)', NULL, v_op);
	END IF;

	INSERT INTO juki.training (operator_id, course, completed_on, recorded_by)
	VALUES (v_op, v_course, v_on, juki._caller());
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('course', v_course, 'completed_on', v_on));
END
$$;
ALTER FUNCTION juki.record_training(bigint, text, date) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.retire_operator(operator bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'retire_operator';
	v_op bigint := $1;
	v_reason text := $2;
	o record;
	n_cards bigint;
	n_desig bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_access_manager'],
		'operator and reason must not be NULL',
		ARRAY[v_op IS NULL, v_reason IS NULL]);
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('%s (operator %s) has already retired', o.display_name, v_op), NULL, v_op);
	END IF;

	UPDATE juki.operator x SET retired_at = pg_catalog.now() WHERE x.id = v_op;
	-- a retired operator's cards and designations end with them
	UPDATE juki.operator_card c SET revoked_at = pg_catalog.now(), revoked_reason = 'operator retired'
	 WHERE c.operator_id = v_op AND c.revoked_at IS NULL;
	GET DIAGNOSTICS n_cards = ROW_COUNT;
	UPDATE juki.designation d SET revoked_at = pg_catalog.now(), revoked_by = juki._caller(),
		   revoke_reason = 'operator retired'
	 WHERE d.operator_id = v_op AND d.revoked_at IS NULL;
	GET DIAGNOSTICS n_desig = ROW_COUNT;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('reason', v_reason, 'cards_revoked', n_cards,
												'designations_revoked', n_desig));
END
$$;
ALTER FUNCTION juki.retire_operator(bigint, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.designate(operator bigint, purposes text[], valid_until date, note text)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'designate';
	v_op bigint := $1;
	v_purposes text[] := $2;
	v_until date := $3;
	v_note text := $4;
	o record;
	p record;
	pc text;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'operator, purposes and valid_until must not be NULL',
		ARRAY[v_op IS NULL, v_purposes IS NULL, v_until IS NULL]);
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.role_name::text = juki._caller() THEN
		PERFORM juki._fail(a, 'self_designation', '42501', 'nobody designates themselves',
			'Another security officer of the department designates you.', v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.department = o.department AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of %s (operator %s)',
							  o.department, o.display_name, v_op),
			'The chief security officer appoints security officers: juki.appoint_security_officer().', v_op);
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000',
			pg_catalog.format('%s (operator %s) has retired', o.display_name, v_op), NULL, v_op);
	END IF;
	IF o.kind = 'contractor' THEN
		PERFORM juki._fail(a, 'contractor_handler', '42501',
			pg_catalog.format('%s (operator %s) is a contractor''s handler', o.display_name, v_op),
			'Handlers are designated per contract (委託の都度): juki.designate_handler().', v_op);
	END IF;
	IF pg_catalog.cardinality(v_purposes) = 0 OR pg_catalog.array_position(v_purposes, NULL) IS NOT NULL
	   OR (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_purposes) x) <> pg_catalog.cardinality(v_purposes) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'purposes must list at least one purpose, without NULLs or duplicates', NULL, v_op);
	END IF;
	IF v_until < CURRENT_DATE OR v_until > CURRENT_DATE + interval '1 year' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'valid_until must be between today and one year ahead', NULL, v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.training t WHERE t.operator_id = v_op AND t.course = 'operator'
					AND t.completed_on >= CURRENT_DATE - interval '12 months') THEN
		PERFORM juki._fail(a, 'training_missing', '42501',
			pg_catalog.format('%s (operator %s) has not completed the operator training within the last 12 months', o.display_name, v_op),
			'The access manager records training: juki.record_training().', v_op);
	END IF;
	FOREACH pc IN ARRAY v_purposes
	LOOP
		SELECT * INTO p FROM juki.purpose x WHERE x.code = pc ORDER BY x.version DESC LIMIT 1;
		IF NOT FOUND THEN
			PERFORM juki._fail(a, 'purpose_unknown', '22023',
				pg_catalog.format('purpose %s does not exist', pc), 'juki.purposes() lists them.', v_op);
		END IF;
		IF NOT p.active THEN
			PERFORM juki._fail(a, 'purpose_inactive', '55000',
				pg_catalog.format('purpose %s is not active', pc), NULL, v_op, pc);
		END IF;
		IF p.department <> o.department THEN
			PERFORM juki._fail(a, 'purpose_other_department', '42501',
				pg_catalog.format('purpose %s belongs to %s, not to %s', pc, p.department, o.department),
				NULL, v_op, pc);
		END IF;
	END LOOP;

	INSERT INTO juki.designation (operator_id, purposes, department, designated_by, valid_until, note)
	VALUES (v_op, v_purposes, o.department, juki._caller(), v_until, v_note)
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('designation_id', v_id, 'purposes', v_purposes,
												'valid_until', v_until));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.designate(bigint, text[], date, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._decide_permit(a text, v_id bigint, decision text, v_reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	p record;
	o record;
BEGIN
	-- only as the body of approve_permit/reject_permit (granted to nobody)
	IF a IS NULL OR a NOT IN ('approve_permit', 'reject_permit')
	   OR decision IS NULL OR decision <> (CASE a WHEN 'approve_permit' THEN 'approved' ELSE 'rejected' END) THEN
		RAISE EXCEPTION 'juki._decide_permit is internal' USING ERRCODE = '42501';
	END IF;
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		CASE decision WHEN 'rejected' THEN 'id and reason must not be NULL' ELSE 'id must not be NULL' END,
		ARRAY[v_id IS NULL OR (decision = 'rejected' AND v_reason IS NULL)]);
	IF decision = 'rejected' AND (pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO p FROM juki.access_permit x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'permit_unknown', '22023', pg_catalog.format('permit %s does not exist', v_id));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = p.operator_id;
	IF p.requested_by = juki._caller() OR o.role_name::text = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody decides on their own request',
			'Another security officer of the department decides.', o.id, p.purpose);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.department = o.department AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of %s (operator %s)',
							  o.department, o.display_name, o.id), NULL, o.id, p.purpose);
	END IF;
	IF p.status <> 'pending' THEN
		PERFORM juki._fail(a, 'permit_not_pending', '55000',
			pg_catalog.format('permit %s is %s, not pending', v_id, p.status), NULL, o.id, p.purpose);
	END IF;
	IF p.valid_until <= pg_catalog.now() THEN
		PERFORM juki._fail(a, 'permit_expired', '55000',
			pg_catalog.format('permit %s has expired', v_id), 'The operator requests a new permit.', o.id, p.purpose);
	END IF;
	IF decision = 'approved' THEN
		IF o.retired_at IS NOT NULL THEN
			PERFORM juki._fail(a, 'operator_retired', '55000',
				pg_catalog.format('%s (operator %s) has retired', o.display_name, o.id), NULL, o.id, p.purpose);
		END IF;
		IF NOT coalesce(juki._designated(o.id, p.purpose), false) THEN
			PERFORM juki._fail(a, 'not_designated', '42501',
				pg_catalog.format('%s (operator %s) is no longer designated for %s', o.display_name, o.id, p.purpose), NULL, o.id, p.purpose);
		END IF;
	END IF;

	UPDATE juki.access_permit x SET status = decision, decided_by = juki._caller(),
		   decided_at = pg_catalog.now(), decision_reason = v_reason
	 WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => p.purpose, operator_id => o.id, permit_id => v_id,
		subjects => p.residents,
		detail => CASE decision WHEN 'rejected' THEN pg_catalog.jsonb_build_object('reason', v_reason)
				  ELSE pg_catalog.jsonb_build_object('bulk_rows', p.bulk_rows, 'off_hours', p.off_hours) END);
END
$$;
ALTER FUNCTION juki._decide_permit(text, bigint, text, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.approve_contractor(contractor bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contractor';
	v_id bigint := $1;
	c record;
	bad text[];
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contractor must not be NULL',
		ARRAY[v_id IS NULL]);
	SELECT * INTO c FROM juki.contractor x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller()
	   OR EXISTS (SELECT 1 FROM juki.contractor_vetting v WHERE v.contractor_id = v_id AND v.checked_by = juki._caller()) THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contractor they vetted themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('%s (contractor %s) is already approved', c.name, v_id));
	END IF;
	IF c.committee_reviewed_on IS NULL THEN
		PERFORM juki._fail(a, 'committee_review_missing', '55000',
			pg_catalog.format('the セキュリティ会議 has not reviewed %s (contractor %s)', c.name, v_id),
			'Record the review first: juki.record_committee_review().');
	END IF;
	SELECT pg_catalog.array_agg(v.item ORDER BY v.item) INTO bad FROM juki.contractor_vetting v
	 WHERE v.contractor_id = v_id AND NOT v.satisfactory;
	IF bad IS NOT NULL THEN
		PERFORM juki._fail(a, 'vetting_unsatisfactory', '55000',
			pg_catalog.format('%s (contractor %s) is not satisfactory in: %s', c.name, v_id, pg_catalog.array_to_string(bad, ', ')),
			'要領 第4 1: select contractors whose safety and reliability are confirmed.');
	END IF;

	UPDATE juki.contractor x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, detail => pg_catalog.jsonb_build_object('contractor_id', v_id));
END
$$;
ALTER FUNCTION juki.approve_contractor(bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.approve_contract(contract bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contract';
	v_id bigint := $1;
	c record;
	k record;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_chief_security_officer'],
		'contract must not be NULL',
		ARRAY[v_id IS NULL]);
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contract they registered themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('contract %s is already approved', v_id));
	END IF;
	SELECT * INTO k FROM juki.contractor x WHERE x.id = c.contractor_id;
	IF k.approved_at IS NULL THEN
		PERFORM juki._fail(a, 'contractor_unapproved', '55000',
			pg_catalog.format('%s (contractor %s) is not approved', k.name, k.id),
			'The contractor is approved first: juki.approve_contractor().');
	END IF;
	IF c.ends_on < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'contract_expired', '55000', pg_catalog.format('contract %s has ended', v_id));
	END IF;

	UPDATE juki.contract x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'contractor_id', k.id,
												'pledge', c.pledge_received_on IS NOT NULL));
END
$$;
ALTER FUNCTION juki.approve_contract(bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.designate_handler(contract bigint, operator bigint, valid_from date, valid_until date)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'designate_handler';
	v_c bigint := $1;
	v_op bigint := $2;
	v_from date := $3;
	v_until date := $4;
	c record;
	o record;
	oc record;
	n integer;
	v_id bigint;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		'contract, operator, valid_from and valid_until must not be NULL',
		ARRAY[v_c IS NULL, v_op IS NULL, v_from IS NULL, v_until IS NULL]);
	-- one designation at a time per contract: the handler count is exact
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_c FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_c));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.kind <> 'contractor' THEN
		PERFORM juki._fail(a, 'not_a_contractor', '42501',
			pg_catalog.format('%s (operator %s) is staff, not a contractor''s handler', o.display_name, v_op),
			'Staff are designated with juki.designate().', v_op);
	END IF;
	-- 再委託: a handler employed by another contractor than the contract's
	SELECT * INTO oc FROM juki.contract x WHERE x.id = o.contract_id;
	IF oc.contractor_id <> c.contractor_id THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('%s (operator %s) works for contractor %s, not for contractor %s of contract %s',
							  o.display_name, v_op, oc.contractor_id, c.contractor_id, v_c),
			'再委託 is prohibited (要領 第4): only the contractor''s own staff handle the data.', v_op);
	END IF;
	IF o.contract_id <> v_c THEN
		PERFORM juki._fail(a, 'wrong_contract', '42501',
			pg_catalog.format('%s (operator %s) is registered under contract %s, not contract %s', o.display_name, v_op, o.contract_id, v_c),
			'The access manager registers a handler under the contract they work on.', v_op);
	END IF;
	IF NOT juki._officer_of(o.department) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of %s (operator %s)', o.department, o.display_name, v_op),
			NULL, v_op);
	END IF;
	IF NOT o.department = ANY (juki._purpose_departments(c.purposes)) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('contract %s has no purpose of %s, the department of %s (operator %s)', v_c, o.department, o.display_name, v_op),
			NULL, v_op);
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000', pg_catalog.format('%s (operator %s) has retired', o.display_name, v_op), NULL, v_op);
	END IF;
	IF c.approved_at IS NULL OR NOT EXISTS (SELECT 1 FROM juki.contractor k WHERE k.id = c.contractor_id
											 AND k.approved_at IS NOT NULL) THEN
		PERFORM juki._fail(a, 'contract_unapproved', '55000',
			pg_catalog.format('contract %s (or its contractor) is not approved', v_c), NULL, v_op);
	END IF;
	IF c.pledge_received_on IS NULL THEN
		PERFORM juki._fail(a, 'pledge_missing', '55000',
			pg_catalog.format('no pledge (誓約書) is on record for contract %s', v_c),
			'Record it first: juki.record_pledge().', v_op);
	END IF;
	IF v_until < v_from THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'valid_until is before valid_from', NULL, v_op);
	END IF;
	IF v_from < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a designation starts today or later', NULL, v_op);
	END IF;
	IF v_from < c.starts_on OR v_until > c.ends_on THEN
		PERFORM juki._fail(a, 'outside_contract_period', '22023',
			pg_catalog.format('the designation must lie inside the contract period %s to %s',
							  pg_catalog.to_char(c.starts_on, 'YYYY-MM-DD'), pg_catalog.to_char(c.ends_on, 'YYYY-MM-DD')),
			NULL, v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.training t WHERE t.operator_id = v_op AND t.course = 'operator'
					AND t.completed_on >= CURRENT_DATE - interval '12 months') THEN
		PERFORM juki._fail(a, 'training_missing', '42501',
			pg_catalog.format('%s (operator %s) has not completed the operator training within the last 12 months', o.display_name, v_op),
			'The access manager records training: juki.record_training().', v_op);
	END IF;
	IF EXISTS (SELECT 1 FROM juki.contract_handler h WHERE h.contract_id = v_c AND h.operator_id = v_op
				AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from) THEN
		PERFORM juki._fail(a, 'already_designated', '22023',
			pg_catalog.format('%s (operator %s) is already designated on contract %s for part of this period', o.display_name, v_op, v_c),
			NULL, v_op);
	END IF;
	-- 必要最小限度: every other unrevoked designation overlapping the period counts
	SELECT count(DISTINCT h.operator_id) INTO n FROM juki.contract_handler h
	 WHERE h.contract_id = v_c AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from;
	IF n >= c.max_handlers THEN
		PERFORM juki._fail(a, 'too_many_handlers', '54000',
			pg_catalog.format('contract %s allows no more handlers for this period: %s of at most %s are designated', v_c, n, c.max_handlers),
			'要領 第3 2(1)③: revoke a handler first, or amend the contract.', v_op);
	END IF;

	INSERT INTO juki.contract_handler (contract_id, operator_id, designated_by, valid_from, valid_until)
	VALUES (v_c, v_op, juki._caller(), v_from, v_until)
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('handler_id', v_id, 'contract_id', v_c, 'valid_from', v_from,
												'valid_until', v_until, 'handlers', n + 1, 'max_handlers', c.max_handlers));
	RETURN v_id;
END
$$;
ALTER FUNCTION juki.designate_handler(bigint, bigint, date, date) SET max_parallel_workers_per_gather = 0;

-- Issue 19: lookup returns no row for a resident that does not exist or
-- that the purpose may not see (a row of NULLs before), so both lookups
-- are set-returning now (ROWS 1); the C functions answer the 1.0
-- declarations too.  A new return type needs a new function: dropped,
-- re-created, commented and granted as 99_grants.sql grants every function.
DROP FUNCTION juki.lookup(text, text);
CREATE FUNCTION juki.lookup(purpose text, resident_code text) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_lookup' LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION juki.lookup(text, text) IS
	'One resident by 住民票コード, for a registered purpose, by a logged-in designated operator with a permit';
REVOKE ALL ON FUNCTION juki.lookup(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.lookup(text, text) TO PUBLIC;
DROP FUNCTION juki.lookup(text, text, text);
CREATE FUNCTION juki.lookup(purpose text, resident_code text, token text) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_lookup_with_token' LANGUAGE C VOLATILE ROWS 1;
COMMENT ON FUNCTION juki.lookup(text, text, text) IS
	'juki.attach(token) and juki.lookup(purpose, resident_code) in one call';
REVOKE ALL ON FUNCTION juki.lookup(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.lookup(text, text, text) TO PUBLIC;

-- Issue 19: the counter terminal (業務端末).  card_login takes the terminal's
-- id, and every entry of the session records it (log format 1.1: the field
-- "terminal" is in the canonical form only when it has a value, so earlier
-- entries keep their bytes).  The column is appended, like login_role, and
-- before the statistics block below (no statistics on it).  card_login
-- gains a parameter: a new function, re-commented and re-granted.
ALTER TABLE juki.operation_log ADD COLUMN terminal text;
COMMENT ON COLUMN juki.operation_log.terminal IS
	'業務端末: the counter terminal the operator logged in at (juki.card_login''s terminal; log format 1.1: in the canonical form only when not NULL)';
DROP FUNCTION juki.card_login(text, bytea, text);
CREATE FUNCTION juki.card_login(card_serial text, signature bytea, password text,
								terminal text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'juki_card_login' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.card_login(text, bytea, text, text) IS
	'Card signature over the challenge + password: an opaque session token; terminal names the 業務端末, recorded in every entry of the session';
REVOKE ALL ON FUNCTION juki.card_login(text, bytea, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.card_login(text, bytea, text, text) TO PUBLIC;

-- Issue 19: the registrar's refusals that name residents in the log
-- (import_residents, record_change) are raised through juki._raise, in the
-- reader's language with the reason in constraint_name (generated with
-- test/upgrade/replace_functions.pl against the commit before).
-- Functions whose definition changed since HEAD (test/upgrade/replace_functions.pl)

CREATE OR REPLACE FUNCTION juki._raise(sqlstate text, reason text, message text, hint text DEFAULT NULL)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_raise' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION juki._raise(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki._raise(text, text, text, text) TO PUBLIC;

CREATE OR REPLACE FUNCTION juki.import_residents(source regclass)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'import_residents';
	cols constant text[] := ARRAY['resident_code', 'individual_number', 'full_name', 'full_name_kana',
								  'former_surname', 'alias_name', 'birth_date', 'sex', 'address',
								  'municipality_code', 'change_reason', 'change_date', 'status'];
	v_src regclass := $1;
	qname text;
	r record;
	f text;
	problem text;
	msg text;
	prev text;
	n bigint := 0;
	inserted bigint;
	digest text;
	rj jsonb;
	conflicts text[] := '{}';
	n_conflicts bigint := 0;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_registrar'],
		'source must not be NULL',
		ARRAY[v_src IS NULL]);
	-- Lock the source, then check it (staging.c): a plain heap table of
	-- resident fields, readable by the caller.  Its rows are read only
	-- through juki._staging_rows, juki's own scan: nothing of the
	-- registrar's (a view, rule, trigger, policy, default, type, cast)
	-- runs here, inside the door, as juki's owner.
	PERFORM juki._staging_check(v_src);
	SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) INTO qname
	  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.oid = v_src;
	-- no other import or change of the register slips in between checking
	-- and inserting (a unique violation would name the value in the server log)
	LOCK TABLE juki.resident IN SHARE ROW EXCLUSIVE MODE;

	-- Every row checked in resident_code order against its own fields and
	-- the rest of the source; the first problem refuses the import, naming
	-- the row by its place, never by its values.  Whether a code or number
	-- is already registered is a fact about another resident: it is told
	-- only once the source itself is sound, and the same way for both.
	FOR r IN SELECT s.*,
			EXISTS (SELECT 1 FROM juki.resident x WHERE x.resident_code = s.resident_code) AS code_registered,
			EXISTS (SELECT 1 FROM juki.resident x WHERE x.individual_number = s.individual_number) AS number_registered,
			pg_catalog.min(s.resident_code COLLATE "C") OVER (PARTITION BY s.individual_number)
				< s.resident_code COLLATE "C" AS number_twice
		  FROM juki._staging_rows(v_src) s ORDER BY s.resident_code COLLATE "C" NULLS FIRST
	LOOP
		problem := NULL;
		rj := pg_catalog.to_jsonb(r);	-- once per row, not once per field
		FOREACH f IN ARRAY cols
		LOOP
			problem := juki._resident_field_problem(f, rj ->> f);
			EXIT WHEN problem IS NOT NULL;
		END LOOP;
		IF problem IS NULL AND juki._iso_date(r.change_date) < juki._iso_date(r.birth_date) THEN
			problem := 'change_date is before birth_date';
		END IF;
		IF problem IS NULL AND r.resident_code = prev THEN
			problem := 'resident_code appears twice in the source';
		END IF;
		IF problem IS NULL AND r.number_twice THEN
			problem := 'individual_number appears twice in the source';
		END IF;
		n := n + 1;
		IF problem IS NOT NULL THEN
			msg := pg_catalog.format('row %s of the source (in resident_code order): %s; nothing was imported',
									 n, problem);
			PERFORM juki._log(a, 'error', 'invalid_resident',
				subjects => CASE WHEN juki.is_valid_resident_code(r.resident_code) THEN ARRAY[r.resident_code] END,
				detail => pg_catalog.jsonb_build_object('message', msg, 'source', qname));
			PERFORM juki._raise('22023', 'invalid_resident', msg,
				'Rows are counted in resident_code order (COLLATE "C"); the operation log names the row''s resident_code.');
		END IF;
		IF r.code_registered OR r.number_registered THEN
			n_conflicts := n_conflicts + 1;
			IF n_conflicts <= 100 THEN
				conflicts := conflicts || r.resident_code;
			END IF;
		END IF;
		prev := r.resident_code;
	END LOOP;
	IF n_conflicts > 0 THEN
		msg := 'the source conflicts with the register (a resident_code or individual_number in it is already registered); nothing was imported';
		PERFORM juki._log(a, 'error', 'register_conflict', subjects => conflicts,
			detail => pg_catalog.jsonb_build_object('message', msg, 'source', qname, 'conflicting_rows', n_conflicts));
		PERFORM juki._raise('22023', 'register_conflict', msg,
			'The operation log names the rows (by resident_code) for an auditor.');
	END IF;
	INSERT INTO juki.resident (resident_code, individual_number, full_name, full_name_kana,
							   former_surname, alias_name, birth_date, sex, address, municipality_code,
							   change_reason, change_date, status)
	SELECT s.resident_code, s.individual_number, s.full_name, s.full_name_kana, s.former_surname,
		   s.alias_name, juki._iso_date(s.birth_date), s.sex, s.address, s.municipality_code,
		   s.change_reason, juki._iso_date(s.change_date), s.status
	  FROM juki._staging_rows(v_src) s ORDER BY s.resident_code COLLATE "C";
	GET DIAGNOSTICS inserted = ROW_COUNT;
	IF inserted <> n THEN
		RAISE EXCEPTION 'juki: % rows checked but % inserted', n, inserted;	-- the source is locked: cannot happen
	END IF;

	-- SHA-256 over the imported rows: one line per row, the row as a JSON
	-- object of the fields as imported (text), lines in resident_code order,
	-- each ended by a newline
	-- (streamed: the rows of a large town do not fit in one value)
	SELECT juki._sha256_agg(pg_catalog.to_jsonb(s)::text || E'\n' ORDER BY s.resident_code COLLATE "C")
	  INTO digest FROM juki._staging_rows(v_src) s;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('sha256', digest, 'source', qname));
	RETURN n;
END
$$;
ALTER FUNCTION juki.import_residents(regclass) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki.record_change(resident_code text, changes jsonb, reason text, effective_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_change';
	changeable constant text[] := ARRAY['individual_number', 'full_name', 'full_name_kana', 'former_surname',
										'alias_name', 'birth_date', 'sex', 'address', 'municipality_code'];
	v_code text := $1;
	v_changes jsonb := $2;
	v_reason text := $3;
	v_on date := $4;
	cur record;
	k text;
	keys text[];
	problem text;
	v_status text;
	v_birth date;
	cause text;
BEGIN
	PERFORM juki._start(a, ARRAY['juki_registrar'],
		'resident_code, changes, reason and effective_on must not be NULL',
		ARRAY[v_code IS NULL, v_changes IS NULL, v_reason IS NULL, v_on IS NULL]);
	IF NOT juki.is_valid_resident_code(v_code) THEN
		PERFORM juki._fail(a, 'invalid_resident_code', '22023', 'resident_code is not a valid 住民票コード',
			'A 住民票コード has 11 ASCII digits.');
	END IF;
	IF v_reason NOT IN ('birth', 'move_in', 'move_within', 'move_out', 'death', 'ex_officio_correction',
						'resident_code_change', 'other') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'reason is not one of the 異動事由',
			'birth, move_in, move_within, move_out, death, ex_officio_correction, resident_code_change, other');
	END IF;
	IF pg_catalog.jsonb_typeof(v_changes) <> 'object' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'changes must be a JSON object');
	END IF;
	SELECT pg_catalog.array_agg(x ORDER BY x) INTO keys FROM pg_catalog.jsonb_object_keys(v_changes) x;
	keys := coalesce(keys, '{}');
	IF NOT keys <@ changeable THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			pg_catalog.format('changes may only name %s', pg_catalog.array_to_string(changeable, ', ')),
			'resident_code, change_reason, change_date and status follow from the arguments.');
	END IF;
	IF pg_catalog.cardinality(keys) = 0 AND v_reason NOT IN ('move_out', 'death') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'changes is empty');
	END IF;
	FOREACH k IN ARRAY keys
	LOOP
		IF pg_catalog.jsonb_typeof(v_changes -> k) NOT IN ('string', 'null') THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023',
				pg_catalog.format('the value of %s must be a string', k));
		END IF;
		problem := juki._resident_field_problem(k, v_changes ->> k);
		IF problem IS NOT NULL THEN
			PERFORM juki._fail(a, 'invalid_argument', '22023', problem);
		END IF;
	END LOOP;
	IF v_on > CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'effective_on must not be in the future');
	END IF;
	IF v_on < juki._iso_date(v_changes ->> 'birth_date') THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'effective_on must not be before the birth date it gives');
	END IF;
	-- a new individual number: no other change may take it between the
	-- check and the update (a unique violation would print the number)
	IF v_changes ? 'individual_number' THEN
		LOCK TABLE juki.resident IN SHARE ROW EXCLUSIVE MODE;
	END IF;

	-- What follows depends on the register, not on the arguments: whether the
	-- resident exists or was removed, their birth date, who holds a number.
	-- Each answer would be a fact about a resident the registrar may not
	-- read (sixteen calls found a birth date), so every one of them gets the
	-- same refusal, raised from one place; the log records which it was.
	SELECT * INTO cur FROM juki.resident x WHERE x.resident_code = v_code FOR UPDATE;
	IF NOT FOUND THEN
		cause := 'resident_unknown';
	ELSIF cur.status = 'removed' AND v_reason NOT IN ('move_in', 'ex_officio_correction') THEN
		cause := 'resident_removed';
	ELSIF v_on < cur.birth_date AND NOT v_changes ? 'birth_date' THEN
		cause := 'before_birth_date';
	ELSIF v_changes ? 'individual_number' AND EXISTS (SELECT 1 FROM juki.resident x
			WHERE x.individual_number = v_changes ->> 'individual_number' AND x.resident_code <> v_code) THEN
		cause := 'individual_number_registered';
	END IF;
	IF cause IS NOT NULL THEN
		PERFORM juki._log(a, 'error', 'change_refused', subjects => ARRAY[v_code],
			detail => pg_catalog.jsonb_build_object('cause', cause));
		PERFORM juki._raise('22023', 'change_refused',
			'this change cannot be recorded for the resident named; nothing was changed',
			'The operation log records why, for an auditor.');
	END IF;
	v_birth := coalesce(juki._iso_date(v_changes ->> 'birth_date'), cur.birth_date);
	v_status := CASE WHEN v_reason IN ('move_out', 'death') THEN 'removed'
					 WHEN v_reason = 'move_in' THEN 'active' ELSE cur.status END;

	UPDATE juki.resident x SET
		individual_number = CASE WHEN v_changes ? 'individual_number' THEN v_changes ->> 'individual_number' ELSE x.individual_number END,
		full_name = CASE WHEN v_changes ? 'full_name' THEN v_changes ->> 'full_name' ELSE x.full_name END,
		full_name_kana = CASE WHEN v_changes ? 'full_name_kana' THEN v_changes ->> 'full_name_kana' ELSE x.full_name_kana END,
		former_surname = CASE WHEN v_changes ? 'former_surname' THEN v_changes ->> 'former_surname' ELSE x.former_surname END,
		alias_name = CASE WHEN v_changes ? 'alias_name' THEN v_changes ->> 'alias_name' ELSE x.alias_name END,
		birth_date = v_birth,
		sex = CASE WHEN v_changes ? 'sex' THEN v_changes ->> 'sex' ELSE x.sex END,
		address = CASE WHEN v_changes ? 'address' THEN v_changes ->> 'address' ELSE x.address END,
		municipality_code = CASE WHEN v_changes ? 'municipality_code' THEN v_changes ->> 'municipality_code' ELSE x.municipality_code END,
		change_reason = v_reason,
		change_date = v_on,
		status = v_status,
		updated_at = pg_catalog.now()
	 WHERE x.resident_code = v_code;
	PERFORM juki._log(a, 'granted', NULL, subjects => ARRAY[v_code],
		detail => pg_catalog.jsonb_build_object('fields', keys));
END
$$;
ALTER FUNCTION juki.record_change(text, jsonb, text, date) SET max_parallel_workers_per_gather = 0;

-- Issue 19: 提供状況 names the counter terminal (業務端末) of each disclosure:
-- report_provision gains a column, so it is a new function (dropped,
-- re-created, commented and granted as 99_grants.sql grants every function).
DROP FUNCTION juki.report_provision(text, timestamptz, timestamptz);
-- Functions whose definition changed since HEAD (test/upgrade/replace_functions.pl)

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
ALTER FUNCTION juki.report_provision(text, timestamp with time zone, timestamp with time zone) SET max_parallel_workers_per_gather = 0;
REVOKE ALL ON FUNCTION juki.report_provision(text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.report_provision(text, timestamptz, timestamptz) TO PUBLIC;

-- Issue 16 (the log append through WAL): status() reports the last entry
-- durable in WAL (last_seq), the last filed into juki.operation_log
-- (filed_seq), the backlog between them and its bound, and where juki's
-- replication slot holds WAL from; the ring's queued_bytes and
-- queue_capacity are gone with the ring.
DROP FUNCTION juki.status();
CREATE FUNCTION juki.status(OUT preloaded boolean, OUT version text, OUT database text,
							OUT timezone text, OUT writer_pid integer, OUT accepting boolean,
							OUT last_seq bigint, OUT filed_seq bigint, OUT backlog bigint,
							OUT max_backlog bigint, OUT wal_retained_from pg_lsn,
							OUT standby boolean,
							OUT emergency_stop boolean, OUT sql_version text,
							OUT sql_current boolean)
	AS 'MODULE_PATHNAME', 'juki_status'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION juki.status() IS
	'Is juki enforcing, and with which settings; last_seq is the last entry durable in WAL, filed_seq the last in juki.operation_log; version is the library''s, sql_version the installed objects'' (works without preload)';
REVOKE ALL ON FUNCTION juki.status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.status() TO PUBLIC;
-- Issue 17: the operation log's Merkle tree (tiles, checkpoint notes,
-- tree_head and the proofs) and witnessing, as extension/parts/80_tree.sql;
-- EXECUTE to PUBLIC as 99_grants.sql gives every function (juki's role
-- check first), and the DO block's setting for PL/pgSQL functions.

-- RFC 6962 Merkle tree over the operation log, leaf i = SHA-256(0x00 ||
-- canonical entry at seq i), stored as C2SP tlog-tiles of height 8: tile
-- (level, tile_index) holds the hashes of nodes (8 * level, 256 * tile_index
-- + k), k < width; full tiles (width 256) never change, the rightmost tile of
-- each level grows.  Written only by the audit writer, in the transaction of
-- the entries it covers (src/log/tiles.c); guarded like the log.
CREATE TABLE juki.log_tile (
	level       smallint NOT NULL CHECK (level BETWEEN 0 AND 7),
	tile_index  bigint NOT NULL CHECK (tile_index >= 0),
	width       smallint NOT NULL CHECK (width BETWEEN 1 AND 256),
	hashes      bytea NOT NULL CHECK (pg_catalog.length(hashes) = 32 * width),
	PRIMARY KEY (level, tile_index)
);
ALTER TABLE juki.log_tile ALTER COLUMN hashes SET STORAGE EXTERNAL;
COMMENT ON TABLE juki.log_tile IS
	'操作履歴の Merkle tree: C2SP tlog-tiles of height 8 (doc/MERKLE.md); written only by the audit writer';
GRANT SELECT ON juki.log_tile TO juki_auditor, juki_chief_security_officer;

-- Each checkpoint also signs the tree head as a C2SP checkpoint note.
ALTER TABLE juki.audit_checkpoint
	ADD COLUMN tree_size bigint,
	ADD COLUMN tree_root bytea,
	ADD COLUMN note text;
COMMENT ON COLUMN juki.audit_checkpoint.note IS
	'C2SP signed note: tlog-checkpoint body (origin, tree_size, base64 tree_root) signed with the checkpoint key';

CREATE FUNCTION juki.tree_head(OUT tree_size bigint, OUT root_hash bytea,
							   OUT checkpoint_size bigint, OUT checkpoint text)
	AS 'MODULE_PATHNAME', 'juki_tree_head'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.tree_head() IS
	'The Merkle tree size and root of the 操作履歴, and the newest signed checkpoint note (auditor, chief)';

CREATE FUNCTION juki.inclusion_proof(seq bigint, tree_size bigint DEFAULT NULL,
									 OUT leaf_index bigint, OUT size bigint,
									 OUT leaf_hash bytea, OUT root_hash bytea,
									 OUT proof bytea[])
	AS 'MODULE_PATHNAME', 'juki_inclusion_proof'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.inclusion_proof(bigint, bigint) IS
	'RFC 6962 audit path of the entry at seq in the tree of tree_size entries (NULL: now) (auditor, chief)';

CREATE FUNCTION juki.consistency_proof(old_size bigint, new_size bigint DEFAULT NULL,
									   OUT from_size bigint, OUT to_size bigint,
									   OUT old_root bytea, OUT new_root bytea,
									   OUT proof bytea[])
	AS 'MODULE_PATHNAME', 'juki_consistency_proof'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.consistency_proof(bigint, bigint) IS
	'RFC 6962 consistency proof that the tree of new_size entries (NULL: now) extends the one of old_size (auditor, chief)';

-- Witnessing (C2SP tlog-witness): the logs this juki witnesses, with their
-- verifier keys and the latest checkpoint it cosigned; and, for this log,
-- the cosignatures its witnesses returned (src/audit/witness.c).
CREATE TABLE juki.witnessed_log (
	origin      text PRIMARY KEY,
	public_key  text NOT NULL,
	tree_size   bigint CHECK (tree_size >= 0),
	tree_root   bytea CHECK (pg_catalog.length(tree_root) = 32),
	updated_at  timestamptz
);
COMMENT ON TABLE juki.witnessed_log IS
	'Logs this juki witnesses: origin, the log''s note verifier key, the latest cosigned tree size and root';

CREATE TABLE juki.checkpoint_cosignature (
	tree_size  bigint NOT NULL,
	witness    text NOT NULL,
	key_id     text NOT NULL,
	line       text NOT NULL,
	added_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tree_size, witness, key_id)
);
COMMENT ON TABLE juki.checkpoint_cosignature IS
	'Witnesses'' cosignature/v1 lines of this log''s checkpoint notes, verified under juki.witness_keys';

CREATE FUNCTION juki.log_key() RETURNS text
	AS 'MODULE_PATHNAME', 'juki_log_key'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.log_key() IS
	'The C2SP verifier key of this log''s checkpoint notes, for its witnesses (access manager, auditor, chief)';

CREATE FUNCTION juki.witness_key() RETURNS text
	AS 'MODULE_PATHNAME', 'juki_witness_key'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.witness_key() IS
	'The cosignature/v1 verifier key of this juki as a witness, for juki.witness_keys of the logs it witnesses (access manager, auditor, chief)';

CREATE FUNCTION juki.add_witnessed_log(origin text, public_key text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_add_witnessed_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.add_witnessed_log(text, text) IS
	'Witness another log: its origin and note verifier key (chief)';

CREATE FUNCTION juki.witness_add_checkpoint(old_size bigint, proof bytea[], checkpoint text) RETURNS text
	AS 'MODULE_PATHNAME', 'juki_witness_add_checkpoint'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.witness_add_checkpoint(bigint, bytea[], text) IS
	'tlog-witness add-checkpoint: check a witnessed log''s signed checkpoint and consistency proof from the stored size, return a cosignature/v1 line (auditor, chief)';

CREATE FUNCTION juki.add_cosignature(tree_size bigint, line text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_add_cosignature'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.add_cosignature(bigint, text) IS
	'Keep a witness''s cosignature line of this log''s checkpoint note of tree_size, if it verifies under juki.witness_keys (access manager, auditor, chief)';

CREATE FUNCTION juki.report_cosignatures()
	RETURNS TABLE (seq bigint, tree_size bigint, signed_at timestamptz, witnesses text[])
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_cosignatures';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	RETURN QUERY
	SELECT c.seq, c.tree_size, c.ts,
		   coalesce((SELECT pg_catalog.array_agg(w.witness ORDER BY w.witness) FROM juki.checkpoint_cosignature w
					  WHERE w.tree_size = c.tree_size), '{}')
	  FROM juki.audit_checkpoint c WHERE c.note IS NOT NULL ORDER BY c.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.report_cosignatures() IS
	'操作履歴: each signed checkpoint note and the witnesses that cosigned it (auditor, chief)';
REVOKE ALL ON FUNCTION juki.tree_head(), juki.inclusion_proof(bigint, bigint),
	juki.consistency_proof(bigint, bigint), juki.log_key(), juki.witness_key(),
	juki.add_witnessed_log(text, text), juki.witness_add_checkpoint(bigint, bytea[], text),
	juki.add_cosignature(bigint, text), juki.report_cosignatures() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.tree_head(), juki.inclusion_proof(bigint, bigint),
	juki.consistency_proof(bigint, bigint), juki.log_key(), juki.witness_key(),
	juki.add_witnessed_log(text, text), juki.witness_add_checkpoint(bigint, bytea[], text),
	juki.add_cosignature(bigint, text), juki.report_cosignatures() TO PUBLIC;
REVOKE ALL ON juki.witnessed_log, juki.checkpoint_cosignature FROM PUBLIC;
ALTER FUNCTION juki.report_cosignatures() SET max_parallel_workers_per_gather = 0;
-- Issue 18: continuous operation (standby, failover, backups, restores).
-- status() says where the WAL stands (timeline; on a standby what it
-- received and replayed, and the replay lag); a partial index for the
-- writer's continuity checks (src/log/continuity.c); the auditor's report
-- of promotions, restores and lost ranges.  status() as issue 16 left it,
-- with these columns added.
DROP FUNCTION juki.status();
CREATE FUNCTION juki.status(OUT preloaded boolean, OUT version text, OUT database text,
							OUT timezone text, OUT writer_pid integer, OUT accepting boolean,
							OUT last_seq bigint, OUT filed_seq bigint, OUT backlog bigint,
							OUT max_backlog bigint, OUT wal_retained_from pg_lsn,
							OUT standby boolean,
							OUT emergency_stop boolean, OUT sql_version text,
							OUT sql_current boolean, OUT timeline integer,
							OUT receive_lsn pg_lsn, OUT replay_lsn pg_lsn,
							OUT replay_lag interval)
	AS 'MODULE_PATHNAME', 'juki_status'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION juki.status() IS
	'Is juki enforcing, and with which settings; last_seq is the last entry durable in WAL, filed_seq the last in juki.operation_log; version is the library''s, sql_version the installed objects''; on a standby how far replay is behind (works without preload)';
REVOKE ALL ON FUNCTION juki.status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.status() TO PUBLIC;

CREATE INDEX operation_log_continuity_idx ON juki.operation_log (seq)
	WHERE action IN ('promotion', 'restore', 'timeline');

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
ALTER FUNCTION juki.report_continuity(timestamp with time zone, timestamp with time zone) SET max_parallel_workers_per_gather = 0;
REVOKE ALL ON FUNCTION juki.report_continuity(timestamp with time zone, timestamp with time zone) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.report_continuity(timestamp with time zone, timestamp with time zone) TO PUBLIC;

-- Issue 19 leftovers and review (counter): every refusal with a reason and on
-- record, attach with a terminal.
-- attach takes the counter terminal (業務端末) as card_login does: a pooled
-- application attaches one operator's session from whichever counter serves
-- the request, and every entry of the transaction names that counter.  A new
-- parameter: a new function, re-commented and re-granted.
DROP FUNCTION juki.attach(text);
CREATE FUNCTION juki.attach(token text, terminal text DEFAULT NULL) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_attach' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.attach(text, text) IS
	'Bind an operator session to the current transaction; terminal names the 業務端末 attaching, recorded in every entry of the transaction instead of the login''s';
REVOKE ALL ON FUNCTION juki.attach(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION juki.attach(text, text) TO PUBLIC;

CREATE OR REPLACE FUNCTION juki._decide_permit(a text, v_id bigint, decision text, v_reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	p record;
	o record;
BEGIN
	-- only as the body of approve_permit/reject_permit (granted to nobody)
	IF a IS NULL OR a NOT IN ('approve_permit', 'reject_permit')
	   OR decision IS NULL OR decision <> (CASE a WHEN 'approve_permit' THEN 'approved' ELSE 'rejected' END) THEN
		PERFORM juki._fail('direct_access', 'direct_access', '42501',
			pg_catalog.format('%s is internal to juki', 'juki._decide_permit'),
			'Call juki''s documented functions instead.');
	END IF;
	PERFORM juki._start(a, ARRAY['juki_security_officer'],
		CASE decision WHEN 'rejected' THEN 'id and reason must not be NULL' ELSE 'id must not be NULL' END,
		ARRAY[v_id IS NULL OR (decision = 'rejected' AND v_reason IS NULL)]);
	IF decision = 'rejected' AND (pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO p FROM juki.access_permit x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'permit_unknown', '22023', pg_catalog.format('permit %s does not exist', v_id));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = p.operator_id;
	IF p.requested_by = juki._caller() OR o.role_name::text = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody decides on their own request',
			'Another security officer of the department decides.', o.id, p.purpose);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.department = o.department AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of %s (operator %s)',
							  o.department, o.display_name, o.id), NULL, o.id, p.purpose);
	END IF;
	IF p.status <> 'pending' THEN
		PERFORM juki._fail(a, 'permit_not_pending', '55000',
			pg_catalog.format('permit %s is %s, not pending', v_id, p.status), NULL, o.id, p.purpose);
	END IF;
	IF p.valid_until <= pg_catalog.now() THEN
		PERFORM juki._fail(a, 'permit_expired', '55000',
			pg_catalog.format('permit %s has expired', v_id), 'The operator requests a new permit.', o.id, p.purpose);
	END IF;
	IF decision = 'approved' THEN
		IF o.retired_at IS NOT NULL THEN
			PERFORM juki._fail(a, 'operator_retired', '55000',
				pg_catalog.format('%s (operator %s) has retired', o.display_name, o.id), NULL, o.id, p.purpose);
		END IF;
		IF NOT coalesce(juki._designated(o.id, p.purpose), false) THEN
			PERFORM juki._fail(a, 'not_designated', '42501',
				pg_catalog.format('%s (operator %s) is no longer designated for %s', o.display_name, o.id, p.purpose), NULL, o.id, p.purpose);
		END IF;
	END IF;

	UPDATE juki.access_permit x SET status = decision, decided_by = juki._caller(),
		   decided_at = pg_catalog.now(), decision_reason = v_reason
	 WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => p.purpose, operator_id => o.id, permit_id => v_id,
		subjects => p.residents,
		detail => CASE decision WHEN 'rejected' THEN pg_catalog.jsonb_build_object('reason', v_reason)
				  ELSE pg_catalog.jsonb_build_object('bulk_rows', p.bulk_rows, 'off_hours', p.off_hours) END);
END
$$;
ALTER FUNCTION juki._decide_permit(text, bigint, text, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._contract_for_officer(a text, v_id bigint) RETURNS juki.contract
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c juki.contract;
	d text;
BEGIN
	IF a IS NULL OR a NOT IN ('record_pledge', 'withdraw_pledge') THEN
		PERFORM juki._fail('direct_access', 'direct_access', '42501',
			pg_catalog.format('%s is internal to juki', 'juki._contract_for_officer'),
			'Call juki''s documented functions instead.');
	END IF;
	IF v_id IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contract must not be NULL');
	END IF;
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	FOREACH d IN ARRAY juki._purpose_departments(c.purposes)
	LOOP
		IF juki._officer_of(d) THEN
			RETURN c;
		END IF;
	END LOOP;
	PERFORM juki._fail(a, 'wrong_department', '42501',
		pg_catalog.format('contract %s is not for a department you answer for', v_id));
	RETURN NULL;
END
$$;
ALTER FUNCTION juki._contract_for_officer(text, bigint) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._form_for_officer(a text, v_serial text) RETURNS juki.printed_form
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f juki.printed_form;
	dept text;
BEGIN
	IF a IS NULL OR a NOT IN ('file_form', 'request_form_destruction', 'approve_form_destruction', 'destroy_form') THEN
		PERFORM juki._fail('direct_access', 'direct_access', '42501',
			pg_catalog.format('%s is internal to juki', 'juki._form_for_officer'),
			'Call juki''s documented functions instead.');
	END IF;
	IF v_serial IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'a form serial is required',
			'e.g. ''2026-000001'' as printed on the form');
	END IF;
	IF v_serial !~ '^[0-9]{4}-[0-9]{6}$' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a form serial looks like 2026-000001');
	END IF;
	SELECT * INTO f FROM juki.printed_form p WHERE p.serial = v_serial FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'form_unknown', '22023', pg_catalog.format('no form has serial %s', v_serial));
	END IF;
	SELECT o.department INTO dept FROM juki.operator o WHERE o.id = f.operator_id;
	IF NOT juki._officer_of(dept) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('form %s was issued in %s, not your department', v_serial, dept),
			NULL, f.operator_id, f.purpose);
	END IF;
	IF f.status = 'destroyed' THEN
		PERFORM juki._fail(a, 'form_destroyed', '55000',
			pg_catalog.format('form %s was already destroyed', v_serial), NULL, f.operator_id, f.purpose);
	END IF;
	RETURN f;
END
$$;
ALTER FUNCTION juki._form_for_officer(text, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._approve_destruction(a text, v_serial text, v_method text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f juki.printed_form;
BEGIN
	IF a IS NULL OR a NOT IN ('approve_form_destruction', 'destroy_form') THEN
		PERFORM juki._fail('direct_access', 'direct_access', '42501',
			pg_catalog.format('%s is internal to juki', 'juki._approve_destruction'),
			'Call juki''s documented functions instead.');
	END IF;
	PERFORM juki._start(a, ARRAY['juki_security_officer']);
	IF a = 'destroy_form' AND (v_method IS NULL OR pg_catalog.btrim(v_method) = '') THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'a form serial and a destruction method are required',
			'e.g. juki.destroy_form(''2026-000001'', ''shredded'')');
	END IF;
	f := juki._form_for_officer(a, v_serial);
	IF f.destruction_requested_at IS NULL THEN
		PERFORM juki._fail(a, 'destruction_not_requested', '55000',
			pg_catalog.format('nobody has requested the destruction of form %s', f.serial),
			'One security officer requests it (juki.request_form_destruction), another approves it.',
			f.operator_id, f.purpose);
	END IF;
	IF f.destruction_requested_by = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves the destruction they requested',
			'Another security officer of the department approves it.', f.operator_id, f.purpose);
	END IF;
	IF juki._form_issuer_is_caller(f) THEN
		PERFORM juki._fail(a, 'own_form', '42501', 'nobody approves the destruction of a form they printed',
			'Another security officer of the department approves it.', f.operator_id, f.purpose);
	END IF;
	IF v_method IS NOT NULL AND v_method <> f.destroy_method THEN
		PERFORM juki._fail(a, 'method_mismatch', '22023',
			pg_catalog.format('the destruction of form %s was requested by another method', f.serial),
			'Approve the method requested, or have the request made again.', f.operator_id, f.purpose);
	END IF;
	UPDATE juki.printed_form p
	   SET status = 'destroyed', destroyed_by = f.destruction_requested_by, destroyed_at = pg_catalog.now(),
	       destroy_approved_by = juki._caller()
	 WHERE p.serial = f.serial;
	PERFORM juki._log(a, 'granted', NULL, f.purpose, f.operator_id, NULL, f.residents,
		pg_catalog.jsonb_build_object('form_serial', f.serial, 'method', f.destroy_method,
									  'requested_by', f.destruction_requested_by));
END
$$;
ALTER FUNCTION juki._approve_destruction(text, text, text) SET max_parallel_workers_per_gather = 0;

CREATE OR REPLACE FUNCTION juki._report_start(a text, since timestamptz, until timestamptz) RETURNS void
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
ALTER FUNCTION juki._report_start(text, timestamp with time zone, timestamp with time zone) SET max_parallel_workers_per_gather = 0;

-- Issue 13, class 3: no planner statistics of personal or secret data:
-- every column of juki's tables but the log tables' bookkeeping columns
-- gets statistics target 0 (as extension/parts/95_statistics.sql).  Keep
-- this block after every ADD COLUMN above (purpose's ceilings, the log's
-- login_role): a column added after it would keep a default target.
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
