//! The seed data both simulators start from.
//!
//! See [`Company`] for what the sample and generated companies hold.

use super::ids::{kot_key, mix, uuid_like};
use super::records::*;
use chrono::NaiveDate;
use serde_json::json;

/// The reference date the sample company is designed around.
pub const SAMPLE_AS_OF: NaiveDate = match NaiveDate::from_ymd_opt(2026, 4, 1) {
    Some(d) => d,
    None => panic!("2026-04-01 is a valid date"),
};

/// Seed data for both simulators.
///
/// # The sample company (`Company::sample()`)
///
/// About 100 employees designed around [`SAMPLE_AS_OF`] (2026-04-01) so that, as of that date,
/// both directions show every status. Codes are five digits with leading zeros. Every code not
/// listed below is an ordinary employee, identical on both sides. Offices map one to one
/// (SmartHR 本社/大阪支店/福岡営業所/札幌営業所/名古屋支店 ⇔ KOT divisions 1000/2000/3000/4000/5000),
/// and so do employment types (正社員/契約社員/パート ⇔ working types 1/2/3). Crews carry one
/// department and the custom field 勤務地; KOT employees carry the matching employee group.
/// Both carry data crewsync does not sync, for tests that a write leaves it alone: every crew
/// has a telephone number, an address and an occupation (業務内容); every KOT employee has its
/// contracted minutes per day, and every third one a spare email address after the synced one.
///
/// | code | what is special |
/// |---|---|
/// | 00010, 00020 | SmartHR crew has a business name (旧姓); otherwise identical |
/// | 00050 | SmartHR `emp_status` is `absent` (休職); otherwise identical |
/// | 00076 | only in SmartHR (new for smarthr-to-kot) |
/// | 00077 | only in SmartHR, with a business name |
/// | 00078 | only in KOT (new for kot-to-smarthr) |
/// | 00079 | only in KOT, gender `no_selected` (SmartHR accepts only male/female) |
/// | 00080 | email differs |
/// | 00081 | first-name kana differs |
/// | 00082 | SmartHR resigned 2026-04-30, KOT has no resignation date |
/// | 00083 | last name differs (SmartHR has the new married name) |
/// | 00084 | hire date differs |
/// | 00085 | KOT has no birth date (the property is omitted) |
/// | 00086 | KOT has no email address |
/// | 00087 | email differs only in letter case (KOT upper-case) |
/// | 00088 | hired 2026-04-01, on the reference date: in scope, identical |
/// | 00089 | hired 2026-04-02, the day after: out of scope, both sides |
/// | 00090 | hired 2026-05-01, only in SmartHR: out of scope |
/// | 00091 | resigned 2026-03-31, the day before: out of scope, both sides (SmartHR `retired`) |
/// | 00092 | resigned 2025-12-31, only in KOT: out of scope |
/// | 00093 | resigned 2026-04-01, on the reference date: in scope; email differs |
/// | 00094 | two SmartHR crews share this code (the second is another person); one in KOT |
/// | 00095 | SmartHR kana is half-width (ﾔﾏﾀﾞ style), KOT full-width |
/// | 00096 | SmartHR last name uses the variant kanji 髙 where KOT has 高 |
/// | (none) | one SmartHR crew has no `emp_code` at all |
///
/// # Generated companies (`Company::generated(n)`)
///
/// `n` employees numbered from 1, codes zero-padded to at least five digits. Identical on both
/// sides except: `i % 20 == 3` email differs; `i % 50 == 7` only in SmartHR; `i % 50 == 17`
/// only in KOT; `i % 100 == 29` SmartHR has a resignation date KOT lacks (about 10% in all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Company {
    pub smarthr: SmartHrMasters,
    pub crews: Vec<Crew>,
    pub kot: KotMasters,
    pub kot_employees: Vec<KotEmployee>,
}

/// (kanji, katakana, romaji)
const LAST_NAMES: [(&str, &str, &str); 31] = [
    ("佐藤", "サトウ", "sato"),
    ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"),
    ("伊藤", "イトウ", "ito"),
    ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"),
    ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"),
    ("吉田", "ヨシダ", "yoshida"),
    ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"),
    ("山口", "ヤマグチ", "yamaguchi"),
    ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"),
    ("木村", "キムラ", "kimura"),
    ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"),
    ("清水", "シミズ", "shimizu"),
    ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"),
    ("池田", "イケダ", "ikeda"),
    ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"),
    ("石川", "イシカワ", "ishikawa"),
    ("山下", "ヤマシタ", "yamashita"),
    ("中島", "ナカジマ", "nakajima"),
    ("石井", "イシイ", "ishii"),
    ("小川", "オガワ", "ogawa"),
    ("前田", "マエダ", "maeda"),
];

/// (kanji, katakana, romaji, gender)
const FIRST_NAMES: [(&str, &str, &str, &str); 40] = [
    ("翔太", "ショウタ", "shota", "male"),
    ("陽子", "ヨウコ", "yoko", "female"),
    ("大輔", "ダイスケ", "daisuke", "male"),
    ("美咲", "ミサキ", "misaki", "female"),
    ("健太", "ケンタ", "kenta", "male"),
    ("由美", "ユミ", "yumi", "female"),
    ("拓也", "タクヤ", "takuya", "male"),
    ("恵子", "ケイコ", "keiko", "female"),
    ("直樹", "ナオキ", "naoki", "male"),
    ("真由美", "マユミ", "mayumi", "female"),
    ("和也", "カズヤ", "kazuya", "male"),
    ("愛", "アイ", "ai", "female"),
    ("誠", "マコト", "makoto", "male"),
    ("彩", "アヤ", "aya", "female"),
    ("亮", "リョウ", "ryo", "male"),
    ("優子", "ユウコ", "yuko", "female"),
    ("浩二", "コウジ", "koji", "male"),
    ("直美", "ナオミ", "naomi", "female"),
    ("隆", "タカシ", "takashi", "male"),
    ("さくら", "サクラ", "sakura", "female"),
    ("達也", "タツヤ", "tatsuya", "male"),
    ("葵", "アオイ", "aoi", "female"),
    ("修", "オサム", "osamu", "male"),
    ("結衣", "ユイ", "yui", "female"),
    ("蓮", "レン", "ren", "male"),
    ("美穂", "ミホ", "miho", "female"),
    ("悠真", "ユウマ", "yuma", "male"),
    ("舞", "マイ", "mai", "female"),
    ("大翔", "ヒロト", "hiroto", "male"),
    ("香織", "カオリ", "kaori", "female"),
    ("陽太", "ヨウタ", "yota", "male"),
    ("智子", "トモコ", "tomoko", "female"),
    ("一郎", "イチロウ", "ichiro", "male"),
    ("明美", "アケミ", "akemi", "female"),
    ("健一", "ケンイチ", "kenichi", "male"),
    ("千尋", "チヒロ", "chihiro", "female"),
    ("雄介", "ユウスケ", "yusuke", "male"),
    ("花子", "ハナコ", "hanako", "female"),
    ("慎也", "シンヤ", "shinya", "male"),
    ("久美子", "クミコ", "kumiko", "female"),
];

/// (SmartHR office name, KOT division code, KOT division name, 勤務地)
const OFFICES: [(&str, &str, &str, &str); 5] = [
    ("本社", "1000", "本社", "東京"),
    ("大阪支店", "2000", "大阪支社", "大阪"),
    ("福岡営業所", "3000", "福岡営業所", "福岡"),
    ("札幌営業所", "4000", "札幌営業所", "札幌"),
    ("名古屋支店", "5000", "名古屋支社", "名古屋"),
];

/// (name, SmartHR preset type, KOT working-type code, contracted minutes per day)
const EMPLOYMENT_TYPES: [(&str, &str, &str, i64); 3] = [
    ("正社員", "full_timer", "1", 480),
    ("契約社員", "contract_worker", "2", 480),
    ("パート", "part_timer", "3", 360),
];

/// (name, code); SmartHR departments and KOT employee groups alike.
const DEPARTMENTS: [(&str, &str); 5] = [
    ("営業部", "0001"),
    ("開発部", "0002"),
    ("人事部", "0003"),
    ("経理部", "0004"),
    ("総務部", "0005"),
];

const WORK_LOCATION_TEMPLATE: &str = "勤務地";

/// Seed domains, so ids of different record kinds never collide.
const SEED_OFFICE: u64 = 1 << 40;
const SEED_TYPE: u64 = 2 << 40;
const SEED_DEPARTMENT: u64 = 3 << 40;
const SEED_TEMPLATE: u64 = 4 << 40;
const SEED_CREW: u64 = 5 << 40;
const SEED_PERSON: u64 = 6 << 40;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(SAMPLE_AS_OF)
}

fn masters() -> (SmartHrMasters, KotMasters) {
    let smarthr = SmartHrMasters {
        biz_establishments: OFFICES
            .iter()
            .enumerate()
            .map(|(i, o)| BizEstablishment {
                id: uuid_like(SEED_OFFICE + i as u64),
                name: o.0.to_string(),
            })
            .collect(),
        employment_types: EMPLOYMENT_TYPES
            .iter()
            .enumerate()
            .map(|(i, t)| EmploymentType {
                id: uuid_like(SEED_TYPE + i as u64),
                name: t.0.to_string(),
                preset_type: Some(t.1.to_string()),
                code: Some(t.2.to_string()),
            })
            .collect(),
        departments: DEPARTMENTS
            .iter()
            .enumerate()
            .map(|(i, d)| Department {
                id: uuid_like(SEED_DEPARTMENT + i as u64),
                name: d.0.to_string(),
                full_name: d.0.to_string(),
                position: i as u32 + 1,
                code: Some(d.1.to_string()),
            })
            .collect(),
        custom_field_templates: vec![CustomFieldTemplate {
            id: uuid_like(SEED_TEMPLATE),
            name: WORK_LOCATION_TEMPLATE.to_string(),
            kind: "string".to_string(),
        }],
    };
    let kot = KotMasters {
        divisions: OFFICES
            .iter()
            .enumerate()
            .map(|(i, o)| Division {
                code: o.1.to_string(),
                name: o.2.to_string(),
                day_border_time: if i == 0 { "00:00" } else { "05:00" }.to_string(),
            })
            .collect(),
        working_types: EMPLOYMENT_TYPES
            .iter()
            .map(|t| WorkingType {
                code: t.2.to_string(),
                name: t.0.to_string(),
            })
            .collect(),
        employee_groups: DEPARTMENTS
            .iter()
            .map(|d| EmployeeGroup {
                code: d.1.to_string(),
                name: d.0.to_string(),
            })
            .collect(),
    };
    (smarthr, kot)
}

/// One person as both sides would hold them before any deliberate difference.
struct Person {
    code: String,
    last: (&'static str, &'static str, &'static str),
    first: (&'static str, &'static str, &'static str, &'static str),
    birth: NaiveDate,
    hired: NaiveDate,
    office: usize,
    kind: usize,
    department: usize,
}

impl Person {
    /// Derived from the number alone, so any employee can be built without the others.
    fn new(i: usize, width: usize) -> Person {
        let r = mix(SEED_PERSON + i as u64);
        let pick = |shift: u32, n: u64| ((r >> shift) % n) as usize;
        let birth_year = 1962 + pick(0, 40) as i32;
        let birth = date(birth_year, 1 + pick(8, 12) as u32, 1 + pick(16, 28) as u32);
        let hire_year = (birth_year + 22 + pick(24, 12) as i32).clamp(1995, 2025);
        let hire_month = [4, 4, 4, 1, 7, 10][pick(32, 6)];
        let office = [0, 0, 0, 0, 1, 1, 2, 3, 4, 0][pick(40, 10)];
        let kind = [0, 0, 0, 0, 0, 0, 0, 1, 1, 2][pick(44, 10)];
        Person {
            code: format!("{i:0width$}"),
            last: LAST_NAMES[(i * 7) % LAST_NAMES.len()],
            first: FIRST_NAMES[(i * 13) % FIRST_NAMES.len()],
            birth,
            hired: date(hire_year, hire_month, 1),
            office,
            kind,
            department: pick(48, DEPARTMENTS.len() as u64),
        }
    }

    fn email(&self) -> String {
        format!("{}.{}@example.co.jp", self.first.2, self.last.2)
    }

    fn crew(&self, seq: u64, m: &SmartHrMasters) -> Crew {
        Crew {
            id: uuid_like(SEED_CREW + seq),
            emp_code: Some(self.code.clone()),
            emp_status: Some("employed".to_string()),
            last_name: Some(self.last.0.to_string()),
            first_name: Some(self.first.0.to_string()),
            last_name_yomi: Some(self.last.1.to_string()),
            first_name_yomi: Some(self.first.1.to_string()),
            birth_at: Some(self.birth),
            gender: Some(self.first.3.to_string()),
            email: Some(self.email()),
            entered_at: Some(self.hired),
            biz_establishment_id: Some(m.biz_establishments[self.office].id.clone()),
            employment_type_id: Some(m.employment_types[self.kind].id.clone()),
            department_ids: vec![m.departments[self.department].id.clone()],
            custom_fields: vec![(
                m.custom_field_templates[0].id.clone(),
                json!(OFFICES[self.office].3),
            )],
            created_at: SEED_TIMESTAMP.to_string(),
            updated_at: SEED_TIMESTAMP.to_string(),
            ..Crew::default()
        }
    }

    fn kot(&self, seq: u64) -> KotEmployee {
        KotEmployee {
            key: kot_key(seq),
            code: Some(self.code.clone()),
            last_name: Some(self.last.0.to_string()),
            first_name: Some(self.first.0.to_string()),
            last_name_phonetics: Some(self.last.1.to_string()),
            first_name_phonetics: Some(self.first.1.to_string()),
            division_code: Some(OFFICES[self.office].1.to_string()),
            type_code: Some(EMPLOYMENT_TYPES[self.kind].2.to_string()),
            gender: Some(self.first.3.to_string()),
            birth_date: Some(self.birth),
            hired_date: Some(self.hired),
            resignation_date: None,
            email_addresses: vec![self.email()],
            all_day_regarding_work_in_minute: Some(EMPLOYMENT_TYPES[self.kind].3),
            employee_group_codes: vec![DEPARTMENTS[self.department].1.to_string()],
        }
    }
}

fn resign(c: &mut Crew, k: &mut KotEmployee, on: NaiveDate) {
    c.resigned_at = Some(on);
    if on < SAMPLE_AS_OF {
        c.emp_status = Some("retired".to_string());
    }
    k.resignation_date = Some(on);
}

fn hire(c: &mut Crew, k: &mut KotEmployee, on: NaiveDate) {
    c.entered_at = Some(on);
    k.hired_date = Some(on);
}

fn set_business_name(c: &mut Crew, last: &str, last_yomi: &str) {
    c.business_last_name = Some(last.to_string());
    c.business_first_name = c.first_name.clone();
    c.business_last_name_yomi = Some(last_yomi.to_string());
    c.business_first_name_yomi = c.first_name_yomi.clone();
}

/// Which sides hold an employee.
enum Sides {
    Both,
    SmartHrOnly,
    KotOnly,
}

/// Applies the deliberate difference for `code` (see the module table).
fn sample_scenario(n: usize, c: &mut Crew, k: &mut KotEmployee) -> Sides {
    match n {
        10 => set_business_name(c, "森田", "モリタ"),
        20 => set_business_name(c, "大野", "オオノ"),
        50 => c.emp_status = Some("absent".to_string()),
        76 => return Sides::SmartHrOnly,
        77 => {
            set_business_name(c, "星野", "ホシノ");
            return Sides::SmartHrOnly;
        }
        78 => return Sides::KotOnly,
        79 => {
            k.gender = Some("no_selected".to_string());
            return Sides::KotOnly;
        }
        80 => c.email = Some("new.address@example.co.jp".to_string()),
        81 => k.first_name_phonetics = Some("ヨシコ".to_string()),
        82 => c.resigned_at = Some(date(2026, 4, 30)),
        83 => {
            c.last_name = Some("長谷川".to_string());
            c.last_name_yomi = Some("ハセガワ".to_string());
        }
        84 => k.hired_date = Some(date(2015, 10, 1)),
        85 => k.birth_date = None,
        86 => k.email_addresses.clear(),
        87 => k.email_addresses = k.email_addresses.iter().map(|e| e.to_uppercase()).collect(),
        88 => hire(c, k, SAMPLE_AS_OF),
        89 => hire(c, k, date(2026, 4, 2)),
        90 => {
            hire(c, k, date(2026, 5, 1));
            return Sides::SmartHrOnly;
        }
        91 => resign(c, k, date(2026, 3, 31)),
        92 => {
            resign(c, k, date(2025, 12, 31));
            return Sides::KotOnly;
        }
        93 => {
            resign(c, k, SAMPLE_AS_OF);
            c.email = Some("after.resign@example.co.jp".to_string());
        }
        95 => {
            c.last_name_yomi = Some("ﾔﾏﾀﾞ".to_string());
            c.first_name_yomi = Some("ﾊﾅｺ".to_string());
            k.last_name_phonetics = Some("ヤマダ".to_string());
            k.first_name_phonetics = Some("ハナコ".to_string());
        }
        96 => {
            c.last_name = Some("髙橋".to_string());
            k.last_name = Some("高橋".to_string());
        }
        _ => {}
    }
    Sides::Both
}

fn generated_scenario(n: usize, c: &mut Crew, _kot: &mut KotEmployee) -> Sides {
    if n % 20 == 3 {
        c.email = Some(format!("changed.{n}@example.co.jp"));
    }
    if n % 100 == 29 {
        c.resigned_at = Some(date(2026, 6, 30));
    }
    match n % 50 {
        7 => Sides::SmartHrOnly,
        17 => Sides::KotOnly,
        _ => Sides::Both,
    }
}

/// Gives the sample's records the data crewsync does not sync (see [`Company`]). Only the
/// sample: the generated companies stay lean for the benchmarks.
fn unsynced_data(company: &mut Company) {
    for (i, c) in company.crews.iter_mut().enumerate() {
        c.tel_number = Some(format!("03-5555-{:04}", i + 1));
        c.address = Some(json!({
            "id": uuid_like(SEED_CREW + 50_000 + i as u64),
            "country_number": "81", "zip_code": "100-0005", "pref": "東京都",
            "city": "千代田区", "street": format!("丸の内1-{}", i + 1), "building": "",
            "literal_yomi": "",
        }));
        c.occupation = Some("営業".to_string());
    }
    for (i, k) in company.kot_employees.iter_mut().enumerate() {
        if i % 3 == 0 && !k.email_addresses.is_empty() {
            let spare = format!("spare.{}@example.jp", k.code.as_deref().unwrap_or_default());
            k.email_addresses.push(spare);
        }
    }
}

impl Company {
    /// Offices, types, departments and groups, but no employees.
    pub fn empty() -> Company {
        let (smarthr, kot) = masters();
        Company {
            smarthr,
            kot,
            ..Company::default()
        }
    }

    /// The sample company described above.
    pub fn sample() -> Company {
        let mut company = Company::build(100, 5, sample_scenario);
        let m = &company.smarthr;
        // A second person under an existing code, and a crew nobody gave a code.
        let mut duplicate = Person::new(194, 5).crew(1_000, m);
        duplicate.emp_code = Some("00094".to_string());
        let mut no_code = Person::new(201, 5).crew(1_001, m);
        no_code.emp_code = None;
        company.crews.push(duplicate);
        company.crews.push(no_code);
        unsynced_data(&mut company);
        company
    }

    /// `n` employees on each side, mostly identical (see above). Cheap
    /// enough for benchmarks of 100,000 employees.
    pub fn generated(n: usize) -> Company {
        let width = n.to_string().len().max(5);
        Company::build(n, width, generated_scenario)
    }

    fn build(
        n: usize,
        width: usize,
        scenario: fn(usize, &mut Crew, &mut KotEmployee) -> Sides,
    ) -> Company {
        let mut company = Company::empty();
        company.crews.reserve(n);
        company.kot_employees.reserve(n);
        for i in 1..=n {
            let person = Person::new(i, width);
            let mut crew = person.crew(i as u64, &company.smarthr);
            let mut kot = person.kot(i as u64);
            match scenario(i, &mut crew, &mut kot) {
                Sides::Both => {
                    company.crews.push(crew);
                    company.kot_employees.push(kot);
                }
                Sides::SmartHrOnly => company.crews.push(crew),
                Sides::KotOnly => company.kot_employees.push(kot),
            }
        }
        company
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crews<'a>(c: &'a Company, code: &str) -> Vec<&'a Crew> {
        c.crews
            .iter()
            .filter(|x| x.emp_code.as_deref() == Some(code))
            .collect()
    }

    fn kot<'a>(c: &'a Company, code: &str) -> Option<&'a KotEmployee> {
        c.kot_employees
            .iter()
            .find(|x| x.code.as_deref() == Some(code))
    }

    #[test]
    fn sample_has_the_documented_scenarios() {
        let c = Company::sample();
        assert_eq!(c, Company::sample(), "deterministic");
        assert!(c.crews.len() >= 95 && c.kot_employees.len() >= 95);
        assert!(kot(&c, "00076").is_none() && crews(&c, "00076").len() == 1);
        assert!(kot(&c, "00078").is_some() && crews(&c, "00078").is_empty());
        assert_eq!(
            kot(&c, "00079").unwrap().gender.as_deref(),
            Some("no_selected")
        );
        assert_eq!(crews(&c, "00094").len(), 2);
        assert_eq!(c.crews.iter().filter(|x| x.emp_code.is_none()).count(), 1);
        let same = |code: &str| {
            let crew = crews(&c, code)[0];
            let k = kot(&c, code).unwrap();
            crew.email.as_ref() == k.email_addresses.first()
                && crew.last_name == k.last_name
                && crew.first_name_yomi == k.first_name_phonetics
        };
        assert!(same("00001"));
        assert!(!same("00080") && !same("00081") && !same("00083"));
        let k93 = kot(&c, "00093").unwrap();
        assert!(k93.on_roster(SAMPLE_AS_OF, false));
        assert!(!kot(&c, "00091").unwrap().on_roster(SAMPLE_AS_OF, false));
        assert!(!kot(&c, "00089").unwrap().on_roster(SAMPLE_AS_OF, true));
        let mut keys: Vec<_> = c.kot_employees.iter().map(|k| &k.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), c.kot_employees.len(), "keys are unique");
    }

    #[test]
    fn generated_pads_codes_and_differs_by_about_a_tenth() {
        let c = Company::generated(1000);
        assert_eq!(c.crews[0].emp_code.as_deref(), Some("00001"));
        assert_eq!(c.crews.len(), 980);
        assert_eq!(c.kot_employees.len(), 980);
        assert_eq!(Person::new(1, 6).code, "000001");
    }
}
