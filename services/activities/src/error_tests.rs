//! Every kind of error maps to its documented code, naming the field to blame.

use civitas_platform::auth::AuthError;
use tonic::Code;
use tonic_types::StatusExt;

use super::*;
use crate::domain::ValidationError;

fn code(e: impl Into<ServiceError>) -> Code {
    Status::from(e.into()).code()
}

#[test]
fn every_kind_maps_to_its_code() {
    let invalid = Status::from(ServiceError::from(ValidationError::new("month", "bad")));
    assert_eq!(invalid.code(), Code::InvalidArgument);
    let fields: Vec<_> = invalid
        .get_details_bad_request()
        .expect("bad request")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["month"]);
    assert_eq!(code(PlanError::NoPlan), Code::NotFound);
    assert_eq!(
        code(PlanError::AlreadyPublished { version: 1 }),
        Code::FailedPrecondition
    );
    assert_eq!(code(ActivityError::NotScheduled), Code::NotFound);
    assert_eq!(
        code(ActivityError::Full { capacity: 1 }),
        Code::FailedPrecondition
    );
    let blamed = Status::from(ServiceError::from(ActivityError::AlreadyRegistered));
    assert_eq!(blamed.code(), Code::FailedPrecondition);
    let violation = &blamed
        .get_details_precondition_failure()
        .expect("precondition failure")
        .violations[0];
    assert_eq!(violation.subject, "resident_id");
    assert_eq!(code(BoardError::NotRegistered), Code::NotFound);
    assert_eq!(
        code(BoardError::AlreadyRegistered),
        Code::FailedPrecondition
    );
    assert_eq!(code(FacilityError::NotRegistered), Code::NotFound);
    let overspent = Status::from(ServiceError::from(LedgerError::InsufficientFunds {
        fund_source: crate::domain::FundSource::Government,
        amount: 10,
        balance: 5,
    }));
    assert_eq!(overspent.code(), Code::FailedPrecondition);
    assert!(
        overspent.message().contains("balance of source government"),
        "{overspent:?}"
    );
    let violation = &overspent
        .get_details_precondition_failure()
        .expect("precondition failure")
        .violations[0];
    assert_eq!(violation.subject, "amount_yuan");
    assert_eq!(
        code(FacilityError::AlreadyRegistered),
        Code::FailedPrecondition
    );
    // The shared write errors keep their own codes.
    let shared: [(WriteError, Code); 5] = [
        (
            WriteError::NotFound {
                what: "activity",
                id: "a".into(),
            },
            Code::NotFound,
        ),
        (WriteError::Conflict("c".into()), Code::Aborted),
        (
            WriteError::IdempotencyKeyReused("k".into()),
            Code::InvalidArgument,
        ),
        (
            AuthError::PermissionDenied("no".into()).into(),
            Code::PermissionDenied,
        ),
        (AuthError::MissingToken.into(), Code::Unauthenticated),
    ];
    for (e, expected) in shared {
        assert_eq!(code(e), expected);
    }
    let internal = Status::from(ServiceError::from(anyhow::anyhow!("disk on fire")));
    assert_eq!(internal.code(), Code::Internal);
    assert_eq!(internal.message(), "internal error");
}
