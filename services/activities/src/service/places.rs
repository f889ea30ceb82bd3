//! Write handlers for the community's places: publicity boards and facilities.

use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result};
use civitas_platform::write::Target;
use civitas_proto::activities::v1 as api;
use civitas_proto::convert::date_from_pb;

use super::{community, Activities};
use crate::domain::{
    AreaSquareMeters, BoardCommand, BoardId, Facility, FacilityCommand, FacilityDetails,
    FacilityId, FacilityName, FacilityType, Location, Note, PastDate, PublicityBoard, Topic,
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

    /// Records that a board's content was refreshed on a day not in the future.
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
                        topic: Topic::parse("topic", &req.topic)?,
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
