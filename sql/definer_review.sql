-- Objects juki's functions run as the extension's owner are recognised by
-- what they are (issue 13 class 1, the review of every SECURITY DEFINER
-- function and of the C functions that switch to the owner; see
-- doc/DECISIONS.md "Functions with the owner's rights").
SELECT extnamespace::regnamespace AS pgcrypto_schema FROM pg_extension WHERE extname = 'pgcrypto' \gset
SET ROLE regress_auditor;
SELECT max(seq) AS mark FROM juki.operation_log \gset
RESET ROLE;
SET ROLE regress_door_am;
SELECT min(id) AS op FROM juki.operators() WHERE retired_at IS NULL AND kind = 'staff' \gset
-- with pgcrypto as installed, passwords are hashed
SELECT juki.set_password(:op, 'Review#Pass2026');
RESET ROLE;

-- A superuser puts a function of their own in the place of pgcrypto's
-- crypt(): it ran as juki's owner inside the door on every login and every
-- set_password, and this one accepts any password (it returns the hash it
-- is given) and would store the bare salt as the "hash".  juki calls only
-- pgcrypto's own C function crypt, so it refuses, and says so.
ALTER FUNCTION :pgcrypto_schema.crypt(text, text) RENAME TO crypt_aside;
CREATE FUNCTION :pgcrypto_schema.crypt(text, text) RETURNS text LANGUAGE sql AS $$ SELECT $2 $$;
SET ROLE regress_door_am;
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, %L)', :op, 'Review#Pass2027'));
RESET ROLE;
DROP FUNCTION :pgcrypto_schema.crypt(text, text);
ALTER FUNCTION :pgcrypto_schema.crypt_aside(text, text) RENAME TO crypt;
-- an overload beside pgcrypto's own is not taken for it
CREATE FUNCTION :pgcrypto_schema.gen_salt(varchar) RETURNS text LANGUAGE sql AS $$ SELECT 'not a salt' $$;
SET ROLE regress_door_am;
SELECT juki.set_password(:op, 'Review#Pass2028');
RESET ROLE;
DROP FUNCTION :pgcrypto_schema.gen_salt(varchar);
-- the refusal is on record
SET ROLE regress_auditor;
SELECT action, outcome, reason FROM juki.operation_log
 WHERE seq > :mark AND action = 'set_password' ORDER BY seq;
RESET ROLE;
