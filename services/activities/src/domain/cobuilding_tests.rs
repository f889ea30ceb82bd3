//! Given/when/then tests of the `CoBuildingUnit` decider.

use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn id() -> CoBuildingUnitId {
    CoBuildingUnitId::from_uuid(Uuid::from_u128(11))
}

fn day(d: u32) -> PastDate {
    let date = NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    PastDate::parse("given_on", date, date).unwrap()
}

fn registered() -> UnitEvent {
    UnitEvent::CoBuildingUnitRegistered {
        unit_id: id(),
        community: "xingfu".into(),
        name: UnitName::parse("name", "区第一中学").unwrap(),
    }
}

fn contribution(kind: ContributionKind, amount_yuan: u32, volunteers: u32) -> Contribution {
    Contribution {
        kind,
        given_on: day(5),
        amount_yuan,
        volunteers,
        note: Note::parse("note", "重阳节慰问").unwrap(),
    }
}

#[test]
fn a_unit_signs_and_renews_its_agreement() {
    let sign = |d: u32, until_day: u32| UnitCommand::SignAgreement {
        signed_on: day(d),
        valid_until: NaiveDate::from_ymd_opt(2027, 11, until_day).unwrap(),
    };
    given::<CoBuildingUnit>([])
        .when(sign(1, 1))
        .then_error(UnitError::NotRegistered);
    let signed = |renewal| UnitEvent::CoBuildingAgreementSigned {
        unit_id: id(),
        signed_on: day(1),
        valid_until: NaiveDate::from_ymd_opt(2027, 11, 1).unwrap(),
        renewal,
    };
    given::<CoBuildingUnit>([registered()])
        .when(sign(1, 1))
        .then([signed(false)]);
    given::<CoBuildingUnit>([registered(), signed(false)])
        .when(sign(1, 1))
        .then([signed(true)]);
    given::<CoBuildingUnit>([registered()])
        .when(UnitCommand::SignAgreement {
            signed_on: day(3),
            valid_until: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
        })
        .then_error(UnitError::ValidUntilNotAfterSigning);
}

#[test]
fn a_contribution_carries_what_its_kind_needs() {
    for (kind, yuan, people) in [
        (ContributionKind::Funds, 5000, 0),
        (ContributionKind::Volunteers, 0, 12),
        (ContributionKind::Activity, 0, 0),
    ] {
        given::<CoBuildingUnit>([registered()])
            .when(UnitCommand::RecordContribution(contribution(
                kind, yuan, people,
            )))
            .then([UnitEvent::CoBuildingContributionRecorded {
                unit_id: id(),
                contribution: contribution(kind, yuan, people),
            }]);
    }
    for (kind, yuan, people) in [
        (ContributionKind::Funds, 0, 0),
        (ContributionKind::Volunteers, 100, 0),
        (ContributionKind::Venue, 0, 3),
    ] {
        given::<CoBuildingUnit>([registered()])
            .when(UnitCommand::RecordContribution(contribution(
                kind, yuan, people,
            )))
            .then_error(UnitError::AmountDoesNotFitKind);
    }
}
