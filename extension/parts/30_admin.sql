/* ------------------------------------------------- administrative SQL API */
/*
 * The administrative functions of DESIGN §6, one role each (DESIGN §4):
 * access manager (operators, IC cards, passwords, training), chief security
 * officer (department officers), security officer (指名, 許可), operator
 * (permit requests), system administrator (利用事務, 運用時間) and registrar
 * (異動, imports, DV等支援措置); plus read functions that show policy, never
 * a resident's personal data.
 *
 * Conventions, the same in every function:
 *  - SECURITY DEFINER with a pinned search_path, everything schema-qualified;
 *    the caller is juki._caller() (the session role), never the definer;
 *  - juki._require_role() first;
 *  - every refusal and every bad input ends in juki._fail() (logged, then
 *    raised with "reason: <code>"): 22004 null_argument, 22023 bad input or
 *    unknown ids, 42501 authorization, 55000 wrong state, 28000 no session;
 *    input is validated before any write, so no constraint violation leaks;
 *  - success logs exactly one 'granted' entry named after the function, with
 *    ids and a small detail: never a password, key material, or a
 *    resident's name or address (resident codes go into subjects only);
 *  - juki._policy_changed() wherever the access decision may change.
 */

-- Real membership of a role in a group, ignoring superuser (pg_has_role
-- treats a superuser as a member of everything).  Reads pg_catalog only.
CREATE FUNCTION juki._role_is_member(member name, grp name) RETURNS boolean
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	WITH RECURSIVE m(roleid) AS (
		SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = $1
		UNION
		SELECT a.roleid FROM pg_catalog.pg_auth_members a JOIN m ON a.member = m.roleid
	)
	SELECT EXISTS (SELECT 1 FROM m JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
					WHERE g.rolname = $2)
$$;

-- Does a password satisfy the rule?  NULL if it does, else what is wrong.
-- Never repeats the password.
CREATE FUNCTION juki._password_problem(pw text, role_name name) RETURNS text
	LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	classes integer;
BEGIN
	IF pg_catalog.length(pw) < 8 THEN
		RETURN 'a password needs at least 8 characters';
	END IF;
	IF pg_catalog.octet_length(pw) > 72 THEN
		RETURN 'a password may have at most 72 bytes (bcrypt ignores the rest)';
	END IF;
	classes := (pw ~ '[a-z]')::integer + (pw ~ '[A-Z]')::integer + (pw ~ '[0-9]')::integer
		+ (pw ~ '[^a-zA-Z0-9]')::integer;
	IF classes < 3 THEN
		RETURN 'a password needs characters of at least 3 of 4 classes (lower case, upper case, digits, others)';
	END IF;
	IF pg_catalog.strpos(pg_catalog.lower(pw), pg_catalog.lower(role_name::text)) > 0 THEN
		RETURN 'a password may not contain the operator''s role name';
	END IF;
	RETURN NULL;
END
$$;

-- ISO date text (YYYY-MM-DD) to date, NULL if it is not one.
CREATE FUNCTION juki._iso_date(t text) RETURNS date
	AS 'MODULE_PATHNAME', 'juki_iso_date' LANGUAGE C IMMUTABLE;

-- What is wrong with one resident field value (text form), NULL if nothing.
-- Never repeats the value.  Shared by import_residents and record_change.
CREATE FUNCTION juki._resident_field_problem(field text, val text) RETURNS text
	LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF val IS NULL THEN
		IF field IN ('former_surname', 'alias_name') THEN
			RETURN NULL;
		END IF;
		RETURN field || ' is missing';
	END IF;
	CASE field
	WHEN 'resident_code' THEN
		IF NOT juki.is_valid_resident_code(val) THEN RETURN 'resident_code is not a valid 住民票コード'; END IF;
	WHEN 'individual_number' THEN
		IF NOT juki.is_valid_individual_number(val) THEN RETURN 'individual_number is not a valid 個人番号'; END IF;
	WHEN 'municipality_code' THEN
		IF NOT juki.is_valid_municipality_code(val) THEN RETURN 'municipality_code is not a valid 地方公共団体コード'; END IF;
	WHEN 'full_name' THEN
		IF pg_catalog.btrim(val) = '' OR pg_catalog.length(val) > 100 THEN RETURN 'full_name must have 1 to 100 characters'; END IF;
	WHEN 'full_name_kana' THEN
		IF pg_catalog.btrim(val) = '' OR pg_catalog.length(val) > 200 THEN RETURN 'full_name_kana must have 1 to 200 characters'; END IF;
	WHEN 'former_surname' THEN
		IF pg_catalog.length(val) > 50 THEN RETURN 'former_surname may have at most 50 characters'; END IF;
	WHEN 'alias_name' THEN
		IF pg_catalog.length(val) > 100 THEN RETURN 'alias_name may have at most 100 characters'; END IF;
	WHEN 'address' THEN
		IF pg_catalog.btrim(val) = '' OR pg_catalog.length(val) > 300 THEN RETURN 'address must have 1 to 300 characters'; END IF;
	WHEN 'sex' THEN
		IF val NOT IN ('0', '1', '2', '9') THEN RETURN 'sex must be 0, 1, 2 or 9 (JIS X 0303)'; END IF;
	WHEN 'birth_date', 'change_date' THEN
		IF juki._iso_date(val) IS NULL THEN RETURN field || ' is not a date (YYYY-MM-DD)'; END IF;
		IF juki._iso_date(val) < DATE '1850-01-01' OR juki._iso_date(val) > CURRENT_DATE THEN
			RETURN field || ' is out of range (1850-01-01 to today)';
		END IF;
	WHEN 'change_reason' THEN
		IF val NOT IN ('initial_registration', 'birth', 'move_in', 'move_within', 'move_out', 'death',
					   'ex_officio_correction', 'resident_code_change', 'other') THEN
			RETURN 'change_reason is not one of the 異動事由';
		END IF;
	WHEN 'status' THEN
		IF val NOT IN ('active', 'removed') THEN RETURN 'status must be active or removed'; END IF;
	ELSE
		RETURN field || ' is not a resident field';
	END CASE;
	RETURN NULL;
END
$$;

-- Is the operator designated for the purpose today?  Staff: a designation
-- (指名); a contractor's handler: an unrevoked handler designation (委託の都度
-- の指定) on their contract, which covers the purpose.  The access decision
-- (policy.c) checks the rest of the contract at every request.
CREATE FUNCTION juki._designated(op bigint, purpose text) RETURNS boolean
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT CASE WHEN o.kind = 'contractor' THEN
			EXISTS (SELECT 1 FROM juki.contract c JOIN juki.contract_handler h ON h.contract_id = c.id
					 WHERE c.id = o.contract_id AND $2 = ANY (c.purposes) AND h.operator_id = o.id
					   AND h.revoked_at IS NULL AND CURRENT_DATE BETWEEN h.valid_from AND h.valid_until)
		   ELSE
			EXISTS (SELECT 1 FROM juki.designation d WHERE d.operator_id = o.id AND $2 = ANY (d.purposes)
					   AND d.revoked_at IS NULL AND CURRENT_DATE BETWEEN d.valid_from AND d.valid_until)
		   END
	  FROM juki.operator o WHERE o.id = $1
$$;

/* ============================================== アクセス管理責任者 (access manager) */

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
	PERFORM juki._require_role(a, ARRAY['juki_access_manager']);
	IF v_role IS NULL OR v_name IS NULL OR v_dept IS NULL OR v_kind IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'role, display_name, department and kind must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_access_manager']);
	IF v_op IS NULL OR v_serial IS NULL OR v_pem IS NULL OR v_until IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'operator, card_serial, public_key_pem and valid_until must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_access_manager']);
	IF v_serial IS NULL OR v_reason IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'card_serial and reason must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_access_manager']);
	IF v_op IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'operator must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_access_manager']);
	IF v_op IS NULL OR v_course IS NULL OR v_on IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'operator, course and completed_on must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_access_manager']);
	IF v_op IS NULL OR v_reason IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'operator and reason must not be NULL');
	END IF;
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
COMMENT ON FUNCTION juki.retire_operator(bigint, text) IS
	'操作者の抹消 (アクセス管理責任者): retire an operator; their cards and designations are revoked';

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
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer']);
	IF v_role IS NULL OR v_dept IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'role and department must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer']);
	IF v_role IS NULL OR v_dept IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'role and department must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF v_op IS NULL OR v_purposes IS NULL OR v_until IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'operator, purposes and valid_until must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF v_id IS NULL OR v_reason IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'id and reason must not be NULL');
	END IF;
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
		RAISE EXCEPTION 'juki._decide_permit is internal' USING ERRCODE = '42501';
	END IF;
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF v_id IS NULL OR (decision = 'rejected' AND v_reason IS NULL) THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			CASE decision WHEN 'rejected' THEN 'id and reason must not be NULL' ELSE 'id must not be NULL' END);
	END IF;
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

/* ============================================================ 操作者 (operator) */

CREATE FUNCTION juki.request_permit(purpose text, reason text, valid_until timestamptz,
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

/* ====================================================== システム管理者 (system administrator) */

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
	PERFORM juki._require_role(a, ARRAY['juki_system_administrator']);
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

/* =================================================== 既存住基システム (registrar) */

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
	PERFORM juki._require_role(a, ARRAY['juki_registrar']);
	IF v_code IS NULL OR v_start IS NULL OR v_end IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'resident_code, starts_on and ends_on must not be NULL');
	END IF;
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
	PERFORM juki._require_role(a, ARRAY['juki_registrar']);
	IF v_id IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'id must not be NULL');
	END IF;
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

/* =========================================================== read functions */

CREATE FUNCTION juki.purposes() RETURNS SETOF juki.purpose
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a constant text := 'purposes';
	n bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer', 'juki_system_administrator',
		'juki_security_officer', 'juki_access_manager', 'juki_operator', 'juki_contractor_operator',
		'juki_auditor', 'juki_registrar', 'juki_terminal']);
	RETURN QUERY SELECT DISTINCT ON (p.code) p.* FROM juki.purpose p ORDER BY p.code, p.version DESC;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.purposes() IS '利用事務: the newest version of each purpose (every juki role)';

CREATE FUNCTION juki.operating_hours_in_force()
	RETURNS TABLE (purpose text, weekday integer, opens time, closes time)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'operating_hours_in_force';
	n bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer', 'juki_system_administrator',
		'juki_security_officer', 'juki_access_manager', 'juki_operator', 'juki_contractor_operator',
		'juki_auditor', 'juki_registrar', 'juki_terminal']);
	RETURN QUERY SELECT DISTINCT ON (h.purpose, h.weekday) h.purpose, h.weekday, h.opens, h.closes
				   FROM juki.operating_hours h
				  ORDER BY h.purpose NULLS FIRST, h.weekday, h.id DESC;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.operating_hours_in_force() IS
	'運用計画 運用時間: the newest row per purpose (NULL: default) and weekday; both times NULL = closed';

CREATE FUNCTION juki.operators()
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
	PERFORM juki._require_role(a, ARRAY['juki_access_manager', 'juki_security_officer',
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
COMMENT ON FUNCTION juki.operators() IS
	'操作者: registered operators, cards in force, password age, last operator training (access manager, chief; security officers: their departments)';

CREATE FUNCTION juki.designations()
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
	PERFORM juki._require_role(a, ARRAY['juki_operator', 'juki_contractor_operator',
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
COMMENT ON FUNCTION juki.designations() IS
	'指名: designations visible to the caller (operators: their own; security officers: their departments; chief: all)';

CREATE FUNCTION juki.permits()
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
	PERFORM juki._require_role(a, ARRAY['juki_operator', 'juki_contractor_operator',
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
COMMENT ON FUNCTION juki.permits() IS
	'許可: permits visible to the caller (operators: their own; security officers: their departments; chief: all); past their window shown as expired';
