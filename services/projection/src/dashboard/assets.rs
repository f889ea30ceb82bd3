//! Files served from the binary.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

/// The vendored version, in the URL so that a new one is fetched past the long cache.
pub const ECHARTS_VERSION: &str = "5.6.0";

/// Apache ECharts 5.6.0, `dist/echarts.min.js` of its npm package (see
/// `assets/echarts/README.md`).
pub const ECHARTS: &[u8] = include_bytes!("../../assets/echarts/echarts.min.js");

/// `GET /assets/echarts.min.js`: cached for a year (the file changes only with the binary;
/// a new ECharts gets a new name).
pub async fn echarts() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        ECHARTS,
    )
}
