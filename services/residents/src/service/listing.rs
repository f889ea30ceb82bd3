//! The paged lists of a community's households and residents, searchable by building
//! and grid, from the register beside the key store. Every record is the one the single
//! reads give ([`Residents::resident_view`], [`Residents::household_view`]): personal
//! data for staff of the community only, redacted for district and street users in
//! scope, refused to analysts. Pages are keyset pages, oldest first; a resident list
//! without `include_moved_out` may hold fewer rows than asked, and is done when
//! `next_page_token` is empty.

use civitas_kernel::command::load;
use civitas_platform::auth::{Caller, Role};
use civitas_platform::write::WriteError;
use civitas_proto::residents::v1 as api;

use super::Residents;
use crate::domain::{Household, HouseholdId, ResidentId, ValidationError};
use crate::error::ServiceError;
use crate::keystore::{Cursor, ListFilter, RegisterEntry};

/// A page's size when the request leaves it unset.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest page a request may ask for.
pub const MAX_PAGE_SIZE: u32 = 200;

impl Residents {
    /// A page of the community's households, each with its residents' ids.
    pub async fn list_households(
        &self,
        caller: &Caller,
        req: api::ListHouseholdsRequest,
    ) -> Result<api::ListHouseholdsResponse, ServiceError> {
        let community = self.listed_community(caller, &req.community)?;
        let (limit, after) = page(req.page_size, &req.page_token)?;
        let filter = ListFilter {
            community,
            household_id: String::new(),
            grid: req.grid.trim().to_owned(),
            building: req.building.trim().to_owned(),
        };
        self.complete_register().await?;
        let rows = self
            .keys
            .households(&filter, after.as_ref(), limit + 1)
            .await?;
        let next = next_token(
            rows.len(),
            limit,
            rows.get(limit as usize - 1).map(|(_, c)| c),
        );
        let mut households = Vec::with_capacity(rows.len());
        for (entry, _) in rows.into_iter().take(limit as usize) {
            let id = HouseholdId::parse("household_id", &entry.household_id)
                .map_err(anyhow::Error::new)?;
            let resident_ids = self
                .keys
                .residents_of_household(&entry.household_id)
                .await?;
            households.push(self.household_view(caller, &id, resident_ids).await?);
        }
        Ok(api::ListHouseholdsResponse {
            households,
            next_page_token: next,
        })
    }

    /// A page of the community's residents, by household, building or grid.
    pub async fn list_residents(
        &self,
        caller: &Caller,
        req: api::ListResidentsRequest,
    ) -> Result<api::ListResidentsResponse, ServiceError> {
        let community = self.listed_community(caller, &req.community)?;
        let (limit, after) = page(req.page_size, &req.page_token)?;
        let household_id = match req.household_id.trim() {
            "" => String::new(),
            h => HouseholdId::parse("household_id", h)?.to_string(),
        };
        let filter = ListFilter {
            community,
            household_id,
            grid: req.grid.trim().to_owned(),
            building: req.building.trim().to_owned(),
        };
        self.complete_register().await?;
        let rows = self
            .keys
            .residents(&filter, after.as_ref(), limit + 1)
            .await?;
        let next = next_token(rows.len(), limit, rows.get(limit as usize - 1));
        let mut residents = Vec::with_capacity(rows.len());
        for row in rows.iter().take(limit as usize) {
            let id = ResidentId::parse("resident_id", &row.id).map_err(anyhow::Error::new)?;
            let resident = match self.resident_view(caller, &id).await {
                Ok(r) => r,
                // A key an older version left when its registration did not commit.
                Err(ServiceError::Write(WriteError::NotFound { .. })) => continue,
                Err(e) => return Err(e),
            };
            if req.include_moved_out || !(resident.moved_out || resident.erased) {
                residents.push(resident);
            }
        }
        Ok(api::ListResidentsResponse {
            residents,
            next_page_token: next,
        })
    }

    /// The community a list request names (staff: their own by default), after checking
    /// the caller may read its per-person records.
    fn listed_community(&self, caller: &Caller, requested: &str) -> Result<String, ServiceError> {
        caller.authorize_person_read().map_err(WriteError::from)?;
        let community = match (requested.trim(), caller.role) {
            ("", Role::Staff) => caller.org_unit.clone(),
            ("", _) => {
                return Err(ValidationError::new(
                    "community",
                    "is required for a district or street user",
                )
                .into())
            }
            (c, _) => c.to_owned(),
        };
        if self.shell.tree().path_of(&community).is_none() {
            let e = ValidationError::new("community", "is not a community of the district");
            return Err(e.into());
        }
        caller
            .authorize_read(&community, self.shell.tree())
            .map_err(WriteError::from)?;
        Ok(community)
    }

    /// Places every household registered before the register existed, once per
    /// process (a second run finds none missing).
    async fn complete_register(&self) -> Result<(), ServiceError> {
        self.register_complete
            .get_or_try_init(|| async {
                for (household_id, created_at) in self.keys.unregistered_households().await? {
                    let id = HouseholdId::parse("household_id", &household_id)
                        .map_err(anyhow::Error::new)?;
                    let state = load::<Household>(self.shell.store(), &id.stream_id())
                        .await?
                        .state;
                    let (Some(grid), Some(building)) = (state.grid, state.building) else {
                        continue; // a key whose registration never committed
                    };
                    let entry = RegisterEntry {
                        household_id,
                        community: state.community,
                        grid: grid.as_str().to_owned(),
                        building: building.as_str().to_owned(),
                    };
                    self.keys.place_household(&entry, created_at).await?;
                }
                Ok::<(), ServiceError>(())
            })
            .await?;
        Ok(())
    }
}

/// The page size and start a request asks for.
fn page(size: u32, token: &str) -> Result<(u32, Option<Cursor>), ValidationError> {
    let limit = match size {
        0 => DEFAULT_PAGE_SIZE,
        n if n > MAX_PAGE_SIZE => {
            return Err(ValidationError::new(
                "page_size",
                format!("must be at most {MAX_PAGE_SIZE}"),
            ))
        }
        n => n,
    };
    let after = match token.trim() {
        "" => None,
        t => Some(
            Cursor::parse(t)
                .ok_or_else(|| ValidationError::new("page_token", "is not a token of this list"))?,
        ),
    };
    Ok((limit, after))
}

/// The token of the next page: the last row's, when one more row than a page was read.
fn next_token(read: usize, limit: u32, last_of_page: Option<&Cursor>) -> String {
    if read > limit as usize {
        last_of_page.map(Cursor::token).unwrap_or_default()
    } else {
        String::new()
    }
}
