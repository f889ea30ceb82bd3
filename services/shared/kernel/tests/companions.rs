//! Companion rows commit with their request's events or not at all, on both stores; a
//! unique index refuses a companion insert, and with it only its own request, also
//! inside a PostgreSQL group commit.

use std::sync::Arc;

use civitas_kernel::store::{PostgresEventStore, SqliteEventStore, Value};
use civitas_kernel::{AppendError, AppendRequest, Companion, EventStore, ExpectedVersion};
use sqlx::{Executor, PgPool, SqlitePool};

mod common;
use common::batch::{in_one_batch, plug, request, xid_of};
use common::postgres_store;

/// The companion table of these tests: one claimed value per owner, unique.
const CREATE_CLAIMS: &str =
    "CREATE TABLE claims (owner TEXT PRIMARY KEY, value TEXT UNIQUE, claimed_at BIGINT NOT NULL)";

/// A store and a connection of its own to the same database.
struct Subject {
    store: Arc<dyn EventStore>,
    db: Db,
    _keep: Box<dyn std::any::Any + Send>,
}

enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    async fn execute(&self, sql: &str) {
        match self {
            Db::Sqlite(pool) => pool.execute(sql).await.map(|_| ()),
            Db::Postgres(pool) => pool.execute(sql).await.map(|_| ()),
        }
        .expect(sql);
    }

    /// Every claim as (owner, value), by owner.
    async fn claims(&self) -> Vec<(String, Option<String>)> {
        let sql = "SELECT owner, value FROM claims ORDER BY owner";
        match self {
            Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
        .expect("read claims")
    }
}

async fn sqlite() -> Subject {
    let dir = civitas_testkit::temp_dir();
    let path = dir.path().join("events.db");
    let store = SqliteEventStore::open(&path)
        .await
        .expect("open sqlite store");
    let pool = SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("connect");
    let subject = Subject {
        store: Arc::new(store),
        db: Db::Sqlite(pool),
        _keep: Box::new(dir),
    };
    subject.db.execute(CREATE_CLAIMS).await;
    subject
}

async fn postgres() -> Subject {
    let (store, db) = postgres_store().await;
    let subject = Subject {
        db: Db::Postgres(store.pool().clone()),
        store: Arc::new(store),
        _keep: Box::new(db),
    };
    subject.db.execute(CREATE_CLAIMS).await;
    subject
}

fn claim(owner: &str, value: &str) -> Companion {
    Companion::Insert {
        table: "claims",
        values: vec![
            ("owner", Value::Text(Some(owner.into()))),
            ("value", Value::Text(Some(value.into()))),
            ("claimed_at", Value::Int(Some(1))),
        ],
    }
}

fn release(owner: &str) -> Companion {
    Companion::Update {
        table: "claims",
        set: vec![("value", Value::Text(None))],
        key: ("owner", Value::Text(Some(owner.into()))),
    }
}

fn with(mut request: AppendRequest, companion: Companion) -> AppendRequest {
    request.companions.push(companion);
    request
}

fn claimed(owner: &str, value: Option<&str>) -> (String, Option<String>) {
    (owner.to_owned(), value.map(str::to_owned))
}

async fn a_companion_commits_with_its_events_or_not_at_all(s: Subject) {
    let store = &s.store;
    let first = with(request("a", ExpectedVersion::NoStream, 1), claim("a", "v"));
    store.append(first).await.expect("first claim");
    assert_eq!(s.db.claims().await, [claimed("a", Some("v"))]);

    let taken = with(request("b", ExpectedVersion::NoStream, 2), claim("b", "v"));
    let refused = store.append(taken).await;
    assert!(
        matches!(refused, Err(AppendError::Taken { table: "claims" })),
        "{refused:?}"
    );
    assert!(store.read_stream("b").await.expect("read").is_empty());

    let stale = with(request("c", ExpectedVersion::Exact(3), 1), claim("c", "w"));
    let conflict = store.append(stale).await;
    assert!(
        matches!(conflict, Err(AppendError::Conflict { .. })),
        "{conflict:?}"
    );
    let stale_release = with(request("a", ExpectedVersion::Exact(7), 1), release("a"));
    assert!(store.append(stale_release).await.is_err());
    assert_eq!(
        s.db.claims().await,
        [claimed("a", Some("v"))],
        "a refused request writes no companion"
    );

    let released = with(request("a", ExpectedVersion::Exact(1), 1), release("a"));
    store.append(released).await.expect("release");
    let again = with(request("b", ExpectedVersion::NoStream, 1), claim("b", "v"));
    store.append(again).await.expect("claim a released value");
    assert_eq!(
        s.db.claims().await,
        [claimed("a", None), claimed("b", Some("v"))]
    );
}

async fn companions_of_one_request_are_all_or_none(s: Subject) {
    s.store
        .append(with(
            request("a", ExpectedVersion::NoStream, 1),
            claim("a", "v"),
        ))
        .await
        .expect("first claim");
    let mut both = with(request("b", ExpectedVersion::NoStream, 1), claim("b", "w"));
    both.companions.push(claim("b2", "v"));
    let refused = s.store.append(both).await;
    assert!(
        matches!(refused, Err(AppendError::Taken { .. })),
        "{refused:?}"
    );
    assert_eq!(s.db.claims().await, [claimed("a", Some("v"))]);
}

macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store {
            $(#[tokio::test] async fn $name() { super::$name(super::sqlite().await).await })*
        }
        mod postgres_store {
            $(#[tokio::test] async fn $name() { super::$name(super::postgres().await).await })*
        }
    };
}

on_both_stores!(
    a_companion_commits_with_its_events_or_not_at_all,
    companions_of_one_request_are_all_or_none,
);

/// In one batch, claims of one value race: the first in arrival order wins, the others
/// are refused, a request on the stream of a refused one is decided without it, and
/// the rest of the batch commits together.
#[tokio::test]
async fn claims_race_inside_one_group_commit() {
    let (store, _db): (PostgresEventStore, _) = postgres_store().await;
    let db = Db::Postgres(store.pool().clone());
    db.execute(CREATE_CLAIMS).await;
    let plug = plug(&store, "plug").await;
    let requests = vec![
        request("plain-1", ExpectedVersion::NoStream, 1),
        with(
            request("r-0", ExpectedVersion::NoStream, 1),
            claim("r-0", "v"),
        ),
        with(
            request("r-1", ExpectedVersion::NoStream, 1),
            claim("r-1", "v"),
        ),
        request("r-1", ExpectedVersion::Exact(1), 1),
        request("r-1", ExpectedVersion::NoStream, 2),
        with(
            request("r-2", ExpectedVersion::NoStream, 1),
            claim("r-2", "v"),
        ),
        with(request("w", ExpectedVersion::NoStream, 1), claim("w", "w")),
        request("plain-2", ExpectedVersion::NoStream, 1),
    ];
    let answers = in_one_batch(&store, plug, requests).await;
    let versions: Vec<Option<u64>> = answers
        .iter()
        .map(|a| a.as_ref().ok().map(|o| o.version))
        .collect();
    assert_eq!(
        versions,
        [
            Some(1),
            Some(1),
            None,
            None,
            Some(2),
            None,
            Some(1),
            Some(1)
        ],
        "{answers:?}"
    );
    for refused in [&answers[2], &answers[5]] {
        assert!(
            matches!(refused, Err(AppendError::Taken { table: "claims" })),
            "{refused:?}"
        );
    }
    assert!(
        matches!(answers[3], Err(AppendError::Conflict { actual: 0, .. })),
        "{:?}",
        answers[3]
    );
    assert_eq!(
        db.claims().await,
        [claimed("r-0", Some("v")), claimed("w", Some("w"))]
    );
    let all = common::batch::read_n(&store, 7).await;
    let xid = xid_of(&all, "plain-1");
    for stream in ["r-0", "r-1", "w", "plain-2"] {
        assert_eq!(
            xid_of(&all, stream),
            xid,
            "{stream} in the batch's transaction"
        );
    }
    let r1: Vec<String> = store
        .read_stream("r-1")
        .await
        .expect("read")
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        r1.len(),
        2,
        "only the request decided without the refused one"
    );
}
