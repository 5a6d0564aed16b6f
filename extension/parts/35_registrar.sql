/* ------------------------------------------- 既存住基システム (registrar) */
-- Imports, changes (異動) and support measures (DV等支援措置).

CREATE FUNCTION juki.import_residents(source regclass)
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
COMMENT ON FUNCTION juki.import_residents(regclass) IS
	'本人確認情報の一括登録 (既存住基システム): validate every row of a staging table, all or nothing, logged with a SHA-256 of the rows';

CREATE FUNCTION juki.record_change(resident_code text, changes jsonb, reason text, effective_on date)
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
COMMENT ON FUNCTION juki.record_change(text, jsonb, text, date) IS
	'異動の記録 (既存住基システム): changed fields, 異動事由 and 異動年月日; move_out and death are 消除';

CREATE FUNCTION juki.set_support_measure(resident_code text, starts_on date, ends_on date, note text)
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
COMMENT ON FUNCTION juki.set_support_measure(text, date, date, text) IS
	'DV等支援措置 (既存住基システム): protect a resident''s record for at most one year, renewable';

CREATE FUNCTION juki.end_support_measure(id bigint)
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
COMMENT ON FUNCTION juki.end_support_measure(bigint) IS
	'DV等支援措置の終了 (既存住基システム): the measure is no longer in force from today';
