/* ------------------------------------------------------ operator sessions */

CREATE FUNCTION juki.card_challenge(card_serial text) RETURNS bytea
	AS 'MODULE_PATHNAME', 'juki_card_challenge' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.card_challenge(text) IS
	'32 random bytes for the operator IC card to sign; single use, valid 60 s';
CREATE FUNCTION juki.card_login(card_serial text, signature bytea, password text,
								terminal text DEFAULT NULL) RETURNS text
	AS 'MODULE_PATHNAME', 'juki_card_login' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.card_login(text, bytea, text, text) IS
	'Card signature over the challenge + password: an opaque session token; terminal names the 業務端末, recorded in every entry of the session';
CREATE FUNCTION juki.attach(token text, terminal text DEFAULT NULL) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_attach' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.attach(text, text) IS
	'Bind an operator session to the current transaction; terminal names the 業務端末 attaching, recorded in every entry of the transaction instead of the login''s';
CREATE FUNCTION juki.unlock(token text, signature bytea, password text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_unlock' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.unlock(text, bytea, text) IS 'Unlock an idle-locked session (new challenge)';
CREATE FUNCTION juki.logout(token text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_logout' LANGUAGE C VOLATILE;
CREATE FUNCTION juki.whoami(OUT db_role text, OUT session_id bigint, OUT operator_id bigint,
							OUT card_serial text, OUT display_name text, OUT department text,
							OUT kind text, OUT logged_in_at timestamptz)
	AS 'MODULE_PATHNAME', 'juki_whoami' LANGUAGE C VOLATILE;
