-- Hologres as the sync sink meets it, on a real PostgreSQL 15: the rules of
-- specs/hologres.md section 8 that a PostgreSQL server would not enforce,
-- each raising Hologres' own error text. Installed into one database by the
-- test harness (PostgresServer::InstallHologresFixture), with the server
-- started with hg_gucs.so preloaded (the hg_* session settings).
--
-- Enforced: hg_version() (rule 1); set_table_property's names and values
-- (2-5, 12, 13), its creation-transaction properties (3) and the row table
-- without a key (6); key types and count (7), UNIQUE and CHECK (8), numeric
-- precision (9), CREATE INDEX (34); DML inside a transaction block only with
-- hg_experimental_enable_transaction on and version 2.0 or later (24, 25);
-- DML after DDL in one block never (26); hologres.hg_table_properties (37);
-- partitioned tables (15-18).
-- Not enforced (the sink's own tests cover what it sends): the others.

CREATE SCHEMA hg_fixture;
-- psql -v module=<path of hg_gucs.so>
CREATE FUNCTION hg_fixture.in_block() RETURNS boolean LANGUAGE c VOLATILE AS :'module', 'hg_fixture_in_block';
CREATE TABLE hg_fixture.config (version text NOT NULL);
INSERT INTO hg_fixture.config VALUES ('2.2.22');

CREATE FUNCTION hg_fixture.version_at_least(major int, minor int) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT (split_part(version, '.', 1)::int, split_part(version, '.', 2)::int) >= (major, minor) FROM hg_fixture.config
$$;

CREATE FUNCTION public.hg_version() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT 'Hologres ' || version || ' (tag: ' || version || ' build: fixture), compatible with PostgreSQL 11.3 '
         '(fixture) on x86_64-pc-linux-gnu' FROM hg_fixture.config
$$;

CREATE SCHEMA hologres;
CREATE TABLE hologres.hg_table_properties (
  table_namespace text NOT NULL,
  table_name text NOT NULL,
  property_key text NOT NULL,
  property_value text,
  PRIMARY KEY (table_namespace, table_name, property_key)
);

-- The columns of a property value: 'a,b' or '"a":asc;b' (clustering keys).
CREATE FUNCTION hg_fixture.columns_of(value text) RETURNS SETOF text LANGUAGE sql IMMUTABLE AS $$
  SELECT btrim(split_part(btrim(item), ':', 1), '"')
  FROM regexp_split_to_table(value, '[,;]') AS item
  WHERE btrim(item) <> ''
$$;

CREATE PROCEDURE public.set_table_property(t text, k text, v text) LANGUAGE plpgsql AS $$
DECLARE
  key text := lower(k);
  rel regclass := t::regclass;
  created_here boolean;
  has_key boolean;
  col text;
  not_null boolean;
BEGIN
  SELECT c.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text INTO created_here
  FROM pg_class c WHERE c.oid = rel;
  SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = rel AND contype = 'p') INTO has_key;
  IF key IN ('orientation', 'distribution_key', 'clustering_key', 'event_time_column', 'segment_key', 'table_group')
     AND NOT created_here THEN
    RAISE EXCEPTION 'SET_TABLE_PROPERTY and CREATE TABLE statement are not in the same transaction for table %', t;
  END IF;
  IF key = 'orientation' THEN
    IF v NOT IN ('column', 'row', 'row,column') OR (v = 'row,column' AND NOT hg_fixture.version_at_least(1, 1)) THEN
      RAISE EXCEPTION 'invalid table property value "%" for orientation', v;
    END IF;
    IF v <> 'column' AND NOT has_key THEN
      RAISE EXCEPTION 'row oriented table % must have a primary key', t;
    END IF;
  ELSIF key IN ('distribution_key', 'clustering_key', 'event_time_column', 'segment_key', 'bitmap_columns',
                'dictionary_encoding_columns') THEN
    FOR col IN SELECT hg_fixture.columns_of(v) LOOP
      SELECT a.attnotnull INTO not_null FROM pg_attribute a
      WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'column "%" in % does not exist in table %', col, key, t;
      END IF;
      IF key IN ('clustering_key', 'event_time_column', 'segment_key') AND NOT not_null THEN
        RAISE EXCEPTION 'column "%" in % must be NOT NULL', col, key;
      END IF;
      IF key = 'distribution_key' AND has_key AND NOT EXISTS (
           SELECT 1 FROM pg_constraint p JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = ANY (p.conkey)
           WHERE p.conrelid = rel AND p.contype = 'p' AND a.attname = col) THEN
        RAISE EXCEPTION 'distribution key column "%" must be part of the primary key of table %', col, t;
      END IF;
    END LOOP;
  ELSIF key = 'time_to_live_in_seconds' THEN
    IF v !~ '^[0-9]+$' OR (v::numeric < 86400 AND hg_fixture.version_at_least(1, 3)) THEN
      RAISE EXCEPTION 'invalid table property value "%" for time_to_live_in_seconds: at least 86400', v;
    END IF;
  ELSIF key = 'binlog.level' THEN
    IF v NOT IN ('replica', 'none') THEN
      RAISE EXCEPTION 'invalid table property value "%" for binlog.level: replica or none', v;
    END IF;
    IF NOT created_here AND NOT hg_fixture.version_at_least(1, 1) THEN
      RAISE EXCEPTION 'binlog.level can only be set when the table is created before V1.1';
    END IF;
  ELSIF key = 'binlog.ttl' THEN
    IF v !~ '^[0-9]+$' THEN
      RAISE EXCEPTION 'invalid table property value "%" for binlog.ttl', v;
    END IF;
  ELSIF key NOT IN ('storage_mode', 'table_group', 'auto_partitioning.enable', 'auto_partitioning.num_precreate',
                    'auto_partitioning.num_retention', 'auto_partitioning.num_hot', 'auto_partitioning.time_unit',
                    'auto_partitioning.time_zone') THEN
    RAISE EXCEPTION 'unsupported table property "%"', k;
  END IF;
  INSERT INTO hologres.hg_table_properties
  SELECT n.nspname, c.relname, key, v FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = rel
  ON CONFLICT (table_namespace, table_name, property_key) DO UPDATE SET property_value = EXCLUDED.property_value;
END $$;

-- DML in a transaction block (rules 24-26): every table gets a statement
-- trigger when it is created.
CREATE FUNCTION hg_fixture.check_dml() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT hg_fixture.in_block() THEN
    RETURN;  -- autocommit
  END IF;
  IF current_setting('hg_fixture.ddl_xact', true) = pg_current_xact_id()::text THEN
    RAISE EXCEPTION 'INSERT in ddl transaction is not supported now';
  END IF;
  IF current_setting('hg_experimental_enable_transaction') <> 'on' OR NOT hg_fixture.version_at_least(2, 0) THEN
    RAISE EXCEPTION 'INSERT in transaction is not supported now';
  END IF;
END $$;

CREATE FUNCTION hg_fixture.dml_rules() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM hg_fixture.check_dml();
  RETURN NULL;
END $$;

-- TRUNCATE (specs/hologres.md 4.7, rule 35): a DDL before V3.1, so no DML
-- may follow it in its block; from V3.1 a DML (hg_enable_truncate_as_dml,
-- on by default), which a table with binlog.level replica refuses. The
-- refusal's text is not documented; this one names the way out.
CREATE FUNCTION hg_fixture.truncate_rules() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  IF hg_fixture.version_at_least(3, 1) AND current_setting('hg_enable_truncate_as_dml') = 'on' THEN
    IF current_setting('hg_experimental_generate_binlog') = 'on' AND EXISTS (
         SELECT 1 FROM hologres.hg_table_properties
         WHERE table_namespace = TG_TABLE_SCHEMA AND table_name = TG_TABLE_NAME
           AND property_key = 'binlog.level' AND property_value = 'replica') THEN
      RAISE EXCEPTION 'TRUNCATE is not supported on table %.% with binlog; SET hg_enable_truncate_as_dml = off',
        TG_TABLE_SCHEMA, TG_TABLE_NAME;
    END IF;
    PERFORM hg_fixture.check_dml();
    RETURN NULL;
  END IF;
  IF hg_fixture.in_block() THEN
    PERFORM set_config('hg_fixture.ddl_xact', pg_current_xact_id()::text, true);
  END IF;
  RETURN NULL;
END $$;

-- What CREATE TABLE may not hold (rules 7, 8, 9).
CREATE FUNCTION hg_fixture.check_new_table(rel oid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = rel AND contype IN ('u', 'c')) THEN
    RAISE EXCEPTION 'UNIQUE and CHECK constraints are not supported now';
  END IF;
  SELECT a.attname INTO bad FROM pg_attribute a
  WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'numeric'::regtype
    AND (a.atttypmod < 0 OR ((a.atttypmod - 4) >> 16) > 38);
  IF FOUND THEN
    RAISE EXCEPTION 'invalid definition of a numeric type for column "%": give a precision of at most 38', bad;
  END IF;
  SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod) INTO bad
  FROM pg_constraint p JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = ANY (p.conkey)
  WHERE p.conrelid = rel AND p.contype = 'p'
    AND (a.atttypid IN ('float4'::regtype, 'float8'::regtype, 'numeric'::regtype, 'json'::regtype,
                        'jsonb'::regtype) OR a.attndims > 0
         OR (a.atttypid = 'date'::regtype AND NOT hg_fixture.version_at_least(1, 3)));
  IF FOUND THEN
    RAISE EXCEPTION 'primary key column % has a type Hologres cannot use in a primary key', bad;
  END IF;
  IF (SELECT cardinality(conkey) FROM pg_constraint WHERE conrelid = rel AND contype = 'p') > 32 THEN
    RAISE EXCEPTION 'a primary key has at most 32 columns';
  END IF;
END $$;

CREATE FUNCTION hg_fixture.version_at_least(major int, minor int, patch int) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT (split_part(version, '.', 1)::int, split_part(version, '.', 2)::int, split_part(version, '.', 3)::int)
         >= (major, minor, patch) FROM hg_fixture.config
$$;

-- A partitioned table (rules 15, 16; specs/hologres.md 3.1): LIST on one
-- column of text, varchar or int (date from V1.3.22). PostgreSQL itself
-- refuses a key without the partition column. The texts are Hologres'
-- where documented, else they name the rule.
CREATE FUNCTION hg_fixture.check_partitioned(rel oid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  part record;
  typ regtype;
BEGIN
  SELECT partstrat, partnatts, partattrs INTO part FROM pg_partitioned_table WHERE partrelid = rel;
  IF part.partstrat <> 'l' OR part.partnatts <> 1 THEN
    RAISE EXCEPTION 'Feature not supported: only LIST partitioning on one column is supported';
  END IF;
  SELECT a.atttypid::regtype INTO typ FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum = part.partattrs[0];
  IF typ NOT IN ('text'::regtype, 'varchar'::regtype, 'integer'::regtype)
     AND NOT (typ = 'date'::regtype AND hg_fixture.version_at_least(1, 3, 22)) THEN
    RAISE EXCEPTION 'Feature not supported: partition column of type %', typ;
  END IF;
END $$;

-- Rows into a partition parent (rules 17, 18): COPY never, INSERT ... SELECT
-- never, INSERT ... VALUES from V1.3 (the Fixed Plan routes it to a child).
CREATE FUNCTION hg_fixture.parent_write_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  q text := lower(btrim(current_query()));
BEGIN
  IF q LIKE 'copy%' THEN
    RAISE EXCEPTION 'Feature not supported: COPY into partition parent table %; copy into its child tables', TG_TABLE_NAME;
  END IF;
  IF q ~ '^insert\s+into\s+("[^"]*"|[a-z0-9_]+)(\s*\.\s*("[^"]*"|[a-z0-9_]+))?\s*(\((\s*("[^"]*"|[a-z0-9_]+)\s*,?)*\))?\s*values\s*\('
     AND hg_fixture.version_at_least(1, 3) THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'Feature not supported: insert into parent table';
END $$;

CREATE FUNCTION hg_fixture.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  IF hg_fixture.in_block() THEN
    PERFORM set_config('hg_fixture.ddl_xact', pg_current_xact_id()::text, true);
  END IF;
  -- rule 34: an index of its own (not the one behind a primary key)
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() d
           WHERE d.command_tag = 'CREATE INDEX' AND d.object_type = 'index'
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = d.objid) LOOP
    RAISE EXCEPTION 'CREATE INDEX is not supported now';
  END LOOP;
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands()
           WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' AND schema_name NOT LIKE 'pg_temp%'
             AND schema_name NOT IN ('hg_fixture', 'hologres') LOOP
    PERFORM hg_fixture.check_new_table(r.objid);
    IF (SELECT relkind FROM pg_class WHERE oid = r.objid) = 'p' THEN
      PERFORM hg_fixture.check_partitioned(r.objid);
      EXECUTE format('CREATE TRIGGER hg_fixture_parent_write BEFORE INSERT ON %s '
                     'FOR EACH STATEMENT EXECUTE FUNCTION hg_fixture.parent_write_rules()', r.object_identity);
    END IF;
    EXECUTE format('CREATE TRIGGER hg_fixture_dml BEFORE INSERT OR UPDATE OR DELETE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION hg_fixture.dml_rules()', r.object_identity);
    EXECUTE format('CREATE TRIGGER hg_fixture_truncate BEFORE TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION hg_fixture.truncate_rules()', r.object_identity);
  END LOOP;
END $$;

CREATE EVENT TRIGGER hg_fixture_ddl ON ddl_command_end EXECUTE FUNCTION hg_fixture.on_ddl();

-- The bookkeeping of a DROP or a rename follows the table.
CREATE FUNCTION hg_fixture.on_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM hologres.hg_table_properties p USING pg_event_trigger_dropped_objects() d
  WHERE d.object_type = 'table' AND p.table_namespace = d.schema_name AND p.table_name = d.object_name;
END $$;

CREATE EVENT TRIGGER hg_fixture_drop ON sql_drop EXECUTE FUNCTION hg_fixture.on_drop();

-- Any user: the sink logs in as an ordinary one. The procedures that keep
-- the fixture's bookkeeping run as its owner.
GRANT USAGE ON SCHEMA hg_fixture, hologres TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA hg_fixture, hologres TO PUBLIC;
ALTER PROCEDURE public.set_table_property(text, text, text) SECURITY DEFINER;
ALTER FUNCTION hg_fixture.on_drop() SECURITY DEFINER;
