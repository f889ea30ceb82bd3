//! `civitas import`: the shipped sample registers (deploy/samples) imported into the
//! embedded application over gRPC, read back through the read RPCs; a second run
//! creates nothing; a dry run of a file with bad rows names each bad row and column and
//! sends nothing; the .xlsx samples import exactly as the CSV ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use civitas::import::{self, ImportConfig, ImportReport, Kind};
use civitas_e2e::{id_number, RunningApp};
use civitas_platform::auth::Role;
use civitas_proto::residents::v1 as api;
use tonic::Code;

const COMMUNITY: &str = "xingfu";

/// A copy of a shipped sample in `dir` (the import writes its id list beside it).
fn sample(dir: &Path, name: &str) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy/samples")
        .join(name);
    let copy = dir.join(name);
    std::fs::copy(&shipped, &copy).unwrap_or_else(|e| panic!("copy {}: {e}", shipped.display()));
    copy
}

fn config(app: &RunningApp, kind: Kind, file: &Path) -> ImportConfig {
    let mut config = ImportConfig::new(
        kind,
        file,
        &app.addr,
        Some(app.token(Role::Staff, COMMUNITY)),
    );
    config.quiet = true;
    config
}

async fn import(config: &ImportConfig) -> ImportReport {
    let report = import::run(config).await.expect("the import runs");
    println!("{report}");
    report
}

/// Imports `households` then `residents` (with the id list the first wrote).
async fn import_both(
    app: &RunningApp,
    households: &Path,
    residents: &Path,
) -> (ImportReport, ImportReport) {
    let h = import(&config(app, Kind::Households, households)).await;
    let ids = h.ids_written.clone().expect("an id list is written").0;
    let mut r = config(app, Kind::Residents, residents);
    r.households = Some(ids);
    (h, import(&r).await)
}

/// One registered resident as the read RPCs show it to staff, with its household's
/// 户号 and its guardian's ID number in place of ids.
#[derive(Debug, PartialEq)]
struct Seen {
    household_no: String,
    name: String,
    phone: String,
    birth_date: (i32, i32, i32),
    sex: i32,
    residence_type: i32,
    guardian: String,
}

/// Everything the import registered, read back: 户号 → (grid, building, address) and
/// ID number → resident.
async fn read_back(
    app: &RunningApp,
    households: &ImportReport,
) -> (
    BTreeMap<String, (String, String, String)>,
    BTreeMap<String, Seen>,
) {
    let mut client = app.residents(Some(app.token(Role::Staff, COMMUNITY))).await;
    let mut homes = BTreeMap::new();
    let mut people = Vec::new();
    for (no, id) in &households.household_ids {
        let answer = client
            .get_household(api::GetHouseholdRequest {
                household_id: id.clone(),
            })
            .await
            .expect("the household is registered")
            .into_inner();
        let home = answer.household.expect("household");
        homes.insert(
            no.clone(),
            (
                home.grid,
                home.building,
                home.personal.expect("staff see the address").address,
            ),
        );
        people.extend(answer.residents.into_iter().map(|r| (no.clone(), r)));
    }
    let by_id: BTreeMap<String, String> = people
        .iter()
        .map(|(_, r)| {
            let p = r.personal.as_ref().expect("staff see personal data");
            (r.resident_id.clone(), p.id_number.clone())
        })
        .collect();
    let mut seen = BTreeMap::new();
    for (no, r) in people {
        let p = r.personal.expect("personal");
        let born = p.birth_date.expect("birth date");
        seen.insert(
            p.id_number.clone(),
            Seen {
                household_no: no,
                name: p.name,
                phone: p.phone,
                birth_date: (born.year, born.month, born.day),
                sex: r.sex,
                residence_type: r.residence_type,
                guardian: by_id
                    .get(&r.guardian_resident_id)
                    .cloned()
                    .unwrap_or_default(),
            },
        );
    }
    (homes, seen)
}

#[tokio::test]
async fn sample_registers_import_and_a_rerun_creates_nothing() {
    let app = RunningApp::start().await;
    let dir = civitas_testkit::temp_dir();
    let households = sample(dir.path(), "households.csv");
    let residents = sample(dir.path(), "residents.csv");

    let (h, r) = import_both(&app, &households, &residents).await;
    assert!(h.is_clean() && r.is_clean(), "{h}\n{r}");
    assert_eq!((h.read, h.created, h.already_present), (4, 4, 0), "{h}");
    assert_eq!((r.read, r.created, r.already_present), (6, 6, 0), "{r}");
    assert_eq!(r.ignored_columns, ["备注"], "an unknown column is named");
    assert_eq!(
        h.ids_written,
        Some((dir.path().join("households.ids.csv"), 4))
    );
    let listed = import::read_ids(&dir.path().join("households.ids.csv"), true).expect("ids");
    assert_eq!(listed, h.household_ids, "the id list holds every household");

    let (homes, people) = read_back(&app, &h).await;
    assert_eq!(
        homes["XF-0001"],
        (
            "第一网格".to_owned(),
            "3栋".to_owned(),
            "华峰路12号 3栋 1单元 101".to_owned()
        )
    );
    assert_eq!(
        homes["XF-0004"].2, "华峰路16号5栋302室",
        "parts the address holds already are not repeated"
    );
    assert_eq!(people.len(), 6);
    let father = id_number("33010619850312001");
    let daughter = &people[&id_number("33010620180302004")];
    assert_eq!(daughter.household_no, "XF-0002");
    assert_eq!(
        daughter.guardian, father,
        "the guardian is found by ID number"
    );
    assert_eq!(people[&father].phone, "0571-87654321");
    let li = &people[&id_number("32010219800517003")];
    assert_eq!(
        (li.name.as_str(), li.phone.as_str()),
        ("李建国", "13905710001")
    );
    assert_eq!(li.birth_date, (1980, 5, 17));

    // The same files again: every row answers as already present, nothing is added.
    let (h2, r2) = import_both(&app, &households, &residents).await;
    assert_eq!((h2.created, h2.already_present), (0, 4), "{h2}");
    assert_eq!((r2.created, r2.already_present), (0, 6), "{r2}");
    assert!(h2.is_clean() && r2.is_clean());
    assert_eq!(h2.household_ids, h.household_ids, "the same households");
    assert_eq!(r2.resident_ids, r.resident_ids, "the same residents");
    let (homes2, people2) = read_back(&app, &h2).await;
    assert_eq!((homes2, people2), (homes, people));
    app.stop().await;
}

#[tokio::test]
async fn the_xlsx_samples_import_as_the_csv_ones() {
    let (dir, dir_xlsx) = (civitas_testkit::temp_dir(), civitas_testkit::temp_dir());
    let from_csv = RunningApp::start().await;
    let (h, r) = import_both(
        &from_csv,
        &sample(dir.path(), "households.csv"),
        &sample(dir.path(), "residents.csv"),
    )
    .await;
    assert!(h.is_clean() && r.is_clean());
    let csv = read_back(&from_csv, &h).await;
    from_csv.stop().await;

    let from_xlsx = RunningApp::start().await;
    let (hx, rx) = import_both(
        &from_xlsx,
        &sample(dir_xlsx.path(), "households.xlsx"),
        &sample(dir_xlsx.path(), "residents.xlsx"),
    )
    .await;
    assert!(hx.is_clean() && rx.is_clean(), "{hx}\n{rx}");
    assert_eq!((hx.read, hx.created, rx.read, rx.created), (4, 4, 6, 6));
    let xlsx = read_back(&from_xlsx, &hx).await;
    assert_eq!(xlsx.1.len(), 6);
    assert_eq!(
        xlsx, csv,
        "the .xlsx registers the same households and residents"
    );
    from_xlsx.stop().await;
}

/// A residents register with a bad row of each kind, row numbers as a spreadsheet
/// shows them (the header is row 1; row 4 is blank).
fn bad_residents(household: &str) -> String {
    let ok = id_number("11010519600101001");
    let child = id_number("11010520200101002");
    let bad_check = {
        let good = id_number("11010519700101003");
        let wrong = if good.ends_with('0') { '1' } else { '0' };
        format!("{}{wrong}", &good[..17])
    };
    [
        "户ID,姓名,身份证号,手机,出生日期,性别,居住类型,监护人身份证号".to_owned(),
        format!("{household},赵一,{ok},13812345678,1960-01-01,男,户籍,"),
        format!(
            "{household},,{},13812345678,,,户籍,",
            id_number("11010519800101005")
        ),
        ",,,,,,,".to_owned(),
        format!("{household},钱二,{bad_check},,,,流动,"),
        format!(
            "{household},孙三,{},12345,,,户籍,",
            id_number("11010519800101013")
        ),
        format!(
            "{household},李四,{},,1980-02-02,女,户籍,",
            id_number("11010519800101021")
        ),
        format!(
            "{household},周五,{},,,,本地,",
            id_number("11010519800101048")
        ),
        format!("{household},吴六,{child},,,,户籍,"),
        format!("{household},郑七,{ok},,,,户籍,"),
        format!(
            "not-a-uuid,王八,{},,,,户籍,",
            id_number("11010519800101064")
        ),
    ]
    .join("\n")
}

#[tokio::test]
async fn a_dry_run_names_every_bad_row_and_sends_nothing() {
    let app = RunningApp::start().await;
    let dir = civitas_testkit::temp_dir();
    let mut client = app.residents(Some(app.token(Role::Staff, COMMUNITY))).await;
    let household = civitas_e2e::register_household(&mut client, "华峰路 1 号").await;
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, bad_residents(&household)).expect("write");

    let mut dry = config(&app, Kind::Residents, &file);
    dry.dry_run = true;
    dry.server.token = None;
    let report = import(&dry).await;
    let found: Vec<(usize, String)> = report
        .problems
        .iter()
        .map(|p| (p.row, p.field.clone()))
        .collect();
    let expected: Vec<(usize, String)> = [
        (3, "姓名 (name)"),
        (5, "身份证号 (id_number)"),
        (6, "手机 (phone)"),
        (7, "出生日期 (birth_date)"),
        (7, "性别 (sex)"),
        (8, "居住类型 (residence_type)"),
        (9, "监护人身份证号 (guardian_id_number)"),
        (10, "身份证号 (id_number)"),
        (11, "户ID (household_id)"),
    ]
    .into_iter()
    .map(|(row, field)| (row, field.to_owned()))
    .collect();
    assert_eq!(found, expected, "{report}");
    assert!(report.problems[1].reason.contains("check character"));
    assert!(report.problems[7].reason.contains("repeats row 2"));
    assert_eq!((report.read, report.valid, report.refused()), (9, 1, 8));
    assert!(!report.is_clean(), "refused rows make the command fail");
    let text = report.to_string();
    assert!(
        text.contains("row 9, 监护人身份证号 (guardian_id_number): is required"),
        "{text}"
    );
    assert!(text.contains("nothing was sent"));
    let nothing = client
        .find_resident_by_id_number(api::FindResidentByIdNumberRequest {
            id_number: id_number("11010519600101001"),
        })
        .await
        .expect_err("the one good row was not sent");
    assert_eq!(nothing.code(), Code::NotFound);

    // A real run sends the good row only, and reports what the service refused too.
    let mut real = config(&app, Kind::Residents, &file);
    real.dry_run = false;
    let report = import(&real).await;
    assert_eq!((report.created, report.refused()), (1, 8), "{report}");
    client
        .find_resident_by_id_number(api::FindResidentByIdNumberRequest {
            id_number: id_number("11010519600101001"),
        })
        .await
        .expect("the good row is registered");

    // A household the service does not know is refused by the service, naming the row.
    let unknown = dir.path().join("unknown.csv");
    std::fs::write(
        &unknown,
        format!(
            "household_id,name,id_number,residence_type\n{},钱九,{},permanent\n",
            uuid::Uuid::now_v7(),
            id_number("11010519800101072")
        ),
    )
    .expect("write");
    let report = import(&config(&app, Kind::Residents, &unknown)).await;
    assert_eq!(report.created, 0);
    assert_eq!(report.problems.len(), 1, "{report}");
    assert_eq!(
        (report.problems[0].row, report.problems[0].field.as_str()),
        (2, "household_id")
    );
    assert!(report.problems[0].reason.contains("not found"), "{report}");

    // A households dry run writes no id list.
    let households = dir.path().join("h.csv");
    std::fs::write(
        &households,
        "户号,网格,楼栋,门牌\nA1,G1,1栋,101\nA2,,1栋,102\nA1,G1,1栋,103\nA4,G1,1栋,\n",
    )
    .expect("write");
    let mut dry = config(&app, Kind::Households, &households);
    dry.dry_run = true;
    let report = import(&dry).await;
    let found: Vec<(usize, &str)> = report
        .problems
        .iter()
        .map(|p| (p.row, p.field.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (3, "网格 (grid)"),
            (4, "户号 (household_no)"),
            (5, "address")
        ],
        "{report}"
    );
    assert!(!dry.ids_path().exists(), "a dry run writes nothing");
    app.stop().await;
}

#[tokio::test]
async fn a_refused_token_stops_the_import() {
    let app = RunningApp::start().await;
    let dir = civitas_testkit::temp_dir();
    let mut config = config(
        &app,
        Kind::Households,
        &sample(dir.path(), "households.csv"),
    );
    config.server.token = Some("not-a-token".into());
    let report = import(&config).await;
    assert_eq!(report.created, 0);
    assert!(report.stopped.is_some(), "{report}");
    assert!(!report.is_clean());
    assert!(report.ids_written.is_none());
    app.stop().await;
}
