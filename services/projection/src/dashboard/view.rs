//! The page frame, the request context, number formats and error pages.

use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};

use super::Lang;
use crate::indicators::Catalog;

/// What every handler knows about its request: the language, and where it is (for the
/// language switch and the return after login).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    /// The path.
    pub path: String,
    /// The query pairs but `lang`, as they came (still encoded).
    pub query: Vec<String>,
}

impl Ctx {
    /// The path and query without `lang`.
    pub fn here(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query.join("&"))
        }
    }

    /// This page in the other language.
    pub fn switch(&self) -> String {
        let lang = format!("lang={}", self.lang.other().code());
        let query: Vec<&str> = self
            .query
            .iter()
            .map(String::as_str)
            .chain([lang.as_str()])
            .collect();
        format!("{}?{}", self.path, query.join("&"))
    }
}

/// The signed-in user's part of the frame: who, and the logout form's CSRF token.
pub struct Who<'a> {
    pub subject: &'a str,
    pub role: String,
    pub org_unit: &'a str,
    pub csrf: String,
}

/// The chart script of the indicator page (inline, allowed by its hash in the CSP).
pub const CHART_SCRIPT: &str = r#"(function(){var el=document.getElementById('trend-data');var box=document.getElementById('trend-chart');if(!el||!box||!window.echarts){return;}var d=JSON.parse(el.textContent);var chart=echarts.init(box);chart.setOption({tooltip:{trigger:'axis'},legend:{type:'scroll',top:0},grid:{top:48,left:48,right:24,bottom:32},xAxis:{type:'category',data:d.periods},yAxis:{type:'value',name:d.unit_label},series:d.series.map(function(s,i){return{name:s.name,type:'line',data:s.data,connectNulls:false,lineStyle:{width:i===0?4:1.5},symbolSize:i===0?7:4,z:i===0?3:2};})});window.addEventListener('resize',function(){chart.resize();});})();"#;

/// The Content-Security-Policy of every page: nothing from elsewhere, scripts only
/// from this site and the chart script above.
pub fn csp() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(CHART_SCRIPT));
        format!(
            "default-src 'self'; script-src 'self' 'sha256-{hash}'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'"
        )
    })
}

const CSS: &str = r#"
body{font-family:system-ui,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;color:#1a1a1a;background:#fafafa}
header{background:#8b1a1a;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
header a{color:#fff}header nav{display:flex;gap:1rem;flex:1}header form{display:inline;margin:0}
main{padding:1rem;max-width:1400px}
table{border-collapse:collapse;background:#fff;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.cell{min-width:8rem}
.v{font-size:1.1rem;font-weight:600}.band,.t,.fresh,.muted{color:#555;font-size:.85rem}
.arrow{margin-left:.25rem}.better{color:#1a7f37}.worse{color:#b42318}
.problem{color:#b42318;font-weight:600}
tr.self{background:#f3f3f3;font-weight:600}
#trend-chart{width:100%;max-width:1100px;height:420px;background:#fff}
textarea{width:100%;max-width:40rem;font-family:monospace}
"#;

/// The legend colours of the catalog as classes: `lg-rrggbb` marks the cell's left edge
/// with the band's colour (the band's label is always written beside it).
pub fn legend_css(catalog: &Catalog) -> String {
    let mut colours: Vec<String> = catalog
        .legend_sets()
        .iter()
        .flat_map(|set| set.bands.iter())
        .filter_map(|band| colour_hex(&band.colour))
        .collect();
    colours.sort();
    colours.dedup();
    colours
        .iter()
        .map(|c| format!("td.lg-{c}{{box-shadow:inset 6px 0 0 #{c}}}.sw-{c}{{background:#{c}}}\n"))
        .collect()
}

/// `rrggbb` of a `#RRGGBB` colour, lowercase; `None` for anything else.
pub fn colour_hex(colour: &str) -> Option<String> {
    let hex = colour.strip_prefix('#')?;
    (hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hex.to_ascii_lowercase())
}

/// A whole page.
pub fn page(ctx: &Ctx, title: &str, who: Option<Who<'_>>, body: Markup) -> Html<String> {
    page_with(ctx, title, who, "", body)
}

/// A whole page with extra CSS (the legend classes).
pub fn page_with(
    ctx: &Ctx,
    title: &str,
    who: Option<Who<'_>>,
    css: &str,
    body: Markup,
) -> Html<String> {
    let lang = ctx.lang;
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.html()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("文明社区看板", "Civilized communities dashboard")) }
                style { (PreEscaped(CSS)) (PreEscaped(css)) }
            }
            body {
                header {
                    strong { (lang.t("文明社区看板", "Civilized communities dashboard")) }
                    nav {
                        @if who.is_some() {
                            a href="/" { (lang.t("概览", "Overview")) }
                            a href="/alerts" { (lang.t("预警", "Alerts")) }
                            a href="/reporting" { (lang.t("月报", "Monthly reports")) }
                            a href="/league" { (lang.t("排名", "League table")) }
                        }
                    }
                    a href=(ctx.switch()) lang=(lang.other().html()) { (lang.other_name()) }
                    @if let Some(who) = &who {
                        span { (who.subject) " · " (who.role) " · " (who.org_unit) }
                        form method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(who.csrf);
                            button type="submit" { (lang.t("退出", "Sign out")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    };
    Html(markup.into_string())
}

impl Lang {
    /// The name of this language in itself, for the switch.
    pub fn other_name(self) -> &'static str {
        match self.other() {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }
}

/// A page saying what went wrong, with `status`.
pub fn error_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let lang = ctx.lang;
    let title = match status {
        StatusCode::FORBIDDEN => lang.t("无权访问", "Forbidden"),
        StatusCode::NOT_FOUND => lang.t("未找到", "Not found"),
        StatusCode::BAD_REQUEST => lang.t("请求有误", "Bad request"),
        _ => lang.t("出错了", "Something went wrong"),
    };
    let body = html! {
        h1 { (title) }
        p.problem role="alert" { (message) }
        p { a href="/" { (lang.t("返回概览", "Back to the overview")) } }
    };
    (status, page(ctx, title, None, body)).into_response()
}

/// An indicator value with its decimals; "—" for none.
pub fn value(v: Option<f64>, decimals: u32) -> String {
    match v {
        Some(v) => format!("{v:.prec$}", prec = decimals as usize),
        None => "—".to_owned(),
    }
}

/// A count or sum as plain text: no decimals for whole numbers, else at most two.
pub fn plain(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let text = format!("{v:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_written() {
        assert_eq!(value(Some(12.5), 1), "12.5");
        assert_eq!(value(Some(12.0), 0), "12");
        assert_eq!(value(None, 1), "—");
        assert_eq!(plain(3.0), "3");
        assert_eq!(plain(2.5), "2.5");
        assert_eq!(plain(1.0 / 3.0), "0.33");
    }

    #[test]
    fn colours_become_class_names_only_when_hex() {
        assert_eq!(colour_hex("#1A9850").as_deref(), Some("1a9850"));
        assert_eq!(colour_hex("red"), None);
        assert_eq!(colour_hex("#12345g"), None);
        assert!(legend_css(&Catalog::shipped().unwrap()).contains("td.lg-"));
    }

    #[test]
    fn the_switch_keeps_the_query() {
        let ctx = Ctx {
            lang: Lang::Zh,
            path: "/unit/xingfu".into(),
            query: vec!["period=202611".into()],
        };
        assert_eq!(ctx.switch(), "/unit/xingfu?period=202611&lang=en");
        assert_eq!(ctx.here(), "/unit/xingfu?period=202611");
    }
}
