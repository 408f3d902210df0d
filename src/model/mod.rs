//! The canonical employee record and the small vocabulary every other module shares.
//!
//! Both services are converted into [`Employee`] at the client boundary, so the planner, the
//! rules and the history never see a service's own field names.

mod employee;
mod field;
pub(crate) mod json;
mod raw;

pub use employee::{Employee, MasterItem, Masters, choices, emp_status, meant};
pub use field::{Field, FieldError};
pub use raw::Raw;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One of the two systems crewsync talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    #[serde(rename = "smarthr")]
    SmartHr,
    #[serde(rename = "kot")]
    Kot,
}

impl Service {
    /// The name a person knows the service by, used in every message.
    pub fn display_name(self) -> &'static str {
        match self {
            Service::SmartHr => "SmartHR",
            Service::Kot => "KING OF TIME",
        }
    }

    /// How a base URL for the service ends: the clients append the rest (`/v1/crews`,
    /// `/employees`). smarthr-api.md and kot-api.md, "Base URL".
    pub fn base_url_suffix(self) -> &'static str {
        match self {
            Service::SmartHr => "/api",
            Service::Kot => "/v1.0",
        }
    }

    /// A complete base URL, for messages that say what one looks like.
    pub fn example_base_url(self) -> &'static str {
        match self {
            Service::SmartHr => "https://acme.smarthr.jp/api",
            Service::Kot => "https://api.kingtime.jp/v1.0",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// Which way a sync runs. The spelling (`kot-to-smarthr`, `smarthr-to-kot`) is the one used on
/// the command line, in JSON, in the history and in rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Direction {
    #[serde(rename = "kot-to-smarthr")]
    KotToSmartHr,
    #[serde(rename = "smarthr-to-kot")]
    SmartHrToKot,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::KotToSmartHr, Direction::SmartHrToKot];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::KotToSmartHr => "kot-to-smarthr",
            Direction::SmartHrToKot => "smarthr-to-kot",
        }
    }

    pub fn source(self) -> Service {
        match self {
            Direction::KotToSmartHr => Service::Kot,
            Direction::SmartHrToKot => Service::SmartHr,
        }
    }

    pub fn target(self) -> Service {
        match self {
            Direction::KotToSmartHr => Service::SmartHr,
            Direction::SmartHrToKot => Service::Kot,
        }
    }

    /// Only KOT asks for an employment type on create; SmartHR's type is optional.
    pub fn target_needs_employment_type(self) -> bool {
        self.target() == Service::Kot
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A direction that is neither of the two spellings.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown direction '{0}': use 'kot-to-smarthr' or 'smarthr-to-kot'")]
pub struct UnknownDirection(pub String);

impl FromStr for Direction {
    type Err = UnknownDirection;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Direction::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownDirection(s.to_string()))
    }
}
