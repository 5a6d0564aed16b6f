-- アクセス管理責任者 (access manager): operators, IC cards, passwords,
-- training, unlock, retirement.  Every refusal shows its SQLSTATE, message
-- and reason, and is in the operation log; every success logs one entry.
--
-- People of the town used by the admin_* tests (login roles; a DBA grants
-- the juki roles, the access manager registers the operators).
\set su :USER
CREATE ROLE regress_chief LOGIN;
GRANT juki_chief_security_officer TO regress_chief;
CREATE ROLE regress_officer_a LOGIN;
GRANT juki_security_officer TO regress_officer_a;
CREATE ROLE regress_officer_b LOGIN;
GRANT juki_security_officer TO regress_officer_b;
CREATE ROLE regress_op_a LOGIN;
GRANT juki_operator TO regress_op_a;
CREATE ROLE regress_op_b LOGIN;
GRANT juki_operator TO regress_op_b;
CREATE ROLE regress_op_c LOGIN;
GRANT juki_operator TO regress_op_c;
CREATE ROLE regress_op_group NOLOGIN;
GRANT juki_operator TO regress_op_group;
CREATE ROLE regress_plain LOGIN;
CREATE ROLE regress_super LOGIN SUPERUSER;
GRANT juki_operator TO regress_super;
CREATE ROLE regress_contractor LOGIN;
GRANT juki_contractor_operator TO regress_contractor;
CREATE ROLE regress_registrar LOGIN;
GRANT juki_registrar TO regress_registrar;

-- like juki_test.try, with ids masked (they depend on what ran before)
CREATE FUNCTION juki_test.tryn(q text) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(juki_test.try(q),
		'(operator|permit|designation|support measure|contract|version) \d+', '\1 N', 'g')
$$;

-- operator ids by name, for reading the log
CREATE TABLE juki_test.operator_ids (id bigint, name text);
GRANT SELECT ON juki_test.operator_ids TO PUBLIC;
-- the log since the last mark: no ids, no dates; details of successes only
\set showlog 'SELECT l.action, l.outcome, l.reason, i.name AS operator, CASE WHEN l.outcome = ''granted'' THEN l.detail - ''{valid_until,completed_on}''::text[] END AS detail FROM juki.operation_log l LEFT JOIN juki_test.operator_ids i ON i.id = l.operator_id WHERE l.seq > :mark AND l.action <> ''log_read'' ORDER BY l.seq'
\c - regress_auditor
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

---------------------------------------------------------------- who may
-- a superuser is not an access manager; other juki roles have no EXECUTE
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_a', 'A', '住民課')$$);
\c - regress_officer_a
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_a', 'A', '住民課')$$);
\c - :su

----------------------------------------------------- register_operator
\c - regress_manager
SELECT juki_test.tryn($$SELECT juki.register_operator(NULL, 'A', '住民課')$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_a', 'A', '住民課', 'temp')$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_a', '  ', '住民課')$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_nobody', 'N', '住民課')$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_group', 'G', '住民課')$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_super', 'S', '住民課')$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_plain', 'P', '住民課')$$);
-- a staff operator is not a contractor's handler, and the other way round
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_a', 'A', '住民課', 'contractor', 1)$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_a', 'A', '住民課', 'staff', 1)$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_contractor', 'K', '住民課', 'contractor')$$);
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_contractor', 'K', '住民課', 'contractor', -1)$$);
-- success
SELECT juki.register_operator('regress_op_a', '住基 太郎', '住民課') AS op_a \gset
SELECT juki.register_operator('regress_op_b', '保険 花子', '保険年金課') AS op_b \gset
SELECT juki.register_operator('regress_op_c', '税務 次郎', '住民課', 'staff', NULL) AS op_c \gset
SELECT :op_b > :op_a AND :op_c > :op_b AS ids_ascend;
-- once only
SELECT juki_test.tryn($$SELECT juki.register_operator('regress_op_a', 'A', '住民課')$$);
\c - :su
INSERT INTO juki_test.operator_ids VALUES (:op_a, 'op_a'), (:op_b, 'op_b'), (:op_c, 'op_c');

\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

---------------------------------------------------------- register_card
-- RFC 8032 test key 1 (Ed25519), and generated ECDSA P-256 / RSA-2048 keys
\set ed25519 '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n'
\set p256 '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8xOGOMpp+jFiUJrZBc4HdyEkC3Ca\npR+j07knk1HYXVeK2i+YNpT6+Uwf0xN4qQlo+4Kbw4q/RzinD94NQCs+TQ==\n-----END PUBLIC KEY-----\n'
\set rsa2048 '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvl5hT2/1b1p45TKfPA5Q\n/4g/KzFlJ9K7qGTDI0kUFxvgEgqO3mO0M3HK6N+2hip9CuEHKUkD8vioRiJxkjKM\n0yPSyjhfq0qoOg5SUlBPVHgKuyjGlQ7CzaYCEU+7pWi0FpSVjm8sDFYDqqAuhc/a\n8iDCbkGQE9LtTra6c7IqNbv4dCiXBtnwSy15EXGzww+xYg82BO3lpxFiZWXyUGTE\nIJ5KHyGwdoBcN1BNYFc/rVuqLrQdpUID904Z4hGCsruO0CLp0qhM0oROngCJvUwV\nFb83JdEI3iSDytb2njU7wNFV/IPjcOZR/mwDdgLJZP1LnjPWZkX/gTFo4DKxavqS\n0wIDAQAB\n-----END PUBLIC KEY-----\n'
\set rsa1024 '-----BEGIN PUBLIC KEY-----\nMIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDMyrjRPvoIOqYa1h5n/UbTXsQa\ng8eB6oX2WsvoysT/ti76tzMyEDDbF6mwWJdpFcseq6wkAfzxZEnPtteevrbxw6Wh\njy7w6WIzRv9NjkaGfFgr/Q0W/884HbVp6TpJX9lxzqsJK+XfhmNWS5ls4cBo2HBy\nJQMzdezOKlVMCplsrwIDAQAB\n-----END PUBLIC KEY-----\n'
\set p384 '-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEG8sR244v79AoZBmzrtyn4R8wVl7l82OS\nncjEhrmK7ucsAMO7MJlEdk84k9bDlLTgNUN2WYjm9Ta4dUX9jx6gA89jEft7rG0z\ndJolKo2MjVcvZHpKB7DqYe8agYhkis/A\n-----END PUBLIC KEY-----\n'
-- (psql quotes variables holding backslashes as E'' literals: real newlines instead)
SELECT replace(:'ed25519', '\n', chr(10)) AS ed25519, replace(:'p256', '\n', chr(10)) AS p256,
       replace(:'rsa2048', '\n', chr(10)) AS rsa2048, replace(:'rsa1024', '\n', chr(10)) AS rsa1024,
       replace(:'p384', '\n', chr(10)) AS p384 \gset
\c - regress_manager
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, NULL, %L, current_date + 365)', :op_a, :'ed25519'));
SELECT juki_test.tryn(format('SELECT juki.register_card(-1, ''CARD-X'', %L, current_date + 365)', :'ed25519'));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD X'', %L, current_date + 365)', :op_a, :'ed25519'));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''abc'', %L, current_date + 365)', :op_a, :'ed25519'));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD-A1'', ''not a key'', current_date + 365)', :op_a));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD-A1'', %L, current_date + 365)', :op_a, :'rsa1024'));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD-A1'', %L, current_date + 365)', :op_a, :'p384'));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD-A1'', %L, current_date)', :op_a, :'ed25519'));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD-A1'', %L, (current_date + interval ''10 years 1 day'')::date)', :op_a, :'ed25519'));
-- each supported key type
SELECT juki.register_card(:op_a, 'CARD-A1', :'ed25519', current_date + 365);
SELECT juki.register_card(:op_a, 'CARD-A2', :'p256', (current_date + interval '10 years')::date);
SELECT juki.register_card(:op_b, 'CARD-B1', :'rsa2048', current_date + 1);
-- a serial is registered once
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD-A1'', %L, current_date + 365)', :op_b, :'ed25519'));

------------------------------------------------------------ revoke_card
SELECT juki_test.tryn($$SELECT juki.revoke_card('CARD-A2', NULL)$$);
SELECT juki_test.tryn($$SELECT juki.revoke_card('CARD-A2', ' ')$$);
SELECT juki_test.tryn($$SELECT juki.revoke_card('CARD-NONE', 'lost')$$);
SELECT juki.revoke_card('CARD-A2', 'lost on the bus');
SELECT juki_test.tryn($$SELECT juki.revoke_card('CARD-A2', 'lost')$$);
\c - :su

\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

----------------------------------------------------------- set_password
\c - regress_manager
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, NULL)', :op_a));
SELECT juki_test.tryn($$SELECT juki.set_password(-1, 'Valid-Pass-1')$$);
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, ''Ab1-xyz'')', :op_a));              -- 7 characters
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, ''abcdefgh12'')', :op_a));           -- 2 classes
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, ''ABCDEFGH!!'')', :op_a));           -- 2 classes
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, %L)', :op_a, 'Aa1-' || repeat('x', 69)));  -- 73 bytes
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, %L)', :op_a, 'Aa1' || repeat('あ', 24))); -- 27 characters, 75 bytes
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, ''X1-Regress_Op_A'')', :op_a));      -- the role name
-- 72 bytes exactly; non-ASCII counts as "other": lower + digit + other
SELECT juki.set_password(:op_a, 'Aa1-' || repeat('x', 68));
SELECT juki.set_password(:op_a, 'ぱすわーどabc1');
SELECT juki.set_password(:op_b, 'Hoken-2024!');
\c - :su

-------------------------------------------------------- record_training
\c - regress_manager
SELECT juki_test.tryn(format('SELECT juki.record_training(%s, ''operator'', NULL)', :op_a));
SELECT juki_test.tryn(format('SELECT juki.record_training(%s, ''security'', current_date)', :op_a));
SELECT juki_test.tryn(format('SELECT juki.record_training(%s, ''operator'', current_date + 1)', :op_a));
SELECT juki_test.tryn($$SELECT juki.record_training(-1, 'operator', current_date)$$);
SELECT juki.record_training(:op_a, 'operator', current_date - 30);
SELECT juki.record_training(:op_a, 'administrator', current_date - 10);
SELECT juki.record_training(:op_b, 'operator', current_date - 400);   -- too old to designate
SELECT juki.record_training(:op_c, 'operator', current_date);

-------------------------------------------------------- unlock_operator
SELECT juki_test.tryn('SELECT juki.unlock_operator(NULL)');
SELECT juki_test.tryn('SELECT juki.unlock_operator(-1)');
SELECT juki.unlock_operator(:op_a);
\c - :su

\c - regress_auditor
:showlog;
-- the unlock entry names the operator: the login lockout counts from it
SELECT count(*) AS unlock_entries FROM juki.operation_log
 WHERE seq > :mark AND action = 'unlock_operator' AND outcome = 'granted' AND operator_id = :op_a;
-- no password ever reaches the log
SELECT count(*) AS leaks FROM juki.operation_log
 WHERE seq > :mark AND (detail::text LIKE '%Hoken%' OR detail::text LIKE '%ぱすわーど%' OR detail::text LIKE '%xxxx%');
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

-------------------------------------------------------- retire_operator
\c - regress_manager
SELECT juki.register_card(:op_c, 'CARD-C1', :'ed25519', current_date + 30);
SELECT juki_test.tryn(format('SELECT juki.retire_operator(%s, NULL)', :op_c));
SELECT juki_test.tryn('SELECT juki.retire_operator(-1, ''moved'')');
SELECT juki.retire_operator(:op_c, 'transferred to another office');
-- nothing more for a retired operator
SELECT juki_test.tryn(format('SELECT juki.retire_operator(%s, ''again'')', :op_c));
SELECT juki_test.tryn(format('SELECT juki.register_card(%s, ''CARD-C2'', %L, current_date + 30)', :op_c, :'ed25519'));
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, ''Zeimu-2024!'')', :op_c));
SELECT juki_test.tryn(format('SELECT juki.record_training(%s, ''operator'', current_date)', :op_c));
SELECT juki_test.tryn(format('SELECT juki.unlock_operator(%s)', :op_c));
\c - :su

\c - regress_auditor
:showlog;
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - :su

-------------------------------------------------------------- operators()
-- cards in force, password set, last operator training; the retired
-- operator's card was revoked with them
\c - regress_manager
SELECT role_name, display_name, department, kind, retired_at IS NOT NULL AS retired,
       password_set_at IS NOT NULL AS password_set, cards,
       current_date - last_operator_training AS training_days_ago
  FROM juki.operators() ORDER BY id;
\c - :su
-- not for the superuser, nor for an operator
SELECT juki_test.tryn('SELECT * FROM juki.operators()');
\c - regress_op_a
SELECT juki_test.tryn('SELECT * FROM juki.operators()');
\c - :su
-- juki's tables stay closed to everyone
\c - regress_manager
SELECT juki_test.tryn('SELECT count(*) FROM juki.operator_password');
\c - :su

\c - regress_auditor
:showlog;
\c - :su
