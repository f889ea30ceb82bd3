//! What the community page (`/c/{community}`) shows beside its figures, read from
//! `board_update_view`, `team_view` and `good_deed_view`: the latest board updates,
//! the volunteer teams and the good deeds that stand published, each newest first and
//! bounded. Only the columns meant for publication are read: no key (a board, team or
//! deed id) leaves the database.

use sqlx::AnyPool;

use super::Stored;
use crate::error::ProjectionError;
use crate::rules::{BoardUpdateRow, DeedRow, TeamRow};

/// Board updates the page shows at most.
pub const BOARD_UPDATES_SHOWN: usize = 10;
/// Volunteer teams the page shows at most.
pub const TEAMS_SHOWN: usize = 20;
/// Published good deeds the page shows at most.
pub const DEEDS_SHOWN: usize = 10;

/// A publicity board update as published: no board id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBoardUpdate {
    /// `YYYY-MM-DD`.
    pub updated_on: String,
    /// The topic's code, the suffix of `publicity.board_updates.<topic>`
    /// (`current_affairs`, `politics`, `economy`, `science`, `health_education`,
    /// `other`).
    pub topic: String,
    /// The update's free text; may be empty.
    pub text: String,
}

/// A volunteer team as published: no team or member ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicTeam {
    pub name: String,
    pub purpose: String,
    /// The service category's code (`tutoring`, `repair`, …); empty when unspecified.
    pub category: String,
    pub members: i64,
}

/// A published good deed: no deed id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicDeed {
    pub title: String,
    pub story: String,
    /// `YYYY-MM-DD`.
    pub happened_on: String,
}

/// A community's public records, each list newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommunityNotices {
    /// At most [`BOARD_UPDATES_SHOWN`], by day.
    pub board_updates: Vec<PublicBoardUpdate>,
    /// At most [`TEAMS_SHOWN`], by the day formed.
    pub teams: Vec<PublicTeam>,
    /// At most [`DEEDS_SHOWN`] of those standing published, by the day they happened.
    pub deeds: Vec<PublicDeed>,
}

/// Rows of `R` in `community` matching `filter` (a condition with no parameters),
/// newest first by the `date` column, then by key, at most `limit`. Only `R`'s columns
/// are read, never its key.
async fn newest<R: Stored>(
    pool: &AnyPool,
    community: &str,
    filter: &str,
    date: &str,
    limit: usize,
) -> Result<Vec<R>, ProjectionError> {
    let sql = format!(
        "SELECT {columns} FROM {table} WHERE community = $1 AND ({filter})
         ORDER BY {date} DESC, {key} DESC LIMIT {limit}",
        columns = R::COLUMNS.join(", "),
        table = R::TABLE,
        key = R::KEY,
    );
    let rows = sqlx::query(&sql).bind(community).fetch_all(pool).await?;
    rows.iter()
        .map(|row| R::from_row(row).map_err(ProjectionError::from))
        .collect()
}

/// The public records of `community` (see [`CommunityNotices`]).
pub async fn community_notices(
    pool: &AnyPool,
    community: &str,
) -> Result<CommunityNotices, ProjectionError> {
    let board: Vec<BoardUpdateRow> =
        newest(pool, community, "1 = 1", "updated_on", BOARD_UPDATES_SHOWN).await?;
    let teams: Vec<TeamRow> = newest(pool, community, "1 = 1", "formed_on", TEAMS_SHOWN).await?;
    let deeds: Vec<DeedRow> =
        newest(pool, community, "published = 1", "happened_on", DEEDS_SHOWN).await?;
    Ok(CommunityNotices {
        board_updates: board
            .into_iter()
            .map(|r| PublicBoardUpdate {
                updated_on: r.updated_on,
                topic: r.topic,
                text: r.text,
            })
            .collect(),
        teams: teams
            .into_iter()
            .map(|r| PublicTeam {
                category: crate::rules::code_text(r.category),
                name: r.name,
                purpose: r.purpose,
                members: r.members,
            })
            .collect(),
        deeds: deeds
            .into_iter()
            .map(|r| PublicDeed {
                title: r.title,
                story: r.story,
                happened_on: r.happened_on,
            })
            .collect(),
    })
}
