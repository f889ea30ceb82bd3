use super::*;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
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
        iss: ISSUER.into(),
        aud: aud.into(),
        iat: now,
        nbf: None,
        exp: now + exp_offset,
    }
}

fn rejection(claims: &Claims) -> AuthError {
    keys().verify(&keys().sign(claims).unwrap()).unwrap_err()
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
    assert_eq!(claims.iss, ISSUER);
    assert_eq!(claims.exp - claims.iat, 3600);
}

#[test]
fn another_issuer_is_rejected() {
    let mut foreign = claims(Role::Staff, 600, AUDIENCE);
    foreign.iss = "elsewhere".into();
    assert_eq!(
        rejection(&foreign).to_string(),
        "token issuer is not civitas"
    );

    // A token without `iss` at all (as civitas signed them before) is refused too.
    let mut unnamed = serde_json::to_value(claims(Role::Staff, 600, AUDIENCE)).unwrap();
    unnamed.as_object_mut().unwrap().remove("iss");
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &unnamed,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap();
    let err = keys().verify(&token).unwrap_err();
    assert_eq!(Status::from(err).code(), Code::Unauthenticated);
}

#[test]
fn a_token_from_the_future_is_rejected() {
    let mut early = claims(Role::Staff, 600, AUDIENCE);
    early.nbf = Some(early.iat + 300);
    assert_eq!(rejection(&early).to_string(), "token not yet valid");

    let mut ahead = claims(Role::Staff, 3_600, AUDIENCE);
    ahead.iat += 600;
    assert_eq!(rejection(&ahead).to_string(), "token issued in the future");

    // Within the leeway both pass.
    let mut skewed = claims(Role::Staff, 600, AUDIENCE);
    skewed.iat += 2;
    skewed.nbf = Some(skewed.iat);
    assert!(keys().verify(&keys().sign(&skewed).unwrap()).is_ok());
}

#[test]
fn a_token_living_longer_than_its_role_allows_is_rejected() {
    let day = 86_400;
    let person = claims(Role::Staff, 13 * 3_600, AUDIENCE);
    let err = rejection(&person);
    assert_eq!(
        err.to_string(),
        "token lifetime 13h exceeds the maximum of 12h for role staff"
    );
    assert_eq!(Status::from(err).code(), Code::Unauthenticated);
    for role in [Role::District, Role::Analyst, Role::Admin] {
        assert!(matches!(
            rejection(&claims(role, day, AUDIENCE)),
            AuthError::LifetimeTooLong { .. }
        ));
    }
    // A long-lived token issued long ago counts its whole lifetime, not what is left.
    let mut old = claims(Role::District, 3_600, AUDIENCE);
    old.iat -= 30 * day;
    assert!(matches!(rejection(&old), AuthError::LifetimeTooLong { .. }));

    let service = claims(Role::Service, 30 * day, AUDIENCE);
    assert!(keys().verify(&keys().sign(&service).unwrap()).is_ok());
    assert_eq!(
        rejection(&claims(Role::Service, 31 * day, AUDIENCE)).to_string(),
        "token lifetime 31d exceeds the maximum of 30d for role service"
    );
}

#[test]
fn issuing_beyond_the_maximum_is_refused_and_the_maximum_is_configurable() {
    let err = keys()
        .issue("alice", Role::Staff, "xingfu", 13 * HOUR)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "token lifetime 13h exceeds the maximum of 12h for role staff"
    );
    assert!(keys()
        .issue("alice", Role::Staff, "xingfu", 12 * HOUR)
        .is_ok());

    let short = TokenLifetimes {
        person: HOUR,
        service: 2 * HOUR,
    };
    let keys = TokenKeys::with_lifetimes(SECRET, short);
    assert!(keys
        .issue("alice", Role::Staff, "xingfu", 2 * HOUR)
        .is_err());
    assert!(keys.issue("proj", Role::Service, "gulou", 2 * HOUR).is_ok());
    // Verification applies the same maximum: a token from default keys is refused.
    let long = TokenKeys::new(SECRET)
        .issue("alice", Role::Staff, "xingfu", 2 * HOUR)
        .unwrap();
    assert!(matches!(
        keys.verify(&long),
        Err(AuthError::LifetimeTooLong { .. })
    ));
}

#[test]
fn token_lifetimes_read_as_text_and_refuse_zero() {
    let lifetimes: TokenLifetimes = serde_json::from_str(r#"{"person": "8h"}"#).unwrap();
    assert_eq!(lifetimes.person, 8 * HOUR);
    assert_eq!(lifetimes.service, Duration::from_secs(30 * 86_400));
    let zero = TokenLifetimes {
        person: Duration::ZERO,
        ..TokenLifetimes::default()
    };
    assert_eq!(
        zero.validate("tokens").unwrap_err().to_string(),
        "invalid setting tokens.person (CIVITAS_TOKENS__PERSON): must be greater than 0"
    );
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
fn a_service_token_passes_only_the_event_log_interceptor() {
    let token = keys()
        .issue("projection", Role::Service, "gulou", 24 * HOUR)
        .unwrap();
    let header = format!("Bearer {token}");
    let auth = AuthInterceptor::new(Arc::new(keys()));
    for mut guard in [
        auth.clone(),
        auth.serving("civitas.residents.v1.ResidentsService"),
        auth.serving("civitas.insights.v1.InsightsService"),
    ] {
        let status = guard.call(request_with(Some(&header))).unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(status.message(), "role service may only read event logs");
    }
    let request = auth
        .serving(EVENT_LOG_SERVICE)
        .call(request_with(Some(&header)))
        .unwrap();
    assert_eq!(caller(&request).unwrap().role, Role::Service);
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
    for role in [Role::District, Role::Analyst, Role::Admin, Role::Service] {
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
fn analysts_and_services_may_not_read_per_person_records() {
    for role in [Role::Analyst, Role::Service] {
        let err = caller_of(role, "gulou")
            .authorize_person_read()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("role {role} may not read per-person records")
        );
        assert_eq!(Status::from(err).code(), Code::PermissionDenied);
    }
    for role in [Role::Staff, Role::District, Role::Admin] {
        assert!(caller_of(role, "gulou").authorize_person_read().is_ok());
    }
}

#[test]
fn a_staff_only_read_refused_says_read() {
    assert!(caller_of(Role::Staff, "xingfu")
        .authorize_staff_read("xingfu")
        .is_ok());
    let err = caller_of(Role::Staff, "heping")
        .authorize_staff_read("xingfu")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "staff of heping may not read community xingfu"
    );
    for role in [Role::District, Role::Analyst, Role::Admin, Role::Service] {
        let err = caller_of(role, "gulou")
            .authorize_staff_read("gulou")
            .unwrap_err()
            .to_string();
        assert!(err.contains("may not read"), "{err}");
        assert!(!err.contains("write"), "{err}");
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
    for role in [
        Role::Staff,
        Role::District,
        Role::Analyst,
        Role::Admin,
        Role::Service,
    ] {
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

#[test]
fn a_login_link_opens_nothing_but_the_dashboard() {
    let keys = keys();
    let ticket = keys
        .issue_login_link("amy", Role::District, "pingan", HOUR)
        .unwrap();
    let redeemed = keys.verify_login_link(&ticket).unwrap();
    assert_eq!(
        (redeemed.sub.as_str(), redeemed.role, redeemed.org.as_str()),
        ("amy", Role::District, "pingan")
    );
    assert_eq!(redeemed.exp - redeemed.iat, LOGIN_LINK_TTL.as_secs() as i64);
    assert_eq!(redeemed.session_exp - redeemed.iat, HOUR.as_secs() as i64);
    assert_eq!(redeemed.jti.len(), 32);
    let other = keys
        .issue_login_link("amy", Role::District, "pingan", HOUR)
        .unwrap();
    assert_ne!(keys.verify_login_link(&other).unwrap().jti, redeemed.jti);
    // Not a bearer token for any service, and a bearer token is not a link.
    assert!(matches!(
        keys.verify(&ticket),
        Err(AuthError::WrongAudience)
    ));
    let token = keys.issue("amy", Role::District, "pingan", HOUR).unwrap();
    assert!(keys.verify_login_link(&token).is_err());
    // Another key's link, and a session longer than the role allows, are refused.
    let stranger = TokenKeys::new(b"another-secret-another-secret-xx");
    assert!(matches!(
        stranger.verify_login_link(&ticket),
        Err(AuthError::InvalidSignature)
    ));
    assert!(matches!(
        keys.issue_login_link("amy", Role::Staff, "xingfu", HOUR * 13),
        Err(AuthError::LifetimeTooLong { .. })
    ));
}
