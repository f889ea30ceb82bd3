use civitas_kernel::store::SqliteEventStore;
use tonic::Code;

use super::*;
use crate::auth::Role;

#[test]
fn ids_are_cut_from_stream_ids_one_way() {
    assert_eq!(created_id("volunteer-abc", "volunteer"), "abc");
    assert_eq!(created_id("team-x-y", "team"), "x-y");
    assert_eq!(created_id("other-1", "team"), "other-1");
}

#[test]
fn write_errors_map_to_their_codes() {
    let code = |e: WriteError| Status::from(e).code();
    assert_eq!(
        code(ValidationError::new("f", "bad").into()),
        Code::InvalidArgument
    );
    assert_eq!(
        code(WriteError::NotFound {
            what: "x",
            id: "1".into()
        }),
        Code::NotFound
    );
    assert_eq!(code(WriteError::Conflict("c".into())), Code::Aborted);
    assert_eq!(
        code(WriteError::IdempotencyKeyReused("k".into())),
        Code::InvalidArgument
    );
    assert_eq!(
        code(AuthError::PermissionDenied("no".into()).into()),
        Code::PermissionDenied
    );
    assert_eq!(code(AuthError::MissingToken.into()), Code::Unauthenticated);
    let internal = Status::from(WriteError::from(anyhow::anyhow!("disk on fire")));
    assert_eq!(internal.code(), Code::Internal);
    assert_eq!(internal.message(), "internal error");
}

/// A store that cannot be reached or is too busy is UNAVAILABLE (the client retries
/// with its idempotency key); a store that is broken stays INTERNAL.
#[test]
fn a_store_out_of_reach_is_unavailable_and_a_broken_one_internal() {
    let code = |e: civitas_kernel::StoreError| Status::from(WriteError::from(e)).code();
    for transient in [
        sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed,
        sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
    ] {
        assert_eq!(code(transient.into()), Code::Unavailable);
    }
    let wrapped = anyhow::Error::new(sqlx::Error::PoolTimedOut).context("while appending");
    assert_eq!(code(civitas_kernel::StoreError(wrapped)), Code::Unavailable);
    assert_eq!(code(sqlx::Error::RowNotFound.into()), Code::Internal);
    assert_eq!(
        code(civitas_kernel::StoreError(anyhow::anyhow!("corrupt row"))),
        Code::Internal
    );
}

/// A notebook: each command writes its text as one event.
struct Notebook;

#[derive(Debug, Clone)]
struct Noted(String);

#[derive(Debug, thiserror::Error)]
#[error("a note needs text")]
struct EmptyNote;

#[derive(Debug, thiserror::Error)]
enum NoteError {
    #[error(transparent)]
    Write(WriteError),
    #[error(transparent)]
    Rule(#[from] EmptyNote),
}

crate::service_error!(NoteError);

impl Decider for Notebook {
    type State = usize;
    type Command = String;
    type Event = Noted;
    type Error = EmptyNote;

    fn decide(_: &usize, text: String) -> Result<Vec<Noted>, EmptyNote> {
        match text.is_empty() {
            true => Err(EmptyNote),
            false => Ok(vec![Noted(text)]),
        }
    }

    fn evolve(notes: usize, _: &Noted) -> usize {
        notes + 1
    }
}

impl EventCodec for Noted {
    fn event_type(&self) -> &'static str {
        "Noted"
    }

    fn encode(&self) -> Vec<u8> {
        self.0.clone().into_bytes()
    }

    fn decode(_: &str, _: u32, payload: &[u8]) -> Result<Self, DecodeError> {
        Ok(Noted(String::from_utf8_lossy(payload).into_owned()))
    }
}

async fn note(shell: &Shell, text: &str) -> Result<AppendOutcome, NoteError> {
    let staff = Caller {
        subject: "staff-xingfu".into(),
        role: Role::Staff,
        org_unit: "xingfu".into(),
    };
    let request = WriteOptions::default();
    let ctx = shell.begin(&staff, "", None, "Note", &request)?;
    shell
        .run::<Notebook, NoteError>("note-1", ctx, text.to_owned())
        .await
}

#[tokio::test]
async fn an_event_over_the_size_limit_is_refused_before_it_is_stored() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteEventStore::open(&dir.path().join("notes.db"))
        .await
        .expect("open store");
    let store: Arc<dyn EventStore> = Arc::new(store);
    let shell = Shell::new(store.clone(), OrgTree::demo()).with_max_event_bytes(Some(400));

    let stored = note(&shell, &"a".repeat(100)).await.expect("a small note");
    assert_eq!(stored.version, 1);

    let refused = note(&shell, &"b".repeat(400))
        .await
        .expect_err("the note is larger than the limit");
    let NoteError::Write(WriteError::Invalid(invalid)) = &refused else {
        panic!("expected a validation error, got {refused:?}");
    };
    assert_eq!(invalid.field, "request");
    assert!(
        invalid
            .message
            .contains("over the event stream's limit of 400 bytes"),
        "{}",
        invalid.message
    );
    let NoteError::Write(write) = refused else {
        unreachable!()
    };
    assert_eq!(Status::from(write).code(), Code::InvalidArgument);
    assert_eq!(
        store.read_stream("note-1").await.expect("read").len(),
        1,
        "nothing of the refused command is stored"
    );

    // A domain rule still answers as itself.
    assert!(matches!(
        note(&shell, "").await,
        Err(NoteError::Rule(EmptyNote))
    ));

    // Without a limit (embedded mode) any size is taken.
    let unlimited = Shell::new(store.clone(), OrgTree::demo());
    let stored = note(&unlimited, &"c".repeat(4000)).await.expect("no limit");
    assert_eq!(stored.version, 2);
}
