//! SmartHR crew JSON ⇄ the canonical [`Employee`].

use crate::model::json::{Fields, RecordError};
use crate::model::{Employee, Field, MasterItem, Raw, emp_status};
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// The crew property a field is written to.
pub fn field_key(field: Field) -> &'static str {
    match field {
        Field::LastName => "last_name",
        Field::FirstName => "first_name",
        Field::LastNameKana => "last_name_yomi",
        Field::FirstNameKana => "first_name_yomi",
        Field::Gender => "gender",
        Field::BirthDate => "birth_at",
        Field::Email => "email",
        Field::HireDate => "entered_at",
        Field::ResignationDate => "resigned_at",
        Field::Office => "biz_establishment_id",
        Field::EmploymentType => "employment_type_id",
        Field::EmpStatus => "emp_status",
    }
}

/// Reads a crew. The office's name comes from an embedded `biz_establishment` when the server
/// sent one; otherwise it is left as the id, for the caller to fill from the master list.
pub fn crew_to_employee(record: impl Into<Raw>) -> Result<Employee, RecordError> {
    let raw: Raw = record.into();
    let obj = Fields::parse(raw.text(), "crew")?;
    let dated = |key: &str| {
        obj.date(key).map_err(|e| RecordError::In {
            what: "crew",
            who: obj
                .text("emp_code")
                .or_else(|| obj.text("id"))
                .unwrap_or_default(),
            error: Box::new(e),
        })
    };
    let embedded = obj.object("biz_establishment");
    let office = obj
        .text("biz_establishment_id")
        .or_else(|| embedded.as_ref().and_then(|b| b.text("id")))
        .map(|id| MasterItem {
            name: embedded
                .as_ref()
                .and_then(|b| b.text("name"))
                .unwrap_or_else(|| id.clone()),
            id,
        });
    let employment_type = obj.object("employment_type").and_then(|t| {
        let id = t.text("id")?;
        Some(MasterItem {
            name: t.text("name").unwrap_or_else(|| id.clone()),
            id,
        })
    });
    Ok(Employee {
        code: obj.text("emp_code"),
        code_key: None,
        last_name: obj.text("last_name"),
        first_name: obj.text("first_name"),
        last_name_kana: obj.text("last_name_yomi"),
        first_name_kana: obj.text("first_name_yomi"),
        gender: obj.text("gender"),
        birth_date: dated("birth_at")?,
        email: obj.text("email"),
        hire_date: dated("entered_at")?,
        resignation_date: dated("resigned_at")?,
        business_last_name: obj.text("business_last_name"),
        business_first_name: obj.text("business_first_name"),
        business_last_name_kana: obj.text("business_last_name_yomi"),
        business_first_name_kana: obj.text("business_first_name_yomi"),
        office,
        employment_type,
        status: obj.text("emp_status"),
        target_id: obj.text("id"),
        raw,
    }
    .canonical())
}

/// The body of a create. Values the employee lacks are left out rather than sent as null, so
/// SmartHR applies its own defaults. `emp_status` follows the resignation date
/// ([`emp_status`]: `retired` when it is before `today`).
pub fn employee_to_crew(
    e: &Employee,
    office_id: &str,
    employment_type_id: Option<&str>,
    today: NaiveDate,
) -> Map<String, Value> {
    let mut body = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value {
            body.insert(key.to_string(), Value::String(v));
        }
    };
    put("emp_code", e.code.clone());
    put(
        field_key(Field::EmpStatus),
        Some(emp_status(None, e.resignation_date, today).to_string()),
    );
    for field in Field::SYNCED {
        put(field_key(field), e.get(field));
    }
    put("business_last_name", e.business_last_name.clone());
    put("business_first_name", e.business_first_name.clone());
    put("business_last_name_yomi", e.business_last_name_kana.clone());
    put(
        "business_first_name_yomi",
        e.business_first_name_kana.clone(),
    );
    put(field_key(Field::Office), Some(office_id.to_string()));
    put(
        field_key(Field::EmploymentType),
        employment_type_id.map(str::to_string),
    );
    body
}

/// The body of an update: the changed fields, `null` clearing one. The plan lists a change of
/// `emp_status` wherever the resignation date it writes calls for one (see [`emp_status`]), so
/// the body holds exactly what the plan showed.
pub fn changes_to_crew(changes: &[(Field, Option<String>)]) -> Map<String, Value> {
    changes
        .iter()
        .map(|(field, value)| {
            (
                field_key(*field).to_string(),
                value.clone().map_or(Value::Null, Value::String),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn reads_the_reference_sample_crew() {
        let raw = json!({
            "id": "0723a1df", "biz_establishment_id": "86b12705", "emp_code": "00027",
            "employment_type": { "id": "3a54c46e", "name": "正社員", "preset_type": "full_timer" },
            "emp_status": "employed", "last_name": "苗字", "first_name": "名前",
            "last_name_yomi": "ミョウジ", "first_name_yomi": "ナマエ",
            "business_last_name": "ビジネス苗字", "business_first_name": "ビジネス名前",
            "birth_at": "1937-02-06", "gender": "female", "email": "dylan@example.com",
            "entered_at": "2011-11-01", "resigned_at": null
        });
        let e = crew_to_employee(raw.clone()).unwrap();
        assert_eq!(e.code.as_deref(), Some("00027"));
        assert_eq!(e.last_name_kana.as_deref(), Some("ミョウジ"));
        assert_eq!(e.birth_date, Some(d("1937-02-06")));
        assert_eq!(e.hire_date, Some(d("2011-11-01")));
        assert_eq!(e.resignation_date, None);
        assert_eq!(e.business_first_name.as_deref(), Some("ビジネス名前"));
        assert_eq!(
            e.office,
            Some(MasterItem {
                id: "86b12705".into(),
                name: "86b12705".into()
            })
        );
        assert_eq!(e.employment_type.unwrap().name, "正社員");
        assert_eq!(e.target_id.as_deref(), Some("0723a1df"));
        assert_eq!(e.raw.to_value(), raw);
    }

    #[test]
    fn embedded_office_gives_its_name_and_bad_dates_are_named() {
        let e = crew_to_employee(json!({
            "id": "c1", "biz_establishment": {"id": "b1", "name": "本社"}
        }))
        .unwrap();
        assert_eq!(
            e.office,
            Some(MasterItem {
                id: "b1".into(),
                name: "本社".into()
            })
        );
        let err = crew_to_employee(json!({"id": "c1", "emp_code": "7", "birth_at": "1990/01/01"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("birth_at") && err.contains("1990/01/01") && err.contains('7'),
            "{err}"
        );
        assert!(crew_to_employee(json!([1])).is_err());
    }

    #[test]
    fn create_body_maps_fields_and_retires_past_leavers() {
        let mut e = Employee {
            code: Some("0001".into()),
            last_name: Some("山田".into()),
            last_name_kana: Some("ヤマダ".into()),
            hire_date: Some(d("2024-04-01")),
            resignation_date: Some(d("2025-03-31")),
            ..Employee::default()
        };
        let body = employee_to_crew(&e, "office-1", Some("type-1"), d("2025-04-01"));
        assert_eq!(body["emp_code"], "0001");
        assert_eq!(body["last_name_yomi"], "ヤマダ");
        assert_eq!(body["entered_at"], "2024-04-01");
        assert_eq!(body["resigned_at"], "2025-03-31");
        assert_eq!(body["emp_status"], "retired");
        assert_eq!(body["biz_establishment_id"], "office-1");
        assert_eq!(body["employment_type_id"], "type-1");
        assert!(!body.contains_key("email"));
        e.resignation_date = Some(d("2025-04-01"));
        let body = employee_to_crew(&e, "office-1", None, d("2025-04-01"));
        assert_eq!(body["emp_status"], "employed");
        assert!(!body.contains_key("employment_type_id"));
    }

    #[test]
    fn update_body_holds_the_changes_and_nothing_else() {
        let body = changes_to_crew(&[
            (Field::Email, None),
            (Field::ResignationDate, Some("2026-11-25".into())),
            (Field::EmpStatus, Some("retired".into())),
        ]);
        assert_eq!(
            Value::Object(body),
            json!({"email": null, "resigned_at": "2026-11-25", "emp_status": "retired"})
        );
    }
}
