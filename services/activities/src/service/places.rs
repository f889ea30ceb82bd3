//! Write handlers for the community's places and what its page shows: publicity
//! boards, facilities and the service station's services, good deeds, contests and the
//! creation campaign's milestones.

use civitas_kernel::values::optional;
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result};
use civitas_platform::write::Target;
use civitas_proto::activities::v1 as api;
use civitas_proto::convert::date_from_pb;

use super::{community, Activities};
use crate::convert::board_topic_from_pb;
use crate::domain::{
    campaign_stream_id, AreaSquareMeters, AttendeeGroup, BoardCommand, BoardId, Contest,
    ContestCommand, ContestId, ContestKind, CreationCampaign, DeedCommand, DeedId, Facility,
    FacilityCommand, FacilityDetails, FacilityId, FacilityName, FacilityType, GoodDeed, Location,
    Milestone, MilestoneCommand, MilestoneKind, Note, PastDate, PublicityBoard, Reason, ResidentId,
    ServiceDelivered, StationCommand, StationService, StationServiceId, StationServiceKind, Title,
    Topic,
};
use crate::error::ServiceError;

impl Activities {
    /// Registers a publicity board in the caller's community.
    pub async fn register_publicity_board(
        &self,
        caller: &Caller,
        req: api::RegisterPublicityBoardRequest,
    ) -> Result<api::RegisterPublicityBoardResponse, ServiceError> {
        let created = self
            .shell
            .create::<PublicityBoard, ServiceError>(
                caller,
                "RegisterPublicityBoard",
                &community(&req.community)?,
                req.options.as_ref(),
                &req,
                "publicityboard",
                |ctx| {
                    let board_id = BoardId::from_uuid(uuid::Uuid::now_v7());
                    let command = BoardCommand::RegisterPublicityBoard {
                        board_id,
                        community: ctx.org().community.clone(),
                        location: Location::parse("location", &req.location)?,
                    };
                    Ok((board_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::RegisterPublicityBoardResponse {
            board_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Records that a board's content was refreshed on a day not in the future, with
    /// its topic code and an optional title.
    pub async fn record_board_update(
        &self,
        caller: &Caller,
        req: api::RecordBoardUpdateRequest,
    ) -> Result<api::RecordBoardUpdateResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<PublicityBoard, ServiceError>(
                caller,
                "RecordBoardUpdate",
                req.options.as_ref(),
                &req,
                || {
                    let id = BoardId::parse("board_id", required(&req.board_id, "board_id")?)?;
                    Ok(Target::new("publicity board", id, id.stream_id()))
                },
                |ctx| {
                    let updated_on = date_from_pb(req.updated_on, "updated_on")?;
                    Ok(BoardCommand::RecordBoardUpdate {
                        topic: board_topic_from_pb(req.topic_code, "topic_code")?,
                        title: optional(&req.topic, |t| Topic::parse("topic", t))?,
                        updated_on: PastDate::parse("updated_on", updated_on, ctx.today())?,
                    })
                },
            )
            .await?;
        Ok(api::RecordBoardUpdateResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Registers a facility in the caller's community.
    pub async fn register_facility(
        &self,
        caller: &Caller,
        req: api::RegisterFacilityRequest,
    ) -> Result<api::RegisterFacilityResponse, ServiceError> {
        let created = self
            .shell
            .create::<Facility, ServiceError>(
                caller,
                "RegisterFacility",
                &community(&req.community)?,
                req.options.as_ref(),
                &req,
                "facility",
                |ctx| {
                    let facility_id = FacilityId::from_uuid(uuid::Uuid::now_v7());
                    let command = FacilityCommand::RegisterFacility {
                        facility_id,
                        community: ctx.org().community.clone(),
                        details: FacilityDetails {
                            facility_type: FacilityType::from_pb(
                                req.facility_type,
                                "facility_type",
                            )?,
                            name: FacilityName::parse("name", &req.name)?,
                            area: AreaSquareMeters::parse(
                                "area_square_meters",
                                req.area_square_meters,
                            )?,
                        },
                    };
                    Ok((facility_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::RegisterFacilityResponse {
            facility_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Records maintenance done on a facility on a day not in the future.
    pub async fn record_facility_maintenance(
        &self,
        caller: &Caller,
        req: api::RecordFacilityMaintenanceRequest,
    ) -> Result<api::RecordFacilityMaintenanceResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Facility, ServiceError>(
                caller,
                "RecordFacilityMaintenance",
                req.options.as_ref(),
                &req,
                || {
                    let raw = required(&req.facility_id, "facility_id")?;
                    let id = FacilityId::parse("facility_id", raw)?;
                    Ok(Target::new("facility", id, id.stream_id()))
                },
                |ctx| {
                    let maintained_on = date_from_pb(req.maintained_on, "maintained_on")?;
                    Ok(FacilityCommand::RecordFacilityMaintenance {
                        maintained_on: PastDate::parse(
                            "maintained_on",
                            maintained_on,
                            ctx.today(),
                        )?,
                        note: Note::parse("note", &req.note)?,
                    })
                },
            )
            .await?;
        Ok(api::RecordFacilityMaintenanceResponse {
            result: Some(write_result(&outcome)),
        })
    }
}

impl Activities {
    /// Records a good deed in the caller's community, not yet published.
    pub async fn record_good_deed(
        &self,
        caller: &Caller,
        req: api::RecordGoodDeedRequest,
    ) -> Result<api::RecordGoodDeedResponse, ServiceError> {
        let created = self
            .shell
            .create::<GoodDeed, ServiceError>(
                caller,
                "RecordGoodDeed",
                &community(&req.community)?,
                req.options.as_ref(),
                &req,
                "gooddeed",
                |ctx| {
                    let deed_id = DeedId::from_uuid(uuid::Uuid::now_v7());
                    let happened_on = date_from_pb(req.happened_on, "happened_on")?;
                    let command = DeedCommand::Record {
                        deed_id,
                        community: ctx.org().community.clone(),
                        title: Title::parse("title", &req.title)?,
                        story: Note::parse("story", &req.story)?,
                        happened_on: PastDate::parse("happened_on", happened_on, ctx.today())?,
                    };
                    Ok((deed_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::RecordGoodDeedResponse {
            deed_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Publishes a reviewed good deed on the community page.
    pub async fn publish_good_deed(
        &self,
        caller: &Caller,
        req: api::PublishGoodDeedRequest,
    ) -> Result<api::PublishGoodDeedResponse, ServiceError> {
        let outcome = self
            .on_deed(
                caller,
                "PublishGoodDeed",
                req.options.as_ref(),
                &req,
                &req.deed_id,
                |ctx| {
                    let today = ctx.today();
                    Ok(DeedCommand::Publish {
                        published_on: PastDate::parse("published_on", today, today)?,
                    })
                },
            )
            .await?;
        Ok(api::PublishGoodDeedResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// Takes a published good deed off the community page.
    pub async fn retract_good_deed(
        &self,
        caller: &Caller,
        req: api::RetractGoodDeedRequest,
    ) -> Result<api::RetractGoodDeedResponse, ServiceError> {
        let outcome = self
            .on_deed(
                caller,
                "RetractGoodDeed",
                req.options.as_ref(),
                &req,
                &req.deed_id,
                |_| {
                    Ok(DeedCommand::Retract {
                        reason: Reason::parse("reason", &req.reason)?,
                    })
                },
            )
            .await?;
        Ok(api::RetractGoodDeedResponse {
            result: Some(write_result(&outcome)),
        })
    }

    /// The shell's path for a command on an existing good deed.
    async fn on_deed(
        &self,
        caller: &Caller,
        rpc: &str,
        options: Option<&civitas_proto::common::v1::WriteOptions>,
        request: &impl prost::Message,
        deed_id: &str,
        command: impl FnOnce(
            &civitas_platform::command::WriteContext,
        ) -> Result<DeedCommand, ServiceError>,
    ) -> Result<civitas_kernel::AppendOutcome, ServiceError> {
        self.shell
            .on_existing::<GoodDeed, ServiceError>(
                caller,
                rpc,
                options,
                request,
                || {
                    let id = DeedId::parse("deed_id", required(deed_id, "deed_id")?)?;
                    Ok(Target::new("good deed", id, id.stream_id()))
                },
                command,
            )
            .await
    }
}

impl Activities {
    /// Records a service the caller's community's service station delivered.
    pub async fn record_station_service(
        &self,
        caller: &Caller,
        req: api::RecordStationServiceRequest,
    ) -> Result<api::RecordStationServiceResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            "",
            req.options.as_ref(),
            "RecordStationService",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let raw = required(&req.facility_id, "facility_id")?;
                let facility_id = FacilityId::parse("facility_id", raw)?;
                let target = Target::new("facility", facility_id, facility_id.stream_id());
                let recorded = self.shell.require_in(&target, &ctx.org().community).await?;
                let facility = civitas_kernel::command::folded::<Facility>(&recorded)
                    .map_err(|e| anyhow::anyhow!("facility {facility_id}: {e}"))?
                    .state;
                let served_on = date_from_pb(req.served_on, "served_on")?;
                let service_id = StationServiceId::from_uuid(uuid::Uuid::now_v7());
                let command = StationCommand::Record {
                    station: facility.details.map(|d| d.facility_type),
                    service: ServiceDelivered {
                        service_id,
                        facility_id,
                        resident_id: super::resident(&req.resident_id)?,
                        kind: StationServiceKind::from_pb(req.kind, "kind")?,
                        served_on: PastDate::parse("served_on", served_on, ctx.today())?,
                    },
                };
                self.shell
                    .run::<StationService, ServiceError>(&service_id.stream_id(), ctx, command)
                    .await?
            }
        };
        Ok(api::RecordStationServiceResponse {
            service_id: civitas_platform::write::created_id(&outcome.stream_id, "stationservice"),
            result: Some(write_result(&outcome)),
        })
    }
}

impl Activities {
    /// Records a contest the caller's community held.
    pub async fn record_contest(
        &self,
        caller: &Caller,
        req: api::RecordContestRequest,
    ) -> Result<api::RecordContestResponse, ServiceError> {
        let created = self
            .shell
            .create::<Contest, ServiceError>(
                caller,
                "RecordContest",
                &community(&req.community)?,
                req.options.as_ref(),
                &req,
                "contest",
                |ctx| {
                    let contest_id = ContestId::from_uuid(uuid::Uuid::now_v7());
                    let held_on = date_from_pb(req.held_on, "held_on")?;
                    let command = ContestCommand::Record {
                        contest_id,
                        community: ctx.org().community.clone(),
                        kind: ContestKind::from_pb(req.kind, "kind")?,
                        title: Title::parse("title", &req.title)?,
                        held_on: PastDate::parse("held_on", held_on, ctx.today())?,
                        entrants: req.entrants,
                    };
                    Ok((contest_id.stream_id(), command))
                },
            )
            .await?;
        Ok(api::RecordContestResponse {
            contest_id: created.id,
            result: Some(write_result(&created.outcome)),
        })
    }

    /// Awards a prize of a contest of the caller's community.
    pub async fn award_prize(
        &self,
        caller: &Caller,
        req: api::AwardPrizeRequest,
    ) -> Result<api::AwardPrizeResponse, ServiceError> {
        let outcome = self
            .shell
            .on_existing::<Contest, ServiceError>(
                caller,
                "AwardPrize",
                req.options.as_ref(),
                &req,
                || {
                    let raw = required(&req.contest_id, "contest_id")?;
                    let id = ContestId::parse("contest_id", raw)?;
                    Ok(Target::new("contest", id, id.stream_id()))
                },
                |_| {
                    let winner = match req.winner_resident_id.trim() {
                        "" => None,
                        raw => Some(ResidentId::parse("winner_resident_id", raw)?),
                    };
                    Ok(ContestCommand::AwardPrize {
                        prize: Title::parse("prize", &req.prize)?,
                        winner,
                    })
                },
            )
            .await?;
        Ok(api::AwardPrizeResponse {
            result: Some(write_result(&outcome)),
        })
    }
}

impl Activities {
    /// Records a milestone of the caller's community's creation campaign.
    pub async fn record_campaign_milestone(
        &self,
        caller: &Caller,
        req: api::RecordCampaignMilestoneRequest,
    ) -> Result<api::RecordCampaignMilestoneResponse, ServiceError> {
        let ctx = self.shell.begin(
            caller,
            &community(&req.community)?,
            req.options.as_ref(),
            "RecordCampaignMilestone",
            &req,
        )?;
        let outcome = match self.shell.replayed(&ctx).await? {
            Some(replayed) => replayed,
            None => {
                let held_on = date_from_pb(req.held_on, "held_on")?;
                let groups = req
                    .attendee_groups
                    .iter()
                    .map(|g| AttendeeGroup::from_pb(*g, "attendee_groups"))
                    .collect::<Result<_, _>>()?;
                let command = MilestoneCommand::Record(Milestone {
                    community: ctx.org().community.clone(),
                    kind: MilestoneKind::from_pb(req.kind, "kind")?,
                    held_on: PastDate::parse("held_on", held_on, ctx.today())?,
                    groups,
                    attendees: req.attendees,
                });
                let stream_id = campaign_stream_id(&ctx.org().community);
                self.shell
                    .run::<CreationCampaign, ServiceError>(&stream_id, ctx, command)
                    .await?
            }
        };
        Ok(api::RecordCampaignMilestoneResponse {
            result: Some(write_result(&outcome)),
        })
    }
}
