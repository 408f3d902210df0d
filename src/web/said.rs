//! The catalogue's words for what the library reports as data rather than as an error: a
//! row's problems, why an employee was not written, why a run stopped, how its employees were
//! chosen. Each is said here in the page's language from its fields (the library's own
//! English, its `Display`, is what the CLI, the JSON and the email say), so that a Japanese
//! page never shows a library sentence. Only what a rule's author or a service wrote is shown
//! as it came, after words of the page's language.

use super::core::Note;
use super::i18n::{Lang, Text};
use crate::apply::{LeftWhy, NotPicked, NotWritten, Picked, StaleWhy, StopHow, Stopped};
use crate::apply::{Pause, Warning};
use crate::email::NotifyError;
use crate::http::ApiError;
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

/// Why a run stopped early, in the page's language.
pub fn stopped(lang: Lang, s: &Stopped) -> String {
    match lang {
        Lang::En => s.to_string(),
        Lang::Ja => stopped_ja(s),
    }
}

/// What written and what is left after a run stopped before employee `before`.
fn stopped_before(cause: &str, before: &str) -> String {
    format!(
        "{cause}、社員番号 {before} の前で同期を止めました。それより前の従業員は書き込み済みです。残りは、もう一度同期すると書き込まれます。"
    )
}

fn how_ja(how: StopHow) -> &'static str {
    match how {
        StopHow::CtrlC => "Ctrl-Cで中止されたため",
        StopHow::Dashboard => "ダッシュボードで中止されたため",
    }
}

fn stopped_ja(s: &Stopped) -> String {
    match s {
        Stopped::User { how, before } => stopped_before(how_ja(*how), before),
        Stopped::Window { before, .. } => {
            stopped_before("KING OF TIMEのアクセス制限時間帯のため", before)
        }
        Stopped::WaitedOut { before, .. } => stopped_before(
            "アクセス制限時間帯が終わるのを待てる上限（max_wait_minutes）を超えたため",
            before,
        ),
        Stopped::Abandoned { how, code } => format!(
            "{}、書き込み中だった社員番号 {code} の書き込みを中断しました。反映されたかどうかは分かりません。もう一度同期すると、その従業員を確かめてから残りを書き込みます。",
            how_ja(*how)
        ),
        Stopped::Breaker { count, key } => format!(
            "{count}名続けて同じサーバーエラー（{key}）で失敗したため、同期を止めました。残りは未実行です。サービスの状態を確かめてから、もう一度同期してください。"
        ),
        Stopped::NotRecorded { error } => {
            format!("実行結果を連携履歴に記録できなかったため、同期を止めました。詳細: {error}")
        }
    }
}

/// Why a chosen employee was not attempted, in the page's language.
pub fn not_written(lang: Lang, w: &NotWritten) -> String {
    let t = lang.text();
    match (lang, w) {
        (Lang::En, w) => w.to_string(),
        (
            Lang::Ja,
            NotWritten::Stopped {
                stopped,
                here: true,
            },
        ) => stopped_ja(stopped),
        (Lang::Ja, NotWritten::Stopped { stopped, .. }) => {
            let cause = match stopped {
                Stopped::User { how, .. } | Stopped::Abandoned { how, .. } => how_ja(*how),
                Stopped::Window { .. } => "KING OF TIMEのアクセス制限時間帯のため",
                Stopped::WaitedOut { .. } => "アクセス制限時間帯の待機の上限を超えたため",
                Stopped::Breaker { .. } => "サーバーエラーが続いたため",
                Stopped::NotRecorded { .. } => "連携履歴に記録できなかったため",
            };
            format!("{cause}、同期が止まり未実行です。")
        }
        (Lang::Ja, NotWritten::Abandoned) => {
            "書き込み中に中断しました。反映されたかどうかは分かりません。次の同期で確かめます。"
                .to_string()
        }
        (Lang::Ja, NotWritten::NotCleared { fields }) => format!(
            "{}を空にする変更は、連携元で読み取れていないおそれがあるため書き込みませんでした。トークンの権限を確かめてください。",
            fields_ja(t, fields)
        ),
        (Lang::Ja, NotWritten::Stale { why }) => {
            let what = match why {
                StaleWhy::NowExists { target, code } => {
                    format!("{target}に社員番号 {code} の従業員が登録された")
                }
                StaleWhy::Gone { target } => format!("{target}からこの従業員がなくなった"),
                StaleWhy::Changed { fields, target } => {
                    format!("{target}で{}が変わった", fields_ja(t, fields))
                }
            };
            format!("確認した後に{what}ため、書き込みませんでした。もう一度確認してください。")
        }
        (Lang::Ja, NotWritten::WrittenSince { run }) => format!(
            "確認した後に別の同期（{run}）がこの従業員を書き込んだため、書き込みませんでした。もう一度確認してください。"
        ),
        (Lang::Ja, NotWritten::Unstarted { refused: true }) => {
            "同期を開始できなかったため未実行です。".to_string()
        }
        (Lang::Ja, NotWritten::Unstarted { refused: false }) => {
            "書き込みの前に同期が中止されたため未実行です。".to_string()
        }
    }
}

/// The clears a written update held back because the source seemed unable to read the field
/// ([`crate::apply::ApplyResult::not_cleared`]), in the page's language.
pub fn not_cleared(lang: Lang, fields: &[Field]) -> String {
    match lang {
        Lang::En => crate::apply::not_cleared_text(fields),
        Lang::Ja => format!(
            "{}は空にしませんでした（連携元で読み取れていないおそれがあるため）。",
            fields_ja(lang.text(), fields)
        ),
    }
}

/// Why a write failed, in the page's language: the service's own message as it came, in the
/// page's words (never the library's English around it); a failure that is not a service's
/// (or recorded before its message was kept as data) as it was recorded.
pub fn failed(lang: Lang, failure: Option<&ApiError>, recorded: Option<&str>) -> String {
    match (lang, failure) {
        (Lang::Ja, Some(a)) => super::errors::api_text(lang, a),
        _ => recorded.unwrap_or_default().to_string(),
    }
}

/// The run page's note (a pause, a warning), in the page's language.
pub fn note(lang: Lang, n: &Note) -> String {
    if lang == Lang::En {
        return match n {
            Note::Pause(p) => p.to_string(),
            Note::Warning(w) => w.to_string(),
        };
    }
    let t = lang.text();
    match n {
        Note::Pause(Pause::Window(inside)) => format!(
            "KING OF TIMEのアクセス制限時間帯（{}）のため、{}まで待ってから続けます。",
            inside.window,
            inside.reopens.format("%H:%M")
        ),
        Note::Pause(Pause::Refused { retry, .. }) => format!(
            "KING OF TIMEがアクセス制限時間帯のため応答を拒否しました。{}秒後にもう一度試します。",
            retry.as_secs()
        ),
        Note::Pause(Pause::Budget {
            service, resets_in, ..
        }) => format!(
            "{service}のリクエスト上限が途中で尽きるため、上限のリセット（{}後）まで待ってから続けます。",
            crate::http::human(*resets_in)
        ),
        Note::Warning(Warning::Unreadable(u)) => format!(
            "{}は連携元で読み取れていないおそれがあるため、空にする変更は書き込みません。トークンの権限を確かめてください。",
            t.field(u.field)
        ),
        Note::Warning(Warning::EmailNotRecorded(e)) => {
            format!("メールの送信結果を連携履歴に記録できませんでした。詳細: {e}")
        }
    }
}

/// Why the run's email was not sent, in the page's language: the mail server's or the
/// setting's own words as they came, after words of the page's language.
pub fn email_not_sent(lang: Lang, e: &NotifyError) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    let what = match e {
        NotifyError::Send { server, detail } => {
            format!(
                "{server}経由で送信できませんでした（詳細: {detail}）。notify.smtp_url、認証情報、サーバーに接続できるかを確かめてください。"
            )
        }
        NotifyError::Tls { host, detail } => {
            format!("{host}とのTLS接続を準備できませんでした（詳細: {detail}）。")
        }
        NotifyError::Build(detail) => format!("メールを作成できませんでした（詳細: {detail}）。"),
        NotifyError::MissingEnv { var, field } => {
            format!("環境変数 {var}（notify.{field} で指定）が設定されていないか空です。")
        }
        NotifyError::BadUrl { url, problem } => {
            format!("notify.smtp_url「{url}」を使えません（詳細: {problem}）。")
        }
        NotifyError::BadAddress {
            field,
            value,
            reason,
        } => {
            format!("notify.{field}「{value}」はメールアドレスとして使えません（詳細: {reason}）。")
        }
        NotifyError::NoRecipients => "notify.to に宛先がありません。".to_string(),
        NotifyError::HalfCredentials { given, missing } => {
            format!("notify.{given} は設定されていますが、notify.{missing} がありません。")
        }
    };
    format!(
        "実行結果のメールを送信できませんでした: {what}同期の結果は連携履歴に記録されています。"
    )
}

/// How a run's employees were chosen, in the page's language.
pub fn picked(lang: Lang, p: &Picked) -> String {
    match lang {
        Lang::En => p.to_string(),
        Lang::Ja => picked_ja(p),
    }
}

fn picked_ja(p: &Picked) -> String {
    match p {
        Picked::Select { select } => match select.as_str() {
            "all" => "コマンドラインで新規登録・差分ありの全員を選択".to_string(),
            "auto" => "コマンドラインでルールによる自動選択".to_string(),
            codes => format!("コマンドラインで社員番号を指定: {codes}"),
        },
        Picked::Terminal => "ターミナルで選択".to_string(),
        Picked::Dashboard { plan } => format!("ダッシュボードで選択（プラン {plan}）"),
        Picked::SavedPlan { picked, plan, path } => format!(
            "{}（保存したプラン{} {path}）",
            picked_ja(picked),
            plan.as_deref().map(|p| format!(" {p}")).unwrap_or_default()
        ),
    }
}

/// Why an employee of the plan was left out of a run, in the page's language.
pub fn left(lang: Lang, l: &LeftWhy) -> String {
    let t = lang.text();
    match (lang, l) {
        (Lang::En, l) => l.to_string(),
        (Lang::Ja, LeftWhy::Invalid { problems }) if problems.is_empty() => {
            "計画では書き込めません".to_string()
        }
        (Lang::Ja, LeftWhy::Invalid { problems }) => problems
            .iter()
            .map(|p| problem(lang, p))
            .collect::<Vec<_>>()
            .join(" / "),
        (Lang::Ja, LeftWhy::NotSelected { status, how }) => {
            let why = match how {
                NotPicked::Auto { rule: Some(rule) } => {
                    format!("ルールの自動選択で選ばれませんでした（{}）", t.origin(rule))
                }
                NotPicked::Auto { rule: None } => {
                    "ルールの自動選択で選ばれませんでした".to_string()
                }
                NotPicked::Codes => "指定された社員番号に含まれていません".to_string(),
                NotPicked::All => "選択されませんでした".to_string(),
                NotPicked::Ticked => "選択されていません".to_string(),
            };
            format!("{}。{why}", t.status(*status))
        }
        (Lang::Ja, LeftWhy::Excluded { reason, from }) => {
            format!("ルール（{from}）で対象外: {reason}")
        }
    }
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

    /// The run page's notes while a run waits or warns: Japanese words around the values,
    /// none of the CLI's English.
    #[test]
    fn a_runs_pauses_and_warnings_are_said_in_japanese() {
        use chrono::TimeZone;
        let inside = crate::window::Inside {
            window: "17:30-18:30".parse().unwrap(),
            reopens: crate::clock::JST
                .with_ymd_and_hms(2026, 4, 1, 18, 30, 0)
                .unwrap(),
        };
        let unreadable = crate::plan::Unreadable {
            field: Field::Email,
            in_scope: 6,
            empty_in_source: 6,
            clears: 6,
            hint: "email reads as empty for all 6 employees".into(),
        };
        let cases = [
            (
                Note::Pause(Pause::Window(inside)),
                "KING OF TIMEのアクセス制限時間帯（17:30-18:30 JST）のため、18:30まで待ってから続けます。",
            ),
            (
                Note::Pause(Pause::Refused {
                    refusal: "KING OF TIME refuses API access at this time of day".into(),
                    retry: std::time::Duration::from_secs(60),
                }),
                "KING OF TIMEがアクセス制限時間帯のため応答を拒否しました。60秒後にもう一度試します。",
            ),
            (
                Note::Pause(Pause::Budget {
                    service: Service::SmartHr,
                    described: "SmartHR's request budget has 3 left".into(),
                    resets_in: std::time::Duration::from_secs(30),
                }),
                "SmartHRのリクエスト上限が途中で尽きるため、上限のリセット（30 s後）まで待ってから続けます。",
            ),
            (
                Note::Warning(Warning::Unreadable(unreadable)),
                "メールアドレスは連携元で読み取れていないおそれがあるため、空にする変更は書き込みません。トークンの権限を確かめてください。",
            ),
        ];
        for (n, ja) in cases {
            assert_eq!(note(Lang::Ja, &n), ja);
            let en = match &n {
                Note::Pause(p) => p.to_string(),
                Note::Warning(w) => w.to_string(),
            };
            assert_eq!(note(Lang::En, &n), en);
        }
    }
}
