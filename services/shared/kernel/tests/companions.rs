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

/// A batch whose companions are all accepted writes them together: rows of two tables
/// (one with a NULL), every request answered, all in the batch's one transaction.
#[tokio::test]
async fn a_batch_of_companions_commits_together() {
    let (store, _db): (PostgresEventStore, _) = postgres_store().await;
    let db = Db::Postgres(store.pool().clone());
    db.execute(CREATE_CLAIMS).await;
    db.execute("CREATE TABLE notes (owner TEXT PRIMARY KEY, note TEXT, n BIGINT)")
        .await;
    let note = |owner: &str, note: Option<&str>| Companion::Insert {
        table: "notes",
        values: vec![
            ("owner", Value::Text(Some(owner.into()))),
            ("note", Value::Text(note.map(str::to_owned))),
            ("n", Value::Int(Some(7))),
        ],
    };
    let plug = plug(&store, "plug").await;
    let requests: Vec<AppendRequest> = (0..6)
        .map(|i| {
            let owner = format!("r-{i}");
            let mut r = with(
                request(&owner, ExpectedVersion::NoStream, 1),
                claim(&owner, &format!("v{i}")),
            );
            r.companions
                .push(note(&owner, (i % 2 == 0).then_some("even")));
            r
        })
        .collect();
    let answers = in_one_batch(&store, plug, requests).await;
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    let expected: Vec<_> = (0..6)
        .map(|i| claimed(&format!("r-{i}"), Some(&format!("v{i}"))))
        .collect();
    assert_eq!(db.claims().await, expected);
    let Db::Postgres(pool) = &db else {
        unreachable!()
    };
    let notes: Vec<(String, Option<String>, i64)> =
        sqlx::query_as("SELECT owner, note, n FROM notes ORDER BY owner")
            .fetch_all(pool)
            .await
            .expect("read notes");
    let expected: Vec<_> = (0..6)
        .map(|i| (format!("r-{i}"), (i % 2 == 0).then(|| "even".to_owned()), 7))
        .collect();
    assert_eq!(notes, expected);
    // Written together: one (sub)transaction holds every row. Request by request, each
    // request's savepoint would have given its rows a subtransaction id of their own.
    let writers: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT x) FROM (SELECT xmin::text AS x FROM claims
                                         UNION ALL SELECT xmin::text FROM notes) AS rows",
    )
    .fetch_one(pool)
    .await
    .expect("read xmin");
    assert_eq!(
        writers, 1,
        "companion rows written by {writers} (sub)transactions"
    );
    let all = common::batch::read_n(&store, 7).await;
    let xid = xid_of(&all, "r-0");
    for i in 1..6 {
        assert_eq!(xid_of(&all, &format!("r-{i}")), xid, "r-{i} in the batch");
    }
}

/// A batch with a companion that a committed row refuses: the others still commit
/// together, the refused request alone is answered `Taken`.
#[tokio::test]
async fn a_refused_companion_leaves_the_rest_of_its_batch() {
    let (store, _db): (PostgresEventStore, _) = postgres_store().await;
    let db = Db::Postgres(store.pool().clone());
    db.execute(CREATE_CLAIMS).await;
    store
        .append(with(
            request("first", ExpectedVersion::NoStream, 1),
            claim("first", "taken"),
        ))
        .await
        .expect("first claim");
    let plug = plug(&store, "plug").await;
    let requests = vec![
        with(request("a", ExpectedVersion::NoStream, 1), claim("a", "x")),
        with(
            request("b", ExpectedVersion::NoStream, 1),
            claim("b", "taken"),
        ),
        with(request("c", ExpectedVersion::NoStream, 1), claim("c", "y")),
    ];
    let answers = in_one_batch(&store, plug, requests).await;
    assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
    assert!(
        matches!(answers[1], Err(AppendError::Taken { table: "claims" })),
        "{:?}",
        answers[1]
    );
    assert_eq!(
        db.claims().await,
        [
            claimed("a", Some("x")),
            claimed("c", Some("y")),
            claimed("first", Some("taken"))
        ]
    );
}

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
