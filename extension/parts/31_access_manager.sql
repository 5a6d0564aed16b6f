/* ---------------------------------- アクセス管理責任者 (access manager) */
-- Operators, their IC cards, passwords and training, retirement.

CREATE FUNCTION juki.register_operator(role name, display_name text, department text,
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
COMMENT ON FUNCTION juki.register_operator(name, text, text, text, bigint) IS
	'操作者の登録 (アクセス管理責任者): register a LOGIN role that is a member of juki_operator or juki_contractor_operator';

CREATE FUNCTION juki.register_card(operator bigint, card_serial text, public_key_pem text, valid_until date)
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
COMMENT ON FUNCTION juki.register_card(bigint, text, text, date) IS
	'操作者用ICカードの登録 (アクセス管理責任者): an operator''s IC card and its public key (Ed25519, ECDSA P-256, RSA-2048)';

CREATE FUNCTION juki.revoke_card(card_serial text, reason text)
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
COMMENT ON FUNCTION juki.revoke_card(text, text) IS
	'操作者用ICカードの失効 (アクセス管理責任者): lost, broken or returned cards';

CREATE FUNCTION juki.set_password(operator bigint, password text)
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
COMMENT ON FUNCTION juki.set_password(bigint, text) IS
	'パスワードの設定 (アクセス管理責任者): bcrypt hash via pgcrypto; expires after juki.password_max_age';

CREATE FUNCTION juki.unlock_operator(operator bigint)
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
COMMENT ON FUNCTION juki.unlock_operator(bigint) IS
	'ロック解除 (アクセス管理責任者): reset an operator''s consecutive failed logins';

CREATE FUNCTION juki.record_training(operator bigint, course text, completed_on date)
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
COMMENT ON FUNCTION juki.record_training(bigint, text, date) IS
	'研修の記録 (アクセス管理責任者): operator or administrator course; designation needs operator training within 12 months';

CREATE FUNCTION juki.retire_operator(operator bigint, reason text)
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
COMMENT ON FUNCTION juki.retire_operator(bigint, text) IS
	'操作者の抹消 (アクセス管理責任者): retire an operator; their cards and designations are revoked';
