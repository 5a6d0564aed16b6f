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
