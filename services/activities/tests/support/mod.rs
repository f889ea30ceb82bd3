//! A real activities server on 127.0.0.1:0 over a fresh SQLite store, and clients that
//! carry a bearer token for a role and org unit.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use civitas_activities::Activities;
use civitas_kernel::store::SqliteEventStore;
use civitas_platform::auth::{AuthInterceptor, Role, TokenKeys};
use civitas_platform::grpc::ServerLimits;
use civitas_platform::org::OrgTree;
use civitas_proto::activities::v1::activities_service_client::ActivitiesServiceClient;
use civitas_proto::common::v1::WriteOptions;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

pub const SECRET: &[u8] = b"test-secret-32-bytes-long.......";

/// A running server; dropping it leaves the task to die with the test runtime.
pub struct App {
    pub addr: SocketAddr,
    keys: Arc<TokenKeys>,
    _dir: tempfile::TempDir,
}

pub type Client = ActivitiesServiceClient<InterceptedService<Channel, Bearer>>;

/// Adds `authorization: Bearer <token>` when there is a token.
#[derive(Clone)]
pub struct Bearer(Option<String>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(token) = &self.0 {
            let value = MetadataValue::try_from(format!("Bearer {token}"))
                .map_err(|_| Status::internal("bad token"))?;
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

impl App {
    /// Starts a server with a fresh store.
    pub async fn spawn() -> App {
        let dir = civitas_testkit::temp_dir();
        let store = SqliteEventStore::open(&dir.path().join("activities.db"))
            .await
            .expect("open store");
        let service = Activities::new(Arc::new(store), OrgTree::demo());
        let keys = Arc::new(TokenKeys::new(SECRET));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = service.server(&ServerLimits::default(), AuthInterceptor::new(keys.clone()));
        tokio::spawn(async move {
            Server::builder()
                .add_service(server)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
                .await
                .expect("serve");
        });
        App {
            addr,
            keys,
            _dir: dir,
        }
    }

    /// A client with a token for `role` over `org`.
    pub async fn client(&self, role: Role, org: &str) -> Client {
        let token = self
            .keys
            .issue(
                &format!("{org}-tester"),
                role,
                org,
                Duration::from_secs(600),
            )
            .expect("token");
        self.client_with(Some(token)).await
    }

    /// Staff of a community.
    pub async fn staff(&self, community: &str) -> Client {
        self.client(Role::Staff, community).await
    }

    /// A client with this token, or none.
    pub async fn client_with(&self, token: Option<String>) -> Client {
        let channel = Channel::from_shared(format!("http://{}", self.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect");
        ActivitiesServiceClient::with_interceptor(channel, Bearer(token))
    }
}

/// Write options with an idempotency key.
pub fn key(k: &str) -> Option<WriteOptions> {
    Some(WriteOptions {
        idempotency_key: k.into(),
        expected_version: None,
    })
}

/// Asserts a status code and returns the status.
#[track_caller]
pub fn expect_code<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Ok(v) => panic!("expected {code:?}, got {v:?}"),
        Err(s) => {
            assert_eq!(s.code(), code, "{s:?}");
            s
        }
    }
}

/// Asserts INVALID_ARGUMENT naming exactly `field` in its BadRequest.
#[track_caller]
pub fn expect_invalid<T: std::fmt::Debug>(result: Result<T, Status>, field: &str) {
    let status = expect_code(result, Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_details_bad_request()
        .expect("bad request details")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, [field], "{status:?}");
}

/// Asserts FAILED_PRECONDITION, blaming `field` when given.
#[track_caller]
pub fn expect_rule<T: std::fmt::Debug>(result: Result<T, Status>, field: Option<&str>) -> Status {
    let status = expect_code(result, Code::FailedPrecondition);
    let subject = status
        .get_details_precondition_failure()
        .and_then(|p| p.violations.into_iter().next())
        .map(|v| v.subject);
    assert_eq!(subject.as_deref(), field, "{status:?}");
    status
}
