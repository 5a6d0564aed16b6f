-- Objects juki's functions run as the extension's owner are recognised by
-- what they are (issue 13 class 1, the review of every SECURITY DEFINER
-- function and of the C functions that switch to the owner; see
-- doc/DECISIONS.md "Functions with the owner's rights").
\set su :USER
SELECT extnamespace::regnamespace AS pgcrypto_schema FROM pg_extension WHERE extname = 'pgcrypto' \gset
\c - regress_auditor
SELECT max(seq) AS mark FROM juki.operation_log \gset
\c - regress_door_am
SELECT min(id) AS op FROM juki.operators() WHERE retired_at IS NULL AND kind = 'staff' \gset
-- with pgcrypto as installed, passwords are hashed
SELECT juki.set_password(:op, 'Review#Pass2026');
\c - :su

-- A superuser puts a function of their own in the place of pgcrypto's
-- crypt(): it ran as juki's owner inside the door on every login and every
-- set_password, and this one accepts any password (it returns the hash it
-- is given) and would store the bare salt as the "hash".  juki calls only
-- pgcrypto's own C function crypt, so it refuses, and says so.
ALTER FUNCTION :pgcrypto_schema.crypt(text, text) RENAME TO crypt_aside;
CREATE FUNCTION :pgcrypto_schema.crypt(text, text) RETURNS text LANGUAGE sql AS $$ SELECT $2 $$;
\c - regress_door_am
SELECT juki_test.tryn(format('SELECT juki.set_password(%s, %L)', :op, 'Review#Pass2027'));
\c - :su
DROP FUNCTION :pgcrypto_schema.crypt(text, text);
ALTER FUNCTION :pgcrypto_schema.crypt_aside(text, text) RENAME TO crypt;
-- an overload beside pgcrypto's own is not taken for it
CREATE FUNCTION :pgcrypto_schema.gen_salt(varchar) RETURNS text LANGUAGE sql AS $$ SELECT 'not a salt' $$;
\c - regress_door_am
SELECT juki.set_password(:op, 'Review#Pass2028');
\c - :su
DROP FUNCTION :pgcrypto_schema.gen_salt(varchar);
-- the refusal is on record
\c - regress_auditor
SELECT action, outcome, reason FROM juki.operation_log
 WHERE seq > :mark AND action = 'set_password' ORDER BY seq;
\c - :su

-- New objects that juki's own SQL would pick up, inside the door: an
-- overload in pg_catalog that beats the VARIADIC "any" jsonb_build_object
-- every refusal uses, an operator in pg_catalog, a function in schema juki,
-- a cast between built-in types that juki's reports rely on being I/O
-- conversions, a function moved into pg_catalog.  All refused, for the
-- superuser too, and logged.
SET client_min_messages = warning;
SELECT juki_test.tryn($$CREATE FUNCTION pg_catalog.jsonb_build_object(text, text) RETURNS jsonb LANGUAGE sql AS 'SELECT NULL::jsonb'$$);
SELECT juki_test.tryn($$CREATE OPERATOR pg_catalog.=== (LEFTARG = text, RIGHTARG = text, FUNCTION = texteq)$$);
SELECT juki_test.tryn($$CREATE FUNCTION juki._fail(text, text, text, text) RETURNS void LANGUAGE sql AS ''$$);
SELECT juki_test.tryn($$CREATE CAST (text AS integer) WITH FUNCTION pg_catalog.length(text)$$);
CREATE FUNCTION public.regress_mover() RETURNS int LANGUAGE sql AS 'SELECT 1';
SELECT juki_test.tryn($$ALTER FUNCTION public.regress_mover() SET SCHEMA pg_catalog$$);
DROP FUNCTION public.regress_mover();
-- casts between types of one's own stay possible
CREATE TYPE public.regress_t AS (x int);
CREATE FUNCTION public.regress_t_text(public.regress_t) RETURNS text LANGUAGE sql AS 'SELECT ''t''';
SELECT juki_test.tryn($$CREATE CAST (public.regress_t AS text) WITH FUNCTION public.regress_t_text(public.regress_t)$$);
DROP TYPE public.regress_t CASCADE;
RESET client_min_messages;
\c - regress_auditor
SELECT action, outcome, reason, detail->>'command' AS command, detail->>'object' AS object
  FROM juki.operation_log WHERE seq > :mark AND action = 'direct_access' ORDER BY seq;
\c - :su

-- juki's internal readers and hashers serve juki's functions only
SELECT juki_test.tryn($$SELECT * FROM juki._staging_rows('pg_catalog.pg_class')$$);
SELECT juki_test.tryn($$SELECT juki._staging_check('pg_catalog.pg_class')$$);
SELECT juki_test.tryn($$SELECT juki._bcrypt('Review#Pass2029')$$);
