//! Both migration sets must give the same schema, and match src/db/schema.rs: each backend is
//! checked against schema.rs (names, types, nullability) on its own run — the SQLite run and the
//! PostgreSQL run of .ci/run — and on the PostgreSQL run the two are also compared for what
//! schema.rs cannot say: unique indexes and the journal's append-only triggers.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel::PgConnection;

use crate::helpers::{create_postgres_database, postgres_url, temp_sqlite_url};

/// table -> column -> diesel type as schema.rs spells it (`Nullable<Text>`, `BigInt`, …).
type Tables = BTreeMap<String, BTreeMap<String, String>>;
/// (table, columns, partial) of every unique index or constraint but primary keys.
type UniqueIndexes = BTreeSet<(String, String, bool)>;
/// (table, event) of every trigger.
type Triggers = BTreeSet<(String, String)>;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    detail: String,
    #[diesel(sql_type = Bool)]
    flag: bool,
}

/// The diesel type a column's declared SQL type maps to (both backends' spellings).
fn diesel_type(sql: &str) -> String {
    match sql.to_ascii_lowercase().as_str() {
        // SQLite's INTEGER is 64-bit; PostgreSQL's `integer` is not, so it must not appear there.
        "bigint" => "BigInt",
        "integer" => "Integer",
        "text" => "Text",
        "date" => "Date",
        "timestamp" | "timestamp without time zone" => "Timestamp",
        "boolean" => "Bool",
        "blob" | "bytea" => "Binary",
        other => panic!("a column of type {other:?}: teach this test what diesel type it is"),
    }
    .to_string()
}

fn collect(rows: Vec<Column>) -> Tables {
    let mut tables = Tables::new();
    for c in rows
        .into_iter()
        .filter(|c| !c.table_name.starts_with("__diesel") && c.table_name != "sqlite_sequence")
    {
        let ty = diesel_type(&c.data_type);
        let ty = if c.not_null { ty } else { format!("Nullable<{ty}>") };
        tables.entry(c.table_name).or_default().insert(c.column_name, ty);
    }
    tables
}

struct Schema {
    tables: Tables,
    unique: UniqueIndexes,
    triggers: Triggers,
}

fn sqlite_schema() -> Schema {
    let url = temp_sqlite_url(&format!("schema_{}", &pallay::auth::secret::generate()[..8]));
    let db = pallay::db::Db::connect(&url, 1).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    // SQLite's INTEGER PRIMARY KEY is its 64-bit rowid: BigInt for diesel.
    let rows = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, \
                CASE WHEN p.pk > 0 AND p.type = 'INTEGER' THEN 'BIGINT' ELSE p.type END AS data_type, \
                (p.\"notnull\" = 1 OR p.pk > 0) AS not_null \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
    )
    .load::<Column>(&mut *conn)
    .unwrap();
    let unique = diesel::sql_query(
        "SELECT m.name AS table_name, \
                (SELECT group_concat(name, ',') FROM (SELECT ii.name FROM pragma_index_info(il.name) ii ORDER BY ii.seqno)) AS detail, \
                (il.partial = 1) AS flag \
         FROM sqlite_master m JOIN pragma_index_list(m.name) il \
         WHERE m.type = 'table' AND il.\"unique\" = 1 AND il.origin <> 'pk'",
    )
    .load::<Named>(&mut *conn)
    .unwrap();
    let triggers = diesel::sql_query(
        "SELECT tbl_name AS table_name, sql AS detail, 1 = 1 AS flag FROM sqlite_master WHERE type = 'trigger'",
    )
    .load::<Named>(&mut *conn)
    .unwrap();
    drop(conn);
    let _ = std::fs::remove_file(&url);
    Schema {
        tables: collect(rows),
        unique: unique.into_iter().map(|u| (u.table_name, u.detail, u.flag)).collect(),
        triggers: triggers
            .into_iter()
            .flat_map(|t| {
                let sql = t.detail.to_ascii_uppercase();
                ["INSERT", "UPDATE", "DELETE"]
                    .into_iter()
                    .filter(move |event| sql.contains(&format!(" {event} ON ")))
                    .map(move |event| (t.table_name.clone(), event.to_string()))
            })
            .collect(),
    }
}

fn postgres_schema(admin_url: &str) -> Schema {
    let name = format!("pallay_schema_{}", &pallay::auth::secret::generate()[..8]);
    let url = create_postgres_database(admin_url, &name);
    let db = pallay::db::Db::connect(&url, 1).unwrap();
    db.migrate().unwrap();
    drop(db);
    let mut conn = PgConnection::establish(&url).unwrap();
    let rows = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                data_type::text AS data_type, (is_nullable = 'NO') AS not_null \
         FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .load::<Column>(&mut conn)
    .unwrap();
    let unique = diesel::sql_query(
        "SELECT t.relname::text AS table_name, \
                (SELECT string_agg(a.attname, ',' ORDER BY k.n) \
                 FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS detail, \
                (ix.indpred IS NOT NULL) AS flag \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace ns ON ns.oid = t.relnamespace \
         WHERE ns.nspname = 'public' AND ix.indisunique AND NOT ix.indisprimary",
    )
    .load::<Named>(&mut conn)
    .unwrap();
    let triggers = diesel::sql_query(
        "SELECT event_object_table::text AS table_name, event_manipulation::text AS detail, 1 = 1 AS flag \
         FROM information_schema.triggers WHERE trigger_schema = 'public'",
    )
    .load::<Named>(&mut conn)
    .unwrap();
    drop(conn);
    if let Ok(mut admin) = pallay::db::establish(admin_url) {
        use diesel::connection::SimpleConnection;
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
    Schema {
        tables: collect(rows),
        unique: unique.into_iter().map(|u| (u.table_name, u.detail, u.flag)).collect(),
        triggers: triggers.into_iter().map(|t| (t.table_name, t.detail)).collect(),
    }
}

/// Tables, columns and their diesel types as src/db/schema.rs declares them (`name -> Type,`).
fn schema_rs_tables() -> Tables {
    let text = include_str!("../../src/db/schema.rs");
    let mut tables = Tables::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(head) = line
            .strip_suffix('{')
            .filter(|h| h.contains('(') && !h.starts_with("diesel"))
        {
            current = head.split('(').next().map(|n| n.trim().to_string());
        } else if line == "}" {
            current = None;
        } else if let (Some(table), Some((column, ty))) = (&current, line.split_once("->")) {
            tables
                .entry(table.clone())
                .or_default()
                .insert(column.trim().to_string(), ty.trim().trim_end_matches(',').to_string());
        }
    }
    tables
}

/// The differences between two table maps, one line each, so a failure says which column.
fn differences(what: &str, actual: &Tables, expected: &Tables) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<_> = actual.keys().chain(expected.keys()).collect();
    for table in names {
        let (a, e) = (actual.get(table), expected.get(table));
        let columns: BTreeSet<_> = a.into_iter().chain(e).flat_map(|c| c.keys()).collect();
        for column in columns {
            let (x, y) = (a.and_then(|c| c.get(column)), e.and_then(|c| c.get(column)));
            if x != y {
                out.push(format!("{what} {table}.{column}: {x:?}, schema.rs says {y:?}"));
            }
        }
    }
    out
}

#[test]
fn sqlite_migrations_match_the_diesel_schema_in_names_types_and_nullability() {
    let expected = schema_rs_tables();
    assert!(expected.len() > 20, "schema.rs read: {} tables", expected.len());
    let diffs = differences("SQLite", &sqlite_schema().tables, &expected);
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn the_schema_check_sees_a_wrong_type_or_nullability() {
    let expected = schema_rs_tables();
    let mut wrong = expected.clone();
    let members = wrong.get_mut("members").expect("members");
    members.insert("name".into(), "Nullable<Text>".into());
    members.insert("organization_id".into(), "Integer".into());
    let diffs = differences("SQLite", &wrong, &expected);
    assert_eq!(diffs.len(), 2, "{diffs:?}");
}

#[test]
fn the_journal_is_guarded_against_update_and_delete_and_unique_keys_exist() {
    let sqlite = sqlite_schema();
    for table in ["journal_entries", "journal_lines"] {
        for event in ["UPDATE", "DELETE"] {
            assert!(
                sqlite.triggers.contains(&(table.to_string(), event.to_string())),
                "no {event} trigger on {table}: {:?}",
                sqlite.triggers
            );
        }
    }
    for key in [
        ("notices", "dedupe_key"),
        ("repayment_reversals", "repayment_id"),
        ("installments", "loan_id,number"),
    ] {
        assert!(
            sqlite.unique.iter().any(|(t, c, _)| (t.as_str(), c.as_str()) == key),
            "no unique index on {key:?}: {:?}",
            sqlite.unique
        );
    }
}

/// On the PostgreSQL run (.ci/run sets PALLAY_TEST_POSTGRES_URL): PostgreSQL against schema.rs,
/// then both migration sets against each other for unique indexes and triggers.
#[test]
fn postgres_migrations_match_the_diesel_schema_and_sqlite() {
    let Some(admin_url) = postgres_url() else {
        eprintln!("PALLAY_TEST_POSTGRES_URL is not set: PostgreSQL is compared on its own run");
        return;
    };
    let postgres = postgres_schema(&admin_url);
    let diffs = differences("PostgreSQL", &postgres.tables, &schema_rs_tables());
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    let sqlite = sqlite_schema();
    assert_eq!(
        sqlite.unique, postgres.unique,
        "unique indexes: SQLite, then PostgreSQL"
    );
    assert_eq!(sqlite.triggers, postgres.triggers, "triggers: SQLite, then PostgreSQL");
}
