//! Write handlers for the community's places: publicity boards and facilities.

use civitas_kernel::command::execute;
use civitas_kernel::Decider;
use civitas_platform::auth::Caller;
use civitas_platform::command::{required, write_result, WriteContext};
use civitas_proto::activities::v1 as api;

use super::{Activities, Target};
use crate::convert::{date_from_pb, facility_type_from_pb};
use crate::domain::{
    AreaSquareMeters, BoardCommand, BoardId, Facility, FacilityCommand, FacilityDetails,
    FacilityId, FacilityName, Location, Note, PastDate, PublicityBoard, Topic,
};
use crate::error::ServiceError;

impl Activities {
    /// Registers a publicity board in the caller's community.
    pub async fn register_publicity_board(
        &self,
        caller: &Caller,
        req: api::RegisterPublicityBoardRequest,
    ) -> Result<api::RegisterPublicityBoardResponse, ServiceError> {
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(
            caller,
            org.clone(),
            req.options.as_ref(),
            "RegisterPublicityBoard",
            &req,
        )?;
        let outcome = match self.replayed(&meta).await? {
            Some(replayed) => replayed,
            None => {
                let board_id = BoardId::from_uuid(uuid::Uuid::now_v7());
                let command = BoardCommand::Register {
                    board_id,
                    community: org.community.clone(),
                    location: Location::parse("location", &req.location)?,
                };
                execute::<PublicityBoard, _>(
                    &*self.store,
                    &board_id.stream_id(),
                    meta.command,
                    |state| PublicityBoard::decide(state, command.clone()),
                )
                .await?
            }
        };
        Ok(api::RegisterPublicityBoardResponse {
            board_id: outcome
                .stream_id
                .trim_start_matches("publicityboard-")
                .to_owned(),
            result: Some(write_result(&outcome)),
        })
    }

    /// Records that a board's content was refreshed on a day not in the future.
    pub async fn record_board_update(
        &self,
        caller: &Caller,
        req: api::RecordBoardUpdateRequest,
    ) -> Result<api::RecordBoardUpdateResponse, ServiceError> {
        let target = || {
            let id = BoardId::parse("board_id", required(&req.board_id, "board_id")?)?;
            Ok(Target {
                what: "publicity board",
                id: id.to_string(),
                stream_id: id.stream_id(),
            })
        };
        let outcome = self
            .on_existing::<PublicityBoard>(
                caller,
                "RecordBoardUpdate",
                req.options.as_ref(),
                &req,
                target,
                |meta| {
                    let updated_on = date_from_pb(req.updated_on, "updated_on")?;
                    Ok(BoardCommand::RecordUpdate {
                        topic: Topic::parse("topic", &req.topic)?,
                        updated_on: PastDate::parse("updated_on", updated_on, meta.today())?,
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
        let org = self.write_scope(caller, &req.community)?;
        let meta = WriteContext::new(
            caller,
            org.clone(),
            req.options.as_ref(),
            "RegisterFacility",
            &req,
        )?;
        let outcome = match self.replayed(&meta).await? {
            Some(replayed) => replayed,
            None => {
                let facility_id = FacilityId::from_uuid(uuid::Uuid::now_v7());
                let command = FacilityCommand::Register {
                    facility_id,
                    community: org.community.clone(),
                    details: FacilityDetails {
                        facility_type: facility_type_from_pb(req.facility_type, "facility_type")?,
                        name: FacilityName::parse("name", &req.name)?,
                        area: AreaSquareMeters::parse(
                            "area_square_meters",
                            req.area_square_meters,
                        )?,
                    },
                };
                execute::<Facility, _>(
                    &*self.store,
                    &facility_id.stream_id(),
                    meta.command,
                    |state| Facility::decide(state, command.clone()),
                )
                .await?
            }
        };
        Ok(api::RegisterFacilityResponse {
            facility_id: outcome.stream_id.trim_start_matches("facility-").to_owned(),
            result: Some(write_result(&outcome)),
        })
    }

    /// Records maintenance done on a facility on a day not in the future.
    pub async fn record_facility_maintenance(
        &self,
        caller: &Caller,
        req: api::RecordFacilityMaintenanceRequest,
    ) -> Result<api::RecordFacilityMaintenanceResponse, ServiceError> {
        let target = || {
            let id = FacilityId::parse("facility_id", required(&req.facility_id, "facility_id")?)?;
            Ok(Target {
                what: "facility",
                id: id.to_string(),
                stream_id: id.stream_id(),
            })
        };
        let outcome = self
            .on_existing::<Facility>(
                caller,
                "RecordFacilityMaintenance",
                req.options.as_ref(),
                &req,
                target,
                |meta| {
                    let maintained_on = date_from_pb(req.maintained_on, "maintained_on")?;
                    Ok(FacilityCommand::RecordMaintenance {
                        maintained_on: PastDate::parse(
                            "maintained_on",
                            maintained_on,
                            meta.today(),
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
