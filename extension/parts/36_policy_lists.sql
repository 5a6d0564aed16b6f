/* ------------------------------------------------------ the rules in force */
-- Read functions that show policy to those who administer or use it,
-- never a resident's personal data.

CREATE FUNCTION juki.purposes() RETURNS SETOF juki.purpose
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
COMMENT ON FUNCTION juki.purposes() IS '利用事務: the newest version of each purpose (every juki role)';

CREATE FUNCTION juki.operating_hours_in_force()
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
COMMENT ON FUNCTION juki.permits() IS
	'許可: permits visible to the caller (operators: their own; security officers: their departments; chief: all); past their window shown as expired';
