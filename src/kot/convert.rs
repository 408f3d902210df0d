//! KING OF TIME employee JSON ⇄ the canonical [`Employee`]. KOT leaves null properties out of
//! its answers, so a missing property reads as `None`.

use crate::model::json::{Fields, RecordError};
use crate::model::{Employee, Field, MasterItem, Raw};
use serde_json::{Map, Value};

/// The additional properties needed for every synced field; without them KOT sends only the
/// default set (no readings, dates or email).
pub const ADDITIONAL_FIELDS: &str =
    "lastNamePhonetics,firstNamePhonetics,hiredDate,birthDate,resignationDate,emailAddresses";

/// The employee property a field is written to; `None` for SmartHR's `emp_status`, which KOT
/// has no counterpart of (a plan into KOT never changes it).
pub fn field_key(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::LastName => "lastName",
        Field::FirstName => "firstName",
        Field::LastNameKana => "lastNamePhonetics",
        Field::FirstNameKana => "firstNamePhonetics",
        Field::Gender => "gender",
        Field::BirthDate => "birthDate",
        Field::Email => "emailAddresses",
        Field::HireDate => "hiredDate",
        Field::ResignationDate => "resignationDate",
        Field::Office => "divisionCode",
        Field::EmploymentType => "typeCode",
        Field::EmpStatus => return None,
    })
}

/// A field's value as KOT wants it written. A clear is an empty value, which KOT's PUT turns
/// into NULL. The email is the first entry of `emailAddresses` (as [`employee_from_kot`] reads
/// it); `current` is the record's list, whose other entries (KOT's 予備のメールアドレス, not
/// synced) are written back as they were, in their places.
fn field_value(field: Field, value: Option<&str>, current: &Raw) -> Value {
    match (field, value) {
        (Field::Email, new) => Value::Array(email_addresses(new, current)),
        (_, Some(v)) => Value::String(v.to_string()),
        (_, None) => Value::String(String::new()),
    }
}

/// `emailAddresses` with its first entry set to `new`. Clearing it leaves `""` in its place
/// when spare addresses follow, so that a spare is neither lost nor moved up to be read (and
/// synced) as the employee's address; with no spare, the list is emptied.
fn email_addresses(new: Option<&str>, current: &Raw) -> Vec<Value> {
    let mut list: Vec<Value> = match Fields::parse(current.text(), "employee") {
        Ok(obj) => match obj.value("emailAddresses") {
            Some(Value::Array(list)) => list,
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    let first = Value::String(new.unwrap_or_default().to_string());
    match list.first_mut() {
        Some(slot) => *slot = first,
        None => list.push(first),
    }
    if list
        .iter()
        .all(|v| v.as_str().is_some_and(|s| s.trim().is_empty()))
    {
        list.clear();
    }
    list
}

pub fn employee_from_kot(record: impl Into<Raw>) -> Result<Employee, RecordError> {
    let raw: Raw = record.into();
    let obj = Fields::parse(raw.text(), "employee")?;
    let dated = |key: &str| {
        obj.date(key).map_err(|e| RecordError::In {
            what: "employee",
            who: obj.text("code").unwrap_or_default(),
            error: Box::new(e),
        })
    };
    let master = |code_key: &str, name_key: &str| {
        obj.text(code_key).map(|id| MasterItem {
            name: obj.text(name_key).unwrap_or_else(|| id.clone()),
            id,
        })
    };
    // Only the first address is synced; the rest are spares (see `email_addresses`).
    let email = obj
        .value("emailAddresses")
        .as_ref()
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string);
    Ok(Employee {
        code: obj.text("code"),
        last_name: obj.text("lastName"),
        first_name: obj.text("firstName"),
        last_name_kana: obj.text("lastNamePhonetics"),
        first_name_kana: obj.text("firstNamePhonetics"),
        gender: obj.text("gender"),
        birth_date: dated("birthDate")?,
        email,
        hire_date: dated("hiredDate")?,
        resignation_date: dated("resignationDate")?,
        office: master("divisionCode", "divisionName"),
        employment_type: master("typeCode", "typeName"),
        target_id: obj.text("key"),
        raw,
        ..Employee::default()
    }
    .canonical())
}

/// Every value the employee has, as a create (or full PUT) body. Absent values are left out so
/// that KOT keeps its own defaults; `divisionCode` and `typeCode` come from the office and
/// employment type.
pub fn employee_to_kot(e: &Employee) -> Map<String, Value> {
    let mut body = Map::new();
    if let Some(code) = &e.code {
        body.insert("code".into(), Value::String(code.clone()));
    }
    for field in Field::ALL {
        if let (Some(key), Some(v)) = (field_key(field), e.get(field)) {
            body.insert(key.into(), field_value(field, Some(&v), &e.raw));
        }
    }
    body
}

/// A PUT body with only the changed fields. `current` is the record as KOT last sent it: a
/// changed part of a larger value (the first of `emailAddresses`) is written with the rest of
/// that value as it was.
pub fn changes_to_kot(changes: &[(Field, Option<String>)], current: &Raw) -> Map<String, Value> {
    changes
        .iter()
        .filter_map(|(f, v)| {
            let key = field_key(*f)?;
            Some((key.to_string(), field_value(*f, v.as_deref(), current)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_reference_example_and_missing_properties_as_none() {
        let raw = json!({"divisionCode":"1000","divisionName":"本社","gender":"female","typeCode":"1",
            "typeName":"正社員","code":"2000","lastName":"勤怠","firstName":"花子",
            "key":"c77a","emailAddresses":["kintaihanako@h-t.co.jp","spare@h-t.co.jp"],
            "employeeGroups":[{"code":"0003","name":"営業部"}]});
        let e = employee_from_kot(raw.clone()).unwrap();
        assert_eq!(e.code.as_deref(), Some("2000"));
        assert_eq!(e.email.as_deref(), Some("kintaihanako@h-t.co.jp"));
        assert_eq!(
            e.office,
            Some(MasterItem {
                id: "1000".into(),
                name: "本社".into()
            })
        );
        assert_eq!(e.employment_type.as_ref().unwrap().name, "正社員");
        assert_eq!(e.target_id.as_deref(), Some("c77a"));
        assert_eq!(e.last_name_kana, None);
        assert_eq!(e.birth_date, None);
        assert_eq!(e.resignation_date, None);
        assert_eq!(e.raw.to_value(), raw);
    }

    #[test]
    fn bodies_map_fields_and_clear_with_empty_values() {
        let e = Employee {
            code: Some("0042".into()),
            last_name: Some("勤怠".into()),
            email: Some("a@example.com".into()),
            birth_date: Some("1990-09-01".parse().unwrap()),
            office: Some(MasterItem {
                id: "1000".into(),
                name: "本社".into(),
            }),
            ..Employee::default()
        };
        let body = employee_to_kot(&e);
        assert_eq!(body["code"], "0042");
        assert_eq!(body["lastName"], "勤怠");
        assert_eq!(body["emailAddresses"], json!(["a@example.com"]));
        assert_eq!(body["birthDate"], "1990-09-01");
        assert_eq!(body["divisionCode"], "1000");
        assert!(!body.contains_key("firstName"));
        let body = changes_to_kot(
            &[
                (Field::Email, None),
                (Field::ResignationDate, None),
                (Field::EmploymentType, Some("2".into())),
            ],
            &Raw::default(),
        );
        assert_eq!(
            Value::Object(body),
            json!({"emailAddresses": [], "resignationDate": "", "typeCode": "2"})
        );
    }

    #[test]
    fn an_email_change_keeps_the_spare_addresses() {
        let current = Raw::from(json!({"emailAddresses": ["old@x.jp", "spare@x.jp"]}));
        let body = |new: Option<&str>| {
            Value::Object(changes_to_kot(
                &[(Field::Email, new.map(str::to_string))],
                &current,
            ))
        };
        assert_eq!(
            body(Some("new@x.jp")),
            json!({"emailAddresses": ["new@x.jp", "spare@x.jp"]})
        );
        // Cleared, the spare keeps its place and is not read as the address.
        assert_eq!(body(None), json!({"emailAddresses": ["", "spare@x.jp"]}));
        let cleared = employee_from_kot(json!({"emailAddresses": ["", "spare@x.jp"]})).unwrap();
        assert_eq!(cleared.email, None);
        let only = Raw::from(json!({"emailAddresses": ["old@x.jp"]}));
        assert_eq!(
            changes_to_kot(&[(Field::Email, None)], &only)["emailAddresses"],
            json!([])
        );
        let none = Raw::from(json!({"code": "1"}));
        assert_eq!(
            changes_to_kot(&[(Field::Email, Some("a@x.jp".into()))], &none)["emailAddresses"],
            json!(["a@x.jp"])
        );
    }
}
