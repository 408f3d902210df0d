//! Where an apply writes: the target service's client, whichever direction the run goes.

use crate::model::{Employee, Field, MasterItem};
use crate::{http::ApiError, kot, smarthr};
use chrono::NaiveDate;

/// The target of a run, for writes.
pub enum Target<'a> {
    SmartHr(&'a smarthr::Client),
    /// KOT applies division and type changes from `update_date` on.
    Kot {
        client: &'a kot::Client,
        update_date: NaiveDate,
    },
}

impl<'a> Target<'a> {
    pub async fn create(
        &self,
        employee: &Employee,
        office: Option<&MasterItem>,
        employment_type: Option<&MasterItem>,
    ) -> Result<Employee, ApiError> {
        let office = office.map(|m| m.id.as_str()).unwrap_or_default();
        let etype = employment_type.map(|m| m.id.as_str());
        match self {
            Target::SmartHr(c) => c.create_crew(employee, office, etype).await,
            Target::Kot { client, .. } => {
                client
                    .create_employee(employee, office, etype.unwrap_or_default())
                    .await
            }
        }
    }

    /// Writes `changes` to the record `id`; `current` is that record as the plan read it, for
    /// a client that must write part of a larger value (see [`kot::Client::update_employee`]).
    pub async fn update(
        &self,
        id: &str,
        changes: &[(Field, Option<String>)],
        current: &crate::model::Raw,
    ) -> Result<Employee, ApiError> {
        match self {
            Target::SmartHr(c) => c.update_crew(id, changes).await,
            Target::Kot {
                client,
                update_date,
            } => {
                client
                    .update_employee(id, changes, current, *update_date)
                    .await
            }
        }
    }
}
