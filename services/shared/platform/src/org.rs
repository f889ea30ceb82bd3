//! The org tree district → street → community, loaded from a TOML file.
//!
//! Scope rules, event org paths and KPI roll-ups all walk this tree, so it is validated
//! once on load: every code is a lowercase slug (`[a-z0-9-]+`) and unique across the
//! whole tree, which lets a bare code name any unit unambiguously.
//!
//! ```toml
//! [district]
//! code = "gulou"
//! name = "鼓楼区"
//! [[district.streets]]
//! code = "huafeng"
//! name = "华峰街道"
//! [[district.streets.communities]]
//! code = "xingfu"
//! name = "幸福社区"
//! residents_estimate = 8200   # optional
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use civitas_kernel::OrgPath;
use serde::Deserialize;

/// The demo tree shipped in `deploy/org/demo.toml`.
const DEMO_TOML: &str = include_str!("../../../../deploy/org/demo.toml");

/// Why an org tree could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// The file could not be read.
    #[error("failed to read org tree {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The text is not a well-formed org tree document.
    #[error("invalid org tree: {0}")]
    Parse(#[from] toml::de::Error),
    /// A code is not a lowercase slug.
    #[error("invalid org unit code {code:?}: expected lowercase letters, digits and '-'")]
    InvalidCode { code: String },
    /// The same code names two units.
    #[error("duplicate org unit code {code:?}")]
    DuplicateCode { code: String },
    /// A unit has an empty name.
    #[error("org unit {code:?} has an empty name")]
    EmptyName { code: String },
}

/// The depth of a unit in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgLevel {
    /// The top of the tree (区).
    District,
    /// A street office (街道) below the district.
    Street,
    /// A residents' committee (社区) below a street; the unit that writes data.
    Community,
}

impl fmt::Display for OrgLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OrgLevel::District => "district",
            OrgLevel::Street => "street",
            OrgLevel::Community => "community",
        })
    }
}

/// One district, street or community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub level: OrgLevel,
    /// Code of the parent unit; `None` for the district.
    pub parent: Option<String>,
    /// Codes of the direct children, in file order.
    pub children: Vec<String>,
    /// Approximate population, used as a KPI denominator when present.
    pub residents_estimate: Option<u64>,
}

/// A validated, immutable org tree; cloning is cheap.
#[derive(Debug, Clone)]
pub struct OrgTree {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Depth-first, parents before children; the district is at index 0.
    units: Vec<OrgUnit>,
    index: HashMap<String, usize>,
}

// The three raw shapes differ only in which children they may hold, so a street under a
// community (or any misplaced key) is a parse error rather than silently ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Document {
    district: RawDistrict,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDistrict {
    code: String,
    name: String,
    residents_estimate: Option<u64>,
    #[serde(default)]
    streets: Vec<RawStreet>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStreet {
    code: String,
    name: String,
    residents_estimate: Option<u64>,
    #[serde(default)]
    communities: Vec<RawCommunity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommunity {
    code: String,
    name: String,
    residents_estimate: Option<u64>,
}

/// A parsed unit of any level, before validation.
struct Node {
    code: String,
    name: String,
    residents_estimate: Option<u64>,
    children: Vec<Node>,
}

impl From<RawDistrict> for Node {
    fn from(raw: RawDistrict) -> Self {
        Node {
            code: raw.code,
            name: raw.name,
            residents_estimate: raw.residents_estimate,
            children: raw.streets.into_iter().map(Node::from).collect(),
        }
    }
}

impl From<RawStreet> for Node {
    fn from(raw: RawStreet) -> Self {
        Node {
            code: raw.code,
            name: raw.name,
            residents_estimate: raw.residents_estimate,
            children: raw.communities.into_iter().map(Node::from).collect(),
        }
    }
}

impl From<RawCommunity> for Node {
    fn from(raw: RawCommunity) -> Self {
        Node {
            code: raw.code,
            name: raw.name,
            residents_estimate: raw.residents_estimate,
            children: Vec::new(),
        }
    }
}

impl OrgTree {
    /// Reads and validates the tree in the TOML file at `path`.
    pub fn load(path: &Path) -> Result<OrgTree, OrgError> {
        let text = std::fs::read_to_string(path).map_err(|source| OrgError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses and validates a tree from TOML text.
    pub fn parse(toml: &str) -> Result<OrgTree, OrgError> {
        let document: Document = toml::from_str(toml)?;
        let mut builder = Builder::default();
        builder.add(document.district.into(), OrgLevel::District, None)?;
        Ok(OrgTree {
            inner: Arc::new(Inner {
                units: builder.units,
                index: builder.index,
            }),
        })
    }

    /// The bundled demo tree (`deploy/org/demo.toml`): one district, 3 streets, 12
    /// communities.
    pub fn demo() -> OrgTree {
        // The file is compiled in and checked by a unit test, so this cannot fail at run time.
        Self::parse(DEMO_TOML).expect("bundled demo org tree is valid")
    }

    /// The district at the top of the tree.
    pub fn root(&self) -> &OrgUnit {
        &self.inner.units[0]
    }

    /// The unit with this code, if any.
    pub fn unit(&self, code: &str) -> Option<&OrgUnit> {
        self.inner.index.get(code).map(|&i| &self.inner.units[i])
    }

    /// Direct children of a unit, in file order; empty for communities and unknown codes.
    pub fn children(&self, code: &str) -> Vec<&OrgUnit> {
        self.unit(code)
            .map(|unit| unit.children.iter().filter_map(|c| self.unit(c)).collect())
            .unwrap_or_default()
    }

    /// Every community at or below a unit; a community returns itself.
    pub fn communities_under(&self, code: &str) -> Vec<&OrgUnit> {
        let mut out = Vec::new();
        let mut stack: Vec<&OrgUnit> = self.unit(code).into_iter().collect();
        while let Some(unit) = stack.pop() {
            if unit.level == OrgLevel::Community {
                out.push(unit);
            }
            // Reverse so the depth-first walk yields file order.
            stack.extend(unit.children.iter().rev().filter_map(|c| self.unit(c)));
        }
        out
    }

    /// The district/street/community path of a community; `None` for other codes.
    pub fn path_of(&self, community: &str) -> Option<OrgPath> {
        let unit = self.unit(community)?;
        if unit.level != OrgLevel::Community {
            return None;
        }
        let street = self.unit(unit.parent.as_deref()?)?;
        let district = street.parent.clone()?;
        Some(OrgPath {
            district,
            street: street.code.clone(),
            community: unit.code.clone(),
        })
    }

    /// Whether `code` is `ancestor` or lies below it; false if either is unknown.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        if self.unit(ancestor).is_none() {
            return false;
        }
        let mut current = self.unit(code);
        while let Some(unit) = current {
            if unit.code == ancestor {
                return true;
            }
            current = unit.parent.as_deref().and_then(|p| self.unit(p));
        }
        false
    }
}

#[derive(Default)]
struct Builder {
    units: Vec<OrgUnit>,
    index: HashMap<String, usize>,
}

impl Builder {
    fn add(&mut self, node: Node, level: OrgLevel, parent: Option<&str>) -> Result<(), OrgError> {
        validate_code(&node.code)?;
        if node.name.trim().is_empty() {
            return Err(OrgError::EmptyName { code: node.code });
        }
        if self.index.contains_key(&node.code) {
            return Err(OrgError::DuplicateCode { code: node.code });
        }
        self.index.insert(node.code.clone(), self.units.len());
        self.units.push(OrgUnit {
            code: node.code.clone(),
            name: node.name,
            level,
            parent: parent.map(str::to_owned),
            children: node.children.iter().map(|c| c.code.clone()).collect(),
            residents_estimate: node.residents_estimate,
        });
        let child_level = match level {
            OrgLevel::District => OrgLevel::Street,
            OrgLevel::Street | OrgLevel::Community => OrgLevel::Community,
        };
        for child in node.children {
            self.add(child, child_level, Some(&node.code))?;
        }
        Ok(())
    }
}

fn validate_code(code: &str) -> Result<(), OrgError> {
    let valid = !code.is_empty()
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(OrgError::InvalidCode {
            code: code.to_owned(),
        })
    }
}

#[cfg(test)]
#[path = "org_tests.rs"]
mod tests;
