//! Given/when/then tests of the `Household` decider.

use civitas_kernel::aggregate::given;
use uuid::Uuid;

use super::*;

fn household_id() -> HouseholdId {
    HouseholdId::from_uuid(Uuid::from_u128(0x0191_0000_0000_7000_8000_0000_0000_0001))
}

fn register() -> HouseholdCommand {
    HouseholdCommand::Register {
        household_id: household_id(),
        community: "xihu-wensan".into(),
        grid: Grid::parse("grid", "第三网格").unwrap(),
        building: Building::parse("building", "5 幢").unwrap(),
        address: Sealed {
            key_id: "k".into(),
            nonce: vec![1; 12],
            ciphertext: vec![2; 32],
        },
    }
}

fn registered() -> HouseholdEvent {
    let HouseholdCommand::Register {
        household_id,
        community,
        grid,
        building,
        address,
    } = register();
    HouseholdEvent::Registered {
        household_id,
        community,
        grid,
        building,
        address,
    }
}

#[test]
fn registers_a_new_household() {
    given::<Household>([]).when(register()).then([registered()]);
}

#[test]
fn refuses_to_register_twice() {
    given::<Household>([registered()])
        .when(register())
        .then_error(HouseholdError::AlreadyRegistered);
    assert_eq!(
        HouseholdError::AlreadyRegistered.field(),
        Some("household_id")
    );
}

#[test]
fn state_keeps_where_the_household_is() {
    let state = Household::fold(&[registered()]);
    assert!(state.registered);
    assert_eq!(state.household_id, Some(household_id()));
    assert_eq!(state.community, "xihu-wensan");
    assert_eq!(state.grid.unwrap().as_str(), "第三网格");
    assert_eq!(state.building.unwrap().as_str(), "5 幢");
}

#[test]
fn event_names() {
    let event = registered();
    assert_eq!(event.event_type(), "HouseholdRegistered");
    assert_eq!(event.household_id(), household_id());
}
