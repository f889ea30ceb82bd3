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
    #[error("arrived_on is required to record a move-in or a birth")]
    ArrivalDayRequired,
    #[error("arrived_on is only recorded for a move-in or a birth")]
    ArrivalDayNotExpected,
    #[error("arrived_on must be today or within the last year")]
    ArrivalDayOutOfRange,
    #[error("a birth's arrived_on must be the birth date")]
    BirthNotOnArrivalDay,
    #[error("resident is released to another community; withdraw the release first")]
    ReleasePending,
    #[error("to_community must be another community than the resident's own")]
    ReleaseToOwnCommunity,
    #[error("resident is not released to another community")]
    NotReleased,
    #[error("resident is not released to this community")]
    NotReleasedHere,
    #[error("moved_on must be today or within the last year")]
    MovedOnOutOfRange,
}

impl ResidentError {
    /// The request field to blame, if one is, so the shell can name it.
    pub fn field(&self) -> Option<&'static str> {
        use ResidentError::*;
        match self {
            HouseholdNotFound | HouseholdInOtherCommunity => Some("household_id"),
            GuardianRequired | GuardianNotFound | GuardianIsSelf => Some("guardian_resident_id"),
            SameResidenceType => Some("residence_type"),
            ArrivalDayRequired | ArrivalDayNotExpected | ArrivalDayOutOfRange => Some("arrived_on"),
            BirthNotOnArrivalDay => Some("birth_date"),
            ReleaseToOwnCommunity => Some("to_community"),
            MovedOnOutOfRange => Some("moved_on"),
            ValidUntilNotAfterToday => Some("valid_until"),
            CategoryAlreadyAssigned | CategoryNotAssigned | CategoryNotApplicable => {
                Some("category")
            }
            AlreadyRegistered | NotRegistered | MovedOut | Erased | NotFloating
            | ReleasePending | NotReleased | NotReleasedHere => None,
        }
    }
}
