use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A field that can differ between the two sides. The canonical names are part of the public
/// interface: they appear in plan output, in the history and in rules.
///
/// `Office` and `EmploymentType` are compared only when a rule opts in to moving existing
/// employees; by default updates never touch them (as in the closed SmartHR feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    LastName,
    FirstName,
    LastNameKana,
    FirstNameKana,
    Gender,
    BirthDate,
    Email,
    HireDate,
    ResignationDate,
    Office,
    EmploymentType,
    /// SmartHR `emp_status` (在籍 `employed`, 休職 `absent`, 退職 `retired`), which SmartHR
    /// keeps apart from the dates. Never synced as such: the plan changes it only to keep it
    /// consistent with the resignation date it writes (see [`super::emp_status`]). Rules cannot
    /// name it, so it is left out of [`Field::ALL`].
    EmpStatus,
}

impl Field {
    /// The fields the closed feature syncs, in the order they are shown.
    pub const SYNCED: [Field; 9] = [
        Field::LastName,
        Field::FirstName,
        Field::LastNameKana,
        Field::FirstNameKana,
        Field::Gender,
        Field::BirthDate,
        Field::Email,
        Field::HireDate,
        Field::ResignationDate,
    ];

    /// Every field: the synced ones, then office and employment type.
    pub const ALL: [Field; 11] = {
        let mut all = [Field::Office; 11];
        let mut i = 0;
        while i < Field::SYNCED.len() {
            all[i] = Field::SYNCED[i];
            i += 1;
        }
        all[10] = Field::EmploymentType;
        all
    };

    pub fn name(self) -> &'static str {
        match self {
            Field::LastName => "last_name",
            Field::FirstName => "first_name",
            Field::LastNameKana => "last_name_kana",
            Field::FirstNameKana => "first_name_kana",
            Field::Gender => "gender",
            Field::BirthDate => "birth_date",
            Field::Email => "email",
            Field::HireDate => "hire_date",
            Field::ResignationDate => "resignation_date",
            Field::Office => "office",
            Field::EmploymentType => "employment_type",
            Field::EmpStatus => "emp_status",
        }
    }

    pub fn is_date(self) -> bool {
        matches!(
            self,
            Field::BirthDate | Field::HireDate | Field::ResignationDate
        )
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value or field name that does not fit the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("unknown field '{0}'; the fields are: {list}", list = Field::ALL.map(Field::name).join(", "))]
    UnknownField(String),
    #[error("'{value}' is not a date for {field} (use YYYY-MM-DD, e.g. 2024-04-01)")]
    BadDate { field: Field, value: String },
}

impl FromStr for Field {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A match rather than a search of `ALL`: rules name fields for every employee.
        Ok(match s {
            "last_name" => Field::LastName,
            "first_name" => Field::FirstName,
            "last_name_kana" => Field::LastNameKana,
            "first_name_kana" => Field::FirstNameKana,
            "gender" => Field::Gender,
            "birth_date" => Field::BirthDate,
            "email" => Field::Email,
            "hire_date" => Field::HireDate,
            "resignation_date" => Field::ResignationDate,
            "office" => Field::Office,
            "employment_type" => Field::EmploymentType,
            _ => return Err(FieldError::UnknownField(s.to_string())),
        })
    }
}

/// Parses a canonical `YYYY-MM-DD` date, naming the field when it is not one.
pub fn parse_date(field: Field, value: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| FieldError::BadDate {
        field,
        value: value.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_parses_from_its_name_and_nothing_else_does() {
        for field in Field::ALL {
            assert_eq!(field.name().parse::<Field>(), Ok(field));
        }
        let err = "e_mail".parse::<Field>().unwrap_err().to_string();
        assert!(err.contains("'e_mail'") && err.contains("email"), "{err}");
    }
}
