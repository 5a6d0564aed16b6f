/* ---------------------------------- システム管理者 (system administrator) */
-- Purposes (利用事務, versioned) and operating hours (運用時間).

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
COMMENT ON FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean,
									   boolean, boolean, boolean, boolean, integer, boolean, integer, integer) IS
	'利用事務の定義 (システム管理者): a new version of a purpose: fields, search criteria, row limits and volume ceilings, forms';

CREATE FUNCTION juki.set_operating_hours(purpose text, weekdays integer[], opens time, closes time)
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
COMMENT ON FUNCTION juki.set_operating_hours(text, integer[], time, time) IS
	'運用計画 運用時間 (システム管理者): hours per purpose (NULL: the default) and weekday (0 = Sunday), in juki.timezone';
