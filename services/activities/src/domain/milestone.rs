//! The `CreationCampaign` aggregate: the civilized-community creation campaign's own
//! milestones in one community (`creationcampaign-<community>`): the leading group
//! formed (创建领导小组), the mobilisation meeting held (动员大会) with the groups that
//! attended, and the campaign's review. Each milestone is recorded once.

use std::collections::BTreeSet;

use civitas_kernel::Decider;

pub use civitas_proto::codes::{AttendeeGroup, MilestoneKind};

use super::values::PastDate;

/// The campaign's stream in `community`.
pub fn campaign_stream_id(community: &str) -> String {
    format!("creationcampaign-{community}")
}

/// The creation campaign decider.
pub struct CreationCampaign;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub community: String,
    pub kind: MilestoneKind,
    pub held_on: PastDate,
    /// Who attended (a meeting's groups); may be empty for a group formed.
    pub groups: BTreeSet<AttendeeGroup>,
    pub attendees: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilestoneCommand {
    Record(Milestone),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MilestoneEvent {
    CampaignMilestoneReached(Milestone),
}

impl MilestoneEvent {
    /// The envelope's `event_type` and the last token of the NATS subject.
    pub fn event_type(&self) -> &'static str {
        "CampaignMilestoneReached"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MilestoneError {
    #[error("this milestone is already recorded")]
    AlreadyReached,
    #[error("a mobilisation meeting names the groups that attended and how many came")]
    MeetingWithoutAttendees,
}

impl MilestoneError {
    /// The request field to blame.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            MilestoneError::AlreadyReached => Some("kind"),
            MilestoneError::MeetingWithoutAttendees => Some("attendee_groups"),
        }
    }
}

impl Decider for CreationCampaign {
    type State = BTreeSet<MilestoneKind>;
    type Command = MilestoneCommand;
    type Event = MilestoneEvent;
    type Error = MilestoneError;

    fn decide(
        reached: &BTreeSet<MilestoneKind>,
        command: MilestoneCommand,
    ) -> Result<Vec<MilestoneEvent>, MilestoneError> {
        let MilestoneCommand::Record(milestone) = command;
        if reached.contains(&milestone.kind) {
            return Err(MilestoneError::AlreadyReached);
        }
        if milestone.kind == MilestoneKind::MobilisationMeeting
            && (milestone.groups.is_empty() || milestone.attendees == 0)
        {
            return Err(MilestoneError::MeetingWithoutAttendees);
        }
        Ok(vec![MilestoneEvent::CampaignMilestoneReached(milestone)])
    }

    fn evolve(
        mut reached: BTreeSet<MilestoneKind>,
        event: &MilestoneEvent,
    ) -> BTreeSet<MilestoneKind> {
        let MilestoneEvent::CampaignMilestoneReached(m) = event;
        reached.insert(m.kind);
        reached
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use civitas_kernel::aggregate::given;

    use super::*;

    fn milestone(kind: MilestoneKind, groups: &[AttendeeGroup], attendees: u32) -> Milestone {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        Milestone {
            community: "xingfu".into(),
            kind,
            held_on: PastDate::parse("held_on", day, day).unwrap(),
            groups: groups.iter().copied().collect(),
            attendees,
        }
    }

    #[test]
    fn each_milestone_once_and_a_meeting_names_who_came() {
        let group = milestone(MilestoneKind::LeadingGroupFormed, &[], 0);
        given::<CreationCampaign>([])
            .when(MilestoneCommand::Record(group.clone()))
            .then([MilestoneEvent::CampaignMilestoneReached(group.clone())]);
        given::<CreationCampaign>([MilestoneEvent::CampaignMilestoneReached(group.clone())])
            .when(MilestoneCommand::Record(group))
            .then_error(MilestoneError::AlreadyReached);
        let empty = milestone(MilestoneKind::MobilisationMeeting, &[], 120);
        given::<CreationCampaign>([])
            .when(MilestoneCommand::Record(empty))
            .then_error(MilestoneError::MeetingWithoutAttendees);
        let meeting = milestone(
            MilestoneKind::MobilisationMeeting,
            &[
                AttendeeGroup::ResidentRepresentatives,
                AttendeeGroup::PartyMembers,
            ],
            120,
        );
        given::<CreationCampaign>([])
            .when(MilestoneCommand::Record(meeting.clone()))
            .then([MilestoneEvent::CampaignMilestoneReached(meeting)]);
    }
}
