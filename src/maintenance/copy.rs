//! `pallay copy-to postgres://…`: the move from SQLite to PostgreSQL when one machine is no longer
//! enough. Every row of every table is copied into an empty PostgreSQL database (migrated first),
//! in one transaction, tables in the order their foreign keys need, ids kept, identity counters
//! moved past them; the journal's append-only triggers stay on (rows are only inserted). Only
//! sound books are copied, and the copy is checked before it is committed.

use diesel::connection::TransactionManager;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::ask as load;
use super::check::{check, Checks};
use crate::db::{establish, run_migrations, Backend, DbConn};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "type")]
    kind: String,
}

#[derive(QueryableByName)]
struct Parent {
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "table")]
    parent: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "from")]
    column: String,
}

#[derive(QueryableByName)]
struct Nullable {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
}

/// A table in the order of the copy, with the columns copied later (an edge of a circle of
/// foreign keys, such as users ↔ members: the row goes in without it, the value follows).
struct Step {
    table: String,
    later: Vec<String>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Chunk {
    #[diesel(sql_type = Text)]
    rows: String,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    one: i32,
}

/// Tables the migrations fill themselves (the training topics): rows already there are kept.
const SEEDED: &[&str] = &["topics"];

/// Rows per statement: each chunk travels as one JSON document.
const CHUNK: i64 = 2000;

/// The SQLite tables, parents before children. Where foreign keys go round in a circle, a table
/// whose remaining references are nullable goes first, those columns filled in afterwards.
fn tables_in_order(source: &mut DbConn) -> Result<Vec<Step>, String> {
    let names: Vec<String> = load::<Name>(
        source,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations' ORDER BY name",
    )?
    .into_iter()
    .map(|n| n.name)
    .collect();
    let mut ordered: Vec<Step> = Vec::new();
    let mut waiting = names;
    while !waiting.is_empty() {
        let done = |ordered: &[Step], t: &str| ordered.iter().any(|s| s.table == t);
        let mut next = None;
        let mut fallback = None;
        for table in &waiting {
            let parents = load::<Parent>(
                source,
                &format!("SELECT \"table\", \"from\" FROM pragma_foreign_key_list('{table}')"),
            )?;
            let open: Vec<&Parent> = parents
                .iter()
                .filter(|p| p.parent != *table && !done(&ordered, &p.parent))
                .collect();
            if open.is_empty() {
                next = Some(Step {
                    table: table.clone(),
                    later: Vec::new(),
                });
                break;
            }
            if fallback.is_none() {
                let nullable: Vec<String> = load::<Nullable>(
                    source,
                    &format!("SELECT name, \"notnull\" FROM pragma_table_info('{table}')"),
                )?
                .into_iter()
                .filter(|c| c.notnull == 0)
                .map(|c| c.name)
                .collect();
                // Only an edge of a real circle: each table it still waits for refers back to it.
                let mut circle = true;
                for p in &open {
                    let back = load::<Parent>(
                        source,
                        &format!(
                            "SELECT \"table\", \"from\" FROM pragma_foreign_key_list('{}')",
                            p.parent
                        ),
                    )?;
                    circle &= back.iter().any(|b| b.parent == *table);
                }
                if circle && open.iter().all(|p| nullable.contains(&p.column)) {
                    let later = open.iter().map(|p| p.column.clone()).collect();
                    fallback = Some(Step {
                        table: table.clone(),
                        later,
                    });
                }
            }
        }
        let Some(step) = next.or(fallback) else {
            return Err(format!("the tables' foreign keys go round in a circle: {waiting:?}"));
        };
        waiting.retain(|t| *t != step.table);
        ordered.push(step);
    }
    Ok(ordered)
}

/// Copies every row of the SQLite database at `source_url` into the empty PostgreSQL database at
/// `target_url`. Returns each table with its number of rows.
pub fn copy_to(source_url: &str, target_url: &str) -> Result<Vec<(String, i64)>, String> {
    if Backend::of(source_url) != Backend::Sqlite {
        return Err("copy-to copies a SQLite database (DATABASE_URL) into PostgreSQL".into());
    }
    if Backend::of(target_url) != Backend::Postgres {
        return Err("the target must be a postgres:// URL".into());
    }
    let mut source = establish(source_url).map_err(|e| format!("the SQLite database: {e}"))?;
    let problems = check(&mut source, &Checks { schema: true })?;
    if let Some(first) = problems.first() {
        return Err(format!(
            "the SQLite database does not pass `pallay check` ({} problems; the first: {first}): nothing copied",
            problems.len()
        ));
    }
    let mut target = establish(target_url).map_err(|e| format!("the PostgreSQL database: {e}"))?;
    run_migrations(&mut target)?;
    let tables = tables_in_order(&mut source)?;
    for table in tables
        .iter()
        .map(|s| &s.table)
        .filter(|t| !SEEDED.contains(&t.as_str()))
    {
        let n = load::<Count>(&mut target, &format!("SELECT COUNT(*) AS n FROM {table}"))?
            .first()
            .map_or(0, |c| c.n);
        if n > 0 {
            return Err(format!(
                "the PostgreSQL database is not empty ({table} has {n} rows): nothing copied"
            ));
        }
    }
    type Tm = <DbConn as Connection>::TransactionManager;
    Tm::begin_transaction(&mut target).map_err(|e| e.to_string())?;
    let copied = copy_rows(&mut source, &mut target, &tables);
    let outcome = copied.and_then(|counts| {
        let problems = check(&mut target, &Checks { schema: true })?;
        match problems.first() {
            None => Ok(counts),
            Some(first) => Err(format!("the copy does not pass the checks: {first}")),
        }
    });
    match outcome {
        Ok(counts) => {
            Tm::commit_transaction(&mut target).map_err(|e| format!("commit: {e}"))?;
            Ok(counts)
        }
        Err(e) => {
            let _ = Tm::rollback_transaction(&mut target);
            Err(e)
        }
    }
}

fn copy_rows(source: &mut DbConn, target: &mut DbConn, tables: &[Step]) -> Result<Vec<(String, i64)>, String> {
    let mut counts = Vec::new();
    let mut later = Vec::new();
    for Step { table, later: deferred } in tables {
        let columns = load::<Column>(source, &format!("SELECT name, type FROM pragma_table_info('{table}')"))?;
        let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.name)).collect();
        // Bytes travel as PostgreSQL's hex notation; everything else as SQLite keeps it (dates and
        // instants as text, flags as 0/1), which PostgreSQL reads into the column's own type.
        let pairs: Vec<String> = columns
            .iter()
            .map(|c| {
                let value = if deferred.contains(&c.name) {
                    "NULL".to_string()
                } else if c.kind.eq_ignore_ascii_case("BLOB") || c.kind.eq_ignore_ascii_case("BINARY") {
                    format!(
                        "CASE WHEN \"{0}\" IS NULL THEN NULL ELSE '\\x' || hex(\"{0}\") END",
                        c.name
                    )
                } else {
                    format!("\"{}\"", c.name)
                };
                format!("'{}', {value}", c.name)
            })
            .collect();
        let conflict = if SEEDED.contains(&table.as_str()) {
            " ON CONFLICT DO NOTHING"
        } else {
            ""
        };
        let total = load::<Count>(source, &format!("SELECT COUNT(*) AS n FROM {table}"))?
            .first()
            .map_or(0, |c| c.n);
        let mut offset = 0;
        while offset < total {
            let select = format!(
                "SELECT COALESCE(json_group_array(json_object({})), '[]') AS rows FROM \
                 (SELECT * FROM {table} ORDER BY rowid LIMIT {CHUNK} OFFSET {offset})",
                pairs.join(", ")
            );
            let chunk = load::<Chunk>(source, &select)?
                .pop()
                .map(|c| c.rows)
                .unwrap_or_default();
            let insert = format!(
                "INSERT INTO {table} ({cols}) SELECT {cols} FROM json_populate_recordset(NULL::{table}, $1::json){conflict}",
                cols = names.join(", ")
            );
            diesel::sql_query(&insert)
                .bind::<Text, _>(&chunk)
                .execute(target)
                .map_err(|e| format!("{table}: {e}"))?;
            offset += CHUNK;
        }
        let numbered = |c: &Column| {
            c.name == "id" && (c.kind.eq_ignore_ascii_case("INTEGER") || c.kind.eq_ignore_ascii_case("BIGINT"))
        };
        if columns.iter().any(numbered) {
            // The next id PostgreSQL hands out comes after the copied ones.
            let bump = format!(
                "SELECT 1 AS one FROM (SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table} \
                 HAVING MAX(id) IS NOT NULL) s"
            );
            load::<Flag>(target, &bump)?;
        }
        let copied = load::<Count>(target, &format!("SELECT COUNT(*) AS n FROM {table}"))?
            .first()
            .map_or(0, |c| c.n);
        if copied < total {
            return Err(format!("{table}: {total} rows in SQLite but {copied} copied"));
        }
        counts.push((table.clone(), total));
        if !deferred.is_empty() {
            later.push((table.clone(), deferred.clone()));
        }
    }
    // The columns left out to break a circle, now that every table is there.
    for (table, columns) in later {
        let pairs: Vec<String> = columns.iter().map(|c| format!("'{c}', \"{c}\"")).collect();
        let rows = load::<Chunk>(
            source,
            &format!(
                "SELECT COALESCE(json_group_array(json_object('id', id, {})), '[]') AS rows FROM {table}",
                pairs.join(", ")
            ),
        )?
        .pop()
        .map(|c| c.rows)
        .unwrap_or_default();
        let sets: Vec<String> = columns.iter().map(|c| format!("\"{c}\" = s.\"{c}\"")).collect();
        let update = format!(
            "UPDATE {table} t SET {} FROM json_populate_recordset(NULL::{table}, $1::json) s WHERE t.id = s.id",
            sets.join(", ")
        );
        diesel::sql_query(&update)
            .bind::<Text, _>(&rows)
            .execute(target)
            .map_err(|e| format!("{table}: {e}"))?;
    }
    Ok(counts)
}
