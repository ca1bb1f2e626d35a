//! Both migration sets must give the same tables and columns, and match src/db/schema.rs.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::helpers::{create_postgres_database, postgres_url, temp_sqlite_url};

type Tables = BTreeMap<String, BTreeMap<String, bool>>;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    not_null: bool,
}

fn collect(rows: Vec<Column>) -> Tables {
    let mut tables = Tables::new();
    for c in rows
        .into_iter()
        .filter(|c| !c.table_name.starts_with("__diesel") && c.table_name != "sqlite_sequence")
    {
        tables
            .entry(c.table_name)
            .or_default()
            .insert(c.column_name, c.not_null);
    }
    tables
}

fn sqlite_tables() -> Tables {
    let url = temp_sqlite_url(&format!("schema_{}", &pallay::auth::secret::generate()[..8]));
    let db = pallay::db::Db::connect(&url, 1).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    let rows = diesel::sql_query(
        "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" = 1 OR p.pk > 0) AS not_null \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'",
    )
    .load::<Column>(&mut *conn)
    .unwrap();
    drop(conn);
    let _ = std::fs::remove_file(&url);
    collect(rows)
}

fn postgres_tables(admin_url: &str) -> Tables {
    let name = format!("pallay_schema_{}", &pallay::auth::secret::generate()[..8]);
    let url = create_postgres_database(admin_url, &name);
    let db = pallay::db::Db::connect(&url, 1).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    let rows = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name, (is_nullable = 'NO') AS not_null \
         FROM information_schema.columns WHERE table_schema = 'public'",
    )
    .load::<Column>(&mut *conn)
    .unwrap();
    drop(conn);
    drop(db);
    if let Ok(mut admin) = pallay::db::establish(admin_url) {
        use diesel::connection::SimpleConnection;
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
    collect(rows)
}

/// Tables and columns named in src/db/schema.rs (`name -> Type,` lines inside `table!`).
fn schema_rs_tables() -> BTreeMap<String, Vec<String>> {
    let text = include_str!("../../src/db/schema.rs");
    let mut tables = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(head) = line
            .strip_suffix('{')
            .filter(|h| h.contains('(') && !h.starts_with("diesel"))
        {
            current = head.split('(').next().map(|n| n.trim().to_string());
        } else if line == "}" {
            current = None;
        } else if let (Some(table), Some((column, _))) = (&current, line.split_once("->")) {
            tables
                .entry(table.clone())
                .or_insert_with(Vec::new)
                .push(column.trim().to_string());
        }
    }
    tables
}

#[test]
fn sqlite_migrations_match_the_diesel_schema() {
    let sqlite = sqlite_tables();
    let expected = schema_rs_tables();
    assert!(!expected.is_empty());
    let actual: BTreeMap<String, Vec<String>> = sqlite
        .iter()
        .map(|(t, cols)| (t.clone(), cols.keys().cloned().collect()))
        .collect();
    let mut expected_sorted = expected.clone();
    for cols in expected_sorted.values_mut() {
        cols.sort();
    }
    assert_eq!(actual, expected_sorted);
}

#[test]
fn both_migration_sets_give_the_same_tables_and_columns() {
    let Some(admin_url) = postgres_url() else {
        // .ci/run runs the suite again with PostgreSQL, where this comparison happens.
        eprintln!("PALLAY_TEST_POSTGRES_URL is not set: compared on the PostgreSQL run only");
        return;
    };
    assert_eq!(sqlite_tables(), postgres_tables(&admin_url));
}
