//! The `pallay` command: serve, migrate, create-user, demo, send-notices, import, backup, check,
//! restore, copy-to.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::json;

use pallay::config::Config;
use pallay::db::Db;
use pallay::input::JsonInput;
use pallay::users::service::{self as users, NewUserInput};
use pallay::web::AppState;

#[derive(Parser)]
#[command(
    name = "pallay",
    version,
    about = "Pallay: members, fund, trainings and committees of women miners' organisations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations, then serve on PALLAY_BIND (default 127.0.0.1:8080).
    Serve,
    /// Run pending migrations and exit.
    Migrate,
    /// Create a user. The password comes from PALLAY_PASSWORD, else it is asked on the terminal.
    CreateUser {
        #[arg(long)]
        username: String,
        /// admin, gender_staff, coordinator, member or viewer
        #[arg(long)]
        role: String,
        /// An organisation a coordinator works for (repeat for several).
        #[arg(long = "organization")]
        organizations: Vec<i64>,
        /// The member a member account belongs to.
        #[arg(long)]
        member: Option<i64>,
    },
    /// Load a realistic demo data set into an empty database and print how to log in.
    Demo,
    /// Queue the notices the calendar asks for today and send what is due, once (for cron).
    SendNotices,
    /// Import members, a training's attendance or a collection sheet of repayments from CSV or XLSX.
    /// Prints every bad row with its number and reason and writes nothing when any row is bad.
    Import {
        /// members, attendance or repayments
        kind: String,
        file: std::path::PathBuf,
        /// The training whose attendance sheet this is.
        #[arg(long)]
        training: Option<i64>,
        /// Check every row and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The account the import is recorded under (default: the first administrator).
        #[arg(long = "as")]
        as_user: Option<String>,
    },
    /// Write a consistent copy of the SQLite database to FILE, while the server runs.
    Backup { file: std::path::PathBuf },
    /// Check the database: integrity, balanced journal, projections = journal, idempotency, outbox.
    /// Exit 0 when all hold, else 1 with every problem listed.
    Check,
    /// Check FILE, then put it in place of the SQLite database (the replaced one is kept beside it).
    /// Refused while a server holds the database.
    Restore { file: std::path::PathBuf },
    /// Copy every row of the SQLite database into the empty PostgreSQL database at URL (its
    /// migrations run first); the copy is checked before it is committed.
    CopyTo { url: String },
}

/// `PALLAY_BACKUP_DIR` and `PALLAY_BACKUP_KEEP` (default 14): where `serve` keeps its daily
/// backups, and how many of the newest it keeps (plus the first of each month for a year).
fn backup_settings() -> Result<Option<(std::path::PathBuf, usize)>, String> {
    let Some(dir) = std::env::var("PALLAY_BACKUP_DIR").ok().filter(|d| !d.trim().is_empty()) else {
        return Ok(None);
    };
    let keep = match std::env::var("PALLAY_BACKUP_KEEP") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|k| *k >= 1)
            .ok_or_else(|| format!("PALLAY_BACKUP_KEEP must be a whole number of at least 1, not {v:?}"))?,
        _ => 14,
    };
    Ok(Some((dir.into(), keep)))
}

/// The database, migrated — an existing SQLite database copied first, as it was, when a
/// migration is about to change it.
fn open(config: &Config) -> Result<Db, String> {
    let dir = backup_settings()?.map(|(dir, _)| dir);
    if let Some(kept) = pallay::maintenance::backup_before_migration(&config.database_url, dir.as_deref())? {
        println!(
            "before migrating: a copy of the database as it was is in {}",
            kept.display()
        );
    }
    let db = Db::connect(&config.database_url, config.pool_size)?;
    db.migrate()?;
    Ok(db)
}

fn run(cli: Cli) -> Result<(), String> {
    let config = Config::from_env()?;
    match cli.command {
        Command::Serve => serve(config),
        Command::Migrate => {
            let dir = backup_settings()?.map(|(dir, _)| dir);
            if let Some(kept) = pallay::maintenance::backup_before_migration(&config.database_url, dir.as_deref())? {
                println!(
                    "before migrating: a copy of the database as it was is in {}",
                    kept.display()
                );
            }
            let db = Db::connect(&config.database_url, 1)?;
            let applied = db.migrate()?;
            println!("{applied} migration(s) applied");
            Ok(())
        }
        Command::CreateUser {
            username,
            role,
            organizations,
            member,
        } => create_user(
            &config,
            json!({"username": username, "role": role,
                                          "organization_ids": organizations, "member_id": member}),
        ),
        Command::SendNotices => send_notices(&config),
        Command::Import {
            kind,
            file,
            training,
            dry_run,
            as_user,
        } => import_file(&config, &kind, &file, training, dry_run, as_user.as_deref()),
        Command::Backup { file } => {
            if pallay::db::Backend::of(&config.database_url) == pallay::db::Backend::Postgres {
                return Err(format!(
                    "on PostgreSQL, back up with its own tool:\n  {}",
                    pallay::maintenance::backup::pg_dump_command(&config.database_url, &file)
                ));
            }
            let contents = pallay::maintenance::backup::backup(&config.database_url, &file)?;
            println!("backup written to {}: {contents}", file.display());
            Ok(())
        }
        Command::Check => check(&config),
        Command::Restore { file } => {
            if pallay::db::Backend::of(&config.database_url) == pallay::db::Backend::Postgres {
                return Err("on PostgreSQL, restore with pg_restore into an empty database".into());
            }
            let kept = pallay::maintenance::backup::restore(&config.database_url, &file)?;
            println!("restored {} into {}", file.display(), config.database_url);
            if let Some(kept) = kept {
                println!("the database it replaced is kept in {}", kept.display());
            }
            Ok(())
        }
        Command::CopyTo { url } => {
            let counts = pallay::maintenance::copy::copy_to(&config.database_url, &url)?;
            let rows: i64 = counts.iter().map(|(_, n)| n).sum();
            println!(
                "copied {rows} rows of {} tables into PostgreSQL; the copy passes the checks",
                counts.len()
            );
            for (table, n) in counts {
                println!("  {table:<28} {n:>9}");
            }
            println!("point DATABASE_URL at it and start `pallay serve`");
            Ok(())
        }
        Command::Demo => {
            let db = open(&config)?;
            let logins = pallay::demo::load(&db)?;
            println!("Demo data loaded. Start the server with `pallay serve` and sign in as:");
            for (username, role) in logins {
                println!("  {username:<20} ({role})  password: {}", pallay::demo::DEMO_PASSWORD);
            }
            Ok(())
        }
    }
}

/// `pallay check`: every problem, one per line; an error when there is any.
fn check(config: &Config) -> Result<(), String> {
    let db = Db::connect(&config.database_url, 1)?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let checks = pallay::maintenance::check::Checks { schema: true };
    let problems = pallay::maintenance::check::check(&mut conn, &checks)?;
    if problems.is_empty() {
        println!("all checks pass: integrity, journal, cash, installments, repayments, loans, reversals, keys, notices, schema");
        return Ok(());
    }
    for problem in &problems {
        println!("{problem}");
    }
    Err(format!("{} problem(s) found", problems.len()))
}

/// `pallay serve`: one server per SQLite file, migrations (a copy kept first), the first
/// administrator on an empty database, the daily backups, the notice worker, the removal of
/// idempotency keys past their retention, the settling of repaid loans, and the server, until the
/// process ends.
fn serve(config: Config) -> Result<(), String> {
    let _held = pallay::maintenance::lock::hold(&config.database_url)?;
    let db = open(&config)?;
    if let Some((dir, keep)) = backup_settings()? {
        spawn_daily_backups(config.database_url.clone(), dir, keep)?;
    }
    if let Some((username, password)) = pallay::users::service::bootstrap_admin(&db)? {
        println!("No users yet: created the administrator '{username}' with the password {password}");
        println!("(shown only this once; create named accounts for real people under Usuarios)");
    }
    let listener = TcpListener::bind(&config.bind).map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    println!(
        "Pallay is serving on http://{} ({} database)",
        config.bind,
        db.backend().name()
    );
    pallay::notices::spawn_worker(db.clone(), config.notices.clone())?;
    pallay::idempotency::spawn_forgetting(db.clone(), pallay::idempotency::retention_from_env()?)?;
    pallay::fund::settled::spawn_settling(db.clone())?;
    let state = AppState {
        db,
        config,
        clock: pallay::clock::Clock::system(),
        portfolios: Default::default(),
    };
    let server = pallay::serve(listener, state).map_err(|e| e.to_string())?;
    actix_web::rt::System::new().block_on(server).map_err(|e| e.to_string())
}

/// Every hour, today's backup if there is none yet: a failure is logged and shown to the
/// administrators, and never stops the service.
fn spawn_daily_backups(url: String, dir: std::path::PathBuf, keep: usize) -> Result<(), String> {
    if pallay::db::Backend::of(&url) == pallay::db::Backend::Postgres {
        println!("PALLAY_BACKUP_DIR is for SQLite; on PostgreSQL schedule pg_dump instead");
        return Ok(());
    }
    pallay::maintenance::every_hour("daily-backup", move || {
        match pallay::maintenance::daily_backup(&url, &dir, keep, pallay::clock::today_in_lima()) {
            Ok(done) => tracing::info!("{done}"),
            Err(why) => tracing::error!(%why, "the daily backup failed"),
        }
    })
}

/// `pallay create-user`: the account in `body`, with the password from PALLAY_PASSWORD or the terminal.
fn create_user(config: &Config, mut body: serde_json::Value) -> Result<(), String> {
    let password = match std::env::var("PALLAY_PASSWORD") {
        Ok(p) if !p.is_empty() => p,
        _ => rpassword::prompt_password("Password: ").map_err(|e| format!("cannot read the password: {e}"))?,
    };
    body["password"] = json!(password);
    let input = JsonInput::from_value(body).map_err(|e| e.field)?;
    let input = NewUserInput::parse(&input).map_err(|errors| describe(&errors))?;
    let db = open(config)?;
    let hash = pallay::auth::password::hash(&input.password)?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let user = pallay::db::write_transaction(&mut conn, |conn| users::create(conn, None, &input, &hash)).map_err(
        |e| match e.field_errors() {
            Some(errors) => describe(errors),
            None => e.to_string(),
        },
    )?;
    println!("created user {} ({}) with id {}", user.username, user.role, user.id);
    Ok(())
}

/// `pallay send-notices`: one pass of the calendar and the outbox, for cron.
fn send_notices(config: &Config) -> Result<(), String> {
    let db = open(config)?;
    let senders = pallay::outbox::gateway::Senders::from_config(&config.notices)?;
    let (queued, round) = pallay::notices::run_once(
        &db,
        &senders,
        &config.notices,
        pallay::clock::today_in_lima(),
        pallay::clock::now(),
    )
    .map_err(|e| e.to_string())?;
    println!(
        "{queued} notice(s) queued; {} sent, {} to retry, {} failed",
        round.sent, round.retrying, round.failed
    );
    Ok(())
}

/// `pallay import`: a file checked row by row; all of it written, or (with a bad row, or
/// `--dry-run`) nothing.
fn import_file(
    config: &Config,
    kind: &str,
    file: &std::path::Path,
    training: Option<i64>,
    dry_run: bool,
    as_user: Option<&str>,
) -> Result<(), String> {
    use pallay::import::{import, Kind, Listing, Mode, Request};
    let kind = Kind::parse(kind).map_err(|_| "the kind must be members, attendance or repayments".to_string())?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let db = open(config)?;
    let mut conn = db.get().map_err(|e| e.to_string())?;
    let actor = pallay::users::model::User::importer(&mut conn, as_user).map_err(|e| e.to_string())?;
    let t = pallay::i18n::Tr::new(pallay::i18n::Lang::Es);
    let mode = if dry_run { Mode::Preview } else { Mode::AllOrNothing };
    let today = pallay::clock::today_in_lima();
    let request = Request {
        kind,
        bytes: &bytes,
        training_id: training,
        mode,
        listing: Listing::Every,
        today,
    };
    let check = |c: &mut pallay::db::DbConn| import(c, &actor, t, request);
    // A dry run checks a copy: a server running on the same database is not kept waiting.
    let report = if dry_run {
        pallay::db::in_preview(&mut conn, check)
    } else {
        pallay::db::write_transaction(&mut conn, check)
    }
    .map_err(|e| e.to_string())?;
    for problem in &report.file_problems {
        eprintln!("{problem}");
    }
    for row in &report.rows {
        for problem in &row.problems {
            eprintln!("fila {}: {} — {problem}", row.row, row.summary);
        }
        if row.already_recorded {
            println!("fila {}: {} — ya estaba registrado; no se repite", row.row, row.summary);
        }
    }
    let problems = report.problems();
    if problems > 0 {
        return Err(format!("{problems} fila(s) con problemas; no se escribió nada"));
    }
    if dry_run {
        println!("{} fila(s) correctas; nada se escribió (--dry-run)", report.valid());
    } else {
        println!("{} fila(s) importadas", report.written);
    }
    Ok(())
}

fn describe(errors: &[pallay::error::FieldError]) -> String {
    let tr = pallay::i18n::Tr::new(pallay::i18n::Lang::En);
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message(tr)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn main() -> ExitCode {
    pallay::allocator::tune();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PALLAY_LOG")
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
