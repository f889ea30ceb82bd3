//! Why the resident decider refuses a command, and the request field to blame.

/// A refused resident command: a broken business rule, not a malformed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResidentError {
    #[error("resident is already registered")]
    AlreadyRegistered,
    #[error("resident is not registered")]
    NotRegistered,
    #[error("household not found")]
    HouseholdNotFound,
    #[error("household belongs to another community")]
    HouseholdInOtherCommunity,
    #[error("a resident under 14 needs a guardian")]
    GuardianRequired,
    #[error("guardian not found or no longer resident")]
    GuardianNotFound,
    #[error("a resident cannot be their own guardian")]
    GuardianIsSelf,
    #[error("resident has moved out")]
    MovedOut,
    #[error("resident has been erased")]
    Erased,
    #[error("resident already has this residence type")]
    SameResidenceType,
    #[error("only a floating residence can be verified")]
    NotFloating,
    #[error("valid_until must be after today")]
    ValidUntilNotAfterToday,
    #[error("care category is already assigned")]
    CategoryAlreadyAssigned,
    #[error("care category is not assigned")]
    CategoryNotAssigned,
    #[error("care category does not apply at this resident's age")]
    CategoryNotApplicable,
}

impl ResidentError {
    /// The request field to blame, if one is, so the shell can name it.
    pub fn field(&self) -> Option<&'static str> {
        use ResidentError::*;
        match self {
            HouseholdNotFound | HouseholdInOtherCommunity => Some("household_id"),
            GuardianRequired | GuardianNotFound | GuardianIsSelf => Some("guardian_resident_id"),
            SameResidenceType => Some("residence_type"),
            ValidUntilNotAfterToday => Some("valid_until"),
            CategoryAlreadyAssigned | CategoryNotAssigned | CategoryNotApplicable => {
                Some("category")
            }
            AlreadyRegistered | NotRegistered | MovedOut | Erased | NotFloating => None,
        }
    }
}
