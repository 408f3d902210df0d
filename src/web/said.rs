//! The catalogue's words for what the library reports as data rather than as an error: a
//! row's problems, why an employee was not written, why a run stopped, how its employees were
//! chosen. Each is said here in the page's language from its fields (the library's own
//! English, its `Display`, is what the CLI, the JSON and the email say), so that a Japanese
//! page never shows a library sentence. Only what a rule's author or a service wrote is shown
//! as it came, after words of the page's language.

use super::i18n::{Lang, Text};
use crate::model::{Field, Service};
use crate::plan::{Problem, RuleFailure};
use crate::text::Oddity;

/// Why a row cannot be applied, in the page's words: the wizard's step instead of a CLI flag,
/// and in Japanese every kind in Japanese.
pub fn problem(lang: Lang, p: &Problem) -> String {
    let t = lang.text();
    if let Problem::Undecided { field, .. } = p {
        return format!(
            "{}{}{}",
            t.undecided_before,
            t.field(*field),
            t.undecided_after
        );
    }
    match lang {
        Lang::En => p.to_string(),
        Lang::Ja => problem_ja(t, p),
    }
}

fn problem_ja(t: &Text, p: &Problem) -> String {
    match p {
        Problem::Undecided { field, .. } => {
            format!(
                "{}{}{}",
                t.undecided_before,
                t.field(*field),
                t.undecided_after
            )
        }
        Problem::NoCode { source } => {
            format!("社員番号がありません。{source}で社員番号を入力してください")
        }
        Problem::SharedInSource { code, uses, source } => format!(
            "社員番号 {code} は{source}の{uses}名が使っています。{source}で従業員ごとに別の社員番号にしてください"
        ),
        Problem::SharedInTarget { code, uses, target } => format!(
            "社員番号 {code} は{target}の{uses}名が使っています。先に{target}で重複を解消してください"
        ),
        Problem::OddCode { code, side, other } => {
            let beside = match other {
                Some((o, c)) => format!("（{o}では「{}」）", crate::text::exact(c)),
                None => String::new(),
            };
            format!(
                "{side}の社員番号「{}」に{}があります{beside}。{side}で社員番号を直してください",
                crate::text::exact(code),
                oddities_ja(code)
            )
        }
        Problem::CannotClear {
            field,
            target,
            source,
        } => format!(
            "{target}では{}を空にできません。{source}で入力するか、ルールで対象外にしてください",
            t.field(*field)
        ),
        Problem::MissingRequired {
            fields,
            target,
            source,
        } => format!(
            "{target}に従業員を登録するには{}が必要です。{source}で入力してください",
            fields_ja(t, fields)
        ),
        Problem::Gender {
            value,
            accepted,
            target,
            source,
        } => format!(
            "{}「{value}」は{target}では使えません（使えるのは {}）。{source}で直してください",
            t.field(Field::Gender),
            accepted.join(" / ")
        ),
        Problem::Rule { location, failure } => {
            let rule = match location {
                Some(l) => format!("ルール {l} "),
                None => "ルール".to_string(),
            };
            match failure {
                RuleFailure::Said { message } => format!("{rule}のエラー: {message}"),
                RuleFailure::Override {
                    field,
                    from,
                    problem,
                } => format!(
                    "{rule}（{from} の overrides）が{}に設定した値を使えません: {}",
                    t.field(*field),
                    problem_ja(t, problem)
                ),
                RuleFailure::UnknownMaster {
                    field,
                    target,
                    value,
                    from,
                    ..
                } => format!(
                    "{rule}（{from}）が決めた{}「{value}」は{target}にありません。ルールの値を確かめてください",
                    master_ja(t, *field, *target)
                ),
            }
        }
        Problem::Said { text } => text.clone(),
    }
}

/// "SmartHRの所属事業所", "KING OF TIMEの雇用区分".
fn master_ja(t: &Text, field: Field, target: Service) -> String {
    let term = match field {
        Field::EmploymentType => t.employment_type,
        _ => t.office,
    };
    t.of(target, term)
}

fn fields_ja(t: &Text, fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| t.field(*f))
        .collect::<Vec<_>>()
        .join("・")
}

/// What is odd about a code, each character by its code point: 末尾の空白（U+0020）.
fn oddities_ja(code: &str) -> String {
    crate::text::oddities(code)
        .into_iter()
        .map(|(oddity, c)| {
            let at = crate::text::code_point(c);
            match oddity {
                Oddity::Leading => format!("先頭の空白（{at}）"),
                Oddity::Trailing => format!("末尾の空白（{at}）"),
                Oddity::Invisible => format!("見えない文字（{at}）"),
                Oddity::Control => format!("制御文字（{at}）"),
                Oddity::FullWidth => format!("全角の「{c}」（{at}）"),
                Oddity::HalfWidth => format!("半角の「{c}」（{at}）"),
                Oddity::Compatibility => format!("互換文字「{c}」（{at}）"),
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undecided_office_is_said_with_the_wizards_step_and_no_flag() {
        let problem = Problem::Undecided {
            field: Field::Office,
            target: Service::SmartHr,
        };
        assert_eq!(
            super::problem(Lang::Ja, &problem),
            "新しい従業員の所属事業所が決まっていません。ステップ2で既定値を選ぶか、ルールで決めてください"
        );
        let en = super::problem(
            Lang::En,
            &Problem::Undecided {
                field: Field::EmploymentType,
                target: Service::SmartHr,
            },
        );
        assert_eq!(
            en,
            "Employment type not decided for a new employee: choose a default in step 2 or decide it in a rule"
        );
        assert_eq!(
            super::problem(Lang::Ja, &Problem::from("as said")),
            "as said"
        );
    }

    #[test]
    fn an_odd_code_is_said_in_japanese_by_its_code_points() {
        let p = Problem::OddCode {
            code: "００１2 ".into(),
            side: Service::SmartHr,
            other: Some((Service::Kot, "0012".into())),
        };
        assert_eq!(
            problem(Lang::Ja, &p),
            "SmartHRの社員番号「００１2\\u{20}」に全角の「０」（U+FF10）、全角の「１」（U+FF11）、末尾の空白（U+0020）があります（KING OF TIMEでは「0012」）。SmartHRで社員番号を直してください"
        );
        assert!(
            problem(Lang::En, &p)
                .starts_with("社員番号 \"００１2\\u{20}\" in SmartHR has full-width")
        );
    }
}
