//! The category codes of every service, each defined once: the domain types, the
//! wire conversions and the projection's KPI element names all come from here, so a
//! code cannot be spelt two ways. Each enum pairs variant by variant with its wire enum
//! in `events.proto`; `code()` is the stable snake_case form stored in read models and
//! used as a KPI element suffix.

use civitas_kernel::ValidationError;

use crate::events::v1 as pb;

/// Defines a category: the code enum (see [`civitas_kernel::code_enum!`]) plus
/// `to_pb`, `from_pb(i32, field)` (refusing UNSPECIFIED and unknown values, naming the
/// field) and `from_wire(i32)` (lenient, for readers of stored events).
macro_rules! category {
    ($(#[$doc:meta])* $name:ident: $wire:ident, $what:literal {
        $($(#[$vdoc:meta])* $variant:ident => $code:literal,)+
    }) => {
        civitas_kernel::code_enum!(
            $(#[$doc])* $name { $($(#[$vdoc])* $variant => $code,)+ }
        );

        impl $name {
            /// The wire enum value.
            pub fn to_pb(self) -> pb::$wire {
                match self {
                    $($name::$variant => pb::$wire::$variant,)+
                }
            }

            /// A required value from a request, naming `field` when unset or unknown.
            pub fn from_pb(value: i32, field: &'static str) -> Result<Self, ValidationError> {
                Self::from_wire(value).ok_or_else(|| {
                    ValidationError::new(field, concat!("must be a known ", $what))
                })
            }

            /// The value of a stored event's field; `None` when unset or unknown.
            pub fn from_wire(value: i32) -> Option<Self> {
                match pb::$wire::try_from(value) {
                    $(Ok(pb::$wire::$variant) => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

// ------------------------------------------------------------------ residents

category!(
    /// Whether a resident's household registration (户籍) is here or elsewhere.
    ResidenceType: ResidenceType, "residence type" {
        /// Registered in this community.
        Permanent => "permanent",
        /// Living here with registration elsewhere; the residence must be re-verified.
        Floating => "floating",
    }
);

category!(
    /// Sex as recorded on the resident ID card.
    Sex: Sex, "sex" {
        Male => "male",
        Female => "female",
    }
);

category!(
    /// The care registers a resident can be on; each drives care visits and KPIs.
    CareCategory: CareCategory, "care category" {
        /// Elderly person living alone.
        LivingAlone => "living_alone",
        /// Elderly household whose children live elsewhere.
        EmptyNest => "empty_nest",
        /// Aged 80 or over with no pension.
        Over80WithoutPension => "over_80_without_pension",
        /// Person with a disability.
        Disabled => "disabled",
        /// Entitled group: military and martyrs' families.
        EntitledFamily => "entitled_family",
        /// Household in financial or other difficulty.
        HouseholdInDifficulty => "household_in_difficulty",
        /// Minor followed by the minors' education programme.
        Minor => "minor",
    }
);

category!(
    /// How a resident came into a household's register.
    Arrival: Arrival, "arrival" {
        /// Entered into the register while already living here (the first census, a
        /// late entry); counted from the day it is recorded.
        AlreadyLiving => "already_living",
        /// Moved in from outside the district on the arrival day.
        MovedIn => "moved_in",
        /// Born on the arrival day.
        Born => "born",
    }
);

category!(
    /// Why a resident moved out; any detail goes in a sealed note.
    MoveOutReason: MoveOutReason, "move-out reason" {
        /// To another community of the district.
        MovedWithinDistrict => "moved_within_district",
        MovedOutOfDistrict => "moved_out_of_district",
        /// A floating residence ended (lease, work).
        ResidenceEnded => "residence_ended",
        Deceased => "deceased",
        /// The registration was a mistake.
        RegisteredInError => "registered_in_error",
        Other => "other",
    }
);

category!(
    /// Why a resident was taken off a care register; any detail goes in a sealed note.
    CareRevokeReason: CareRevokeReason, "care revocation reason" {
        /// Circumstances changed (a pension, someone moved in).
        NoLongerEligible => "no_longer_eligible",
        /// The category's age no longer applies.
        AgedOut => "aged_out",
        /// The resident declined the care.
        Declined => "declined",
        RecordedInError => "recorded_in_error",
        Other => "other",
    }
);

category!(
    /// What a care visit brought.
    CareSupport: CareSupport, "care support" {
        Goods => "goods",
        Cash => "cash",
        HealthCheck => "health_check",
        Companionship => "companionship",
        Housework => "housework",
        Repair => "repair",
        Other => "other",
    }
);

category!(
    /// A need a care visit found.
    CareNeed: CareNeed, "care need" {
        Financial => "financial",
        Health => "health",
        DailyCare => "daily_care",
        Housing => "housing",
        Employment => "employment",
        Other => "other",
    }
);

category!(
    /// How a referral from a care visit was closed.
    ReferralOutcome: ReferralOutcome, "referral outcome" {
        Resolved => "resolved",
        ReferredElsewhere => "referred_elsewhere",
        Declined => "declined",
    }
);

category!(
    /// Why a resident seeks work.
    JobSeekerKind: JobSeekerKind, "job seeker kind" {
        /// Laid off (下岗).
        LaidOff => "laid_off",
        /// Registered as unemployed (登记失业).
        RegisteredUnemployed => "registered_unemployed",
    }
);

category!(
    /// Why a re-employment case closed without a placement.
    CaseClosure: CaseClosure, "case closure" {
        MovedAway => "moved_away",
        NoLongerSeeking => "no_longer_seeking",
        Other => "other",
    }
);

// ----------------------------------------------------------------- activities

category!(
    /// What an activity or planned item is about.
    ActivityCategory: ActivityCategory, "activity category" {
        /// A citizen-school (市民学校) class.
        CitizenSchoolClass => "citizen_school_class",
        /// A film night.
        FilmScreening => "film_screening",
        /// A performance (family show, gala).
        Performance => "performance",
        /// An exhibition.
        Exhibition => "exhibition",
        /// A publicity campaign.
        Publicity => "publicity",
        /// Moral education for minors.
        MinorsEducation => "minors_education",
        /// Party building.
        PartyBuilding => "party_building",
        /// Environment: clean, green, contests.
        Environment => "environment",
        /// Care for the elderly (e.g. the Double Ninth festival).
        ElderlyCare => "elderly_care",
        /// Anything else.
        Other => "other",
    }
);

category!(
    /// The kind of a community facility.
    FacilityType: FacilityType, "facility type" {
        /// The service station for the elderly, disabled and families in difficulty.
        ServiceStation => "service_station",
        /// The citizen school's room.
        CitizenSchool => "citizen_school",
        /// A venue for minors.
        MinorsVenue => "minors_venue",
        /// A cultural activity room.
        CulturalRoom => "cultural_room",
        /// A sports ground.
        SportsGround => "sports_ground",
        /// Anything else.
        Other => "other",
    }
);

category!(
    /// Which office approved a community's monthly report.
    ApprovalLevel: ApprovalLevel, "approval level" {
        /// The community's street office, the first step.
        Street => "street",
        /// The district office, the second step.
        District => "district",
    }
);

category!(
    /// What a co-building unit contributed.
    ContributionKind: ContributionKind, "contribution kind" {
        /// An activity it ran or hosted.
        Activity => "activity",
        /// Money (yuan).
        Funds => "funds",
        /// Its people as volunteers.
        Volunteers => "volunteers",
        /// A venue lent.
        Venue => "venue",
        /// Goods given.
        Goods => "goods",
    }
);

category!(
    /// What the service station delivered to a resident.
    StationServiceKind: StationServiceKind, "station service kind" {
        /// A meal (助餐).
        Meals => "meals",
        HealthCheck => "health_check",
        /// Care at home (居家照料).
        HomeCare => "home_care",
        Counselling => "counselling",
        Housekeeping => "housekeeping",
        Other => "other",
    }
);

category!(
    /// What kind of contest the community held.
    ContestKind: ContestKind, "contest kind" {
        /// A speech contest (演讲比赛).
        Speech => "speech",
        /// A blackboard newspaper contest (黑板报).
        Blackboard => "blackboard",
        /// The learning families selection (学习型家庭).
        LearningFamily => "learning_family",
        Other => "other",
    }
);

category!(
    /// A milestone of the creation campaign in a community.
    MilestoneKind: MilestoneKind, "milestone kind" {
        /// The creation leading group was formed (创建领导小组).
        LeadingGroupFormed => "leading_group_formed",
        /// The mobilisation meeting was held (动员大会).
        MobilisationMeeting => "mobilisation_meeting",
        /// The campaign's own review at the year's end (总结验收).
        Review => "review",
    }
);

category!(
    /// A group that attended a campaign meeting.
    AttendeeGroup: AttendeeGroup, "attendee group" {
        ResidentRepresentatives => "resident_representatives",
        PartyMembers => "party_members",
        BuildingHeads => "building_heads",
        UnitHeads => "unit_heads",
    }
);

// --------------------------------------------------------------- volunteering

category!(
    /// What kind of service an opportunity, team or redemption is about.
    ServiceCategory: VolunteerServiceCategory, "service category" {
        Tutoring => "tutoring",
        Repair => "repair",
        Housekeeping => "housekeeping",
        StairwellCleaning => "stairwell_cleaning",
        EmptyNestCare => "empty_nest_care",
        Other => "other",
    }
);

// --------------------------------------------------------------------- safety

category!(
    /// What kind of incident was reported.
    IncidentCategory: IncidentCategory, "incident category" {
        Theft => "theft",
        Fire => "fire",
        /// Injury or death.
        Casualty => "casualty",
        Dispute => "dispute",
        Drugs => "drugs",
        Gambling => "gambling",
        Pornography => "pornography",
        PublicOrder => "public_order",
        /// A safety hazard before anything happened.
        Hazard => "hazard",
        Other => "other",
    }
);

category!(
    /// How grave an incident is.
    Severity: IncidentSeverity, "severity" {
        Minor => "minor",
        Serious => "serious",
        /// Counts against the "no major theft, fire or casualty" target.
        Major => "major",
    }
);

category!(
    /// Who an incident is handed up to.
    EscalationTarget: EscalationTarget, "escalation target" {
        Police => "police",
        Street => "street",
    }
);

category!(
    /// What an inspection looked at.
    InspectionType: InspectionType, "inspection type" {
        Sanitation => "sanitation",
        /// 门前三包: shops keep the pavement in front of them clean, green and orderly.
        DoorFrontDuties => "door_front_duties",
        Pests => "pests",
        IllegalBuilding => "illegal_building",
        FireSafety => "fire_safety",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_pair_with_the_wire_and_refuse_unspecified() {
        for c in CareCategory::ALL {
            assert_eq!(CareCategory::from_wire(c.to_pb() as i32), Some(*c));
            assert_eq!(CareCategory::from_code(c.code()), Some(*c));
        }
        for c in ActivityCategory::ALL {
            assert_eq!(
                ActivityCategory::from_pb(c.to_pb() as i32, "category"),
                Ok(*c)
            );
        }
        let err = Severity::from_pb(0, "severity").expect_err("unspecified");
        assert_eq!(
            (err.field, err.message.as_str()),
            ("severity", "must be a known severity")
        );
        assert_eq!(ServiceCategory::from_wire(999), None);
        assert_eq!(InspectionType::DoorFrontDuties.code(), "door_front_duties");
    }
}
