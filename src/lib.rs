//! crewsync: keeps employee master data in step between SmartHR and KING OF TIME.
//!
//! The binary is a thin layer over this library so that the coming web dashboard can make the
//! same calls. One concern per module:
//!
//! - [`model`]: the canonical employee record both services are converted into.
//! - [`http`]: rate limiting, retries and error classification shared by the two clients.
//! - [`smarthr`], [`kot`]: the API clients.
//! - [`sim`]: faithful simulators of both APIs, for the demo and the tests.
//! - [`plan`]: what a sync would do; [`apply`]: doing it.
//! - [`rules`]: integrators' Rhai scripts that decide per employee.
//! - [`history`]: the SQLite run history; [`email`]: the completion email.
//! - [`render`]: tables and JSON for people and scripts; [`text`]: record text as people read
//!   it (normalised for comparing, made safe for showing).
//! - [`config`]: the YAML configuration; [`window`]: KOT's access windows; [`clock`]: JST
//!   and "today" there.
//! - [`redact`]: the one place tokens and passwords are taken out of text.
//! - [`error`]: the error vocabulary both front ends render (remedies, places, values).
//! - [`workflow`]: the steps in order (fetch, plan, apply, record, email) that the CLI and the
//!   dashboard both drive.

pub mod apply;
pub mod clock;
pub mod config;
pub mod email;
pub mod error;
pub mod history;
pub mod http;
pub mod kot;
pub mod model;
pub mod plan;
pub mod redact;
pub mod render;
pub mod rules;
pub mod sim;
pub mod smarthr;
pub mod suggest;
pub mod text;
pub mod web;
pub mod window;
pub mod workflow;
