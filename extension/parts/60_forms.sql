/* ------------------------------------------------------ 帳票の管理 (form ledger) */
/*
 * 要領 第3 2(2)③ (帳票を出力した場合には適正に管理) and 2(4) (セキュリティ責任者
 * の帳票の管理方法).  juki.issue_form (disclose.c) enters every printed form
 * in the ledger: serial YYYY-NNNNNN per year (juki.timezone), form type,
 * purpose, operator, resident, the disclosed fields.  From there:
 *
 *   issued ──file_form──► filed
 *   issued/filed ──request_form_destruction(method)──► (destruction requested)
 *   (requested) ──approve_form_destruction / destroy_form──► destroyed
 *
 * Every step is taken by a security officer of the department of the
 * operator who printed the form.  The destruction needs two officers: the
 * one who approves is never the one who requested it, and never the
 * operator who printed the form (a former operator may later become an
 * officer of the same department).  juki.destroy_form(serial, method), the
 * one-step version of issue 3, is now the approval step: it approves a
 * pending request made with the same method, and refuses when there is
 * none (destruction_not_requested).
 */
ALTER TABLE juki.printed_form
	ADD COLUMN destruction_requested_by text,
	ADD COLUMN destruction_requested_at timestamptz;

-- The form with this serial, for a security officer of its department;
-- every refusal logged.  Internal: the body of the functions below.
CREATE FUNCTION juki._form_for_officer(a text, v_serial text) RETURNS juki.printed_form
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

-- Did the caller print this form (as an operator, maybe before becoming an officer)?
CREATE FUNCTION juki._form_issuer_is_caller(f juki.printed_form) RETURNS boolean
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT EXISTS (SELECT 1 FROM juki.operator o WHERE o.id = ($1).operator_id AND o.role_name::text = juki._caller())
$$;

CREATE FUNCTION juki.file_form(serial text)
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
COMMENT ON FUNCTION juki.file_form(text) IS '帳票の保管 (セキュリティ責任者): a printed form is filed (issued → filed)';

CREATE FUNCTION juki.request_form_destruction(serial text, method text)
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
COMMENT ON FUNCTION juki.request_form_destruction(text, text) IS
	'帳票の廃棄の申請 (セキュリティ責任者): propose destroying a printed form by a method; a second officer approves';

-- The approval, shared by approve_form_destruction and destroy_form.
CREATE FUNCTION juki._approve_destruction(a text, v_serial text, v_method text)
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

CREATE FUNCTION juki.approve_form_destruction(serial text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._approve_destruction('approve_form_destruction', $1, NULL);
END
$$;
COMMENT ON FUNCTION juki.approve_form_destruction(text) IS
	'帳票の廃棄の承認 (セキュリティ責任者): a second officer, not the requester nor the printer, approves; the form is destroyed';

-- Issue 3's one-step juki.destroy_form is now the approval step (see above).
CREATE FUNCTION juki.destroy_form(serial text, method text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._approve_destruction('destroy_form', $1, $2);
END
$$;
COMMENT ON FUNCTION juki.destroy_form(text, text) IS
	'帳票の廃棄 (セキュリティ責任者): approve the pending destruction request of a form, by the method requested';

CREATE FUNCTION juki.forms()
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
COMMENT ON FUNCTION juki.forms() IS
	'帳票の台帳: the form ledger (security officers: their departments; chief: all)';

