//! What the simulators hold, in compact typed form (a 100,000-employee roster as JSON values
//! would cost several hundred megabytes), and how each record is rendered in its API's shape.
//!
//! References between records (a crew's office, departments, custom-field templates; a KOT
//! employee's division, type and groups) are kept as ids and resolved at render time, as the
//! real services do, so that a master's name shows the same everywhere.

use super::Refusal;
use chrono::NaiveDate;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

/// Timestamp given to seeded records; writes stamp the real time.
pub const SEED_TIMESTAMP: &str = "2024-04-01T09:00:00.000+09:00";

#[derive(Debug, Clone, PartialEq)]
pub struct BizEstablishment {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmploymentType {
    pub id: String,
    pub name: String,
    /// `full_timer`, `contract_worker`, `part_timer`, ... or `None` for a custom type.
    pub preset_type: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: String,
    pub name: String,
    pub full_name: String,
    pub position: u32,
    pub code: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldTemplate {
    pub id: String,
    pub name: String,
    /// `string`, `text`, `decimal`, `date`, `enum`, `file`.
    pub kind: String,
}

/// SmartHR's master data, which the simulator serves read-only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SmartHrMasters {
    pub biz_establishments: Vec<BizEstablishment>,
    pub employment_types: Vec<EmploymentType>,
    pub departments: Vec<Department>,
    pub custom_field_templates: Vec<CustomFieldTemplate>,
}

/// A SmartHR crew. Every attribute but `id` may be null, as SmartHR returns them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Crew {
    pub id: String,
    pub emp_code: Option<String>,
    pub emp_status: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name_yomi: Option<String>,
    pub first_name_yomi: Option<String>,
    pub business_last_name: Option<String>,
    pub business_first_name: Option<String>,
    pub business_last_name_yomi: Option<String>,
    pub business_first_name_yomi: Option<String>,
    pub birth_at: Option<NaiveDate>,
    pub gender: Option<String>,
    pub email: Option<String>,
    pub tel_number: Option<String>,
    /// 住所: `{country_number, zip_code, pref, city, street, building, literal_yomi}` (and its
    /// `id`), kept as given.
    pub address: Option<Value>,
    /// 業務内容.
    pub occupation: Option<String>,
    pub entered_at: Option<NaiveDate>,
    pub resigned_at: Option<NaiveDate>,
    pub resigned_reason: Option<String>,
    pub biz_establishment_id: Option<String>,
    pub employment_type_id: Option<String>,
    pub department_ids: Vec<String>,
    /// `(template id, value)`.
    pub custom_fields: Vec<(String, Value)>,
    pub created_at: String,
    pub updated_at: String,
}

/// A writable scalar attribute of a record, so that parsing a request body and seeding from
/// JSON share one list of attribute names per API.
pub(crate) enum Slot<'a> {
    Text(&'a mut Option<String>),
    Date(&'a mut Option<NaiveDate>),
    /// KOT `emailAddresses`.
    List(&'a mut Vec<String>),
    /// KOT `allDayRegardingWorkInMinute`.
    Int(&'a mut Option<i64>),
}

impl Crew {
    pub(crate) fn slot(&mut self, key: &str) -> Option<Slot<'_>> {
        use Slot::{Date, Text};
        Some(match key {
            "emp_code" => Text(&mut self.emp_code),
            "emp_status" => Text(&mut self.emp_status),
            "last_name" => Text(&mut self.last_name),
            "first_name" => Text(&mut self.first_name),
            "last_name_yomi" => Text(&mut self.last_name_yomi),
            "first_name_yomi" => Text(&mut self.first_name_yomi),
            "business_last_name" => Text(&mut self.business_last_name),
            "business_first_name" => Text(&mut self.business_first_name),
            "business_last_name_yomi" => Text(&mut self.business_last_name_yomi),
            "business_first_name_yomi" => Text(&mut self.business_first_name_yomi),
            "birth_at" => Date(&mut self.birth_at),
            "gender" => Text(&mut self.gender),
            "email" => Text(&mut self.email),
            "tel_number" => Text(&mut self.tel_number),
            "occupation" => Text(&mut self.occupation),
            "entered_at" => Date(&mut self.entered_at),
            "resigned_at" => Date(&mut self.resigned_at),
            "resigned_reason" => Text(&mut self.resigned_reason),
            "biz_establishment_id" => Text(&mut self.biz_establishment_id),
            "employment_type_id" => Text(&mut self.employment_type_id),
            _ => return None,
        })
    }

    /// Builds a crew from JSON in either the response shape (`employment_type` object,
    /// `departments` objects, `custom_fields` with `template`) or the request shape
    /// (`employment_type_id`, `department_ids`, `template_id`), without validation: seeding
    /// may deliberately hold data the API would refuse.
    pub fn from_json(v: &Value) -> Crew {
        let mut crew = Crew {
            created_at: SEED_TIMESTAMP.to_string(),
            updated_at: SEED_TIMESTAMP.to_string(),
            ..Crew::default()
        };
        let Some(obj) = v.as_object() else {
            return crew;
        };
        for (k, v) in obj {
            match (k.as_str(), crew.slot(k)) {
                (_, Some(slot)) => set_leniently(slot, v),
                ("id", None) => crew.id = text(v).unwrap_or_default(),
                ("created_at", None) => crew.created_at = text(v).unwrap_or_default(),
                ("updated_at", None) => crew.updated_at = text(v).unwrap_or_default(),
                ("employment_type", None) => crew.employment_type_id = text(&v["id"]),
                ("address", None) => crew.address = Some(v.clone()).filter(|v| !v.is_null()),
                ("departments", None) => crew.department_ids = ids(v, |d| &d["id"]),
                ("department_ids", None) => crew.department_ids = ids(v, |d| d),
                ("custom_fields", None) => {
                    crew.custom_fields = items(v)
                        .filter_map(|f| {
                            let id = text(&f["template_id"]).or_else(|| text(&f["template"]["id"]));
                            Some((id?, f["value"].clone()))
                        })
                        .collect()
                }
                _ => {}
            }
        }
        crew
    }

    /// The crew as SmartHR returns it: every attribute present, null when unset.
    pub fn to_json(&self, m: &SmartHrMasters) -> Value {
        // Serialising into a Value cannot fail: every key is a string.
        serde_json::to_value(self.json(m)).unwrap_or(Value::Null)
    }

    /// The crew ready to serialise without building a `Value` first, which is most of the cost
    /// of a page of a 50k-crew roster.
    pub fn json<'a>(&'a self, masters: &'a SmartHrMasters) -> CrewJson<'a> {
        CrewJson {
            crew: self,
            masters,
        }
    }
}

/// See [`Crew::json`]. Keys are written in sorted order, as a `Value` map writes them, so that
/// both renderings are the same bytes.
pub struct CrewJson<'a> {
    crew: &'a Crew,
    masters: &'a SmartHrMasters,
}

impl Serialize for CrewJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (c, m) = (self.crew, self.masters);
        let employment_type = c
            .employment_type_id
            .as_ref()
            .and_then(|id| m.employment_types.iter().find(|t| &t.id == id));
        let departments: Vec<&Department> = c
            .department_ids
            .iter()
            .filter_map(|id| m.departments.iter().find(|d| &d.id == id))
            .collect();
        let preferred = |business: &Option<String>, legal: &Option<String>| {
            business
                .clone()
                .filter(|s| !s.is_empty())
                .or_else(|| legal.clone())
        };
        let custom_fields: Vec<Value> = c
            .custom_fields
            .iter()
            .map(|(id, value)| {
                json!({
                    "value": value,
                    "template": m.custom_field_templates.iter().find(|t| &t.id == id)
                        .map_or_else(|| json!({"id": id}), CustomFieldTemplate::to_json),
                })
            })
            .collect();
        let null = Value::Null;
        let mut map = serializer.serialize_map(Some(35))?;
        map.serialize_entry("address", &c.address)?;
        map.serialize_entry("birth_at", &c.birth_at)?;
        map.serialize_entry("biz_establishment_id", &c.biz_establishment_id)?;
        map.serialize_entry("business_first_name", &c.business_first_name)?;
        map.serialize_entry("business_first_name_yomi", &c.business_first_name_yomi)?;
        map.serialize_entry("business_last_name", &c.business_last_name)?;
        map.serialize_entry("business_last_name_yomi", &c.business_last_name_yomi)?;
        map.serialize_entry("contract_type", &null)?;
        map.serialize_entry("created_at", &c.created_at)?;
        map.serialize_entry("custom_fields", &custom_fields)?;
        map.serialize_entry("department", &departments.first().map(|d| &d.full_name))?;
        map.serialize_entry(
            "departments",
            &departments.iter().map(|d| d.to_json()).collect::<Vec<_>>(),
        )?;
        map.serialize_entry("email", &c.email)?;
        map.serialize_entry("emp_code", &c.emp_code)?;
        map.serialize_entry("emp_status", &c.emp_status)?;
        map.serialize_entry(
            "emp_type",
            &employment_type.and_then(|t| t.preset_type.as_ref()),
        )?;
        map.serialize_entry(
            "employment_type",
            &employment_type.map(EmploymentType::to_json),
        )?;
        map.serialize_entry("entered_at", &c.entered_at)?;
        map.serialize_entry("first_name", &c.first_name)?;
        map.serialize_entry("first_name_yomi", &c.first_name_yomi)?;
        map.serialize_entry("gender", &c.gender)?;
        map.serialize_entry("id", &c.id)?;
        map.serialize_entry("last_name", &c.last_name)?;
        map.serialize_entry("last_name_yomi", &c.last_name_yomi)?;
        map.serialize_entry("occupation", &c.occupation)?;
        map.serialize_entry("positions", &[(); 0])?;
        map.serialize_entry(
            "preferred_first_name",
            &preferred(&c.business_first_name, &c.first_name),
        )?;
        map.serialize_entry(
            "preferred_first_name_yomi",
            &preferred(&c.business_first_name_yomi, &c.first_name_yomi),
        )?;
        map.serialize_entry(
            "preferred_last_name",
            &preferred(&c.business_last_name, &c.last_name),
        )?;
        map.serialize_entry(
            "preferred_last_name_yomi",
            &preferred(&c.business_last_name_yomi, &c.last_name_yomi),
        )?;
        map.serialize_entry("resigned_at", &c.resigned_at)?;
        map.serialize_entry("resigned_reason", &c.resigned_reason)?;
        map.serialize_entry("tel_number", &c.tel_number)?;
        map.serialize_entry("updated_at", &c.updated_at)?;
        map.serialize_entry("user_id", &null)?;
        map.end()
    }
}

impl BizEstablishment {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "hel_ins_type": "kyokai_kenpo",
            "hel_ins_name": null, "soc_ins_name": null, "soc_ins_owner_id": null,
            "lab_ins_name": null, "jurisdiction_tax": null,
            "created_at": SEED_TIMESTAMP, "updated_at": SEED_TIMESTAMP,
        })
    }
}

impl EmploymentType {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "preset_type": self.preset_type, "code": self.code,
            "created_at": SEED_TIMESTAMP, "updated_at": SEED_TIMESTAMP,
        })
    }
}

impl Department {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "full_name": self.full_name,
            "position": self.position, "code": self.code, "parent": null,
            "created_at": SEED_TIMESTAMP, "updated_at": SEED_TIMESTAMP,
        })
    }
}

impl CustomFieldTemplate {
    pub fn to_json(&self) -> Value {
        json!({ "id": self.id, "name": self.name, "type": self.kind, "elements": [], "group_id": null })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub day_border_time: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkingType {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmployeeGroup {
    pub code: String,
    pub name: String,
}

/// KOT's master data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KotMasters {
    pub divisions: Vec<Division>,
    pub working_types: Vec<WorkingType>,
    pub employee_groups: Vec<EmployeeGroup>,
}

/// The properties KOT returns only when `additionalFields` names them, in response order.
pub const KOT_ADDITIONAL_FIELDS: [&str; 7] = [
    "lastNamePhonetics",
    "firstNamePhonetics",
    "hiredDate",
    "birthDate",
    "resignationDate",
    "emailAddresses",
    "allDayRegardingWorkInMinute",
];

/// The properties `POST /employees` requires.
pub const KOT_REQUIRED_FIELDS: [&str; 6] = [
    "divisionCode",
    "gender",
    "typeCode",
    "code",
    "lastName",
    "firstName",
];

/// A KOT employee.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KotEmployee {
    /// 64 hex characters; does not change when `code` does.
    pub key: String,
    pub code: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name_phonetics: Option<String>,
    pub first_name_phonetics: Option<String>,
    pub division_code: Option<String>,
    pub type_code: Option<String>,
    /// `male`, `female` or `no_selected`.
    pub gender: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub hired_date: Option<NaiveDate>,
    pub resignation_date: Option<NaiveDate>,
    pub email_addresses: Vec<String>,
    pub all_day_regarding_work_in_minute: Option<i64>,
    pub employee_group_codes: Vec<String>,
}

impl KotEmployee {
    pub(crate) fn slot(&mut self, key: &str) -> Option<Slot<'_>> {
        use Slot::{Date, Int, List, Text};
        Some(match key {
            "code" => Text(&mut self.code),
            "lastName" => Text(&mut self.last_name),
            "firstName" => Text(&mut self.first_name),
            "lastNamePhonetics" => Text(&mut self.last_name_phonetics),
            "firstNamePhonetics" => Text(&mut self.first_name_phonetics),
            "divisionCode" => Text(&mut self.division_code),
            "typeCode" => Text(&mut self.type_code),
            "gender" => Text(&mut self.gender),
            "birthDate" => Date(&mut self.birth_date),
            "hiredDate" => Date(&mut self.hired_date),
            "resignationDate" => Date(&mut self.resignation_date),
            "emailAddresses" => List(&mut self.email_addresses),
            "allDayRegardingWorkInMinute" => Int(&mut self.all_day_regarding_work_in_minute),
            _ => return None,
        })
    }

    /// Builds an employee from KOT-shaped JSON without validation (see [`Crew::from_json`]).
    pub fn from_json(v: &Value) -> KotEmployee {
        let mut e = KotEmployee::default();
        let Some(obj) = v.as_object() else {
            return e;
        };
        for (k, v) in obj {
            match (k.as_str(), e.slot(k)) {
                (_, Some(slot)) => set_leniently(slot, v),
                ("key", None) => e.key = text(v).unwrap_or_default(),
                ("employeeGroups", None) => e.employee_group_codes = ids(v, |g| &g["code"]),
                _ => {}
            }
        }
        e
    }

    /// Whether the employee is on the roster as of `date`: hired on or before it, and not
    /// resigned before it unless resigned employees are asked for.
    pub fn on_roster(&self, date: NaiveDate, include_resigner: bool) -> bool {
        self.hired_date.is_none_or(|h| h <= date)
            && (include_resigner || self.resignation_date.is_none_or(|r| r >= date))
    }

    /// The employee as KOT returns it: the default properties, plus the additional ones
    /// `wanted` accepts; a null property is left out.
    pub fn to_json(&self, m: &KotMasters, wanted: impl Fn(&str) -> bool) -> Value {
        let mut out = Map::new();
        let mut put = |k: &str, v: Value| {
            let empty = v.is_null() || v.as_array().is_some_and(Vec::is_empty);
            if !empty {
                out.insert(k.to_string(), v);
            }
        };
        let division = self
            .division_code
            .as_ref()
            .and_then(|c| m.divisions.iter().find(|d| &d.code == c));
        let working_type = self
            .type_code
            .as_ref()
            .and_then(|c| m.working_types.iter().find(|t| &t.code == c));
        put("divisionCode", json!(self.division_code));
        put("divisionName", json!(division.map(|d| &d.name)));
        put("gender", json!(self.gender));
        put("typeCode", json!(self.type_code));
        put("typeName", json!(working_type.map(|t| &t.name)));
        put("code", json!(self.code));
        put("lastName", json!(self.last_name));
        put("firstName", json!(self.first_name));
        put("key", json!(self.key));
        let groups: Vec<Value> = self
            .employee_group_codes
            .iter()
            .filter_map(|c| m.employee_groups.iter().find(|g| &g.code == c))
            .map(|g| json!({"code": g.code, "name": g.name}))
            .collect();
        put("employeeGroups", Value::Array(groups));
        let additional = [
            json!(self.last_name_phonetics),
            json!(self.first_name_phonetics),
            json!(self.hired_date),
            json!(self.birth_date),
            json!(self.resignation_date),
            json!(self.email_addresses),
            json!(self.all_day_regarding_work_in_minute),
        ];
        for (name, value) in KOT_ADDITIONAL_FIELDS.into_iter().zip(additional) {
            if wanted(name) {
                put(name, value);
            }
        }
        Value::Object(out)
    }
}

impl Division {
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "name": self.name, "dayBorderTime": self.day_border_time})
    }
}

impl WorkingType {
    pub fn to_json(&self) -> Value {
        json!({"code": self.code, "name": self.name})
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

fn ids(v: &Value, pick: impl Fn(&Value) -> &Value) -> Vec<String> {
    items(v).filter_map(|item| text(pick(item))).collect()
}

/// Seeding: takes what fits and treats the rest as null.
fn set_leniently(slot: Slot<'_>, v: &Value) {
    match slot {
        Slot::Text(t) => *t = text(v),
        Slot::Date(d) => *d = v.as_str().and_then(|s| s.parse().ok()),
        Slot::List(l) => *l = ids(v, |x| x),
        Slot::Int(i) => *i = v.as_i64(),
    }
}

/// A request's value for one attribute: type-checked, `null` or `""` clears. `Err` says what
/// was wrong with the value.
pub(crate) fn set_strictly(slot: Slot<'_>, v: &Value) -> Result<(), Refusal> {
    let blank = is_blank(v);
    match slot {
        Slot::Text(t) => {
            *t = match v {
                _ if blank => None,
                Value::String(s) => Some(s.clone()),
                other => return Err(format!("{other} is not a string").into()),
            }
        }
        Slot::Date(d) => {
            *d = match v {
                _ if blank => None,
                Value::String(s) => Some(parse_ymd(s).ok_or_else(|| {
                    format!("'{s}' is not a date: use YYYY-MM-DD, e.g. 2026-04-01")
                })?),
                other => return Err(format!("{other} is not a date string (YYYY-MM-DD)").into()),
            }
        }
        Slot::List(l) => {
            *l = match v {
                _ if blank => Vec::new(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s.clone()),
                        other => Err(format!("{other} is not a string")),
                    })
                    .collect::<Result<_, _>>()?,
                other => return Err(format!("{other} is not an array of strings").into()),
            }
        }
        Slot::Int(i) => {
            *i = match v {
                _ if blank => None,
                Value::Number(n) => Some(
                    n.as_i64()
                        .ok_or_else(|| format!("{n} is not a whole number"))?,
                ),
                other => return Err(format!("{other} is not a whole number").into()),
            }
        }
    }
    Ok(())
}

/// `null`, `""` and `[]`: what both APIs take as "clear this attribute".
pub(crate) fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Strict `YYYY-MM-DD` (chrono alone would also take unpadded months and days).
pub(crate) fn parse_ymd(s: &str) -> Option<NaiveDate> {
    if s.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
