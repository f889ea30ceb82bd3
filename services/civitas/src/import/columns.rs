//! The column layouts of the two registers, and each row checked and turned into the
//! request it stands for, with the residents service's own value types: what the
//! service would refuse for a value's form is refused here first, naming the row and
//! the column.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use civitas_proto::common::v1::Date;
use civitas_proto::residents::v1 as api;
use civitas_residents::domain::resident::GUARDIAN_REQUIRED_UNDER;
use civitas_residents::domain::{
    Address, BirthDate, Building, Grid, HouseholdId, IdNumber, PersonName, Phone, ResidenceType,
    ResidentId, Sex, ValidationError,
};

use super::sheet::SheetRow;
use super::Problem;

/// A column: the request field it fills (or the import's own name for it) and the
/// headers it is known by, Chinese first.
pub struct Column {
    pub field: &'static str,
    pub headers: &'static [&'static str],
}

const fn column(field: &'static str, headers: &'static [&'static str]) -> Column {
    Column { field, headers }
}

/// 户号 → household id: the register's own household number, never sent.
pub const HOUSEHOLD_NO: &str = "household_no";

/// The households register.
pub const HOUSEHOLD_COLUMNS: &[Column] = &[
    column(HOUSEHOLD_NO, &["户号", "户编号", "household_no"]),
    column("grid", &["网格", "所属网格", "grid"]),
    column("building", &["楼栋", "楼号", "楼栋号", "building"]),
    column("unit", &["单元", "单元号", "unit"]),
    column("room", &["门牌", "门牌号", "房号", "室", "room"]),
    column("address", &["地址", "住址", "详细地址", "address"]),
    column("community", &["社区", "所属社区", "community"]),
];

/// The residents register.
pub const RESIDENT_COLUMNS: &[Column] = &[
    column(HOUSEHOLD_NO, &["户号", "户编号", "household_no"]),
    column("household_id", &["户ID", "household_id"]),
    column("name", &["姓名", "name"]),
    column(
        "id_number",
        &["身份证号", "身份证号码", "公民身份号码", "id_number"],
    ),
    column(
        "phone",
        &["手机", "手机号", "手机号码", "联系电话", "电话", "phone"],
    ),
    column("birth_date", &["出生日期", "birth_date"]),
    column("sex", &["性别", "sex"]),
    column(
        "residence_type",
        &["居住类型", "人口类型", "户籍类型", "residence_type"],
    ),
    column(
        "guardian_id_number",
        &["监护人身份证号", "监护人身份证号码", "guardian_id_number"],
    ),
    column(
        "guardian_resident_id",
        &["监护人ID", "guardian_resident_id"],
    ),
];

/// Where each known column stands in a file, and how the file names it.
pub struct Layout {
    /// The row that holds the headers; rows above it (a title) are skipped.
    pub header_row: usize,
    columns: HashMap<&'static str, (usize, String)>,
    /// Headers this import does not know; their cells are not read.
    pub ignored: Vec<String>,
}

/// A header as written, without spaces, a required-marker star or a trailing colon.
fn normalize_header(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .trim()
        .trim_end_matches(['*', '＊', ':', '：'])
        .trim_start_matches(['*', '＊'])
        .trim()
        .to_lowercase()
}

fn known(columns: &[Column], header: &str) -> Option<&'static str> {
    let header = normalize_header(header);
    columns
        .iter()
        .find(|c| c.headers.iter().any(|h| h.to_lowercase() == header))
        .map(|c| c.field)
}

impl Layout {
    /// The header row is the first of the first ten rows that names two known columns
    /// (a register often has a title row above it). `required` lists column groups of
    /// which the file must have at least one each.
    pub fn find(
        columns: &[Column],
        rows: &[SheetRow],
        required: &[&[&'static str]],
    ) -> anyhow::Result<Layout> {
        let header = rows
            .iter()
            .take(10)
            .find(|r| {
                r.cells
                    .iter()
                    .filter(|c| known(columns, c).is_some())
                    .count()
                    >= 2
            })
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "no header row found: the first row should name the columns ({})",
                    columns
                        .iter()
                        .map(|c| c.headers[0])
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        let mut layout = Layout {
            header_row: header.number,
            columns: HashMap::new(),
            ignored: Vec::new(),
        };
        for (index, text) in header.cells.iter().enumerate() {
            match known(columns, text) {
                Some(field) => {
                    if let Some((_, first)) = layout.columns.get(field) {
                        anyhow::bail!(
                            "row {}: columns {first:?} and {text:?} are both {field}",
                            header.number
                        );
                    }
                    layout
                        .columns
                        .insert(field, (index, text.trim().to_owned()));
                }
                None if text.is_empty() => {}
                None => layout.ignored.push(text.clone()),
            }
        }
        for group in required {
            if !group.iter().any(|f| layout.columns.contains_key(f)) {
                let names: Vec<String> = group
                    .iter()
                    .map(|f| {
                        let c = columns.iter().find(|c| c.field == *f).expect("a column");
                        format!("{} ({f})", c.headers[0])
                    })
                    .collect();
                anyhow::bail!("row {}: no column {}", header.number, names.join(" or "));
            }
        }
        Ok(layout)
    }

    /// The rows below the header.
    pub fn data<'r>(&self, rows: &'r [SheetRow]) -> impl Iterator<Item = &'r SheetRow> {
        let header_row = self.header_row;
        rows.iter().filter(move |r| r.number > header_row)
    }

    /// How a field is shown in a report: the file's header and the request field,
    /// e.g. `网格 (grid)`.
    pub fn label(&self, field: &str) -> String {
        match self.columns.get(field) {
            Some((_, header)) if header != field => format!("{header} ({field})"),
            _ => field.to_owned(),
        }
    }

    fn cell<'r>(&self, row: &'r SheetRow, field: &str) -> Cell<'r> {
        let Some((index, _)) = self.columns.get(field) else {
            return Cell::Text("");
        };
        if let Some((_, why)) = row.damaged.iter().find(|(c, _)| c == index) {
            return Cell::Damaged(why);
        }
        Cell::Text(row.cells.get(*index).map(String::as_str).unwrap_or(""))
    }
}

enum Cell<'r> {
    Text(&'r str),
    Damaged(&'static str),
}

/// Reads one row's cells, collecting every problem of the row.
struct Check<'a> {
    layout: &'a Layout,
    row: &'a SheetRow,
    problems: Vec<Problem>,
}

impl<'a> Check<'a> {
    fn new(layout: &'a Layout, row: &'a SheetRow) -> Self {
        Check {
            layout,
            row,
            problems: Vec::new(),
        }
    }

    fn refuse(&mut self, field: &str, reason: impl Into<String>) {
        self.problems.push(Problem {
            row: self.row.number,
            field: self.layout.label(field),
            reason: reason.into(),
        });
    }

    /// The cell's text ("" when the column is absent); `None` when it is damaged.
    fn text(&mut self, field: &str) -> Option<&'a str> {
        match self.layout.cell(self.row, field) {
            Cell::Text(text) => Some(text),
            Cell::Damaged(why) => {
                self.refuse(field, why);
                None
            }
        }
    }

    /// A value the service's own type accepts.
    fn value<T>(&mut self, parsed: Result<T, ValidationError>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.refuse(e.field, e.message);
                None
            }
        }
    }

    /// A required cell, read by `parse`.
    fn required<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&'static str, &str) -> Result<T, ValidationError>,
    ) -> Option<T> {
        match self.text(field)? {
            "" => {
                self.refuse(field, "is required");
                None
            }
            text => self.value(parse(field, text)),
        }
    }

    /// An optional cell, read by `parse`: `Some(None)` when blank.
    fn optional<T>(
        &mut self,
        field: &'static str,
        parse: impl FnOnce(&'static str, &str) -> Result<T, ValidationError>,
    ) -> Option<Option<T>> {
        match self.text(field)? {
            "" => Some(None),
            text => self.value(parse(field, text)).map(Some),
        }
    }

    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<Problem>> {
        match value {
            Some(v) if self.problems.is_empty() => Ok(v),
            _ => Err(self.problems),
        }
    }
}

/// A households row as it will be sent.
#[derive(Debug, Clone)]
pub struct HouseholdRow {
    pub number: usize,
    pub household_no: String,
    pub request: api::RegisterHouseholdRequest,
}

/// The address sent: 地址 followed by whichever of 楼栋, 单元 and 门牌 it does not
/// already contain, separated by spaces.
fn compose_address(parts: [&str; 4]) -> String {
    let mut address = String::new();
    for part in parts {
        if !part.is_empty() && !address.contains(part) {
            if !address.is_empty() {
                address.push(' ');
            }
            address.push_str(part);
        }
    }
    address
}

/// Checks every households row; rows with problems are left out of the plan.
pub fn households(layout: &Layout, rows: &[SheetRow]) -> (Vec<HouseholdRow>, Vec<Problem>) {
    let mut plan: Vec<HouseholdRow> = Vec::new();
    let mut problems = Vec::new();
    let mut numbers: HashMap<String, usize> = HashMap::new();
    let mut places: HashMap<(String, String, String), usize> = HashMap::new();
    for row in layout.data(rows) {
        let mut check = Check::new(layout, row);
        let household_no = check.required(HOUSEHOLD_NO, |_, s| Ok(s.to_owned()));
        if let Some(no) = &household_no {
            if let Some(first) = numbers.insert(no.clone(), row.number) {
                check.refuse(HOUSEHOLD_NO, format!("repeats row {first}"));
            }
        }
        let grid = check.required("grid", Grid::parse);
        let building = check.required("building", Building::parse);
        let unit = check.text("unit");
        let room = check.text("room");
        let street = check.text("address");
        let community = check.text("community");
        let address = match (street, building.as_ref(), unit, room) {
            (Some(""), _, _, Some("")) => {
                check.refuse("address", "is required when 门牌 (room) is blank");
                None
            }
            (Some(street), Some(building), Some(unit), Some(room)) => {
                let text = compose_address([street, building.as_str(), unit, room]);
                check.value(Address::parse("address", &text))
            }
            _ => None,
        };
        let request = match (grid, building, address, community) {
            (Some(grid), Some(building), Some(address), Some(community)) => {
                let place = (
                    grid.as_str().to_owned(),
                    building.as_str().to_owned(),
                    address.as_str().to_owned(),
                );
                if let Some(first) = places.insert(place, row.number) {
                    check.refuse(
                        "address",
                        format!("row {first} has the same grid, building and address"),
                    );
                }
                Some(api::RegisterHouseholdRequest {
                    options: None,
                    address: address.as_str().to_owned(),
                    grid: grid.as_str().to_owned(),
                    building: building.as_str().to_owned(),
                    community: community.to_owned(),
                })
            }
            _ => None,
        };
        match check.finish(household_no.zip(request)) {
            Ok((household_no, request)) => plan.push(HouseholdRow {
                number: row.number,
                household_no,
                request,
            }),
            Err(mut p) => problems.append(&mut p),
        }
    }
    (plan, problems)
}

/// Which household a resident joins.
#[derive(Debug, Clone)]
pub enum HouseholdRef {
    Id(String),
    /// 户号, looked up in the households' id list.
    Number(String),
}

/// Who a minor's guardian is.
#[derive(Debug, Clone)]
pub enum GuardianRef {
    Id(String),
    /// The guardian's ID number: a resident registered earlier in the same file or
    /// before.
    IdNumber(String),
}

/// A residents row as it will be sent, once its household (and guardian) are known.
#[derive(Debug, Clone)]
pub struct ResidentRow {
    pub number: usize,
    pub household: HouseholdRef,
    pub guardian: Option<GuardianRef>,
    /// `household_id` and `guardian_resident_id` are filled in when sending.
    pub request: api::RegisterResidentRequest,
}

impl ResidentRow {
    pub fn id_number(&self) -> &str {
        &self.request.id_number
    }
}

/// Dates as registers write them: 1980-05-17, 1980/5/17, 1980.5.17, 19800517,
/// 1980年5月17日.
fn parse_date(field: &'static str, text: &str) -> Result<NaiveDate, ValidationError> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .ok_or_else(|| ValidationError::new(field, "must be a date such as 1980-05-17"))
}

fn parse_sex(field: &'static str, text: &str) -> Result<Sex, ValidationError> {
    match text.to_lowercase().as_str() {
        "男" | "男性" | "m" | "male" => Ok(Sex::Male),
        "女" | "女性" | "f" | "female" => Ok(Sex::Female),
        _ => Err(ValidationError::new(field, "must be 男 or 女")),
    }
}

fn parse_residence_type(field: &'static str, text: &str) -> Result<ResidenceType, ValidationError> {
    match text.to_lowercase().as_str() {
        "户籍" | "户籍人口" | "本地户籍" | "permanent" => Ok(ResidenceType::Permanent),
        "流动" | "流动人口" | "外来人口" | "floating" => Ok(ResidenceType::Floating),
        _ => Err(ValidationError::new(
            field,
            "must be 户籍 (permanent) or 流动 (floating)",
        )),
    }
}

/// Checks every residents row; rows with problems are left out of the plan.
/// `household_ids`, when given, is the 户号 → household id list each 户号 must be in.
pub fn residents(
    layout: &Layout,
    rows: &[SheetRow],
    household_ids: Option<&BTreeMap<String, String>>,
    today: NaiveDate,
) -> (Vec<ResidentRow>, Vec<Problem>) {
    let mut plan = Vec::new();
    let mut problems = Vec::new();
    let mut id_numbers: HashMap<String, usize> = HashMap::new();
    for row in layout.data(rows) {
        let mut check = Check::new(layout, row);
        let household = match (check.text("household_id"), check.text(HOUSEHOLD_NO)) {
            (Some(""), Some("")) => {
                check.refuse(HOUSEHOLD_NO, "is required");
                None
            }
            (Some(""), Some(no)) => match household_ids {
                Some(ids) if !ids.contains_key(no) => {
                    check.refuse(
                        HOUSEHOLD_NO,
                        format!("{no} is not in the household id list"),
                    );
                    None
                }
                _ => Some(HouseholdRef::Number(no.to_owned())),
            },
            (Some(id), _) => check
                .value(HouseholdId::parse("household_id", id))
                .map(|id| HouseholdRef::Id(id.to_string())),
            (None, _) => None,
        };
        let name = check.required("name", PersonName::parse);
        let id_number = check.required("id_number", IdNumber::parse);
        if let Some(id) = &id_number {
            if let Some(first) = id_numbers.insert(id.as_str().to_owned(), row.number) {
                check.refuse("id_number", format!("repeats row {first}"));
            }
        }
        let phone = check.optional("phone", Phone::parse);
        let birth_date = check.optional("birth_date", parse_date);
        let sex = check.optional("sex", parse_sex);
        let residence_type = check.required("residence_type", parse_residence_type);
        let guardian = match (
            check.text("guardian_resident_id"),
            check.text("guardian_id_number"),
        ) {
            (Some(""), Some("")) => Some(None),
            (Some(""), Some(number)) => check
                .value(IdNumber::parse("guardian_id_number", number))
                .map(|n| Some(GuardianRef::IdNumber(n.as_str().to_owned()))),
            (Some(id), _) => check
                .value(ResidentId::parse("guardian_resident_id", id))
                .map(|id| Some(GuardianRef::Id(id.to_string()))),
            (None, _) => None,
        };
        let mut request = None;
        if let Some(id) = &id_number {
            if matches!(birth_date, Some(Some(d)) if d != id.birth_date()) {
                check.refuse("birth_date", "does not match the birth date in id_number");
            }
            if matches!(sex, Some(Some(s)) if s != id.sex()) {
                check.refuse("sex", "does not match the sex encoded in id_number");
            }
            let born = check.value(BirthDate::parse("id_number", id.birth_date(), today));
            if let (Some(born), Some(None)) = (born, &guardian) {
                if born.age_on(today) < GUARDIAN_REQUIRED_UNDER {
                    check.refuse(
                        "guardian_id_number",
                        format!(
                            "is required: a minor under {GUARDIAN_REQUIRED_UNDER} needs a guardian"
                        ),
                    );
                }
            }
            if let Some(Some(GuardianRef::IdNumber(g))) = &guardian {
                if g == id.as_str() {
                    check.refuse("guardian_id_number", "is the resident's own ID number");
                }
            }
        }
        if let (Some(name), Some(id), Some(phone), Some(birth_date), Some(sex), Some(residence)) =
            (name, &id_number, phone, birth_date, sex, residence_type)
        {
            request = Some(api::RegisterResidentRequest {
                options: None,
                household_id: String::new(),
                name: name.as_str().to_owned(),
                id_number: id.as_str().to_owned(),
                phone: phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
                birth_date: birth_date.map(|d| Date {
                    year: chrono::Datelike::year(&d),
                    month: chrono::Datelike::month(&d) as i32,
                    day: chrono::Datelike::day(&d) as i32,
                }),
                sex: sex.map_or(0, |s| s.to_pb() as i32),
                residence_type: residence.to_pb() as i32,
                guardian_resident_id: String::new(),
                // A register already kept: these people live here, no move-in day.
                arrival: civitas_proto::events::v1::Arrival::AlreadyLiving as i32,
                arrived_on: None,
            });
        }
        match check.finish(household.zip(guardian).zip(request)) {
            Ok(((household, guardian), request)) => plan.push(ResidentRow {
                number: row.number,
                household,
                guardian,
                request,
            }),
            Err(mut p) => problems.append(&mut p),
        }
    }
    (plan, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_not_repeated() {
        assert_eq!(
            compose_address(["华峰路12号", "3栋", "2单元", "501"]),
            "华峰路12号 3栋 2单元 501"
        );
        assert_eq!(
            compose_address(["华峰路12号3栋2单元501", "3栋", "2单元", "501"]),
            "华峰路12号3栋2单元501"
        );
        assert_eq!(compose_address(["", "3栋", "", "501"]), "3栋 501");
    }

    #[test]
    fn headers_match_with_markers_and_case() {
        assert_eq!(known(RESIDENT_COLUMNS, " 姓名* "), Some("name"));
        assert_eq!(known(RESIDENT_COLUMNS, "ID_Number"), Some("id_number"));
        assert_eq!(known(RESIDENT_COLUMNS, "备注"), None);
    }
}
