/*
 * juki 1.0 install script.
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
	PRIMARY KEY (code, version),
	-- a bulk purpose takes its row allowance from the permit, others from max_rows
	CHECK (allows_bulk OR max_rows IS NOT NULL)
);
COMMENT ON TABLE juki.purpose IS
	'利用事務: lawful business purposes; decide fields, criteria, row limits, forms (帳票); one row per version';

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
	hash         bytea NOT NULL CHECK (pg_catalog.length(hash) = 32)
);
-- Lockout counts consecutive failed logins from the durable log; bulk
-- permits are single-use by the log: both must survive the caller's rollback.
-- Both indexes are partial so that the common entry (a lookup) adds no
-- index entry but the primary key's.
CREATE INDEX operation_log_login_idx ON juki.operation_log (operator_id, seq)
	WHERE action IN ('card_login', 'unlock', 'unlock_operator');
CREATE INDEX operation_log_bulk_idx ON juki.operation_log (permit_id)
	WHERE permit_id IS NOT NULL AND detail ? 'bulk_rows';
COMMENT ON TABLE juki.operation_log IS
	'操作履歴: every decision, SHA-256 hash-chained; written only by the audit writer, kept 7 years';

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
							OUT queued_bytes bigint, OUT queue_capacity bigint,
							OUT last_seq bigint, OUT standby boolean,
							OUT emergency_stop boolean)
	AS 'MODULE_PATHNAME', 'juki_status'
	LANGUAGE C STABLE;
COMMENT ON FUNCTION juki.status() IS 'Is juki enforcing, and with which settings (needs preload)';

/* ------------------------------------------------------- operation log */

CREATE FUNCTION juki.verify_log(checkpoints text[] DEFAULT NULL, public_keys text[] DEFAULT NULL,
								OUT ok boolean, OUT entries_checked bigint,
								OUT first_bad_seq bigint, OUT problem text)
	AS 'MODULE_PATHNAME', 'juki_verify_log'
	LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.verify_log(text[], text[]) IS
	'Recompute the 操作履歴 hash chain; check stored and given signed checkpoints (auditor, chief)';

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

/* ------------------------------------------------------ juki's internals */
-- Helpers for juki's own PL/pgSQL functions.  They refuse to run unless a
-- function of the extension called them (nobody writes arbitrary log
-- entries through them), and no role is granted EXECUTE.

CREATE FUNCTION juki._log(action text, outcome text, reason text, purpose text DEFAULT NULL,
						  operator_id bigint DEFAULT NULL, permit_id bigint DEFAULT NULL,
						  subjects text[] DEFAULT NULL, detail jsonb DEFAULT NULL,
						  row_count bigint DEFAULT NULL)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_log' LANGUAGE C VOLATILE;
CREATE FUNCTION juki._require_role(action text, roles text[])
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_require_role' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION juki._has_role(role text)
	RETURNS boolean AS 'MODULE_PATHNAME', 'juki_internal_has_role' LANGUAGE C STABLE STRICT;
CREATE FUNCTION juki._caller()
	RETURNS text AS 'MODULE_PATHNAME', 'juki_internal_caller' LANGUAGE C STABLE;
CREATE FUNCTION juki._policy_changed()
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_policy_changed' LANGUAGE C VOLATILE;
CREATE FUNCTION juki._card_key_type(pem text)
	RETURNS text AS 'MODULE_PATHNAME', 'juki_internal_card_key_type' LANGUAGE C IMMUTABLE;
CREATE FUNCTION juki._fail(action text, reason text, sqlstate text, message text,
						   hint text DEFAULT NULL, operator_id bigint DEFAULT NULL,
						   purpose text DEFAULT NULL)
	RETURNS void AS 'MODULE_PATHNAME', 'juki_internal_fail' LANGUAGE C VOLATILE;
-- SHA-256 of text values concatenated in aggregate order, as hex, streamed
-- (a string_agg of millions of rows passes PostgreSQL's 1 GB value limit).
CREATE FUNCTION juki._sha256_step(internal, text)
	RETURNS internal AS 'MODULE_PATHNAME', 'juki_sha256_step' LANGUAGE C IMMUTABLE;
CREATE FUNCTION juki._sha256_final(internal)
	RETURNS text AS 'MODULE_PATHNAME', 'juki_sha256_final' LANGUAGE C IMMUTABLE;
CREATE AGGREGATE juki._sha256_agg(text) (
	SFUNC = juki._sha256_step, STYPE = internal, FINALFUNC = juki._sha256_final);
CREATE FUNCTION juki._session_operator()
	RETURNS bigint AS 'MODULE_PATHNAME', 'juki_internal_session_operator' LANGUAGE C STABLE;
/* ------------------------------------------------------ operator sessions */

CREATE FUNCTION juki.card_challenge(card_serial text) RETURNS bytea
	AS 'MODULE_PATHNAME', 'juki_card_challenge' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.card_challenge(text) IS
	'32 random bytes for the operator IC card to sign; single use, valid 60 s';
CREATE FUNCTION juki.card_login(card_serial text, signature bytea, password text) RETURNS text
	AS 'MODULE_PATHNAME', 'juki_card_login' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.card_login(text, bytea, text) IS
	'Card signature over the challenge + password: an opaque session token';
CREATE FUNCTION juki.attach(token text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_attach' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.attach(text) IS 'Bind an operator session to the current transaction';
CREATE FUNCTION juki.unlock(token text, signature bytea, password text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_unlock' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.unlock(text, bytea, text) IS 'Unlock an idle-locked session (new challenge)';
CREATE FUNCTION juki.logout(token text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_logout' LANGUAGE C VOLATILE;
CREATE FUNCTION juki.whoami(OUT db_role text, OUT session_id bigint, OUT operator_id bigint,
							OUT card_serial text, OUT display_name text, OUT department text,
							OUT kind text, OUT logged_in_at timestamptz)
	AS 'MODULE_PATHNAME', 'juki_whoami' LANGUAGE C VOLATILE;

/* ----------------------------------------------------- 作動停止 (emergency) */

CREATE FUNCTION juki.emergency_stop(reason text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_emergency_stop' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.emergency_stop(text) IS
	'作動停止: refuse every disclosure and login until resumed (chief security officer)';
CREATE FUNCTION juki.emergency_resume(reason text) RETURNS void
	AS 'MODULE_PATHNAME', 'juki_emergency_resume' LANGUAGE C VOLATILE;
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
	AS 'MODULE_PATHNAME', 'juki_iso_date' LANGUAGE C IMMUTABLE STRICT;

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
	EXECUTE pg_catalog.format('SELECT %I.crypt($1, %I.gen_salt(''bf''))', nsp, nsp) INTO h USING v_pw;

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
-- 'approved' or 'rejected'.  Not granted to anyone: called by the two below.
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
	ELSIF v_bulk IS NOT NULL THEN
		PERFORM juki._fail(a, 'bulk_not_allowed', '22023',
			pg_catalog.format('purpose %s does not allow bulk extraction', v_purpose), NULL, v_op, v_purpose);
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
									active boolean DEFAULT true)
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
			'only max_rows and min_age may be NULL');
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

	-- versions of one code are numbered without gaps or collisions
	PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('juki.purpose ' || v_code));
	SELECT coalesce(max(x.version), 0) + 1 INTO v_version FROM juki.purpose x WHERE x.code = v_code;
	INSERT INTO juki.purpose (code, version, title, legal_basis, department, disclosed_fields, search_keys,
							  max_rows, allows_forms, allows_removed, allows_bulk, allows_support_measure,
							  requires_named_permit, aggregates_only, min_age, active, seeded, defined_by)
	VALUES (v_code, v_version, v_title, v_basis, v_dept, v_fields, norm, v_max, v_forms, v_removed, v_bulk,
			v_support, v_named, v_agg, v_min_age, v_active, false, juki._caller());
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, purpose => v_code,
		detail => pg_catalog.jsonb_build_object('version', v_version, 'active', v_active,
												'department', v_dept));
	RETURN v_version;
END
$$;
COMMENT ON FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean,
									   boolean, boolean, boolean, boolean, integer, boolean) IS
	'利用事務の定義 (システム管理者): a new version of a purpose: fields, search criteria, row limits, forms';

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
	optional constant text[] := ARRAY['former_surname', 'alias_name', 'status'];
	v_src regclass := $1;
	rel record;
	qname text;
	col text;
	sel text := '';
	att record;
	r record;
	f text;
	problem text;
	prev text;
	n bigint := 0;
	inserted bigint;
	digest text;
	rj jsonb;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_registrar']);
	IF v_src IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'source must not be NULL');
	END IF;
	SELECT c.relname, c.relkind, c.relrowsecurity, n.nspname INTO rel
	  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	 WHERE c.oid = v_src;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'invalid_source', '22023', 'the source table does not exist');
	END IF;
	IF rel.nspname = 'juki' THEN
		PERFORM juki._fail(a, 'direct_access', '42501', 'juki''s own tables are not an import source');
	END IF;
	IF rel.relkind <> 'r' THEN
		PERFORM juki._fail(a, 'invalid_source', '22023',
			pg_catalog.format('%s is not a plain table', v_src), 'Import from a staging table.');
	END IF;
	IF rel.relrowsecurity THEN
		PERFORM juki._fail(a, 'invalid_source', '22023',
			pg_catalog.format('%s has row level security', v_src), 'Import from a staging table without policies.');
	END IF;
	IF NOT pg_catalog.has_table_privilege(juki._caller(), v_src, 'SELECT') THEN
		PERFORM juki._fail(a, 'source_not_readable', '42501',
			pg_catalog.format('you may not read %s', v_src));
	END IF;
	qname := pg_catalog.format('%I.%I', rel.nspname, rel.relname);
	-- every column a resident field (no typos silently dropped), required ones present
	FOR att IN SELECT x.attname::text AS name, x.atttypid FROM pg_catalog.pg_attribute x
				WHERE x.attrelid = v_src AND x.attnum > 0 AND NOT x.attisdropped ORDER BY x.attnum
	LOOP
		IF NOT att.name = ANY (cols) THEN
			PERFORM juki._fail(a, 'invalid_source', '22023',
				pg_catalog.format('column %I of %s is not a resident field', att.name, v_src),
				'Columns: ' || pg_catalog.array_to_string(cols, ', '));
		END IF;
		-- built-in types only: a user's type could bring a user's cast or
		-- output function, which would run here, inside juki's door
		IF att.atttypid NOT IN ('pg_catalog.text'::regtype, 'pg_catalog.varchar'::regtype,
								'pg_catalog.bpchar'::regtype, 'pg_catalog.date'::regtype) THEN
			PERFORM juki._fail(a, 'invalid_source', '42501',
				pg_catalog.format('column %I of %s has type %s', att.name, v_src, att.atttypid::regtype),
				'Staging columns are text, varchar, char or date.');
		END IF;
	END LOOP;
	FOREACH col IN ARRAY cols
	LOOP
		SELECT x.attname::text AS name, x.atttypid INTO att FROM pg_catalog.pg_attribute x
		 WHERE x.attrelid = v_src AND x.attname = col AND x.attnum > 0 AND NOT x.attisdropped;
		IF NOT FOUND THEN
			IF NOT col = ANY (optional) THEN
				PERFORM juki._fail(a, 'invalid_source', '22023',
					pg_catalog.format('%s has no column %I', v_src, col));
			END IF;
			sel := sel || CASE col WHEN 'status' THEN '''active''' ELSE 'NULL' END || '::text AS ' || col || ', ';
		ELSIF att.atttypid = 'pg_catalog.date'::regtype THEN
			sel := sel || pg_catalog.format('pg_catalog.to_char(%I, ''YYYY-MM-DD'') AS %I, ', col, col);
		ELSE
			sel := sel || pg_catalog.format('%I::text AS %I, ', col, col);
		END IF;
	END LOOP;
	sel := 'SELECT ' || pg_catalog.rtrim(sel, ', ') || ' FROM ' || qname;
	-- nobody changes the source between checking and hashing, and no other
	-- import or change of the register slips in between checking and inserting
	-- (a unique violation would name the resident code in the server log)
	EXECUTE 'LOCK TABLE ' || qname || ' IN SHARE MODE';
	LOCK TABLE juki.resident IN SHARE ROW EXCLUSIVE MODE;

	-- Every row checked in resident_code order, the first problem refused.
	-- The lookups of existing residents and of an individual number under a
	-- smaller code in the source are part of the one query; the rows go in afterwards in
	-- one INSERT (a row at a time re-built the executor, its index
	-- expressions and constraints, for each resident).
	FOR r IN EXECUTE 'SELECT s.*, '
		|| 'EXISTS (SELECT 1 FROM juki.resident x WHERE x.resident_code = s.resident_code) AS code_taken, '
		|| 'EXISTS (SELECT 1 FROM juki.resident x WHERE x.individual_number = s.individual_number) '
		|| 'OR pg_catalog.min(s.resident_code COLLATE "C") OVER (PARTITION BY s.individual_number) '
		|| '< s.resident_code COLLATE "C" AS number_taken '
		|| 'FROM (' || sel || ') s ORDER BY s.resident_code COLLATE "C" NULLS FIRST'
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
		IF problem IS NULL AND r.code_taken THEN
			problem := 'a resident with this resident_code is already registered';
		END IF;
		IF problem IS NULL AND r.number_taken THEN
			problem := 'individual_number is already registered (or appears twice in the source)';
		END IF;
		IF problem IS NOT NULL THEN
			PERFORM juki._fail(a, 'invalid_resident', '22023',
				pg_catalog.format('row with resident_code %s: %s; nothing was imported',
								  coalesce(CASE WHEN juki.is_valid_resident_code(r.resident_code)
												THEN r.resident_code END, '(invalid)'), problem));
		END IF;
		prev := r.resident_code;
		n := n + 1;
	END LOOP;
	EXECUTE 'INSERT INTO juki.resident (resident_code, individual_number, full_name, full_name_kana, '
		|| 'former_surname, alias_name, birth_date, sex, address, municipality_code, change_reason, '
		|| 'change_date, status) '
		|| 'SELECT s.resident_code, s.individual_number, s.full_name, s.full_name_kana, s.former_surname, '
		|| 's.alias_name, juki._iso_date(s.birth_date), s.sex, s.address, s.municipality_code, '
		|| 's.change_reason, juki._iso_date(s.change_date), s.status '
		|| 'FROM (' || sel || ') s ORDER BY s.resident_code COLLATE "C"';
	GET DIAGNOSTICS inserted = ROW_COUNT;
	IF inserted <> n THEN
		RAISE EXCEPTION 'juki: % rows checked but % inserted', n, inserted;	-- the source is locked: cannot happen
	END IF;

	-- SHA-256 over the imported rows: one line per row, the row as a JSON
	-- object of the fields as imported (text), lines in resident_code order,
	-- each ended by a newline
	-- (streamed: the rows of a large town do not fit in one value)
	EXECUTE 'SELECT juki._sha256_agg(pg_catalog.to_jsonb(s)::text || E''\n'' ORDER BY s.resident_code COLLATE "C")'
		|| ' FROM (' || sel || ') s' INTO digest;
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
	SELECT * INTO cur FROM juki.resident x WHERE x.resident_code = v_code FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'resident_unknown', '22023', 'no resident has this resident_code');
	END IF;
	IF cur.status = 'removed' AND v_reason NOT IN ('move_in', 'ex_officio_correction') THEN
		PERFORM juki._fail(a, 'resident_removed', '55000',
			'the resident is removed (消除); only move_in or ex_officio_correction apply');
	END IF;
	v_birth := coalesce(juki._iso_date(v_changes ->> 'birth_date'), cur.birth_date);
	IF v_on > CURRENT_DATE OR v_on < v_birth THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'effective_on must not be in the future nor before the birth date');
	END IF;
	IF v_changes ? 'individual_number' AND EXISTS (SELECT 1 FROM juki.resident x
			WHERE x.individual_number = v_changes ->> 'individual_number' AND x.resident_code <> v_code) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'individual_number belongs to another resident');
	END IF;
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

/* ------------------------------------------------------------ privileges */
-- 99_grants.sql revokes every function from PUBLIC; these grants survive it.
GRANT EXECUTE ON FUNCTION juki.register_operator(name, text, text, text, bigint),
	juki.register_card(bigint, text, text, date), juki.revoke_card(text, text),
	juki.set_password(bigint, text), juki.unlock_operator(bigint),
	juki.record_training(bigint, text, date), juki.retire_operator(bigint, text)
	TO juki_access_manager;
GRANT EXECUTE ON FUNCTION juki.appoint_security_officer(name, text), juki.retire_security_officer(name, text)
	TO juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.designate(bigint, text[], date, text), juki.revoke_designation(bigint, text),
	juki.approve_permit(bigint), juki.reject_permit(bigint, text)
	TO juki_security_officer;
GRANT EXECUTE ON FUNCTION juki.request_permit(text, text, timestamptz, text[], integer, boolean)
	TO juki_operator, juki_contractor_operator;
GRANT EXECUTE ON FUNCTION juki.define_purpose(text, text, text, text, text[], text[], integer, boolean, boolean,
											  boolean, boolean, boolean, boolean, integer, boolean),
	juki.set_operating_hours(text, integer[], time, time)
	TO juki_system_administrator;
GRANT EXECUTE ON FUNCTION juki.import_residents(regclass), juki.record_change(text, jsonb, text, date),
	juki.set_support_measure(text, date, date, text), juki.end_support_measure(bigint)
	TO juki_registrar;
GRANT EXECUTE ON FUNCTION juki.purposes(), juki.operating_hours_in_force()
	TO juki_chief_security_officer, juki_system_administrator, juki_security_officer, juki_access_manager,
	   juki_operator, juki_contractor_operator, juki_auditor, juki_registrar, juki_terminal;
GRANT EXECUTE ON FUNCTION juki.operators()
	TO juki_access_manager, juki_security_officer, juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.designations(), juki.permits()
	TO juki_operator, juki_contractor_operator, juki_security_officer, juki_chief_security_officer;
/* ----------------------------------------------------------- disclosure */

-- Every resident field; those the purpose does not disclose are NULL and
-- disclosed_fields names the real ones.  status is always given: a record
-- of a removed resident (消除) is only returned to purposes that allow it.
CREATE TYPE juki.disclosure AS (
	resident_code      text,
	individual_number  text,
	full_name          text,
	full_name_kana     text,
	former_surname     text,
	alias_name         text,
	birth_date         date,
	sex                text,
	address            text,
	municipality_code  text,
	change_reason      text,
	change_date        date,
	status             text,
	disclosed_fields   text[]
);
COMMENT ON TYPE juki.disclosure IS '本人確認情報 as disclosed for one purpose: undisclosed fields are NULL';

CREATE TYPE juki.form AS (
	serial      text,
	form_type   text,
	purpose     text,
	printed_at  timestamptz,
	content     juki.disclosure
);
COMMENT ON TYPE juki.form IS '帳票: a printed form and the ledger serial it was issued under';

-- Search comparison: Unicode NFKC (full-width → half-width, compatibility
-- kanji) and no white space at all, so '山田　太郎' matches '山田太郎'.
CREATE FUNCTION juki.fold(text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN pg_catalog.regexp_replace(NORMALIZE($1, NFKC), '[[:space:]]+', '', 'g');
COMMENT ON FUNCTION juki.fold(text) IS 'NFKC normalisation and white-space folding used by juki.search';

CREATE INDEX resident_name_idx ON juki.resident (juki.fold(full_name), birth_date);
CREATE INDEX resident_address_idx ON juki.resident (juki.fold(address) text_pattern_ops);
CREATE INDEX resident_birth_idx ON juki.resident (birth_date);
-- expression indexes keep statistics of their own: none of folded names
ALTER INDEX juki.resident_name_idx ALTER COLUMN 1 SET STATISTICS 0;
ALTER INDEX juki.resident_address_idx ALTER COLUMN 1 SET STATISTICS 0;
CREATE INDEX support_measure_active_idx ON juki.support_measure (resident_code, starts_on, ends_on);

CREATE FUNCTION juki.lookup(purpose text, resident_code text) RETURNS juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_lookup' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.lookup(text, text) IS
	'One resident by 住民票コード, for a registered purpose, by a logged-in designated operator with a permit';
CREATE FUNCTION juki.search(purpose text, criteria jsonb) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_search' LANGUAGE C VOLATILE ROWS 5;
COMMENT ON FUNCTION juki.search(text, jsonb) IS
	'Residents matching criteria allowed by the purpose; more rows than allowed refuses the whole request';
-- One statement for a pooled application: attach the session and disclose.
CREATE FUNCTION juki.lookup(purpose text, resident_code text, token text) RETURNS juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_lookup_with_token' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.lookup(text, text, text) IS
	'juki.attach(token) and juki.lookup(purpose, resident_code) in one call';
CREATE FUNCTION juki.search(purpose text, criteria jsonb, token text) RETURNS SETOF juki.disclosure
	AS 'MODULE_PATHNAME', 'juki_search_with_token' LANGUAGE C VOLATILE ROWS 5;
COMMENT ON FUNCTION juki.search(text, jsonb, text) IS
	'juki.attach(token) and juki.search(purpose, criteria) in one call';
CREATE FUNCTION juki.issue_form(purpose text, resident_code text, form_type text) RETURNS juki.form
	AS 'MODULE_PATHNAME', 'juki_issue_form' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION juki.issue_form(text, text, text) IS
	'帳票: print a form for one resident (purposes that allow forms); recorded in the form ledger';

-- 帳票の廃棄 (juki.destroy_form) and the rest of the form ledger: 60_forms.sql.

GRANT USAGE ON TYPE juki.disclosure, juki.form TO juki_operator, juki_contractor_operator, juki_terminal;
GRANT EXECUTE ON FUNCTION juki.lookup(text, text), juki.search(text, jsonb),
	juki.lookup(text, text, text), juki.search(text, jsonb, text),
	juki.issue_form(text, text, text) TO juki_operator, juki_contractor_operator, juki_terminal;
/* ------------------------------------------------- 外部委託 (outsourcing) */
/*
 * 要領 第4 and 第3 2(1)③: contractors, their vetting (事前調査, 業務完遂能力,
 * 損害賠償能力・不祥事), the セキュリティ会議 review and the chief's approval;
 * contracts (scope, purposes, period, max_handlers, 誓約書, approval); the
 * per-contract designation of handlers (委託の都度の指定).  Conventions as in
 * 30_admin.sql.
 *
 * Who does what:
 *   security officer  register_contractor (the caller is the checker of
 *                     every vetting item), register_contract (for purposes
 *                     of their departments), record_pledge / withdraw_pledge,
 *                     designate_handler / revoke_handler (operators of their
 *                     department);
 *   chief             record_committee_review (the chief convenes and chairs
 *                     the セキュリティ会議), approve_contractor,
 *                     approve_contract, suspend_contract.
 * Nobody approves what they registered themselves.
 *
 * 再委託 (subcontracting) is prohibited (第4 (1) 再委託に関する考え方).  It is not a
 * column anywhere: every way of declaring it is refused with reason
 * subcontracting_prohibited (42501):
 *   - a contractor registered for another contractor: the explicit
 *     parameter parent_contractor; a vetting key (at any depth) such as
 *     parent, parent_contractor, prime_contractor, principal, on_behalf_of,
 *     works_for, subcontractor, 元請, 再委託先; a name or address declaring
 *     it (再委託先, 再委託元, 下請, 孫請, 元請, subcontractor, subcontracted,
 *     sub-contractor, prime contractor);
 *   - a contract naming a subcontractor: the explicit parameter
 *     subcontractor; a scope with the words above or with the name of
 *     another registered contractor; a purposes element mentioning
 *     subcontracting (subcontract, 再委託, 下請);
 *   - a handler employed by another contractor: designate_handler for an
 *     operator registered under a contract of a different contractor.
 * Words that deny subcontracting ("再委託禁止", "no subcontracting") are not
 * declarations and pass; the vetting findings and evidence are free text
 * that legitimately say "再委託なし" and are not scanned.
 *
 * The access decision itself (policy.c) re-checks every request: contract
 * covers the purpose, contractor and contract approved, pledge on record,
 * today inside the contract period and inside an unrevoked handler
 * designation.  So withdrawing the pledge, suspending the contract, the end
 * of the contract period or revoking the handler ends access at once, with
 * that reason.
 */

-- The words that declare subcontracting in a name, address or scope;
-- NULL if none, else the word found.
CREATE FUNCTION juki._subcontracting_word(t text) RETURNS text
	LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT pg_catalog.substring(pg_catalog.lower(NORMALIZE(coalesce($1, ''), NFKC)),
		'(再委託先|再委託元|再々委託|下請|孫請|元請|sub-?contractors?|subcontracted|prime contractor)')
$$;

-- A jsonb key (at any depth) that declares a parent contractor or a
-- subcontractor; NULL if none.
CREATE FUNCTION juki._subcontracting_key(j jsonb) RETURNS text
	LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
	WITH RECURSIVE t(v) AS (
		SELECT $1
		UNION ALL
		SELECT e.value FROM t, LATERAL (
			SELECT x.value FROM pg_catalog.jsonb_each(CASE WHEN pg_catalog.jsonb_typeof(t.v) = 'object' THEN t.v END) x
			UNION ALL
			SELECT y.value FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(t.v) = 'array' THEN t.v END) y
		) e
	)
	SELECT k FROM t, LATERAL pg_catalog.jsonb_object_keys(CASE WHEN pg_catalog.jsonb_typeof(t.v) = 'object' THEN t.v END) k
	 WHERE pg_catalog.lower(NORMALIZE(k, NFKC)) ~ '^(parent|parent_contractor|prime_contractor|principal|principal_contractor|on_behalf_of|works_for|employer|contracted_by|subcontract|subcontractor|subcontractors|subcontracting|subcontracted_from|subcontracted_to|再委託|再委託先|再委託元|元請|下請|孫請)$'
	 LIMIT 1
$$;

-- Is the caller a security officer (not retired) of this department?
CREATE FUNCTION juki._officer_of(dept text) RETURNS boolean
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT EXISTS (SELECT 1 FROM juki.department_officer d
					WHERE d.role_name = juki._caller() AND d.department = $1 AND d.retired_at IS NULL)
$$;

-- The departments of a contract's purposes (newest version of each).
CREATE FUNCTION juki._purpose_departments(purposes text[]) RETURNS text[]
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(pg_catalog.array_agg(DISTINCT p.department ORDER BY p.department), '{}')
	  FROM (SELECT DISTINCT ON (x.code) x.code, x.department FROM juki.purpose x
			 WHERE x.code = ANY ($1) ORDER BY x.code, x.version DESC) p
$$;

/* ================================================================ contractors */

CREATE FUNCTION juki.register_contractor(name text, address text, vetting jsonb,
										 parent_contractor text DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_contractor';
	items constant text[] := ARRAY['financial_soundness', 'stability', 'business_scale', 'business_area',
								   'technical_skill', 'training_system', 'privacy_measures',
								   'security_measures', 'liability_capacity', 'scandals'];
	v_name text := $1;
	v_addr text := $2;
	v_vet jsonb := $3;
	v_parent text := $4;
	w text;
	k text;
	it jsonb;
	missing text[];
	v_on date;
	v_id bigint;
	n_ok integer := 0;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF NOT EXISTS (SELECT 1 FROM juki.department_officer d WHERE d.role_name = juki._caller()
					AND d.retired_at IS NULL) THEN
		PERFORM juki._fail(a, 'not_appointed', '42501', 'you are not appointed security officer of any department',
			'The chief security officer appoints security officers: juki.appoint_security_officer().');
	END IF;
	-- 再委託 first: whatever else is wrong, a declared parent is refused as such
	IF v_parent IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('a contractor registered for another contractor (%s) is a subcontractor (再委託)', v_parent),
			'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
	END IF;
	w := coalesce(juki._subcontracting_word(v_name), juki._subcontracting_word(v_addr));
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('the name or address declares subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
	END IF;
	IF v_vet IS NOT NULL THEN
		k := juki._subcontracting_key(v_vet);
		IF k IS NOT NULL THEN
			PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
				pg_catalog.format('the vetting record declares a parent contractor or subcontractor (key %s)', k),
				'再委託 is prohibited (要領 第4): the town contracts with the company that does the work.');
		END IF;
	END IF;
	IF v_name IS NULL OR v_vet IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'name and vetting must not be NULL');
	END IF;
	IF pg_catalog.btrim(v_name) = '' OR pg_catalog.length(v_name) > 200
	   OR (v_addr IS NOT NULL AND pg_catalog.length(v_addr) > 300) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a name has 1 to 200 characters, an address at most 300');
	END IF;
	IF pg_catalog.jsonb_typeof(v_vet) <> 'object' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'vetting is a JSON object with one entry per vetting item',
			'e.g. {"financial_soundness": {"satisfactory": true, "finding": "...", "evidence": "..."}, ...}');
	END IF;
	SELECT pg_catalog.array_agg(x ORDER BY x) INTO k FROM pg_catalog.jsonb_object_keys(v_vet) x
	 WHERE NOT x = ANY (items);
	IF k IS NOT NULL THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			pg_catalog.format('unknown vetting items: %s', pg_catalog.array_to_string(k::text[], ', ')),
			'Items: ' || pg_catalog.array_to_string(items, ', '));
	END IF;
	SELECT pg_catalog.array_agg(i ORDER BY o) INTO missing FROM pg_catalog.unnest(items) WITH ORDINALITY u(i, o)
	 WHERE NOT v_vet ? i;
	IF missing IS NOT NULL THEN
		PERFORM juki._fail(a, 'vetting_incomplete', '22023',
			pg_catalog.format('vetting items missing: %s', pg_catalog.array_to_string(missing, ', ')),
			'要領 第4 1: every item is investigated before selection (事前調査, 業務完遂能力, 損害賠償能力, 不祥事).');
	END IF;
	FOREACH k IN ARRAY items
	LOOP
		it := v_vet -> k;
		IF pg_catalog.jsonb_typeof(it) <> 'object'
		   OR EXISTS (SELECT 1 FROM pg_catalog.jsonb_object_keys(it) x
					   WHERE x NOT IN ('satisfactory', 'finding', 'evidence', 'checked_on'))
		   OR pg_catalog.jsonb_typeof(it -> 'satisfactory') IS DISTINCT FROM 'boolean'
		   OR pg_catalog.jsonb_typeof(it -> 'finding') IS DISTINCT FROM 'string'
		   OR pg_catalog.jsonb_typeof(it -> 'evidence') IS DISTINCT FROM 'string'
		   OR pg_catalog.btrim(it ->> 'finding') = '' OR pg_catalog.btrim(it ->> 'evidence') = ''
		   OR pg_catalog.length(it ->> 'finding') > 2000 OR pg_catalog.length(it ->> 'evidence') > 2000 THEN
			PERFORM juki._fail(a, 'vetting_incomplete', '22023',
				pg_catalog.format('vetting item %s needs satisfactory (true/false), a finding and the evidence (1 to 2000 characters each)', k),
				'Optional: checked_on (YYYY-MM-DD, not in the future); the checker is you.');
		END IF;
		IF it ? 'checked_on' THEN
			v_on := juki._iso_date(it ->> 'checked_on');
			IF v_on IS NULL OR v_on > CURRENT_DATE OR v_on < CURRENT_DATE - interval '2 years' THEN
				PERFORM juki._fail(a, 'invalid_argument', '22023',
					pg_catalog.format('vetting item %s: checked_on must be a date within the last two years', k));
			END IF;
		END IF;
	END LOOP;
	IF EXISTS (SELECT 1 FROM juki.contractor c WHERE juki.fold(c.name) = juki.fold(v_name)) THEN
		PERFORM juki._fail(a, 'already_registered', '22023',
			pg_catalog.format('a contractor named %s is already registered', v_name));
	END IF;

	INSERT INTO juki.contractor (name, address, registered_by)
	VALUES (v_name, v_addr, juki._caller()) RETURNING id INTO v_id;
	INSERT INTO juki.contractor_vetting (contractor_id, item, satisfactory, finding, evidence, checked_by, checked_on)
	SELECT v_id, i, (v_vet -> i ->> 'satisfactory')::boolean, v_vet -> i ->> 'finding', v_vet -> i ->> 'evidence',
		   juki._caller(), coalesce(juki._iso_date(v_vet -> i ->> 'checked_on'), CURRENT_DATE)
	  FROM pg_catalog.unnest(items) i;
	SELECT count(*) INTO n_ok FROM juki.contractor_vetting x WHERE x.contractor_id = v_id AND x.satisfactory;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contractor_id', v_id, 'name', v_name,
			'items', pg_catalog.cardinality(items), 'satisfactory', n_ok));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.register_contractor(text, text, jsonb, text) IS
	'委託事業者の登録 (セキュリティ責任者): every vetting item of 要領 第4 with finding and evidence, checked by the caller; 再委託 refused';

CREATE FUNCTION juki.record_committee_review(contractor bigint, reviewed_on date, note text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_committee_review';
	v_id bigint := $1;
	v_on date := $2;
	v_note text := $3;
	c record;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer']);
	IF v_id IS NULL OR v_on IS NULL OR v_note IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contractor, reviewed_on and note must not be NULL');
	END IF;
	IF pg_catalog.btrim(v_note) = '' OR pg_catalog.length(v_note) > 2000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a note (the committee''s conclusion) has 1 to 2000 characters');
	END IF;
	SELECT * INTO c FROM juki.contractor x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_id));
	END IF;
	IF v_on > CURRENT_DATE OR v_on < (c.registered_at AT TIME ZONE 'UTC')::date - 1 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'reviewed_on must be between the registration of the contractor and today');
	END IF;

	UPDATE juki.contractor x SET committee_reviewed_on = v_on WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contractor_id', v_id, 'reviewed_on', v_on, 'note', v_note));
END
$$;
COMMENT ON FUNCTION juki.record_committee_review(bigint, date, text) IS
	'セキュリティ会議の審議 (セキュリティ統括責任者, who chairs it): the committee reviewed a contractor''s vetting';

CREATE FUNCTION juki.approve_contractor(contractor bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contractor';
	v_id bigint := $1;
	c record;
	bad text[];
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer']);
	IF v_id IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contractor must not be NULL');
	END IF;
	SELECT * INTO c FROM juki.contractor x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller()
	   OR EXISTS (SELECT 1 FROM juki.contractor_vetting v WHERE v.contractor_id = v_id AND v.checked_by = juki._caller()) THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contractor they vetted themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('contractor %s is already approved', v_id));
	END IF;
	IF c.committee_reviewed_on IS NULL THEN
		PERFORM juki._fail(a, 'committee_review_missing', '55000',
			pg_catalog.format('the セキュリティ会議 has not reviewed contractor %s', v_id),
			'Record the review first: juki.record_committee_review().');
	END IF;
	SELECT pg_catalog.array_agg(v.item ORDER BY v.item) INTO bad FROM juki.contractor_vetting v
	 WHERE v.contractor_id = v_id AND NOT v.satisfactory;
	IF bad IS NOT NULL THEN
		PERFORM juki._fail(a, 'vetting_unsatisfactory', '55000',
			pg_catalog.format('contractor %s is not satisfactory in: %s', v_id, pg_catalog.array_to_string(bad, ', ')),
			'要領 第4 1: select contractors whose safety and reliability are confirmed.');
	END IF;

	UPDATE juki.contractor x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, detail => pg_catalog.jsonb_build_object('contractor_id', v_id));
END
$$;
COMMENT ON FUNCTION juki.approve_contractor(bigint) IS
	'委託事業者の承認 (セキュリティ統括責任者): after the セキュリティ会議 review, every vetting item satisfactory';

/* ================================================================== contracts */

CREATE FUNCTION juki.register_contract(contractor bigint, scope text, purposes text[], starts_on date,
									   ends_on date, max_handlers integer, subcontractor text DEFAULT NULL)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'register_contract';
	v_k bigint := $1;
	v_scope text := $2;
	v_purposes text[] := $3;
	v_start date := $4;
	v_end date := $5;
	v_max integer := $6;
	v_sub text := $7;
	w text;
	pc text;
	p record;
	other text;
	v_id bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF v_sub IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('a contract naming a subcontractor (%s) is 再委託', v_sub),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	w := juki._subcontracting_word(v_scope);
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('the scope declares subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	SELECT x INTO w FROM pg_catalog.unnest(v_purposes) x
	 WHERE pg_catalog.lower(NORMALIZE(x, NFKC)) ~ '(sub-?contract|再委託|下請|孫請)' LIMIT 1;
	IF w IS NOT NULL THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('purposes declare subcontracting (%s)', w),
			'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
	END IF;
	IF v_scope IS NOT NULL THEN
		SELECT c.name INTO other FROM juki.contractor c
		 WHERE c.id IS DISTINCT FROM v_k AND pg_catalog.length(juki.fold(c.name)) >= 2
		   AND pg_catalog.strpos(juki.fold(v_scope), juki.fold(c.name)) > 0
		 ORDER BY c.id LIMIT 1;
		IF FOUND THEN
			PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
				pg_catalog.format('the scope names another contractor (%s)', other),
				'再委託 is prohibited (要領 第4): the contractor''s own staff do the work.');
		END IF;
	END IF;
	IF v_k IS NULL OR v_scope IS NULL OR v_purposes IS NULL OR v_start IS NULL OR v_end IS NULL OR v_max IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004',
			'contractor, scope, purposes, starts_on, ends_on and max_handlers must not be NULL');
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.contractor c WHERE c.id = v_k) THEN
		PERFORM juki._fail(a, 'contractor_unknown', '22023', pg_catalog.format('contractor %s does not exist', v_k));
	END IF;
	IF pg_catalog.btrim(v_scope) = '' OR pg_catalog.length(v_scope) > 2000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a scope has 1 to 2000 characters');
	END IF;
	IF v_end < v_start THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'ends_on is before starts_on');
	END IF;
	IF v_end < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'the contract has already ended (ends_on is in the past)');
	END IF;
	IF v_end > v_start + interval '5 years' OR v_start > CURRENT_DATE + interval '1 year' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'a contract lasts at most 5 years and starts within a year');
	END IF;
	IF v_max NOT BETWEEN 1 AND 100 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'max_handlers must be between 1 and 100',
			'要領 第3 2(1)③: the designation of handlers is kept to the necessary minimum.');
	END IF;
	IF pg_catalog.cardinality(v_purposes) = 0 OR pg_catalog.array_position(v_purposes, NULL) IS NOT NULL
	   OR (SELECT count(DISTINCT x) FROM pg_catalog.unnest(v_purposes) x) <> pg_catalog.cardinality(v_purposes) THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'purposes must list at least one purpose, without NULLs or duplicates');
	END IF;
	FOREACH pc IN ARRAY v_purposes
	LOOP
		SELECT * INTO p FROM juki.purpose x WHERE x.code = pc ORDER BY x.version DESC LIMIT 1;
		IF NOT FOUND THEN
			PERFORM juki._fail(a, 'purpose_unknown', '22023',
				pg_catalog.format('purpose %s does not exist', pc), 'juki.purposes() lists them.');
		END IF;
		IF NOT p.active THEN
			PERFORM juki._fail(a, 'purpose_inactive', '55000',
				pg_catalog.format('purpose %s is not active', pc), NULL, NULL, pc);
		END IF;
		IF p.aggregates_only THEN
			PERFORM juki._fail(a, 'aggregates_only', '22023',
				pg_catalog.format('purpose %s discloses no individual records', pc), NULL, NULL, pc);
		END IF;
		IF NOT juki._officer_of(p.department) THEN
			PERFORM juki._fail(a, 'wrong_department', '42501',
				pg_catalog.format('purpose %s belongs to %s, and you are not its security officer', pc, p.department),
				'The security officer of the outsourcing department registers the contract.', NULL, pc);
		END IF;
	END LOOP;

	INSERT INTO juki.contract (contractor_id, scope, purposes, starts_on, ends_on, max_handlers, registered_by)
	VALUES (v_k, v_scope, v_purposes, v_start, v_end, v_max, juki._caller())
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'contractor_id', v_k, 'purposes', v_purposes,
			'starts_on', v_start, 'ends_on', v_end, 'max_handlers', v_max));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.register_contract(bigint, text, text[], date, date, integer, text) IS
	'委託契約の登録 (セキュリティ責任者): scope, purposes of one''s departments, period, max_handlers; naming a subcontractor is refused';

-- A contract and whether the caller answers for one of its departments.
CREATE FUNCTION juki._contract_for_officer(a text, v_id bigint) RETURNS juki.contract
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	c juki.contract;
	d text;
BEGIN
	IF a NOT IN ('record_pledge', 'withdraw_pledge') THEN
		RAISE EXCEPTION 'juki._contract_for_officer is internal' USING ERRCODE = '42501';
	END IF;
	IF v_id IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contract must not be NULL');
	END IF;
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	FOREACH d IN ARRAY juki._purpose_departments(c.purposes)
	LOOP
		IF juki._officer_of(d) THEN
			RETURN c;
		END IF;
	END LOOP;
	PERFORM juki._fail(a, 'wrong_department', '42501',
		pg_catalog.format('contract %s is not for a department you answer for', v_id));
	RETURN NULL;
END
$$;

CREATE FUNCTION juki.record_pledge(contract bigint, received_on date)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'record_pledge';
	v_on date := $2;
	c juki.contract;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	c := juki._contract_for_officer(a, $1);
	IF v_on IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'received_on must not be NULL');
	END IF;
	IF v_on > CURRENT_DATE OR v_on > c.ends_on OR v_on < (c.registered_at AT TIME ZONE 'UTC')::date - 365 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023',
			'received_on must not be in the future nor after the contract ends');
	END IF;
	IF c.pledge_received_on IS NOT NULL THEN
		PERFORM juki._fail(a, 'pledge_recorded', '55000',
			pg_catalog.format('a pledge is already on record for contract %s', c.id));
	END IF;

	UPDATE juki.contract x SET pledge_received_on = v_on WHERE x.id = c.id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', c.id, 'received_on', v_on));
END
$$;
COMMENT ON FUNCTION juki.record_pledge(bigint, date) IS
	'誓約書の受領 (セキュリティ責任者): the contractor''s signed confidentiality pledge; handlers work only while it is on record';

CREATE FUNCTION juki.withdraw_pledge(contract bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'withdraw_pledge';
	v_reason text := $2;
	c juki.contract;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	c := juki._contract_for_officer(a, $1);
	IF v_reason IS NULL OR pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	IF c.pledge_received_on IS NULL THEN
		PERFORM juki._fail(a, 'pledge_missing', '55000', pg_catalog.format('no pledge is on record for contract %s', c.id));
	END IF;

	UPDATE juki.contract x SET pledge_received_on = NULL WHERE x.id = c.id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', c.id, 'was_received_on', c.pledge_received_on,
												'reason', v_reason));
END
$$;
COMMENT ON FUNCTION juki.withdraw_pledge(bigint, text) IS
	'誓約書の無効 (セキュリティ責任者): the pledge is void (unsigned, wrong signatory, revoked); the handlers'' access ends at once';

CREATE FUNCTION juki.approve_contract(contract bigint)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'approve_contract';
	v_id bigint := $1;
	c record;
	k record;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer']);
	IF v_id IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contract must not be NULL');
	END IF;
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	IF c.registered_by = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves a contract they registered themselves',
			'Another person holding juki_chief_security_officer approves.');
	END IF;
	IF c.approved_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'already_approved', '55000', pg_catalog.format('contract %s is already approved', v_id));
	END IF;
	SELECT * INTO k FROM juki.contractor x WHERE x.id = c.contractor_id;
	IF k.approved_at IS NULL THEN
		PERFORM juki._fail(a, 'contractor_unapproved', '55000',
			pg_catalog.format('contractor %s is not approved', k.id),
			'The contractor is approved first: juki.approve_contractor().');
	END IF;
	IF c.ends_on < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'contract_expired', '55000', pg_catalog.format('contract %s has ended', v_id));
	END IF;

	UPDATE juki.contract x SET approved_by = juki._caller(), approved_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'contractor_id', k.id,
												'pledge', c.pledge_received_on IS NOT NULL));
END
$$;
COMMENT ON FUNCTION juki.approve_contract(bigint) IS
	'委託契約の承認 (セキュリティ統括責任者): an approved contractor''s contract, not one''s own';

CREATE FUNCTION juki.suspend_contract(contract bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'suspend_contract';
	v_id bigint := $1;
	v_reason text := $2;
	c record;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_chief_security_officer']);
	IF v_id IS NULL OR v_reason IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contract and reason must not be NULL');
	END IF;
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_id));
	END IF;
	IF c.approved_at IS NULL THEN
		PERFORM juki._fail(a, 'contract_unapproved', '55000', pg_catalog.format('contract %s is not approved', v_id));
	END IF;

	UPDATE juki.contract x SET approved_by = NULL, approved_at = NULL WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL,
		detail => pg_catalog.jsonb_build_object('contract_id', v_id, 'reason', v_reason));
END
$$;
COMMENT ON FUNCTION juki.suspend_contract(bigint, text) IS
	'委託契約の承認取消し (セキュリティ統括責任者): the handlers'' access ends at once; juki.approve_contract() resumes it';

/* ============================================= 委託の都度の指定 (contract handlers) */

CREATE FUNCTION juki.designate_handler(contract bigint, operator bigint, valid_from date, valid_until date)
	RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'designate_handler';
	v_c bigint := $1;
	v_op bigint := $2;
	v_from date := $3;
	v_until date := $4;
	c record;
	o record;
	oc record;
	n integer;
	v_id bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF v_c IS NULL OR v_op IS NULL OR v_from IS NULL OR v_until IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'contract, operator, valid_from and valid_until must not be NULL');
	END IF;
	-- one designation at a time per contract: the handler count is exact
	SELECT * INTO c FROM juki.contract x WHERE x.id = v_c FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'contract_unknown', '22023', pg_catalog.format('contract %s does not exist', v_c));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = v_op;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'operator_unknown', '22023', pg_catalog.format('operator %s does not exist', v_op));
	END IF;
	IF o.kind <> 'contractor' THEN
		PERFORM juki._fail(a, 'not_a_contractor', '42501',
			pg_catalog.format('operator %s is staff, not a contractor''s handler', v_op),
			'Staff are designated with juki.designate().', v_op);
	END IF;
	-- 再委託: a handler employed by another contractor than the contract's
	SELECT * INTO oc FROM juki.contract x WHERE x.id = o.contract_id;
	IF oc.contractor_id <> c.contractor_id THEN
		PERFORM juki._fail(a, 'subcontracting_prohibited', '42501',
			pg_catalog.format('operator %s works for contractor %s, not for contractor %s of contract %s',
							  v_op, oc.contractor_id, c.contractor_id, v_c),
			'再委託 is prohibited (要領 第4): only the contractor''s own staff handle the data.', v_op);
	END IF;
	IF o.contract_id <> v_c THEN
		PERFORM juki._fail(a, 'wrong_contract', '42501',
			pg_catalog.format('operator %s is registered under contract %s, not contract %s', v_op, o.contract_id, v_c),
			'The access manager registers a handler under the contract they work on.', v_op);
	END IF;
	IF NOT juki._officer_of(o.department) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s, the department of operator %s', o.department, v_op),
			NULL, v_op);
	END IF;
	IF NOT o.department = ANY (juki._purpose_departments(c.purposes)) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('contract %s has no purpose of %s, the department of operator %s', v_c, o.department, v_op),
			NULL, v_op);
	END IF;
	IF o.retired_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'operator_retired', '55000', pg_catalog.format('operator %s has retired', v_op), NULL, v_op);
	END IF;
	IF c.approved_at IS NULL OR NOT EXISTS (SELECT 1 FROM juki.contractor k WHERE k.id = c.contractor_id
											 AND k.approved_at IS NOT NULL) THEN
		PERFORM juki._fail(a, 'contract_unapproved', '55000',
			pg_catalog.format('contract %s (or its contractor) is not approved', v_c), NULL, v_op);
	END IF;
	IF c.pledge_received_on IS NULL THEN
		PERFORM juki._fail(a, 'pledge_missing', '55000',
			pg_catalog.format('no pledge (誓約書) is on record for contract %s', v_c),
			'Record it first: juki.record_pledge().', v_op);
	END IF;
	IF v_until < v_from THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'valid_until is before valid_from', NULL, v_op);
	END IF;
	IF v_from < CURRENT_DATE THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a designation starts today or later', NULL, v_op);
	END IF;
	IF v_from < c.starts_on OR v_until > c.ends_on THEN
		PERFORM juki._fail(a, 'outside_contract_period', '22023',
			pg_catalog.format('the designation must lie inside the contract period %s to %s',
							  pg_catalog.to_char(c.starts_on, 'YYYY-MM-DD'), pg_catalog.to_char(c.ends_on, 'YYYY-MM-DD')),
			NULL, v_op);
	END IF;
	IF NOT EXISTS (SELECT 1 FROM juki.training t WHERE t.operator_id = v_op AND t.course = 'operator'
					AND t.completed_on >= CURRENT_DATE - interval '12 months') THEN
		PERFORM juki._fail(a, 'training_missing', '42501',
			pg_catalog.format('operator %s has not completed the operator training within the last 12 months', v_op),
			'The access manager records training: juki.record_training().', v_op);
	END IF;
	IF EXISTS (SELECT 1 FROM juki.contract_handler h WHERE h.contract_id = v_c AND h.operator_id = v_op
				AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from) THEN
		PERFORM juki._fail(a, 'already_designated', '22023',
			pg_catalog.format('operator %s is already designated on contract %s for part of this period', v_op, v_c),
			NULL, v_op);
	END IF;
	-- 必要最小限度: every other unrevoked designation overlapping the period counts
	SELECT count(DISTINCT h.operator_id) INTO n FROM juki.contract_handler h
	 WHERE h.contract_id = v_c AND h.revoked_at IS NULL AND h.valid_from <= v_until AND h.valid_until >= v_from;
	IF n >= c.max_handlers THEN
		PERFORM juki._fail(a, 'too_many_handlers', '54000',
			pg_catalog.format('contract %s allows %s handlers and %s are designated for this period', v_c, c.max_handlers, n),
			'要領 第3 2(1)③: revoke a handler first, or amend the contract.', v_op);
	END IF;

	INSERT INTO juki.contract_handler (contract_id, operator_id, designated_by, valid_from, valid_until)
	VALUES (v_c, v_op, juki._caller(), v_from, v_until)
	RETURNING id INTO v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => v_op,
		detail => pg_catalog.jsonb_build_object('handler_id', v_id, 'contract_id', v_c, 'valid_from', v_from,
												'valid_until', v_until, 'handlers', n + 1, 'max_handlers', c.max_handlers));
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION juki.designate_handler(bigint, bigint, date, date) IS
	'委託の都度の指定 (セキュリティ責任者): a handler of the contractor, on one contract, inside its period, within max_handlers';

CREATE FUNCTION juki.revoke_handler(id bigint, reason text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'revoke_handler';
	v_id bigint := $1;
	v_reason text := $2;
	h record;
	o record;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF v_id IS NULL OR v_reason IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'id and reason must not be NULL');
	END IF;
	IF pg_catalog.btrim(v_reason) = '' OR pg_catalog.length(v_reason) > 1000 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a reason has 1 to 1000 characters');
	END IF;
	SELECT * INTO h FROM juki.contract_handler x WHERE x.id = v_id FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'handler_unknown', '22023', pg_catalog.format('handler designation %s does not exist', v_id));
	END IF;
	SELECT * INTO o FROM juki.operator x WHERE x.id = h.operator_id;
	IF NOT juki._officer_of(o.department) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('you are not the security officer of %s', o.department), NULL, o.id);
	END IF;
	IF h.revoked_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'handler_revoked', '55000',
			pg_catalog.format('handler designation %s is already revoked', v_id), NULL, o.id);
	END IF;

	UPDATE juki.contract_handler x SET revoked_at = pg_catalog.now() WHERE x.id = v_id;
	PERFORM juki._policy_changed();
	PERFORM juki._log(a, 'granted', NULL, operator_id => o.id,
		detail => pg_catalog.jsonb_build_object('handler_id', v_id, 'contract_id', h.contract_id, 'reason', v_reason));
END
$$;
COMMENT ON FUNCTION juki.revoke_handler(bigint, text) IS '委託の都度の指定の取消し (セキュリティ責任者): access ends at once';

/* ============================================================= read functions */

CREATE FUNCTION juki.contractors()
	RETURNS TABLE (id bigint, name text, address text, vetting jsonb, unsatisfactory text[],
				   committee_reviewed_on date, registered_by text, approved_by text, approved boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contractors';
	n bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor']);
	RETURN QUERY
	SELECT k.id, k.name, k.address,
		   (SELECT pg_catalog.jsonb_object_agg(v.item, pg_catalog.jsonb_build_object('satisfactory', v.satisfactory,
					'finding', v.finding, 'evidence', v.evidence, 'checked_by', v.checked_by, 'checked_on', v.checked_on))
			  FROM juki.contractor_vetting v WHERE v.contractor_id = k.id),
		   (SELECT pg_catalog.array_agg(v.item ORDER BY v.item) FROM juki.contractor_vetting v
			 WHERE v.contractor_id = k.id AND NOT v.satisfactory),
		   k.committee_reviewed_on, k.registered_by, k.approved_by, k.approved_at IS NOT NULL
	  FROM juki.contractor k ORDER BY k.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.contractors() IS '委託事業者: vetting, review and approval (security officers, chief, auditors)';

CREATE FUNCTION juki.contracts()
	RETURNS TABLE (id bigint, contractor_id bigint, contractor text, scope text, purposes text[],
				   starts_on date, ends_on date, max_handlers integer, handlers_in_force integer,
				   pledge_received_on date, approved_by text, approved boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contracts';
	n bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor',
										'juki_access_manager']);
	RETURN QUERY
	SELECT c.id, c.contractor_id, k.name, c.scope, c.purposes, c.starts_on, c.ends_on, c.max_handlers,
		   (SELECT count(DISTINCT h.operator_id)::integer FROM juki.contract_handler h
			 WHERE h.contract_id = c.id AND h.revoked_at IS NULL AND CURRENT_DATE BETWEEN h.valid_from AND h.valid_until),
		   c.pledge_received_on, c.approved_by, c.approved_at IS NOT NULL
	  FROM juki.contract c JOIN juki.contractor k ON k.id = c.contractor_id ORDER BY c.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.contracts() IS '委託契約: contracts, handlers in force, pledge and approval';

CREATE FUNCTION juki.contract_handlers()
	RETURNS TABLE (id bigint, contract_id bigint, operator_id bigint, role_name name, department text,
				   designated_by text, valid_from date, valid_until date, revoked_at timestamptz)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'contract_handlers';
	n bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer', 'juki_chief_security_officer', 'juki_auditor']);
	RETURN QUERY
	SELECT h.id, h.contract_id, h.operator_id, o.role_name, o.department, h.designated_by, h.valid_from,
		   h.valid_until, h.revoked_at
	  FROM juki.contract_handler h JOIN juki.operator o ON o.id = h.operator_id ORDER BY h.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.contract_handlers() IS '委託の都度の指定: handler designations per contract';

GRANT EXECUTE ON FUNCTION juki.register_contractor(text, text, jsonb, text),
	juki.register_contract(bigint, text, text[], date, date, integer, text),
	juki.record_pledge(bigint, date), juki.withdraw_pledge(bigint, text),
	juki.designate_handler(bigint, bigint, date, date), juki.revoke_handler(bigint, text)
	TO juki_security_officer;
GRANT EXECUTE ON FUNCTION juki.record_committee_review(bigint, date, text), juki.approve_contractor(bigint),
	juki.approve_contract(bigint), juki.suspend_contract(bigint, text)
	TO juki_chief_security_officer;
GRANT EXECUTE ON FUNCTION juki.contractors(), juki.contract_handlers()
	TO juki_security_officer, juki_chief_security_officer, juki_auditor;
GRANT EXECUTE ON FUNCTION juki.contracts()
	TO juki_security_officer, juki_chief_security_officer, juki_auditor, juki_access_manager;
/* ------------------------------------------------------ 帳票の管理 (form ledger) */
/*
 * 要領 第3 2(2)③ (帳票を出力した場合には適正に管理) and 2(4) (セキュリティ責任者
 * の帳票の管理方法).  juki.issue_form (disclose.c) enters every printed form
 * in the ledger: serial YYYY-NNNNNN per year (juki.timezone), form type,
 * purpose, operator, resident, the disclosed fields.  From there:
 *
 *   issued ──file_form──► filed
 *   issued/filed ──request_form_destruction(method)──► (destruction requested)
 *   (requested) ──approve_form_destruction / destroy_form──► destroyed
 *
 * Every step is taken by a security officer of the department of the
 * operator who printed the form.  The destruction needs two officers: the
 * one who approves is never the one who requested it, and never the
 * operator who printed the form (a former operator may later become an
 * officer of the same department).  juki.destroy_form(serial, method), the
 * one-step version of issue 3, is now the approval step: it approves a
 * pending request made with the same method, and refuses when there is
 * none (destruction_not_requested).
 */
ALTER TABLE juki.printed_form
	ADD COLUMN destruction_requested_by text,
	ADD COLUMN destruction_requested_at timestamptz;

-- The form with this serial, for a security officer of its department;
-- every refusal logged.  Internal: the body of the functions below.
CREATE FUNCTION juki._form_for_officer(a text, v_serial text) RETURNS juki.printed_form
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f juki.printed_form;
	dept text;
BEGIN
	IF a IS NULL OR a NOT IN ('file_form', 'request_form_destruction', 'approve_form_destruction', 'destroy_form') THEN
		RAISE EXCEPTION 'juki._form_for_officer is internal' USING ERRCODE = '42501';
	END IF;
	IF v_serial IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'a form serial is required',
			'e.g. ''2026-000001'' as printed on the form');
	END IF;
	IF v_serial !~ '^[0-9]{4}-[0-9]{6}$' THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a form serial looks like 2026-000001');
	END IF;
	SELECT * INTO f FROM juki.printed_form p WHERE p.serial = v_serial FOR UPDATE;
	IF NOT FOUND THEN
		PERFORM juki._fail(a, 'form_unknown', '22023', pg_catalog.format('no form has serial %s', v_serial));
	END IF;
	SELECT o.department INTO dept FROM juki.operator o WHERE o.id = f.operator_id;
	IF NOT juki._officer_of(dept) THEN
		PERFORM juki._fail(a, 'wrong_department', '42501',
			pg_catalog.format('form %s was issued in %s, not your department', v_serial, dept),
			NULL, f.operator_id, f.purpose);
	END IF;
	IF f.status = 'destroyed' THEN
		PERFORM juki._fail(a, 'form_destroyed', '55000',
			pg_catalog.format('form %s was already destroyed', v_serial), NULL, f.operator_id, f.purpose);
	END IF;
	RETURN f;
END
$$;

-- Did the caller print this form (as an operator, maybe before becoming an officer)?
CREATE FUNCTION juki._form_issuer_is_caller(f juki.printed_form) RETURNS boolean
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT EXISTS (SELECT 1 FROM juki.operator o WHERE o.id = ($1).operator_id AND o.role_name::text = juki._caller())
$$;

CREATE FUNCTION juki.file_form(serial text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a constant text := 'file_form';
	f juki.printed_form;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	f := juki._form_for_officer(a, $1);
	IF f.status = 'filed' THEN
		PERFORM juki._fail(a, 'form_filed', '55000', pg_catalog.format('form %s is already filed', f.serial),
			NULL, f.operator_id, f.purpose);
	END IF;
	UPDATE juki.printed_form p SET status = 'filed', filed_at = pg_catalog.now() WHERE p.serial = f.serial;
	PERFORM juki._log(a, 'granted', NULL, f.purpose, f.operator_id, NULL, f.residents,
		pg_catalog.jsonb_build_object('form_serial', f.serial, 'form_type', f.form_type));
END
$$;
COMMENT ON FUNCTION juki.file_form(text) IS '帳票の保管 (セキュリティ責任者): a printed form is filed (issued → filed)';

CREATE FUNCTION juki.request_form_destruction(serial text, method text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	a constant text := 'request_form_destruction';
	v_method text := $2;
	f juki.printed_form;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	f := juki._form_for_officer(a, $1);
	IF v_method IS NULL OR pg_catalog.btrim(v_method) = '' OR pg_catalog.length(v_method) > 200 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'a destruction method has 1 to 200 characters',
			'e.g. ''shredded'', ''dissolved''', f.operator_id, f.purpose);
	END IF;
	IF juki._form_issuer_is_caller(f) THEN
		PERFORM juki._fail(a, 'own_form', '42501', 'nobody handles the destruction of a form they printed',
			'Another security officer of the department requests it.', f.operator_id, f.purpose);
	END IF;
	IF f.destruction_requested_at IS NOT NULL THEN
		PERFORM juki._fail(a, 'destruction_requested', '55000',
			pg_catalog.format('the destruction of form %s is already requested', f.serial),
			'Another security officer approves it: juki.approve_form_destruction().', f.operator_id, f.purpose);
	END IF;
	UPDATE juki.printed_form p
	   SET destroy_method = v_method, destruction_requested_by = juki._caller(),
	       destruction_requested_at = pg_catalog.now()
	 WHERE p.serial = f.serial;
	PERFORM juki._log(a, 'granted', NULL, f.purpose, f.operator_id, NULL, f.residents,
		pg_catalog.jsonb_build_object('form_serial', f.serial, 'method', v_method));
END
$$;
COMMENT ON FUNCTION juki.request_form_destruction(text, text) IS
	'帳票の廃棄の申請 (セキュリティ責任者): propose destroying a printed form by a method; a second officer approves';

-- The approval, shared by approve_form_destruction and destroy_form.
CREATE FUNCTION juki._approve_destruction(a text, v_serial text, v_method text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
	f juki.printed_form;
BEGIN
	IF a IS NULL OR a NOT IN ('approve_form_destruction', 'destroy_form') THEN
		RAISE EXCEPTION 'juki._approve_destruction is internal' USING ERRCODE = '42501';
	END IF;
	PERFORM juki._require_role(a, ARRAY['juki_security_officer']);
	IF a = 'destroy_form' AND (v_method IS NULL OR pg_catalog.btrim(v_method) = '') THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'a form serial and a destruction method are required',
			'e.g. juki.destroy_form(''2026-000001'', ''shredded'')');
	END IF;
	f := juki._form_for_officer(a, v_serial);
	IF f.destruction_requested_at IS NULL THEN
		PERFORM juki._fail(a, 'destruction_not_requested', '55000',
			pg_catalog.format('nobody has requested the destruction of form %s', f.serial),
			'One security officer requests it (juki.request_form_destruction), another approves it.',
			f.operator_id, f.purpose);
	END IF;
	IF f.destruction_requested_by = juki._caller() THEN
		PERFORM juki._fail(a, 'self_approval', '42501', 'nobody approves the destruction they requested',
			'Another security officer of the department approves it.', f.operator_id, f.purpose);
	END IF;
	IF juki._form_issuer_is_caller(f) THEN
		PERFORM juki._fail(a, 'own_form', '42501', 'nobody approves the destruction of a form they printed',
			'Another security officer of the department approves it.', f.operator_id, f.purpose);
	END IF;
	IF v_method IS NOT NULL AND v_method <> f.destroy_method THEN
		PERFORM juki._fail(a, 'method_mismatch', '22023',
			pg_catalog.format('the destruction of form %s was requested by another method', f.serial),
			'Approve the method requested, or have the request made again.', f.operator_id, f.purpose);
	END IF;
	UPDATE juki.printed_form p
	   SET status = 'destroyed', destroyed_by = f.destruction_requested_by, destroyed_at = pg_catalog.now(),
	       destroy_approved_by = juki._caller()
	 WHERE p.serial = f.serial;
	PERFORM juki._log(a, 'granted', NULL, f.purpose, f.operator_id, NULL, f.residents,
		pg_catalog.jsonb_build_object('form_serial', f.serial, 'method', f.destroy_method,
									  'requested_by', f.destruction_requested_by));
END
$$;

CREATE FUNCTION juki.approve_form_destruction(serial text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._approve_destruction('approve_form_destruction', $1, NULL);
END
$$;
COMMENT ON FUNCTION juki.approve_form_destruction(text) IS
	'帳票の廃棄の承認 (セキュリティ責任者): a second officer, not the requester nor the printer, approves; the form is destroyed';

-- Issue 3's one-step juki.destroy_form is now the approval step (see above).
CREATE FUNCTION juki.destroy_form(serial text, method text)
	RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	PERFORM juki._approve_destruction('destroy_form', $1, $2);
END
$$;
COMMENT ON FUNCTION juki.destroy_form(text, text) IS
	'帳票の廃棄 (セキュリティ責任者): approve the pending destruction request of a form, by the method requested';

CREATE FUNCTION juki.forms()
	RETURNS TABLE (serial text, form_type text, purpose text, operator_id bigint, role_name name,
				   department text, residents text[], printed_at timestamptz, status text,
				   filed_at timestamptz, destruction_requested_by text, destroy_method text,
				   destroyed_by text, destroy_approved_by text, destroyed_at timestamptz)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'forms';
	see_all boolean;
	n bigint;
BEGIN
	PERFORM juki._require_role(a, ARRAY['juki_security_officer', 'juki_chief_security_officer']);
	see_all := juki._has_role('juki_chief_security_officer');
	RETURN QUERY
	SELECT f.serial, f.form_type, f.purpose, f.operator_id, o.role_name, o.department, f.residents, f.printed_at,
		   f.status, f.filed_at, f.destruction_requested_by, f.destroy_method, f.destroyed_by,
		   f.destroy_approved_by, f.destroyed_at
	  FROM juki.printed_form f JOIN juki.operator o ON o.id = f.operator_id
	 WHERE see_all OR juki._officer_of(o.department)
	 ORDER BY f.serial;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n);
END
$$;
COMMENT ON FUNCTION juki.forms() IS
	'帳票の台帳: the form ledger (security officers: their departments; chief: all)';

GRANT EXECUTE ON FUNCTION juki.file_form(text), juki.request_form_destruction(text, text),
	juki.approve_form_destruction(text), juki.destroy_form(text, text), juki.forms() TO juki_security_officer;
GRANT EXECUTE ON FUNCTION juki.forms() TO juki_chief_security_officer;
/* ------------------------------------------------------------ 監査 (reports) */
/*
 * 要領 第1 5 (監査・研修体制) and 第2 3 (操作履歴の保管): the auditor's and the
 * chief's reports, as functions returning tables that can be filtered further
 * in SQL.  Each call is logged once (action report_<name>, row_count, the
 * parameters in detail); the provision record also names its resident in
 * subjects.  Granted to juki_auditor and juki_chief_security_officer.
 * Reports read the operation log and the policy tables; they never return a
 * resident's name or address (resident codes only, and only where asked).
 * Days are calendar days in juki.timezone.  Windows are [since, until).
 */

-- The time zone of juki's calendar (juki.timezone), falling back to Asia/Tokyo.
CREATE FUNCTION juki._tz() RETURNS text
	LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
	SELECT coalesce(pg_catalog.current_setting('juki.timezone', true), 'Asia/Tokyo')
$$;

-- Role and window checks common to the reports; internal.
CREATE FUNCTION juki._report_start(a text, since timestamptz, until timestamptz) RETURNS void
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
	IF a IS NULL OR a !~ '^report_[a-z_]+$' THEN
		RAISE EXCEPTION 'juki._report_start is internal' USING ERRCODE = '42501';
	END IF;
	PERFORM juki._require_role(a, ARRAY['juki_auditor', 'juki_chief_security_officer']);
	IF since IS NULL OR until IS NULL THEN
		PERFORM juki._fail(a, 'null_argument', '22004', 'since and until must not be NULL');
	END IF;
	IF until < since THEN
		PERFORM juki._fail(a, 'dates_out_of_order', '22023', 'until is before since');
	END IF;
END
$$;

/* --------------------------------------------------- access by operator, purpose, day */

CREATE FUNCTION juki.report_access(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
								   until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (day date, operator_id bigint, role_name name, display_name text, department text,
				   purpose text, action text, granted bigint, denied bigint, rows_disclosed bigint)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_access';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT (l.ts AT TIME ZONE juki._tz())::date, l.operator_id, o.role_name, o.display_name, o.department,
		   l.purpose, l.action, count(*) FILTER (WHERE l.outcome = 'granted'),
		   count(*) FILTER (WHERE l.outcome <> 'granted'),
		   coalesce(sum(l.row_count) FILTER (WHERE l.outcome = 'granted'), 0)::bigint
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	 WHERE l.action IN ('lookup', 'search', 'issue_form') AND l.ts >= $1 AND l.ts < $2
	 GROUP BY 1, 2, 3, 4, 5, 6, 7
	 ORDER BY 1, 3 NULLS FIRST, 6 NULLS FIRST, 7;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_access(timestamptz, timestamptz) IS
	'監査: disclosures granted and refused per day, operator, purpose and kind (lookup, search, form)';

/* ------------------------------------------------- 提供状況 (a resident's provision record) */

CREATE FUNCTION juki.report_provision(resident_code text,
									  since timestamptz DEFAULT pg_catalog.now() - interval '1 year',
									  until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, disclosed_at timestamptz, disclosed_on date, action text, purpose text,
				   purpose_title text, legal_basis text, department text, operator_id bigint,
				   operator_name text, contractor text, fields text[], form_serial text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_provision';
	v_code text := $1;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $2, $3);
	IF v_code IS NULL OR NOT juki.is_valid_resident_code(v_code) THEN
		PERFORM juki._fail(a, 'invalid_resident_code', '22023', 'resident_code is not a valid 住民票コード',
			'A 住民票コード has 11 ASCII digits.');
	END IF;
	RETURN QUERY
	SELECT l.seq, l.ts, (l.ts AT TIME ZONE juki._tz())::date, l.action, l.purpose, p.title, p.legal_basis,
		   o.department, l.operator_id, o.display_name, k.name, l.fields, l.detail ->> 'form_serial'
	  FROM juki.operation_log l
	  LEFT JOIN juki.operator o ON o.id = l.operator_id
	  LEFT JOIN juki.contract c ON c.id = o.contract_id
	  LEFT JOIN juki.contractor k ON k.id = c.contractor_id
	  LEFT JOIN LATERAL (SELECT x.title, x.legal_basis FROM juki.purpose x WHERE x.code = l.purpose
						  ORDER BY (x.version = (l.detail ->> 'purpose_version')::integer) DESC, x.version DESC
						  LIMIT 1) p ON true
	 WHERE l.action IN ('lookup', 'search', 'issue_form') AND l.outcome = 'granted'
	   AND l.subjects @> ARRAY[v_code] AND l.ts >= $2 AND l.ts < $3
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, subjects => ARRAY[v_code], row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $2, 'until', $3));
END
$$;
COMMENT ON FUNCTION juki.report_provision(text, timestamptz, timestamptz) IS
	'提供状況の開示: when, for which purpose (and law), to which department and operator, which items of a resident were disclosed';

/* ------------------------------------------------------------------ denials */

CREATE FUNCTION juki.report_denials(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
									until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (reason text, action text, denials bigint, operators bigint, db_roles bigint,
				   first_at timestamptz, last_at timestamptz)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_denials';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.reason, l.action, count(*), count(DISTINCT l.operator_id), count(DISTINCT l.db_role),
		   min(l.ts), max(l.ts)
	  FROM juki.operation_log l
	 WHERE l.outcome = 'denied' AND l.ts >= $1 AND l.ts < $2
	 GROUP BY 1, 2 ORDER BY 1, 2;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_denials(timestamptz, timestamptz) IS '監査: refusals by reason and action';

/* ---------------------------------------------------------------- off hours */

CREATE FUNCTION juki.report_off_hours(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
									  until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, ts timestamptz, day date, operator_id bigint, role_name name, department text,
				   action text, purpose text, permit_id bigint, row_count bigint)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_off_hours';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.seq, l.ts, (l.ts AT TIME ZONE juki._tz())::date, l.operator_id, o.role_name, o.department,
		   l.action, l.purpose, l.permit_id, l.row_count
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	 WHERE l.outcome = 'granted' AND l.action IN ('lookup', 'search', 'issue_form')
	   AND (l.detail ->> 'off_hours')::boolean AND l.ts >= $1 AND l.ts < $2
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_off_hours(timestamptz, timestamptz) IS
	'監査: disclosures outside the operating hours (運用時間), under an off-hours permit';

/* -------------------------------------------------------------- bulk requests */

CREATE FUNCTION juki.report_bulk(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
								 until timestamptz DEFAULT pg_catalog.now(), min_rows integer DEFAULT 100)
	RETURNS TABLE (seq bigint, ts timestamptz, operator_id bigint, role_name name, purpose text,
				   outcome text, reason text, row_count bigint, permit_id bigint, permit_bulk_rows integer)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_bulk';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	IF $3 IS NULL OR $3 < 1 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'min_rows must be at least 1');
	END IF;
	RETURN QUERY
	SELECT l.seq, l.ts, l.operator_id, o.role_name, l.purpose, l.outcome, l.reason, l.row_count, l.permit_id,
		   ap.bulk_rows
	  FROM juki.operation_log l
	  LEFT JOIN juki.operator o ON o.id = l.operator_id
	  LEFT JOIN juki.access_permit ap ON ap.id = l.permit_id
	 WHERE l.action = 'search' AND l.ts >= $1 AND l.ts < $2
	   AND (ap.bulk_rows IS NOT NULL OR l.row_count >= $3 OR l.reason IN ('too_many_rows', 'permit_used')
			OR EXISTS (SELECT 1 FROM juki.purpose p WHERE p.code = l.purpose AND p.allows_bulk))
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2, 'min_rows', $3));
END
$$;
COMMENT ON FUNCTION juki.report_bulk(timestamptz, timestamptz, integer) IS
	'監査: 大量データ取り扱い: batch searches, searches of min_rows rows or more, and refused oversized ones';

/* ----------------------------------------------------- login failures and lockouts */

CREATE FUNCTION juki.report_login_failures(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
										   until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, ts timestamptz, action text, outcome text, reason text, operator_id bigint,
				   role_name name, card_serial text, client_addr text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_login_failures';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.seq, l.ts, l.action, l.outcome, l.reason, l.operator_id, o.role_name, l.card_serial, l.client_addr
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	 WHERE ((l.action IN ('card_login', 'unlock') AND l.outcome <> 'granted') OR l.action = 'operator_lock')
	   AND l.ts >= $1 AND l.ts < $2
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_login_failures(timestamptz, timestamptz) IS
	'監査: failed logins and unlocks (the precise reason) and lockouts (operator_lock)';

/* ----------------------------------------------------------- possible shared IDs */

CREATE FUNCTION juki.report_shared_ids(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
									   until timestamptz DEFAULT pg_catalog.now(), max_hours integer DEFAULT 10)
	RETURNS TABLE (session_id bigint, operator_id bigint, role_name name, card_serial text, addresses text[],
				   first_at timestamptz, last_at timestamptz, hours numeric, several_addresses boolean,
				   long_session boolean)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_shared_ids';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	IF $3 IS NULL OR $3 < 1 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'max_hours must be at least 1');
	END IF;
	RETURN QUERY
	SELECT s.session_id, s.operator_id, o.role_name, s.card_serial, s.addresses, s.first_at, s.last_at,
		   round(extract(epoch FROM s.last_at - s.first_at) / 3600, 1),
		   pg_catalog.cardinality(s.addresses) > 1, s.last_at - s.first_at >= $3 * interval '1 hour'
	  FROM (SELECT l.session_id, min(l.operator_id) AS operator_id, min(l.card_serial) AS card_serial,
				   pg_catalog.array_agg(DISTINCT coalesce(l.client_addr, 'local')) AS addresses,
				   min(l.ts) AS first_at, max(l.ts) AS last_at
			  FROM juki.operation_log l
			 WHERE l.session_id IS NOT NULL AND l.ts >= $1 AND l.ts < $2
			 GROUP BY l.session_id) s
	  LEFT JOIN juki.operator o ON o.id = s.operator_id
	 WHERE pg_catalog.cardinality(s.addresses) > 1 OR s.last_at - s.first_at >= $3 * interval '1 hour'
	 ORDER BY s.session_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2, 'max_hours', $3));
END
$$;
COMMENT ON FUNCTION juki.report_shared_ids(timestamptz, timestamptz, integer) IS
	'監査: possible shared IDs: one operator session seen from several client addresses (local = Unix socket), or active max_hours or longer';

/* ------------------------------------------------- designation and permit changes */

CREATE FUNCTION juki.report_designation_changes(since timestamptz DEFAULT pg_catalog.now() - interval '30 days',
												until timestamptz DEFAULT pg_catalog.now())
	RETURNS TABLE (seq bigint, ts timestamptz, action text, changed_by text, operator_id bigint, role_name name,
				   purpose text, permit_id bigint, detail jsonb)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_designation_changes';
	n bigint;
BEGIN
	PERFORM juki._report_start(a, $1, $2);
	RETURN QUERY
	SELECT l.seq, l.ts, l.action, l.db_role, l.operator_id, o.role_name, l.purpose, l.permit_id, l.detail
	  FROM juki.operation_log l LEFT JOIN juki.operator o ON o.id = l.operator_id
	 WHERE l.outcome = 'granted' AND l.ts >= $1 AND l.ts < $2
	   AND l.action IN ('designate', 'revoke_designation', 'designate_handler', 'revoke_handler',
						'request_permit', 'approve_permit', 'reject_permit', 'retire_operator',
						'appoint_security_officer', 'retire_security_officer')
	 ORDER BY l.seq;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('since', $1, 'until', $2));
END
$$;
COMMENT ON FUNCTION juki.report_designation_changes(timestamptz, timestamptz) IS
	'監査: 指名, 委託の都度の指定 and 許可 given, changed and withdrawn, and who did it';

/* --------------------------------------------------- designations unused for 90 days */

CREATE FUNCTION juki.report_unused_designations(days integer DEFAULT 90)
	RETURNS TABLE (kind text, id bigint, operator_id bigint, role_name name, department text, purposes text[],
				   designated_on date, valid_until date, last_used timestamptz, days_unused integer)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_unused_designations';
	v_days integer := $1;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 OR v_days > 3650 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'days must be between 0 and 3650');
	END IF;
	RETURN QUERY
	WITH d AS (
		SELECT 'designation'::text AS kind, x.id, x.operator_id, x.purposes, x.created_at, x.valid_until
		  FROM juki.designation x WHERE x.revoked_at IS NULL
		UNION ALL
		SELECT 'contract_handler', h.id, h.operator_id, c.purposes, h.created_at, h.valid_until
		  FROM juki.contract_handler h JOIN juki.contract c ON c.id = h.contract_id WHERE h.revoked_at IS NULL
	), u AS (
		SELECT d.*, (SELECT max(l.ts) FROM juki.operation_log l
					  WHERE l.operator_id = d.operator_id AND l.outcome = 'granted'
						AND l.action IN ('lookup', 'search', 'issue_form') AND l.purpose = ANY (d.purposes)
						AND l.ts >= d.created_at) AS last_used
		  FROM d
		 WHERE d.valid_until >= (pg_catalog.now() AT TIME ZONE juki._tz())::date
		   AND d.created_at <= pg_catalog.now() - v_days * interval '1 day'
	)
	SELECT u.kind, u.id, u.operator_id, o.role_name, o.department, u.purposes,
		   (u.created_at AT TIME ZONE juki._tz())::date, u.valid_until, u.last_used,
		   ((pg_catalog.now() AT TIME ZONE juki._tz())::date
			- (coalesce(u.last_used, u.created_at) AT TIME ZONE juki._tz())::date)::integer
	  FROM u JOIN juki.operator o ON o.id = u.operator_id
	 WHERE o.retired_at IS NULL
	   AND (u.last_used IS NULL OR u.last_used <= pg_catalog.now() - v_days * interval '1 day')
	 ORDER BY o.role_name, u.kind, u.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_unused_designations(integer) IS
	'監査: designations (指名) and handler designations in force, older than days, not used for any of their purposes for days (default 90): candidates for revocation (必要最小限度)';

/* ---------------------------------------------------------------- outstanding forms */

CREATE FUNCTION juki.report_outstanding_forms(older_than_days integer DEFAULT 0)
	RETURNS TABLE (serial text, form_type text, purpose text, operator_id bigint, role_name name,
				   department text, printed_at timestamptz, days_outstanding integer, status text,
				   destruction_requested boolean, destruction_requested_by text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_outstanding_forms';
	v_days integer := $1;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'older_than_days must be 0 or more');
	END IF;
	RETURN QUERY
	SELECT f.serial, f.form_type, f.purpose, f.operator_id, o.role_name, o.department, f.printed_at,
		   ((pg_catalog.now() AT TIME ZONE juki._tz())::date - (f.printed_at AT TIME ZONE juki._tz())::date)::integer,
		   f.status, f.destruction_requested_at IS NOT NULL, f.destruction_requested_by
	  FROM juki.printed_form f JOIN juki.operator o ON o.id = f.operator_id
	 WHERE f.status <> 'destroyed' AND f.printed_at <= pg_catalog.now() - v_days * interval '1 day'
	 ORDER BY f.serial;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('older_than_days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_outstanding_forms(integer) IS
	'帳票: printed forms never destroyed (issued or filed), with pending destruction requests';

/* ---------------------------------------------------------------------- contracts */

CREATE FUNCTION juki.report_contracts(within_days integer DEFAULT 60)
	RETURNS TABLE (contract_id bigint, contractor text, starts_on date, ends_on date, days_left integer,
				   pledge_received_on date, approved boolean, contractor_approved boolean,
				   handlers_in_force integer, max_handlers integer, issues text[])
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_contracts';
	v_days integer := $1;
	today date := (pg_catalog.now() AT TIME ZONE juki._tz())::date;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 OR v_days > 3650 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'within_days must be between 0 and 3650');
	END IF;
	RETURN QUERY
	SELECT * FROM (
		SELECT c.id, k.name, c.starts_on, c.ends_on, (c.ends_on - today)::integer, c.pledge_received_on,
			   c.approved_at IS NOT NULL, k.approved_at IS NOT NULL,
			   (SELECT count(DISTINCT h.operator_id)::integer FROM juki.contract_handler h
				 WHERE h.contract_id = c.id AND h.revoked_at IS NULL AND today BETWEEN h.valid_from AND h.valid_until),
			   c.max_handlers,
			   pg_catalog.array_remove(ARRAY[
				   CASE WHEN c.ends_on < today THEN 'expired' END,
				   CASE WHEN c.ends_on >= today AND c.ends_on <= today + v_days THEN 'expires_soon' END,
				   CASE WHEN c.pledge_received_on IS NULL THEN 'pledge_missing' END,
				   CASE WHEN c.approved_at IS NULL THEN 'contract_unapproved' END,
				   CASE WHEN k.approved_at IS NULL THEN 'contractor_unapproved' END,
				   CASE WHEN c.ends_on < today AND EXISTS (SELECT 1 FROM juki.contract_handler h
						WHERE h.contract_id = c.id AND h.revoked_at IS NULL AND h.valid_until >= c.ends_on)
						THEN 'handlers_not_revoked' END], NULL) AS issues
		  FROM juki.contract c JOIN juki.contractor k ON k.id = c.contractor_id
		 WHERE c.ends_on >= today - v_days
	) r
	 WHERE pg_catalog.cardinality(r.issues) > 0
	 ORDER BY r.ends_on, r.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('within_days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_contracts(integer) IS
	'外部委託: contracts expiring within (or ended within) within_days days, lacking a pledge (誓約書) or an approval';

/* ------------------------------------------------------------------------ training */

CREATE FUNCTION juki.report_training_due(within_days integer DEFAULT 30)
	RETURNS TABLE (operator_id bigint, role_name name, display_name text, department text, kind text,
				   course text, last_completed date, due_on date, days_left integer, status text)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_training_due';
	v_days integer := $1;
	today date := (pg_catalog.now() AT TIME ZONE juki._tz())::date;
	n bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	IF v_days IS NULL OR v_days < 0 OR v_days > 366 THEN
		PERFORM juki._fail(a, 'invalid_argument', '22023', 'within_days must be between 0 and 366');
	END IF;
	RETURN QUERY
	SELECT * FROM (
		SELECT o.id, o.role_name, o.display_name, o.department, o.kind, cs.course, t.last,
			   (t.last + interval '12 months')::date,
			   ((t.last + interval '12 months')::date - today)::integer,
			   CASE WHEN t.last IS NULL THEN 'never'
					WHEN (t.last + interval '12 months')::date < today THEN 'overdue'
					ELSE 'due' END AS status
		  FROM juki.operator o
		 CROSS JOIN (VALUES ('operator'), ('administrator')) cs(course)
		  LEFT JOIN LATERAL (SELECT max(x.completed_on) AS last FROM juki.training x
							  WHERE x.operator_id = o.id AND x.course = cs.course) t ON true
		 WHERE o.retired_at IS NULL
		   -- the administrator course is renewed by those who took it
		   AND (cs.course = 'operator' OR t.last IS NOT NULL)
	) r
	 WHERE r.last IS NULL OR (r.last + interval '12 months')::date <= today + v_days
	 ORDER BY r.role_name, r.course;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM juki._log(a, 'granted', NULL, row_count => n,
		detail => pg_catalog.jsonb_build_object('within_days', v_days));
END
$$;
COMMENT ON FUNCTION juki.report_training_due(integer) IS
	'研修: operators whose course (within 12 months) is missing, overdue, or due within within_days days';

/* ------------------------------------------------------------------------ log health */

CREATE FUNCTION juki.report_log_health()
	RETURNS TABLE (last_seq bigint, last_entry_at timestamptz, last_verify_at timestamptz, last_verify_ok boolean,
				   last_verify_by text, last_verify_entries bigint, last_checkpoint_seq bigint,
				   last_checkpoint_at timestamptz, entries_after_checkpoint bigint, last_export_to_seq bigint,
				   last_export_at timestamptz, entries_after_export bigint)
	LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
DECLARE
	a constant text := 'report_log_health';
	v_last bigint;
BEGIN
	PERFORM juki._report_start(a, pg_catalog.now(), pg_catalog.now());
	SELECT max(l.seq) INTO v_last FROM juki.operation_log l;
	RETURN QUERY
	SELECT v_last, (SELECT l.ts FROM juki.operation_log l WHERE l.seq = v_last),
		   v.ts, (v.detail ->> 'ok')::boolean, v.db_role, (v.detail ->> 'entries_checked')::bigint,
		   cp.seq, cp.ts, v_last - cp.seq, ex.to_seq, ex.exported_at, v_last - ex.to_seq
	  FROM (SELECT 1) one
	  LEFT JOIN LATERAL (SELECT l.ts, l.detail, l.db_role FROM juki.operation_log l
						  WHERE l.action = 'verify_log' AND l.outcome = 'granted' ORDER BY l.seq DESC LIMIT 1) v ON true
	  LEFT JOIN LATERAL (SELECT c.seq, c.ts FROM juki.audit_checkpoint c ORDER BY c.seq DESC LIMIT 1) cp ON true
	  LEFT JOIN LATERAL (SELECT e.to_seq, e.exported_at FROM juki.audit_export e ORDER BY e.to_seq DESC, e.id DESC
						  LIMIT 1) ex ON true;
	PERFORM juki._log(a, 'granted', NULL, row_count => 1);
END
$$;
COMMENT ON FUNCTION juki.report_log_health() IS
	'操作履歴: last verification (and its result), last signed checkpoint, last export to media, entries not yet covered';

GRANT EXECUTE ON FUNCTION juki.report_access(timestamptz, timestamptz),
	juki.report_provision(text, timestamptz, timestamptz),
	juki.report_denials(timestamptz, timestamptz), juki.report_off_hours(timestamptz, timestamptz),
	juki.report_bulk(timestamptz, timestamptz, integer), juki.report_login_failures(timestamptz, timestamptz),
	juki.report_shared_ids(timestamptz, timestamptz, integer),
	juki.report_designation_changes(timestamptz, timestamptz), juki.report_unused_designations(integer),
	juki.report_outstanding_forms(integer), juki.report_contracts(integer), juki.report_training_due(integer),
	juki.report_log_health()
	TO juki_auditor, juki_chief_security_officer;
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

-- Parallel workers are outside juki's door (a user's PARALLEL SAFE function
-- run in a worker must not read juki's tables), so juki's own PL/pgSQL
-- functions never plan parallel queries.
DO $noparallel$
DECLARE f regprocedure;
BEGIN
	FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
			  WHERE p.pronamespace = 'juki'::regnamespace AND l.lanname IN ('plpgsql', 'sql')
				AND p.prokind = 'f' AND p.proname <> 'fold'
	LOOP
		EXECUTE pg_catalog.format('ALTER FUNCTION %s SET max_parallel_workers_per_gather = 0', f);
	END LOOP;
END
$noparallel$;
