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
