use super::*;
use tonic::Code;

const SECRET: &[u8] = b"test-secret-test-secret-test-secret";
const HOUR: Duration = Duration::from_secs(3600);

fn keys() -> TokenKeys {
    TokenKeys::new(SECRET)
}

fn caller_of(role: Role, org_unit: &str) -> Caller {
    Caller {
        subject: "u1".into(),
        role,
        org_unit: org_unit.into(),
    }
}

fn claims(role: Role, exp_offset: i64, aud: &str) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: "u1".into(),
        role,
        org: "xingfu".into(),
        aud: aud.into(),
        iat: now,
        exp: now + exp_offset,
    }
}

fn request_with(authorization: Option<&str>) -> Request<()> {
    let mut request = Request::new(());
    if let Some(value) = authorization {
        request
            .metadata_mut()
            .insert("authorization", value.parse().unwrap());
    }
    request
}

fn intercept(authorization: Option<&str>) -> Result<Request<()>, Status> {
    AuthInterceptor::new(Arc::new(keys())).call(request_with(authorization))
}

#[test]
fn issued_token_verifies_with_its_claims() {
    let token = keys().issue("alice", Role::Staff, "xingfu", HOUR).unwrap();
    let claims = keys().verify(&token).unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.role, Role::Staff);
    assert_eq!(claims.org, "xingfu");
    assert_eq!(claims.aud, AUDIENCE);
    assert_eq!(claims.exp - claims.iat, 3600);
}

#[test]
fn expired_token_is_rejected() {
    let token = keys().sign(&claims(Role::Staff, -120, AUDIENCE)).unwrap();
    assert!(matches!(keys().verify(&token), Err(AuthError::Expired)));
}

#[test]
fn forged_token_is_rejected() {
    let forged = TokenKeys::new(b"another-key")
        .issue("mallory", Role::Admin, "gulou", HOUR)
        .unwrap();
    assert!(matches!(
        keys().verify(&forged),
        Err(AuthError::InvalidSignature)
    ));
}

#[test]
fn wrong_audience_is_rejected() {
    let token = keys().sign(&claims(Role::Staff, 600, "elsewhere")).unwrap();
    assert!(matches!(
        keys().verify(&token),
        Err(AuthError::WrongAudience)
    ));
}

#[test]
fn garbage_is_malformed() {
    assert!(matches!(
        keys().verify("not-a-jwt"),
        Err(AuthError::MalformedToken)
    ));
}

#[test]
fn interceptor_inserts_caller() {
    let token = keys()
        .issue("alice", Role::District, "huafeng", HOUR)
        .unwrap();
    let request = intercept(Some(&format!("Bearer {token}"))).unwrap();
    assert_eq!(
        caller(&request).unwrap(),
        Caller {
            subject: "alice".into(),
            role: Role::District,
            org_unit: "huafeng".into(),
        }
    );
}

#[test]
fn interceptor_rejects_bad_credentials_with_clear_messages() {
    let expired = keys().sign(&claims(Role::Staff, -120, AUDIENCE)).unwrap();
    let forged = TokenKeys::new(b"another-key")
        .issue("mallory", Role::Admin, "gulou", HOUR)
        .unwrap();
    let wrong_aud = keys().sign(&claims(Role::Staff, 600, "elsewhere")).unwrap();
    let cases = [
        (None, "missing bearer token".to_owned()),
        (
            Some("Basic abc".to_owned()),
            "malformed bearer token".to_owned(),
        ),
        (
            Some("Bearer".to_owned()),
            "malformed bearer token".to_owned(),
        ),
        (
            Some("Bearer nonsense".to_owned()),
            "malformed bearer token".to_owned(),
        ),
        (
            Some(format!("Bearer {expired}")),
            "token expired".to_owned(),
        ),
        (
            Some(format!("Bearer {forged}")),
            "invalid token signature".to_owned(),
        ),
        (
            Some(format!("Bearer {wrong_aud}")),
            "token audience is not civitas".to_owned(),
        ),
    ];
    for (header, message) in cases {
        let status = intercept(header.as_deref()).unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated, "{header:?}");
        assert_eq!(status.message(), message, "{header:?}");
    }
}

#[test]
fn caller_is_unauthenticated_without_interceptor() {
    let status = caller(&Request::new(())).unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[test]
fn only_staff_of_the_community_may_write() {
    assert!(caller_of(Role::Staff, "xingfu")
        .authorize_write("xingfu")
        .is_ok());
    let err = caller_of(Role::Staff, "heping")
        .authorize_write("xingfu")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "staff of heping may not write to community xingfu"
    );
    for role in [Role::District, Role::Analyst, Role::Admin] {
        let err = caller_of(role, "gulou")
            .authorize_write("xingfu")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("role {role} may not write to community xingfu")
        );
        assert_eq!(Status::from(err).code(), Code::PermissionDenied);
    }
}

#[test]
fn staff_read_only_their_own_community() {
    let tree = OrgTree::demo();
    let staff = caller_of(Role::Staff, "xingfu");
    assert!(staff.authorize_read("xingfu", &tree).is_ok());
    for other in ["heping", "huafeng", "gulou"] {
        let err = staff.authorize_read(other, &tree).unwrap_err();
        assert!(matches!(err, AuthError::PermissionDenied(_)), "{other}");
    }
}

#[test]
fn district_and_analyst_read_within_their_unit() {
    let tree = OrgTree::demo();
    for role in [Role::District, Role::Analyst] {
        let district = caller_of(role, "gulou");
        for unit in ["gulou", "huafeng", "xingfu", "guanghua"] {
            assert!(
                district.authorize_read(unit, &tree).is_ok(),
                "{role} {unit}"
            );
        }
        let street = caller_of(role, "huafeng");
        assert!(street.authorize_read("huafeng", &tree).is_ok());
        assert!(street.authorize_read("xingfu", &tree).is_ok());
        for unit in ["gulou", "dongjie", "chaoyang", "unknown"] {
            let err = street.authorize_read(unit, &tree).unwrap_err();
            assert_eq!(
                Status::from(err).code(),
                Code::PermissionDenied,
                "{role} {unit}"
            );
        }
    }
}

#[test]
fn admin_reads_everything() {
    let tree = OrgTree::demo();
    let admin = caller_of(Role::Admin, "gulou");
    for unit in ["gulou", "dongjie", "xingfu"] {
        assert!(admin.authorize_read(unit, &tree).is_ok());
    }
}

#[test]
fn role_round_trips_through_text_and_serde() {
    for role in [Role::Staff, Role::District, Role::Analyst, Role::Admin] {
        assert_eq!(role.to_string().parse::<Role>().unwrap(), role);
        let json = serde_json::to_string(&role).unwrap();
        assert_eq!(json, format!("\"{role}\""));
    }
    assert_eq!(
        "root".parse::<Role>().unwrap_err(),
        UnknownRole("root".into())
    );
}

#[test]
fn errors_map_to_grpc_codes() {
    assert_eq!(
        Status::from(AuthError::MissingToken).code(),
        Code::Unauthenticated
    );
    assert_eq!(
        Status::from(AuthError::Expired).code(),
        Code::Unauthenticated
    );
    assert_eq!(
        Status::from(AuthError::PermissionDenied("no".into())).code(),
        Code::PermissionDenied
    );
}
