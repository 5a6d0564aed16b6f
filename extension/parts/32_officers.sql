/* -------------------- セキュリティ統括責任者 and セキュリティ責任者 (officers) */
-- The chief appoints the security officers of each department and stops
-- or resumes juki (作動停止); a security officer designates the operators
-- of the department (指名) and decides their permits (許可).

/* ===================================== セキュリティ統括責任者 (chief security officer) */

CREATE FUNCTION juki.appoint_security_officer(role name, department text)
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
COMMENT ON FUNCTION juki.appoint_security_officer(name, text) IS
	'セキュリティ責任者の指定 (セキュリティ統括責任者): the department a security officer answers for';

CREATE FUNCTION juki.retire_security_officer(role name, department text)
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
COMMENT ON FUNCTION juki.retire_security_officer(name, text) IS
	'セキュリティ責任者の解任 (セキュリティ統括責任者)';

/* ----------------------------------------------------- 作動停止 (emergency) */

CREATE FUNCTION juki.emergency_stop(reason text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_emergency_stop' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.emergency_stop(text) IS
	'作動停止: refuse every disclosure and login until resumed (chief security officer)';
CREATE FUNCTION juki.emergency_resume(reason text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_emergency_resume' LANGUAGE C VOLATILE;
/* =================================================== セキュリティ責任者 (security officer) */

CREATE FUNCTION juki.designate(operator bigint, purposes text[], valid_until date, note text)
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
COMMENT ON FUNCTION juki.designate(bigint, text[], date, text) IS
	'指名 (セキュリティ責任者): name an operator of one''s department for purposes of that department, up to one year';

CREATE FUNCTION juki.revoke_designation(id bigint, reason text)
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
COMMENT ON FUNCTION juki.revoke_designation(bigint, text) IS
	'指名の取消し (セキュリティ責任者)';

-- approve_permit and reject_permit share their checks; decision is
-- 'approved' or 'rejected'.  Internal: called by the two below only.
CREATE FUNCTION juki._decide_permit(a text, v_id bigint, decision text, v_reason text)
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

CREATE FUNCTION juki.approve_permit(id bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._decide_permit('approve_permit', $1, 'approved', NULL);
END
$$;
COMMENT ON FUNCTION juki.approve_permit(bigint) IS
	'許可 (セキュリティ責任者): approve a pending request of an operator of one''s department, not one''s own';

CREATE FUNCTION juki.reject_permit(id bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._decide_permit('reject_permit', $1, 'rejected', $2);
END
$$;
COMMENT ON FUNCTION juki.reject_permit(bigint, text) IS
	'不許可 (セキュリティ責任者): reject a pending request, with the reason';
