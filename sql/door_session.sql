-- The door, part 2: operator sessions (DESIGN §6).  IC-card login with each
-- key type, refusals with their reasons, lockout, idle lock, attach rules.
\set su :USER
SELECT last_seq AS seq0 FROM juki.status() \gset

-- a login with each of the three card key types
\c - regress_op_ed
\set card CARD-ED-1
\set key keys/card_ed25519.pem
\set pw Madoguchi#2026
\i login.psql
SELECT length(:'token') AS token_length;
BEGIN;
SELECT juki.attach(:'token');
SELECT db_role, card_serial, display_name, department, kind FROM juki.whoami();
COMMIT;
SELECT juki.logout(:'token');
\c - :su

\c - regress_op_p256
\set card CARD-P256-1
\set key keys/card_p256.pem
\i login.psql
BEGIN;
SELECT juki.attach(:'token');
SELECT db_role, card_serial FROM juki.whoami();
COMMIT;
\c - :su

\c - regress_op_rsa
\set card CARD-RSA-1
\set key keys/card_rsa.pem
\set pw Hoken-Nenkin-77
\i login.psql
BEGIN;
SELECT juki.attach(:'token');
SELECT db_role, card_serial FROM juki.whoami();
COMMIT;
\set rsa_token :token
\c - :su

-- a session is bound to one transaction: the next one starts anonymous
\c - regress_op_rsa
SELECT db_role, session_id IS NULL AS no_session FROM juki.whoami();
-- another operator's token is refused; a terminal application may attach it
\c - regress_op_ed
SELECT juki_test.try(format('SELECT juki.attach(%L)', :'rsa_token'));
-- nor may anyone else log it out
SELECT juki_test.try(format('SELECT juki.logout(%L)', :'rsa_token'));
\c - regress_terminal
BEGIN;
SELECT juki.attach(:'rsa_token');
SELECT db_role, card_serial FROM juki.whoami();
COMMIT;
-- a pooled connection never inherits the previous transaction's operator
SELECT db_role, session_id IS NULL AS no_session FROM juki.whoami();
\c - :su

-- the counter terminal (業務端末) attaching is named in every entry of its
-- transaction (issue 19): this session logged in without one; a pooled
-- application attaches it from madoguchi-07, then without a terminal (the
-- login's, none); a bad terminal id is refused as card_login refuses it
\c - regress_auditor
SELECT max(seq) AS term_mark FROM juki.operation_log \gset
\c - regress_terminal
BEGIN;
SELECT juki.attach(:'rsa_token', 'madoguchi-07');
SELECT juki_test.try($$SELECT * FROM juki.lookup('no_such_purpose', '123456789012')$$);
COMMIT;
BEGIN;
SELECT juki.attach(:'rsa_token');
SELECT juki_test.try($$SELECT * FROM juki.lookup('no_such_purpose', '123456789012')$$);
COMMIT;
SELECT juki_test.try(format('SELECT juki.attach(%L, %L)', :'rsa_token', E'bad\tterminal'));
SELECT juki_test.try(format('SELECT juki.attach(%L, %L)', :'rsa_token', ''));
\c - regress_auditor
SELECT action, outcome, reason, terminal, session_id IS NOT NULL AS in_session
  FROM juki.operation_log WHERE seq > :term_mark AND action <> 'log_read' ORDER BY seq;
\c - :su

-- bad signature: the log says why, the client only that it failed
\c - regress_op_ed
SELECT encode(juki.card_challenge('CARD-ED-1'), 'hex') AS chal \gset
\set sig `./sign_challenge.sh keys/card_p256.pem :chal`
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', 'CARD-ED-1', :'sig', 'Madoguchi#2026'));
-- the challenge was used up by that attempt
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', 'CARD-ED-1', :'sig', 'Madoguchi#2026'));
-- unknown card, malformed serial, NULLs
SELECT juki_test.try('SELECT juki.card_challenge(''CARD-NONE-9'')');
SELECT juki_test.try('SELECT juki.card_challenge(''bad serial!'')');
SELECT juki_test.try('SELECT juki.card_challenge(NULL)');
SELECT juki_test.try('SELECT juki.card_login(NULL, NULL, NULL)');
SELECT juki_test.try('SELECT juki.attach(''not-a-token'')');
SELECT juki_test.try('SELECT juki.attach(NULL)');
-- a challenge for someone else's card is harmless: only that card can sign it
SELECT juki_test.try('SELECT juki.card_challenge(''CARD-RSA-1'')');
\c - :su

-- wrong passwords lock the operator after juki.max_login_failures (5)
\c - regress_op_new
\set card CARD-NEW-1
\set key keys/card_ed25519.pem
\set pw wrong-password
SELECT encode(juki.card_challenge(:'card'), 'hex') AS chal \gset
\set sig `./sign_challenge.sh :key :chal`
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', :'card', :'sig', :'pw'));
SELECT encode(juki.card_challenge(:'card'), 'hex') AS chal \gset
\set sig `./sign_challenge.sh :key :chal`
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', :'card', :'sig', :'pw'));
SELECT encode(juki.card_challenge(:'card'), 'hex') AS chal \gset
\set sig `./sign_challenge.sh :key :chal`
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', :'card', :'sig', :'pw'));
SELECT encode(juki.card_challenge(:'card'), 'hex') AS chal \gset
\set sig `./sign_challenge.sh :key :chal`
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', :'card', :'sig', :'pw'));
SELECT encode(juki.card_challenge(:'card'), 'hex') AS chal \gset
\set sig `./sign_challenge.sh :key :chal`
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', :'card', :'sig', :'pw'));
-- now even the right card and password are refused
\set pw Shinjin!2026x
SELECT encode(juki.card_challenge(:'card'), 'hex') AS chal \gset
\set sig `./sign_challenge.sh :key :chal`
SELECT juki_test.try(format('SELECT juki.card_login(%L, decode(%L, ''hex''), %L)', :'card', :'sig', :'pw'));
\c - :su
-- the access manager unlocks; the operator logs in again
\c - regress_door_am
SELECT juki.unlock_operator(id) FROM juki.operators() WHERE role_name = 'regress_op_new';
\c - regress_op_new
\i login.psql
SELECT length(:'token') AS token_length;
SELECT juki.logout(:'token');
-- a logged-out token is gone
SELECT juki_test.try(format('SELECT juki.attach(%L)', :'token'));
\c - :su

-- roles that are not operators cannot even ask for a challenge
\c - regress_auditor
SELECT juki_test.try('SELECT juki.card_challenge(''CARD-ED-1'')');
\c - :su
-- a superuser is not an operator either
SELECT juki_test.try('SELECT juki.card_challenge(''CARD-ED-1'')');

-- the log: every step, with the precise reason of each failure
\c - regress_auditor
SELECT action, outcome, reason, card_serial, operator_id IS NOT NULL AS names_operator
  FROM juki.operation_log WHERE seq > :seq0
   AND action IN ('card_challenge', 'card_login', 'attach', 'logout', 'unlock_operator', 'operator_lock')
 ORDER BY seq;
\c - :su
