//! One fresh database per test, cloned from a template migrated once per migrations hash.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use diesel::sql_types::Text;
use sha2::{Digest, Sha256};

/// The admin URL of the test PostgreSQL instance (`scripts/test.sh` exports it).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!("TEST_DATABASE_URL is not set: run the suite with scripts/test.sh, which starts its PostgreSQL")
    })
}

/// `admin_url` with another database name (and optionally another port).
pub fn url_for(database: &str, port: Option<u16>) -> String {
    let admin = admin_url();
    let (base, _) = admin
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends with /<database>");
    let base = match port {
        None => base.to_owned(),
        Some(port) => {
            let (host, _) = base.rsplit_once(':').expect("TEST_DATABASE_URL has a port");
            format!("{host}:{port}")
        }
    };
    format!("{base}/{database}")
}

fn admin() -> PgConnection {
    PgConnection::establish(&admin_url()).expect("connect to the test PostgreSQL")
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    datname: String,
}

fn migrations_hash() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(
            file.strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(&file).unwrap());
    }
    hex::encode(&hasher.finalize()[..8])
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flat_map(|entry| {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// The template's name, migrating it first if this migrations hash has none yet. An advisory
/// lock keeps concurrent test runs from building it twice.
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("tpl_{}", migrations_hash());
        let mut conn = admin();
        diesel::sql_query("SELECT pg_advisory_lock(724500)")
            .execute(&mut conn)
            .unwrap();
        let exists: Vec<Name> =
            diesel::sql_query("SELECT datname FROM pg_database WHERE datname = $1")
                .bind::<Text, _>(&name)
                .load(&mut conn)
                .unwrap();
        if exists.is_empty() {
            let building = format!("{name}_building");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .execute(&mut conn)
                .unwrap();
            // A UTF-8 character type whatever the instance's: pg_trgm finds no trigram in
            // Chinese text under LC_CTYPE=C.
            diesel::sql_query(format!(
                "CREATE DATABASE {building} TEMPLATE template0 ENCODING 'UTF8' \
                 LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
            ))
            .execute(&mut conn)
            .unwrap();
            {
                let mut tpl = PgConnection::establish(&url_for(&building, None)).unwrap();
                lifemarket::db::migrate(&mut tpl).expect("migrations apply to the template");
            }
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {name}"))
                .execute(&mut conn)
                .unwrap();
        }
        sweep_stale(&mut conn);
        diesel::sql_query("SELECT pg_advisory_unlock(724500)")
            .execute(&mut conn)
            .unwrap();
        name
    })
}

/// Drops test databases left behind by runs that died more than an hour ago.
fn sweep_stale(conn: &mut PgConnection) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'")
            .load(conn)
            .unwrap();
    for Name { datname } in names {
        let created = datname
            .split('_')
            .nth(1)
            .and_then(|t| t.parse::<u64>().ok());
        if created.is_some_and(|t| t + 3600 < now) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
                .execute(conn);
        }
    }
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub fn create() -> Self {
        let template = template();
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let name = format!("t_{secs}_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!(
            "CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY"
        ))
        .execute(&mut admin())
        .expect("clone the template database");
        Self { name }
    }

    pub fn url(&self) -> String {
        url_for(&self.name, None)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin());
    }
}
