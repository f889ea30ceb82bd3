//! `ExportCsv`: what `GetKpis` and `GetIndicators` answer, for an org unit and every
//! unit below it, as one CSV file streamed in chunks. Element values and indicators
//! are computed from the same per-community values the two RPCs read, in the same
//! way, so the file and the RPCs agree.

use std::pin::Pin;

use civitas_platform::auth::Caller;
use civitas_platform::org::{OrgTree, OrgUnit};
use civitas_proto::insights::v1::{ExportCsvChunk, ExportCsvRequest};
use futures::Stream;
use tonic::Status;

use super::indicators::{today, Asked};
use super::{readable_unit, Insights};
use crate::catalog::ELEMENTS;
use crate::indicators::Scope;

/// The file's columns, in order.
pub const HEADER: [&str; 12] = [
    "org_unit",
    "org_unit_name",
    "level",
    "period",
    "kind",
    "code",
    "name_zh",
    "name_en",
    "value",
    "numerator",
    "denominator",
    "target",
];

/// The UTF-8 byte order mark some spreadsheets need to read UTF-8.
const BOM: &str = "\u{feff}";

/// Bytes per streamed chunk.
const CHUNK_BYTES: usize = 64 * 1024;

/// The stream `ExportCsv` answers with.
pub type CsvStream = Pin<Box<dyn Stream<Item = Result<ExportCsvChunk, Status>> + Send>>;

impl Insights {
    /// The CSV text for the unit the request names and every unit below it, in tree
    /// order (the unit, then each child and its descendants): one row per element,
    /// then one per indicator.
    pub async fn csv_text(
        &self,
        caller: &Caller,
        request: ExportCsvRequest,
    ) -> Result<String, Status> {
        let unit = readable_unit(&self.tree, caller, &request.org_unit)?;
        let period = Asked::parse(&request.period, today())?.range();
        let catalog = self.projection.catalog();
        let communities = self.communities(&unit.code);
        let units = subtree(&self.tree, unit);
        let values = self
            .projection
            .values_in(&self.tree, &units, &communities, period)
            .await?;
        let mut csv = String::new();
        if request.bom {
            csv.push_str(BOM);
        }
        row(&mut csv, HEADER.iter().map(|h| h.to_string()));
        for u in units {
            let under = self.communities(&u.code);
            let sums = crate::unit_values(&values, &u.code, &under);
            let place = [
                u.code.clone(),
                u.name.clone(),
                u.level.to_string(),
                request.period.clone(),
            ];
            let mut record = |what: [String; 8]| row(&mut csv, place.iter().cloned().chain(what));
            for element in ELEMENTS {
                let names = catalog.element(element.code);
                let value = sums.get(element.code).copied().unwrap_or_default();
                record([
                    "element".to_owned(),
                    element.code.to_owned(),
                    names.map(|n| n.name_zh.clone()).unwrap_or_default(),
                    names.map(|n| n.name_en.clone()).unwrap_or_default(),
                    number(Some(value)),
                    String::new(),
                    String::new(),
                    String::new(),
                ]);
            }
            let scope = Scope {
                unit: &u.code,
                level: u.level,
                communities: &under,
            };
            for value in catalog.evaluate(&scope, &period, &values, None).indicators {
                let Some(indicator) = catalog.indicator(&value.code) else {
                    continue;
                };
                record([
                    "indicator".to_owned(),
                    value.code.clone(),
                    indicator.name_zh.clone(),
                    indicator.name_en.clone(),
                    number(value.value),
                    number(value.numerator),
                    number(value.denominator),
                    number(value.target.map(|t| t.value)),
                ]);
            }
        }
        Ok(csv)
    }

    /// [`Insights::csv_text`] as the RPC's stream of chunks.
    pub async fn csv_stream(
        &self,
        caller: &Caller,
        request: ExportCsvRequest,
    ) -> Result<CsvStream, Status> {
        let csv = self.csv_text(caller, request).await?;
        let chunks: Vec<Result<ExportCsvChunk, Status>> = chunks(csv.into_bytes())
            .map(|data| Ok(ExportCsvChunk { data }))
            .collect();
        Ok(Box::pin(futures::stream::iter(chunks)))
    }
}

/// `unit` and every unit below it, parents before children.
pub(crate) fn subtree<'t>(tree: &'t OrgTree, unit: &'t OrgUnit) -> Vec<&'t OrgUnit> {
    let mut units = vec![unit];
    let mut at = 0;
    while at < units.len() {
        units.extend(tree.children(&units[at].code));
        at += 1;
    }
    units
}

/// The file cut into chunks of at most [`CHUNK_BYTES`] (a chunk may end inside a
/// UTF-8 character: the bytes are concatenated before they are read).
fn chunks(bytes: Vec<u8>) -> impl Iterator<Item = Vec<u8>> {
    let pieces: Vec<Vec<u8>> = bytes.chunks(CHUNK_BYTES).map(<[u8]>::to_vec).collect();
    pieces.into_iter()
}

/// A number as a spreadsheet reads it; empty when there is none.
fn number(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Appends one CSV record (RFC 4180: a field with a comma, quote or line break is
/// quoted, its quotes doubled; lines end with CRLF).
fn row(csv: &mut String, fields: impl IntoIterator<Item = String>) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            csv.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            csv.push('"');
            csv.push_str(&field.replace('"', "\"\""));
            csv.push('"');
        } else {
            csv.push_str(&field);
        }
    }
    csv.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut csv = String::new();
        row(
            &mut csv,
            [
                "幸福社区".to_owned(),
                "a,b".to_owned(),
                "say \"hi\"".to_owned(),
            ],
        );
        assert_eq!(csv, "幸福社区,\"a,b\",\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn chunks_join_back_to_the_file() {
        let text = "流动人口占比,".repeat(20_000);
        let joined: Vec<u8> = chunks(text.clone().into_bytes()).flatten().collect();
        assert_eq!(String::from_utf8(joined).unwrap(), text);
        assert!(chunks(text.into_bytes()).count() > 1);
    }
}
