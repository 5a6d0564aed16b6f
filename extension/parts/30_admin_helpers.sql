/* ------------------------------------------ administration: the helpers */
/*
 * Conventions of the administrative functions (parts 30 to 70), the same in
 * every function:
 *  - SECURITY DEFINER with a pinned search_path, everything schema-qualified;
 *    the caller is juki._caller() (the session role), never the definer;
 *  - juki._start() first: the caller's role (juki._require_role: real
 *    membership, acting as itself, no conflicting duties), then the
 *    arguments that may not be NULL (22004 null_argument) — each refusal
 *    logged before it is raised;
 *  - every other refusal and bad input ends in juki._fail() (logged, then
 *    raised with "reason: <code>"): 22023 bad input or unknown ids, 42501
 *    authorization, 55000 wrong state, 28000 no session; input is
 *    validated before any write, so no constraint violation leaks;
 *  - success logs exactly one 'granted' entry named after the function, with
 *    ids and a small detail: never a password, key material, or a
 *    resident's name or address (resident codes go into subjects only);
 *  - juki._policy_changed() wherever the access decision may change.
 */

-- The preamble of every administrative function: the caller's role first
-- (juki._require_role: refused and logged as role_required, impersonation,
-- privileged_role or conflict_of_duties), then, if any element of missing
-- is true (one per argument that may not be NULL), 22004 null_argument with
-- message (logged).  Only below another juki function, as every juki._*.
CREATE FUNCTION juki._start(action text, roles text[], message text DEFAULT NULL,
							missing boolean[] DEFAULT '{}')
	RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._require_role(action, roles);
	IF true = ANY (missing) THEN
		PERFORM juki._fail(action, 'null_argument', '22004', message);
	END IF;
END
$$;

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
