/* ----------------------------------------------------------- privileges */

-- Nothing in the schema is reachable by default; each role gets exactly its
-- functions.  Table privileges are never granted except the auditor's read
-- of the log (DESIGN §8); juki's guard enforces this even for superusers.
REVOKE ALL ON ALL TABLES IN SCHEMA juki FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA juki FROM PUBLIC;
GRANT USAGE ON SCHEMA juki TO PUBLIC;
GRANT USAGE ON DOMAIN juki.resident_code, juki.individual_number, juki.municipality_code TO PUBLIC;
GRANT EXECUTE ON FUNCTION juki.is_valid_resident_code(text), juki.is_valid_individual_number(text),
	juki.is_valid_municipality_code(text), juki.check_resident_code(text),
	juki.check_individual_number(text), juki.check_municipality_code(text) TO PUBLIC;
GRANT SELECT ON juki.operation_log, juki.audit_checkpoint TO juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.status() TO PUBLIC;
GRANT SELECT ON juki.audit_export TO juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.verify_log(text[], text[]) TO juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.export_log(bigint, bigint), juki.purge_expired_log() TO juki_access_manager;
GRANT EXECUTE ON FUNCTION juki.checkpoint() TO juki_access_manager, juki_auditor, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.card_challenge(text), juki.card_login(text, bytea, text),
	juki.attach(text), juki.unlock(text, bytea, text), juki.logout(text), juki.whoami()
	TO juki_operator, juki_contractor_operator, juki_terminal;
GRANT EXECUTE ON FUNCTION juki.emergency_stop(text), juki.emergency_resume(text)
	TO juki_chief_security_officer;
