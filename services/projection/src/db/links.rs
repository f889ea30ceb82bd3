//! The `login_links_used` table: the ids of the dashboard's one-time login links that
//! were redeemed, kept until the link would have expired anyway.

use sqlx::AnyPool;

use crate::error::ProjectionError;

/// Marks link `jti` (valid until `expires_at`, seconds since the epoch) as redeemed;
/// `false` when it was redeemed before. Forgets links that have expired, which no one
/// can present any more.
pub async fn redeem(pool: &AnyPool, jti: &str, expires_at: i64) -> Result<bool, ProjectionError> {
    let now = chrono::Utc::now().timestamp();
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM login_links_used WHERE expires_at < $1")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO login_links_used (jti, expires_at) VALUES ($1, $2)
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(inserted == 1)
}
