/*
 * juki install script (the newest version), assembled from extension/parts/.
 *
 * Released versions are frozen in extension/juki--<version>.sql; every change
 * made here after a release is also written into the upgrade script.
 *
 * Every table here is protected by juki's guard once juki is preloaded: only
 * functions of this extension, the audit writer and this script touch them.
 * Each table's COMMENT names the term of the town's regulation
 * (七ケ宿町 住基ネット 本人確認情報の管理に関する事務取扱要領) it implements.
 */
\echo Use "CREATE EXTENSION juki CASCADE" to load this file. \quit

DO $install_check$
BEGIN
	IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
		RAISE EXCEPTION 'juki needs a UTF8 database, this one is %', pg_catalog.getdatabaseencoding()
			USING ERRCODE = '55000',
			      HINT = 'Create the database with ENCODING ''UTF8'' (names and addresses are Japanese text).';
	END IF;
END
$install_check$;

/*
 * Roles (DESIGN §4).  Group roles, NOLOGIN; a DBA grants them to login
 * roles.  They are cluster-wide and outlive the extension, so create them
 * only if missing, and refuse an existing one that could log in or bypass
 * checks: someone may have prepared it in advance.
 */
DO $roles$
DECLARE
	r text;
	bad text;
BEGIN
	FOREACH r IN ARRAY ARRAY['juki_chief_security_officer', 'juki_system_administrator',
							 'juki_security_officer', 'juki_access_manager', 'juki_operator',
							 'juki_contractor_operator', 'juki_auditor', 'juki_registrar',
							 'juki_terminal']
	LOOP
		SELECT rolname INTO bad FROM pg_catalog.pg_roles
		 WHERE rolname = r AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb
								OR rolreplication OR rolbypassrls);
		IF bad IS NOT NULL THEN
			RAISE EXCEPTION 'role % exists with LOGIN or administrative attributes', bad
				USING ERRCODE = '42501',
				      HINT = 'juki''s group roles must be NOLOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS.';
		END IF;
		IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$roles$;

COMMENT ON SCHEMA juki IS '住基ネット 本人確認情報: resident identity information and its handling rules';

/* ------------------------------------------------------------------ codes */

CREATE FUNCTION juki.is_valid_resident_code(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'juki_is_valid_resident_code'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION juki.is_valid_resident_code(text) IS
	'住民票コード: 11 ASCII digits (check digit only when juki.check_resident_code_digit is on)';

CREATE FUNCTION juki.is_valid_individual_number(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'juki_is_valid_individual_number'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION juki.is_valid_individual_number(text) IS
	'個人番号: 12 ASCII digits, check digit per 総務省令第85号 第5条';

CREATE FUNCTION juki.is_valid_municipality_code(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'juki_is_valid_municipality_code'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION juki.is_valid_municipality_code(text) IS
	'地方公共団体コード: 5 digits and their check digit';

-- Domain checks raise 22023 with a hint instead of a bare check violation.
CREATE FUNCTION juki.check_resident_code(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'juki_check_resident_code'
	LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION juki.check_individual_number(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'juki_check_individual_number'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION juki.check_municipality_code(text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'juki_check_municipality_code'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE DOMAIN juki.resident_code AS text CHECK (juki.check_resident_code(VALUE));
COMMENT ON DOMAIN juki.resident_code IS '住民票コード';
CREATE DOMAIN juki.individual_number AS text CHECK (juki.check_individual_number(VALUE));
COMMENT ON DOMAIN juki.individual_number IS '個人番号';
CREATE DOMAIN juki.municipality_code AS text CHECK (juki.check_municipality_code(VALUE));
COMMENT ON DOMAIN juki.municipality_code IS '地方公共団体コード';

/* ----------------------------------------------------------- residents */

CREATE TABLE juki.resident (
	resident_code      juki.resident_code PRIMARY KEY,
	individual_number  juki.individual_number NOT NULL UNIQUE,
	full_name          text NOT NULL CHECK (full_name <> '' AND length(full_name) <= 100),
	full_name_kana     text NOT NULL CHECK (full_name_kana <> '' AND length(full_name_kana) <= 200),
	former_surname     text CHECK (length(former_surname) <= 50),
	alias_name         text CHECK (length(alias_name) <= 100),
	birth_date         date NOT NULL CHECK (birth_date >= DATE '1850-01-01'),
	sex                char(1) NOT NULL CHECK (sex IN ('0', '1', '2', '9')),
	address            text NOT NULL CHECK (address <> '' AND length(address) <= 300),
	municipality_code  juki.municipality_code NOT NULL,
	change_reason      text NOT NULL CHECK (change_reason IN
						 ('initial_registration', 'birth', 'move_in', 'move_within', 'move_out',
						  'death', 'ex_officio_correction', 'resident_code_change', 'other')),
	change_date        date NOT NULL CHECK (change_date >= birth_date),
	status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
	updated_at         timestamptz NOT NULL DEFAULT pg_catalog.now()
);
-- No planner statistics of personal data: pg_statistic (readable by
-- superusers) would otherwise hold the commonest names, addresses and
-- birth dates of the town.  Lookups go by primary key and need none.
ALTER TABLE juki.resident
	ALTER COLUMN resident_code SET STATISTICS 0, ALTER COLUMN individual_number SET STATISTICS 0, ALTER COLUMN full_name SET STATISTICS 0,
	ALTER COLUMN full_name_kana SET STATISTICS 0, ALTER COLUMN former_surname SET STATISTICS 0,
	ALTER COLUMN alias_name SET STATISTICS 0, ALTER COLUMN birth_date SET STATISTICS 0,
	ALTER COLUMN sex SET STATISTICS 0, ALTER COLUMN address SET STATISTICS 0,
	ALTER COLUMN change_reason SET STATISTICS 0, ALTER COLUMN change_date SET STATISTICS 0;
COMMENT ON TABLE juki.resident IS
	'本人確認情報: 氏名・生年月日・男女の別・住所・住民票コード・個人番号 and 変更情報 (異動事由・異動年月日); status removed = 消除';

CREATE TABLE juki.support_measure (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	resident_code  juki.resident_code NOT NULL REFERENCES juki.resident,
	starts_on      date NOT NULL,
	ends_on        date NOT NULL,
	note           text,
	registered_by  text NOT NULL DEFAULT session_user,
	registered_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK (ends_on >= starts_on AND ends_on < starts_on + interval '1 year')
);
CREATE INDEX ON juki.support_measure (resident_code, ends_on);
COMMENT ON TABLE juki.support_measure IS
	'DV等支援措置: protection of victims of DV, stalking, abuse; at most one year, renewable by a new row';

/* ------------------------------------------------------------ purposes */

/*
 * 利用事務.  Versioned: a change inserts a new version, so the log can be
 * read against the rules in force at the time, and pg_dump keeps every
 * non-seed version while the install script re-creates the seeds.
 * Field letters of PURPOSES.md: N full_name (+ kana, former surname, alias),
 * B birth_date, S sex, A address (+ municipality code), C resident_code,
 * M individual_number, H change_reason and change_date.
 */
CREATE TABLE juki.purpose (
	code              text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,62}$'),
	version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
	title             text NOT NULL CHECK (title <> ''),
	legal_basis       text NOT NULL CHECK (legal_basis <> ''),
	department        text NOT NULL CHECK (department <> ''),
	disclosed_fields  text[] NOT NULL CHECK (disclosed_fields <@ ARRAY[
						'resident_code', 'individual_number', 'full_name', 'full_name_kana',
						'former_surname', 'alias_name', 'birth_date', 'sex', 'address',
						'municipality_code', 'change_reason', 'change_date']::text[]),
	-- each element one allowed combination of criteria, names sorted and joined by '+'
	search_keys       text[] NOT NULL CHECK (pg_catalog.cardinality(search_keys) >= 1),
	max_rows          integer CHECK (max_rows BETWEEN 1 AND 1000),
	allows_forms      boolean NOT NULL DEFAULT false,
	allows_removed    boolean NOT NULL DEFAULT false,
	allows_bulk       boolean NOT NULL DEFAULT false,
	allows_support_measure boolean NOT NULL DEFAULT false,
	requires_named_permit boolean NOT NULL DEFAULT false,
	aggregates_only   boolean NOT NULL DEFAULT false,
	min_age           integer CHECK (min_age BETWEEN 0 AND 150),
	active            boolean NOT NULL DEFAULT true,
	seeded            boolean NOT NULL DEFAULT false,
	defined_by        text NOT NULL DEFAULT session_user,
	defined_at        timestamptz NOT NULL DEFAULT pg_catalog.now(),
	-- volume ceilings (added in 1.1, hence last); NULL: the server's setting
	statement_rows    integer CHECK (statement_rows BETWEEN 1 AND 100000000),
	window_rows       integer CHECK (window_rows BETWEEN 1 AND 100000000),
	PRIMARY KEY (code, version),
	-- a bulk purpose takes its row allowance from the permit, others from max_rows
	CHECK (allows_bulk OR max_rows IS NOT NULL)
);
COMMENT ON TABLE juki.purpose IS
	'利用事務: lawful business purposes; decide fields, criteria, row limits, forms (帳票); one row per version';
COMMENT ON COLUMN juki.purpose.statement_rows IS
	'residents one statement may disclose without a bulk permit; NULL: juki.statement_rows (never below max_rows)';
COMMENT ON COLUMN juki.purpose.window_rows IS
	'residents one operator may disclose in juki.volume_window without a bulk permit; NULL: juki.window_rows';

/* Operating hours (運用計画 運用時間), append-only: the newest row for a
 * (purpose, weekday) wins; purpose NULL is the default for all purposes. */
CREATE TABLE juki.operating_hours (
	id          bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
	purpose     text CHECK (purpose ~ '^[a-z][a-z0-9_]{1,62}$'),
	weekday     integer NOT NULL CHECK (weekday BETWEEN 0 AND 6),
	opens       time,
	closes      time,
	seeded      boolean NOT NULL DEFAULT false,
	defined_by  text NOT NULL DEFAULT session_user,
	defined_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
	-- both NULL: closed that day
	CHECK ((opens IS NULL) = (closes IS NULL) AND (opens IS NULL OR closes > opens))
);
CREATE INDEX ON juki.operating_hours (purpose, weekday, id);
COMMENT ON TABLE juki.operating_hours IS
	'オペレーション計画 運用計画: operating hours per purpose and weekday (0 = Sunday), in juki.timezone';

/* ----------------------------------------------------------- operators */

CREATE TABLE juki.contractor (
	id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name                   text NOT NULL UNIQUE CHECK (name <> ''),
	address                text,
	committee_reviewed_on  date,
	approved_by            text,
	approved_at            timestamptz,
	registered_by          text NOT NULL DEFAULT session_user,
	registered_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK ((approved_by IS NULL) = (approved_at IS NULL))
);
COMMENT ON TABLE juki.contractor IS
	'委託事業者: a contractor, approved by the chief after the セキュリティ会議 review; 再委託 (subcontracting) is refused';

CREATE TABLE juki.contractor_vetting (
	contractor_id  bigint NOT NULL REFERENCES juki.contractor,
	item           text NOT NULL CHECK (item IN
					 ('financial_soundness', 'stability', 'business_scale', 'business_area',
					  'technical_skill', 'training_system', 'privacy_measures', 'security_measures',
					  'liability_capacity', 'scandals')),
	satisfactory   boolean NOT NULL,
	finding        text NOT NULL CHECK (finding <> ''),
	evidence       text NOT NULL CHECK (evidence <> ''),
	checked_by     text NOT NULL,
	checked_on     date NOT NULL,
	PRIMARY KEY (contractor_id, item)
);
COMMENT ON TABLE juki.contractor_vetting IS
	'事前調査 (経営の健全性・安定度・営業規模・営業地域), 業務完遂能力 (技術力・教育体制・個人情報保護措置・セキュリティ対策), 損害賠償能力・不祥事の有無';

CREATE TABLE juki.contract (
	id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contractor_id       bigint NOT NULL REFERENCES juki.contractor,
	scope               text NOT NULL CHECK (scope <> ''),
	purposes            text[] NOT NULL CHECK (pg_catalog.cardinality(purposes) >= 1),
	starts_on           date NOT NULL,
	ends_on             date NOT NULL CHECK (ends_on >= starts_on),
	max_handlers        integer NOT NULL CHECK (max_handlers BETWEEN 1 AND 100),
	pledge_received_on  date,
	approved_by         text,
	approved_at         timestamptz,
	registered_by       text NOT NULL DEFAULT session_user,
	registered_at       timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE juki.contract IS
	'委託契約: scope, purposes, period, handler limit, 誓約書 (pledge); no subcontracting column: 再委託 is refused';

CREATE TABLE juki.operator (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	role_name      name NOT NULL UNIQUE,
	display_name   text NOT NULL CHECK (display_name <> ''),
	department     text NOT NULL CHECK (department <> ''),
	kind           text NOT NULL DEFAULT 'staff' CHECK (kind IN ('staff', 'contractor')),
	contract_id    bigint REFERENCES juki.contract,
	failed_logins  integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked         boolean NOT NULL DEFAULT false,
	locked_at      timestamptz,
	created_by     text NOT NULL DEFAULT session_user,
	created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
	retired_at     timestamptz,
	CHECK ((kind = 'contractor') = (contract_id IS NOT NULL))
);
COMMENT ON TABLE juki.operator IS '操作者: staff (or a contractor''s handler) allowed to operate terminals';

/* Security officers per department (セキュリティ責任者 は各業務担当課に置く). */
CREATE TABLE juki.department_officer (
	role_name     name NOT NULL,
	department    text NOT NULL CHECK (department <> ''),
	appointed_by  text NOT NULL DEFAULT session_user,
	appointed_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
	retired_at    timestamptz,
	PRIMARY KEY (role_name, department)
);
COMMENT ON TABLE juki.department_officer IS 'セキュリティ責任者: the department each security officer answers for';

CREATE TABLE juki.operator_card (
	card_serial     text PRIMARY KEY CHECK (card_serial ~ '^[A-Za-z0-9-]{4,64}$'),
	operator_id     bigint NOT NULL REFERENCES juki.operator,
	public_key_pem  text NOT NULL,
	key_type        text NOT NULL CHECK (key_type IN ('ed25519', 'ecdsa_p256', 'rsa2048')),
	valid_from      date NOT NULL DEFAULT CURRENT_DATE,
	valid_until     date NOT NULL,
	revoked_at      timestamptz,
	revoked_reason  text,
	registered_by   text NOT NULL DEFAULT session_user,
	registered_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK (valid_until >= valid_from)
);
CREATE INDEX ON juki.operator_card (operator_id);
COMMENT ON TABLE juki.operator_card IS '操作者用ICカード: the card whose key signs the login challenge';

CREATE TABLE juki.operator_password (
	operator_id  bigint PRIMARY KEY REFERENCES juki.operator,
	hash         text NOT NULL,
	set_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
	set_by       text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE juki.operator_password IS 'パスワード: pgcrypto crypt() hash (bf); expires after juki.password_max_age';

CREATE TABLE juki.training (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	operator_id   bigint NOT NULL REFERENCES juki.operator,
	course        text NOT NULL CHECK (course IN ('operator', 'administrator')),
	completed_on  date NOT NULL,
	recorded_by   text NOT NULL DEFAULT session_user,
	recorded_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX ON juki.training (operator_id, course, completed_on);
COMMENT ON TABLE juki.training IS '研修: 操作者 and 管理者 courses; designation needs operator training within 12 months';

CREATE TABLE juki.designation (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	operator_id    bigint NOT NULL REFERENCES juki.operator,
	purposes       text[] NOT NULL CHECK (pg_catalog.cardinality(purposes) >= 1),
	department     text NOT NULL,
	designated_by  text NOT NULL,
	valid_from     date NOT NULL DEFAULT CURRENT_DATE,
	valid_until    date NOT NULL,
	note           text,
	revoked_at     timestamptz,
	revoked_by     text,
	revoke_reason  text,
	created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CHECK (valid_until >= valid_from)
);
CREATE INDEX ON juki.designation (operator_id);
COMMENT ON TABLE juki.designation IS '指名: standing designation of an operator for purposes, by a security officer';

CREATE TABLE juki.contract_handler (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contract_id    bigint NOT NULL REFERENCES juki.contract,
	operator_id    bigint NOT NULL REFERENCES juki.operator,
	designated_by  text NOT NULL,
	valid_from     date NOT NULL,
	valid_until    date NOT NULL CHECK (valid_until >= valid_from),
	revoked_at     timestamptz,
	created_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE juki.contract_handler IS '委託の都度の指定: per-contract designation of a contractor''s handler, within max_handlers';

CREATE TABLE juki.access_permit (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	operator_id      bigint NOT NULL REFERENCES juki.operator,
	purpose          text NOT NULL,
	reason           text NOT NULL CHECK (reason <> ''),
	valid_from       timestamptz NOT NULL DEFAULT pg_catalog.now(),
	valid_until      timestamptz NOT NULL,
	residents        text[],
	bulk_rows        integer CHECK (bulk_rows BETWEEN 1 AND 10000000),
	off_hours        boolean NOT NULL DEFAULT false,
	requested_by     text NOT NULL,
	requested_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
	decided_by       text,
	decided_at       timestamptz,
	decision_reason  text,
	status           text NOT NULL DEFAULT 'pending'
					 CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'used')),
	CHECK (valid_until > valid_from)
);
CREATE INDEX ON juki.access_permit (operator_id, purpose, status);
COMMENT ON TABLE juki.access_permit IS '許可: permission for a handling, requested by the operator, decided by a security officer';

/* ----------------------------------------------------------------- forms */

CREATE TABLE juki.printed_form (
	serial               text PRIMARY KEY,
	form_type            text NOT NULL CHECK (form_type <> ''),
	purpose              text NOT NULL,
	operator_id          bigint NOT NULL REFERENCES juki.operator,
	residents            text[] NOT NULL,
	fields               text[] NOT NULL,
	printed_at           timestamptz NOT NULL DEFAULT pg_catalog.now(),
	status               text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'filed', 'destroyed')),
	filed_at             timestamptz,
	destroyed_by         text,
	destroyed_at         timestamptz,
	destroy_method       text,
	destroy_approved_by  text
);
COMMENT ON TABLE juki.printed_form IS '帳票: ledger of printed output holding identity information: issued, filed, destroyed';

/* ------------------------------------------------------- operation log */

CREATE TABLE juki.operation_log (
	seq          bigint PRIMARY KEY CHECK (seq >= 0),
	ts           timestamptz NOT NULL,
	db_role      text,
	operator_id  bigint,
	session_id   bigint,
	card_serial  text,
	client_addr  text,
	backend_pid  integer,
	action       text NOT NULL,
	purpose      text,
	permit_id    bigint,
	outcome      text NOT NULL CHECK (outcome IN ('granted', 'denied', 'error')),
	reason       text,
	subjects     text[],
	fields       text[],
	criteria     jsonb,
	row_count    bigint,
	detail       jsonb,
	prev_hash    bytea NOT NULL CHECK (pg_catalog.length(prev_hash) = 32),
	hash         bytea NOT NULL CHECK (pg_catalog.length(hash) = 32),
	-- added in 1.1 (columns are appended, as ALTER TABLE ADD COLUMN does)
	login_role   text,
	terminal     text
);
-- Lockout counts consecutive failed logins from the durable log; bulk
-- permits are single-use by the log: both must survive the caller's rollback.
-- Both indexes are partial so that the common entry (a lookup) adds no
-- index entry but the primary key's.
CREATE INDEX operation_log_login_idx ON juki.operation_log (operator_id, seq)
	WHERE action IN ('card_login', 'unlock', 'unlock_operator');
CREATE INDEX operation_log_bulk_idx ON juki.operation_log (permit_id)
	WHERE permit_id IS NOT NULL AND detail ? 'bulk_rows';
-- The audit writer looks up the log's timeline and recorded lost ranges at
-- every start and before signing (src/log/continuity.c): rare entries.
CREATE INDEX operation_log_continuity_idx ON juki.operation_log (seq)
	WHERE action IN ('promotion', 'restore', 'timeline');
COMMENT ON TABLE juki.operation_log IS
	'操作履歴: every decision, SHA-256 hash-chained; written only by the audit writer, kept 7 years';
COMMENT ON COLUMN juki.operation_log.login_role IS
	'the authenticated login role; db_role is the role in effect (log format 1.1: in the canonical form only when not NULL)';
COMMENT ON COLUMN juki.operation_log.terminal IS
	'業務端末: the counter terminal the operator logged in at (juki.card_login''s terminal; log format 1.1: in the canonical form only when not NULL)';

ALTER TABLE juki.operation_log
	ALTER COLUMN subjects SET STATISTICS 0, ALTER COLUMN criteria SET STATISTICS 0,
	ALTER COLUMN detail SET STATISTICS 0;
ALTER TABLE juki.support_measure
	ALTER COLUMN resident_code SET STATISTICS 0, ALTER COLUMN note SET STATISTICS 0;

CREATE TABLE juki.audit_checkpoint (
	seq        bigint PRIMARY KEY,
	hash       bytea NOT NULL,
	ts         timestamptz NOT NULL,
	origin     text NOT NULL,
	key_id     text NOT NULL,
	signature  bytea NOT NULL,
	line       text NOT NULL
);
COMMENT ON TABLE juki.audit_checkpoint IS '操作履歴 checkpoints: Ed25519-signed (origin, seq, hash, ts)';

CREATE TABLE juki.audit_export (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	from_seq        bigint NOT NULL,
	to_seq          bigint NOT NULL CHECK (to_seq >= from_seq),
	checkpoint_seq  bigint NOT NULL,
	digest          bytea NOT NULL,
	exported_by     text NOT NULL,
	exported_at     timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE juki.audit_export IS '操作履歴のバックアップ: receipts of exports to external media (記録媒体)';

/* Singleton state: 作動停止 (emergency stop), chain origin, purge anchor. */
CREATE TABLE juki.state (
	singleton            boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	emergency_stop       boolean NOT NULL DEFAULT false,
	stop_reason          text,
	stopped_by           text,
	stopped_since        timestamptz,
	retention_years      integer NOT NULL DEFAULT 7 CHECK (retention_years >= 7),
	chain_origin         bytea CHECK (pg_catalog.length(chain_origin) = 32),
	purged_through_seq   bigint,
	purged_through_hash  bytea
);
INSERT INTO juki.state DEFAULT VALUES;
COMMENT ON TABLE juki.state IS '作動停止 state, the highest retention ever configured, and the purge anchor';

/* ---------------------------------------------------------------- seeds */

-- PURPOSES.md.  Search-key combinations: names sorted, joined by '+'.
INSERT INTO juki.purpose (code, title, legal_basis, department, disclosed_fields, search_keys,
						  max_rows, allows_forms, allows_removed, allows_bulk,
						  allows_support_measure, requires_named_permit, aggregates_only, min_age, seeded)
VALUES
 ('wide_area_copy_issuance', '住民票の写しの広域交付', '住民基本台帳法第12条の4', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,resident_code}',
  '{resident_code,birth_date+full_name}', 5, true, false, false, false, false, false, NULL, true),
 ('move_in', '転入届 (特例転入を含む)', '住民基本台帳法第22条・第24条の2', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,resident_code,individual_number,change_reason,change_date}',
  '{resident_code,birth_date+full_name}', 5, false, true, false, true, false, false, NULL, true),
 ('move_out', '転出届・転出証明書', '住民基本台帳法第24条', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,resident_code,individual_number,change_reason,change_date}',
  '{resident_code,birth_date+full_name}', 5, true, true, false, true, false, false, NULL, true),
 ('move_within', '転居届', '住民基本台帳法第23条', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,address,municipality_code,resident_code,change_reason,change_date}',
  '{resident_code,birth_date+full_name}', 5, false, false, false, true, false, false, NULL, true),
 ('birth_death_entry', '出生・死亡等の記載・消除', '住民基本台帳法第8条', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,resident_code,individual_number,change_reason,change_date}',
  '{resident_code,birth_date+full_name}', 5, false, true, false, true, false, false, NULL, true),
 ('ex_officio_correction', '職権修正', '住民基本台帳法施行令第12条', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,resident_code,individual_number,change_reason,change_date}',
  '{resident_code}', 1, false, true, false, true, true, false, NULL, true),
 ('resident_code_change', '住民票コードの記載・変更', '住民基本台帳法第30条の3・第30条の4', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,address,municipality_code,resident_code}',
  '{resident_code}', 1, false, false, false, true, false, false, NULL, true),
 ('individual_number_card', '個人番号カードの交付', '行政手続における特定の個人を識別するための番号の利用等に関する法律第16条の2', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,resident_code,individual_number}',
  '{resident_code,individual_number}', 5, true, false, false, true, false, false, NULL, true),
 ('national_health_insurance', '国民健康保険の資格', '国民健康保険法・住民基本台帳法第7条第10号', '保険年金課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,change_reason,change_date}',
  '{address+birth_date+full_name}', 10, false, true, false, true, false, false, NULL, true),
 ('late_elderly_medical', '後期高齢者医療の資格', '高齢者の医療の確保に関する法律', '保険年金課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,change_reason,change_date}',
  '{birth_date+full_name}', 10, false, true, false, true, false, false, NULL, true),
 ('long_term_care_insurance', '介護保険の資格', '介護保険法・住民基本台帳法第7条第10号の2', '介護福祉課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,change_reason,change_date}',
  '{birth_date+full_name}', 10, false, true, false, true, false, false, NULL, true),
 ('national_pension', '国民年金の資格', '国民年金法・住民基本台帳法第7条第11号', '保険年金課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,change_reason,change_date}',
  '{birth_date+full_name}', 10, false, true, false, true, false, false, NULL, true),
 ('resident_tax', '個人住民税の賦課', '地方税法第294条', '税務課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,address,municipality_code,change_reason,change_date}',
  '{address+full_name}', 10, false, true, false, true, false, false, NULL, true),
 ('child_allowance', '児童手当の受給資格', '児童手当法', '子育て支援課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,address,municipality_code,change_reason,change_date}',
  '{birth_date+full_name}', 10, false, false, false, true, false, false, NULL, true),
 ('electoral_register', '選挙人名簿の登録', '公職選挙法第21条', '選挙管理委員会',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,change_reason,change_date}',
  '{address_prefix}', NULL, true, true, true, false, false, false, 18, true),
 ('school_age_register', '学齢簿の編製', '学校教育法施行令第1条', '教育委員会',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code}',
  '{birth_date_from+birth_date_to}', NULL, true, false, true, false, false, false, NULL, true),
 ('public_assistance', '生活保護', '生活保護法', '福祉課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code,change_reason,change_date}',
  '{birth_date+full_name}', 10, false, false, false, true, false, false, NULL, true),
 ('vaccination', '予防接種の対象者', '予防接種法', '健康推進課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,address,municipality_code}',
  '{birth_date_from+birth_date_to}', NULL, false, false, true, false, false, false, NULL, true),
 ('seal_registration', '印鑑登録・証明', '七ヶ宿町印鑑条例', '住民課',
  '{full_name,full_name_kana,former_surname,alias_name,birth_date,sex,address,municipality_code}',
  '{birth_date+full_name}', 5, true, false, false, false, false, false, NULL, true),
 ('population_statistics', '人口・世帯数統計', '統計法', '企画課',
  '{birth_date,sex,address,municipality_code}',
  '{address_prefix}', NULL, false, false, true, false, false, true, NULL, true);

-- Default operating hours: Monday to Friday 08:30-17:15 (Saturday, Sunday closed).
INSERT INTO juki.operating_hours (purpose, weekday, opens, closes, seeded)
SELECT NULL, d, TIME '08:30', TIME '17:15', true FROM pg_catalog.generate_series(1, 5) AS d;

-- pg_dump keeps what was configured after installation; the seeds come back
-- from this script.  Purposes and hours are versioned, so no dumped row ever
-- collides with a seed.
SELECT pg_catalog.pg_extension_config_dump('juki.purpose', 'WHERE NOT seeded');
SELECT pg_catalog.pg_extension_config_dump('juki.operating_hours', 'WHERE NOT seeded');
SELECT pg_catalog.pg_extension_config_dump('juki.operating_hours_id_seq', '');

/* ---------------------------------------------------------------- status */

CREATE FUNCTION juki.status(OUT preloaded boolean, OUT version text, OUT database text,
							OUT timezone text, OUT writer_pid integer, OUT accepting boolean,
							OUT last_seq bigint, OUT filed_seq bigint, OUT backlog bigint,
							OUT max_backlog bigint, OUT wal_retained_from pg_lsn,
							OUT standby boolean,
							OUT emergency_stop boolean, OUT sql_version text,
							OUT sql_current boolean, OUT timeline integer,
							OUT receive_lsn pg_lsn, OUT replay_lsn pg_lsn,
							OUT replay_lag interval)
	AS 'MODULE_PATHNAME', 'juki_status'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION juki.status() IS
	'Is juki enforcing, and with which settings; last_seq is the last entry durable in WAL, filed_seq the last in juki.operation_log; version is the library''s, sql_version the installed objects''; on a standby how far replay is behind (works without preload)';

/* ------------------------------------------------------- operation log */

CREATE FUNCTION juki.verify_log(checkpoints text[] DEFAULT NULL, public_keys text[] DEFAULT NULL,
								OUT ok boolean, OUT entries_checked bigint,
								OUT first_bad_seq bigint, OUT problem text,
								OUT checkpoints_logged bigint, OUT checkpoints_stored bigint,
								OUT checkpoint_files bigint, OUT last_checkpoint_seq bigint)
	AS 'MODULE_PATHNAME', 'juki_verify_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.verify_log(text[], text[]) IS
	'Recompute the 操作履歴 hash chain; check stored, directory and given signed checkpoints, and that every signing the log records is stored (auditor, chief)';

CREATE FUNCTION juki.export_log(from_seq bigint, to_seq bigint DEFAULT NULL)
	RETURNS SETOF text
	AS 'MODULE_PATHNAME', 'juki_export_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.export_log(bigint, bigint) IS
	'操作履歴のバックアップ: canonical lines, header, covering checkpoint and digest, for \copy to media (access manager)';

CREATE FUNCTION juki.purge_expired_log() RETURNS bigint
	AS 'MODULE_PATHNAME', 'juki_purge_expired_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.purge_expired_log() IS
	'Delete entries older than the retention (at least 7 years) and covered by an export receipt (access manager)';

CREATE FUNCTION juki.checkpoint() RETURNS text
	AS 'MODULE_PATHNAME', 'juki_checkpoint_now'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.checkpoint() IS
	'Sign a checkpoint of the log now and return its line (access manager, auditor, chief)';

