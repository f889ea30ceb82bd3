use super::*;

fn codes(units: Vec<&OrgUnit>) -> Vec<&str> {
    units.into_iter().map(|u| u.code.as_str()).collect()
}

const SMALL: &str = r#"
    [district]
    code = "d"
    name = "区"
    [[district.streets]]
    code = "s1"
    name = "一街道"
    [[district.streets.communities]]
    code = "c1"
    name = "一社区"
    residents_estimate = 100
    [[district.streets.communities]]
    code = "c2"
    name = "二社区"
    [[district.streets]]
    code = "s2"
    name = "二街道"
    [[district.streets.communities]]
    code = "c3"
    name = "三社区"
"#;

#[test]
fn demo_tree_has_one_district_three_streets_twelve_communities() {
    let tree = OrgTree::demo();
    assert_eq!(tree.root().code, "gulou");
    assert_eq!(tree.root().level, OrgLevel::District);
    assert_eq!(tree.children("gulou").len(), 3);
    assert_eq!(tree.communities_under("gulou").len(), 12);
    for street in tree.children("gulou") {
        assert_eq!(tree.communities_under(&street.code).len(), 4);
    }
    assert_eq!(tree.unit("xingfu").unwrap().residents_estimate, Some(8200));
}

#[test]
fn navigation_follows_file_order() {
    let tree = OrgTree::parse(SMALL).unwrap();
    assert_eq!(codes(tree.children("d")), ["s1", "s2"]);
    assert_eq!(codes(tree.children("s1")), ["c1", "c2"]);
    assert!(tree.children("c1").is_empty());
    assert!(tree.children("nope").is_empty());
    assert_eq!(codes(tree.communities_under("d")), ["c1", "c2", "c3"]);
    assert_eq!(codes(tree.communities_under("s2")), ["c3"]);
    assert_eq!(codes(tree.communities_under("c2")), ["c2"]);
    assert!(tree.communities_under("nope").is_empty());
    let c1 = tree.unit("c1").unwrap();
    assert_eq!(c1.parent.as_deref(), Some("s1"));
    assert_eq!(c1.residents_estimate, Some(100));
    assert_eq!(tree.unit("c2").unwrap().residents_estimate, None);
}

#[test]
fn path_of_only_resolves_communities() {
    let tree = OrgTree::parse(SMALL).unwrap();
    assert_eq!(
        tree.path_of("c3"),
        Some(OrgPath {
            district: "d".into(),
            street: "s2".into(),
            community: "c3".into(),
        })
    );
    assert_eq!(tree.path_of("s1"), None);
    assert_eq!(tree.path_of("d"), None);
    assert_eq!(tree.path_of("nope"), None);
}

#[test]
fn is_within_includes_self_and_ancestors_only() {
    let tree = OrgTree::parse(SMALL).unwrap();
    assert!(tree.is_within("c1", "c1"));
    assert!(tree.is_within("c1", "s1"));
    assert!(tree.is_within("c1", "d"));
    assert!(tree.is_within("s2", "d"));
    assert!(!tree.is_within("c1", "s2"));
    assert!(!tree.is_within("s1", "c1"));
    assert!(!tree.is_within("nope", "d"));
    assert!(!tree.is_within("c1", "nope"));
}

#[test]
fn duplicate_code_is_rejected_by_name() {
    let text = SMALL.replace("code = \"c3\"", "code = \"c1\"");
    let err = OrgTree::parse(&text).unwrap_err();
    assert_eq!(err.to_string(), "duplicate org unit code \"c1\"");
}

#[test]
fn code_reused_across_levels_is_rejected() {
    let text = SMALL.replace("code = \"s2\"", "code = \"d\"");
    assert!(matches!(
        OrgTree::parse(&text),
        Err(OrgError::DuplicateCode { code }) if code == "d"
    ));
}

#[test]
fn bad_codes_are_rejected_by_name() {
    for bad in ["Xingfu", "xing fu", "", "幸福", "xing_fu"] {
        let text = SMALL.replace("code = \"c2\"", &format!("code = {bad:?}"));
        match OrgTree::parse(&text) {
            Err(OrgError::InvalidCode { code }) => assert_eq!(code, bad),
            other => panic!("expected invalid code for {bad:?}, got {other:?}"),
        }
    }
}

#[test]
fn empty_name_and_unknown_fields_are_rejected() {
    let text = SMALL.replace("name = \"二社区\"", "name = \"\"");
    assert!(matches!(
        OrgTree::parse(&text),
        Err(OrgError::EmptyName { .. })
    ));
    let text = SMALL.replace("residents_estimate = 100", "residents = 100");
    assert!(matches!(OrgTree::parse(&text), Err(OrgError::Parse(_))));
    let text =
        format!("{SMALL}\n[[district.streets.communities.streets]]\ncode = \"x\"\nname = \"x\"\n");
    assert!(matches!(OrgTree::parse(&text), Err(OrgError::Parse(_))));
}

#[test]
fn load_reads_a_file_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("org.toml");
    std::fs::write(&path, SMALL).unwrap();
    assert_eq!(OrgTree::load(&path).unwrap().root().code, "d");
    let missing = dir.path().join("absent.toml");
    assert!(matches!(
        OrgTree::load(&missing),
        Err(OrgError::Read { .. })
    ));
}

#[test]
fn level_displays_lowercase() {
    assert_eq!(OrgLevel::District.to_string(), "district");
    assert_eq!(OrgLevel::Street.to_string(), "street");
    assert_eq!(OrgLevel::Community.to_string(), "community");
}
