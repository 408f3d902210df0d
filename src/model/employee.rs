use super::field::{Field, FieldError, parse_date};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A row of master data on either side: a SmartHR biz_establishment or employment type, a KOT
/// division or working type. `id` is what the API wants written (SmartHR's UUID, KOT's code).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MasterItem {
    pub id: String,
    pub name: String,
}

/// The target's offices and employment types, fetched once per plan so that every reference to
/// one can be checked before anything is written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Masters {
    pub offices: Vec<MasterItem>,
    pub employment_types: Vec<MasterItem>,
}

impl Masters {
    /// Finds an office by id (or code) first, then by exact name, so a person can type either.
    pub fn find_office(&self, id_or_name: &str) -> Option<&MasterItem> {
        find(&self.offices, id_or_name)
    }

    pub fn find_employment_type(&self, id_or_name: &str) -> Option<&MasterItem> {
        find(&self.employment_types, id_or_name)
    }
}

fn find<'a>(items: &'a [MasterItem], id_or_name: &str) -> Option<&'a MasterItem> {
    items
        .iter()
        .find(|m| m.id == id_or_name)
        .or_else(|| items.iter().find(|m| m.name == id_or_name))
}

/// What to tell a person whose `wrong` names none of `items`: the item they probably meant,
/// then the valid ones, at most `limit` of them (an error shown once can list them all; a
/// problem repeated on every row of a plan cannot).
pub fn choices(items: &[MasterItem], wrong: &str, limit: usize) -> String {
    if items.is_empty() {
        return "none is set up there yet".to_string();
    }
    let shown = |m: &MasterItem| {
        if m.id == m.name {
            format!("'{}'", m.name)
        } else {
            format!("'{}' ({})", m.name, m.id)
        }
    };
    let mut list: Vec<String> = items.iter().take(limit).map(shown).collect();
    if items.len() > limit {
        list.push(format!("and {} more", items.len() - limit));
    }
    let list = list.join(", ");
    match meant(items, wrong) {
        Some(meant) => format!("did you mean {}? The choices: {list}", shown(meant)),
        None => format!("the choices: {list}"),
    }
}

/// The item of `items` whose name or id is nearest to the misspelt `wrong`, if one is near
/// enough to be what was meant ([`crate::suggest::closest`]).
pub fn meant<'a>(items: &'a [MasterItem], wrong: &str) -> Option<&'a MasterItem> {
    let names = items.iter().flat_map(|m| [m.name.as_str(), m.id.as_str()]);
    crate::suggest::closest(wrong.trim(), names)
        .and_then(|c| items.iter().find(|m| m.name == c || m.id == c))
}

/// One employee, as either service holds it, in canonical form.
///
/// Every synced value is optional because either API may leave it out (KOT omits nulls, a
/// SmartHR token may lack permission for an attribute). Employee codes are strings so that
/// leading zeros survive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Employee {
    /// SmartHR `emp_code` / KOT `code`: the key, exactly as the service holds it. `None` when
    /// the record has none.
    pub code: Option<String>,
    /// The code as matching reads it ([`crate::text::code_key`]), when that differs from
    /// `code`: such a record is matched but never written (see [`Employee::canonical`]).
    #[serde(skip)]
    pub code_key: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name_kana: Option<String>,
    pub first_name_kana: Option<String>,
    /// `male` or `female` on both sides; KOT may also say `no_selected`, kept as given.
    pub gender: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub email: Option<String>,
    pub hire_date: Option<NaiveDate>,
    pub resignation_date: Option<NaiveDate>,
    /// SmartHR ビジネスネーム; KOT has none.
    pub business_last_name: Option<String>,
    pub business_first_name: Option<String>,
    pub business_last_name_kana: Option<String>,
    pub business_first_name_kana: Option<String>,
    /// SmartHR biz_establishment / KOT division.
    pub office: Option<MasterItem>,
    /// SmartHR employment_type / KOT working type (`typeCode`).
    pub employment_type: Option<MasterItem>,
    /// SmartHR `emp_status` (`employed`, `absent`, `retired`); KOT has none.
    pub status: Option<String>,
    /// The service's own handle for writes: SmartHR crew `id`, KOT employee `key`.
    pub target_id: Option<String>,
    /// The record exactly as the API returned it, for rules to read (departments, custom
    /// fields, employee groups, ...). Kept as shared text, because it is by far the largest
    /// part of an employee and plans copy employees (watch re-plans from the same rosters).
    #[serde(default)]
    pub raw: super::Raw,
}

impl Employee {
    /// The record in the form crewsync compares and writes: every text value in Unicode NFC
    /// (a decomposed `タ` + U+3099 is the `ダ` the other side holds), and the code's match key
    /// noted when the code is not already canonical. Both clients call this on every record
    /// they read, so it is the one place text is normalised; `raw` stays exactly as sent.
    /// The code itself is kept as given: crewsync does not sync codes, so a code it would
    /// read differently is shown to be fixed at its source rather than rewritten.
    pub fn canonical(mut self) -> Self {
        for text in [
            &mut self.last_name,
            &mut self.first_name,
            &mut self.last_name_kana,
            &mut self.first_name_kana,
            &mut self.gender,
            &mut self.email,
            &mut self.business_last_name,
            &mut self.business_first_name,
            &mut self.business_last_name_kana,
            &mut self.business_first_name_kana,
        ] {
            *text = text.take().map(crate::text::nfc_owned);
        }
        for item in [&mut self.office, &mut self.employment_type]
            .into_iter()
            .flatten()
        {
            item.name = crate::text::nfc_owned(std::mem::take(&mut item.name));
        }
        self.code_key = self
            .code
            .as_deref()
            .and_then(|code| match crate::text::code_key(code) {
                std::borrow::Cow::Borrowed(key) if key == code => None,
                key => Some(key.into_owned()),
            });
        self
    }

    /// Whether the employee is employed on `as_of`: hired on or before it (or no hire date),
    /// and not resigned before it. The resignation date is the last day of employment.
    pub fn employed_on(&self, as_of: NaiveDate) -> bool {
        self.hire_date.is_none_or(|h| h <= as_of)
            && self.resignation_date.is_none_or(|r| r >= as_of)
    }

    /// Legal name as one string, for display.
    pub fn display_name(&self) -> String {
        let parts: Vec<&str> = [self.last_name.as_deref(), self.first_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        parts.join(" ")
    }

    /// The value of a field in its canonical string form (dates as `YYYY-MM-DD`, office and
    /// employment type as their id), `None` when empty.
    pub fn get(&self, field: Field) -> Option<String> {
        match field {
            Field::LastName => self.last_name.clone(),
            Field::FirstName => self.first_name.clone(),
            Field::LastNameKana => self.last_name_kana.clone(),
            Field::FirstNameKana => self.first_name_kana.clone(),
            Field::Gender => self.gender.clone(),
            Field::BirthDate => self.birth_date.map(|d| d.to_string()),
            Field::Email => self.email.clone(),
            Field::HireDate => self.hire_date.map(|d| d.to_string()),
            Field::ResignationDate => self.resignation_date.map(|d| d.to_string()),
            Field::Office => self.office.as_ref().map(|m| m.id.clone()),
            Field::EmploymentType => self.employment_type.as_ref().map(|m| m.id.clone()),
            Field::EmpStatus => self.status.clone(),
        }
        .filter(|s| !s.is_empty())
    }

    /// Sets a field from its canonical string form; an empty string clears it. Office and
    /// employment type keep their name only when the id is unchanged, since the name of a new
    /// id is the target's master data to tell.
    pub fn set(&mut self, field: Field, value: Option<&str>) -> Result<(), FieldError> {
        let value = value.map(str::trim).filter(|s| !s.is_empty());
        // A rule's value is written as it is compared: in NFC, like every value read.
        let text = value.map(|v| crate::text::nfc(v).into_owned());
        let date = |v: Option<&str>| v.map(|v| parse_date(field, v)).transpose();
        match field {
            Field::LastName => self.last_name = text,
            Field::FirstName => self.first_name = text,
            Field::LastNameKana => self.last_name_kana = text,
            Field::FirstNameKana => self.first_name_kana = text,
            Field::Gender => self.gender = text,
            Field::BirthDate => self.birth_date = date(value)?,
            Field::Email => self.email = text,
            Field::HireDate => self.hire_date = date(value)?,
            Field::ResignationDate => self.resignation_date = date(value)?,
            Field::Office => self.office = set_master(self.office.take(), text),
            Field::EmploymentType => {
                self.employment_type = set_master(self.employment_type.take(), text)
            }
            Field::EmpStatus => self.status = text,
        }
        Ok(())
    }
}

/// SmartHR `emp_status` values (smarthr-api.md, crew object): 在籍, 休職, 退職.
pub const EMPLOYED: &str = "employed";
pub const ABSENT: &str = "absent";
pub const RETIRED: &str = "retired";

/// The `emp_status` a SmartHR crew has once the sync has written its resignation date.
///
/// SmartHR keeps the status apart from the dates, so a sync that writes only the date would
/// leave a leaver 在籍 or a re-hired crew 退職. The resignation date is the last day of
/// employment, so it is "past" from the day after. The state table (`current` is `None` for
/// a crew being created):
///
/// | resignation date written        | status before          | status after |
/// |---------------------------------|------------------------|--------------|
/// | before `today` (leaving, left)  | any, or a new crew     | `retired`    |
/// | `today` or later (future)       | `employed` or new crew | `employed`   |
/// | `today` or later                | `absent` (休職)        | `absent`     |
/// | `today` or later                | `retired`              | `employed`   |
/// | none (cleared: re-hire, undo)   | `employed` or new crew | `employed`   |
/// | none                            | `absent`               | `absent`     |
/// | none                            | `retired`              | `employed`   |
///
/// A date moved from the past to the future or cleared brings a retired crew back to
/// `employed`; an absent crew stays absent until it has left, since only SmartHR knows about
/// 休職.
pub fn emp_status(
    current: Option<&str>,
    resignation: Option<NaiveDate>,
    today: NaiveDate,
) -> &'static str {
    if resignation.is_some_and(|last_day| last_day < today) {
        RETIRED
    } else if current == Some(ABSENT) {
        ABSENT
    } else {
        EMPLOYED
    }
}

fn set_master(old: Option<MasterItem>, id: Option<String>) -> Option<MasterItem> {
    let id = id?;
    match old {
        Some(m) if m.id == id => Some(m),
        _ => Some(MasterItem {
            name: id.clone(),
            id,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn choices_name_the_item_meant_and_are_cut_short_after_the_limit() {
        let item = |id: &str, name: &str| MasterItem {
            id: id.into(),
            name: name.into(),
        };
        let items: Vec<MasterItem> = (0..8)
            .map(|i| item(&format!("{i}"), &format!("{i}")))
            .collect();
        assert_eq!(
            choices(&items, "x", 5),
            "the choices: '0', '1', '2', '3', '4', and 3 more"
        );
        let offices = [item("1000", "本社"), item("2000", "大阪支社")];
        assert_eq!(
            choices(&offices, "大坂支社", 9),
            "did you mean '大阪支社' (2000)? The choices: '本社' (1000), '大阪支社' (2000)"
        );
        // An id is matched as well as a name.
        assert!(choices(&offices, "1001", 9).starts_with("did you mean '本社' (1000)?"));
        assert_eq!(choices(&[], "本社", 5), "none is set up there yet");
    }

    #[test]
    fn employed_on_follows_the_reference_date_boundary() {
        let as_of = d("2020-01-01");
        let e = |hire: Option<&str>, resign: Option<&str>| Employee {
            hire_date: hire.map(d),
            resignation_date: resign.map(d),
            ..Employee::default()
        };
        assert!(e(Some("2020-01-01"), None).employed_on(as_of));
        assert!(!e(Some("2020-01-02"), None).employed_on(as_of));
        assert!(e(None, Some("2020-01-01")).employed_on(as_of));
        assert!(!e(None, Some("2019-12-31")).employed_on(as_of));
        assert!(e(None, None).employed_on(as_of));
    }

    #[test]
    fn canonical_composes_text_and_keys_only_an_odd_code() {
        let raw = serde_json::json!({"last_name_yomi": "ヤマタ\u{3099}"});
        let e = Employee {
            code: Some("00125 ".into()),
            last_name_kana: Some("ヤマタ\u{3099}".into()),
            business_first_name: Some("ハ\u{309a}ン".into()),
            office: Some(MasterItem {
                id: "1000".into(),
                name: "カ\u{3099}ッコウ".into(),
            }),
            raw: raw.clone().into(),
            ..Employee::default()
        }
        .canonical();
        assert_eq!(e.last_name_kana.as_deref(), Some("ヤマダ"));
        assert_eq!(e.business_first_name.as_deref(), Some("パン"));
        assert_eq!(e.office.as_ref().map(|o| o.name.as_str()), Some("ガッコウ"));
        assert_eq!(
            e.code.as_deref(),
            Some("00125 "),
            "the code is kept as given"
        );
        assert_eq!(e.code_key.as_deref(), Some("00125"));
        assert_eq!(e.raw.to_value(), raw, "the record stays as the API sent it");
        let plain = Employee {
            code: Some("00125".into()),
            ..Employee::default()
        }
        .canonical();
        assert_eq!(plain.code_key, None);
    }

    #[test]
    fn a_value_set_by_a_rule_is_composed() {
        let mut e = Employee::default();
        e.set(Field::FirstNameKana, Some(" ハナコ\u{3099} "))
            .unwrap();
        assert_eq!(e.first_name_kana.as_deref(), Some("ハナゴ"));
    }

    #[test]
    fn emp_status_follows_each_row_of_the_state_table() {
        let today = d("2026-11-26");
        let (past, on_today, future) = (
            Some(d("2026-11-25")),
            Some(d("2026-11-26")),
            Some(d("2027-03-31")),
        );
        let table = [
            // leaving / left
            (past, None, RETIRED),
            (past, Some(EMPLOYED), RETIRED),
            (past, Some(ABSENT), RETIRED),
            (past, Some(RETIRED), RETIRED),
            // future resignation (the last day is today or later)
            (on_today, Some(EMPLOYED), EMPLOYED),
            (future, None, EMPLOYED),
            (future, Some(EMPLOYED), EMPLOYED),
            (future, Some(ABSENT), ABSENT),
            (future, Some(RETIRED), EMPLOYED),
            // cleared
            (None, None, EMPLOYED),
            (None, Some(EMPLOYED), EMPLOYED),
            (None, Some(ABSENT), ABSENT),
            (None, Some(RETIRED), EMPLOYED),
        ];
        for (resignation, current, after) in table {
            assert_eq!(
                emp_status(current, resignation, today),
                after,
                "{resignation:?} {current:?}"
            );
        }
    }

    #[test]
    fn set_parses_dates_and_clears_on_empty() {
        let mut e = Employee::default();
        e.set(Field::BirthDate, Some("1990-04-01")).unwrap();
        assert_eq!(e.birth_date, Some(d("1990-04-01")));
        e.set(Field::BirthDate, Some("")).unwrap();
        assert_eq!(e.birth_date, None);
        let err = e.set(Field::HireDate, Some("2024/04/01")).unwrap_err();
        assert!(err.to_string().contains("2024/04/01"));
    }
}
