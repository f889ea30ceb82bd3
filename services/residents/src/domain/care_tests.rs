//! Given/when/then tests of the `CareCampaign` and `CareVisit` deciders.

use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, month, day).unwrap()
}

fn campaign_id() -> CampaignId {
    CampaignId::from_uuid(Uuid::from_u128(1))
}

fn spring_festival() -> CampaignPeriod {
    CampaignPeriod::parse(d(1, 20), d(2, 10)).unwrap()
}

fn launched() -> CampaignEvent {
    CampaignEvent::Launched {
        campaign_id: campaign_id(),
        community: "xingfu".into(),
        name: CampaignName::parse("name", "2027 春节慰问").unwrap(),
        period: spring_festival(),
        categories: BTreeSet::from([CareCategory::LivingAlone, CareCategory::EntitledFamily]),
    }
}

fn open_campaign() -> CampaignState {
    CareCampaign::fold([launched()].iter())
}

fn details(visited_on: NaiveDate) -> VisitDetails {
    VisitDetails {
        resident_id: ResidentId::from_uuid(Uuid::from_u128(7)),
        visited_on,
        campaign_id: Some(campaign_id()),
        volunteer_id: None,
        support: BTreeSet::from([CareSupport::Goods, CareSupport::Companionship]),
        need: Some(CareNeed::Health),
        referral_opened: true,
        note: None,
    }
}

fn record(resident: ResidentFacts, campaign: Option<CampaignState>, on: NaiveDate) -> VisitCommand {
    VisitCommand::Record {
        visit_id: VisitId::from_uuid(Uuid::from_u128(9)),
        resident,
        campaign: Some(CampaignFacts {
            campaign_id: campaign_id(),
            state: campaign,
        }),
        details: details(on),
    }
}

fn recorded(on: NaiveDate) -> VisitEvent {
    VisitEvent::Recorded {
        visit_id: VisitId::from_uuid(Uuid::from_u128(9)),
        details: details(on),
    }
}

#[test]
fn a_campaign_names_its_registers_and_a_period_of_at_most_a_year() {
    assert_eq!(campaign_categories(vec![]).unwrap_err().field, "categories");
    let twice = vec![CareCategory::LivingAlone, CareCategory::LivingAlone];
    assert_eq!(campaign_categories(twice).unwrap_err().field, "categories");
    assert_eq!(
        CampaignPeriod::parse(d(2, 1), d(1, 31)).unwrap_err().field,
        "ends_on"
    );
    // At most 366 days, both ends included.
    let a_year_on = NaiveDate::from_ymd_opt(2028, 1, 20).unwrap();
    assert!(CampaignPeriod::parse(d(1, 20), a_year_on).is_ok());
    let a_day_more = NaiveDate::from_ymd_opt(2028, 1, 21).unwrap();
    assert!(CampaignPeriod::parse(d(1, 20), a_day_more).is_err());
    assert!(spring_festival().contains(d(2, 10)) && !spring_festival().contains(d(2, 11)));
}

#[test]
fn a_campaign_is_launched_once_and_closed_once() {
    let CampaignEvent::Launched {
        campaign_id: id,
        community,
        name,
        period,
        categories,
    } = launched()
    else {
        unreachable!()
    };
    let launch = CampaignCommand::Launch {
        campaign_id: id,
        community,
        name,
        period,
        categories,
    };
    given::<CareCampaign>([])
        .when(launch.clone())
        .then([launched()]);
    given::<CareCampaign>([launched()])
        .when(launch)
        .then_error(CampaignError::AlreadyLaunched);
    given::<CareCampaign>([])
        .when(CampaignCommand::Close { today: d(2, 11) })
        .then_error(CampaignError::NotLaunched);
    let closed = CampaignEvent::Closed {
        campaign_id: campaign_id(),
        closed_on: d(2, 11),
    };
    given::<CareCampaign>([launched()])
        .when(CampaignCommand::Close { today: d(2, 11) })
        .then([closed.clone()]);
    given::<CareCampaign>([launched(), closed])
        .when(CampaignCommand::Close { today: d(2, 12) })
        .then_error(CampaignError::Closed);
}

#[test]
fn a_visit_needs_an_active_resident_and_an_open_campaign_covering_its_day() {
    given::<CareVisit>([])
        .when(record(
            ResidentFacts::Active,
            Some(open_campaign()),
            d(1, 25),
        ))
        .then([recorded(d(1, 25))]);
    given::<CareVisit>([])
        .when(record(
            ResidentFacts::Unknown,
            Some(open_campaign()),
            d(1, 25),
        ))
        .then_error(VisitError::ResidentNotFound);
    given::<CareVisit>([])
        .when(record(ResidentFacts::Gone, Some(open_campaign()), d(1, 25)))
        .then_error(VisitError::ResidentGone);
    given::<CareVisit>([])
        .when(record(ResidentFacts::Active, None, d(1, 25)))
        .then_error(VisitError::CampaignNotFound);
    given::<CareVisit>([])
        .when(record(
            ResidentFacts::Active,
            Some(open_campaign()),
            d(2, 11),
        ))
        .then_error(VisitError::OutsideCampaign);
    let mut closed = open_campaign();
    closed.closed = true;
    given::<CareVisit>([])
        .when(record(ResidentFacts::Active, Some(closed), d(1, 25)))
        .then_error(VisitError::CampaignClosed);
    given::<CareVisit>([recorded(d(1, 25))])
        .when(record(
            ResidentFacts::Active,
            Some(open_campaign()),
            d(1, 25),
        ))
        .then_error(VisitError::AlreadyRecorded);
    // A referral follows up a need.
    let VisitCommand::Record {
        visit_id,
        resident,
        campaign,
        mut details,
    } = record(ResidentFacts::Active, Some(open_campaign()), d(1, 25))
    else {
        unreachable!()
    };
    details.need = None;
    given::<CareVisit>([])
        .when(VisitCommand::Record {
            visit_id,
            resident,
            campaign,
            details,
        })
        .then_error(VisitError::ReferralWithoutNeed);
}

#[test]
fn a_referral_is_closed_once() {
    let close = |day| VisitCommand::CloseReferral {
        outcome: ReferralOutcome::Resolved,
        today: d(2, day),
        note: None,
    };
    let closed = VisitEvent::ReferralClosed {
        visit_id: VisitId::from_uuid(Uuid::from_u128(9)),
        resident_id: ResidentId::from_uuid(Uuid::from_u128(7)),
        outcome: ReferralOutcome::Resolved,
        closed_on: d(2, 3),
        note: None,
    };
    given::<CareVisit>([])
        .when(close(3))
        .then_error(VisitError::NotRecorded);
    given::<CareVisit>([recorded(d(1, 25))])
        .when(close(3))
        .then([closed.clone()]);
    given::<CareVisit>([recorded(d(1, 25)), closed])
        .when(close(4))
        .then_error(VisitError::NoOpenReferral);
}
