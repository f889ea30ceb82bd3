//! Hostile stored events: whatever bytes an event of any type carries, each of this
//! service's codecs decodes it or refuses it naming the type and the field to blame,
//! and what decodes survives encode → decode (`civitas_testkit::hostile::check_codecs`).
//! `PROPTEST_CASES` runs more cases.

use civitas_activities::domain::{
    ActivityEvent, BoardEvent, FacilityEvent, LedgerEvent, PlanEvent,
};
use civitas_testkit::hostile::{cases, check_codec, check_codecs, CodecCheck};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn stored_events_decode_or_name_the_field(seed in any::<u64>()) {
        let checks = [
            check_codec::<ActivityEvent> as CodecCheck,
            check_codec::<BoardEvent>,
            check_codec::<FacilityEvent>,
            check_codec::<LedgerEvent>,
            check_codec::<PlanEvent>,
        ];
        check_codecs(seed, &checks).map_err(TestCaseError::fail)?;
    }
}
