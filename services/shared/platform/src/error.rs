//! Constructors for gRPC statuses in the richer error model (`google.rpc.Status` with
//! details), so every service reports the same codes, messages and details.
//!
//! Validation failures carry a `google.rpc.BadRequest` naming each offending field;
//! clients read it with `tonic_types::StatusExt::get_details_bad_request`. Unexpected
//! failures are logged here and reach the client only as "internal error".

use std::fmt;

/// The most bytes of text a status carries in its message and in each detail. Errors
/// often quote the client's input; an unbounded quote could push the response headers
/// past the peer's header-list limit (16 KiB in hyper), and the client would see an
/// HTTP/2 protocol error instead of the answer.
pub const MAX_MESSAGE_BYTES: usize = 1024;

/// `text` cut to at most [`MAX_MESSAGE_BYTES`] at a character boundary, marked with "…".
pub fn clip(text: impl Into<String>) -> String {
    let mut text = text.into();
    if text.len() > MAX_MESSAGE_BYTES {
        let mut end = MAX_MESSAGE_BYTES - '…'.len_utf8();
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, PreconditionViolation, StatusExt};

/// INVALID_ARGUMENT "invalid {field}: {description}" with a BadRequest violation.
pub fn invalid_argument(field: &str, description: impl Into<String>) -> Status {
    let description = clip(description);
    Status::with_error_details(
        Code::InvalidArgument,
        clip(format!("invalid {field}: {description}")),
        ErrorDetails::with_bad_request(vec![FieldViolation::new(field, description)]),
    )
}

/// FAILED_PRECONDITION: a business rule rejects the command in the current state.
pub fn failed_precondition(msg: impl Into<String>) -> Status {
    Status::failed_precondition(clip(msg))
}

/// FAILED_PRECONDITION naming the field whose value breaks the rule, as a
/// `google.rpc.PreconditionFailure` violation (type "RULE", subject = the field).
pub fn failed_precondition_on(field: &str, msg: impl Into<String>) -> Status {
    let msg = clip(msg);
    Status::with_error_details(
        Code::FailedPrecondition,
        clip(format!("{field}: {msg}")),
        ErrorDetails::with_precondition_failure(vec![PreconditionViolation::new(
            "RULE", field, msg,
        )]),
    )
}

/// FAILED_PRECONDITION for a broken business rule, naming the field when one is to
/// blame (every domain error type offers `field()`).
pub fn rule(field: Option<&str>, msg: impl Into<String>) -> Status {
    match field {
        Some(field) => failed_precondition_on(field, msg),
        None => failed_precondition(msg),
    }
}

/// NOT_FOUND "{what} {id} not found".
pub fn not_found(what: &str, id: &str) -> Status {
    Status::not_found(clip(format!("{what} {id} not found")))
}

/// ABORTED: a concurrency conflict; the client may retry.
pub fn aborted(msg: impl Into<String>) -> Status {
    Status::aborted(clip(msg))
}

/// ALREADY_EXISTS: the thing being created exists.
pub fn already_exists(msg: impl Into<String>) -> Status {
    Status::already_exists(clip(msg))
}

/// ALREADY_EXISTS "{field}: {msg}" naming the field whose value is held already, as a
/// `google.rpc.BadRequest` violation (the value to change).
pub fn already_exists_on(field: &str, msg: impl Into<String>) -> Status {
    let msg = clip(msg);
    Status::with_error_details(
        Code::AlreadyExists,
        clip(format!("{field}: {msg}")),
        ErrorDetails::with_bad_request(vec![FieldViolation::new(field, msg)]),
    )
}

/// INTERNAL "internal error"; the detail goes to the log only.
pub fn internal(err: &dyn fmt::Display) -> Status {
    tracing::error!(error = %err, "internal error");
    Status::internal("internal error")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_a_field_violation() {
        let status = invalid_argument("household_id", "must not be empty");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "invalid household_id: must not be empty");
        let bad_request = status.get_details_bad_request().unwrap();
        let [violation] = bad_request.field_violations.as_slice() else {
            panic!("expected one violation: {bad_request:?}");
        };
        assert_eq!(violation.field, "household_id");
        assert_eq!(violation.description, "must not be empty");
    }

    #[test]
    fn simple_constructors_use_their_codes() {
        assert_eq!(
            failed_precondition("closed").code(),
            Code::FailedPrecondition
        );
        assert_eq!(aborted("conflict").code(), Code::Aborted);
        assert_eq!(rule(None, "closed").message(), "closed");
        let blamed = rule(Some("capacity"), "is full");
        assert_eq!(blamed.code(), Code::FailedPrecondition);
        assert_eq!(blamed.message(), "capacity: is full");
        assert_eq!(already_exists("dup").code(), Code::AlreadyExists);
        let held = already_exists_on("id_number", "is registered");
        assert_eq!(
            (held.code(), held.message()),
            (Code::AlreadyExists, "id_number: is registered")
        );
        let bad_request = held.get_details_bad_request().expect("a BadRequest detail");
        assert_eq!(bad_request.field_violations[0].field, "id_number");
        let status = not_found("household", "h-1");
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(status.message(), "household h-1 not found");
    }

    #[test]
    fn quoted_input_is_clipped_at_a_character_boundary() {
        let long = "名".repeat(1001);
        let status = invalid_argument("period", format!("period {long:?} is not a period"));
        assert!(
            status.message().len() <= MAX_MESSAGE_BYTES,
            "{}",
            status.message().len()
        );
        assert!(status.message().ends_with('…'));
        let violation = &status.get_details_bad_request().unwrap().field_violations[0];
        assert!(violation.description.len() <= MAX_MESSAGE_BYTES);
        assert_eq!(clip("short"), "short");
        for status in [
            not_found("household", &long),
            aborted(long.clone()),
            rule(Some("f"), long.clone()),
        ] {
            assert!(
                status.message().len() <= MAX_MESSAGE_BYTES,
                "{:?}",
                status.code()
            );
        }
    }

    #[test]
    fn internal_hides_the_detail() {
        let status = internal(&"connection refused to 10.0.0.5");
        assert_eq!(status.code(), Code::Internal);
        assert_eq!(status.message(), "internal error");
    }
}
